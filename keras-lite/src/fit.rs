//! `fit`: the training loop, with every argument of Keras 2's `Model.fit`.
//!
//! ```text
//! for epoch in initial_epoch..epochs:
//!     "Epoch i/n"                                      (verbose 1 or 2, epochs > 1)
//!     for each batch (a new permutation per pass when shuffle):
//!         train step; progress bar with the running means
//!     validation (every validation_freq epochs): evaluate on the held-out data
//!     the callbacks' on_epoch_end (they may add to the logs, e.g. `lr`)
//!     History records the logs (loss, metrics, val_loss, val_metrics, ...); the epoch's line
//! ```
//!
//! This loop is written once (`Sequential::run_epochs`): arrays and a
//! [`Sequence`] (`fit_sequence`) are two batch sources
//! (`BatchSource`) feeding the same steps. Arrays are borrowed, never copied: each batch's
//! rows are gathered straight into the model's batch buffers.
//!
//! `validation_split` holds out the LAST fraction of `x` and `y`, before any shuffling, as
//! Keras does (sort or shuffle your data first if its order means something). Unlike Keras,
//! `fit` says so in one line before the first epoch (verbose 1 and 2):
//!
//! ```text
//! Training on the first 48000 samples, validating on the last 12000 (validation_split=0.2 takes the tail of x and y, before any shuffling)
//! ```
//!
//! The loss shown during an epoch is the running mean over the epoch's batches, taken while
//! the weights change; `evaluate` after training reports the loss of the final weights, which
//! is usually lower: the two differ by design, as in Keras.

use crate::callbacks::Callback;
use crate::data::{self, Inputs, Targets};
use crate::error::{KerasError, Result};
use crate::history::{History, HistoryParams, Logs};
use crate::progress::Progbar;
use crate::sequence::{Prefetch, Sequence};
use crate::sequential::Sequential;
use crate::training::{Dataset, Tracker, num_batches};
use ndarray::{Array1, ArrayView1};
use rand::seq::SliceRandom;
use std::collections::HashMap;
use std::ops::Range;

/// When to validate: every `k` epochs (Keras' `validation_freq=k`, counted from 1) or at the
/// listed epochs (1-based, `validation_freq=[1, 5]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationFreq {
    Every(usize),
    Epochs(Vec<usize>),
}

impl Default for ValidationFreq {
    fn default() -> Self {
        ValidationFreq::Every(1)
    }
}

impl ValidationFreq {
    /// Whether to validate after 0-based `epoch`.
    pub(crate) fn due(&self, epoch: usize) -> bool {
        match self {
            ValidationFreq::Every(k) => (epoch + 1).is_multiple_of(*k),
            ValidationFreq::Epochs(list) => list.contains(&(epoch + 1)),
        }
    }
}

/// Data to validate on at the end of epochs (Keras' `validation_data=(x, y[, sample_weight])`).
pub struct ValidationData<'a> {
    pub x: &'a dyn Inputs,
    pub y: &'a dyn Targets,
    pub sample_weight: Option<ArrayView1<'a, f32>>,
}

impl<'a> ValidationData<'a> {
    /// `(x_val, y_val)`.
    pub fn new(x: &'a dyn Inputs, y: &'a dyn Targets) -> Self {
        ValidationData {
            x,
            y,
            sample_weight: None,
        }
    }
}

/// The arguments of `fit` besides `x` and `y`, with Keras' defaults:
/// `FitOptions { epochs: 5, ..Default::default() }`. `fit_sequence` takes them too, except
/// `validation_split`, `class_weight` and `sample_weight`, which need arrays (an error there,
/// as in Keras).
pub struct FitOptions<'a> {
    /// Samples per gradient step (32); not used by `fit_sequence`, whose source makes the
    /// batches.
    pub batch_size: usize,
    /// The epoch to stop before: epochs run over `initial_epoch..epochs` (1).
    pub epochs: usize,
    /// 0 silent, 1 progress bar, 2 one line per epoch (1).
    pub verbose: u8,
    /// Called at the start and end of training, epochs and batches.
    pub callbacks: Vec<&'a mut dyn Callback>,
    /// Fraction of the samples, taken from the END of `x` and `y`, held out for validation (0).
    pub validation_split: f64,
    /// Data to validate on (takes precedence over `validation_split`, as in Keras).
    pub validation_data: Option<ValidationData<'a>>,
    /// Draw a new order of the training samples at every pass (true); with `fit_sequence`, a
    /// new order of the source's batches at every epoch.
    pub shuffle: bool,
    /// Weight of each class in the loss, `{class: weight}` for every class 0..C-1.
    pub class_weight: Option<HashMap<usize, f64>>,
    /// Weight of each training sample in the loss.
    pub sample_weight: Option<ArrayView1<'a, f32>>,
    /// The epoch to start from (0), e.g. to resume a run.
    pub initial_epoch: usize,
    /// Batches per epoch (default: one pass over the data). Batches continue where the last
    /// epoch stopped, cycling through the data; with `fit_sequence`, at most the source's
    /// `len()`, from the start of its (shuffled) order every epoch.
    pub steps_per_epoch: Option<usize>,
    /// Batches per validation (default: all the validation data).
    pub validation_steps: Option<usize>,
    /// Batch size for validation (default: `batch_size`).
    pub validation_batch_size: Option<usize>,
    /// When to validate (every epoch).
    pub validation_freq: ValidationFreq,
}

impl Default for FitOptions<'_> {
    fn default() -> Self {
        FitOptions {
            batch_size: 32,
            epochs: 1,
            verbose: 1,
            callbacks: Vec::new(),
            validation_split: 0.0,
            validation_data: None,
            shuffle: true,
            class_weight: None,
            sample_weight: None,
            initial_epoch: 0,
            steps_per_epoch: None,
            validation_steps: None,
            validation_batch_size: None,
            validation_freq: ValidationFreq::Every(1),
        }
    }
}

/// Checks the numeric arguments of `fit`.
pub(crate) fn check_options(o: &FitOptions<'_>) -> Result<()> {
    let bad = |msg: String| Err(KerasError::InvalidArgument(msg));
    if o.batch_size == 0 {
        return bad("batch_size = 0; give at least 1 (Keras' default is 32)".into());
    }
    if o.validation_batch_size == Some(0) {
        return bad("validation_batch_size = 0; give at least 1 (or None for batch_size)".into());
    }
    if o.verbose > 2 {
        return bad(format!(
            "verbose = {}; use 0 (silent), 1 (progress bar) or 2 (one line per epoch)",
            o.verbose
        ));
    }
    if o.initial_epoch > o.epochs {
        return bad(format!(
            "initial_epoch = {} is past epochs = {}; epochs is the epoch to stop before, so give \
             epochs > initial_epoch",
            o.initial_epoch, o.epochs
        ));
    }
    if o.steps_per_epoch == Some(0) || o.validation_steps == Some(0) {
        return bad("steps_per_epoch and validation_steps must be at least 1 (or None)".into());
    }
    match &o.validation_freq {
        ValidationFreq::Every(0) => {
            bad("validation_freq = 0; give k >= 1 (validate every k epochs)".into())
        }
        ValidationFreq::Epochs(l) if l.contains(&0) => {
            bad("validation_freq lists epoch 0; epochs are counted from 1 there".into())
        }
        _ => Ok(()),
    }?;
    if o.validation_split != 0.0 && !(o.validation_split > 0.0 && o.validation_split < 1.0) {
        return Err(KerasError::ValidationSplit(format!(
            "validation_split = {} is outside (0, 1); give the fraction of the samples to hold \
             out, e.g. 0.2 (or 0 for none)",
            o.validation_split
        )));
    }
    Ok(())
}

/// What `fit` validates on at the end of epochs.
pub(crate) enum Validation<'d, 'a> {
    /// Rows `range` of a data set: `validation_data` arrays, or the tail of the training
    /// arrays that `validation_split` holds out.
    Arrays {
        ds: &'d Dataset<'a>,
        range: Range<usize>,
        batch_size: usize,
        steps: Option<usize>,
    },
    /// The first `steps` batches of a [`Sequence`].
    Source {
        seq: &'d dyn Sequence,
        steps: usize,
        prefetch: Prefetch,
    },
}

/// Where the training batches of `fit` come from, one epoch at a time: arrays
/// ([`ArrayBatches`]) or a [`Sequence`] (`sequence::SequenceBatches`). Both hand each batch to
/// the same [`EpochRun::step`], so the epoch loop ([`Sequential::run_epochs`]) is one.
pub(crate) trait BatchSource {
    /// Trains on the `steps` batches of one epoch, each through [`EpochRun::step`], stopping
    /// early when it returns false (a callback set `stop_training`).
    fn train_epoch(
        &mut self,
        model: &mut Sequential,
        steps: usize,
        run: &mut EpochRun<'_, '_>,
    ) -> Result<()>;

    /// The epoch is over (a `Sequence` hears it, e.g. to reshuffle).
    fn on_epoch_end(&mut self) {}
}

/// What the training steps of an epoch share: the callbacks, the running means, the logs
/// the callbacks see and the progress bar.
pub(crate) struct EpochRun<'c, 'a> {
    callbacks: &'c mut Vec<&'a mut dyn Callback>,
    /// The training metrics; None until the first batch of a `Sequence` gives their shapes.
    tracker: Option<Tracker>,
    logs: Logs,
    bar: Progbar<std::io::Stdout>,
}

impl EpochRun<'_, '_> {
    /// One training step: the callbacks' `on_train_batch_begin`, `load` (puts the batch into
    /// the model's buffers and says whether it has class indices and sample weights; it may
    /// make the tracker), the step itself, the progress bar, `on_train_batch_end`. Returns
    /// whether to go on.
    pub(crate) fn step(
        &mut self,
        model: &mut Sequential,
        step: usize,
        load: impl FnOnce(&mut Sequential, &mut Option<Tracker>) -> Result<(bool, bool)>,
    ) -> Result<bool> {
        for cb in self.callbacks.iter_mut() {
            cb.on_train_batch_begin(model, step)?;
        }
        let (has_classes, has_weights) = load(model, &mut self.tracker)?;
        let tracker = self
            .tracker
            .as_mut()
            .expect("the tracker exists once a batch is loaded");
        model.run_batch(tracker, has_classes, has_weights, true)?;
        tracker.write(&mut self.logs, "");
        self.bar.update(step + 1, &self.logs);
        for cb in self.callbacks.iter_mut() {
            cb.on_train_batch_end(model, step, &self.logs)?;
        }
        Ok(!model.stop_training)
    }
}

/// Arrays as a batch source: the rows of each batch are gathered straight from the caller's
/// arrays into the model's batch buffers (the arrays are borrowed, never copied), in a new
/// order at every pass when `shuffle`.
pub(crate) struct ArrayBatches<'d, 'a> {
    ds: &'d Dataset<'a>,
    /// The order of the training rows; reshuffled at the start of every pass.
    order: Vec<usize>,
    /// The next position in `order`.
    cursor: usize,
    batch_size: usize,
    shuffle: bool,
    /// `steps_per_epoch` given: an epoch goes on where the last one stopped, cycling through
    /// the data; otherwise each epoch is exactly one pass.
    continue_across_epochs: bool,
}

impl BatchSource for ArrayBatches<'_, '_> {
    fn train_epoch(
        &mut self,
        model: &mut Sequential,
        steps: usize,
        run: &mut EpochRun<'_, '_>,
    ) -> Result<()> {
        if !self.continue_across_epochs {
            self.cursor = self.order.len();
        }
        let (has_classes, has_weights) = (self.ds.classes.is_some(), self.ds.weights.is_some());
        for step in 0..steps {
            if self.cursor >= self.order.len() {
                if self.shuffle {
                    self.order.shuffle(&mut model.rng);
                }
                self.cursor = 0;
            }
            let end = (self.cursor + self.batch_size).min(self.order.len());
            let rows = &self.order[self.cursor..end];
            let ds = self.ds;
            let go_on = run.step(model, step, |m, _| {
                Sequential::load_batch(&mut m.work, ds, rows);
                Ok((has_classes, has_weights))
            })?;
            self.cursor = end;
            if !go_on {
                break;
            }
        }
        Ok(())
    }
}

impl Sequential {
    /// Trains the model on `x`, `y` (see [`crate::data`] for what they may be) and returns the
    /// [`History`] of the loss and metrics per epoch.
    ///
    /// Errors (nothing is trained then): fit before compile, `x` of the wrong shape, `x` and `y`
    /// of different lengths, labels outside the output's classes, empty data, NaN or infinite
    /// values, a bad `validation_split`, `class_weight` not covering every class, invalid
    /// options. A loss that becomes NaN during training is not an error (see
    /// [`crate::callbacks::TerminateOnNaN`]).
    pub fn fit<X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &X,
        y: &Y,
        mut options: FitOptions<'_>,
    ) -> Result<History> {
        if self.compiled.is_none() {
            return Err(KerasError::NotCompiled { call: "fit" });
        }
        check_options(&options)?;
        let (mut train, metrics) = self.prepare(x, y, options.sample_weight, "fit")?;
        let n = train.len();
        let mut train_range = 0..n;
        let val_arrays = match &options.validation_data {
            Some(v) => Some(self.prepare(v.x, v.y, v.sample_weight, "validation_data")?),
            None => None,
        };
        let val_metrics = match &val_arrays {
            Some((_, m)) => Some(m.clone()),
            None if options.validation_split > 0.0 => {
                train_range = 0..data::split_at(n, options.validation_split)?;
                Some(metrics.clone())
            }
            None => None,
        };
        if let Some(cw) = &options.class_weight {
            self.apply_class_weight(&mut train, train_range.clone(), cw)?;
        }
        let split_val = val_arrays.is_none() && val_metrics.is_some();
        if split_val && options.verbose > 0 {
            // Keras users trip over this: say it once, where the epochs are printed.
            println!(
                "Training on the first {} samples, validating on the last {} \
                 (validation_split={} takes the tail of x and y, before any shuffling)",
                train_range.end,
                n - train_range.end,
                options.validation_split
            );
        }
        let val_batch = options.validation_batch_size.unwrap_or(options.batch_size);
        let validation = match &val_arrays {
            Some((ds, _)) => Some(Validation::Arrays {
                ds,
                range: 0..ds.len(),
                batch_size: val_batch,
                steps: options.validation_steps,
            }),
            // With validation_split, the validation rows are the tail of the training arrays.
            None if split_val => Some(Validation::Arrays {
                ds: &train,
                range: train_range.end..n,
                batch_size: val_batch,
                steps: options.validation_steps,
            }),
            None => None,
        };
        let steps = options
            .steps_per_epoch
            .unwrap_or_else(|| num_batches(train_range.len(), options.batch_size));
        let mut source = ArrayBatches {
            ds: &train,
            order: train_range.clone().collect(),
            cursor: train_range.len(), // the first step starts a pass
            batch_size: options.batch_size,
            shuffle: options.shuffle,
            continue_across_epochs: options.steps_per_epoch.is_some(),
        };
        self.run_epochs(
            &mut source,
            steps,
            &mut options,
            Some(Self::tracker(metrics)),
            validation.map(|v| (v, val_metrics.map(Self::tracker))),
        )
    }

    /// The one epoch loop of `fit` and `fit_sequence`:
    ///
    /// ```text
    /// for epoch in initial_epoch..epochs:
    ///     callbacks' on_epoch_begin; reset the running means
    ///     source.train_epoch: steps batches, each through EpochRun::step
    ///     validation (when due); the epoch's line; History; source.on_epoch_end;
    ///     callbacks' on_epoch_end; stop if a callback set stop_training
    /// ```
    ///
    /// `tracker` holds the training metrics (None: made from the first batch's shapes);
    /// `validation` is what to validate on and its tracker (None: likewise).
    pub(crate) fn run_epochs<S: BatchSource + ?Sized>(
        &mut self,
        source: &mut S,
        steps: usize,
        options: &mut FitOptions<'_>,
        tracker: Option<Tracker>,
        mut validation: Option<(Validation<'_, '_>, Option<Tracker>)>,
    ) -> Result<History> {
        let verbose = options.verbose;
        let epochs = options.epochs;
        let mut history = History {
            params: HistoryParams {
                verbose,
                epochs,
                steps,
            },
            ..History::default()
        };
        let mut run = EpochRun {
            callbacks: &mut options.callbacks,
            tracker,
            logs: Logs::new(),
            bar: Progbar::stdout(steps, 0),
        };
        self.stop_training = false;
        for cb in run.callbacks.iter_mut() {
            cb.on_train_begin(self)?;
        }
        let mut epoch_logs = Logs::new();
        for epoch in options.initial_epoch..epochs {
            if verbose > 0 && epochs > 1 {
                println!("Epoch {}/{}", epoch + 1, epochs);
            }
            for cb in run.callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch)?;
            }
            if let Some(t) = run.tracker.as_mut() {
                t.reset();
                // The keys exist before the first step, so that steps only overwrite values.
                run.logs.clear();
                t.write(&mut run.logs, "");
            }
            run.bar = Progbar::stdout(steps, verbose);
            source.train_epoch(self, steps, &mut run)?;
            epoch_logs.clear();
            if let Some(t) = run.tracker.as_ref() {
                t.write(&mut epoch_logs, "");
            }
            if let Some((v, vt)) = validation.as_mut()
                && options.validation_freq.due(epoch)
            {
                self.validate(v, vt)?;
                if let Some(t) = vt.as_ref() {
                    t.write(&mut epoch_logs, "val_");
                }
            }
            source.on_epoch_end();
            // The user's callbacks first, then History and the epoch's line, as tf_keras
            // appends History and ProgbarLogger last: what a callback adds to the logs
            // (`lr`) is recorded and printed.
            for cb in run.callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, &mut epoch_logs)?;
            }
            history.record(epoch, &epoch_logs);
            run.bar.finish(&epoch_logs);
            if self.stop_training {
                break;
            }
        }
        for cb in run.callbacks.iter_mut() {
            cb.on_train_end(self, &epoch_logs)?;
        }
        Ok(history)
    }

    /// Evaluates the validation data into `tracker` (made from the first batch if None).
    fn validate(&mut self, v: &Validation<'_, '_>, tracker: &mut Option<Tracker>) -> Result<()> {
        match v {
            Validation::Arrays {
                ds,
                range,
                batch_size,
                steps,
            } => {
                let t = tracker
                    .as_mut()
                    .expect("array validation has its tracker from the start");
                self.evaluate_dataset(ds, range.clone(), *batch_size, *steps, t, |_, _| {})
            }
            Validation::Source {
                seq,
                steps,
                prefetch,
            } => self.run_sequence_eval(*seq, *steps, *prefetch, tracker, "validation", |_, _| {}),
        }
    }

    /// Multiplies each training sample's weight by its class's weight (Keras' `class_weight`).
    fn apply_class_weight(
        &self,
        ds: &mut Dataset<'_>,
        range: std::ops::Range<usize>,
        class_weight: &HashMap<usize, f64>,
    ) -> Result<()> {
        let units = self.output_units();
        let n_classes = if units == 1 { 2 } else { units };
        let mut missing: Vec<usize> = (0..n_classes)
            .filter(|c| !class_weight.contains_key(c))
            .collect();
        let extra: Vec<usize> = class_weight
            .keys()
            .copied()
            .filter(|&c| c >= n_classes)
            .collect();
        if !missing.is_empty() || !extra.is_empty() {
            missing.truncate(10);
            return Err(KerasError::InvalidArgument(format!(
                "class_weight must have one weight for each class 0..={} (the model has {n_classes} \
                 classes); missing {missing:?}, not classes {extra:?}",
                n_classes - 1
            )));
        }
        if let Some((c, w)) = class_weight
            .iter()
            .find(|(_, w)| !w.is_finite() || **w < 0.0)
        {
            return Err(KerasError::InvalidArgument(format!(
                "class_weight[{c}] = {w}; weights must be finite and >= 0"
            )));
        }
        let n = ds.len();
        let mut weights = ds.weights.take().unwrap_or_else(|| Array1::ones(n));
        for i in range {
            let class = match &ds.classes {
                Some(c) => c[i],
                None if ds.y.ncols() > 1 => crate::metrics::argmax(ds.y.row(i)),
                None => {
                    let v = ds.y[[i, 0]];
                    if v != 0.0 && v != 1.0 {
                        return Err(KerasError::Targets(format!(
                            "class_weight with one output needs 0/1 labels, but y[{i}] = {v}"
                        )));
                    }
                    v as usize
                }
            };
            weights[i] *= class_weight[&class] as f32;
        }
        ds.weights = Some(weights);
        Ok(())
    }
}
