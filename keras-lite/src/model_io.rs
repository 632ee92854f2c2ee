//! Saving and loading a whole model: the architecture as JSON next to the weights, so that a
//! trained model can be used later without the code that built it (Keras' `model.save` and
//! `tf.keras.models.load_model`).
//!
//! `model.save("fashion_model")` writes a directory:
//!
//! ```text
//! fashion_model/
//!     config.json                  the architecture (Keras' get_config layout) and compile settings
//!     model.weights.safetensors    the weights, as save_weights writes them
//! ```
//!
//! (`config.json` names the weights file under `"weights_file"`; saving again into the same
//! folder alternates between `model.weights.safetensors` and `model.weights.2.safetensors`,
//! see below.)
//!
//! `config.json` follows Keras' layout, `{"class_name": "Sequential", "config": {"name": ...,
//! "layers": [{"class_name": "Dense", "config": {"units": 128, "activation": "relu", ...}}]}}`,
//! plus a `training_config` (loss, metrics, optimizer and its learning rate) when the model
//! was compiled, which `load_model` uses to compile the loaded model again.
//!
//! The layout is written down once, as serde types: each Keras `{"class_name": ...,
//! "config": {...}}` pair is an enum tagged by `class_name` with its `config` as content
//! ([`LayerConfig`] for the layers, and the regularizers and constraints), and each config a
//! struct whose fields are Keras' keys. A field Keras may leave out is an `Option` (missing
//! or `null` reads as `None`), and its Keras default is applied where the config becomes a
//! layer. A value that Keras writes either
//! as a name or as an object (`"relu"` or `{"name": "relu", "alpha": 0.1}`) is a [`NameOr`].
//! Reading checks what the types cannot (ranges, the features keras-lite does not have) and
//! names the layer in every error.
//!
//! What is not saved: the optimizer's internal state (Adam's moments) and optimizer settings
//! other than the learning rate; a loaded model resumes training with a fresh optimizer of the
//! same kind.
//!
//! **A failed or interrupted save never loses the previous model.** Saving over an existing
//! model writes the new weights under the name the current `config.json` does *not* use,
//! then replaces `config.json` (naming the new weights) in one atomic rename, and deletes the
//! old weights last. Every file goes through [`weights_io::write_atomic`] (a temporary file,
//! flushed to the disk, renamed). So at any moment, a crash or a full disk included, the
//! folder's `config.json` names a whole weights file that fits it: before the rename the old
//! model loads, after it the new one. At worst an unused weights file is left behind, and the
//! next save overwrites it. Files of the folder that keras-lite did not write are never
//! touched.
//!
//! ```
//! use keras_lite::{Sequential, layers::{Dense, Flatten}, model_io};
//! keras_lite::backend::clear_session();
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[2, 2]).into(),
//!     Dense::new(3).activation("softmax").into(),
//! ]);
//! model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
//! let dir = std::env::temp_dir().join(format!("kl-doc-model-{}", std::process::id()));
//! model.save(&dir)?;
//! let mut loaded = model_io::load_model(&dir)?;
//! assert_eq!(loaded.get_weights()?, model.get_weights()?);
//! assert!(loaded.compiled().is_some());
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), keras_lite::KerasError>(())
//! ```

use crate::compile::MetricArg;
use crate::constraints::Constraint;
use crate::error::{KerasError, Result};
use crate::initializers::{FanMode, Initializer, InitializerSpec, ScalingDistribution};
use crate::layers::{
    Activation, ActivationSpec, BatchNormalization, Dense, Dropout, Flatten, InputLayer, Layer,
};
use crate::metrics::Metric;
use crate::regularizers::Regularizer;
use crate::sequential::Sequential;
use crate::weights_io;

mod images;
use ch03_activations::keras::Activation as ActivationFn;
use ch04_loss_gradient::keras::Loss;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::path::Path;

/// The architecture file inside a saved model directory.
pub const CONFIG_FILE: &str = "config.json";
/// The weights file inside a saved model directory (the first of the two names `save`
/// alternates between; folders saved before `"weights_file"` existed always use it).
pub const WEIGHTS_FILE: &str = "model.weights.safetensors";
/// The other weights file name `save` uses, when `config.json` names [`WEIGHTS_FILE`].
pub const WEIGHTS_FILE_ALT: &str = "model.weights.2.safetensors";
/// The key of `config.json` naming the folder's weights file.
pub const WEIGHTS_FILE_KEY: &str = "weights_file";

fn bad(what: &str, msg: impl std::fmt::Display) -> KerasError {
    KerasError::InvalidArgument(format!("model config: {what}: {msg}"))
}

/// `T` read from `v`, a serde error becoming an error naming `what`.
fn read<T: DeserializeOwned>(v: &Value, what: &str) -> Result<T> {
    T::deserialize(v).map_err(|e| bad(what, e))
}

/// `x` as JSON (the types of this module always serialize).
fn to_value(x: &impl Serialize) -> Value {
    serde_json::to_value(x).expect("model_io's types serialize to JSON")
}

// ----------------------------------------------------------------------------------------
// Values inside a layer config
// ----------------------------------------------------------------------------------------

/// A value Keras writes either as a name (`"relu"`, `"glorot_uniform"`) or as an object.
#[derive(Debug, Clone, PartialEq)]
pub enum NameOr<T> {
    Name(String),
    Object(T),
}

impl<T: Serialize> Serialize for NameOr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            NameOr::Name(n) => s.serialize_str(n),
            NameOr::Object(o) => o.serialize(s),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for NameOr<T> {
    // Through a `Value`, so that an object that does not fit says why (serde's untagged
    // enums only say that nothing matched).
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(n) => Ok(NameOr::Name(n)),
            v => T::deserialize(&v)
                .map(NameOr::Object)
                .map_err(D::Error::custom),
        }
    }
}

/// An activation with parameters: `{"name": "relu", "alpha": 0.1, "max_value": 6.0,
/// "threshold": 0.0}`; only the keys of the named function are written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivationObject {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// `Some(None)` writes `"max_value": null` (relu without a cap).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_value: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate: Option<bool>,
}

/// An activation as Keras writes it: its name, or an [`ActivationObject`] when the
/// parameters differ from the defaults.
fn activation_json(f: &ActivationFn) -> NameOr<ActivationObject> {
    let named = |name: &str| ActivationObject {
        name: name.to_string(),
        ..Default::default()
    };
    NameOr::Object(match *f {
        ActivationFn::Relu {
            alpha,
            max_value,
            threshold,
        } if alpha != 0.0 || max_value.is_some() || threshold != 0.0 => ActivationObject {
            alpha: Some(alpha),
            max_value: Some(max_value),
            threshold: Some(threshold),
            ..named("relu")
        },
        ActivationFn::Elu { alpha } if alpha != 1.0 => ActivationObject {
            alpha: Some(alpha),
            ..named("elu")
        },
        ActivationFn::LeakyRelu { alpha } if alpha != 0.2 => ActivationObject {
            alpha: Some(alpha),
            ..named("leaky_relu")
        },
        ActivationFn::Gelu { approximate: true } => ActivationObject {
            approximate: Some(true),
            ..named("gelu")
        },
        _ => return NameOr::Name(f.name().to_string()),
    })
}

/// The activation of a config, Keras' defaults for the parameters left out (any Keras
/// activation name is accepted).
fn activation_spec(a: NameOr<ActivationObject>) -> Result<ActivationSpec> {
    let o = match a {
        NameOr::Name(name) => return Ok(ActivationSpec::Name(name)),
        NameOr::Object(o) => o,
    };
    let f = match o.name.as_str() {
        "relu" => ActivationFn::Relu {
            alpha: o.alpha.unwrap_or(0.0),
            max_value: o.max_value.flatten(),
            threshold: o.threshold.unwrap_or(0.0),
        },
        "elu" => ActivationFn::Elu {
            alpha: o.alpha.unwrap_or(1.0),
        },
        "leaky_relu" => ActivationFn::LeakyRelu {
            alpha: o.alpha.unwrap_or(0.2),
        },
        "gelu" => ActivationFn::Gelu {
            approximate: o.approximate.unwrap_or(false),
        },
        other => other.parse::<ActivationFn>()?,
    };
    f.validate().map_err(|e| bad("activation", e))?;
    Ok(ActivationSpec::Function(f))
}

fn activation_spec_json(spec: &ActivationSpec) -> NameOr<ActivationObject> {
    match spec {
        ActivationSpec::Name(n) => NameOr::Name(n.clone()),
        ActivationSpec::Function(f) => activation_json(f),
    }
}

/// An activation as Keras writes it: its name, or `{"name": ..., parameters}` when the
/// parameters differ from the defaults.
pub fn activation_to_json(f: &ActivationFn) -> Value {
    to_value(&activation_json(f))
}

/// The inverse of [`activation_to_json`] (also accepts any Keras activation name).
pub fn activation_from_json(v: &Value) -> Result<ActivationSpec> {
    activation_spec(read(v, "activation")?)
}

/// A regularizer in Keras' layout, `{"class_name": "L2", "config": {"l2": 0.01}}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
pub enum RegularizerConfig {
    L1 {
        l1: f64,
    },
    L2 {
        l2: f64,
    },
    L1L2 {
        #[serde(default)]
        l1: f64,
        #[serde(default)]
        l2: f64,
    },
}

fn regularizer_json(r: &Regularizer) -> NameOr<RegularizerConfig> {
    NameOr::Object(match *r {
        Regularizer::L1(l1) => RegularizerConfig::L1 { l1 },
        Regularizer::L2(l2) => RegularizerConfig::L2 { l2 },
        Regularizer::L1L2 { l1, l2 } => RegularizerConfig::L1L2 { l1, l2 },
    })
}

fn regularizer(r: NameOr<RegularizerConfig>) -> Result<Regularizer> {
    let r = match r {
        NameOr::Name(name) => return Regularizer::from_name(&name),
        NameOr::Object(RegularizerConfig::L1 { l1 }) => Regularizer::L1(l1),
        NameOr::Object(RegularizerConfig::L2 { l2 }) => Regularizer::L2(l2),
        NameOr::Object(RegularizerConfig::L1L2 { l1, l2 }) => Regularizer::L1L2 { l1, l2 },
    };
    r.validate()?;
    Ok(r)
}

/// A regularizer as Keras writes it: `{"class_name": "L2", "config": {"l2": 0.01}}`.
pub fn regularizer_to_json(r: &Regularizer) -> Value {
    to_value(&regularizer_json(r))
}

/// The inverse of [`regularizer_to_json`]; also accepts the names `"l1"`, `"l2"`, `"l1_l2"`.
pub fn regularizer_from_json(v: &Value) -> Result<Regularizer> {
    regularizer(read(v, "regularizer")?)
}

fn two() -> f64 {
    2.0
}

fn one() -> f64 {
    1.0
}

/// A constraint in Keras' layout, `{"class_name": "MaxNorm", "config": {"max_value": 2,
/// "axis": 0}}`, with Keras' defaults for the keys left out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
pub enum ConstraintConfig {
    MaxNorm {
        #[serde(default = "two")]
        max_value: f64,
        #[serde(default)]
        axis: usize,
    },
    NonNeg {},
    UnitNorm {
        #[serde(default)]
        axis: usize,
    },
    MinMaxNorm {
        #[serde(default)]
        min_value: f64,
        #[serde(default = "one")]
        max_value: f64,
        #[serde(default = "one")]
        rate: f64,
        #[serde(default)]
        axis: usize,
    },
}

fn constraint_json(c: &Constraint) -> NameOr<ConstraintConfig> {
    NameOr::Object(match *c {
        Constraint::MaxNorm { max_value, axis } => ConstraintConfig::MaxNorm { max_value, axis },
        Constraint::NonNeg => ConstraintConfig::NonNeg {},
        Constraint::UnitNorm { axis } => ConstraintConfig::UnitNorm { axis },
        Constraint::MinMaxNorm {
            min_value,
            max_value,
            rate,
            axis,
        } => ConstraintConfig::MinMaxNorm {
            min_value,
            max_value,
            rate,
            axis,
        },
    })
}

fn constraint(c: NameOr<ConstraintConfig>) -> Result<Constraint> {
    Ok(match c {
        NameOr::Name(name) => return Constraint::from_name(&name),
        NameOr::Object(ConstraintConfig::MaxNorm { max_value, axis }) => {
            Constraint::MaxNorm { max_value, axis }
        }
        NameOr::Object(ConstraintConfig::NonNeg {}) => Constraint::NonNeg,
        NameOr::Object(ConstraintConfig::UnitNorm { axis }) => Constraint::UnitNorm { axis },
        NameOr::Object(ConstraintConfig::MinMaxNorm {
            min_value,
            max_value,
            rate,
            axis,
        }) => Constraint::MinMaxNorm {
            min_value,
            max_value,
            rate,
            axis,
        },
    })
}

/// A constraint as Keras writes it: `{"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}`.
pub fn constraint_to_json(c: &Constraint) -> Value {
    to_value(&constraint_json(c))
}

/// The inverse of [`constraint_to_json`]; also accepts Keras' constraint names.
pub fn constraint_from_json(v: &Value) -> Result<Constraint> {
    constraint(read(v, "constraint")?)
}

/// Keras' `mode` of `VarianceScaling`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum ModeJson {
    #[serde(rename = "fan_in")]
    In,
    #[serde(rename = "fan_out")]
    Out,
    #[serde(rename = "fan_avg")]
    Avg,
}

/// Keras' `distribution` of `VarianceScaling` (`"normal"` is Keras 2's old name).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DistributionJson {
    #[serde(alias = "normal")]
    TruncatedNormal,
    UntruncatedNormal,
    Uniform,
}

/// The `config` of an initializer: the keys of every Keras initializer class, each written
/// only by the classes that have it, and `seed` always (`null` when none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitializerConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stddev: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minval: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maxval: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scale: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<ModeJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    distribution: Option<DistributionJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gain: Option<f64>,
    seed: Option<u64>,
}

/// An initializer object, `{"class_name": "RandomNormal", "config": {...}}`. A struct rather
/// than a tagged enum because Keras' named classes (`GlorotUniform`, `HeNormal`, ...) are
/// read too, by name, through ch06's parser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitializerObject {
    class_name: String,
    #[serde(default)]
    config: InitializerConfig,
}

fn initializer_json(spec: &InitializerSpec) -> NameOr<InitializerObject> {
    let (init, seed) = match spec {
        InitializerSpec::Name(n) => return NameOr::Name(n.clone()),
        InitializerSpec::Object { init, seed } => (init, *seed),
    };
    let (class, config) = match *init {
        Initializer::Zeros => ("Zeros", InitializerConfig::default()),
        Initializer::Ones => ("Ones", InitializerConfig::default()),
        Initializer::Constant(value) => (
            "Constant",
            InitializerConfig {
                value: Some(value),
                ..Default::default()
            },
        ),
        Initializer::RandomNormal { mean, stddev } => (
            "RandomNormal",
            InitializerConfig {
                mean: Some(mean),
                stddev: Some(stddev),
                ..Default::default()
            },
        ),
        Initializer::RandomUniform { minval, maxval } => (
            "RandomUniform",
            InitializerConfig {
                minval: Some(minval),
                maxval: Some(maxval),
                ..Default::default()
            },
        ),
        Initializer::TruncatedNormal { mean, stddev } => (
            "TruncatedNormal",
            InitializerConfig {
                mean: Some(mean),
                stddev: Some(stddev),
                ..Default::default()
            },
        ),
        Initializer::VarianceScaling {
            scale,
            mode,
            distribution,
        } => (
            "VarianceScaling",
            InitializerConfig {
                scale: Some(scale),
                mode: Some(match mode {
                    FanMode::FanIn => ModeJson::In,
                    FanMode::FanOut => ModeJson::Out,
                    FanMode::FanAvg => ModeJson::Avg,
                }),
                distribution: Some(match distribution {
                    ScalingDistribution::TruncatedNormal => DistributionJson::TruncatedNormal,
                    ScalingDistribution::UntruncatedNormal => DistributionJson::UntruncatedNormal,
                    ScalingDistribution::Uniform => DistributionJson::Uniform,
                }),
                ..Default::default()
            },
        ),
        Initializer::Orthogonal { gain } => (
            "Orthogonal",
            InitializerConfig {
                gain: Some(gain),
                ..Default::default()
            },
        ),
        Initializer::Identity { gain } => (
            "Identity",
            InitializerConfig {
                gain: Some(gain),
                ..Default::default()
            },
        ),
    };
    NameOr::Object(InitializerObject {
        class_name: class.to_string(),
        config: InitializerConfig { seed, ..config },
    })
}

/// The initializer of a config, Keras' defaults for the keys left out.
fn initializer(i: NameOr<InitializerObject>) -> Result<InitializerSpec> {
    let InitializerObject { class_name, config } = match i {
        NameOr::Name(name) => return Ok(InitializerSpec::from(name)),
        NameOr::Object(o) => o,
    };
    let c = &config;
    let init = match class_name.as_str() {
        "Zeros" => Initializer::Zeros,
        "Ones" => Initializer::Ones,
        "Constant" => Initializer::Constant(c.value.unwrap_or(0.0)),
        "RandomNormal" => Initializer::RandomNormal {
            mean: c.mean.unwrap_or(0.0),
            stddev: c.stddev.unwrap_or(0.05),
        },
        "RandomUniform" => Initializer::RandomUniform {
            minval: c.minval.unwrap_or(-0.05),
            maxval: c.maxval.unwrap_or(0.05),
        },
        "TruncatedNormal" => Initializer::TruncatedNormal {
            mean: c.mean.unwrap_or(0.0),
            stddev: c.stddev.unwrap_or(0.05),
        },
        "VarianceScaling" => Initializer::VarianceScaling {
            scale: c.scale.unwrap_or(1.0),
            mode: match c.mode.unwrap_or(ModeJson::In) {
                ModeJson::In => FanMode::FanIn,
                ModeJson::Out => FanMode::FanOut,
                ModeJson::Avg => FanMode::FanAvg,
            },
            distribution: match c.distribution.unwrap_or(DistributionJson::TruncatedNormal) {
                DistributionJson::TruncatedNormal => ScalingDistribution::TruncatedNormal,
                DistributionJson::UntruncatedNormal => ScalingDistribution::UntruncatedNormal,
                DistributionJson::Uniform => ScalingDistribution::Uniform,
            },
        },
        "Orthogonal" => Initializer::Orthogonal {
            gain: c.gain.unwrap_or(1.0),
        },
        "Identity" => Initializer::Identity {
            gain: c.gain.unwrap_or(1.0),
        },
        // Keras' named classes (GlorotUniform, HeNormal, ...) with their defaults.
        other => other
            .parse::<Initializer>()
            .map_err(|e| bad("initializer", e))?,
    };
    Ok(InitializerSpec::Object { init, seed: c.seed })
}

/// An initializer as Keras writes it: a name (`"glorot_uniform"`) as given, or
/// `{"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05, "seed": null}}`.
pub fn initializer_to_json(spec: &InitializerSpec) -> Value {
    to_value(&initializer_json(spec))
}

/// The inverse of [`initializer_to_json`].
pub fn initializer_from_json(v: &Value) -> Result<InitializerSpec> {
    initializer(read(v, "initializer")?)
}

/// A loss with parameters: `{"name": "huber", "delta": 2.0}`; only the keys of the named
/// loss are written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LossObject {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_logits: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_smoothing: Option<f64>,
}

fn loss_json(loss: &Loss) -> NameOr<LossObject> {
    let named = LossObject {
        name: loss.name().to_string(),
        ..Default::default()
    };
    if loss.name().parse::<Loss>().ok() == Some(*loss) {
        return NameOr::Name(named.name);
    }
    NameOr::Object(match *loss {
        Loss::Huber { delta } => LossObject {
            delta: Some(delta),
            ..named
        },
        Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        }
        | Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        } => LossObject {
            from_logits: Some(from_logits),
            label_smoothing: Some(label_smoothing),
            ..named
        },
        Loss::SparseCategoricalCrossentropy { from_logits } => LossObject {
            from_logits: Some(from_logits),
            ..named
        },
        _ => return NameOr::Name(named.name),
    })
}

/// The loss of a config, Keras' defaults for the parameters left out.
fn loss(l: NameOr<LossObject>) -> Result<Loss> {
    let o = match l {
        NameOr::Name(name) => LossObject {
            name,
            ..Default::default()
        },
        NameOr::Object(o) => o,
    };
    let mut loss: Loss = o
        .name
        .parse()
        .map_err(|e: ch04_loss_gradient::LossError| bad("loss", e))?;
    match &mut loss {
        Loss::Huber { delta } => *delta = o.delta.unwrap_or(*delta),
        Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        }
        | Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            *from_logits = o.from_logits.unwrap_or(false);
            *label_smoothing = o.label_smoothing.unwrap_or(0.0);
        }
        Loss::SparseCategoricalCrossentropy { from_logits } => {
            *from_logits = o.from_logits.unwrap_or(false)
        }
        _ => {}
    }
    loss.validate()?;
    Ok(loss)
}

/// A loss as Keras names it, or `{"name": ..., parameters}` when they are not the defaults.
pub fn loss_to_json(l: &Loss) -> Value {
    to_value(&loss_json(l))
}

/// The inverse of [`loss_to_json`].
pub fn loss_from_json(v: &Value) -> Result<Loss> {
    loss(read(v, "loss")?)
}

/// A metric with parameters: `{"name": "top_k_categorical_accuracy", "k": 3}`, or a loss
/// reported as a metric, `{"name": "loss", "loss": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricObject {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loss: Option<NameOr<LossObject>>,
}

/// The metric compiled under `key`, as its key when that names it, else as an object.
fn metric_json(key: &str, m: &Metric) -> NameOr<MetricObject> {
    if Metric::from_name(key).ok() == Some(*m) {
        return NameOr::Name(key.to_string());
    }
    let named = |name: &str| MetricObject {
        name: name.to_string(),
        ..Default::default()
    };
    NameOr::Object(match *m {
        Metric::BinaryAccuracy { threshold } => MetricObject {
            threshold: Some(threshold),
            ..named("binary_accuracy")
        },
        Metric::TopKCategoricalAccuracy { k } => MetricObject {
            k: Some(k),
            ..named("top_k_categorical_accuracy")
        },
        Metric::SparseTopKCategoricalAccuracy { k } => MetricObject {
            k: Some(k),
            ..named("sparse_top_k_categorical_accuracy")
        },
        Metric::Loss(l) => MetricObject {
            loss: Some(loss_json(&l)),
            ..named("loss")
        },
        _ => return NameOr::Name(m.name()),
    })
}

fn metric(m: NameOr<MetricObject>) -> Result<MetricArg> {
    let o = match m {
        NameOr::Name(key) => return Ok(MetricArg::from(key.as_str())),
        NameOr::Object(o) => o,
    };
    let what = "metric";
    let k = || {
        o.k.ok_or_else(|| bad(what, format!("{} needs \"k\", a whole number", o.name)))
    };
    let m = match o.name.as_str() {
        "binary_accuracy" => Metric::BinaryAccuracy {
            threshold: o.threshold.unwrap_or(0.5),
        },
        "top_k_categorical_accuracy" => Metric::TopKCategoricalAccuracy { k: k()? },
        "sparse_top_k_categorical_accuracy" => Metric::SparseTopKCategoricalAccuracy { k: k()? },
        "loss" => Metric::Loss(loss(o.loss.clone().ok_or_else(|| {
            bad(
                what,
                "a \"loss\" metric needs \"loss\", the loss it reports",
            )
        })?)?),
        other => Metric::from_name(other)?,
    };
    Ok(MetricArg::from(m))
}

// ----------------------------------------------------------------------------------------
// Layers
// ----------------------------------------------------------------------------------------

/// `[null, d1, d2, ...]`: Keras' `batch_input_shape`, the batch size left open.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchShape(pub Vec<usize>);

impl Serialize for BatchShape {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        std::iter::once(None)
            .chain(self.0.iter().map(Some))
            .collect::<Vec<_>>()
            .serialize(s)
    }
}

impl<'de> Deserialize<'de> for BatchShape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let dims = v.as_array().filter(|a| a.len() >= 2).ok_or_else(|| {
            D::Error::custom(format!(
                "batch_input_shape must be [null, d1, ...], got {v}"
            ))
        })?;
        dims[1..]
            .iter()
            .map(|d| d.as_u64().and_then(|u| usize::try_from(u).ok()))
            .collect::<Option<Vec<_>>>()
            .map(BatchShape)
            .ok_or_else(|| {
                D::Error::custom(format!(
                    "batch_input_shape has a non-integer dimension in {v}"
                ))
            })
    }
}

/// What every layer's config holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseConfig {
    pub name: Option<String>,
    pub trainable: Option<bool>,
    /// `"float32"` (Keras 3 writes an object here; keras-lite computes in float32 whatever
    /// it says).
    pub dtype: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_input_shape: Option<BatchShape>,
}

/// `Dense`'s config (Keras' `Dense.get_config()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub units: usize,
    pub activation: Option<NameOr<ActivationObject>>,
    pub use_bias: Option<bool>,
    pub kernel_initializer: Option<NameOr<InitializerObject>>,
    pub bias_initializer: Option<NameOr<InitializerObject>>,
    pub kernel_regularizer: Option<NameOr<RegularizerConfig>>,
    pub bias_regularizer: Option<NameOr<RegularizerConfig>>,
    pub activity_regularizer: Option<NameOr<RegularizerConfig>>,
    pub kernel_constraint: Option<NameOr<ConstraintConfig>>,
    pub bias_constraint: Option<NameOr<ConstraintConfig>>,
}

/// `Activation`'s config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub activation: NameOr<ActivationObject>,
}

/// `Dropout`'s config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DropoutConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub rate: f64,
    /// Always `null` in keras-lite (each value is dropped independently).
    pub noise_shape: Option<Value>,
    pub seed: Option<u64>,
}

/// `BatchNormalization`'s config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchNormalizationConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    /// `-1` (or `[-1]`): keras-lite normalizes the last axis.
    pub axis: Option<Value>,
    pub momentum: Option<f64>,
    pub epsilon: Option<f64>,
    pub center: Option<bool>,
    pub scale: Option<bool>,
}

/// One layer in Keras' layout: `{"class_name": "Dense", "config": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "class_name", content = "config")]
pub enum LayerConfig {
    InputLayer(BaseConfig),
    Flatten(BaseConfig),
    Dense(DenseConfig),
    Activation(ActivationConfig),
    Dropout(DropoutConfig),
    BatchNormalization(BatchNormalizationConfig),
    Conv2D(images::Conv2DConfig),
    MaxPooling2D(images::Pooling2DConfig),
    AveragePooling2D(images::Pooling2DConfig),
    GlobalAveragePooling2D(images::GlobalAveragePooling2DConfig),
    Reshape(images::ReshapeConfig),
}

fn opt_map<T, U>(x: &Option<T>, f: impl Fn(&T) -> U) -> Option<U> {
    x.as_ref().map(f)
}

/// The config of `layer`.
pub fn layer_config(layer: &Layer) -> LayerConfig {
    let base = BaseConfig {
        name: Some(layer.name().to_string()),
        trainable: Some(true),
        dtype: Some(Value::from("float32")),
        batch_input_shape: layer.declared_input_shape().map(|s| BatchShape(s.to_vec())),
    };
    match layer {
        Layer::InputLayer(_) => LayerConfig::InputLayer(base),
        Layer::Flatten(_) => LayerConfig::Flatten(base),
        Layer::Dense(d) => LayerConfig::Dense(DenseConfig {
            base,
            units: d.units,
            activation: Some(activation_spec_json(&d.activation)),
            use_bias: Some(d.use_bias),
            kernel_initializer: Some(initializer_json(&d.kernel_initializer)),
            bias_initializer: Some(initializer_json(&d.bias_initializer)),
            kernel_regularizer: opt_map(&d.kernel_regularizer, regularizer_json),
            bias_regularizer: opt_map(&d.bias_regularizer, regularizer_json),
            activity_regularizer: opt_map(&d.activity_regularizer, regularizer_json),
            kernel_constraint: opt_map(&d.kernel_constraint, constraint_json),
            bias_constraint: opt_map(&d.bias_constraint, constraint_json),
        }),
        Layer::Activation(a) => LayerConfig::Activation(ActivationConfig {
            base,
            activation: activation_spec_json(&a.activation),
        }),
        Layer::Dropout(d) => LayerConfig::Dropout(DropoutConfig {
            base,
            rate: d.rate,
            noise_shape: None,
            seed: d.seed,
        }),
        Layer::BatchNormalization(bn) => {
            LayerConfig::BatchNormalization(BatchNormalizationConfig {
                base,
                axis: Some(Value::from(-1)),
                momentum: Some(bn.momentum),
                epsilon: Some(bn.epsilon),
                center: Some(bn.center),
                scale: Some(bn.scale),
            })
        }
        Layer::Conv2D(_)
        | Layer::Pooling2D(_)
        | Layer::GlobalAveragePooling2D(_)
        | Layer::Reshape(_) => images::layer_config(layer, base),
    }
}

/// One layer in Keras' `{"class_name": ..., "config": {...}}` form.
pub fn layer_to_json(layer: &Layer) -> Result<Value> {
    Ok(to_value(&layer_config(layer)))
}

/// The layer a config describes (weights are made when the model is built). `what` names
/// the layer in errors.
pub fn layer_from_config(config: LayerConfig, what: &str) -> Result<Layer> {
    let base = match &config {
        LayerConfig::InputLayer(b) | LayerConfig::Flatten(b) => b,
        LayerConfig::Dense(c) => &c.base,
        LayerConfig::Activation(c) => &c.base,
        LayerConfig::Dropout(c) => &c.base,
        LayerConfig::BatchNormalization(c) => &c.base,
        LayerConfig::Conv2D(c) => &c.base,
        LayerConfig::MaxPooling2D(c) | LayerConfig::AveragePooling2D(c) => &c.base,
        LayerConfig::GlobalAveragePooling2D(c) => &c.base,
        LayerConfig::Reshape(c) => &c.base,
    };
    let name = base.name.clone().filter(|n| !n.is_empty());
    let input = base.batch_input_shape.clone().map(|s| s.0);
    let mut layer: Layer = match config {
        LayerConfig::InputLayer(_) => InputLayer::new(
            input
                .as_deref()
                .ok_or_else(|| bad(what, "an InputLayer needs batch_input_shape"))?,
        )
        .into(),
        LayerConfig::Flatten(_) => Flatten::new().into(),
        LayerConfig::Activation(c) => Activation::new(activation_spec(c.activation)?).into(),
        LayerConfig::Dense(c) => {
            let mut d = Dense::new(c.units).use_bias(c.use_bias.unwrap_or(true));
            if let Some(a) = c.activation {
                d = d.activation(activation_spec(a)?);
            }
            if let Some(i) = c.kernel_initializer {
                d = d.kernel_initializer(initializer(i)?);
            }
            if let Some(i) = c.bias_initializer {
                d = d.bias_initializer(initializer(i)?);
            }
            if let Some(r) = c.kernel_regularizer {
                d = d.kernel_regularizer(regularizer(r)?);
            }
            if let Some(r) = c.bias_regularizer {
                d = d.bias_regularizer(regularizer(r)?);
            }
            if let Some(r) = c.activity_regularizer {
                d = d.activity_regularizer(regularizer(r)?);
            }
            if let Some(k) = c.kernel_constraint {
                d = d.kernel_constraint(constraint(k)?);
            }
            if let Some(k) = c.bias_constraint {
                d = d.bias_constraint(constraint(k)?);
            }
            d.into()
        }
        LayerConfig::Dropout(c) => {
            if c.noise_shape.as_ref().is_some_and(|v| !v.is_null()) {
                return Err(bad(
                    what,
                    "noise_shape is not supported; keras-lite drops each value independently \
                     (noise_shape=None)",
                ));
            }
            let mut d = Dropout::new(c.rate);
            if let Some(seed) = c.seed {
                d = d.seed(seed);
            }
            d.into()
        }
        LayerConfig::BatchNormalization(c) => {
            if let Some(axis) = c.axis.filter(|a| !a.is_null())
                && axis != -1
                && !axis.as_array().is_some_and(|a| a.len() == 1 && a[0] == -1)
            {
                return Err(bad(
                    what,
                    format!(
                        "axis {axis} is not supported; keras-lite normalizes the last axis of \
                         flat inputs (axis=-1)"
                    ),
                ));
            }
            BatchNormalization::new()
                .momentum(c.momentum.unwrap_or(0.99))
                .epsilon(c.epsilon.unwrap_or(1e-3))
                .center(c.center.unwrap_or(true))
                .scale(c.scale.unwrap_or(true))
                .into()
        }
        image => images::layer_from_config(image, what)?,
    };
    if let Some(n) = name {
        *layer.name_slot() = Some(n);
    }
    if let (Some(shape), Some(slot)) = (input, layer.input_shape_slot()) {
        *slot = Some(shape);
    }
    Ok(layer)
}

/// The inverse of [`layer_to_json`]. Errors name the layer (by its name, or its class).
pub fn layer_from_json(v: &Value) -> Result<Layer> {
    // Only to name the layer in errors: the config is read by its type below.
    let class = v.get("class_name").and_then(Value::as_str).unwrap_or("?");
    let what = match v
        .get("config")
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
    {
        Some(name) => format!("layer {name} ({class})"),
        None => format!("layer {class}"),
    };
    layer_from_config(read(v, &what)?, &what)
}

// ----------------------------------------------------------------------------------------
// The model
// ----------------------------------------------------------------------------------------

/// `optimizer_config`: the optimizer's class and its config (for now the learning rate;
/// read by [`crate::optimizers::from_config`], which knows each optimizer's keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub class_name: String,
    #[serde(default)]
    pub config: Map<String, Value>,
}

/// `training_config`: what `compile` was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingConfig {
    pub loss: NameOr<LossObject>,
    #[serde(default)]
    pub metrics: Vec<NameOr<MetricObject>>,
    pub optimizer_config: OptimizerConfig,
}

/// `{"name": ..., "layers": [...]}`. Layers are read one by one (`L = Value`) so that an
/// error names the layer it is in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialConfig<L> {
    pub name: Option<String>,
    pub layers: Vec<L>,
}

/// The whole of `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig<L = LayerConfig> {
    /// `"Sequential"`, the only class keras-lite loads.
    pub class_name: String,
    pub config: SequentialConfig<L>,
    /// Who wrote the file (`"keras-lite 0.1.0"`); not read.
    pub keras_version: Option<String>,
    /// `"ndarray"`; not read.
    pub backend: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_config: Option<TrainingConfig>,
}

impl Sequential {
    /// The architecture in Keras' `model.get_config()` layout, as serde types.
    pub fn model_config(&self) -> ModelConfig {
        ModelConfig {
            class_name: "Sequential".into(),
            config: SequentialConfig {
                name: Some(self.name().to_string()),
                layers: self.layers().iter().map(layer_config).collect(),
            },
            keras_version: Some(concat!("keras-lite ", env!("CARGO_PKG_VERSION")).into()),
            backend: Some("ndarray".into()),
            training_config: self.compiled().map(|c| TrainingConfig {
                loss: loss_json(&c.loss),
                metrics: c.metrics.iter().map(|(k, m)| metric_json(k, m)).collect(),
                optimizer_config: OptimizerConfig {
                    class_name: c.optimizer.name().to_string(),
                    config: Map::from_iter([(
                        "learning_rate".to_string(),
                        Value::from(c.optimizer.learning_rate()),
                    )]),
                },
            }),
        }
    }

    /// The architecture in Keras' `model.get_config()` layout (plus `training_config` once
    /// compiled): `{"class_name": "Sequential", "config": {"name": ..., "layers": [...]}}`.
    pub fn get_config(&self) -> Result<Value> {
        Ok(to_value(&self.model_config()))
    }

    /// [`Sequential::get_config`] as pretty-printed JSON (Keras' `model.to_json()`).
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(&self.get_config()?).expect("a JSON value serializes"))
    }

    /// A new, untrained model from a configuration (Keras' `Sequential.from_config`),
    /// compiled if the configuration has a `training_config`. Weights are created fresh.
    pub fn from_config(config: &Value) -> Result<Sequential> {
        // The class first: a Functional model's config does not fit Sequential's.
        #[derive(Deserialize)]
        struct Class {
            class_name: String,
        }
        let Class { class_name } = read(config, "model")?;
        if class_name != "Sequential" {
            return Err(bad(
                "model",
                format!("class {class_name:?}; keras-lite loads Sequential models only"),
            ));
        }
        let config: ModelConfig<Value> = read(config, "model")?;
        let layers = config
            .config
            .layers
            .iter()
            .map(layer_from_json)
            .collect::<Result<Vec<_>>>()?;
        let mut model = match &config.config.name {
            Some(n) => Sequential::named(n, layers),
            None => Sequential::new(layers),
        };
        if let Some(tc) = config.training_config {
            let loss = loss(tc.loss)?;
            let metrics = tc
                .metrics
                .into_iter()
                .map(metric)
                .collect::<Result<Vec<_>>>()?;
            let oc = tc.optimizer_config;
            let optimizer =
                crate::optimizers::from_config(&oc.class_name, &Value::Object(oc.config))?;
            model.compile(optimizer, loss, &metrics)?;
        }
        Ok(model)
    }
    /// Saves the whole model into the directory `dir` (created if needed): `config.json` and
    /// `model.weights.safetensors` (`model.weights.2.safetensors` when that name is in use by
    /// the model saved there before; see [`crate::model_io`]: a failed save leaves that model
    /// loadable). The model must be built.
    pub fn save(&mut self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        if dir.is_file() {
            return Err(KerasError::InvalidArgument(format!(
                "{} is a file; model.save writes a directory (config.json and the weights): \
                 give a directory path, or use save_weights for one weights file",
                dir.display()
            )));
        }
        let layers = weights_io::model_weights(self)?;
        let bytes = weights_io::serialize(&layers)?;
        let mut config = self.get_config()?;
        // The weights the folder's model uses now stay untouched until the new config.json,
        // naming the other file, has replaced the old one (see the module docs).
        let current = read_config(dir)
            .ok()
            .and_then(|(c, path)| weights_file_of(&c, &path).ok());
        let name = if current.as_deref() == Some(WEIGHTS_FILE) {
            WEIGHTS_FILE_ALT
        } else {
            WEIGHTS_FILE
        };
        config[WEIGHTS_FILE_KEY] = Value::from(name);
        let text = serde_json::to_string_pretty(&config).expect("a JSON value serializes");
        weights_io::write_atomic(&dir.join(name), &bytes)?;
        weights_io::write_atomic(&dir.join(CONFIG_FILE), text.as_bytes())?;
        if let Some(old) =
            current.filter(|o| o != name && [WEIGHTS_FILE, WEIGHTS_FILE_ALT].contains(&o.as_str()))
        {
            // Best effort: a file left here is unused, and the next save overwrites it.
            let _ = std::fs::remove_file(dir.join(old));
            weights_io::sync_dir(dir);
        }
        Ok(())
    }

    /// Loads a model saved with [`Sequential::save`] (see [`load_model`]).
    pub fn load(dir: impl AsRef<Path>) -> Result<Sequential> {
        load_model(dir)
    }
}

/// Keras' `tf.keras.models.load_model`: rebuilds the model saved in `dir` by
/// [`Sequential::save`], with its weights, compiled as it was (if it was).
pub fn load_model(dir: impl AsRef<Path>) -> Result<Sequential> {
    let dir = dir.as_ref();
    let (config, config_path) = read_config(dir)?;
    let weights = weights_file_of(&config, &config_path)?;
    let mut model = Sequential::from_config(&config)?;
    model.load_weights(dir.join(weights))?;
    Ok(model)
}

/// The weights file of the model saved in `dir`, as its `config.json` names it.
pub fn weights_path(dir: impl AsRef<Path>) -> Result<std::path::PathBuf> {
    let dir = dir.as_ref();
    let (config, config_path) = read_config(dir)?;
    Ok(dir.join(weights_file_of(&config, &config_path)?))
}

/// `dir/config.json`, parsed, and its path.
fn read_config(dir: &Path) -> Result<(Value, std::path::PathBuf)> {
    let config_path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&config_path).map_err(|source| KerasError::Io {
        path: config_path.display().to_string(),
        source,
    })?;
    let config: Value = serde_json::from_str(&text).map_err(|e| {
        KerasError::InvalidArgument(format!(
            "{}: not valid JSON ({e}); the file is damaged: save the model again",
            config_path.display()
        ))
    })?;
    Ok((config, config_path))
}

/// The weights file a config names: a plain file name in the same folder (never a path
/// elsewhere), [`WEIGHTS_FILE`] when it names none (folders saved before the key existed).
fn weights_file_of(config: &Value, config_path: &Path) -> Result<String> {
    match config.get(WEIGHTS_FILE_KEY) {
        None => Ok(WEIGHTS_FILE.to_string()),
        Some(Value::String(n))
            if !n.is_empty() && n != "." && n != ".." && !n.contains(['/', '\\', '\0']) =>
        {
            Ok(n.clone())
        }
        Some(v) => Err(KerasError::InvalidArgument(format!(
            "{}: {WEIGHTS_FILE_KEY:?} is {v}, not the name of a file in the same folder (such as \
             {WEIGHTS_FILE}); the file is damaged: save the model again",
            config_path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn activations_round_trip_with_their_parameters() {
        let cases = [
            ActivationFn::Relu {
                alpha: 0.1,
                max_value: Some(6.0),
                threshold: 0.5,
            },
            ActivationFn::Elu { alpha: 0.5 },
            ActivationFn::LeakyRelu { alpha: 0.3 },
            ActivationFn::Gelu { approximate: true },
            ActivationFn::Softmax,
        ];
        for f in cases {
            let v = activation_to_json(&f);
            let back = activation_from_json(&v).unwrap().resolve().unwrap();
            assert_eq!(back, f, "{v}");
        }
        assert_eq!(activation_to_json(&"relu".parse().unwrap()), json!("relu"));
        assert!(activation_from_json(&json!({"name": "relu", "alpha": -1.0})).is_err());
    }

    #[test]
    fn regularizers_constraints_and_losses_round_trip() {
        for r in [
            Regularizer::L1(0.5),
            Regularizer::L2(0.25),
            Regularizer::L1L2 { l1: 0.1, l2: 0.2 },
        ] {
            assert_eq!(regularizer_from_json(&regularizer_to_json(&r)).unwrap(), r);
        }
        for c in [
            Constraint::MaxNorm {
                max_value: 3.0,
                axis: 1,
            },
            Constraint::NonNeg,
            Constraint::UnitNorm { axis: 0 },
            Constraint::MinMaxNorm {
                min_value: 0.5,
                max_value: 2.0,
                rate: 0.5,
                axis: 0,
            },
        ] {
            assert_eq!(constraint_from_json(&constraint_to_json(&c)).unwrap(), c);
        }
        for l in [
            Loss::MeanSquaredError,
            Loss::Huber { delta: 2.0 },
            Loss::CategoricalCrossentropy {
                from_logits: true,
                label_smoothing: 0.1,
            },
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            Loss::SparseCategoricalCrossentropy { from_logits: false },
        ] {
            assert_eq!(loss_from_json(&loss_to_json(&l)).unwrap(), l);
        }
        assert_eq!(
            loss_to_json(&Loss::MeanSquaredError),
            json!("mean_squared_error")
        );
        assert!(regularizer_from_json(&json!({"class_name": "L3"})).is_err());
        assert!(
            regularizer_from_json(&json!({"class_name": "L2", "config": {"l2": -1.0}})).is_err()
        );
    }

    #[test]
    fn initializers_round_trip() {
        let specs = [
            InitializerSpec::from("he_normal"),
            InitializerSpec::Object {
                init: Initializer::RandomNormal {
                    mean: 0.5,
                    stddev: 0.1,
                },
                seed: Some(7),
            },
            InitializerSpec::Object {
                init: Initializer::VarianceScaling {
                    scale: 2.0,
                    mode: FanMode::FanOut,
                    distribution: ScalingDistribution::Uniform,
                },
                seed: None,
            },
            InitializerSpec::Object {
                init: Initializer::Constant(0.25),
                seed: None,
            },
        ];
        for spec in specs {
            let v = initializer_to_json(&spec);
            assert_eq!(initializer_from_json(&v).unwrap(), spec, "{v}");
        }
        let v = json!({"class_name": "GlorotUniform", "config": {"seed": 3}});
        assert_eq!(
            initializer_from_json(&v).unwrap(),
            InitializerSpec::Object {
                init: Initializer::glorot_uniform(),
                seed: Some(3)
            }
        );
        assert!(initializer_from_json(&json!({"class_name": "Nope"})).is_err());
    }

    #[test]
    fn typed_reads_name_the_layer_and_what_is_wrong() {
        let err = |v: Value| layer_from_json(&v).unwrap_err().to_string();
        let e = err(json!({"class_name": "Dense", "config": {"name": "d", "units": "x"}}));
        assert!(
            e.contains("layer d (Dense)") && e.contains("invalid type"),
            "{e}"
        );
        let e = err(json!({"class_name": "Conv3D", "config": {"name": "c"}}));
        assert!(
            e.contains("layer c (Conv3D)") && e.contains("Conv3D") && e.contains("`Conv2D`"),
            "{e}"
        );
        let e = err(json!({"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": "x"}}));
        assert!(
            e.contains("layer Conv2D") && e.contains("[height, width]"),
            "{e}"
        );
        let e = err(json!({"class_name": "Dense", "config": {"units": 2,
            "kernel_initializer": {"class_name": "VarianceScaling", "config": {"mode": "fan"}}}}));
        assert!(e.contains("fan_in"), "{e}");
        let e = err(
            json!({"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3,
            "dilation_rate": [2, 2]}}),
        );
        assert!(e.contains("dilation_rate [2, 2] is not supported"), "{e}");
        // A name or an object where Keras allows both; the Keras defaults fill what is left out.
        let l = layer_from_json(&json!({"class_name": "Dense", "config": {"units": 2,
            "kernel_constraint": "non_neg", "kernel_regularizer": {"class_name": "L1L2",
            "config": {"l2": 0.5}}}}))
        .unwrap();
        let Layer::Dense(d) = l else {
            panic!("not Dense")
        };
        assert_eq!(d.kernel_constraint, Some(Constraint::NonNeg));
        assert_eq!(
            d.kernel_regularizer,
            Some(Regularizer::L1L2 { l1: 0.0, l2: 0.5 })
        );
    }

    #[test]
    fn unknown_layers_and_bad_shapes_are_named() {
        let err = layer_from_json(&json!({"class_name": "Conv2D", "config": {"name": "conv"}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Conv2D") && err.contains("layer conv"),
            "{err}"
        );
        let err = layer_from_json(&json!({"class_name": "Dense", "config": {"name": "d",
            "units": 3, "batch_input_shape": [null, "x"]}}))
        .unwrap_err()
        .to_string();
        assert!(err.contains("batch_input_shape"), "{err}");
        let err = layer_from_json(&json!({"class_name": "Dense", "config": {"name": "d"}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("units"), "{err}");
    }
}
