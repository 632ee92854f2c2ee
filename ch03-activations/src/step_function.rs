//! Section 3.2.2-3.2.3: the step function, the perceptron's activation.
//!
//! `h(x) = 1` if `x > 0`, else `0`. Its derivative is 0 everywhere it exists, which is why
//! a network cannot learn through it by gradient descent (section 4.2.5) and why neural
//! networks switch to the smooth sigmoid.

use crate::Float;
use ndarray::{Array, ArrayRef, Dimension};

/// The step function, element-wise: `h(x) = 1` for `x > 0`, `0` otherwise (`h(0) = 0`).
///
/// Any shape in, the same shape out. The book returns an integer array
/// (`np.array(x > 0, dtype=np.int)`); here the 0s and 1s stay in `A` so they can be plotted
/// and multiplied like any other activation.
///
/// ```
/// use ch03_activations::step_function;
/// use ndarray::array;
/// assert_eq!(step_function(&array![-1.0, 0.0, 2.0]), array![0.0, 0.0, 1.0]);
/// ```
pub fn step_function<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.mapv(|v| if v > A::zero() { A::one() } else { A::zero() })
}
