//! Keras' optimizer lookup: by name (`get("adam")`) and from a serialized config
//! (`from_config("Adam", {"learning_rate": 0.01, ...})`), both building ch06's optimizers.
//!
//! ```
//! use keras_lite::optimizers;
//! let opt = optimizers::from_config("SGD", &serde_json::json!({
//!     "learning_rate": 0.1, "momentum": 0.9, "nesterov": true
//! }))?;
//! assert_eq!(opt.name(), "SGD");
//! assert!((opt.learning_rate() - 0.1).abs() < 1e-12);
//! # Ok::<(), keras_lite::KerasError>(())
//! ```

use crate::compile::IntoOptimizer;
use crate::error::{KerasError, Result};
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::keras::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Nadam, RMSprop, SGD,
};
use serde_json::Value;

pub use ch06_optimizers_init::keras::schedules;

/// The optimizer of Keras name `name` (`"adam"`, `"rmsprop"`, ...) with Keras' defaults.
pub fn get(name: &str) -> Result<Box<dyn Optimizer<f32>>> {
    name.into_optimizer()
}

/// Config keys Keras writes that do not change the update rule.
const IGNORED: &[&str] = &["name", "jit_compile", "is_legacy_optimizer", "decay"];

/// Reads a Keras optimizer config (`optimizer.get_config()`): the class name (`"Adam"`,
/// case-insensitive, or a Keras identifier) and the settings. Missing settings take Keras'
/// defaults; an unknown setting or a wrong type is an error naming it.
pub fn from_config(class_name: &str, config: &Value) -> Result<Box<dyn Optimizer<f32>>> {
    let map = config.as_object().ok_or_else(|| {
        KerasError::InvalidArgument(format!(
            "optimizer config for {class_name} must be a JSON object of settings, got {config}"
        ))
    })?;
    let class = class_name.to_ascii_lowercase();
    let known: &[&str] = match class.as_str() {
        "sgd" => &["learning_rate", "momentum", "nesterov"],
        "rmsprop" => &["learning_rate", "rho", "momentum", "epsilon", "centered"],
        "adagrad" => &["learning_rate", "initial_accumulator_value", "epsilon"],
        "adadelta" => &["learning_rate", "rho", "epsilon"],
        "adam" => &["learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"],
        "adamax" | "nadam" => &["learning_rate", "beta_1", "beta_2", "epsilon"],
        "ftrl" => &[
            "learning_rate",
            "learning_rate_power",
            "initial_accumulator_value",
            "l1_regularization_strength",
            "l2_regularization_strength",
            "l2_shrinkage_regularization_strength",
            "beta",
        ],
        "adamw" => &[
            "learning_rate",
            "weight_decay",
            "beta_1",
            "beta_2",
            "epsilon",
            "amsgrad",
        ],
        _ => {
            return Err(KerasError::UnknownName {
                kind: "optimizer class",
                name: class_name.to_string(),
                valid: "SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam, Ftrl, AdamW".into(),
            });
        }
    };
    const CLIPPING: [&str; 3] = ["clipnorm", "clipvalue", "global_clipnorm"];
    for (key, value) in map {
        let k = key.as_str();
        if k == "use_ema" && value.as_bool() == Some(true) {
            return Err(KerasError::Unsupported(
                "use_ema (exponential moving average of the weights) is not supported".into(),
            ));
        }
        if !known.contains(&k)
            && !CLIPPING.contains(&k)
            && !IGNORED.contains(&k)
            && !k.starts_with("ema_")
            && k != "use_ema"
        {
            return Err(KerasError::InvalidArgument(format!(
                "{class_name} has no setting {k:?}; its settings are {}, plus clipnorm, \
                 clipvalue, global_clipnorm",
                known.join(", ")
            )));
        }
    }
    let num = |key: &str, default: f64| -> Result<f64> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "{class_name}: {key} must be a number, got {v}"
                ))
            }),
        }
    };
    let flag = |key: &str| -> Result<bool> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(v) => v.as_bool().ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "{class_name}: {key} must be true or false, got {v}"
                ))
            }),
        }
    };
    let clip = |key: &str| -> Result<Option<f64>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "{class_name}: {key} must be a number, got {v}"
                ))
            }),
        }
    };
    let (clipnorm, clipvalue, global) = (
        clip("clipnorm")?,
        clip("clipvalue")?,
        clip("global_clipnorm")?,
    );
    macro_rules! finish {
        ($opt:expr) => {{
            let mut o = $opt;
            if let Some(c) = clipnorm {
                o = o.with_clipnorm(c)?;
            }
            if let Some(c) = clipvalue {
                o = o.with_clipvalue(c)?;
            }
            if let Some(c) = global {
                o = o.with_global_clipnorm(c)?;
            }
            Ok(Box::new(o) as Box<dyn Optimizer<f32>>)
        }};
    }
    let lr = num("learning_rate", if class == "sgd" { 0.01 } else { 0.001 })?;
    let eps = num("epsilon", 1e-7)?;
    match class.as_str() {
        "sgd" => finish!(SGD::<f32>::new(
            lr,
            num("momentum", 0.0)?,
            flag("nesterov")?
        )?),
        "rmsprop" => finish!(
            RMSprop::<f32>::new(lr, num("rho", 0.9)?, num("momentum", 0.0)?)?
                .with_epsilon(eps)?
                .with_centered(flag("centered")?)
        ),
        "adagrad" => finish!(
            Adagrad::<f32>::new(lr, num("initial_accumulator_value", 0.1)?)?.with_epsilon(eps)?
        ),
        "adadelta" => finish!(Adadelta::<f32>::new(lr, num("rho", 0.95)?)?.with_epsilon(eps)?),
        "adam" => finish!(
            Adam::<f32>::new(lr, num("beta_1", 0.9)?, num("beta_2", 0.999)?)?
                .with_epsilon(eps)?
                .with_amsgrad(flag("amsgrad")?)
        ),
        "adamax" => finish!(
            Adamax::<f32>::new(lr, num("beta_1", 0.9)?, num("beta_2", 0.999)?)?
                .with_epsilon(eps)?
        ),
        "nadam" => finish!(
            Nadam::<f32>::new(lr, num("beta_1", 0.9)?, num("beta_2", 0.999)?)?.with_epsilon(eps)?
        ),
        "ftrl" => finish!(
            Ftrl::<f32>::new(lr)?
                .with_learning_rate_power(num("learning_rate_power", -0.5)?)?
                .with_initial_accumulator_value(num("initial_accumulator_value", 0.1)?)?
                .with_regularization(
                    num("l1_regularization_strength", 0.0)?,
                    num("l2_regularization_strength", 0.0)?,
                    num("l2_shrinkage_regularization_strength", 0.0)?,
                )?
                .with_beta(num("beta", 0.0)?)?
        ),
        "adamw" => finish!(
            AdamW::<f32>::new(
                lr,
                num("weight_decay", 0.004)?,
                num("beta_1", 0.9)?,
                num("beta_2", 0.999)?
            )?
            .with_epsilon(eps)?
            .with_amsgrad(flag("amsgrad")?)
        ),
        _ => unreachable!("checked above"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_class_and_setting_are_errors() {
        assert!(from_config("Adamm", &json!({})).is_err());
        let e = from_config("Adam", &json!({"beta1": 0.9}))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("beta1") && e.contains("beta_1"), "{e}");
        assert!(from_config("Adam", &json!({"beta_1": "x"})).is_err());
        assert!(from_config("Adam", &json!({"beta_1": 1.5})).is_err());
    }

    #[test]
    fn defaults_and_names() {
        assert_eq!(get("rmsprop").unwrap().name(), "RMSprop");
        let o = from_config("adamw", &json!({"name": "AdamW", "clipnorm": null})).unwrap();
        assert_eq!(o.name(), "AdamW");
        assert!((o.learning_rate() - 0.001).abs() < 1e-12);
    }
}
