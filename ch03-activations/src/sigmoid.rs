//! Section 3.2.4: the sigmoid function, the smooth step.
//!
//! `h(x) = 1 / (1 + exp(-x))`, with `h'(x) = (1 - h(x)) h(x)` (used from chapter 5 on).

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
    x.mapv(|v| A::one() / (A::one() + (-v).exp()))
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
    x.mapv(|v| {
        let s = A::one() / (A::one() + (-v).exp());
        (A::one() - s) * s
    })
}
