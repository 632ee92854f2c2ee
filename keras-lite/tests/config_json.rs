//! `config.json` stays what keras-lite wrote before its JSON went through serde derives (and
//! what Python's Keras reads): every layer class, every regularizer, constraint and
//! initializer form, activations and losses with parameters, and the training config, compared
//! key by key with `tests/data/model_configs.json`, which the hand-built `json!` code wrote.
//! Each configuration also loads back into a model that writes the same configuration.
//!
//! To rewrite the file after a deliberate change: `KL_WRITE_CONFIGS=1 cargo test -p keras-lite
//! --test config_json`, then review the diff.

use ch03_activations::keras::Activation as ActivationFn;
use ch04_loss_gradient::keras::Loss;
use keras_lite::constraints::Constraint;
use keras_lite::initializers::{FanMode, Initializer, InitializerSpec, ScalingDistribution};
use keras_lite::layers::{
    Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten,
    GlobalAveragePooling2D, InputLayer, MaxPooling2D, Reshape,
};
use keras_lite::regularizers::Regularizer;
use keras_lite::{Metric, MetricArg, Sequential};
use serde_json::Value;

const GOLDEN: &str = "tests/data/model_configs.json";

/// Models covering every layer class and every form of the values inside a layer config.
fn models() -> Vec<Sequential> {
    keras_lite::backend::clear_session();
    let image = Sequential::named(
        "images",
        vec![
            InputLayer::new(&[8, 8, 1]).into(),
            Conv2D::new(4, 3)
                .strides((1, 2))
                .padding("same")
                .activation("relu")
                .kernel_initializer("he_normal")
                .kernel_regularizer(Regularizer::L2(1e-4))
                .bias_regularizer(Regularizer::L1(0.5))
                .kernel_constraint(Constraint::MaxNorm {
                    max_value: 3.0,
                    axis: 1,
                })
                .bias_constraint(Constraint::NonNeg)
                .into(),
            Conv2D::new(2, (2, 3)).use_bias(false).name("conv_b").into(),
            MaxPooling2D::new(2).into(),
            AveragePooling2D::new((2, 1))
                .strides(1)
                .padding("same")
                .into(),
            Reshape::with_inferred_axis(&[2, 0], 1).into(),
            Reshape::new(&[4, 1, 1]).into(),
            GlobalAveragePooling2D::new().into(),
            Dense::new(3).activation("softmax").into(),
        ],
    );
    let mut dense = Sequential::new(vec![
        Flatten::new().input_shape(&[2, 3]).into(),
        Dense::new(5)
            .activation(ActivationFn::Relu {
                alpha: 0.1,
                max_value: Some(6.0),
                threshold: 0.5,
            })
            .kernel_initializer(InitializerSpec::Object {
                init: Initializer::VarianceScaling {
                    scale: 2.0,
                    mode: FanMode::FanOut,
                    distribution: ScalingDistribution::Uniform,
                },
                seed: Some(7),
            })
            .bias_initializer(Initializer::Constant(0.25))
            .kernel_regularizer(Regularizer::L1L2 { l1: 0.1, l2: 0.2 })
            .activity_regularizer(Regularizer::L2(0.3))
            .kernel_constraint(Constraint::MinMaxNorm {
                min_value: 0.5,
                max_value: 2.0,
                rate: 0.5,
                axis: 0,
            })
            .bias_constraint(Constraint::UnitNorm { axis: 0 })
            .into(),
        Activation::new(ActivationFn::Elu { alpha: 0.5 }).into(),
        Dropout::new(0.3).seed(11).into(),
        Dropout::new(0.1).into(),
        BatchNormalization::new()
            .momentum(0.9)
            .epsilon(1e-5)
            .center(false)
            .into(),
        Dense::new(4)
            .activation(ActivationFn::LeakyRelu { alpha: 0.3 })
            .kernel_initializer(InitializerSpec::Object {
                init: Initializer::RandomNormal {
                    mean: 0.5,
                    stddev: 0.1,
                },
                seed: None,
            })
            .bias_initializer(InitializerSpec::Object {
                init: Initializer::RandomUniform {
                    minval: -0.1,
                    maxval: 0.2,
                },
                seed: Some(3),
            })
            .into(),
        Dense::new(4)
            .activation(ActivationFn::Gelu { approximate: true })
            .kernel_initializer(InitializerSpec::Object {
                init: Initializer::Orthogonal { gain: 1.5 },
                seed: None,
            })
            .bias_initializer(InitializerSpec::Object {
                init: Initializer::TruncatedNormal {
                    mean: 0.0,
                    stddev: 0.2,
                },
                seed: None,
            })
            .into(),
        Dense::new(4)
            .kernel_initializer(InitializerSpec::Object {
                init: Initializer::Identity { gain: 2.0 },
                seed: None,
            })
            .bias_initializer(InitializerSpec::Object {
                init: Initializer::Zeros,
                seed: None,
            })
            .into(),
        Dense::new(3)
            .kernel_initializer(InitializerSpec::Object {
                init: Initializer::Ones,
                seed: Some(1),
            })
            .activation("softmax")
            .into(),
    ]);
    dense
        .compile(
            "rmsprop",
            Loss::CategoricalCrossentropy {
                from_logits: false,
                label_smoothing: 0.1,
            },
            &[
                MetricArg::from("accuracy"),
                MetricArg::from(Metric::TopKCategoricalAccuracy { k: 2 }),
                MetricArg::from(Metric::Loss(Loss::Huber { delta: 2.0 })),
                MetricArg::from("mae"),
            ],
        )
        .unwrap();
    let mut binary = Sequential::new(vec![
        Dense::new(1).input_shape(&[3]).activation("sigmoid").into(),
    ]);
    binary
        .compile(
            "sgd",
            Loss::BinaryCrossentropy {
                from_logits: false,
                label_smoothing: 0.2,
            },
            &[MetricArg::from(Metric::BinaryAccuracy { threshold: 0.7 })],
        )
        .unwrap();
    let mut sparse = Sequential::new(vec![Dense::new(3).input_shape(&[2]).into()]);
    sparse
        .compile(
            "adam",
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            &[MetricArg::from(Metric::SparseTopKCategoricalAccuracy {
                k: 2,
            })],
        )
        .unwrap();
    let mut huber = Sequential::new(vec![Dense::new(1).input_shape(&[2]).into()]);
    huber
        .compile("adam", Loss::Huber { delta: 0.5 }, &["mse"])
        .unwrap();
    vec![image, dense, binary, sparse, huber]
}

fn configs() -> Value {
    Value::Array(models().iter().map(|m| m.get_config().unwrap()).collect())
}

/// The first difference between `a` and `b`, as a path, or None.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_difference(u, v, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                    (u, v) => return Some(format!("{path}.{k}: {u:?} vs {v:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ => (a != b).then(|| format!("{path}: {a} vs {b}")),
    }
}

#[test]
fn configs_are_written_as_before_key_by_key() {
    let now = configs();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("KL_WRITE_CONFIGS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let before: Value = serde_json::from_str(&text).unwrap();
    if let Some(d) = first_difference(&now, &before, "") {
        panic!("config.json changed at {d}");
    }
    // Byte for byte too: the same keys in the same order, the same numbers.
    let written: Vec<String> = models().iter().map(|m| m.to_json().unwrap()).collect();
    let golden: Vec<String> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|v| serde_json::to_string_pretty(v).unwrap())
        .collect();
    assert_eq!(written, golden);
}

#[test]
fn every_config_loads_back_into_the_same_model() {
    for config in configs().as_array().unwrap() {
        let model = Sequential::from_config(config).unwrap();
        let again = model.get_config().unwrap();
        if let Some(d) = first_difference(&again, config, "") {
            panic!("from_config then get_config changed {d}");
        }
    }
}
