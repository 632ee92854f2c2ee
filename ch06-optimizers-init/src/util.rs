//! The book's `common/util.py` helpers that chapter 6's scripts use: `smooth_curve` and
//! `shuffle_dataset`. (`im2col` and `col2im`, also in that file, belong to chapter 7.)

use ch04_loss_gradient::LossError;
use ndarray::{Array, Array1, ArrayRef, ArrayRef1, Axis, RemoveAxis};
use rand::Rng;
use rand::seq::SliceRandom;

/// The book's `shuffle_dataset(x, t)`: the samples (rows, or first-axis entries of any
/// shape) and their labels in one random order, drawn from `rng`.
///
/// ```python
/// def shuffle_dataset(x, t):
///     permutation = np.random.permutation(x.shape[0])
///     x = x[permutation,:] if x.ndim == 2 else x[permutation,:,:,:]
///     t = t[permutation]
///     return x, t
/// ```
///
/// Errors if `t` does not hold one label per sample of `x`.
///
/// ```
/// use ch06_optimizers_init::util::shuffle_dataset;
/// use ndarray::array;
/// use rand::{SeedableRng, rngs::StdRng};
/// let x = array![[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]];
/// let t = array![0usize, 1, 2];
/// let (xs, ts) = shuffle_dataset(&x, &t, &mut StdRng::seed_from_u64(0)).unwrap();
/// for (row, &label) in xs.rows().into_iter().zip(&ts) {
///     assert_eq!(row[0], label as f64); // each row keeps its label
/// }
/// let mut sorted = ts.to_vec();
/// sorted.sort();
/// assert_eq!(sorted, vec![0, 1, 2]);
/// ```
pub fn shuffle_dataset<A, T, D, R>(
    x: &ArrayRef<A, D>,
    t: &ArrayRef1<T>,
    rng: &mut R,
) -> Result<(Array<A, D>, Array1<T>), LossError>
where
    A: Clone,
    T: Clone,
    D: RemoveAxis,
    R: Rng + ?Sized,
{
    let n = x.shape().first().copied().unwrap_or(0);
    if t.len() != n {
        return Err(LossError::Shape(format!(
            "shuffle_dataset: {} labels for {n} samples; give one label per sample",
            t.len()
        )));
    }
    let mut permutation: Vec<usize> = (0..n).collect();
    permutation.shuffle(rng);
    Ok((
        x.select(Axis(0), &permutation),
        t.select(Axis(0), &permutation),
    ))
}

/// The book's `smooth_curve`: a Kaiser-window (length 11, beta 2) moving average, with the
/// ends mirrored so the output has the input's length (used for the loss plots).
///
/// ```python
/// def smooth_curve(x):
///     window_len = 11
///     s = np.r_[x[window_len-1:0:-1], x, x[-1:-window_len:-1]]
///     w = np.kaiser(window_len, 2)
///     y = np.convolve(w/w.sum(), s, mode='valid')
///     return y[5:len(y)-5]
/// ```
///
/// ```
/// use ch06_optimizers_init::util::smooth_curve;
/// let flat = vec![2.0; 30];
/// let s = smooth_curve(&flat);
/// assert_eq!(s.len(), 30);
/// assert!(s.iter().all(|v| (v - 2.0).abs() < 1e-12));
/// ```
pub fn smooth_curve(x: &[f64]) -> Vec<f64> {
    const WINDOW: usize = 11;
    if x.len() < WINDOW {
        return x.to_vec();
    }
    let n = x.len();
    // s = x[9], ..., x[1], x[0..n], x[n-1], ..., x[n-10]
    let mut s = Vec::with_capacity(n + 2 * (WINDOW - 1));
    s.extend((1..WINDOW).rev().map(|i| x[i]));
    s.extend_from_slice(x);
    s.extend((1..WINDOW).map(|i| x[n - i]));
    let w = kaiser(WINDOW, 2.0);
    let total: f64 = w.iter().sum();
    // 'valid' convolution (the window is symmetric, so no flip is needed)
    let y: Vec<f64> = s
        .windows(WINDOW)
        .map(|win| win.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / total)
        .collect();
    y[5..y.len() - 5].to_vec()
}

/// NumPy's `kaiser(m, beta)`: `I0(beta * sqrt(1 - (2k/(m-1) - 1)^2)) / I0(beta)`.
pub fn kaiser(m: usize, beta: f64) -> Vec<f64> {
    if m == 1 {
        return vec![1.0];
    }
    (0..m)
        .map(|k| {
            let r = 2.0 * k as f64 / (m - 1) as f64 - 1.0;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(beta)
        })
        .collect()
}

/// The modified Bessel function `I0(x) = sum_k ((x/2)^k / k!)^2` (converges fast for the
/// small arguments a window uses).
fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term) = (1.0, 1.0);
    for k in 1..60 {
        term *= (x / 2.0) / k as f64;
        sum += term * term;
        if term * term < 1e-17 * sum {
            break;
        }
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kaiser_window_from_the_bessel_function() {
        // I0(2) = 2.2795853023360673 (Abramowitz and Stegun, table 9.8); the window's ends
        // are I0(0) / I0(2), its middle 1, and it is symmetric.
        assert!((bessel_i0(2.0) - 2.279_585_302_336_067).abs() < 1e-14);
        let w = kaiser(11, 2.0);
        assert_eq!(w.len(), 11);
        assert!((w[0] - 1.0 / 2.279_585_302_336_067).abs() < 1e-14);
        assert!((w[5] - 1.0).abs() < 1e-15);
        for k in 0..11 {
            assert!((w[k] - w[10 - k]).abs() < 1e-15);
        }
    }

    #[test]
    fn smoothing_keeps_length_and_linear_trends_inside() {
        let x: Vec<f64> = (0..50).map(|i| i as f64).collect();
        let s = smooth_curve(&x);
        assert_eq!(s.len(), 50);
        // A symmetric window leaves a straight line unchanged away from the mirrored ends.
        for i in 10..40 {
            assert!((s[i] - x[i]).abs() < 1e-9, "{i}: {}", s[i]);
        }
    }
}
