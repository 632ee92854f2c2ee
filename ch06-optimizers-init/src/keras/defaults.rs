//! Keras' default settings of each optimizer (`tf.keras.optimizers.*` of tf_keras 2.21, the
//! Keras 2 optimizers): the one place these numbers are written.
//!
//! Each optimizer's `Default` here, keras-lite's `optimizers::{SGD, RMSprop, ...}` builders and
//! its reader of saved configs take their defaults from these constants, so a default changes
//! in one place.

/// `epsilon` of every optimizer that has one (Keras 2: `1e-7`).
pub const EPSILON: f64 = 1e-7;

/// `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
pub mod sgd {
    pub const LEARNING_RATE: f64 = 0.01;
    pub const MOMENTUM: f64 = 0.0;
    pub const NESTEROV: bool = false;
}

/// `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
pub mod rmsprop {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const RHO: f64 = 0.9;
    pub const MOMENTUM: f64 = 0.0;
    pub const EPSILON: f64 = super::EPSILON;
    pub const CENTERED: bool = false;
}

/// `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
pub mod adagrad {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const INITIAL_ACCUMULATOR_VALUE: f64 = 0.1;
    pub const EPSILON: f64 = super::EPSILON;
}

/// `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
pub mod adadelta {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const RHO: f64 = 0.95;
    pub const EPSILON: f64 = super::EPSILON;
}

/// `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
pub mod adam {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const BETA_1: f64 = 0.9;
    pub const BETA_2: f64 = 0.999;
    pub const EPSILON: f64 = super::EPSILON;
    pub const AMSGRAD: bool = false;
}

/// `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
pub mod adamax {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const BETA_1: f64 = 0.9;
    pub const BETA_2: f64 = 0.999;
    pub const EPSILON: f64 = super::EPSILON;
}

/// `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
pub mod nadam {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const BETA_1: f64 = 0.9;
    pub const BETA_2: f64 = 0.999;
    pub const EPSILON: f64 = super::EPSILON;
}

/// `Ftrl(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
/// l1_regularization_strength=0.0, l2_regularization_strength=0.0,
/// l2_shrinkage_regularization_strength=0.0, beta=0.0)`.
pub mod ftrl {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const LEARNING_RATE_POWER: f64 = -0.5;
    pub const INITIAL_ACCUMULATOR_VALUE: f64 = 0.1;
    pub const L1_REGULARIZATION_STRENGTH: f64 = 0.0;
    pub const L2_REGULARIZATION_STRENGTH: f64 = 0.0;
    pub const L2_SHRINKAGE_REGULARIZATION_STRENGTH: f64 = 0.0;
    pub const BETA: f64 = 0.0;
}

/// `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
/// amsgrad=False)`.
pub mod adamw {
    pub const LEARNING_RATE: f64 = 0.001;
    pub const WEIGHT_DECAY: f64 = 0.004;
    pub const BETA_1: f64 = 0.9;
    pub const BETA_2: f64 = 0.999;
    pub const EPSILON: f64 = super::EPSILON;
    pub const AMSGRAD: bool = false;
}
