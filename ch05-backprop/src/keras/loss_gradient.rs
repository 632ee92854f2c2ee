//! The analytic gradient of every ch04 (Keras) loss with respect to the prediction.
//!
//! Keras reduces a loss as `L = sum_i w_i L_i / N` (N samples, weights `w`, 1 without), where
//! `L_i` is the loss of row `i` of the prediction `p` (N, D). So
//!
//! ```text
//! dL/dp_ij = (w_i / N) * dL_i/dp_ij
//! ```
//!
//! and this module's job is `dL_i/dp_ij` for each loss, the derivative of exactly the formula
//! ch04 computes (with Keras' clipping: where a value is clipped the gradient is 0, as in
//! TensorFlow). With `t` the labels, `e = p - t`, `eps = 1e-7`:
//!
//! | loss | `L_i` | `dL_i/dp_j` |
//! |---|---|---|
//! | mean_squared_error | `mean_j e_j^2` | `2 e_j / D` |
//! | mean_absolute_error | `mean_j abs(e_j)` | `sign(e_j) / D` |
//! | mean_absolute_percentage_error | `100 mean_j abs(e_j) / max(abs(t_j), eps)` | `100 sign(e_j) / (D max(abs(t_j), eps))` |
//! | mean_squared_logarithmic_error | `mean_j (log(max(p_j, eps) + 1) - log(max(t_j, eps) + 1))^2` | `2 d_j / (D (max(p_j, eps) + 1))`, `d_j` the difference of logs |
//! | hinge | `mean_j max(1 - t_j p_j, 0)` | `-t_j / D` where `1 - t_j p_j >= 0` |
//! | squared_hinge | `mean_j max(1 - t_j p_j, 0)^2` | `-2 t_j max(1 - t_j p_j, 0) / D` |
//! | categorical_hinge | `max(max_j (1 - t_j) p_j - sum_j t_j p_j + 1, 0)` | `(1 - t_j) [j = argmax] - t_j` where positive |
//! | log_cosh | `mean_j log(cosh(e_j))` | `tanh(e_j) / D` |
//! | huber | `mean_j (0.5 e_j^2 if abs(e_j) <= delta else delta abs(e_j) - 0.5 delta^2)` | `clip(e_j, -delta, delta) / D` |
//! | categorical_crossentropy | `-sum_j t_j log r_j`, `r = clip(p / sum p)` | `(g_j - sum_k g_k q_k) / sum p`, `g_j = -t_j / r_j`, `q = p / sum p` |
//! | sparse_categorical_crossentropy | `log sum_j r_j - log r_label`, `r = clip(p)` | `1 / sum_k r_k - [j = label] / r_j` |
//! | binary_crossentropy | `-mean_j (t_j log(r_j + eps) + (1 - t_j) log(1 - r_j + eps))`, `r = clip(p)` | `-(t_j / (r_j + eps) - (1 - t_j) / (1 - r_j + eps)) / D` |
//! | from logits (categorical, sparse) | `sum_j t_j (lse(z) - z_j)` | `softmax(z)_j sum_k t_k - t_j` |
//! | binary from logits | `mean_j max(z_j, 0) - z_j t_j + log(1 + exp(-abs(z_j)))` | `(sigmoid(z_j) - t_j) / D` |
//! | kl_divergence | `sum_j t_j log(t_j / p_j)`, both clipped to `[eps, 1]` | `-t_j / p_j` |
//! | poisson | `mean_j p_j - t_j log(p_j + eps)` | `(1 - t_j / (p_j + eps)) / D` |
//! | cosine_similarity | `-sum_j n(t)_j n(p)_j`, `n(x) = x / sqrt(max(sum x^2, 1e-12))` | `-(n(t)_j - (n(t) . n(p)) n(p)_j) / norm(p)` |
//!
//! `clip` is to `[eps, 1 - eps]`. Label smoothing `s` turns the labels into `t (1 - s) + s / D`
//! (categorical) or `t (1 - s) + s / 2` (binary) first; `hinge` and `squared_hinge` turn 0/1
//! labels into -1/1 when every label of the batch is 0 or 1, as Keras does. Labels are accepted
//! exactly as ch04's `Loss::per_sample` accepts them: class indices ([`Labels::Sparse`]) for
//! the two categorical cross-entropies (read as one-hot rows), and for
//! `sparse_categorical_crossentropy` also a dense column (N, 1) of whole-number indices.

use crate::layer::ensure_shape;
use ch03_activations::Float;
use ch03_activations::sigmoid::sigmoid_scalar;
use ch03_activations::softmax::softmax_row_into;
use ch04_loss_gradient::keras::{Loss, check_sample_weight};
use ch04_loss_gradient::{Labels, LossError};
use ndarray::{Array2, ArrayRef1, ArrayRef2, ArrayView1, ArrayViewMut1};

/// `out = dL/dy_pred` of Keras' reduced loss `L = sum_i w_i L_i / N`, shape (N, D) like
/// `y_pred`. Allocation-free once `out` has that shape.
///
/// Errors, naming the fix, when the labels or weights do not fit `y_pred`: dense labels of
/// another shape, class indices that are not one per row or not below D, weights not one per
/// row, an empty batch.
///
/// ```
/// use ch04_loss_gradient::Labels;
/// use ch04_loss_gradient::keras::Loss;
/// use ch05_backprop::keras::loss_gradient;
/// use ndarray::{Array2, array};
///
/// // mean squared error: L = sum_i mean_j (p - t)^2 / N, so dL/dp = 2 (p - t) / (D N)
/// let t = array![[1.0, 2.0], [0.0, 0.0]];
/// let p = array![[1.5, 2.0], [-1.0, 1.0]];
/// let mut grad = Array2::zeros((0, 0));
/// loss_gradient(&Loss::MeanSquaredError, Labels::Dense(t.view()), &p, None, &mut grad)?;
/// assert_eq!(grad, array![[0.25, 0.0], [-0.5, 0.5]]);
/// # Ok::<(), ch04_loss_gradient::LossError>(())
/// ```
pub fn loss_gradient<A: Float>(
    loss: &Loss,
    y_true: Labels<'_, A>,
    y_pred: &ArrayRef2<A>,
    sample_weight: Option<&ArrayRef1<A>>,
    out: &mut Array2<A>,
) -> Result<(), LossError> {
    let (n, d) = y_pred.dim();
    check_inputs(loss, y_true, y_pred, sample_weight)?;
    ensure_shape(out, (n, d));
    let hinge_signs = matches!(loss, Loss::Hinge | Loss::SquaredHinge)
        && match y_true {
            Labels::Dense(t) => t.iter().all(|&v| v == A::zero() || v == A::one()),
            Labels::Sparse(_) => false, // rejected by check_inputs
        };
    let inv_n = A::one() / A::of(n as f64);
    for i in 0..n {
        let truth = match (loss, y_true) {
            // a column of class indices (checked to be whole numbers in 0..d)
            (Loss::SparseCategoricalCrossentropy { .. }, Labels::Dense(t)) => {
                Truth::Class(t[[i, 0]].as_f64() as usize)
            }
            (_, Labels::Dense(t)) => Truth::Row(t.index_axis_move(ndarray::Axis(0), i)),
            (_, Labels::Sparse(t)) => Truth::Class(t[i]),
        };
        let target = Target {
            truth,
            keep: A::one(),
            add: A::zero(),
            hinge_signs,
        };
        let scale = sample_weight.map_or(A::one(), |w| w[i]) * inv_n;
        row_gradient(loss, target, y_pred.row(i), out.row_mut(i), scale);
    }
    Ok(())
}

/// The checks of ch04's `Loss::per_sample_into`, so that the gradient accepts exactly the
/// inputs the loss accepts, with errors that say what to change.
fn check_inputs<A: Float>(
    loss: &Loss,
    y_true: Labels<'_, A>,
    y_pred: &ArrayRef2<A>,
    sample_weight: Option<&ArrayRef1<A>>,
) -> Result<(), LossError> {
    loss.validate()?;
    check_sample_weight(y_pred.nrows(), sample_weight)?;
    let (n, d) = y_pred.dim();
    let name = loss.name();
    if d == 0 {
        return Err(LossError::Shape(format!(
            "{name}: y_pred has shape ({n}, 0) with no columns; each sample needs at least one \
             output (reshape a vector of N predictions to (N, 1))"
        )));
    }
    if y_true.len() != n {
        return Err(LossError::Shape(format!(
            "{name}: {} labels but y_pred has shape ({n}, {d}); give one label per sample",
            y_true.len()
        )));
    }
    match (loss, y_true) {
        (Loss::SparseCategoricalCrossentropy { .. }, Labels::Dense(t)) => {
            if t.ncols() != 1 {
                return Err(LossError::Shape(format!(
                    "{name} takes one class index per sample (Labels::Sparse of length {n}, or \
                     a column of shape ({n}, 1)), but y_true has shape {:?}; for one-hot labels \
                     use categorical_crossentropy",
                    t.dim()
                )));
            }
            for (i, &v) in t.column(0).iter().enumerate() {
                let x = v.as_f64();
                if !(x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < d as f64) {
                    return Err(LossError::Label(format!(
                        "{name}: label {x} of sample {i} is not a class index of y_pred's {d} \
                         classes (a whole number in 0..={})",
                        d - 1
                    )));
                }
            }
        }
        (_, Labels::Dense(t)) if t.dim() != (n, d) => {
            return Err(LossError::Shape(format!(
                "{name}: y_true has shape {:?} but y_pred has shape ({n}, {d}); they must \
                 match (for class indices use Labels::Sparse with \
                 sparse_categorical_crossentropy)",
                t.dim()
            )));
        }
        (_, Labels::Dense(_)) => {}
        (
            Loss::SparseCategoricalCrossentropy { .. } | Loss::CategoricalCrossentropy { .. },
            Labels::Sparse(t),
        ) => {
            if let Some((i, &k)) = t.iter().enumerate().find(|&(_, &k)| k >= d) {
                return Err(LossError::Label(format!(
                    "{name}: label {k} of sample {i} is out of range for y_pred's {d} classes \
                     (valid labels are 0..={}); check the labels, or give the output layer as \
                     many units as there are classes",
                    d - 1
                )));
            }
        }
        (_, Labels::Sparse(_)) => {
            return Err(LossError::Label(format!(
                "{name} compares y_pred with true values of the same shape ({n}, {d}), but got \
                 class indices (Labels::Sparse); pass Labels::Dense (one-hot encode class \
                 labels), or use sparse_categorical_crossentropy"
            )));
        }
    }
    Ok(())
}

/// One row of the labels: a dense row, or a class index read as a one-hot row.
#[derive(Clone, Copy)]
enum Truth<'a, A> {
    Row(ArrayView1<'a, A>),
    Class(usize),
}

/// Row `i` of the labels as the formulas see it: smoothed (`t keep + add`) and, for the hinge
/// losses with 0/1 labels, mapped to -1/1.
#[derive(Clone, Copy)]
struct Target<'a, A> {
    truth: Truth<'a, A>,
    keep: A,
    add: A,
    hinge_signs: bool,
}

impl<A: Float> Target<'_, A> {
    fn with_smoothing(mut self, s: f64, classes: f64) -> Self {
        self.keep = A::of(1.0 - s);
        self.add = A::of(s / classes);
        self
    }

    #[inline]
    fn at(&self, j: usize) -> A {
        let raw = match self.truth {
            Truth::Row(row) => row[j],
            Truth::Class(c) if c == j => A::one(),
            Truth::Class(_) => A::zero(),
        };
        let t = raw * self.keep + self.add;
        if self.hinge_signs {
            t + t - A::one()
        } else {
            t
        }
    }

    fn sum(&self, d: usize) -> A {
        (0..d).fold(A::zero(), |a, j| a + self.at(j))
    }
}

/// `g_j = scale * dL_i/dp_j` for one row `p` of the prediction.
fn row_gradient<A: Float>(
    loss: &Loss,
    t: Target<'_, A>,
    p: ArrayView1<'_, A>,
    mut g: ArrayViewMut1<'_, A>,
    scale: A,
) {
    let d = p.len();
    let inv_d = A::one() / A::of(d as f64);
    let eps = A::of(1e-7);
    let one = A::one();
    let zero = A::zero();
    let two = A::of(2.0);
    // d/dx clip(x, lo, hi) as TensorFlow defines it: 1 on the closed interval, 0 outside.
    let inside = |x: A, lo: A, hi: A| x >= lo && x <= hi;
    let sign = |x: A| {
        if x > zero {
            one
        } else if x < zero {
            -one
        } else {
            zero
        }
    };
    match *loss {
        Loss::MeanSquaredError => {
            for j in 0..d {
                g[j] = two * (p[j] - t.at(j)) * inv_d;
            }
        }
        Loss::MeanAbsoluteError => {
            for j in 0..d {
                g[j] = sign(p[j] - t.at(j)) * inv_d;
            }
        }
        Loss::MeanAbsolutePercentageError => {
            let hundred = A::of(100.0);
            for j in 0..d {
                let tj = t.at(j);
                g[j] = hundred * sign(p[j] - tj) / tj.abs().max(eps) * inv_d;
            }
        }
        Loss::MeanSquaredLogarithmicError => {
            for j in 0..d {
                let pc = p[j].max(eps);
                let diff = (pc + one).ln() - (t.at(j).max(eps) + one).ln();
                // tf.maximum passes the gradient to its first argument on ties
                let dp = if p[j] >= eps { one / (pc + one) } else { zero };
                g[j] = two * diff * dp * inv_d;
            }
        }
        Loss::Hinge => {
            for j in 0..d {
                let tj = t.at(j);
                g[j] = if one - tj * p[j] >= zero {
                    -tj * inv_d
                } else {
                    zero
                };
            }
        }
        Loss::SquaredHinge => {
            for j in 0..d {
                let tj = t.at(j);
                let m = (one - tj * p[j]).max(zero);
                g[j] = -two * tj * m * inv_d;
            }
        }
        Loss::CategoricalHinge => {
            let pos = (0..d).fold(zero, |a, j| a + t.at(j) * p[j]);
            let neg = (0..d).fold(A::neg_infinity(), |a, j| a.max((one - t.at(j)) * p[j]));
            if neg - pos + one >= zero {
                // tf.reduce_max shares the gradient equally among tied maxima
                let ties = (0..d).filter(|&j| (one - t.at(j)) * p[j] == neg).count();
                let share = one / A::of(ties as f64);
                for j in 0..d {
                    let tj = t.at(j);
                    let at_max = if (one - tj) * p[j] == neg {
                        share
                    } else {
                        zero
                    };
                    g[j] = (one - tj) * at_max - tj;
                }
            } else {
                g.fill(zero);
            }
        }
        Loss::LogCosh => {
            for j in 0..d {
                g[j] = (p[j] - t.at(j)).tanh() * inv_d;
            }
        }
        Loss::Huber { delta } => {
            let delta = A::of(delta);
            for j in 0..d {
                let e = p[j] - t.at(j);
                g[j] = if e.abs() <= delta { e } else { delta * sign(e) } * inv_d;
            }
        }
        Loss::CategoricalCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            let t = t.with_smoothing(label_smoothing, d as f64);
            if from_logits {
                softmax_minus_targets(t, p, g.view_mut());
            } else {
                let sum_p = p.sum();
                // g_j = dL/dq_j with q = p / sum p, then through the normalization:
                // dq_j/dp_k = (delta_jk - q_j) / sum p
                let mut dot = zero;
                for j in 0..d {
                    let q = p[j] / sum_p;
                    let r = q.max(eps).min(one - eps);
                    g[j] = if inside(q, eps, one - eps) {
                        -t.at(j) / r
                    } else {
                        zero
                    };
                    dot = dot + g[j] * q;
                }
                for j in 0..d {
                    g[j] = (g[j] - dot) / sum_p;
                }
            }
        }
        Loss::SparseCategoricalCrossentropy { from_logits } => {
            if from_logits {
                softmax_minus_targets(t, p, g.view_mut());
            } else {
                // z = log(clip(p)) as logits: dL/dz_j = softmax(z)_j sum t - t_j with
                // softmax(z)_j = r_j / sum r, and dz_j/dp_j = 1 / r_j inside the clip.
                let sum_r = p.fold(zero, |a, &v| a + v.max(eps).min(one - eps));
                let sum_t = t.sum(d);
                for j in 0..d {
                    let r = p[j].max(eps).min(one - eps);
                    g[j] = if inside(p[j], eps, one - eps) {
                        sum_t / sum_r - t.at(j) / r
                    } else {
                        zero
                    };
                }
            }
        }
        Loss::BinaryCrossentropy {
            from_logits,
            label_smoothing,
        } => {
            let t = t.with_smoothing(label_smoothing, 2.0);
            for j in 0..d {
                let tj = t.at(j);
                g[j] = if from_logits {
                    (sigmoid_scalar(p[j]) - tj) * inv_d
                } else if inside(p[j], eps, one - eps) {
                    -(tj / (p[j] + eps) - (one - tj) / (one - p[j] + eps)) * inv_d
                } else {
                    zero
                };
            }
        }
        Loss::KlDivergence => {
            for j in 0..d {
                let tc = t.at(j).max(eps).min(one);
                let pc = p[j].max(eps).min(one);
                g[j] = if inside(p[j], eps, one) {
                    -tc / pc
                } else {
                    zero
                };
            }
        }
        Loss::Poisson => {
            for j in 0..d {
                g[j] = (one - t.at(j) / (p[j] + eps)) * inv_d;
            }
        }
        Loss::CosineSimilarity => {
            let tiny = A::of(1e-12);
            let sum_t2 = (0..d).fold(zero, |a, j| a + t.at(j) * t.at(j));
            let inv_norm_t = one / sum_t2.max(tiny).sqrt();
            let sum_p2 = p.fold(zero, |a, &v| a + v * v);
            let norm_p = sum_p2.max(tiny).sqrt();
            // n(t) . p
            let dot = (0..d).fold(zero, |a, j| a + t.at(j) * inv_norm_t * p[j]);
            let normalizing = sum_p2 >= tiny;
            for j in 0..d {
                let nt = t.at(j) * inv_norm_t;
                g[j] = if normalizing {
                    -(nt / norm_p - dot * p[j] / (norm_p * norm_p * norm_p))
                } else {
                    -nt / norm_p
                };
            }
        }
    }
    g.mapv_inplace(|v| v * scale);
}

/// `g = softmax(z) sum_j t_j - t`: the logits' gradient of `sum_j t_j (lse(z) - z_j)`.
fn softmax_minus_targets<A: Float>(
    t: Target<'_, A>,
    z: ArrayView1<'_, A>,
    mut g: ArrayViewMut1<'_, A>,
) {
    softmax_row_into(&z, &mut g); // ch03's softmax kernel
    let sum_t = t.sum(z.len());
    for (j, gj) in g.iter_mut().enumerate() {
        *gj = *gj * sum_t - t.at(j);
    }
}
