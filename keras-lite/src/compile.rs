//! `compile(optimizer, loss, metrics)`: names and objects checked once into a [`Compiled`]
//! configuration.
//!
//! Each argument is a Keras string identifier (with Keras' defaults) or a configured object:
//!
//! ```
//! use keras_lite::{Sequential, Metric, layers::{Dense, Flatten}};
//! use keras_lite::optimizers::Adam;
//! use ch04_loss_gradient::keras::Loss;
//!
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[4]).into(),
//!     Dense::new(3).activation("softmax").into(),
//! ]);
//! model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
//! model.compile(
//!     Adam::default().learning_rate(0.001),
//!     Loss::SparseCategoricalCrossentropy { from_logits: false },
//!     &[Metric::SparseCategoricalAccuracy],
//! )?;
//! assert!(model.compile("adan", "mse", keras_lite::NO_METRICS).is_err());
//! # Ok::<(), keras_lite::KerasError>(())
//! ```

use crate::error::{KerasError, Result};
use crate::metrics::Metric;
use ch04_loss_gradient::keras::Loss;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::keras::{
    Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Nadam, RMSprop, SGD, optimizer_from_name,
};
use ch06_optimizers_init::optimizer::OptimizerError;

/// No metrics: `model.compile("sgd", "mse", NO_METRICS)`.
pub const NO_METRICS: &[&str] = &[];

/// Something `compile` accepts as the optimizer: a Keras name (`"adam"`), a keras-lite
/// optimizer (`optimizers::Adam::default().learning_rate(1e-4)`, checked here), a ch06 Keras
/// optimizer (`ch06_optimizers_init::keras::Adam::new(0.001, 0.9, 0.999)`, with or without
/// `?`), or any boxed `Optimizer<f32>`. The book's optimizers (`ch06_optimizers_init::book`),
/// whose defaults and arithmetic differ from Keras', only through
/// [`crate::optimizers::from_book`], so that a wrong import is a compile error.
pub trait IntoOptimizer {
    /// The optimizer, or the error that building it gave.
    fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>>;
}

impl IntoOptimizer for &str {
    fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
        optimizer_from_name::<f32>(self).map_err(|e| match e {
            OptimizerError::UnknownName { name, valid } => KerasError::UnknownName {
                kind: "optimizer",
                name,
                valid,
            },
            other => other.into(),
        })
    }
}

impl IntoOptimizer for String {
    fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
        self.as_str().into_optimizer()
    }
}

impl IntoOptimizer for Box<dyn Optimizer<f32>> {
    fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
        Ok(self)
    }
}

macro_rules! optimizer_objects {
    ($($t:ident),*) => {$(
        impl IntoOptimizer for $t<f32> {
            fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
                Ok(Box::new(self))
            }
        }
        impl IntoOptimizer for std::result::Result<$t<f32>, OptimizerError> {
            fn into_optimizer(self) -> Result<Box<dyn Optimizer<f32>>> {
                Ok(Box::new(self?))
            }
        }
    )*};
}
optimizer_objects!(
    SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam, Ftrl, AdamW
);

/// Something `compile` accepts as the loss: a Keras name or alias, or a ch04 [`Loss`] value.
pub trait IntoLoss {
    /// The loss, or an error listing the valid names.
    fn into_loss(self) -> Result<Loss>;
}

impl IntoLoss for &str {
    fn into_loss(self) -> Result<Loss> {
        self.parse::<Loss>().map_err(|e| match e {
            ch04_loss_gradient::LossError::UnknownName { name, valid } => KerasError::UnknownName {
                kind: "loss",
                name,
                valid,
            },
            other => other.into(),
        })
    }
}

impl IntoLoss for String {
    fn into_loss(self) -> Result<Loss> {
        self.as_str().into_loss()
    }
}

impl IntoLoss for Loss {
    fn into_loss(self) -> Result<Loss> {
        self.validate()?;
        Ok(self)
    }
}

/// Something `compile` accepts in its metrics list: a Keras name (the name is also the
/// history key, `"acc"` stays `acc`) or a [`Metric`] value (keyed by its Keras name).
pub trait IntoMetric {
    /// `(history key, metric)`.
    fn into_metric(self) -> Result<(String, Metric)>;
}

impl IntoMetric for &str {
    fn into_metric(self) -> Result<(String, Metric)> {
        Ok((self.to_string(), Metric::from_name(self)?))
    }
}

impl IntoMetric for &&str {
    fn into_metric(self) -> Result<(String, Metric)> {
        (*self).into_metric()
    }
}

impl IntoMetric for String {
    fn into_metric(self) -> Result<(String, Metric)> {
        self.as_str().into_metric()
    }
}

impl IntoMetric for Metric {
    fn into_metric(self) -> Result<(String, Metric)> {
        if let Metric::TopKCategoricalAccuracy { k: 0 }
        | Metric::SparseTopKCategoricalAccuracy { k: 0 } = self
        {
            return Err(KerasError::InvalidArgument(
                "top-k accuracy with k = 0 is always 0; use k >= 1 (Keras' default is 5)".into(),
            ));
        }
        if let Metric::Loss(loss) = self {
            loss.validate()?;
        }
        Ok((self.name(), self))
    }
}

/// A mixed metrics list: `&[MetricArg::from("accuracy"), Metric::Loss(Loss::MeanAbsoluteError).into()]`.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricArg {
    Name(String),
    Object(Metric),
}

impl From<&str> for MetricArg {
    fn from(s: &str) -> Self {
        MetricArg::Name(s.to_string())
    }
}

impl From<Metric> for MetricArg {
    fn from(m: Metric) -> Self {
        MetricArg::Object(m)
    }
}

impl IntoMetric for MetricArg {
    fn into_metric(self) -> Result<(String, Metric)> {
        match self {
            MetricArg::Name(n) => n.into_metric(),
            MetricArg::Object(m) => m.into_metric(),
        }
    }
}

/// How the output layer and the loss are computed together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputPath {
    /// The loss reads the model's output (probabilities or values) and its gradient flows back
    /// through the output activation.
    Plain,
    /// Softmax output with (sparse) categorical cross-entropy: the last Dense layer stops at
    /// its logits and ch05's `SoftmaxWithLoss` computes softmax, loss (log-sum-exp, as Keras
    /// does from logits) and the gradient `(y - t) / N` at once.
    SoftmaxCrossentropy,
    /// Sigmoid output with binary cross-entropy: the loss is taken from the logits
    /// (`binary_crossentropy(from_logits=True)`, as Keras does) and the sigmoid applied for the
    /// predictions.
    SigmoidCrossentropy,
}

/// The checked result of `compile`.
pub struct Compiled {
    /// Updates the weights (ch06).
    pub(crate) optimizer: Box<dyn Optimizer<f32>>,
    /// The loss (ch04).
    pub(crate) loss: Loss,
    /// `(history key, metric as given)`, in the order given.
    pub(crate) metrics: Vec<(String, Metric)>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiled")
            .field("optimizer", &self.optimizer.name())
            .field("loss", &self.loss)
            .field("metrics", &self.metrics)
            .finish()
    }
}

impl Compiled {
    /// The loss.
    pub fn loss(&self) -> Loss {
        self.loss
    }
}
