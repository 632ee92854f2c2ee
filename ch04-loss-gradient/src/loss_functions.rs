//! The book's two loss functions (4.2): the sum of squared errors and the cross-entropy error.
//!
//! ```text
//! sum_squared_error   E = 1/2 sum_k (y_k - t_k)^2
//! cross_entropy_error E = -1/N sum_n ln(y[n, t_n] + 1e-7)      (t_n: the class of sample n)
//! ```
//!
//! Both take what the book's NumPy versions take: a single sample (1-D `y`) or a batch
//! (2-D `y`, one row per sample), with labels one-hot (same size as `y`) or as class indices
//! (one per sample). The 1e-7 keeps `ln(0)` = -inf away when the network gives the true class
//! a probability of exactly 0.
//!
//! From chapter 5 on, the cross-entropy is taken from the scores (logits) `z` before softmax,
//! where `-ln softmax(z)_k = lse(z) - z_k` needs no guard: [`cross_entropy_logits_row`] and
//! [`cross_entropy_logits_class`] are that row kernel, run by `SoftmaxWithLoss` (5.6.3) and by
//! every Keras cross-entropy `from_logits`.
//!
//! ```
//! use ch04_loss_gradient::{cross_entropy_error, sum_squared_error};
//! use ndarray::array;
//!
//! // 4.2.1: the "2" is the true class; this y puts 0.6 on it.
//! let t = array![0.0_f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
//! let y = array![0.1_f64, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
//! assert!((sum_squared_error(&y, &t).unwrap() - 0.0975).abs() < 1e-12);
//! assert!((cross_entropy_error(&y, &t).unwrap() - 0.510825457099338).abs() < 1e-12);
//! // The same with the class index instead of the one-hot row.
//! assert_eq!(cross_entropy_error(&y, &array![2_usize]).unwrap(),
//!            cross_entropy_error(&y, &t).unwrap());
//! ```

use crate::LossError;
use ch03_activations::{Float, argmax};
use ndarray::{ArrayRef, ArrayRef1, Axis, Dimension, Ix2, Zip};

/// The guard the book adds inside the logarithm: `ln(y + 1e-7)`.
pub const CROSS_ENTROPY_DELTA: f64 = 1e-7;

/// A label element the book's functions accept: a class index (`usize`, `u8`, ... as
/// Fashion-MNIST stores them, or a whole-numbered float) or an element of a one-hot row.
///
/// One-hot rows are read with `argmax`, so any numeric type works there; as an index a
/// value must be a whole number >= 0.
pub trait ClassLabel: Copy + PartialOrd {
    /// The class this value names when it is used as an index, if it is a valid index.
    fn as_class(self) -> Option<usize>;
}

macro_rules! unsigned_class_label {
    ($($t:ty),*) => {$(
        impl ClassLabel for $t {
            #[inline]
            fn as_class(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        }
    )*};
}
unsigned_class_label!(usize, u8, u16, u32, u64, i32, i64);

impl ClassLabel for f32 {
    #[inline]
    fn as_class(self) -> Option<usize> {
        f64::from(self).as_class()
    }
}

impl ClassLabel for f64 {
    #[inline]
    fn as_class(self) -> Option<usize> {
        (self.is_finite() && self >= 0.0 && self.fract() == 0.0).then_some(self as usize)
    }
}

/// `E = 1/2 sum((y - t)^2)` over every element (4.2.1). Not divided by the batch size, as in
/// the book.
///
/// `y` and `t` have the same shape, any shape: (K,) for one sample or (N, K) for a batch.
/// Returns [`LossError::Shape`] if the shapes differ.
pub fn sum_squared_error<A: Float, D: Dimension>(
    y: &ArrayRef<A, D>,
    t: &ArrayRef<A, D>,
) -> Result<A, LossError> {
    if y.shape() != t.shape() {
        return Err(LossError::Shape(format!(
            "sum_squared_error: y has shape {:?} but t has shape {:?}; they must match \
             (one-hot encode class labels first)",
            y.shape(),
            t.shape()
        )));
    }
    let sum = Zip::from(y)
        .and(t)
        .fold(A::zero(), |acc, &y, &t| acc + (y - t) * (y - t));
    Ok(A::of(0.5) * sum)
}

/// `E = -1/N sum_n ln(y[n, t_n] + 1e-7)`: the book's batched cross-entropy (4.2.4).
///
/// - `y`: probabilities, shape (K,) for one sample or (N, K) for a batch of N.
/// - `t`: one-hot, with as many elements as `y` (each row's argmax is its class), or class
///   indices, one per sample (shape (N,), or a single index for a single sample).
///
/// Errors: `y` not 1-D or 2-D, an empty batch, `t` of neither size, or a class index >= K.
pub fn cross_entropy_error<A, D, L, E>(
    y: &ArrayRef<A, D>,
    t: &ArrayRef<L, E>,
) -> Result<A, LossError>
where
    A: Float,
    D: Dimension,
    L: ClassLabel,
    E: Dimension,
{
    // `y.ndim == 1` is a batch of one sample, as the book's reshape(1, y.size).
    let (n, k) = match *y.shape() {
        [k] => (1, k),
        [n, k] => (n, k),
        ref s => {
            return Err(LossError::Shape(format!(
                "cross_entropy_error: y has shape {s:?}; give one sample (K,) or a batch (N, K)"
            )));
        }
    };
    if n == 0 || k == 0 {
        return Err(LossError::Shape(format!(
            "cross_entropy_error: y has shape {:?} with nothing to average; give at least one \
             sample of at least one class",
            y.shape()
        )));
    }
    // A single sample becomes a batch of one (the book's `y.reshape(1, y.size)`).
    let y = y.view().into_dyn();
    let y = if y.ndim() == 1 {
        y.insert_axis(Axis(0))
    } else {
        y
    };
    let y = y.into_dimensionality::<Ix2>().expect("y is 1-D or 2-D");
    let delta = A::of(CROSS_ENTROPY_DELTA);
    let minus_log = |row: usize, class: usize| -(y[[row, class]] + delta).ln();
    let mut total = A::zero();
    if t.len() == n * k {
        // One-hot: `t = t.argmax(axis=1)`, each run of K elements (in logical order) a row.
        let mut values = t.iter();
        for row in 0..n {
            let best = argmax(values.by_ref().take(k));
            total = total + minus_log(row, best);
        }
    } else if t.len() == n {
        for (row, &label) in t.iter().enumerate() {
            let class = label.as_class().filter(|&c| c < k).ok_or_else(|| {
                let shown = label.as_class().map_or_else(
                    || "that is not a whole number >= 0".into(),
                    |c| c.to_string(),
                );
                LossError::Label(format!(
                    "cross_entropy_error: label {shown} of sample {row} is not a class of y's \
                     {k}; class indices are whole numbers in 0..={}",
                    k - 1
                ))
            })?;
            total = total + minus_log(row, class);
        }
    } else {
        return Err(LossError::Shape(format!(
            "cross_entropy_error: y has {n} samples of {k} classes but t has shape {:?}; give \
             one-hot labels of the same size as y, or {n} class indices",
            t.shape()
        )));
    }
    Ok(total / A::of(n as f64))
}

/// The cross-entropy of one row of scores (logits) `z` against targets `t`:
/// `sum_j t_j (lse - z_j)`, where `lse` = `logsumexp(z)` (ch03's
/// [`shifted_log_sum_exp`](ch03_activations::softmax::shifted_log_sum_exp) gives it without
/// overflow, and [`softmax_row_into`](ch03_activations::softmax::softmax_row_into) with the
/// softmax). It equals `-sum_j t_j ln softmax(z)_j`, with no `ln(0)` possible. `t(j)` gives
/// the target of class `j` (a one-hot row, or smoothed labels).
///
/// ```
/// use ch04_loss_gradient::loss_functions::cross_entropy_logits_row;
/// use ndarray::array;
/// let z = array![0.0f64, 0.0];
/// let lse = 2f64.ln(); // logsumexp([0, 0])
/// let t = [0.0, 1.0];
/// assert_eq!(cross_entropy_logits_row(&z, lse, |j| t[j]), 2f64.ln());
/// ```
#[inline]
pub fn cross_entropy_logits_row<A: Float>(z: &ArrayRef1<A>, lse: A, t: impl Fn(usize) -> A) -> A {
    z.iter()
        .enumerate()
        .fold(A::zero(), |acc, (j, &zj)| acc + t(j) * (lse - zj))
}

/// The cross-entropy of one row of logits `z` whose true class is `class`: `lse - z[class]`
/// ([`cross_entropy_logits_row`] for a one-hot row, without the zero terms).
///
/// # Panics
/// If `class >= z.len()` (callers check labels first and report them as errors).
#[inline]
pub fn cross_entropy_logits_class<A: Float>(z: &ArrayRef1<A>, lse: A, class: usize) -> A {
    lse - z[class]
}
