//! What the book's losses and networks are given besides the prediction (4.2.3-4.2.4): labels
//! one-hot or as class indices ([`Labels`]), and what can go wrong ([`LossError`]). Chapter
//! 5's `SoftmaxWithLoss` and the Keras losses of [`crate::keras`] take the same two types.

use ndarray::{ArrayView1, ArrayView2};

/// The true values a loss compares a prediction with.
#[derive(Debug, Clone, Copy)]
pub enum Labels<'a, A> {
    /// Same shape as the prediction (N, D): one-hot rows, regression targets, 0/1 labels.
    /// `sparse_categorical_crossentropy` also takes a column (N, 1) of whole-number class
    /// indices here, as Keras does.
    Dense(ArrayView2<'a, A>),
    /// One class index per row of the prediction (N,): `sparse_categorical_crossentropy`,
    /// and `categorical_crossentropy` (read as one-hot rows).
    Sparse(ArrayView1<'a, usize>),
}

impl<A> Labels<'_, A> {
    /// The number of samples (rows) the labels describe.
    pub fn len(&self) -> usize {
        match self {
            Labels::Dense(t) => t.nrows(),
            Labels::Sparse(t) => t.len(),
        }
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What can go wrong when a loss is computed from user data or parsed from a name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LossError {
    /// A name that is neither a Keras loss function nor a loss class.
    #[error("unknown loss {name:?}; valid names are: {valid}")]
    UnknownName { name: String, valid: String },
    /// Arrays whose shapes do not fit together (the message says which and how to fix it).
    #[error("{0}")]
    Shape(String),
    /// Labels that are not valid for the loss (a class index out of range, ...).
    #[error("{0}")]
    Label(String),
    /// A hyper-parameter out of its range (label_smoothing outside [0, 1], ...).
    #[error("{0}")]
    Parameter(String),
}
