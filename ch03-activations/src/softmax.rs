//! Section 3.5: the softmax function, the output activation for classification.
//!
//! `y_k = exp(a_k) / sum_i exp(a_i)`. Written that way, `exp(1000)` overflows to infinity and
//! the ratio becomes `inf / inf = NaN` (3.5.2). Subtracting the largest input first changes
//! nothing mathematically (the factor `exp(-max)` cancels) and keeps every exponent `<= 0`:
//! `y_k = exp(a_k - max) / sum_i exp(a_i - max)`.
//!
//! For a batch (one sample per row) the maximum and the sum are taken per row, over the last
//! axis; normalising the whole matrix at once is a common mistake (see the book's issue tracker).

//!
//! The kernels here are the only softmax and log-sum-exp in the workspace: [`row_max`],
//! [`softmax_row_into`] (the max-shifted exponentials of one row, normalised) and
//! [`shifted_log_sum_exp`]. The book's [`softmax`], Keras' `"softmax"` activation,
//! chapter 5's `SoftmaxWithLoss` and the Keras cross-entropies from logits all call them.

use crate::Float;
use ndarray::{Array, ArrayRef, ArrayRef1, Axis, Dimension, Zip};

/// Max-shifted softmax over the last axis: a vector (D,) gives a vector that sums to 1,
/// a batch (N, D) gives N rows that each sum to 1 (any number of leading axes works the same).
///
/// `y[.., k] = exp(x[.., k] - m) / sum_i exp(x[.., i] - m)` with `m = max_i x[.., i]`.
/// Its backward pass, for `dy` of the same shape, is `dx = y * (dy - sum(dy * y))` per row
/// (see [`crate::keras::Activation::backward`]).
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
    let mut y = Array::zeros(x.raw_dim());
    if y.ndim() == 0 {
        // One value is a distribution over one outcome.
        return y.mapv_into(|_| A::one());
    }
    let last = Axis(y.ndim() - 1);
    Zip::from(y.lanes_mut(last))
        .and(x.lanes(last))
        .for_each(|mut y_row, x_row| {
            softmax_row_into(&x_row, &mut y_row);
        });
    y
}

/// The largest value of a row, NaN values skipped (`-inf` for an empty or all-NaN row): the
/// `max` that softmax and log-sum-exp subtract.
///
/// ```
/// use ch03_activations::softmax::row_max;
/// use ndarray::array;
/// assert_eq!(row_max(&array![1.0f32, f32::NAN, 3.0]), 3.0);
/// ```
#[inline]
pub fn row_max<A: Float>(row: &ArrayRef1<A>) -> A {
    row.iter().fold(A::neg_infinity(), |m, &v| m.max(v))
}

/// Softmax of one row, `y_k = exp(x_k - m) / sum_i exp(x_i - m)` with `m` = [`row_max`]`(x)`,
/// written into `y` (same length). Returns `(m, sum_i exp(x_i - m))`, from which
/// `logsumexp(x) = m + ln(sum)`: the cross-entropy from logits needs it, and gets it for free.
///
/// The exponentials are summed left to right and the row is multiplied by `1 / sum`, as
/// TensorFlow's softmax kernel does; this is the softmax every layer and loss runs.
///
/// # Panics
/// If `x` and `y` differ in length (a bug in the caller).
///
/// ```
/// use ch03_activations::softmax::softmax_row_into;
/// use ndarray::{Array1, array};
/// let mut y = Array1::zeros(2);
/// let (m, sum) = softmax_row_into(&array![0.0f64, 0.0], &mut y);
/// assert_eq!((m, sum), (0.0, 2.0));
/// assert_eq!(y, array![0.5, 0.5]);
/// ```
#[inline]
pub fn softmax_row_into<A: Float>(x: &ArrayRef1<A>, y: &mut ArrayRef1<A>) -> (A, A) {
    assert_eq!(
        x.len(),
        y.len(),
        "softmax_row_into: x and y differ in length"
    );
    let m = row_max(x);
    let mut sum = A::zero();
    Zip::from(&mut *y).and(x).for_each(|y, &x| {
        *y = (x - m).exp();
        sum = sum + *y;
    });
    let inv = A::one() / sum;
    y.mapv_inplace(|v| v * inv);
    (m, sum)
}

/// The log-sum-exp of a row, in two parts: `(m, ln(sum_i exp(z_i - m)))` with `m` =
/// [`row_max`]`(z)`, so `logsumexp(z) = m + ln_sum` without overflow (3.5.2's trick). The
/// exponentials are summed in the same order as in [`softmax_row_into`].
///
/// ```
/// use ch03_activations::softmax::shifted_log_sum_exp;
/// use ndarray::array;
/// let (m, ln_sum) = shifted_log_sum_exp(&array![1000.0f64, 1000.0]);
/// assert_eq!(m, 1000.0);
/// assert!((ln_sum - 2f64.ln()).abs() < 1e-15);
/// ```
#[inline]
pub fn shifted_log_sum_exp<A: Float>(z: &ArrayRef1<A>) -> (A, A) {
    let m = row_max(z);
    let sum = z.iter().fold(A::zero(), |acc, &x| acc + (x - m).exp());
    (m, sum.ln())
}
