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
use crate::sequential::Sequential;
use crate::training::{Dataset, num_batches};
use ndarray::{Array1, ArrayView1};
use rand::seq::SliceRandom;
use std::collections::HashMap;

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
    fn due(&self, epoch: usize) -> bool {
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
/// `FitOptions { epochs: 5, ..Default::default() }`.
pub struct FitOptions<'a> {
    /// Samples per gradient step (32).
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
    /// Draw a new order of the training samples at every pass (true).
    pub shuffle: bool,
    /// Weight of each class in the loss, `{class: weight}` for every class 0..C-1.
    pub class_weight: Option<HashMap<usize, f64>>,
    /// Weight of each training sample in the loss.
    pub sample_weight: Option<ArrayView1<'a, f32>>,
    /// The epoch to start from (0), e.g. to resume a run.
    pub initial_epoch: usize,
    /// Batches per epoch (default: one pass over the data). Batches continue where the last
    /// epoch stopped, cycling through the data.
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
fn check_options(o: &FitOptions<'_>) -> Result<()> {
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
        let mut val_set: Option<(Dataset<'_>, std::ops::Range<usize>)> = None;
        let val_metrics;
        if let Some(v) = &options.validation_data {
            let (ds, m) = self.prepare(v.x, v.y, v.sample_weight, "validation_data")?;
            let len = ds.len();
            val_set = Some((ds, 0..len));
            val_metrics = Some(m);
        } else if options.validation_split > 0.0 {
            let at = data::split_at(n, options.validation_split)?;
            train_range = 0..at;
            val_metrics = Some(metrics.clone());
        } else {
            val_metrics = None;
        }
        if let Some(cw) = &options.class_weight {
            self.apply_class_weight(&mut train, train_range.clone(), cw)?;
        }
        // With validation_split, the validation rows are the tail of the training arrays.
        let split_val = val_set.is_none() && val_metrics.is_some();
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

        let batch_size = options.batch_size;
        let n_train = train_range.len();
        let steps = options
            .steps_per_epoch
            .unwrap_or_else(|| num_batches(n_train, batch_size));
        let val_batch = options.validation_batch_size.unwrap_or(batch_size);
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
        let mut tracker = Self::tracker(metrics);
        let mut val_tracker = val_metrics.map(Self::tracker);
        let has_classes = train.classes.is_some();
        let has_weights = train.weights.is_some();

        // The order of the training rows; reshuffled at the start of every pass.
        let mut order: Vec<usize> = train_range.clone().collect();
        let mut cursor = order.len();
        let mut logs = Logs::new();
        self.stop_training = false;
        for cb in options.callbacks.iter_mut() {
            cb.on_train_begin(self)?;
        }
        let mut epoch_logs = Logs::new();
        for epoch in options.initial_epoch..epochs {
            if verbose > 0 && epochs > 1 {
                println!("Epoch {}/{}", epoch + 1, epochs);
            }
            for cb in options.callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch)?;
            }
            tracker.reset();
            logs.clear();
            tracker.write(&mut logs, "");
            let mut bar = Progbar::stdout(steps, verbose);
            if options.steps_per_epoch.is_none() {
                cursor = order.len(); // each epoch is exactly one pass
            }
            for step in 0..steps {
                if cursor >= order.len() {
                    if options.shuffle {
                        order.shuffle(&mut self.rng);
                    }
                    cursor = 0;
                }
                let end = (cursor + batch_size).min(order.len());
                for cb in options.callbacks.iter_mut() {
                    cb.on_train_batch_begin(self, step)?;
                }
                Self::load_batch(&mut self.work, &train, &order[cursor..end]);
                cursor = end;
                self.run_batch(&mut tracker, has_classes, has_weights, true)?;
                tracker.write(&mut logs, "");
                bar.update(step + 1, &logs);
                for cb in options.callbacks.iter_mut() {
                    cb.on_train_batch_end(self, step, &logs)?;
                }
                if self.stop_training {
                    break;
                }
            }
            epoch_logs.clear();
            tracker.write(&mut epoch_logs, "");
            if let Some(vt) = val_tracker.as_mut()
                && options.validation_freq.due(epoch)
            {
                match &val_set {
                    Some((ds, range)) => self.evaluate_dataset(
                        ds,
                        range.clone(),
                        val_batch,
                        options.validation_steps,
                        vt,
                        |_, _| {},
                    )?,
                    None => {
                        debug_assert!(split_val);
                        self.evaluate_dataset(
                            &train,
                            train_range.end..n,
                            val_batch,
                            options.validation_steps,
                            vt,
                            |_, _| {},
                        )?
                    }
                }
                vt.write(&mut epoch_logs, "val_");
            }
            // The user's callbacks first, then History and the epoch's line, as tf_keras
            // appends History and ProgbarLogger last: what a callback adds to the logs
            // (`lr`) is recorded and printed.
            for cb in options.callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, &mut epoch_logs)?;
            }
            history.record(epoch, &epoch_logs);
            bar.finish(&epoch_logs);
            if self.stop_training {
                break;
            }
        }
        for cb in options.callbacks.iter_mut() {
            cb.on_train_end(self, &epoch_logs)?;
        }
        Ok(history)
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
