//! Section 3.5: the softmax function, the output activation for classification.
//!
//! `y_k = exp(a_k) / sum_i exp(a_i)`. Written that way, `exp(1000)` overflows to infinity and
//! the ratio becomes `inf / inf = NaN` (3.5.2). Subtracting the largest input first changes
//! nothing mathematically (the factor `exp(-max)` cancels) and keeps every exponent `<= 0`:
//! `y_k = exp(a_k - max) / sum_i exp(a_i - max)`.
//!
//! For a batch (one sample per row) the maximum and the sum are taken per row, over the last
//! axis; normalising the whole matrix at once is a common mistake (see the book's issue tracker).

use crate::Float;
use ndarray::{Array, ArrayRef, Axis, Dimension};

/// Max-shifted softmax over the last axis: a vector (D,) gives a vector that sums to 1,
/// a batch (N, D) gives N rows that each sum to 1 (any number of leading axes works the same).
///
/// `y[.., k] = exp(x[.., k] - m) / sum_i exp(x[.., i] - m)` with `m = max_i x[.., i]`.
/// Its backward pass, for `dy` of the same shape, is `dx = y * (dy - sum(dy * y))` per row
/// (see [`crate::Activation::backward`]).
///
/// ```
/// use ch03_activations::softmax;
/// use ndarray::array;
/// // the book's 3.5.1: softmax(np.array([0.3, 2.9, 4.0]))
/// let y = softmax(&array![0.3f64, 2.9, 4.0]);
/// assert!((y[0] - 0.01821127).abs() < 1e-8);
/// assert!((y[1] - 0.24519181).abs() < 1e-8);
/// assert!((y[2] - 0.73659691).abs() < 1e-8);
/// // 3.5.2: no overflow for large inputs
/// let y = softmax(&array![1010.0f64, 1000.0, 990.0]);
/// assert!((y[0] - 9.99954600e-01).abs() < 1e-9);
/// // a batch: every row on its own
/// let y = softmax(&array![[1.0, 1.0], [0.0, 1000.0]]);
/// assert_eq!(y, array![[0.5, 0.5], [0.0, 1.0]]);
/// ```
pub fn softmax<A: Float, D: Dimension>(x: &ArrayRef<A, D>) -> Array<A, D> {
    let mut y = x.to_owned();
    if y.ndim() == 0 {
        // One value is a distribution over one outcome.
        return y.mapv_into(|_| A::one());
    }
    let last = Axis(y.ndim() - 1);
    for mut row in y.lanes_mut(last) {
        let max = row
            .iter()
            .fold(A::neg_infinity(), |m, &v| if v > m { v } else { m });
        row.mapv_inplace(|v| (v - max).exp());
        let sum: A = row.sum();
        row.mapv_inplace(|v| v / sum);
    }
    y
}
