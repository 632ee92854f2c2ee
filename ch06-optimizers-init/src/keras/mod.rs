//! The Keras catalog of chapter 6, beside the book and not part of it: Keras' initializers
//! ([`initializers`]: Glorot, He, LeCun, orthogonal, ...) and optimizers. A student reading
//! the book may skip it; `keras-lite` builds its layers and `compile`s with it. Keras' `Adam`
//! runs the book's update kernel ([`crate::book::AdamStep`]).
//!
//! Keras' optimizers (`tf.keras.optimizers`, Keras 2), with Keras' defaults and exactly
//! Keras' float32 arithmetic: each update matches TensorFlow's trajectories in the parity
//! fixture (see `tests/keras_parity.rs`).
//!
//! | Keras name | type | defaults (the constants of [`defaults`]) |
//! |---|---|---|
//! | `sgd` | [`SGD`] | [`defaults::sgd`] |
//! | `rmsprop` | [`RMSprop`] | [`defaults::rmsprop`] |
//! | `adagrad` | [`Adagrad`] | [`defaults::adagrad`] |
//! | `adadelta` | [`Adadelta`] | [`defaults::adadelta`] |
//! | `adam` | [`Adam`] | [`defaults::adam`] |
//! | `adamax` | [`Adamax`] | [`defaults::adamax`] |
//! | `nadam` | [`Nadam`] | [`defaults::nadam`] |
//! | `ftrl` | [`Ftrl`] | [`defaults::ftrl`] |
//! | `adamw` | [`AdamW`] | [`defaults::adamw`] |
//!
//! Every optimizer also takes the base settings of [`base::Base`]: `with_clipnorm`,
//! `with_clipvalue`, `with_global_clipnorm`, `with_weight_decay`,
//! `exclude_from_weight_decay`, and `with_schedule` (a [`schedules::LearningRateSchedule`]).
//!
//! Float32 details that make the trajectories bit-exact: hyper-parameters are rounded to the
//! parameter's type once (`A::of`), `b^t` is computed in `f64` from the rounded `b` and
//! rounded once, and constants such as `1 - b1` are computed in `f64` then rounded (except in
//! Nadam, which casts `b1` first, as Keras does).
//!
//! ```
//! use ch06_optimizers_init::keras::{Adam, optimizer_from_name, schedules::ExponentialDecay};
//! use ch06_optimizers_init::Optimizer;
//!
//! // By name, with Keras' defaults:
//! let opt = optimizer_from_name::<f32>("adam").unwrap();
//! assert_eq!(opt.name(), "Adam");
//! assert!((opt.learning_rate() - 0.001).abs() < 1e-12);
//! // An unknown name lists the valid ones:
//! let err = optimizer_from_name::<f32>("adan").err().unwrap().to_string();
//! assert!(err.contains("adam") && err.contains("rmsprop"));
//!
//! // By object, with settings, clipping and a schedule:
//! let opt = Adam::<f32>::new(0.01, 0.9, 0.999).unwrap()
//!     .with_amsgrad(true)
//!     .with_clipnorm(1.0).unwrap()
//!     .with_schedule(ExponentialDecay::new(0.01, 100, 0.5, false).unwrap());
//! assert!((opt.learning_rate() - 0.01).abs() < 1e-12);
//! // Invalid settings are errors naming the setting and its range:
//! let err = Adam::<f32>::new(0.001, 1.5, 0.999).err().unwrap().to_string();
//! assert_eq!(err, "Adam: beta_1 = 1.5 is invalid; it must be in [0, 1)");
//! ```

pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod adamw;
pub mod base;
pub mod defaults;
pub mod ftrl;
pub mod initializers;
pub mod nadam;
pub mod rmsprop;
pub mod schedules;
pub mod sgd;

pub use adadelta::Adadelta;
pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamax::Adamax;
pub use adamw::AdamW;
pub use base::{Base, Clipping};
pub use ftrl::Ftrl;
pub use nadam::Nadam;
pub use rmsprop::RMSprop;
pub use sgd::SGD;

use crate::optimizer::{Optimizer, OptimizerError};
use ch03_activations::Float;
use std::str::FromStr;

/// The Keras identifier of an optimizer: `"adam".parse::<OptimizerName>()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OptimizerName {
    Sgd,
    RmsProp,
    Adagrad,
    Adadelta,
    Adam,
    Adamax,
    Nadam,
    Ftrl,
    AdamW,
}

impl OptimizerName {
    /// Every name, in Keras' documentation order.
    pub const ALL: [OptimizerName; 9] = [
        OptimizerName::Sgd,
        OptimizerName::RmsProp,
        OptimizerName::Adagrad,
        OptimizerName::Adadelta,
        OptimizerName::Adam,
        OptimizerName::Adamax,
        OptimizerName::Nadam,
        OptimizerName::Ftrl,
        OptimizerName::AdamW,
    ];

    /// The string identifier Keras accepts (`"rmsprop"`).
    pub fn as_str(self) -> &'static str {
        match self {
            OptimizerName::Sgd => "sgd",
            OptimizerName::RmsProp => "rmsprop",
            OptimizerName::Adagrad => "adagrad",
            OptimizerName::Adadelta => "adadelta",
            OptimizerName::Adam => "adam",
            OptimizerName::Adamax => "adamax",
            OptimizerName::Nadam => "nadam",
            OptimizerName::Ftrl => "ftrl",
            OptimizerName::AdamW => "adamw",
        }
    }

    /// The optimizer with Keras' default settings.
    pub fn build<A: Float + 'static>(self) -> Box<dyn Optimizer<A>> {
        match self {
            OptimizerName::Sgd => Box::new(SGD::<A>::default()),
            OptimizerName::RmsProp => Box::new(RMSprop::<A>::default()),
            OptimizerName::Adagrad => Box::new(Adagrad::<A>::default()),
            OptimizerName::Adadelta => Box::new(Adadelta::<A>::default()),
            OptimizerName::Adam => Box::new(Adam::<A>::default()),
            OptimizerName::Adamax => Box::new(Adamax::<A>::default()),
            OptimizerName::Nadam => Box::new(Nadam::<A>::default()),
            OptimizerName::Ftrl => Box::new(Ftrl::<A>::default()),
            OptimizerName::AdamW => Box::new(AdamW::<A>::default()),
        }
    }

    /// `"sgd, rmsprop, ..."`: the valid names, for error messages.
    pub fn valid_names() -> String {
        Self::ALL.map(|n| n.as_str()).join(", ")
    }
}

impl std::fmt::Display for OptimizerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OptimizerName {
    type Err = OptimizerError;

    /// Case-insensitive, as Keras' `optimizers.get` (`"Adam"` and `"adam"` both work).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|n| n.as_str() == lower)
            .ok_or_else(|| OptimizerError::UnknownName {
                name: s.to_string(),
                valid: Self::valid_names(),
            })
    }
}

/// Keras' `tf.keras.optimizers.get("adam")`: the optimizer of that name with default
/// settings, or an error listing the valid names.
pub fn optimizer_from_name<A: Float + 'static>(
    name: &str,
) -> Result<Box<dyn Optimizer<A>>, OptimizerError> {
    Ok(name.parse::<OptimizerName>()?.build())
}
