//! One step of training or evaluation, allocation-free once the buffers have their shapes.
//!
//! ```text
//! train step:  gather the batch -> forward (Mode::Train) -> loss and dL/dout
//!              -> metrics (on the predictions before the update, as Keras)
//!              -> backward -> penalty gradients -> optimizer.update_param per parameter
//!              -> constraints
//! test step:   gather -> forward (Mode::Eval) -> loss -> metrics
//! ```
//!
//! Every buffer (the batch, the losses, the gradient of the output, and inside each layer its
//! outputs and gradients) is kept from step to step; a buffer is reallocated only when the
//! batch size changes (the last, partial batch of an epoch). The optimizer is driven through
//! `Layer::for_each_param`, a visitor, so no list of parameters is built either.

use crate::compile::{Compiled, OutputPath};
use crate::data::{self, Inputs, Targets};
use crate::error::{KerasError, Result, shape_str};
use crate::layers::Layer;
use crate::metrics::{Metric, MetricState};
use crate::sequential::Sequential;
use ch03_activations::keras::Activation as ActivationFn;
use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::{Loss, reduce};
use ch05_backprop::{Mode, SoftmaxWithLoss, ensure_shape};
use ch06_optimizers_init::optimizer::grad_sq_norm;
use ndarray::{Array1, Array2, ArrayRef2, ArrayView1, CowArray, Ix2};

/// The buffers of one step, kept by the model.
#[derive(Debug, Clone, Default)]
pub(crate) struct Workspace {
    /// The batch's inputs (B, features).
    pub x: Array2<f32>,
    /// The batch's targets as rows (B, k).
    pub y: Array2<f32>,
    /// The batch's class indices (sparse labels).
    pub cls: Array1<usize>,
    /// The batch's sample weights.
    pub w: Array1<f32>,
    /// Per-sample losses (B,).
    pub per_sample: Array1<f32>,
    /// dL/d(output) or dL/d(logits) (B, units).
    pub dout: Array2<f32>,
    /// Predictions computed outside the layers (the sigmoid of the fused binary path).
    pub pred: Array2<f32>,
    /// The fused softmax + cross-entropy of ch05.
    pub swl: SoftmaxWithLoss<f32>,
}

/// A data set checked and converted for the model: rows of `f32` and what the loss and the
/// metrics need from the labels.
pub(crate) struct Dataset<'a> {
    /// Inputs (N, features), borrowed from the caller when already `f32` rows.
    pub x: CowArray<'a, f32, Ix2>,
    /// Targets as rows (N, k).
    pub y: Array2<f32>,
    /// Class indices, when the loss or a metric reads labels as classes.
    pub classes: Option<Array1<usize>>,
    /// Per-sample weights (sample_weight times class_weight), if any.
    pub weights: Option<Array1<f32>>,
}

impl Dataset<'_> {
    pub fn len(&self) -> usize {
        self.x.nrows()
    }
}

/// The metrics of one run (an epoch, or an evaluation), resolved for the data's shapes.
pub(crate) struct Tracker {
    /// Running sum of batch losses times batch sizes, and the number of samples.
    loss_total: f64,
    count: f64,
    pub metrics: Vec<MetricState>,
}

impl Tracker {
    pub fn reset(&mut self) {
        self.loss_total = 0.0;
        self.count = 0.0;
        for m in &mut self.metrics {
            m.reset();
        }
    }

    pub fn add_loss(&mut self, loss: f64, batch: usize) {
        self.loss_total += loss * batch as f64;
        self.count += batch as f64;
    }

    pub fn loss(&self) -> f64 {
        if self.count == 0.0 {
            0.0
        } else {
            self.loss_total / self.count
        }
    }

    /// Writes `loss` and each metric into `logs` (prefixed, e.g. `val_`), in order.
    pub fn write(&self, logs: &mut crate::Logs, prefix: &str) {
        if prefix.is_empty() {
            logs.set_or_insert("loss", self.loss());
            for m in &self.metrics {
                logs.set_or_insert(&m.name, m.result());
            }
        } else {
            logs.insert(format!("{prefix}loss"), self.loss());
            for m in &self.metrics {
                logs.insert(format!("{prefix}{}", m.name), m.result());
            }
        }
    }
}

/// Resizes a vector buffer if needed (allocates only when the length changes).
fn ensure_len<T: Clone + Default>(buf: &mut Array1<T>, n: usize) {
    if buf.len() != n {
        *buf = Array1::from_elem(n, T::default());
    }
}

impl Sequential {
    /// Checks `x` (and builds the model from its shape if it has no input shape yet).
    pub(crate) fn check_x<'a, X: Inputs + ?Sized>(
        &mut self,
        x: &'a X,
        what: &str,
    ) -> Result<CowArray<'a, f32, Ix2>> {
        let shape = match self.input_shape() {
            Some(s) => s,
            None => {
                let s = x.input_shape();
                if s.len() < 2 {
                    return Err(KerasError::InputShape {
                        what: what.to_string(),
                        got: shape_str(s),
                        expected: "features...".into(),
                    });
                }
                s[1..].to_vec()
            }
        };
        self.build(&shape)?;
        data::check_inputs(x, &shape, what)
    }

    /// Checks `x`, `y` and the sample weights, and converts them for the compiled loss and
    /// metrics (class indices where labels are read as classes).
    pub(crate) fn prepare<'a, X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &'a X,
        y: &Y,
        sample_weight: Option<ArrayView1<'_, f32>>,
        what: &str,
    ) -> Result<(Dataset<'a>, Vec<MetricState>)> {
        let x = self.check_x(x, what)?;
        let n = x.nrows();
        let (y, y_rank) = data::check_targets(y, n, what)?;
        let units = self.output_units();
        let compiled = self.compiled.as_ref().expect("checked by the caller");
        let metrics: Vec<MetricState> = compiled
            .metrics
            .iter()
            .map(|(name, m)| MetricState::new(name.clone(), m.resolve(y_rank, y.ncols(), units)))
            .collect();
        let loss = compiled.loss;
        let sparse_loss = matches!(loss, Loss::SparseCategoricalCrossentropy { .. });
        let wants_classes = sparse_loss || metrics.iter().any(|m| m.metric.wants_class_indices());
        let y_desc = |y: &Array2<f32>| {
            if y_rank == 1 {
                shape_str(&[y.nrows()])
            } else {
                shape_str(&[y.nrows(), y.ncols()])
            }
        };
        let classes = if wants_classes {
            if y.ncols() != 1 {
                let who = if sparse_loss {
                    format!("the loss {}", loss.name())
                } else {
                    "a sparse metric".to_string()
                };
                return Err(KerasError::Targets(format!(
                    "{what}: {who} reads y as class indices, shape (samples,), but y has shape {}; \
                     for one-hot labels use categorical_crossentropy and accuracy instead",
                    y_desc(&y)
                )));
            }
            Some(data::class_indices(&y, units, what)?)
        } else {
            None
        };
        if !sparse_loss && y.ncols() != units {
            let hint = if y.ncols() == 1 && matches!(loss, Loss::CategoricalCrossentropy { .. }) {
                " (these look like class indices: use sparse_categorical_crossentropy, or one-hot \
                 encode y)"
                    .to_string()
            } else {
                String::new()
            };
            return Err(KerasError::Targets(format!(
                "{what}: y has shape {} but the model outputs {units} values per sample; the loss \
                 {} needs y of shape (samples, {units}){hint}",
                y_desc(&y),
                loss.name()
            )));
        }
        if metrics.iter().any(|m| {
            matches!(
                m.metric,
                Metric::CategoricalAccuracy | Metric::TopKCategoricalAccuracy { .. }
            )
        }) && y.ncols() != units
        {
            return Err(KerasError::Targets(format!(
                "{what}: categorical metrics need one-hot y of shape (samples, {units}), got {}; \
                 use sparse_categorical_accuracy for class indices",
                y_desc(&y)
            )));
        }
        let weights = match sample_weight {
            None => None,
            Some(w) => {
                if w.len() != n {
                    return Err(KerasError::LengthMismatch {
                        what: what.to_string(),
                        x: n,
                        other_name: "sample_weight",
                        other: w.len(),
                    });
                }
                if let Some((i, v)) = w
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !v.is_finite() || **v < 0.0)
                {
                    return Err(KerasError::InvalidArgument(format!(
                        "{what}: sample_weight[{i}] = {v}; weights must be finite and >= 0"
                    )));
                }
                Some(w.to_owned())
            }
        };
        Ok((
            Dataset {
                x,
                y,
                classes,
                weights,
            },
            metrics,
        ))
    }

    /// Copies the samples `idx` of `ds` into the batch buffers.
    pub(crate) fn load_batch(work: &mut Workspace, ds: &Dataset<'_>, idx: &[usize]) {
        let b = idx.len();
        ensure_shape(&mut work.x, (b, ds.x.ncols()));
        ensure_shape(&mut work.y, (b, ds.y.ncols()));
        for (j, &i) in idx.iter().enumerate() {
            match (work.x.row_mut(j).into_slice(), ds.x.row(i).to_slice()) {
                (Some(dst), Some(src)) => dst.copy_from_slice(src),
                _ => work.x.row_mut(j).assign(&ds.x.row(i)),
            }
            work.y.row_mut(j).assign(&ds.y.row(i));
        }
        if let Some(c) = &ds.classes {
            ensure_len(&mut work.cls, b);
            for (d, &i) in work.cls.iter_mut().zip(idx) {
                *d = c[i];
            }
        }
        if let Some(w) = &ds.weights {
            ensure_len(&mut work.w, b);
            for (d, &i) in work.w.iter_mut().zip(idx) {
                *d = w[i];
            }
        }
    }

    /// The forward pass of a batch `x` through `layers`; returns the last output (a buffer of
    /// the last computing layer, or `x` itself if no layer computes). `logits` stops the output
    /// layer before its softmax/sigmoid.
    fn forward_layers<'a>(
        layers: &'a mut [Layer],
        x: &'a ArrayRef2<f32>,
        mode: Mode,
        logits: bool,
    ) -> &'a ArrayRef2<f32> {
        let last = layers.len().saturating_sub(1);
        let mut cur: &ArrayRef2<f32> = x;
        for (i, layer) in layers.iter_mut().enumerate() {
            if let Some(out) = layer.forward(cur, mode, logits && i == last) {
                cur = out;
            }
        }
        cur
    }

    /// One step on the batch in `work`: loss, metrics, and (when `train`) the update.
    /// Returns the batch's loss (penalties included).
    pub(crate) fn run_batch(
        &mut self,
        tracker: &mut Tracker,
        has_classes: bool,
        has_weights: bool,
        train: bool,
    ) -> Result<f64> {
        let path = self.output_path();
        let Sequential {
            layers,
            compiled,
            work,
            ..
        } = self;
        let compiled: &mut Compiled = compiled.as_mut().expect("compiled");
        let mode = if train { Mode::Train } else { Mode::Eval };
        let logits = path != OutputPath::Plain;
        let b = work.x.nrows();
        let out = Self::forward_layers(layers, &work.x, mode, logits);
        let labels =
            if has_classes && matches!(compiled.loss, Loss::SparseCategoricalCrossentropy { .. }) {
                Labels::Sparse(work.cls.view())
            } else {
                Labels::Dense(work.y.view())
            };
        let weights = has_weights.then_some(&work.w);
        // The loss, dL/d(out) into work.dout, and the predictions the metrics see.
        let loss: f32 = match path {
            OutputPath::SoftmaxCrossentropy => {
                let smoothing = match compiled.loss {
                    Loss::CategoricalCrossentropy {
                        label_smoothing, ..
                    } => label_smoothing,
                    _ => 0.0,
                };
                work.swl.label_smoothing = smoothing;
                let loss = work
                    .swl
                    .forward_weighted(out, labels, weights.map(|w| &**w))?;
                if train {
                    work.swl.backward_into(&mut work.dout);
                }
                loss
            }
            OutputPath::SigmoidCrossentropy => {
                let logits_loss = match compiled.loss {
                    Loss::BinaryCrossentropy {
                        label_smoothing, ..
                    } => Loss::BinaryCrossentropy {
                        from_logits: true,
                        label_smoothing,
                    },
                    other => other,
                };
                ensure_len(&mut work.per_sample, b);
                logits_loss.per_sample_into(labels, out, &mut work.per_sample)?;
                let loss = reduce(&work.per_sample, weights.map(|w| &**w));
                if train {
                    ch05_backprop::keras::loss_gradient(
                        &logits_loss,
                        labels,
                        out,
                        weights.map(|w| &**w),
                        &mut work.dout,
                    )?;
                }
                ensure_shape(&mut work.pred, out.dim());
                ActivationFn::Sigmoid.forward_into(out, &mut work.pred);
                loss
            }
            OutputPath::Plain => {
                ensure_len(&mut work.per_sample, b);
                compiled
                    .loss
                    .per_sample_into(labels, out, &mut work.per_sample)?;
                let loss = reduce(&work.per_sample, weights.map(|w| &**w));
                if train {
                    ch05_backprop::keras::loss_gradient(
                        &compiled.loss,
                        labels,
                        out,
                        weights.map(|w| &**w),
                        &mut work.dout,
                    )?;
                }
                loss
            }
        };
        let pred: &ArrayRef2<f32> = match path {
            OutputPath::SoftmaxCrossentropy => work.swl.output(),
            OutputPath::SigmoidCrossentropy => &work.pred,
            OutputPath::Plain => out,
        };
        let classes = has_classes.then(|| work.cls.view());
        for m in tracker.metrics.iter_mut() {
            m.update(work.y.view(), classes, pred)?;
        }
        let penalty: f64 = layers.iter().map(Layer::penalty).sum();
        let total = loss as f64 + penalty;
        tracker.add_loss(total, b);
        if train {
            Self::backward_and_update(layers, &work.dout, logits, compiled);
        }
        Ok(total)
    }

    /// Backpropagates `dout`, adds the penalty gradients, runs the optimizer over every
    /// parameter and applies the constraints.
    fn backward_and_update(
        layers: &mut [Layer],
        dout: &ArrayRef2<f32>,
        logits: bool,
        compiled: &mut Compiled,
    ) {
        let last = layers.len() - 1;
        // Layers before the first one with weights need no gradient.
        let first = layers
            .iter()
            .position(Layer::has_params)
            .unwrap_or(layers.len());
        let mut grad: &ArrayRef2<f32> = dout;
        for (i, layer) in layers.iter_mut().enumerate().rev() {
            if i < first {
                break;
            }
            if let Some(dx) = layer.backward(grad, logits && i == last) {
                grad = dx;
            }
        }
        layers.iter_mut().for_each(Layer::add_penalty_gradients);
        let opt = &mut compiled.optimizer;
        if opt.needs_global_norm() {
            let mut sum_sq = 0.0;
            for layer in layers.iter_mut() {
                layer.for_each_param(&mut |p| sum_sq += grad_sq_norm(&p.grad));
            }
            opt.set_global_norm(sum_sq.sqrt());
        }
        opt.begin_step();
        let mut index = 0;
        for layer in layers.iter_mut() {
            layer.for_each_param(&mut |p| {
                opt.update_param(index, p);
                index += 1;
            });
        }
        layers.iter_mut().for_each(Layer::apply_constraints);
    }

    /// The model's outputs for the batch in `work.x` (the full activation, Mode::Eval).
    pub(crate) fn predict_batch_into(&mut self, out: &mut ndarray::ArrayViewMut2<'_, f32>) {
        let Sequential { layers, work, .. } = self;
        let y = Self::forward_layers(layers, &work.x, Mode::Eval, false);
        out.assign(y);
    }

    /// Evaluates `ds` (rows `range`) in batches of `batch_size`, at most `steps` batches.
    pub(crate) fn evaluate_dataset(
        &mut self,
        ds: &Dataset<'_>,
        range: std::ops::Range<usize>,
        batch_size: usize,
        steps: Option<usize>,
        tracker: &mut Tracker,
        mut on_step: impl FnMut(usize, &Tracker),
    ) -> Result<()> {
        tracker.reset();
        let idx: Vec<usize> = range.collect();
        for (step, chunk) in idx.chunks(batch_size).enumerate() {
            if steps.is_some_and(|s| step >= s) {
                break;
            }
            Self::load_batch(&mut self.work, ds, chunk);
            self.run_batch(tracker, ds.classes.is_some(), ds.weights.is_some(), false)?;
            on_step(step + 1, tracker);
        }
        Ok(())
    }

    /// A new tracker over `metrics`.
    pub(crate) fn tracker(metrics: Vec<MetricState>) -> Tracker {
        Tracker {
            loss_total: 0.0,
            count: 0.0,
            metrics,
        }
    }
}

/// The number of batches of `batch_size` in `n` samples (the last may be partial).
pub(crate) fn num_batches(n: usize, batch_size: usize) -> usize {
    n.div_ceil(batch_size)
}
