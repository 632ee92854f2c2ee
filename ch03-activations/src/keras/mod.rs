//! The Keras catalog of chapter 3, beside the book and not part of it: every activation
//! Keras 2 names, with its derivative, checked against TensorFlow. A student reading the book
//! may skip this module; `keras-lite` configures its layers from it.
//!
//! Its sigmoid, ReLU and softmax are the book's kernels ([`crate::sigmoid`](mod@crate::sigmoid), [`crate::relu`](mod@crate::relu),
//! [`crate::softmax`](mod@crate::softmax)): the catalog adds the other thirteen functions and the
//! vector-Jacobian products a backward pass needs.

pub mod activation;

pub use activation::{Activation, InvalidActivation, SELU_ALPHA, SELU_SCALE, UnknownActivation};
