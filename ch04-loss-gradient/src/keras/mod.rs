//! The Keras catalog of chapter 4, beside the book and not part of it: every loss Keras 2
//! names (15 of them, with their aliases), Keras' reduction and sample weights, checked
//! against TensorFlow. A student reading the book may skip this module; `keras-lite` compiles
//! its models with it.
//!
//! The cross-entropies from logits run the book's kernels (ch03's log-sum-exp and
//! [`crate::loss_functions::cross_entropy_logits_row`]).

pub mod loss;

pub use loss::{EPSILON, LOSS_NAMES, Loss, check_sample_weight, reduce};
