//! Section 3.4.2: the identity function, the output activation for regression (section
//! 3.4's network ends with it; 3.5.1 returns to it).

use crate::Float;
use ndarray::{Array, ArrayRef, Dimension};

/// The identity, `sigma(x) = x`: the output layer's activation in section 3.4's network
/// (regression problems keep the raw scores). Any shape in, the same shape out (a copy).
///
/// ```
/// use ch03_activations::identity_function;
/// use ndarray::array;
/// assert_eq!(identity_function(&array![0.3, -2.0]), array![0.3, -2.0]);
/// ```
pub fn identity_function<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    x.to_owned()
}
