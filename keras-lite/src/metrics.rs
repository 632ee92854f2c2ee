//! Metrics: what `compile(.., metrics)` reports besides the loss.
//!
//! Each metric turns a batch into one value per sample, and the value shown is the running mean
//! over the samples seen since the last reset (the start of an epoch, or of `evaluate`), as
//! Keras' `MeanMetricWrapper` does. Metrics are not weighted by `sample_weight` or
//! `class_weight` (Keras' `metrics`, as opposed to `weighted_metrics`).
//!
//! | name(s) | per sample |
//! |---|---|
//! | `accuracy`, `acc` | resolved from the shapes, see [`Metric::Accuracy`] |
//! | `binary_accuracy` | `mean_j(t_j == (p_j > 0.5))` |
//! | `categorical_accuracy` | `argmax(t) == argmax(p)` |
//! | `sparse_categorical_accuracy` | `t == argmax(p)` |
//! | `top_k_categorical_accuracy` (k = 5) | `argmax(t)` among the k largest `p` |
//! | `sparse_top_k_categorical_accuracy` (k = 5) | `t` among the k largest `p` |
//! | `crossentropy`, `ce` | the cross-entropy matching the shapes, like `accuracy` |
//! | `cosine_similarity`, `cosine_proximity` | `+cos(t, p)` (the loss is its negative) |
//! | `mae`, `mse`, `mape`, `msle`, `kld`, `logcosh`, every loss name | ch04's per-sample loss |
//!
//! `argmax` takes the first maximum, like TensorFlow's.

use crate::error::{KerasError, Result};
use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::{LOSS_NAMES, Loss};
use ndarray::{Array1, ArrayRef2, ArrayView1, ArrayView2};

/// A metric as `compile` accepts it by object (`Metric::SparseCategoricalAccuracy`); strings
/// are parsed with [`Metric::from_name`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// `"accuracy"`/`"acc"`: resolved when the data is seen, as Keras does: an output with one
    /// column -> binary accuracy; labels of lower rank than the output, or one label column for
    /// several outputs -> sparse categorical accuracy; otherwise categorical accuracy.
    Accuracy,
    /// `mean_j(t_j == (p_j > threshold))` (threshold 0.5 by default).
    BinaryAccuracy { threshold: f64 },
    /// `argmax(t) == argmax(p)`, for one-hot labels.
    CategoricalAccuracy,
    /// `t == argmax(p)`, for class indices.
    SparseCategoricalAccuracy,
    /// Whether `argmax(t)` is among the `k` largest predictions.
    TopKCategoricalAccuracy { k: usize },
    /// Whether the class index `t` is among the `k` largest predictions.
    SparseTopKCategoricalAccuracy { k: usize },
    /// `"crossentropy"`/`"ce"`: binary, sparse or categorical cross-entropy by the same rule as
    /// [`Metric::Accuracy`].
    Crossentropy,
    /// `cos(t, p)` (positive: 1 is best).
    CosineSimilarity,
    /// A loss of chapter 4 reported as a metric (`mae`, `mse`, ...).
    Loss(Loss),
}

/// The metric names [`Metric::from_name`] knows besides the loss names.
const METRIC_NAMES: &[&str] = &[
    "accuracy",
    "acc",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "crossentropy",
    "ce",
    "cosine_similarity",
    "cosine_proximity",
];

impl Metric {
    /// Parses a Keras metric name; an unknown name is an error listing the valid ones.
    ///
    /// ```
    /// use keras_lite::Metric;
    /// assert_eq!(Metric::from_name("acc").unwrap(), Metric::Accuracy);
    /// assert_eq!(Metric::from_name("top_k_categorical_accuracy").unwrap(),
    ///            Metric::TopKCategoricalAccuracy { k: 5 });
    /// assert!(Metric::from_name("accuracy_score").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<Metric> {
        Ok(match name {
            "accuracy" | "acc" => Metric::Accuracy,
            "binary_accuracy" => Metric::BinaryAccuracy { threshold: 0.5 },
            "categorical_accuracy" => Metric::CategoricalAccuracy,
            "sparse_categorical_accuracy" => Metric::SparseCategoricalAccuracy,
            "top_k_categorical_accuracy" => Metric::TopKCategoricalAccuracy { k: 5 },
            "sparse_top_k_categorical_accuracy" => Metric::SparseTopKCategoricalAccuracy { k: 5 },
            "crossentropy" | "ce" => Metric::Crossentropy,
            "cosine_similarity" | "cosine_proximity" | "cosine" => Metric::CosineSimilarity,
            _ => match name.parse::<Loss>() {
                Ok(loss) => Metric::Loss(loss),
                Err(_) => {
                    let mut valid: Vec<&str> = METRIC_NAMES.to_vec();
                    valid.extend(LOSS_NAMES.iter().map(|(n, _)| *n).filter(|n| {
                        // Class names (`MeanSquaredError`) are Keras loss objects, not metric names.
                        n.chars().next().is_some_and(|c| c.is_lowercase())
                    }));
                    valid.dedup();
                    return Err(KerasError::UnknownName {
                        kind: "metric",
                        name: name.to_string(),
                        valid: valid.join(", "),
                    });
                }
            },
        })
    }

    /// The name Keras gives this metric object in the logs (`sparse_categorical_accuracy`).
    pub fn name(&self) -> String {
        match self {
            Metric::Accuracy => "accuracy".into(),
            Metric::BinaryAccuracy { .. } => "binary_accuracy".into(),
            Metric::CategoricalAccuracy => "categorical_accuracy".into(),
            Metric::SparseCategoricalAccuracy => "sparse_categorical_accuracy".into(),
            Metric::TopKCategoricalAccuracy { .. } => "top_k_categorical_accuracy".into(),
            Metric::SparseTopKCategoricalAccuracy { .. } => {
                "sparse_top_k_categorical_accuracy".into()
            }
            Metric::Crossentropy => "crossentropy".into(),
            Metric::CosineSimilarity => "cosine_similarity".into(),
            Metric::Loss(loss) => loss.name().into(),
        }
    }

    /// Resolves `accuracy` and `crossentropy` from the shapes (Keras'
    /// `compile_utils._get_metric_object`): `y_rank` is the rank of the labels as given,
    /// `y_cols` their columns, `out_cols` the model's output units.
    pub fn resolve(self, y_rank: usize, y_cols: usize, out_cols: usize) -> Metric {
        let binary = out_cols == 1;
        let sparse = y_rank < 2 || (y_cols == 1 && out_cols > 1);
        match self {
            Metric::Accuracy if binary => Metric::BinaryAccuracy { threshold: 0.5 },
            Metric::Accuracy if sparse => Metric::SparseCategoricalAccuracy,
            Metric::Accuracy => Metric::CategoricalAccuracy,
            Metric::Crossentropy if binary => Metric::Loss(Loss::BinaryCrossentropy {
                from_logits: false,
                label_smoothing: 0.0,
            }),
            Metric::Crossentropy if sparse => {
                Metric::Loss(Loss::SparseCategoricalCrossentropy { from_logits: false })
            }
            Metric::Crossentropy => Metric::Loss(Loss::CategoricalCrossentropy {
                from_logits: false,
                label_smoothing: 0.0,
            }),
            other => other,
        }
    }

    /// True if this (resolved) metric reads labels as class indices.
    pub fn wants_class_indices(&self) -> bool {
        matches!(
            self,
            Metric::SparseCategoricalAccuracy
                | Metric::SparseTopKCategoricalAccuracy { .. }
                | Metric::Loss(Loss::SparseCategoricalCrossentropy { .. })
        )
    }
}

/// Index of the first maximum of a row (TensorFlow's `argmax`); NaN never wins. This is
/// ch03's [`argmax`](ch03_activations::argmax()), the one the book's accuracy loops use.
pub fn argmax(row: ArrayView1<'_, f32>) -> usize {
    ch03_activations::argmax(row)
}

/// TensorFlow's `in_top_k`: class `target` is in the top `k` unless `k` or more classes have a
/// strictly larger prediction (ties at the boundary count as in); a non-finite prediction for
/// the target is never in.
pub fn in_top_k(row: ArrayView1<'_, f32>, target: usize, k: usize) -> bool {
    let t = row[target];
    if !t.is_finite() {
        return false;
    }
    row.iter().filter(|&&v| v > t).count() < k
}

/// One metric's running mean over the samples seen since the last reset.
#[derive(Debug, Clone)]
pub(crate) struct MetricState {
    /// The name shown in the logs (the string the user gave, or the object's name).
    pub name: String,
    /// The metric after `accuracy`/`crossentropy` are resolved.
    pub metric: Metric,
    total: f64,
    count: f64,
    /// Per-sample values of the current batch (kept to allocate nothing per step).
    buf: Array1<f32>,
}

impl MetricState {
    pub fn new(name: String, metric: Metric) -> Self {
        MetricState {
            name,
            metric,
            total: 0.0,
            count: 0.0,
            buf: Array1::zeros(0),
        }
    }

    pub fn reset(&mut self) {
        self.total = 0.0;
        self.count = 0.0;
    }

    /// The mean so far (0 before any sample, like TensorFlow's `divide_no_nan`).
    pub fn result(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.total / self.count
        }
    }

    /// Adds one batch: `y` are the labels as rows `(B, k)`, `classes` their class indices when
    /// the labels are sparse, `p` the predictions `(B, units)`.
    pub fn update(
        &mut self,
        y: ArrayView2<'_, f32>,
        classes: Option<ArrayView1<'_, usize>>,
        p: &ArrayRef2<f32>,
    ) -> Result<()> {
        let b = p.nrows();
        let mut total = 0.0f64;
        match self.metric {
            Metric::BinaryAccuracy { threshold } => {
                let th = threshold as f32;
                for (t, p) in y.rows().into_iter().zip(p.rows()) {
                    let hits = t
                        .iter()
                        .zip(p.iter())
                        .filter(|&(&t, &p)| t == if p > th { 1.0 } else { 0.0 })
                        .count();
                    total += hits as f64 / p.len() as f64;
                }
            }
            Metric::CategoricalAccuracy => {
                for (t, p) in y.rows().into_iter().zip(p.rows()) {
                    total += (argmax(t) == argmax(p)) as u8 as f64;
                }
            }
            Metric::SparseCategoricalAccuracy => {
                let c = classes.expect("sparse metric without class indices");
                for (&t, p) in c.iter().zip(p.rows()) {
                    total += (t == argmax(p)) as u8 as f64;
                }
            }
            Metric::TopKCategoricalAccuracy { k } => {
                for (t, p) in y.rows().into_iter().zip(p.rows()) {
                    total += in_top_k(p, argmax(t), k) as u8 as f64;
                }
            }
            Metric::SparseTopKCategoricalAccuracy { k } => {
                let c = classes.expect("sparse metric without class indices");
                for (&t, p) in c.iter().zip(p.rows()) {
                    total += in_top_k(p, t, k) as u8 as f64;
                }
            }
            Metric::CosineSimilarity | Metric::Loss(_) => {
                let (loss, sign) = match self.metric {
                    Metric::Loss(loss) => (loss, 1.0),
                    _ => (Loss::CosineSimilarity, -1.0),
                };
                if self.buf.len() != b {
                    self.buf = Array1::zeros(b);
                }
                let labels = match (loss, classes) {
                    (Loss::SparseCategoricalCrossentropy { .. }, Some(c)) => Labels::Sparse(c),
                    _ => Labels::Dense(y),
                };
                loss.per_sample_into(labels, p, &mut self.buf)?;
                total = sign * self.buf.iter().map(|&v| v as f64).sum::<f64>();
            }
            Metric::Accuracy | Metric::Crossentropy => {
                unreachable!("accuracy and crossentropy are resolved before use")
            }
        }
        self.total += total;
        self.count += b as f64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn accuracy_resolves_like_keras() {
        // (labels rank, label columns, output units)
        assert_eq!(
            Metric::Accuracy.resolve(1, 1, 10),
            Metric::SparseCategoricalAccuracy
        );
        assert_eq!(
            Metric::Accuracy.resolve(2, 1, 10),
            Metric::SparseCategoricalAccuracy
        );
        assert_eq!(
            Metric::Accuracy.resolve(2, 10, 10),
            Metric::CategoricalAccuracy
        );
        assert_eq!(
            Metric::Accuracy.resolve(1, 1, 1),
            Metric::BinaryAccuracy { threshold: 0.5 }
        );
        assert_eq!(
            Metric::Accuracy.resolve(2, 1, 1),
            Metric::BinaryAccuracy { threshold: 0.5 }
        );
    }

    #[test]
    fn unknown_metric_lists_valid_names() {
        let e = Metric::from_name("acuracy").unwrap_err().to_string();
        assert!(e.contains("acuracy") && e.contains("sparse_categorical_accuracy"));
        assert!(e.contains("mae"), "{e}");
    }

    #[test]
    fn accuracies_count_hits() {
        let p = array![
            [0.1f32, 0.7, 0.2],
            [0.5, 0.3, 0.2],
            [0.2, 0.2, 0.6],
            [0.4, 0.4, 0.2]
        ];
        let cls = array![1usize, 0, 0, 1];
        let y = cls.mapv(|c| c as f32).insert_axis(ndarray::Axis(1));
        let mut m = MetricState::new("acc".into(), Metric::SparseCategoricalAccuracy);
        m.update(y.view(), Some(cls.view()), &p).unwrap();
        // rows 0 and 1 are right; row 3 is a tie between 0 and 1 and argmax takes 0.
        assert_eq!(m.result(), 0.5);
        let onehot = array![
            [0.0f32, 1.0, 0.0],
            [1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0]
        ];
        let mut c = MetricState::new("categorical_accuracy".into(), Metric::CategoricalAccuracy);
        c.update(onehot.view(), None, &p).unwrap();
        assert_eq!(c.result(), 0.5);
        let mut top2 = MetricState::new("t".into(), Metric::SparseTopKCategoricalAccuracy { k: 2 });
        top2.update(y.view(), Some(cls.view()), &p).unwrap();
        // row 2: class 0 ties with class 1 at 0.2 below 0.6: one larger value, so in the top 2.
        assert_eq!(top2.result(), 1.0);
        let mut top1 = MetricState::new("t".into(), Metric::TopKCategoricalAccuracy { k: 1 });
        top1.update(onehot.view(), None, &p).unwrap();
        // row 3: class 1 ties at the top: in (ties count), unlike argmax.
        assert_eq!(top1.result(), 0.75);
    }

    #[test]
    fn running_mean_spans_batches_by_sample() {
        let mut m = MetricState::new(
            "binary_accuracy".into(),
            Metric::BinaryAccuracy { threshold: 0.5 },
        );
        m.update(
            array![[1.0f32], [0.0]].view(),
            None,
            &array![[0.9f32], [0.6]],
        )
        .unwrap();
        m.update(array![[1.0f32]].view(), None, &array![[0.7f32]])
            .unwrap();
        assert!((m.result() - 2.0 / 3.0).abs() < 1e-12);
        m.reset();
        assert_eq!(m.result(), 0.0);
    }

    #[test]
    fn losses_as_metrics_use_chapter_4() {
        let y = array![[1.0f32, 2.0], [0.0, 0.0]];
        let p = array![[1.5f32, 2.0], [1.0, -1.0]];
        let mut mae = MetricState::new("mae".into(), Metric::from_name("mae").unwrap());
        mae.update(y.view(), None, &p).unwrap();
        assert!((mae.result() - (0.25 + 1.0) / 2.0).abs() < 1e-7);
        let mut cos = MetricState::new("cos".into(), Metric::CosineSimilarity);
        cos.update(array![[1.0f32, 0.0]].view(), None, &array![[2.0f32, 0.0]])
            .unwrap();
        assert!((cos.result() - 1.0).abs() < 1e-6);
    }
}
