//! Every Keras loss: the value per sample and Keras' reduction.
//!
//! A loss compares a prediction `y_pred` of shape (N, D) (N samples, D outputs each) with the
//! true values `y_true` and gives one number per sample, shape (N,). Keras then reduces those
//! N numbers to the one number training minimises: `sum_i(loss_i * w_i) / N` ([`reduce`]).
//!
//! The formulas are Keras 2's (`tf_keras/losses.py` and `tf_keras/backend.py`), with
//! eps = 1e-7 rounded to the array's scalar type (in f32, `1 - eps` is 0.99999988). Where eps
//! sits decides the answer at the edges (a probability of exactly 0 or 1), and the tests check
//! those edges against TensorFlow's own numbers (`testdata/keras2_parity.json`).
//!
//! | loss | per sample, over one row `t`, `p` of length D |
//! |---|---|
//! | mean_squared_error | `mean((p - t)^2)` |
//! | mean_absolute_error | `mean(abs(p - t))` |
//! | mean_absolute_percentage_error | `100 * mean(abs((t - p) / max(abs(t), eps)))` |
//! | mean_squared_logarithmic_error | `mean((ln(max(p, eps) + 1) - ln(max(t, eps) + 1))^2)` |
//! | hinge / squared_hinge | `mean(max(1 - t p, 0))` (squared); 0/1 labels become -1/1 first |
//! | categorical_hinge | `max(max_j((1 - t) p) - sum(t p) + 1, 0)` |
//! | log_cosh | `mean(x + softplus(-2x) - ln 2)`, `x = p - t` |
//! | huber | `mean(abs(e) <= delta ? e^2/2 : delta (abs(e) - delta/2))`, `e = p - t` |
//! | categorical_crossentropy | `-sum(t ln(clip(p / sum(p), eps, 1 - eps)))` |
//! | sparse_categorical_crossentropy | `logsumexp(z) - z[label]`, `z = ln(clip(p, eps, 1 - eps))` |
//! | binary_crossentropy | `-mean(t ln(p' + eps) + (1 - t) ln(1 - p' + eps))`, `p' = clip(p, eps, 1 - eps)` |
//! | ... `from_logits` | `sum(t (logsumexp(z) - z))` (categorical), `mean(max(z, 0) - z t + ln(1 + exp(-abs(z))))` (binary) |
//! | kl_divergence | `sum(t' ln(t' / p'))`, both clipped to `[eps, 1]` |
//! | poisson | `mean(p - t ln(p + eps))` |
//! | cosine_similarity | `-sum(t p) / (max(norm(t), 1e-6) max(norm(p), 1e-6))`: -1 is best |
//!
//! ```
//! use ch04_loss_gradient::Labels;
//! use ch04_loss_gradient::keras::Loss;
//! use ndarray::array;
//!
//! let loss: Loss = "mse".parse().unwrap();
//! let y_true = array![[0.0_f32, 1.0], [0.0, 0.0]];
//! let y_pred = array![[1.0_f32, 1.0], [1.0, 0.0]];
//! let per_sample = loss.per_sample(Labels::Dense(y_true.view()), &y_pred).unwrap();
//! assert_eq!(per_sample.to_vec(), vec![0.5, 0.5]);
//! // Keras' sample weights: sum(loss_i * w_i) / N, divided by N = 2, not by sum(w) = 1.
//! let w = array![0.7_f32, 0.3];
//! let weighted = loss.compute(Labels::Dense(y_true.view()), &y_pred, Some(&w)).unwrap();
//! assert!((weighted - 0.25).abs() < 1e-7);
//! ```

use crate::labels::{Labels, LossError};
use crate::loss_functions::{cross_entropy_logits_class, cross_entropy_logits_row};
use ch03_activations::Float;
use ch03_activations::keras::activation::{softplus as softplus_at, softplus_threshold};
use ch03_activations::softmax::shifted_log_sum_exp;
use ndarray::{Array1, ArrayRef1, ArrayRef2, ArrayView1};
use std::fmt;
use std::str::FromStr;

/// Keras' fuzz factor `backend.epsilon()`.
pub const EPSILON: f64 = 1e-7;

/// A Keras loss, parsed from its name or alias (`"mse".parse::<Loss>()`).
///
/// The hyper-parameters are kept in `f64` and rounded to the array's scalar type when applied.
/// Parsing a name gives Keras' defaults (`from_logits: false`, `label_smoothing: 0`,
/// `delta: 1`); build the variant directly for other settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// `mean((p - t)^2)`; aliases `mse`, `MSE`.
    MeanSquaredError,
    /// `mean(abs(p - t))`; aliases `mae`, `MAE`.
    MeanAbsoluteError,
    /// `100 * mean(abs((t - p) / max(abs(t), eps)))`; aliases `mape`, `MAPE`.
    MeanAbsolutePercentageError,
    /// `mean((ln(max(p, eps) + 1) - ln(max(t, eps) + 1))^2)`; aliases `msle`, `MSLE`.
    MeanSquaredLogarithmicError,
    /// `mean(max(1 - t p, 0)^2)`, labels -1/1 (0/1 labels are converted).
    SquaredHinge,
    /// `mean(max(1 - t p, 0))`, labels -1/1 (0/1 labels are converted).
    Hinge,
    /// `max(max_j((1 - t) p) - sum(t p) + 1, 0)` for one-hot `t`.
    CategoricalHinge,
    /// `mean(ln(cosh(p - t)))`, computed stably; alias `logcosh`.
    LogCosh,
    /// Squared error up to `delta`, absolute error beyond; alias `huber_loss`.
    Huber {
        /// Where the quadratic part turns linear (Keras' default 1.0); finite, >= 0.
        delta: f64,
    },
    /// `-sum(t ln p)` for probability rows `p` (or logits with `from_logits`).
    CategoricalCrossentropy {
        /// `y_pred` holds logits (before softmax), not probabilities.
        from_logits: bool,
        /// In [0, 1]: `t` becomes `t (1 - s) + s / D`.
        label_smoothing: f64,
    },
    /// Categorical cross-entropy with class indices as labels.
    SparseCategoricalCrossentropy {
        /// `y_pred` holds logits (before softmax), not probabilities.
        from_logits: bool,
    },
    /// `-mean(t ln p + (1 - t) ln(1 - p))`; aliases `bce`, `BCE`.
    BinaryCrossentropy {
        /// `y_pred` holds logits (before the sigmoid), not probabilities.
        from_logits: bool,
        /// In [0, 1]: `t` becomes `t (1 - s) + s / 2`.
        label_smoothing: f64,
    },
    /// `sum(t ln(t / p))`; aliases `kld`, `KLD`, `kullback_leibler_divergence`.
    KlDivergence,
    /// `mean(p - t ln(p + eps))`.
    Poisson,
    /// Minus the cosine of the angle between `t` and `p`; aliases `cosine_proximity`, `cosine`.
    CosineSimilarity,
}

/// Every name [`Loss::from_str`] accepts, with the loss it means: Keras' function names,
/// their aliases, and the class names (`"MeanSquaredError"`), which Keras also resolves.
pub const LOSS_NAMES: &[(&str, Loss)] = &[
    ("mean_squared_error", Loss::MeanSquaredError),
    ("mse", Loss::MeanSquaredError),
    ("MSE", Loss::MeanSquaredError),
    ("MeanSquaredError", Loss::MeanSquaredError),
    ("mean_absolute_error", Loss::MeanAbsoluteError),
    ("mae", Loss::MeanAbsoluteError),
    ("MAE", Loss::MeanAbsoluteError),
    ("MeanAbsoluteError", Loss::MeanAbsoluteError),
    (
        "mean_absolute_percentage_error",
        Loss::MeanAbsolutePercentageError,
    ),
    ("mape", Loss::MeanAbsolutePercentageError),
    ("MAPE", Loss::MeanAbsolutePercentageError),
    (
        "MeanAbsolutePercentageError",
        Loss::MeanAbsolutePercentageError,
    ),
    (
        "mean_squared_logarithmic_error",
        Loss::MeanSquaredLogarithmicError,
    ),
    ("msle", Loss::MeanSquaredLogarithmicError),
    ("MSLE", Loss::MeanSquaredLogarithmicError),
    (
        "MeanSquaredLogarithmicError",
        Loss::MeanSquaredLogarithmicError,
    ),
    ("squared_hinge", Loss::SquaredHinge),
    ("SquaredHinge", Loss::SquaredHinge),
    ("hinge", Loss::Hinge),
    ("Hinge", Loss::Hinge),
    ("categorical_hinge", Loss::CategoricalHinge),
    ("CategoricalHinge", Loss::CategoricalHinge),
    ("log_cosh", Loss::LogCosh),
    ("logcosh", Loss::LogCosh),
    ("LogCosh", Loss::LogCosh),
    ("huber", Loss::Huber { delta: 1.0 }),
    ("huber_loss", Loss::Huber { delta: 1.0 }),
    ("Huber", Loss::Huber { delta: 1.0 }),
    (
        "categorical_crossentropy",
        Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    (
        "CategoricalCrossentropy",
        Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    (
        "sparse_categorical_crossentropy",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
    ),
    (
        "SparseCategoricalCrossentropy",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
    ),
    (
        "binary_crossentropy",
        Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    (
        "bce",
        Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    (
        "BCE",
        Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    (
        "BinaryCrossentropy",
        Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: 0.0,
        },
    ),
    ("kl_divergence", Loss::KlDivergence),
    ("kld", Loss::KlDivergence),
    ("KLD", Loss::KlDivergence),
    ("kullback_leibler_divergence", Loss::KlDivergence),
    ("KLDivergence", Loss::KlDivergence),
    ("poisson", Loss::Poisson),
    ("Poisson", Loss::Poisson),
    ("cosine_similarity", Loss::CosineSimilarity),
    ("cosine_proximity", Loss::CosineSimilarity),
    ("cosine", Loss::CosineSimilarity),
    ("CosineSimilarity", Loss::CosineSimilarity),
];

impl FromStr for Loss {
    type Err = LossError;

    /// Parses a Keras loss name or alias; an unknown name is an error listing the valid ones.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        LOSS_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, loss)| *loss)
            .ok_or_else(|| LossError::UnknownName {
                name: name.to_string(),
                valid: LOSS_NAMES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl fmt::Display for Loss {
    /// The canonical Keras name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The true row as a loss sees it: a dense row of `y_true`, or a class index read as one-hot.
#[derive(Clone, Copy)]
enum Truth<'a, A> {
    Row(ArrayView1<'a, A>),
    Class(usize),
}

impl<A: Float> Truth<'_, A> {
    #[inline]
    fn at(&self, j: usize) -> A {
        match self {
            Truth::Row(row) => row[j],
            Truth::Class(c) if *c == j => A::one(),
            Truth::Class(_) => A::zero(),
        }
    }
}

fn shape2(rows: usize, cols: usize) -> String {
    format!("({rows}, {cols})")
}

impl Loss {
    /// The canonical Keras name (`"mean_squared_error"`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Loss::MeanSquaredError => "mean_squared_error",
            Loss::MeanAbsoluteError => "mean_absolute_error",
            Loss::MeanAbsolutePercentageError => "mean_absolute_percentage_error",
            Loss::MeanSquaredLogarithmicError => "mean_squared_logarithmic_error",
            Loss::SquaredHinge => "squared_hinge",
            Loss::Hinge => "hinge",
            Loss::CategoricalHinge => "categorical_hinge",
            Loss::LogCosh => "log_cosh",
            Loss::Huber { .. } => "huber",
            Loss::CategoricalCrossentropy { .. } => "categorical_crossentropy",
            Loss::SparseCategoricalCrossentropy { .. } => "sparse_categorical_crossentropy",
            Loss::BinaryCrossentropy { .. } => "binary_crossentropy",
            Loss::KlDivergence => "kl_divergence",
            Loss::Poisson => "poisson",
            Loss::CosineSimilarity => "cosine_similarity",
        }
    }

    /// Checks the hyper-parameters: `label_smoothing` in [0, 1], Huber's `delta` finite and >= 0.
    pub fn validate(&self) -> Result<(), LossError> {
        match *self {
            Loss::CategoricalCrossentropy {
                label_smoothing, ..
            }
            | Loss::BinaryCrossentropy {
                label_smoothing, ..
            } if !(0.0..=1.0).contains(&label_smoothing) => Err(LossError::Parameter(format!(
                "{}: label_smoothing must be in [0, 1], got {label_smoothing}; \
                 0 turns smoothing off, 0.1 is a usual choice",
                self.name()
            ))),
            Loss::Huber { delta } if !(delta.is_finite() && delta >= 0.0) => {
                Err(LossError::Parameter(format!(
                    "huber: delta must be a finite number >= 0, got {delta}; Keras' default is 1.0"
                )))
            }
            _ => Ok(()),
        }
    }

    /// The loss of each row of `y_pred` (shape (N, D)) against `y_true`: shape (N,).
    pub fn per_sample<A: Float>(
        &self,
        y_true: Labels<'_, A>,
        y_pred: &ArrayRef2<A>,
    ) -> Result<Array1<A>, LossError> {
        let mut out = Array1::zeros(y_pred.nrows());
        self.per_sample_into(y_true, y_pred, &mut out)?;
        Ok(out)
    }

    /// Like [`Loss::per_sample`], written into `out` (shape (N,)), allocating nothing.
    ///
    /// Errors (nothing is written then): `y_pred` with no columns, `out` not of length N,
    /// dense labels not of shape (N, D), sparse labels not of length N or not below D, sparse
    /// labels for a loss that needs dense ones, and hyper-parameters out of range.
    pub fn per_sample_into<A: Float>(
        &self,
        y_true: Labels<'_, A>,
        y_pred: &ArrayRef2<A>,
        out: &mut ArrayRef1<A>,
    ) -> Result<(), LossError> {
        self.validate()?;
        let (n, d) = y_pred.dim();
        if d == 0 {
            return Err(LossError::Shape(format!(
                "{}: y_pred has shape {} with no columns; each sample needs at least one \
                 output (reshape a vector of N predictions to (N, 1))",
                self.name(),
                shape2(n, d)
            )));
        }
        if out.len() != n {
            return Err(LossError::Shape(format!(
                "{}: the output buffer has length {} but y_pred has {n} rows; pass a buffer of \
                 length {n} (one loss per sample)",
                self.name(),
                out.len()
            )));
        }
        if y_true.len() != n {
            let what = match y_true {
                Labels::Dense(t) => format!("y_true has shape {}", shape2(t.nrows(), t.ncols())),
                Labels::Sparse(t) => format!("y_true has {} class indices", t.len()),
            };
            return Err(LossError::Shape(format!(
                "{}: {what} but y_pred has shape {}; give one label per sample ({n} rows)",
                self.name(),
                shape2(n, d)
            )));
        }
        match (*self, y_true) {
            (Loss::SparseCategoricalCrossentropy { from_logits }, Labels::Dense(t)) => {
                // Keras also accepts the class indices as a float column (N, 1).
                if t.ncols() != 1 {
                    return Err(LossError::Shape(format!(
                        "sparse_categorical_crossentropy takes one class index per sample \
                         (Labels::Sparse of length {n}, or a column of shape ({n}, 1)), but \
                         y_true has shape {} for y_pred of shape {}; for one-hot labels use \
                         categorical_crossentropy",
                        shape2(t.nrows(), t.ncols()),
                        shape2(n, d)
                    )));
                }
                for (i, &v) in t.column(0).iter().enumerate() {
                    float_class(v, i, d)?;
                }
                for (i, o) in out.iter_mut().enumerate() {
                    // Checked above: a whole number in 0..d.
                    let class = t[[i, 0]].as_f64() as usize;
                    *o = sparse_crossentropy_row(y_pred.row(i), class, from_logits);
                }
                Ok(())
            }
            (_, Labels::Dense(t)) => {
                if t.dim() != (n, d) {
                    return Err(LossError::Shape(format!(
                        "{}: y_true has shape {} but y_pred has shape {}; they must match \
                         (for class indices use Labels::Sparse with \
                         sparse_categorical_crossentropy)",
                        self.name(),
                        shape2(t.nrows(), t.ncols()),
                        shape2(n, d)
                    )));
                }
                // Keras converts 0/1 labels to -1/1 for the hinge losses, deciding for the
                // whole batch at once.
                let zero_one = matches!(self, Loss::Hinge | Loss::SquaredHinge)
                    && t.iter().all(|&v| v == A::zero() || v == A::one());
                for (i, o) in out.iter_mut().enumerate() {
                    *o = self.row_loss(Truth::Row(t.row(i)), y_pred.row(i), zero_one);
                }
                Ok(())
            }
            (Loss::SparseCategoricalCrossentropy { .. }, Labels::Sparse(t))
            | (Loss::CategoricalCrossentropy { .. }, Labels::Sparse(t)) => {
                if let Some((i, &c)) = t.iter().enumerate().find(|&(_, &c)| c >= d) {
                    return Err(LossError::Label(format!(
                        "{}: label {c} of sample {i} is out of range for y_pred's {d} classes \
                         (valid labels are 0..={}); check the labels, or give the output layer \
                         as many units as there are classes",
                        self.name(),
                        d - 1
                    )));
                }
                for (i, o) in out.iter_mut().enumerate() {
                    *o = match *self {
                        Loss::SparseCategoricalCrossentropy { from_logits } => {
                            sparse_crossentropy_row(y_pred.row(i), t[i], from_logits)
                        }
                        _ => self.row_loss(Truth::Class(t[i]), y_pred.row(i), false),
                    };
                }
                Ok(())
            }
            (_, Labels::Sparse(_)) => Err(LossError::Label(format!(
                "{} compares y_pred with true values of the same shape {}, but got class \
                 indices (Labels::Sparse); pass Labels::Dense (one-hot encode class labels), \
                 or use sparse_categorical_crossentropy",
                self.name(),
                shape2(n, d)
            ))),
        }
    }

    /// Keras' reduced loss: `sum_i(loss_i * w_i) / N` (w = 1 without sample weights).
    ///
    /// Errors as [`Loss::per_sample_into`], and when `sample_weight` is not of length N.
    pub fn compute<A: Float>(
        &self,
        y_true: Labels<'_, A>,
        y_pred: &ArrayRef2<A>,
        sample_weight: Option<&ArrayRef1<A>>,
    ) -> Result<A, LossError> {
        check_sample_weight(y_pred.nrows(), sample_weight)?;
        let per_sample = self.per_sample(y_true, y_pred)?;
        Ok(reduce(&per_sample, sample_weight))
    }

    /// The loss of one sample: row `t` of the labels against row `p` of the prediction.
    /// `zero_one` says the hinge labels are 0/1 and become -1/1.
    fn row_loss<A: Float>(&self, t: Truth<'_, A>, p: ArrayView1<'_, A>, zero_one: bool) -> A {
        let d = p.len();
        let mean = |sum: A| sum / A::of(d as f64);
        let eps = A::of(EPSILON);
        let (zero, one) = (A::zero(), A::one());
        // Sum of f(t_j, p_j) over the row.
        let sum = |f: &dyn Fn(A, A) -> A| (0..d).fold(zero, |acc, j| acc + f(t.at(j), p[j]));
        match *self {
            Loss::MeanSquaredError => mean(sum(&|t, p| (p - t) * (p - t))),
            Loss::MeanAbsoluteError => mean(sum(&|t, p| (p - t).abs())),
            Loss::MeanAbsolutePercentageError => {
                A::of(100.0) * mean(sum(&|t, p| ((t - p) / t.abs().max(eps)).abs()))
            }
            Loss::MeanSquaredLogarithmicError => mean(sum(&|t, p| {
                let e = (p.max(eps) + one).ln() - (t.max(eps) + one).ln();
                e * e
            })),
            Loss::Hinge | Loss::SquaredHinge => {
                let squared = matches!(self, Loss::SquaredHinge);
                mean(sum(&|t, p| {
                    let t = if zero_one { t + t - one } else { t };
                    let h = (one - t * p).max(zero);
                    if squared { h * h } else { h }
                }))
            }
            Loss::CategoricalHinge => {
                let pos = sum(&|t, p| t * p);
                let neg = (0..d)
                    .map(|j| (one - t.at(j)) * p[j])
                    .fold(A::neg_infinity(), A::max);
                (neg - pos + one).max(zero)
            }
            Loss::LogCosh => {
                let ln2 = A::of(std::f64::consts::LN_2);
                let two = A::of(2.0);
                mean(sum(&|t, p| {
                    let x = p - t;
                    x + softplus(-two * x) - ln2
                }))
            }
            Loss::Huber { delta } => {
                let delta = A::of(delta);
                let half = A::of(0.5);
                mean(sum(&|t, p| {
                    let e = p - t;
                    if e.abs() <= delta {
                        half * e * e
                    } else {
                        delta * e.abs() - half * delta * delta
                    }
                }))
            }
            Loss::CategoricalCrossentropy {
                from_logits,
                label_smoothing,
            } => {
                let s = A::of(label_smoothing);
                let smooth_scale = one - s;
                let smooth_shift = s / A::of(d as f64);
                let smooth = |t: A| {
                    if label_smoothing > 0.0 {
                        t * smooth_scale + smooth_shift
                    } else {
                        t
                    }
                };
                if from_logits {
                    let (m, ln_sum) = shifted_log_sum_exp(&p);
                    cross_entropy_logits_row(&p, m + ln_sum, |j| smooth(t.at(j)))
                } else {
                    // Keras renormalises the row, then clips away 0 and 1.
                    let total = p.sum();
                    let hi = one - eps;
                    -sum(&|t, p| smooth(t) * (p / total).max(eps).min(hi).ln())
                }
            }
            Loss::SparseCategoricalCrossentropy { from_logits } => match t {
                Truth::Class(c) => sparse_crossentropy_row(p, c, from_logits),
                Truth::Row(_) => unreachable!("dense labels are read as classes before this"),
            },
            Loss::BinaryCrossentropy {
                from_logits,
                label_smoothing,
            } => {
                let s = A::of(label_smoothing);
                let smooth_scale = one - s;
                let smooth_shift = A::of(0.5) * s;
                let smooth = |t: A| {
                    if label_smoothing > 0.0 {
                        t * smooth_scale + smooth_shift
                    } else {
                        t
                    }
                };
                if from_logits {
                    // tf.nn.sigmoid_cross_entropy_with_logits, stable for any z.
                    mean(sum(&|t, z| {
                        z.max(zero) - z * smooth(t) + (-z.abs()).exp().ln_1p()
                    }))
                } else {
                    let hi = one - eps;
                    mean(sum(&|t, p| {
                        let t = smooth(t);
                        let p = p.max(eps).min(hi);
                        // eps is added again inside the logs: p = 0, t = 1 gives -ln(2e-7).
                        -(t * (p + eps).ln() + (one - t) * (one - p + eps).ln())
                    }))
                }
            }
            Loss::KlDivergence => sum(&|t, p| {
                let t = t.max(eps).min(one);
                let p = p.max(eps).min(one);
                t * (t / p).ln()
            }),
            Loss::Poisson => mean(sum(&|t, p| p - t * (p + eps).ln())),
            Loss::CosineSimilarity => {
                // tf.linalg.l2_normalize: x / sqrt(max(sum(x^2), 1e-12)).
                let floor = A::of(1e-12);
                let t_norm = one / sum(&|t, _| t * t).max(floor).sqrt();
                let p_norm = one / sum(&|_, p| p * p).max(floor).sqrt();
                -sum(&|t, p| (t * t_norm) * (p * p_norm))
            }
        }
    }
}

/// A float label of `sparse_categorical_crossentropy` read as a class index in `0..classes`.
fn float_class<A: Float>(v: A, sample: usize, classes: usize) -> Result<usize, LossError> {
    let x = v.as_f64();
    if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < classes as f64 {
        Ok(x as usize)
    } else {
        Err(LossError::Label(format!(
            "sparse_categorical_crossentropy: label {x} of sample {sample} is not a class index \
             of y_pred's {classes} classes (a whole number in 0..={}); check the labels, or use \
             categorical_crossentropy for one-hot rows",
            classes - 1
        )))
    }
}

/// `logsumexp(z) - z[class]` with `z = p` (logits) or `z = ln(clip(p, eps, 1 - eps))`, as
/// Keras' backend does for probabilities: no renormalisation, unlike categorical_crossentropy.
fn sparse_crossentropy_row<A: Float>(p: ArrayView1<'_, A>, class: usize, from_logits: bool) -> A {
    if from_logits {
        let (m, ln_sum) = shifted_log_sum_exp(&p);
        cross_entropy_logits_class(&p, m + ln_sum, class)
    } else {
        let eps = A::of(EPSILON);
        let hi = A::one() - eps;
        let z = |x: A| x.max(eps).min(hi).ln();
        // z <= 0 everywhere, so exp cannot overflow; no max shift is needed.
        let lse = p.iter().fold(A::zero(), |acc, &x| acc + z(x).exp()).ln();
        lse - z(p[class])
    }
}

/// `ln(1 + exp(x))` as TensorFlow computes it: ch03's Keras `softplus`, one formula for the
/// activation and this loss.
fn softplus<A: Float>(x: A) -> A {
    softplus_at(x, softplus_threshold())
}

/// Checks that `sample_weight`, if given, has one weight per sample (`n`).
pub fn check_sample_weight<A>(
    n: usize,
    sample_weight: Option<&ArrayRef1<A>>,
) -> Result<(), LossError> {
    match sample_weight {
        Some(w) if w.len() != n => Err(LossError::Shape(format!(
            "sample_weight has {} entries but there are {n} samples; give one weight per \
             sample (or none for equal weights)",
            w.len()
        ))),
        _ => Ok(()),
    }
}

/// Keras' `SUM_OVER_BATCH_SIZE` reduction: `sum_i(loss_i * w_i) / N`, divided by the number of
/// samples N, not by the sum of the weights. An empty batch gives 0 (TensorFlow's
/// `divide_no_nan`).
///
/// # Panics
/// If `sample_weight` is not of the same length as `per_sample` (a programmer error: check
/// user-supplied weights once with [`check_sample_weight`], or use [`Loss::compute`]).
pub fn reduce<A: Float>(per_sample: &ArrayRef1<A>, sample_weight: Option<&ArrayRef1<A>>) -> A {
    let n = per_sample.len();
    if n == 0 {
        return A::zero();
    }
    let total = match sample_weight {
        None => per_sample.sum(),
        Some(w) => {
            assert_eq!(
                w.len(),
                n,
                "reduce: sample_weight has {} entries for {n} losses",
                w.len()
            );
            per_sample
                .iter()
                .zip(w.iter())
                .fold(A::zero(), |acc, (&l, &w)| acc + l * w)
        }
    };
    total / A::of(n as f64)
}
