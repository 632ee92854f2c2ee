//! Keras' optimizers, as `tf.keras.optimizers` spells them: [`SGD`], [`RMSprop`], [`Adam`],
//! [`Adamax`], [`Nadam`], [`Adagrad`], [`Adadelta`], [`Ftrl`], [`AdamW`], with Keras'
//! defaults and a named setter per argument.
//!
//! | Keras (tf_keras 2.21) | keras-lite |
//! |---|---|
//! | `optimizer="rmsprop"` | `"rmsprop"` (any Keras name, with the defaults) |
//! | `RMSprop(learning_rate=1e-3, rho=0.9)` | `RMSprop::default().learning_rate(1e-3).rho(0.9)` |
//! | `SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0)` | `SGD::default().learning_rate(0.1).momentum(0.9).nesterov(true).clipnorm(1.0)` |
//! | `Adam(learning_rate=ExponentialDecay(1e-2, 100, 0.5))` | `Adam::default().schedule(ExponentialDecay::new(1e-2, 100, 0.5, false)?)` |
//! | `optimizer.get_config()` read back | [`from_config`]`("Adam", &config)` |
//!
//! The defaults are not written here: every builder starts from the constants of
//! `ch06_optimizers_init::keras::defaults`, the one table of Keras' defaults, which ch06's own
//! `Default`s use too. The update rules are ch06's `keras::*` optimizers (checked against
//! TensorFlow's trajectories); a builder only collects the settings.
//!
//! Setters take any value; the settings are checked when the optimizer is built, by
//! `compile` or by [`Adam::build`] and the like, and a bad one is a [`KerasError`] naming the
//! setting and its range (`Adam: beta_1 = 1.5 is invalid; it must be in [0, 1)`).
//!
//! ```
//! use keras_lite::optimizers::{Adam, RMSprop};
//! use keras_lite::layers::Dense;
//! use keras_lite::Sequential;
//!
//! let mut model = Sequential::new(vec![Dense::new(3).input_shape(&[4]).into()]);
//! model.compile(RMSprop::default().learning_rate(1e-3).rho(0.9), "mse", keras_lite::NO_METRICS)?;
//! assert_eq!(model.optimizer().unwrap().name(), "RMSprop");
//! // Checked when built: a bad setting is an error naming it, and compile keeps nothing.
//! let err = model.compile(Adam::default().beta_1(1.5), "mse", keras_lite::NO_METRICS).unwrap_err();
//! assert_eq!(err.to_string(), "Adam: beta_1 = 1.5 is invalid; it must be in [0, 1)");
//! # Ok::<(), keras_lite::KerasError>(())
//! ```
//!
//! # The book's optimizers
//!
//! Chapter 6's `book::{SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam}` follow the book, not
//! Keras: other defaults (the book's `RMSprop` decays by 0.99 and adds its epsilon outside the
//! root) and other arithmetic. `compile` does not take them directly, so a wrong import cannot
//! change the algorithm unnoticed; [`from_book`] is the explicit way:
//!
//! ```
//! use ch06_optimizers_init::book;
//! use keras_lite::optimizers::from_book;
//! # use keras_lite::{Sequential, layers::Dense};
//! # let mut model = Sequential::new(vec![Dense::new(3).input_shape(&[4]).into()]);
//! model.compile(from_book(book::Momentum::new(0.01, 0.9)), "mse", keras_lite::NO_METRICS)?;
//! # Ok::<(), keras_lite::KerasError>(())
//! ```
//!
//! Without it, the book's optimizer is refused by the compiler (`IntoOptimizer` is not
//! implemented for it):
//!
//! ```compile_fail
//! use ch06_optimizers_init::book;
//! # use keras_lite::{Sequential, layers::Dense};
//! # let mut model = Sequential::new(vec![Dense::new(3).input_shape(&[4]).into()]);
//! model.compile(book::RMSprop::<f32>::new(0.001, 0.99), "mse", keras_lite::NO_METRICS).unwrap();
//! ```

use crate::compile::IntoOptimizer;
use crate::error::{KerasError, Result};
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::keras::{self as ch06_keras, defaults};
use ch06_optimizers_init::optimizer::OptimizerError;
use serde_json::Value;

pub use ch06_optimizers_init::keras::schedules;
use schedules::LearningRateSchedule;

/// The optimizer of Keras name `name` (`"adam"`, `"rmsprop"`, ...) with Keras' defaults.
pub fn get(name: &str) -> Result<Box<dyn Optimizer<f32>>> {
    name.into_optimizer()
}

/// The settings every Keras optimizer shares (tf_keras' base `Optimizer`): a schedule in place
/// of the constant learning rate, gradient clipping, decoupled weight decay.
#[derive(Debug, Clone, Default)]
struct Common {
    schedule: Option<Box<dyn LearningRateSchedule>>,
    clipnorm: Option<f64>,
    clipvalue: Option<f64>,
    global_clipnorm: Option<f64>,
    weight_decay: Option<f64>,
    exclude_from_weight_decay: Vec<String>,
}

/// A boxed schedule handed on to ch06 (which takes a schedule by value).
#[derive(Debug)]
struct Scheduled(Box<dyn LearningRateSchedule>);

impl LearningRateSchedule for Scheduled {
    fn at(&self, step: u64) -> f64 {
        self.0.at(step)
    }
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        self.0.clone_box()
    }
}

/// The setters of the shared settings, for each builder.
macro_rules! common_setters {
    ($ty:ident) => {
        impl $ty {
            /// The step size (Keras' `learning_rate`), checked `>= 0` when built.
            pub fn learning_rate(mut self, learning_rate: f64) -> Self {
                self.learning_rate = learning_rate;
                self
            }

            /// Drives the learning rate by a schedule (Keras' `learning_rate=ExponentialDecay(..)`),
            /// in place of the constant rate.
            pub fn schedule(mut self, schedule: impl LearningRateSchedule + 'static) -> Self {
                self.common.schedule = Some(Box::new(schedule));
                self
            }

            /// Clips each gradient to L2 norm `clipnorm` (> 0). At most one of `clipnorm`,
            /// `clipvalue`, `global_clipnorm`, as in Keras.
            pub fn clipnorm(mut self, clipnorm: f64) -> Self {
                self.common.clipnorm = Some(clipnorm);
                self
            }

            /// Clips each gradient element to `[-clipvalue, clipvalue]` (`clipvalue > 0`).
            pub fn clipvalue(mut self, clipvalue: f64) -> Self {
                self.common.clipvalue = Some(clipvalue);
                self
            }

            /// Scales all gradients of a step together so that their joint L2 norm is at most
            /// `global_clipnorm` (> 0).
            pub fn global_clipnorm(mut self, global_clipnorm: f64) -> Self {
                self.common.global_clipnorm = Some(global_clipnorm);
                self
            }

            /// Skips weight decay for parameters whose name contains one of `names`.
            pub fn exclude_from_weight_decay(mut self, names: &[&str]) -> Self {
                self.common.exclude_from_weight_decay =
                    names.iter().map(|n| n.to_string()).collect();
                self
            }
        }

        impl IntoOptimizer for $ty {
            /// Builds (and so checks) the optimizer.
            fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
                Ok(Box::new(self.build()?))
            }
        }
    };
}

/// The `weight_decay` setter of the optimizers for which it is a base setting (all but AdamW,
/// where it is the optimizer's own argument).
macro_rules! weight_decay_setter {
    ($ty:ident) => {
        impl $ty {
            /// Decoupled weight decay (>= 0): before each update `w <- w - w * wd * lr`
            /// (Keras' `weight_decay`, default none).
            pub fn weight_decay(mut self, weight_decay: f64) -> Self {
                self.common.weight_decay = Some(weight_decay);
                self
            }
        }
    };
}

/// Applies the shared settings to a built ch06 optimizer `$opt` (checked there).
macro_rules! with_common {
    ($common:expr, $opt:expr) => {{
        let c: &Common = $common;
        let mut o = $opt;
        if let Some(s) = &c.schedule {
            o = o.with_schedule(Scheduled(s.clone()));
        }
        if let Some(v) = c.clipnorm {
            o = o.with_clipnorm(v)?;
        }
        if let Some(v) = c.clipvalue {
            o = o.with_clipvalue(v)?;
        }
        if let Some(v) = c.global_clipnorm {
            o = o.with_global_clipnorm(v)?;
        }
        if let Some(v) = c.weight_decay {
            o = o.with_weight_decay(v)?;
        }
        if !c.exclude_from_weight_decay.is_empty() {
            let names: Vec<&str> = c
                .exclude_from_weight_decay
                .iter()
                .map(String::as_str)
                .collect();
            o = o.exclude_from_weight_decay(&names);
        }
        Ok(o)
    }};
}

/// Keras' `SGD`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::sgd`):
/// `SGD::default().learning_rate(0.1).momentum(0.9).nesterov(true)`.
#[derive(Debug, Clone)]
#[allow(clippy::upper_case_acronyms)]
pub struct SGD {
    learning_rate: f64,
    momentum: f64,
    nesterov: bool,
    common: Common,
}

impl Default for SGD {
    fn default() -> Self {
        use defaults::sgd as d;
        SGD {
            learning_rate: d::LEARNING_RATE,
            momentum: d::MOMENTUM,
            nesterov: d::NESTEROV,
            common: Common::default(),
        }
    }
}

impl SGD {
    /// The velocity's decay, in `[0, 1]`.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Nesterov momentum.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::SGD<f32>> {
        with_common!(
            &self.common,
            ch06_keras::SGD::new(self.learning_rate, self.momentum, self.nesterov)?
        )
    }
}
common_setters!(SGD);
weight_decay_setter!(SGD);

/// Keras' `RMSprop`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::rmsprop`):
/// `RMSprop::default().learning_rate(1e-3).rho(0.9)`.
#[derive(Debug, Clone)]
pub struct RMSprop {
    learning_rate: f64,
    rho: f64,
    momentum: f64,
    epsilon: f64,
    centered: bool,
    common: Common,
}

impl Default for RMSprop {
    fn default() -> Self {
        use defaults::rmsprop as d;
        RMSprop {
            learning_rate: d::LEARNING_RATE,
            rho: d::RHO,
            momentum: d::MOMENTUM,
            epsilon: d::EPSILON,
            centered: d::CENTERED,
            common: Common::default(),
        }
    }
}

impl RMSprop {
    /// The decay of the running mean of `g^2`, in `[0, 1)`.
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Momentum on the step, in `[0, 1]`.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Added under the root, `> 0`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Normalize by the gradient's estimated variance instead of its second moment.
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::RMSprop<f32>> {
        with_common!(
            &self.common,
            ch06_keras::RMSprop::new(self.learning_rate, self.rho, self.momentum)?
                .with_epsilon(self.epsilon)?
                .with_centered(self.centered)
        )
    }
}
common_setters!(RMSprop);
weight_decay_setter!(RMSprop);

/// Keras' `Adagrad`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::adagrad`).
#[derive(Debug, Clone)]
pub struct Adagrad {
    learning_rate: f64,
    initial_accumulator_value: f64,
    epsilon: f64,
    common: Common,
}

impl Default for Adagrad {
    fn default() -> Self {
        use defaults::adagrad as d;
        Adagrad {
            learning_rate: d::LEARNING_RATE,
            initial_accumulator_value: d::INITIAL_ACCUMULATOR_VALUE,
            epsilon: d::EPSILON,
            common: Common::default(),
        }
    }
}

impl Adagrad {
    /// The accumulators' starting value, `>= 0`.
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// Added to the root, `> 0`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Adagrad<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Adagrad::new(self.learning_rate, self.initial_accumulator_value)?
                .with_epsilon(self.epsilon)?
        )
    }
}
common_setters!(Adagrad);
weight_decay_setter!(Adagrad);

/// Keras' `Adadelta`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::adadelta`).
#[derive(Debug, Clone)]
pub struct Adadelta {
    learning_rate: f64,
    rho: f64,
    epsilon: f64,
    common: Common,
}

impl Default for Adadelta {
    fn default() -> Self {
        use defaults::adadelta as d;
        Adadelta {
            learning_rate: d::LEARNING_RATE,
            rho: d::RHO,
            epsilon: d::EPSILON,
            common: Common::default(),
        }
    }
}

impl Adadelta {
    /// The decay of the running means, in `[0, 1)`.
    pub fn rho(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Added under the roots, `> 0`.
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Adadelta<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Adadelta::new(self.learning_rate, self.rho)?.with_epsilon(self.epsilon)?
        )
    }
}
common_setters!(Adadelta);
weight_decay_setter!(Adadelta);

/// The settings of Adam, Adamax and Nadam (and AdamW's besides its weight decay).
macro_rules! beta_setters {
    ($ty:ident) => {
        impl $ty {
            /// The decay of the first moment, in `[0, 1)`.
            pub fn beta_1(mut self, beta_1: f64) -> Self {
                self.beta_1 = beta_1;
                self
            }

            /// The decay of the second moment, in `[0, 1)`.
            pub fn beta_2(mut self, beta_2: f64) -> Self {
                self.beta_2 = beta_2;
                self
            }

            /// Added to the root, `> 0`.
            pub fn epsilon(mut self, epsilon: f64) -> Self {
                self.epsilon = epsilon;
                self
            }
        }
    };
}

/// Keras' `Adam`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::adam`):
/// `Adam::default().learning_rate(1e-4).amsgrad(true)`.
#[derive(Debug, Clone)]
pub struct Adam {
    learning_rate: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    amsgrad: bool,
    common: Common,
}

impl Default for Adam {
    fn default() -> Self {
        use defaults::adam as d;
        Adam {
            learning_rate: d::LEARNING_RATE,
            beta_1: d::BETA_1,
            beta_2: d::BETA_2,
            epsilon: d::EPSILON,
            amsgrad: d::AMSGRAD,
            common: Common::default(),
        }
    }
}

impl Adam {
    /// The AMSGrad variant (the maximum of the second moments so far).
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Adam<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Adam::new(self.learning_rate, self.beta_1, self.beta_2)?
                .with_epsilon(self.epsilon)?
                .with_amsgrad(self.amsgrad)
        )
    }
}
common_setters!(Adam);
weight_decay_setter!(Adam);
beta_setters!(Adam);

/// Keras' `Adamax`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::adamax`).
#[derive(Debug, Clone)]
pub struct Adamax {
    learning_rate: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    common: Common,
}

impl Default for Adamax {
    fn default() -> Self {
        use defaults::adamax as d;
        Adamax {
            learning_rate: d::LEARNING_RATE,
            beta_1: d::BETA_1,
            beta_2: d::BETA_2,
            epsilon: d::EPSILON,
            common: Common::default(),
        }
    }
}

impl Adamax {
    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Adamax<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Adamax::new(self.learning_rate, self.beta_1, self.beta_2)?
                .with_epsilon(self.epsilon)?
        )
    }
}
common_setters!(Adamax);
weight_decay_setter!(Adamax);
beta_setters!(Adamax);

/// Keras' `Nadam`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::nadam`).
#[derive(Debug, Clone)]
pub struct Nadam {
    learning_rate: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    common: Common,
}

impl Default for Nadam {
    fn default() -> Self {
        use defaults::nadam as d;
        Nadam {
            learning_rate: d::LEARNING_RATE,
            beta_1: d::BETA_1,
            beta_2: d::BETA_2,
            epsilon: d::EPSILON,
            common: Common::default(),
        }
    }
}

impl Nadam {
    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Nadam<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Nadam::new(self.learning_rate, self.beta_1, self.beta_2)?
                .with_epsilon(self.epsilon)?
        )
    }
}
common_setters!(Nadam);
weight_decay_setter!(Nadam);
beta_setters!(Nadam);

/// Keras' `Ftrl`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::ftrl`).
#[derive(Debug, Clone)]
pub struct Ftrl {
    learning_rate: f64,
    learning_rate_power: f64,
    initial_accumulator_value: f64,
    l1_regularization_strength: f64,
    l2_regularization_strength: f64,
    l2_shrinkage_regularization_strength: f64,
    beta: f64,
    common: Common,
}

impl Default for Ftrl {
    fn default() -> Self {
        use defaults::ftrl as d;
        Ftrl {
            learning_rate: d::LEARNING_RATE,
            learning_rate_power: d::LEARNING_RATE_POWER,
            initial_accumulator_value: d::INITIAL_ACCUMULATOR_VALUE,
            l1_regularization_strength: d::L1_REGULARIZATION_STRENGTH,
            l2_regularization_strength: d::L2_REGULARIZATION_STRENGTH,
            l2_shrinkage_regularization_strength: d::L2_SHRINKAGE_REGULARIZATION_STRENGTH,
            beta: d::BETA,
            common: Common::default(),
        }
    }
}

impl Ftrl {
    /// How the step shrinks with the accumulated `g^2`, `<= 0`.
    pub fn learning_rate_power(mut self, power: f64) -> Self {
        self.learning_rate_power = power;
        self
    }

    /// The accumulators' starting value, `>= 0`.
    pub fn initial_accumulator_value(mut self, value: f64) -> Self {
        self.initial_accumulator_value = value;
        self
    }

    /// L1 regularization strength, `>= 0`.
    pub fn l1_regularization_strength(mut self, l1: f64) -> Self {
        self.l1_regularization_strength = l1;
        self
    }

    /// L2 regularization strength, `>= 0`.
    pub fn l2_regularization_strength(mut self, l2: f64) -> Self {
        self.l2_regularization_strength = l2;
        self
    }

    /// L2 shrinkage regularization strength, `>= 0`.
    pub fn l2_shrinkage_regularization_strength(mut self, l2_shrinkage: f64) -> Self {
        self.l2_shrinkage_regularization_strength = l2_shrinkage;
        self
    }

    /// `beta`, `>= 0`.
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::Ftrl<f32>> {
        with_common!(
            &self.common,
            ch06_keras::Ftrl::new(self.learning_rate)?
                .with_learning_rate_power(self.learning_rate_power)?
                .with_initial_accumulator_value(self.initial_accumulator_value)?
                .with_regularization(
                    self.l1_regularization_strength,
                    self.l2_regularization_strength,
                    self.l2_shrinkage_regularization_strength,
                )?
                .with_beta(self.beta)?
        )
    }
}
common_setters!(Ftrl);
weight_decay_setter!(Ftrl);

/// Keras' `AdamW`, with Keras' defaults (`ch06_optimizers_init::keras::defaults::adamw`).
#[derive(Debug, Clone)]
pub struct AdamW {
    learning_rate: f64,
    weight_decay: f64,
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    amsgrad: bool,
    common: Common,
}

impl Default for AdamW {
    fn default() -> Self {
        use defaults::adamw as d;
        AdamW {
            learning_rate: d::LEARNING_RATE,
            weight_decay: d::WEIGHT_DECAY,
            beta_1: d::BETA_1,
            beta_2: d::BETA_2,
            epsilon: d::EPSILON,
            amsgrad: d::AMSGRAD,
            common: Common::default(),
        }
    }
}

impl AdamW {
    /// The decoupled weight decay, `>= 0`.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// The AMSGrad variant.
    pub fn amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    /// The checked ch06 optimizer.
    pub fn build(&self) -> Result<ch06_keras::AdamW<f32>> {
        with_common!(
            &self.common,
            ch06_keras::AdamW::new(
                self.learning_rate,
                self.weight_decay,
                self.beta_1,
                self.beta_2
            )?
            .with_epsilon(self.epsilon)?
            .with_amsgrad(self.amsgrad)
        )
    }
}
common_setters!(AdamW);
beta_setters!(AdamW);

/// One of the book's optimizers of chapter 6, given to `compile` on purpose (see the module
/// docs): `compile(from_book(book::Adam::new(0.001, 0.9, 0.999)), ...)`.
pub struct BookOptimizer(Result<Box<dyn Optimizer<f32>>>);

/// The book's optimizers (`ch06_optimizers_init::book::*`), as they are or as their
/// constructors return them (`Result`, checked when compiled).
pub trait BookRule {
    /// The optimizer, or the error its constructor gave.
    fn into_boxed(self) -> Result<Box<dyn Optimizer<f32>>>;
}

macro_rules! book_rules {
    ($($t:ty),*) => {$(
        impl BookRule for $t {
            fn into_boxed(self) -> Result<Box<dyn Optimizer<f32>>> {
                Ok(Box::new(self))
            }
        }
        impl BookRule for std::result::Result<$t, OptimizerError> {
            fn into_boxed(self) -> Result<Box<dyn Optimizer<f32>>> {
                Ok(Box::new(self?))
            }
        }
    )*};
}
mod book_impls {
    use super::*;
    use ch06_optimizers_init::book::{AdaGrad, Adam, Momentum, Nesterov, RMSprop, SGD};
    book_rules!(
        SGD,
        Momentum<f32>,
        Nesterov<f32>,
        AdaGrad<f32>,
        RMSprop<f32>,
        Adam<f32>
    );
}

/// Lets `compile` take one of the book's optimizers (whose defaults and arithmetic are the
/// book's, not Keras'): `model.compile(from_book(book::Momentum::new(0.01, 0.9)), ...)`.
pub fn from_book(optimizer: impl BookRule) -> BookOptimizer {
    BookOptimizer(optimizer.into_boxed())
}

impl IntoOptimizer for BookOptimizer {
    fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
        self.0
    }
}

/// Config keys Keras writes that do not change the update rule.
const IGNORED: &[&str] = &["name", "jit_compile", "is_legacy_optimizer", "decay"];

/// Reads a Keras optimizer config (`optimizer.get_config()`): the class name (`"Adam"`,
/// case-insensitive, or a Keras identifier) and the settings. Missing settings take Keras'
/// defaults; an unknown setting or a wrong type is an error naming it.
///
/// ```
/// use keras_lite::optimizers;
/// let opt = optimizers::from_config("SGD", &serde_json::json!({
///     "learning_rate": 0.1, "momentum": 0.9, "nesterov": true
/// }))?;
/// assert_eq!(opt.name(), "SGD");
/// assert!((opt.learning_rate() - 0.1).abs() < 1e-12);
/// # Ok::<(), keras_lite::KerasError>(())
/// ```
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
    // A setting present in the config (and not null), read as a number or a flag.
    let num = |key: &str| -> Result<Option<f64>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "{class_name}: {key} must be a number, got {v}"
                ))
            }),
        }
    };
    let flag = |key: &str| -> Result<Option<bool>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_bool().map(Some).ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "{class_name}: {key} must be true or false, got {v}"
                ))
            }),
        }
    };
    // Starts from the builder's defaults (Keras'); each setting present replaces one.
    macro_rules! set {
        ($b:ident, $($key:ident : $read:ident),*) => {{
            $( if let Some(v) = $read(stringify!($key))? { $b = $b.$key(v); } )*
            if let Some(v) = num("clipnorm")? { $b = $b.clipnorm(v); }
            if let Some(v) = num("clipvalue")? { $b = $b.clipvalue(v); }
            if let Some(v) = num("global_clipnorm")? { $b = $b.global_clipnorm(v); }
            $b.into_optimizer()
        }};
    }
    match class.as_str() {
        "sgd" => {
            let mut b = SGD::default();
            set!(b, learning_rate: num, momentum: num, nesterov: flag)
        }
        "rmsprop" => {
            let mut b = RMSprop::default();
            set!(b, learning_rate: num, rho: num, momentum: num, epsilon: num, centered: flag)
        }
        "adagrad" => {
            let mut b = Adagrad::default();
            set!(b, learning_rate: num, initial_accumulator_value: num, epsilon: num)
        }
        "adadelta" => {
            let mut b = Adadelta::default();
            set!(b, learning_rate: num, rho: num, epsilon: num)
        }
        "adam" => {
            let mut b = Adam::default();
            set!(b, learning_rate: num, beta_1: num, beta_2: num, epsilon: num, amsgrad: flag)
        }
        "adamax" => {
            let mut b = Adamax::default();
            set!(b, learning_rate: num, beta_1: num, beta_2: num, epsilon: num)
        }
        "nadam" => {
            let mut b = Nadam::default();
            set!(b, learning_rate: num, beta_1: num, beta_2: num, epsilon: num)
        }
        "ftrl" => {
            let mut b = Ftrl::default();
            set!(
                b,
                learning_rate: num,
                learning_rate_power: num,
                initial_accumulator_value: num,
                l1_regularization_strength: num,
                l2_regularization_strength: num,
                l2_shrinkage_regularization_strength: num,
                beta: num
            )
        }
        "adamw" => {
            let mut b = AdamW::default();
            set!(
                b,
                learning_rate: num,
                weight_decay: num,
                beta_1: num,
                beta_2: num,
                epsilon: num,
                amsgrad: flag
            )
        }
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
