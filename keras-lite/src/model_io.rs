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
use serde_json::{Map, Value, json};
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

// ----------------------------------------------------------------------------------------
// Values <-> JSON
// ----------------------------------------------------------------------------------------

/// An activation as Keras writes it: its name, or `{"name": ..., parameters}` when the
/// parameters differ from the defaults.
pub fn activation_to_json(f: &ActivationFn) -> Value {
    match *f {
        ActivationFn::Relu {
            alpha,
            max_value,
            threshold,
        } if alpha != 0.0 || max_value.is_some() || threshold != 0.0 => {
            json!({"name": "relu", "alpha": alpha, "max_value": max_value, "threshold": threshold})
        }
        ActivationFn::Elu { alpha } if alpha != 1.0 => json!({"name": "elu", "alpha": alpha}),
        ActivationFn::LeakyRelu { alpha } if alpha != 0.2 => {
            json!({"name": "leaky_relu", "alpha": alpha})
        }
        ActivationFn::Gelu { approximate: true } => json!({"name": "gelu", "approximate": true}),
        _ => json!(f.name()),
    }
}

fn num(v: &Value, key: &str, what: &str) -> Result<f64> {
    v.get(key)
        .and_then(Value::as_f64)
        .ok_or_else(|| bad(what, format!("missing number {key:?} in {v}")))
}

fn num_or(v: &Value, key: &str, default: f64, what: &str) -> Result<f64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => x
            .as_f64()
            .ok_or_else(|| bad(what, format!("{key:?} must be a number, got {x}"))),
    }
}

fn uint(v: &Value, key: &str, what: &str) -> Result<usize> {
    v.get(key)
        .and_then(Value::as_u64)
        .map(|u| u as usize)
        .ok_or_else(|| bad(what, format!("missing whole number {key:?} in {v}")))
}

fn text<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(what, format!("missing text {key:?} in {v}")))
}

/// The inverse of [`activation_to_json`] (also accepts any Keras activation name).
pub fn activation_from_json(v: &Value) -> Result<ActivationSpec> {
    if let Some(name) = v.as_str() {
        return Ok(ActivationSpec::Name(name.to_string()));
    }
    let what = "activation";
    let f = match text(v, "name", what)? {
        "relu" => ActivationFn::Relu {
            alpha: num_or(v, "alpha", 0.0, what)?,
            max_value: match v.get("max_value") {
                None | Some(Value::Null) => None,
                Some(_) => Some(num(v, "max_value", what)?),
            },
            threshold: num_or(v, "threshold", 0.0, what)?,
        },
        "elu" => ActivationFn::Elu {
            alpha: num_or(v, "alpha", 1.0, what)?,
        },
        "leaky_relu" => ActivationFn::LeakyRelu {
            alpha: num_or(v, "alpha", 0.2, what)?,
        },
        "gelu" => ActivationFn::Gelu {
            approximate: v
                .get("approximate")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        },
        other => other.parse::<ActivationFn>()?,
    };
    f.validate().map_err(|e| bad(what, e))?;
    Ok(ActivationSpec::Function(f))
}

fn activation_spec_to_json(spec: &ActivationSpec) -> Value {
    match spec {
        ActivationSpec::Name(n) => json!(n),
        ActivationSpec::Function(f) => activation_to_json(f),
    }
}

/// A regularizer as Keras writes it: `{"class_name": "L2", "config": {"l2": 0.01}}`.
pub fn regularizer_to_json(r: &Regularizer) -> Value {
    match *r {
        Regularizer::L1(l1) => json!({"class_name": "L1", "config": {"l1": l1}}),
        Regularizer::L2(l2) => json!({"class_name": "L2", "config": {"l2": l2}}),
        Regularizer::L1L2 { l1, l2 } => {
            json!({"class_name": "L1L2", "config": {"l1": l1, "l2": l2}})
        }
    }
}

/// The inverse of [`regularizer_to_json`]; also accepts the names `"l1"`, `"l2"`, `"l1_l2"`.
pub fn regularizer_from_json(v: &Value) -> Result<Regularizer> {
    if let Some(name) = v.as_str() {
        return Regularizer::from_name(name);
    }
    let what = "regularizer";
    let c = v.get("config").unwrap_or(&Value::Null);
    let r = match text(v, "class_name", what)? {
        "L1" => Regularizer::L1(num(c, "l1", what)?),
        "L2" => Regularizer::L2(num(c, "l2", what)?),
        "L1L2" => Regularizer::L1L2 {
            l1: num_or(c, "l1", 0.0, what)?,
            l2: num_or(c, "l2", 0.0, what)?,
        },
        other => {
            return Err(bad(
                what,
                format!("unknown class {other:?}; use L1, L2 or L1L2"),
            ));
        }
    };
    r.validate()?;
    Ok(r)
}

/// A constraint as Keras writes it: `{"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}`.
pub fn constraint_to_json(c: &Constraint) -> Value {
    match *c {
        Constraint::MaxNorm { max_value, axis } => {
            json!({"class_name": "MaxNorm", "config": {"max_value": max_value, "axis": axis}})
        }
        Constraint::NonNeg => json!({"class_name": "NonNeg", "config": {}}),
        Constraint::UnitNorm { axis } => {
            json!({"class_name": "UnitNorm", "config": {"axis": axis}})
        }
        Constraint::MinMaxNorm {
            min_value,
            max_value,
            rate,
            axis,
        } => json!({"class_name": "MinMaxNorm", "config": {
            "min_value": min_value, "max_value": max_value, "rate": rate, "axis": axis}}),
    }
}

/// The inverse of [`constraint_to_json`]; also accepts Keras' constraint names.
pub fn constraint_from_json(v: &Value) -> Result<Constraint> {
    if let Some(name) = v.as_str() {
        return Constraint::from_name(name);
    }
    let what = "constraint";
    let c = v.get("config").unwrap_or(&Value::Null);
    let axis = || -> Result<usize> {
        match c.get("axis") {
            None => Ok(0),
            Some(_) => uint(c, "axis", what),
        }
    };
    Ok(match text(v, "class_name", what)? {
        "MaxNorm" => Constraint::MaxNorm {
            max_value: num_or(c, "max_value", 2.0, what)?,
            axis: axis()?,
        },
        "NonNeg" => Constraint::NonNeg,
        "UnitNorm" => Constraint::UnitNorm { axis: axis()? },
        "MinMaxNorm" => Constraint::MinMaxNorm {
            min_value: num_or(c, "min_value", 0.0, what)?,
            max_value: num_or(c, "max_value", 1.0, what)?,
            rate: num_or(c, "rate", 1.0, what)?,
            axis: axis()?,
        },
        other => {
            return Err(bad(
                what,
                format!("unknown class {other:?}; use MaxNorm, NonNeg, UnitNorm or MinMaxNorm"),
            ));
        }
    })
}

/// An initializer as Keras writes it: a name (`"glorot_uniform"`) as given, or
/// `{"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05, "seed": null}}`.
pub fn initializer_to_json(spec: &InitializerSpec) -> Value {
    let (init, seed) = match spec {
        InitializerSpec::Name(n) => return json!(n),
        InitializerSpec::Object { init, seed } => (init, seed),
    };
    let (class, mut config) = match *init {
        Initializer::Zeros => ("Zeros", json!({})),
        Initializer::Ones => ("Ones", json!({})),
        Initializer::Constant(value) => ("Constant", json!({"value": value})),
        Initializer::RandomNormal { mean, stddev } => {
            ("RandomNormal", json!({"mean": mean, "stddev": stddev}))
        }
        Initializer::RandomUniform { minval, maxval } => {
            ("RandomUniform", json!({"minval": minval, "maxval": maxval}))
        }
        Initializer::TruncatedNormal { mean, stddev } => {
            ("TruncatedNormal", json!({"mean": mean, "stddev": stddev}))
        }
        Initializer::VarianceScaling {
            scale,
            mode,
            distribution,
        } => (
            "VarianceScaling",
            json!({
                "scale": scale,
                "mode": match mode {
                    FanMode::FanIn => "fan_in",
                    FanMode::FanOut => "fan_out",
                    FanMode::FanAvg => "fan_avg",
                },
                "distribution": match distribution {
                    ScalingDistribution::TruncatedNormal => "truncated_normal",
                    ScalingDistribution::UntruncatedNormal => "untruncated_normal",
                    ScalingDistribution::Uniform => "uniform",
                },
            }),
        ),
        Initializer::Orthogonal { gain } => ("Orthogonal", json!({"gain": gain})),
        Initializer::Identity { gain } => ("Identity", json!({"gain": gain})),
    };
    config["seed"] = json!(seed);
    json!({"class_name": class, "config": config})
}

/// The inverse of [`initializer_to_json`].
pub fn initializer_from_json(v: &Value) -> Result<InitializerSpec> {
    if let Some(name) = v.as_str() {
        return Ok(InitializerSpec::from(name));
    }
    let what = "initializer";
    let c = v.get("config").unwrap_or(&Value::Null);
    let init = match text(v, "class_name", what)? {
        "Zeros" => Initializer::Zeros,
        "Ones" => Initializer::Ones,
        "Constant" => Initializer::Constant(num_or(c, "value", 0.0, what)?),
        "RandomNormal" => Initializer::RandomNormal {
            mean: num_or(c, "mean", 0.0, what)?,
            stddev: num_or(c, "stddev", 0.05, what)?,
        },
        "RandomUniform" => Initializer::RandomUniform {
            minval: num_or(c, "minval", -0.05, what)?,
            maxval: num_or(c, "maxval", 0.05, what)?,
        },
        "TruncatedNormal" => Initializer::TruncatedNormal {
            mean: num_or(c, "mean", 0.0, what)?,
            stddev: num_or(c, "stddev", 0.05, what)?,
        },
        "VarianceScaling" => Initializer::VarianceScaling {
            scale: num_or(c, "scale", 1.0, what)?,
            mode: match c.get("mode").and_then(Value::as_str).unwrap_or("fan_in") {
                "fan_in" => FanMode::FanIn,
                "fan_out" => FanMode::FanOut,
                "fan_avg" => FanMode::FanAvg,
                m => {
                    return Err(bad(
                        what,
                        format!("unknown mode {m:?}; use fan_in, fan_out or fan_avg"),
                    ));
                }
            },
            distribution: match c
                .get("distribution")
                .and_then(Value::as_str)
                .unwrap_or("truncated_normal")
            {
                "truncated_normal" | "normal" => ScalingDistribution::TruncatedNormal,
                "untruncated_normal" => ScalingDistribution::UntruncatedNormal,
                "uniform" => ScalingDistribution::Uniform,
                d => {
                    return Err(bad(
                        what,
                        format!(
                            "unknown distribution {d:?}; use truncated_normal, untruncated_normal or uniform"
                        ),
                    ));
                }
            },
        },
        "Orthogonal" => Initializer::Orthogonal {
            gain: num_or(c, "gain", 1.0, what)?,
        },
        "Identity" => Initializer::Identity {
            gain: num_or(c, "gain", 1.0, what)?,
        },
        other => {
            // Keras' named classes (GlorotUniform, HeNormal, ...) with their defaults.
            return Ok(InitializerSpec::Object {
                init: other.parse::<Initializer>().map_err(|e| bad(what, e))?,
                seed: c.get("seed").and_then(Value::as_u64),
            });
        }
    };
    Ok(InitializerSpec::Object {
        init,
        seed: c.get("seed").and_then(Value::as_u64),
    })
}

/// A loss as Keras names it, or `{"name": ..., parameters}` when they are not the defaults.
pub fn loss_to_json(loss: &Loss) -> Value {
    if loss.name().parse::<Loss>().ok() == Some(*loss) {
        return json!(loss.name());
    }
    match *loss {
        Loss::Huber { delta } => json!({"name": "huber", "delta": delta}),
        Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            json!({"name": loss.name(), "from_logits": from_logits, "label_smoothing": label_smoothing})
        }
        Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            json!({"name": loss.name(), "from_logits": from_logits, "label_smoothing": label_smoothing})
        }
        Loss::SparseCategoricalCrossentropy { from_logits } => {
            json!({"name": loss.name(), "from_logits": from_logits})
        }
        _ => json!(loss.name()),
    }
}

/// The inverse of [`loss_to_json`].
pub fn loss_from_json(v: &Value) -> Result<Loss> {
    let what = "loss";
    let name = match v.as_str() {
        Some(n) => n,
        None => text(v, "name", what)?,
    };
    let mut loss: Loss = name
        .parse()
        .map_err(|e: ch04_loss_gradient::LossError| bad(what, e))?;
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    match &mut loss {
        Loss::Huber { delta } => *delta = num_or(v, "delta", *delta, what)?,
        Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        }
        | Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            *from_logits = flag("from_logits");
            *label_smoothing = num_or(v, "label_smoothing", 0.0, what)?;
        }
        Loss::SparseCategoricalCrossentropy { from_logits } => *from_logits = flag("from_logits"),
        _ => {}
    }
    loss.validate()?;
    Ok(loss)
}

fn metric_to_json(key: &str, m: &Metric) -> Value {
    if Metric::from_name(key).ok() == Some(*m) {
        return json!(key);
    }
    match *m {
        Metric::BinaryAccuracy { threshold } => {
            json!({"name": "binary_accuracy", "threshold": threshold})
        }
        Metric::TopKCategoricalAccuracy { k } => {
            json!({"name": "top_k_categorical_accuracy", "k": k})
        }
        Metric::SparseTopKCategoricalAccuracy { k } => {
            json!({"name": "sparse_top_k_categorical_accuracy", "k": k})
        }
        Metric::Loss(l) => json!({"name": "loss", "loss": loss_to_json(&l)}),
        _ => json!(m.name()),
    }
}

fn metric_from_json(v: &Value) -> Result<MetricArg> {
    if let Some(key) = v.as_str() {
        return Ok(MetricArg::from(key));
    }
    let what = "metric";
    let m = match text(v, "name", what)? {
        "binary_accuracy" => Metric::BinaryAccuracy {
            threshold: num_or(v, "threshold", 0.5, what)?,
        },
        "top_k_categorical_accuracy" => Metric::TopKCategoricalAccuracy {
            k: uint(v, "k", what)?,
        },
        "sparse_top_k_categorical_accuracy" => Metric::SparseTopKCategoricalAccuracy {
            k: uint(v, "k", what)?,
        },
        "loss" => Metric::Loss(loss_from_json(v.get("loss").unwrap_or(&Value::Null))?),
        other => Metric::from_name(other)?,
    };
    Ok(MetricArg::from(m))
}

// ----------------------------------------------------------------------------------------
// Layers <-> JSON
// ----------------------------------------------------------------------------------------

fn opt_json<T>(x: &Option<T>, f: impl Fn(&T) -> Value) -> Value {
    x.as_ref().map_or(Value::Null, f)
}

fn batch_shape(shape: &[usize]) -> Value {
    let mut v = vec![Value::Null];
    v.extend(shape.iter().map(|&d| json!(d)));
    Value::Array(v)
}

/// One layer in Keras' `{"class_name": ..., "config": {...}}` form.
pub fn layer_to_json(layer: &Layer) -> Result<Value> {
    let mut c = Map::new();
    c.insert("name".into(), json!(layer.name()));
    c.insert("trainable".into(), json!(true));
    c.insert("dtype".into(), json!("float32"));
    if let Some(shape) = layer.declared_input_shape() {
        c.insert("batch_input_shape".into(), batch_shape(shape));
    }
    match layer {
        Layer::InputLayer(_) | Layer::Flatten(_) => {}
        Layer::Dense(d) => {
            c.insert("units".into(), json!(d.units));
            c.insert("activation".into(), activation_spec_to_json(&d.activation));
            c.insert("use_bias".into(), json!(d.use_bias));
            c.insert(
                "kernel_initializer".into(),
                initializer_to_json(&d.kernel_initializer),
            );
            c.insert(
                "bias_initializer".into(),
                initializer_to_json(&d.bias_initializer),
            );
            c.insert(
                "kernel_regularizer".into(),
                opt_json(&d.kernel_regularizer, regularizer_to_json),
            );
            c.insert(
                "bias_regularizer".into(),
                opt_json(&d.bias_regularizer, regularizer_to_json),
            );
            c.insert(
                "activity_regularizer".into(),
                opt_json(&d.activity_regularizer, regularizer_to_json),
            );
            c.insert(
                "kernel_constraint".into(),
                opt_json(&d.kernel_constraint, constraint_to_json),
            );
            c.insert(
                "bias_constraint".into(),
                opt_json(&d.bias_constraint, constraint_to_json),
            );
        }
        Layer::Activation(a) => {
            c.insert("activation".into(), activation_spec_to_json(&a.activation));
        }
        Layer::Dropout(d) => {
            c.insert("rate".into(), json!(d.rate));
            c.insert("noise_shape".into(), Value::Null);
            c.insert("seed".into(), json!(d.seed));
        }
        Layer::BatchNormalization(bn) => {
            c.insert("axis".into(), json!(-1));
            c.insert("momentum".into(), json!(bn.momentum));
            c.insert("epsilon".into(), json!(bn.epsilon));
            c.insert("center".into(), json!(bn.center));
            c.insert("scale".into(), json!(bn.scale));
        }
        Layer::Conv2D(_)
        | Layer::Pooling2D(_)
        | Layer::GlobalAveragePooling2D(_)
        | Layer::Reshape(_) => images::config_into(layer, &mut c),
    }
    Ok(json!({"class_name": layer.class_name(), "config": Value::Object(c)}))
}

fn input_shape_of(c: &Value, what: &str) -> Result<Option<Vec<usize>>> {
    let Some(v) = c.get("batch_input_shape").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let dims = v.as_array().filter(|a| a.len() >= 2).ok_or_else(|| {
        bad(
            what,
            format!("batch_input_shape must be [null, d1, ...], got {v}"),
        )
    })?;
    dims[1..]
        .iter()
        .map(|d| {
            d.as_u64().map(|u| u as usize).ok_or_else(|| {
                bad(
                    what,
                    format!("batch_input_shape has a non-integer dimension in {v}"),
                )
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The inverse of [`layer_to_json`].
pub fn layer_from_json(v: &Value) -> Result<Layer> {
    let class = text(v, "class_name", "layer")?;
    let c = v
        .get("config")
        .ok_or_else(|| bad("layer", format!("{class} has no \"config\"")))?;
    let name = c
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty());
    let what = format!("layer {}", name.unwrap_or(class));
    let input = input_shape_of(c, &what)?;
    let opt = |key: &str| c.get(key).filter(|v| !v.is_null());
    let mut layer: Layer = match class {
        "InputLayer" => InputLayer::new(
            &input
                .clone()
                .ok_or_else(|| bad(&what, "an InputLayer needs batch_input_shape"))?,
        )
        .into(),
        "Flatten" => Flatten::new().into(),
        "Activation" => Activation::new(activation_from_json(
            c.get("activation").unwrap_or(&Value::Null),
        )?)
        .into(),
        "Dense" => {
            let mut d = Dense::new(uint(c, "units", &what)?)
                .use_bias(c.get("use_bias").and_then(Value::as_bool).unwrap_or(true));
            if let Some(a) = opt("activation") {
                d = d.activation(activation_from_json(a)?);
            }
            if let Some(i) = opt("kernel_initializer") {
                d = d.kernel_initializer(initializer_from_json(i)?);
            }
            if let Some(i) = opt("bias_initializer") {
                d = d.bias_initializer(initializer_from_json(i)?);
            }
            if let Some(r) = opt("kernel_regularizer") {
                d = d.kernel_regularizer(regularizer_from_json(r)?);
            }
            if let Some(r) = opt("bias_regularizer") {
                d = d.bias_regularizer(regularizer_from_json(r)?);
            }
            if let Some(r) = opt("activity_regularizer") {
                d = d.activity_regularizer(regularizer_from_json(r)?);
            }
            if let Some(k) = opt("kernel_constraint") {
                d = d.kernel_constraint(constraint_from_json(k)?);
            }
            if let Some(k) = opt("bias_constraint") {
                d = d.bias_constraint(constraint_from_json(k)?);
            }
            d.into()
        }
        "Dropout" => {
            if opt("noise_shape").is_some() {
                return Err(bad(
                    &what,
                    "noise_shape is not supported; keras-lite drops each value independently \
                     (noise_shape=None)",
                ));
            }
            let mut d = Dropout::new(num(c, "rate", &what)?);
            if let Some(seed) = opt("seed") {
                d = d.seed(seed.as_u64().ok_or_else(|| {
                    bad(
                        &what,
                        format!("seed must be a non-negative integer, got {seed}"),
                    )
                })?);
            }
            d.into()
        }
        "BatchNormalization" => {
            if let Some(axis) = opt("axis")
                && axis != &json!(-1)
                && axis != &json!([-1])
            {
                return Err(bad(
                    &what,
                    format!(
                        "axis {axis} is not supported; keras-lite normalizes the last axis of \
                         flat inputs (axis=-1)"
                    ),
                ));
            }
            let flag = |key: &str| c.get(key).and_then(Value::as_bool).unwrap_or(true);
            BatchNormalization::new()
                .momentum(num_or(c, "momentum", 0.99, &what)?)
                .epsilon(num_or(c, "epsilon", 1e-3, &what)?)
                .center(flag("center"))
                .scale(flag("scale"))
                .into()
        }
        other => images::layer_from_config(other, c, &what)?.ok_or_else(|| {
            bad(
                &what,
                format!(
                    "unknown layer class {other:?}; keras-lite has InputLayer, Flatten, Dense, \
                     Activation, Dropout, BatchNormalization, Conv2D, MaxPooling2D, \
                     AveragePooling2D, GlobalAveragePooling2D, Reshape"
                ),
            )
        })?,
    };
    if let Some(n) = name {
        *layer.name_slot() = Some(n.to_string());
    }
    if let (Some(shape), Some(slot)) = (input, layer.input_shape_slot()) {
        *slot = Some(shape);
    }
    Ok(layer)
}

impl Sequential {
    /// The architecture in Keras' `model.get_config()` layout (plus `training_config` once
    /// compiled): `{"class_name": "Sequential", "config": {"name": ..., "layers": [...]}}`.
    pub fn get_config(&self) -> Result<Value> {
        let layers = self
            .layers()
            .iter()
            .map(layer_to_json)
            .collect::<Result<Vec<_>>>()?;
        let mut root = json!({
            "class_name": "Sequential",
            "config": {"name": self.name(), "layers": layers},
            "keras_version": concat!("keras-lite ", env!("CARGO_PKG_VERSION")),
            "backend": "ndarray",
        });
        if let Some(c) = self.compiled() {
            let metrics: Vec<Value> = c
                .metrics
                .iter()
                .map(|(k, m)| metric_to_json(k, m))
                .collect();
            root["training_config"] = json!({
                "loss": loss_to_json(&c.loss),
                "metrics": metrics,
                "optimizer_config": {
                    "class_name": c.optimizer.name(),
                    "config": {"learning_rate": c.optimizer.learning_rate()},
                },
            });
        }
        Ok(root)
    }

    /// [`Sequential::get_config`] as pretty-printed JSON (Keras' `model.to_json()`).
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(&self.get_config()?).expect("a JSON value serializes"))
    }

    /// A new, untrained model from a configuration (Keras' `Sequential.from_config`),
    /// compiled if the configuration has a `training_config`. Weights are created fresh.
    pub fn from_config(config: &Value) -> Result<Sequential> {
        let class = text(config, "class_name", "model")?;
        if class != "Sequential" {
            return Err(bad(
                "model",
                format!("class {class:?}; keras-lite loads Sequential models only"),
            ));
        }
        let c = config
            .get("config")
            .ok_or_else(|| bad("model", "no \"config\""))?;
        let layers = c
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("model", "no \"layers\" list"))?
            .iter()
            .map(layer_from_json)
            .collect::<Result<Vec<_>>>()?;
        let mut model = match c.get("name").and_then(Value::as_str) {
            Some(n) => Sequential::named(n, layers),
            None => Sequential::new(layers),
        };
        if let Some(tc) = config.get("training_config").filter(|v| !v.is_null()) {
            let loss = loss_from_json(tc.get("loss").unwrap_or(&Value::Null))?;
            let metrics = tc
                .get("metrics")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(metric_from_json).collect::<Result<Vec<_>>>())
                .transpose()?
                .unwrap_or_default();
            let oc = tc
                .get("optimizer_config")
                .ok_or_else(|| bad("training_config", "no optimizer_config"))?;
            let opt_name = text(oc, "class_name", "optimizer_config")?;
            let optimizer =
                crate::optimizers::from_config(opt_name, oc.get("config").unwrap_or(&json!({})))?;
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
        config[WEIGHTS_FILE_KEY] = json!(name);
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
