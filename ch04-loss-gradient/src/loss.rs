//! Every Keras loss: the value per sample and Keras' reduction.
//!
//! (SKELETON: signatures fixed by the workspace design; bodies are filled in by the ch04 work.)

use ch03_activations::Float;
use ndarray::{Array1, ArrayRef1, ArrayRef2, ArrayView1, ArrayView2};
use std::str::FromStr;

/// The true values a loss compares a prediction with.
#[derive(Debug, Clone, Copy)]
pub enum Labels<'a, A> {
    /// Same shape as the prediction (N, D): one-hot rows, regression targets, 0/1 labels.
    Dense(ArrayView2<'a, A>),
    /// One class index per row of the prediction (N,): `sparse_categorical_crossentropy`.
    Sparse(ArrayView1<'a, usize>),
}

/// A Keras loss, parsed from its name or alias (`"mse".parse::<Loss>()`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    SquaredHinge,
    Hinge,
    CategoricalHinge,
    LogCosh,
    Huber {
        delta: f64,
    },
    CategoricalCrossentropy {
        from_logits: bool,
        label_smoothing: f64,
    },
    SparseCategoricalCrossentropy {
        from_logits: bool,
    },
    BinaryCrossentropy {
        from_logits: bool,
        label_smoothing: f64,
    },
    KlDivergence,
    Poisson,
    CosineSimilarity,
}

/// What can go wrong when a loss is computed from user data or parsed from a name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    #[error("unknown loss {name:?}; valid names are: {valid}")]
    UnknownName { name: String, valid: String },
    #[error("{0}")]
    Shape(String),
    #[error("{0}")]
    Label(String),
}

impl FromStr for Loss {
    type Err = LossError;
    fn from_str(_name: &str) -> Result<Self, Self::Err> {
        todo!()
    }
}

impl Loss {
    /// The canonical Keras name (`"mean_squared_error"`, ...).
    pub fn name(&self) -> &'static str {
        todo!()
    }

    /// The loss of each row of `y_pred` (shape (N, D)) against `y_true`: shape (N,).
    pub fn per_sample<A: Float>(
        &self,
        y_true: Labels<'_, A>,
        y_pred: &ArrayRef2<A>,
    ) -> Result<Array1<A>, LossError> {
        let mut out = Array1::zeros(y_pred.nrows());
        self.per_sample_into(y_true, y_pred, &mut out)?;
        Ok(out)
    }

    /// Like [`Loss::per_sample`], written into `out` (shape (N,)), allocating nothing.
    pub fn per_sample_into<A: Float>(
        &self,
        _y_true: Labels<'_, A>,
        _y_pred: &ArrayRef2<A>,
        _out: &mut ArrayRef1<A>,
    ) -> Result<(), LossError> {
        todo!()
    }

    /// Keras' reduced loss: `sum_i(loss_i * w_i) / N` (w = 1 without sample weights).
    pub fn compute<A: Float>(
        &self,
        y_true: Labels<'_, A>,
        y_pred: &ArrayRef2<A>,
        sample_weight: Option<&ArrayRef1<A>>,
    ) -> Result<A, LossError> {
        let per_sample = self.per_sample(y_true, y_pred)?;
        Ok(reduce(&per_sample, sample_weight))
    }
}

/// Keras' `SUM_OVER_BATCH_SIZE` reduction: `sum_i(loss_i * w_i) / N`, divided by the number of
/// samples N, not by the sum of the weights.
pub fn reduce<A: Float>(_per_sample: &ArrayRef1<A>, _sample_weight: Option<&ArrayRef1<A>>) -> A {
    todo!()
}
