//! Section 3.2.7: ReLU, the rectified linear unit.
//!
//! `h(x) = max(x, 0)`, with `h'(x) = 1` for `x > 0` and `0` otherwise.

use crate::Float;
use ndarray::{Array, ArrayRef, Dimension};

/// ReLU, element-wise: `h(x) = max(x, 0)`. Any shape in, the same shape out.
///
/// ```
/// use ch03_activations::relu;
/// use ndarray::array;
/// assert_eq!(relu(&array![-1.0, 0.0, 2.0]), array![0.0, 0.0, 2.0]);
/// ```
pub fn relu<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.mapv(|v| if v > A::zero() { v } else { A::zero() })
}

/// ReLU's derivative, element-wise: `1` where `x > 0`, else `0`.
///
/// At exactly `x = 0` the book has two answers: `common/functions.py`'s `relu_grad` says 1
/// (`grad[x>=0] = 1`) while the `Relu` layer of chapter 5 masks `x <= 0` and says 0. This crate
/// picks 0, the `Relu` layer's answer and TensorFlow's, so that the function, the layer and
/// Keras agree.
///
/// ```
/// use ch03_activations::relu_grad;
/// use ndarray::array;
/// assert_eq!(relu_grad(&array![-1.0, 0.0, 2.0]), array![0.0, 0.0, 1.0]);
/// ```
pub fn relu_grad<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.mapv(|v| if v > A::zero() { A::one() } else { A::zero() })
}
