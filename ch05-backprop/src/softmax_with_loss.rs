//! Softmax and cross-entropy fused into one layer (book 5.6.3, and Keras' logits path).
//!
//! Shapes: logits `z` (N, C), labels one-hot (N, C) or class indices (N,), output `y` (N, C).
//!
//! ```text
//! y_i   = softmax(z_i)                          = exp(z_i - lse(z_i))
//! L_i   = sum_j t_ij (lse(z_i) - z_ij)          (= -sum_j t_ij log y_ij, cross-entropy)
//! L     = sum_i w_i L_i / N                     (Keras' reduction; w = 1 without weights)
//! dL/dz_i = w_i (y_i sum_j t_ij - t_i) / N      = (y_i - t_i) / N for one-hot t and w = 1
//! ```
//!
//! The book's celebrated result is the last line: the gradient of softmax followed by
//! cross-entropy is just `(y - t) / N`, "the difference between the prediction and the label",
//! far simpler than the two backward passes it replaces. `lse(z) = m + log sum_j exp(z_j - m)`
//! with `m = max_j z_j` is the log-sum-exp trick: no `exp` overflows, and no `log(0)` can occur,
//! so unlike the book's `cross_entropy_error` no `+ 1e-7` is needed. This is also how Keras
//! computes `categorical_crossentropy` from logits (and, by its `from_logits` detection, from a
//! softmax output layer); the two agree except where a probability is below about 1e-7.
//!
//! ```python
//! class SoftmaxWithLoss:
//!     def forward(self, x, t):
//!         self.t = t
//!         self.y = softmax(x)
//!         self.loss = cross_entropy_error(self.y, self.t)
//!         return self.loss
//!     def backward(self, dout=1):
//!         batch_size = self.t.shape[0]
//!         if self.t.size == self.y.size:   # one-hot labels
//!             dx = (self.y - self.t) / batch_size
//!         else:                            # class indices
//!             dx = self.y.copy()
//!             dx[np.arange(batch_size), self.t] -= 1
//!             dx = dx / batch_size
//!         return dx
//! ```

use crate::layer::ensure_shape;
use ch03_activations::Float;
use ch03_activations::softmax::softmax_row_into;
use ch04_loss_gradient::loss_functions::{cross_entropy_logits_class, cross_entropy_logits_row};
use ch04_loss_gradient::{Labels, LossError};
use ndarray::{Array2, ArrayRef1, ArrayRef2, Zip};

/// Softmax + cross-entropy from logits: `forward` returns the loss, `backward` the logits'
/// gradient `(y - t) / N`. Allocation-free once its buffers have the batch's shape.
///
/// ```
/// use ch04_loss_gradient::Labels;
/// use ch05_backprop::SoftmaxWithLoss;
/// use ndarray::array;
///
/// let mut last = SoftmaxWithLoss::new();
/// let logits = array![[2.0_f64, 1.0, 0.1], [0.0, 0.0, 0.0]];
/// let labels = array![0usize, 2];
/// let loss = last.forward(&logits, Labels::Sparse(labels.view()))?;
/// let y = last.output().clone();                           // softmax of each row
/// assert!((loss - (-(y[[0, 0]].ln()) - y[[1, 2]].ln()) / 2.0).abs() < 1e-12);
/// let dx = last.backward();                                // (y - t) / N
/// assert!((dx[[0, 0]] - (y[[0, 0]] - 1.0) / 2.0).abs() < 1e-15);
/// assert!((dx[[1, 0]] - y[[1, 0]] / 2.0).abs() < 1e-15);
/// # Ok::<(), ch04_loss_gradient::LossError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SoftmaxWithLoss<A> {
    /// Keras' `label_smoothing` s in [0, 1]: targets become `t (1 - s) + s / C` (default 0).
    pub label_smoothing: f64,
    /// softmax(z), shape (N, C).
    y: Array2<A>,
    /// The (smoothed) one-hot targets of the last forward, when labels were dense.
    t: Array2<A>,
    /// The class indices of the last forward, when labels were sparse.
    t_index: Vec<usize>,
    sparse: bool,
    /// The sample weights of the last forward (empty when none were given).
    w: Vec<A>,
    loss: A,
}

impl<A: Float> Default for SoftmaxWithLoss<A> {
    fn default() -> Self {
        SoftmaxWithLoss {
            label_smoothing: 0.0,
            y: Array2::zeros((0, 0)),
            t: Array2::zeros((0, 0)),
            t_index: Vec::new(),
            sparse: false,
            w: Vec::new(),
            loss: A::zero(),
        }
    }
}

impl<A: Float> SoftmaxWithLoss<A> {
    /// The fused layer, without label smoothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fused layer with Keras' `label_smoothing` (0 <= s <= 1, else an error).
    pub fn with_label_smoothing(s: f64) -> Result<Self, LossError> {
        if !(0.0..=1.0).contains(&s) {
            return Err(LossError::Label(format!(
                "label_smoothing must be between 0 and 1, got {s}"
            )));
        }
        Ok(SoftmaxWithLoss {
            label_smoothing: s,
            ..Self::default()
        })
    }

    /// `L = sum_i L_i / N` from logits `z` (N, C); keeps `y = softmax(z)` and the labels.
    pub fn forward(
        &mut self,
        logits: &ArrayRef2<A>,
        labels: Labels<'_, A>,
    ) -> Result<A, LossError> {
        self.forward_weighted(logits, labels, None)
    }

    /// `L = sum_i w_i L_i / N` (Keras divides by N, not by the sum of the weights).
    ///
    /// Errors, naming the fix, if the labels or weights do not fit the logits: dense labels of
    /// another shape, a class index `>= C`, a weight vector not of length N, an empty batch.
    pub fn forward_weighted(
        &mut self,
        logits: &ArrayRef2<A>,
        labels: Labels<'_, A>,
        sample_weight: Option<&ArrayRef1<A>>,
    ) -> Result<A, LossError> {
        let (n, c) = logits.dim();
        if n == 0 || c == 0 {
            return Err(LossError::Shape(format!(
                "SoftmaxWithLoss: logits of shape ({n}, {c}); need at least one sample and one class"
            )));
        }
        if let Some(w) = sample_weight
            && w.len() != n
        {
            return Err(LossError::Shape(format!(
                "SoftmaxWithLoss: {} sample weights for a batch of {n}; give one weight per sample",
                w.len()
            )));
        }
        let s = A::of(self.label_smoothing);
        let off = A::of(self.label_smoothing / c as f64); // s / C, every class's share
        let keep = A::one() - s;
        match labels {
            Labels::Dense(t) => {
                if t.dim() != (n, c) {
                    return Err(LossError::Shape(format!(
                        "SoftmaxWithLoss: labels of shape {:?} for logits of shape ({n}, {c}); \
                         give one-hot rows of the logits' shape, or class indices as Labels::Sparse",
                        t.dim()
                    )));
                }
                self.sparse = false;
                ensure_shape(&mut self.t, (n, c));
                Zip::from(&mut self.t)
                    .and(&t)
                    .for_each(|d, &v| *d = v * keep + off);
            }
            Labels::Sparse(t) => {
                if t.len() != n {
                    return Err(LossError::Shape(format!(
                        "SoftmaxWithLoss: {} labels for {n} rows of logits; give one class index per sample",
                        t.len()
                    )));
                }
                if let Some((i, &k)) = t.iter().enumerate().find(|&(_, &k)| k >= c) {
                    return Err(LossError::Label(format!(
                        "SoftmaxWithLoss: label {k} of sample {i} is not a class of {c} outputs; \
                         labels must be in 0..={}",
                        c - 1
                    )));
                }
                self.sparse = true;
                self.t_index.clear();
                self.t_index.extend(t.iter().copied());
            }
        }
        self.w.clear();
        if let Some(w) = sample_weight {
            self.w.extend(w.iter().copied());
        }

        ensure_shape(&mut self.y, (n, c));
        let mut total = A::zero();
        for i in 0..n {
            let z = logits.row(i);
            // ch03's softmax kernel; it hands back the max and the sum for log-sum-exp.
            let (m, sum) = softmax_row_into(&z, &mut self.y.row_mut(i));
            let lse = m + sum.ln();
            // L_i = sum_j t_ij (lse - z_ij), ch04's cross-entropy row kernel
            let li = if self.sparse {
                let k = self.t_index[i];
                let sum_z = if s > A::zero() { z.sum() } else { A::zero() };
                // the smoothed one-hot row, summed in closed form: keep at k, off everywhere
                keep * cross_entropy_logits_class(&z, lse, k)
                    + off * (lse * A::of(c as f64) - sum_z)
            } else {
                let t = self.t.row(i);
                cross_entropy_logits_row(&z, lse, |j| t[j])
            };
            let wi = self.w.get(i).copied().unwrap_or(A::one());
            total = total + wi * li;
        }
        self.loss = total / A::of(n as f64);
        Ok(self.loss)
    }

    /// `dL/dz = w_i (y_i sum_j t_ij - t_i) / N` into `dx` (N, C): `(y - t) / N` for one-hot
    /// labels without weights. Like the book's `backward(dout=1)`, it starts the chain.
    pub fn backward_into(&self, dx: &mut Array2<A>) {
        let (n, c) = self.y.dim();
        ensure_shape(dx, (n, c));
        let inv_n = A::one() / A::of(n as f64);
        let keep = A::one() - A::of(self.label_smoothing);
        let off = A::of(self.label_smoothing / c as f64);
        for i in 0..n {
            let scale = self.w.get(i).copied().unwrap_or(A::one()) * inv_n;
            let y = self.y.row(i);
            let mut d = dx.row_mut(i);
            if self.sparse {
                // the smoothed targets sum to 1: dx = (y - t) / N
                let k = self.t_index[i];
                Zip::from(&mut d)
                    .and(&y)
                    .for_each(|d, &yj| *d = (yj - off) * scale);
                d[k] = d[k] - keep * scale;
            } else {
                let t = self.t.row(i);
                let sum_t = t.sum();
                Zip::from(&mut d)
                    .and(&y)
                    .and(&t)
                    .for_each(|d, &yj, &tj| *d = (yj * sum_t - tj) * scale);
            }
        }
    }

    /// The allocating form of [`SoftmaxWithLoss::backward_into`].
    pub fn backward(&self) -> Array2<A> {
        let mut dx = Array2::zeros((0, 0));
        self.backward_into(&mut dx);
        dx
    }

    /// `y = softmax(z)` from the last forward, shape (N, C): the predicted probabilities.
    pub fn output(&self) -> &Array2<A> {
        &self.y
    }

    /// The loss returned by the last forward.
    pub fn loss(&self) -> A {
        self.loss
    }
}

/// The book's `softmax_loss(X, t)` (`common/functions.py`): `cross_entropy_error(softmax(X),
/// t)`, the loss [`SoftmaxWithLoss`] computes, written the book's way: ch03's softmax and
/// ch04's cross-entropy with its `+ 1e-7`. `x` (K,) or (N, K) scores; `t` one-hot of the same
/// size or class indices.
///
/// Errors: as [`ch04_loss_gradient::cross_entropy_error`].
///
/// ```
/// use ch05_backprop::softmax_with_loss::softmax_loss;
/// use ndarray::array;
/// // equal scores: softmax is uniform, the loss ln 3 (less the 1e-7 guard)
/// let loss = softmax_loss(&array![[0.0, 0.0, 0.0]], &array![2usize]).unwrap();
/// assert!((loss - 3f64.ln()).abs() < 1e-6);
/// ```
pub fn softmax_loss<A, D, L, E>(
    x: &ndarray::ArrayRef<A, D>,
    t: &ndarray::ArrayRef<L, E>,
) -> Result<A, LossError>
where
    A: Float,
    D: ndarray::Dimension,
    L: ch04_loss_gradient::ClassLabel,
    E: ndarray::Dimension,
{
    ch04_loss_gradient::cross_entropy_error(&ch03_activations::softmax(x), t)
}
