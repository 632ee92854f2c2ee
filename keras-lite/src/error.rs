//! The one error type of keras-lite: every mistake a user can make, named, with its fix.
//!
//! Bad input never panics and never trains on silently: names, shapes, labels,
//! hyper-parameters and files are checked where they enter (`compile`, `fit`, `evaluate`, ...)
//! and come back as a [`KerasError`] whose message says what is wrong and what to do instead.

use ch03_activations::keras::UnknownActivation;
use ch04_loss_gradient::LossError;
use ch06_optimizers_init::optimizer::OptimizerError;

/// `Result<T, KerasError>`.
pub type Result<T, E = KerasError> = std::result::Result<T, E>;

/// What went wrong, with enough detail to fix it.
#[derive(Debug, thiserror::Error)]
pub enum KerasError {
    /// `fit`, `evaluate`, `train_on_batch` ... called before `compile`.
    #[error(
        "the model must be compiled before {call}: call model.compile(optimizer, loss, metrics) \
         first (for example model.compile(\"adam\", \"sparse_categorical_crossentropy\", &[\"accuracy\"]))"
    )]
    NotCompiled {
        /// The method that was called (`"fit"`).
        call: &'static str,
    },

    /// A string identifier Keras does not know (optimizer, loss, metric, activation, initializer ...).
    #[error("unknown {kind} {name:?}; valid names are: {valid}")]
    UnknownName {
        /// What was looked up (`"optimizer"`, `"metric"`, ...).
        kind: &'static str,
        /// The name given.
        name: String,
        /// Every valid name, comma-separated.
        valid: String,
    },

    /// The model's input shape is not known yet (no `input_shape` on the first layer, no data seen).
    #[error(
        "{call}: the model has no input shape yet; give the first layer one \
         (Flatten::new().input_shape(&[28, 28]) or InputLayer::new(&[784])), or call fit first"
    )]
    NotBuilt {
        /// The method that needs the shape (`"summary"`).
        call: &'static str,
    },

    /// `x` does not fit the model's input shape.
    #[error(
        "{what} has shape {got} but the model expects (samples, {expected}); reshape {what} so \
         that its dimensions after the first (the samples) are {expected}"
    )]
    InputShape {
        /// `"x"`, `"validation x"` ...
        what: String,
        /// The shape of the array given, as `(60000, 28, 27)`.
        got: String,
        /// The model's input shape without the batch dimension, as `28, 28`.
        expected: String,
    },

    /// `x` and `y` (or `sample_weight`) have different numbers of samples.
    #[error(
        "{what}: x has {x} samples but {other_name} has {other}; give one {other_name} entry \
         per sample of x"
    )]
    LengthMismatch {
        what: String,
        x: usize,
        other_name: &'static str,
        other: usize,
    },

    /// The targets `y` do not fit the model's output or the loss.
    #[error("{0}")]
    Targets(String),

    /// A class label outside `0..classes`.
    #[error(
        "{what}: label {label} at sample {index} is outside the model's {classes} classes \
         (0..={max}); the last Dense layer needs at least {needed} units, or the labels must be \
         integers from 0 to {max}",
        max = classes - 1,
        needed = label + 1.0
    )]
    LabelOutOfRange {
        what: String,
        label: f64,
        index: usize,
        classes: usize,
    },

    /// No samples where some are needed.
    #[error("{0}")]
    EmptyData(String),

    /// `validation_split` outside (0, 1) or leaving an empty part.
    #[error("{0}")]
    ValidationSplit(String),

    /// A NaN or infinite value in the data.
    #[error(
        "{what} contains a non-finite value ({value}) at flat index {index}; clean or impute \
         the data before training (NaN and infinity make every weight NaN)"
    )]
    NonFinite {
        what: String,
        value: f32,
        index: usize,
    },

    /// An argument out of range (batch_size 0, epochs < initial_epoch, units 0, ...).
    #[error("{0}")]
    InvalidArgument(String),

    /// `set_weights`/`load_weights` with arrays that do not fit the model.
    #[error("{0}")]
    Weights(String),

    /// A feature that exists in Keras' API but not (yet) here.
    #[error("{0}")]
    Unsupported(String),

    /// A loss that could not be computed (from ch04).
    #[error(transparent)]
    Loss(#[from] LossError),

    /// An invalid optimizer setting (from ch06).
    #[error(transparent)]
    Optimizer(#[from] OptimizerError),

    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl From<UnknownActivation> for KerasError {
    fn from(e: UnknownActivation) -> Self {
        KerasError::UnknownName {
            kind: "activation",
            name: e.name,
            valid: e.valid,
        }
    }
}

/// Formats a shape as Python prints a tuple: `(60000, 28, 28)`, `(5,)`.
pub(crate) fn shape_str(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Formats dimensions without parentheses: `28, 28`.
pub(crate) fn dims_str(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
