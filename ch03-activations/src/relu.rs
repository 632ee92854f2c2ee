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
    x.mapv(relu_scalar)
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
    x.mapv(relu_grad_scalar)
}

/// ReLU of one number: `0` where `x <= 0`, else `x`. The kernel behind [`relu`], chapter 5's
/// `Relu` layer (whose mask is the same `x <= 0`) and Keras' `"relu"`.
///
/// A NaN input stays NaN, as NumPy's `np.maximum(0, x)` (the book) and TensorFlow's `relu`
/// give it: a diverging network shows its NaN instead of hiding it behind a 0.
///
/// ```
/// use ch03_activations::relu::relu_scalar;
/// assert_eq!(relu_scalar(-2.0f32), 0.0);
/// assert_eq!(relu_scalar(3.0f64), 3.0);
/// assert!(relu_scalar(f64::NAN).is_nan());
/// ```
#[inline]
pub fn relu_scalar<A: Float>(x: A) -> A {
    if x <= A::zero() { A::zero() } else { x }
}

/// ReLU's derivative at one number: `1` where `x > 0`, else `0` (`0` at the kink, see
/// [`relu_grad`]).
#[inline]
pub fn relu_grad_scalar<A: Float>(x: A) -> A {
    if x > A::zero() { A::one() } else { A::zero() }
}
