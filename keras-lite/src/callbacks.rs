//! Callbacks: code `fit` and `evaluate` call at the start and end of training, of each epoch
//! and of each batch (Keras' `tf.keras.callbacks`).
//!
//! A callback gets the model, so it can read or change the weights, the optimizer's learning
//! rate, or set `model.stop_training`; it must not add or remove layers during `fit`.
//! `fit` always returns the [`History`](crate::History). This module holds the hooks and the
//! two simplest callbacks of Keras 2, [`LearningRateScheduler`] and [`TerminateOnNaN`]; the
//! monitoring ones have modules of their own: [`crate::early_stopping`],
//! [`crate::model_checkpoint`], [`crate::reduce_lr_on_plateau`], [`crate::csv_logger`].

use crate::error::Result;
use crate::history::Logs;
use crate::sequential::Sequential;

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
            opt.set_learning_rate(lr).map_err(|e| {
                crate::KerasError::InvalidArgument(format!(
                    "LearningRateScheduler: the schedule gave learning rate {lr} at epoch {epoch} \
                     ({e})"
                ))
            })?;
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
