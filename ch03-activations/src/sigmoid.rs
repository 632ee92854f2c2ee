//! Section 3.2.4: the sigmoid function, the smooth step.
//!
//! `h(x) = 1 / (1 + exp(-x))`, with `h'(x) = (1 - h(x)) h(x)` (used from chapter 5 on).
//!
//! [`sigmoid_scalar`] and [`sigmoid_grad_from_y`] are the one-number kernels; the array
//! functions here, chapter 5's `Sigmoid` layer and the Keras catalog all call them.

use crate::Float;
use ndarray::{Array, ArrayRef, Dimension};

/// The sigmoid, element-wise: `h(x) = 1 / (1 + exp(-x))`. Any shape in, the same shape out.
///
/// For very negative `x`, `exp(-x)` overflows to infinity and `1 / inf = 0`: no NaN.
///
/// ```
/// use ch03_activations::sigmoid;
/// use ndarray::array;
/// // the book's 3.2.4: sigmoid(np.array([-1.0, 1.0, 2.0]))
/// let y = sigmoid(&array![-1.0f64, 1.0, 2.0]);
/// assert!((y[0] - 0.26894142).abs() < 1e-8);
/// assert!((y[1] - 0.73105858).abs() < 1e-8);
/// assert!((y[2] - 0.88079708).abs() < 1e-8);
/// ```
pub fn sigmoid<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.mapv(sigmoid_scalar)
}

/// The sigmoid's derivative, element-wise: `h'(x) = (1 - h(x)) h(x)` (the book's
/// `common/functions.py`). It peaks at `h'(0) = 0.25`, which is why deep sigmoid networks
/// see their gradients vanish (section 6.2.2).
///
/// ```
/// use ch03_activations::sigmoid_grad;
/// use ndarray::array;
/// assert_eq!(sigmoid_grad(&array![0.0]), array![0.25]);
/// ```
pub fn sigmoid_grad<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.mapv(|v| sigmoid_grad_from_y(sigmoid_scalar(v)))
}

/// The sigmoid of one number, `1 / (1 + exp(-x))`: the kernel behind [`sigmoid`], the
/// `Sigmoid` layer of chapter 5, Keras' `"sigmoid"`, `"swish"` and the binary cross-entropy
/// from logits. Every sigmoid in the workspace is this line.
///
/// `exp(-x)` overflows to `+inf` for very negative `x`, and `1 / inf = 0`: no NaN either way.
///
/// ```
/// use ch03_activations::sigmoid::sigmoid_scalar;
/// assert_eq!(sigmoid_scalar(0.0f32), 0.5);
/// assert_eq!(sigmoid_scalar(-1000.0f64), 0.0);
/// ```
#[inline]
pub fn sigmoid_scalar<A: Float>(x: A) -> A {
    A::one() / (A::one() + (-x).exp())
}

/// The sigmoid's derivative read from its output `y = sigmoid(x)`: `y (1 - y)`, the form the
/// `Sigmoid` layer (5.5.2) and TensorFlow use, so the backward pass needs no second `exp`.
///
/// ```
/// use ch03_activations::sigmoid::sigmoid_grad_from_y;
/// assert_eq!(sigmoid_grad_from_y(0.5f64), 0.25);
/// ```
#[inline]
pub fn sigmoid_grad_from_y<A: Float>(y: A) -> A {
    y * (A::one() - y)
}
