//! The scalar type every chapter crate is generic over: `f32` or `f64`.
//!
//! Gradient checks run in `f64` (central differences in `f32` are too coarse to trust),
//! while `keras-lite` trains in `f32`, Keras' default `floatx`. Writing each formula once,
//! generic over [`Float`], lets the reader's code and the library's hot path be the same code.

use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A floating-point scalar usable in ndarray arithmetic and matrix products.
///
/// Implemented for `f32` and `f64`. Besides `num_traits::Float`'s maths (`exp`, `ln`, `max`, ...)
/// it adds two conversions that the formulas need for their constants.
pub trait Float:
    num_traits::Float
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + Debug
    + Display
    + Default
    + Sum
    + Send
    + Sync
    + 'static
{
    /// A constant written in `f64` (as the book and Keras write them), rounded once to `Self`.
    ///
    /// ```
    /// use ch03_activations::Float;
    /// assert_eq!(f32::of(0.1), 0.1f32);
    /// ```
    fn of(x: f64) -> Self;

    /// The value widened (or kept) as `f64`, for printing and comparisons.
    fn as_f64(self) -> f64;
}

impl Float for f32 {
    #[inline]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Float for f64 {
    #[inline]
    fn of(x: f64) -> Self {
        x
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}
