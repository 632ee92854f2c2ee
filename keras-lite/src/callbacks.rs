//! Callbacks: code `fit` and `evaluate` call at the start and end of training, of each epoch
//! and of each batch (Keras' `tf.keras.callbacks`).
//!
//! A callback gets the model, so it can read or change the weights, the optimizer's learning
//! rate, or set `model.stop_training`; it must not add or remove layers during `fit`.
//! `fit` always returns the [`History`](crate::History); the callbacks here are the common
//! ones of Keras 2: [`EarlyStopping`], [`LearningRateScheduler`], [`TerminateOnNaN`].

use crate::error::Result;
use crate::history::Logs;
use crate::sequential::Sequential;
use ndarray::ArrayD;

/// Hooks called during `fit` and `evaluate`; every method does nothing by default.
pub trait Callback {
    fn on_train_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        Ok(())
    }
    fn on_train_end(&mut self, _model: &mut Sequential, _logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// `epoch` is 0-based.
    fn on_epoch_begin(&mut self, _model: &mut Sequential, _epoch: usize) -> Result<()> {
        Ok(())
    }
    /// `logs` holds the epoch's loss and metrics, and their `val_` forms when validated.
    fn on_epoch_end(&mut self, _model: &mut Sequential, _epoch: usize, _logs: &Logs) -> Result<()> {
        Ok(())
    }
    /// `batch` is the 0-based step within the epoch.
    fn on_train_batch_begin(&mut self, _model: &mut Sequential, _batch: usize) -> Result<()> {
        Ok(())
    }
    /// `logs` holds the running means of the epoch so far.
    fn on_train_batch_end(
        &mut self,
        _model: &mut Sequential,
        _batch: usize,
        _logs: &Logs,
    ) -> Result<()> {
        Ok(())
    }
    fn on_test_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        Ok(())
    }
    fn on_test_end(&mut self, _model: &mut Sequential, _logs: &Logs) -> Result<()> {
        Ok(())
    }
}

/// Whether `monitor` improves upward: names ending in `acc`/`accuracy` (and `auc`) do, the
/// rest (losses, errors) improve downward (Keras' mode `auto`).
fn higher_is_better(monitor: &str) -> bool {
    monitor.ends_with("acc") || monitor.ends_with("accuracy") || monitor.ends_with("auc")
}

/// Keras' `EarlyStopping`: stops training when `monitor` has not improved by more than
/// `min_delta` for `patience` epochs.
///
/// With `restore_best_weights`, the best epoch's weights are put back when training stops
/// early AND when it runs to the end without stopping (Keras 2 restores only on an early stop,
/// which surprises users: here the final model is always the best one seen).
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    pub monitor: String,
    pub min_delta: f64,
    pub patience: usize,
    pub baseline: Option<f64>,
    pub restore_best_weights: bool,
    /// The epoch at which training was stopped (0-based), if it was.
    pub stopped_epoch: Option<usize>,
    best: Option<f64>,
    best_weights: Option<Vec<ArrayD<f32>>>,
    wait: usize,
}

impl EarlyStopping {
    /// Watches `monitor` (Keras' default `val_loss`) with `patience` epochs of tolerance.
    pub fn new(monitor: &str, patience: usize) -> Self {
        EarlyStopping {
            monitor: monitor.to_string(),
            min_delta: 0.0,
            patience,
            baseline: None,
            restore_best_weights: false,
            stopped_epoch: None,
            best: None,
            best_weights: None,
            wait: 0,
        }
    }

    /// Improvements smaller than `min_delta` do not count.
    pub fn min_delta(mut self, d: f64) -> Self {
        self.min_delta = d.abs();
        self
    }

    /// Training stops if the monitor does not beat `baseline`.
    pub fn baseline(mut self, b: f64) -> Self {
        self.baseline = Some(b);
        self
    }

    /// Put back the weights of the best epoch at the end.
    pub fn restore_best_weights(mut self, yes: bool) -> Self {
        self.restore_best_weights = yes;
        self
    }

    fn improved(&self, value: f64, reference: f64) -> bool {
        if higher_is_better(&self.monitor) {
            value - self.min_delta > reference
        } else {
            value + self.min_delta < reference
        }
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        self.wait = 0;
        self.stopped_epoch = None;
        self.best = self.baseline;
        self.best_weights = None;
        Ok(())
    }

    fn on_epoch_end(&mut self, model: &mut Sequential, epoch: usize, logs: &Logs) -> Result<()> {
        let Some(value) = logs.get(&self.monitor) else {
            eprintln!(
                "EarlyStopping: the logs have no {:?} (they have {:?}); nothing to monitor",
                self.monitor,
                logs.names().collect::<Vec<_>>()
            );
            return Ok(());
        };
        self.wait += 1;
        if self.best.is_none_or(|b| self.improved(value, b)) {
            self.best = Some(value);
            self.wait = 0;
            if self.restore_best_weights {
                self.best_weights = Some(model.get_weights()?);
            }
        } else if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            model.stop_training = true;
        }
        Ok(())
    }

    fn on_train_end(&mut self, model: &mut Sequential, _logs: &Logs) -> Result<()> {
        if let (true, Some(w)) = (self.restore_best_weights, &self.best_weights) {
            model.set_weights(w)?;
        }
        Ok(())
    }
}

/// Keras' `LearningRateScheduler(schedule)`: sets the learning rate at the start of each epoch
/// to `schedule(epoch, current_lr)`.
pub struct LearningRateScheduler {
    schedule: Box<dyn FnMut(usize, f64) -> f64>,
}

impl LearningRateScheduler {
    pub fn new(schedule: impl FnMut(usize, f64) -> f64 + 'static) -> Self {
        LearningRateScheduler {
            schedule: Box::new(schedule),
        }
    }
}

impl Callback for LearningRateScheduler {
    fn on_epoch_begin(&mut self, model: &mut Sequential, epoch: usize) -> Result<()> {
        if let Some(opt) = model.optimizer_mut() {
            let lr = (self.schedule)(epoch, opt.learning_rate());
            if !(lr.is_finite() && lr >= 0.0) {
                return Err(crate::KerasError::InvalidArgument(format!(
                    "LearningRateScheduler: the schedule gave learning rate {lr} at epoch {epoch}; \
                     it must be finite and >= 0"
                )));
            }
            opt.set_learning_rate(lr);
        }
        Ok(())
    }
}

/// Keras' `TerminateOnNaN`: stops training as soon as a batch's loss is NaN or infinite.
#[derive(Debug, Clone, Default)]
pub struct TerminateOnNaN {
    /// The batch at which training stopped, if it did.
    pub stopped_at_batch: Option<usize>,
}

impl Callback for TerminateOnNaN {
    fn on_train_batch_end(
        &mut self,
        model: &mut Sequential,
        batch: usize,
        logs: &Logs,
    ) -> Result<()> {
        if logs.get("loss").is_some_and(|l| !l.is_finite()) {
            eprintln!("Batch {batch}: Invalid loss, terminating training");
            self.stopped_at_batch = Some(batch);
            model.stop_training = true;
        }
        Ok(())
    }
}
