//! The Keras catalog of chapter 5, beside the book and not part of it: the gradient of every
//! Keras loss of ch04's catalog with respect to the prediction, which `keras-lite` needs for
//! the losses that are not fused with softmax. A student reading the book may skip it; the
//! book's own loss gradient is [`SoftmaxWithLoss`](crate::SoftmaxWithLoss)'s `(y - t) / N`.
//!
//! The softmax and sigmoid inside are ch03's kernels.

pub mod loss_gradient;

pub use loss_gradient::loss_gradient;
