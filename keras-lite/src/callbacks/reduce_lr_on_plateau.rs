//! Keras' `ReduceLROnPlateau`: multiply the learning rate by `factor` when the monitored value
//! has not improved for `patience` epochs.
//!
//! The rule, exactly as tf-keras 2:
//!
//! ```text
//! at train begin:  best = +inf (-inf when higher is better), wait = 0, cooldown_counter = 0
//! at epoch end (monitor present):
//!     if cooldown_counter > 0: cooldown_counter -= 1, wait = 0
//!     if current < best - min_delta (or > best + min_delta): best = current, wait = 0
//!     else if cooldown_counter == 0:
//!         wait += 1
//!         if wait >= patience and lr > min_lr (compared in float32):
//!             lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0
//! ```
//!
//! The learning rate is read and written through the compiled optimizer (ch06's
//! `learning_rate`/`set_learning_rate`), stored in float32 as Keras' variable is.

use crate::callbacks::Callback;
use crate::error::{KerasError, Result};
use crate::history::Logs;
use crate::monitor::{AutoRule, MonitorMode, monitor_value};
use crate::pyfmt::repr_f64;
use crate::sequential::Sequential;

/// Keras' `ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, verbose=0,
/// mode="auto", min_delta=1e-4, cooldown=0, min_lr=0)`.
///
/// ```
/// use keras_lite::callbacks::ReduceLROnPlateau;
/// let mut r = ReduceLROnPlateau::default().factor(0.5).patience(1);
/// r.reset();
/// assert_eq!(r.on_value(0, 1.0, 0.01), None);        // first value: the best so far
/// // no improvement for 1 epoch: halve (Keras' float32 learning rate, times 0.5)
/// assert_eq!(r.on_value(1, 1.0, 0.01).map(|lr| lr as f32), Some(0.005));
/// ```
#[derive(Debug, Clone)]
pub struct ReduceLROnPlateau {
    monitor: String,
    factor: f64,
    patience: usize,
    verbose: u8,
    mode: MonitorMode,
    min_delta: f64,
    cooldown: usize,
    min_lr: f64,
    // state
    best: f64,
    wait: usize,
    cooldown_counter: usize,
    reductions: Vec<(usize, f64)>,
}

impl Default for ReduceLROnPlateau {
    /// Keras' defaults: monitor `val_loss`, factor 0.1, patience 10, verbose 0, mode auto,
    /// min_delta 1e-4, cooldown 0, min_lr 0.
    fn default() -> Self {
        let mut r = ReduceLROnPlateau {
            monitor: "val_loss".to_string(),
            factor: 0.1,
            patience: 10,
            verbose: 0,
            mode: MonitorMode::Auto,
            min_delta: 1e-4,
            cooldown: 0,
            min_lr: 0.0,
            best: 0.0,
            wait: 0,
            cooldown_counter: 0,
            reductions: Vec::new(),
        };
        r.reset();
        r
    }
}

impl ReduceLROnPlateau {
    /// `ReduceLROnPlateau::default().monitor(monitor)`.
    pub fn new(monitor: &str) -> Self {
        Self::default().monitor(monitor)
    }

    /// The value to watch in the epoch logs (`"val_loss"` by default).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = monitor.to_string();
        self.reset();
        self
    }

    /// `new_lr = lr * factor` (must be in (0, 1)).
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// Epochs without improvement before the learning rate is reduced.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// 1 prints `Epoch n: ReduceLROnPlateau reducing learning rate to ...`.
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Which direction is better (default: from the name).
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self.reset();
        self
    }

    /// Changes smaller than this are not improvements.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// Epochs to wait after a reduction before counting again.
    pub fn cooldown(mut self, cooldown: usize) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The learning rate never goes below this.
    pub fn min_lr(mut self, min_lr: f64) -> Self {
        self.min_lr = min_lr;
        self
    }

    /// Every reduction so far: `(epoch (0-based), new learning rate)`.
    pub fn reductions(&self) -> &[(usize, f64)] {
        &self.reductions
    }

    fn higher_is_better(&self) -> bool {
        self.mode
            .higher_is_better(&self.monitor, AutoRule::ReduceLROnPlateau)
    }

    /// Keras' `_reset`: a fresh best, no waiting, no cooldown.
    pub fn reset(&mut self) {
        self.best = if self.higher_is_better() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        self.wait = 0;
        self.cooldown_counter = 0;
    }

    /// Checks the settings (Keras refuses a factor >= 1; a factor <= 0, a negative or NaN
    /// min_lr or min_delta make no sense either).
    pub fn validate(&self) -> Result<()> {
        if !(self.factor > 0.0 && self.factor < 1.0) {
            return Err(KerasError::InvalidArgument(format!(
                "ReduceLROnPlateau does not support a factor outside (0, 1); got {} (0.1 divides \
                 the learning rate by 10, 0.5 halves it)",
                self.factor
            )));
        }
        if !(self.min_lr.is_finite() && self.min_lr >= 0.0 && self.min_delta.is_finite()) {
            return Err(KerasError::InvalidArgument(format!(
                "ReduceLROnPlateau: min_lr = {} must be finite and >= 0, min_delta = {} finite",
                self.min_lr, self.min_delta
            )));
        }
        Ok(())
    }

    /// The decision at the end of `epoch` for the monitored value `current` when the learning
    /// rate is `lr`: the new learning rate, if it is reduced.
    pub fn on_value(&mut self, epoch: usize, current: f64, lr: f64) -> Option<f64> {
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.wait = 0;
        }
        let improved = if self.higher_is_better() {
            current > self.best + self.min_delta
        } else {
            current < self.best - self.min_delta
        };
        if improved {
            self.best = current;
            self.wait = 0;
            return None;
        }
        if self.cooldown_counter > 0 {
            return None;
        }
        self.wait += 1;
        if self.wait < self.patience {
            return None;
        }
        // Keras compares the float32 variable with np.float32(min_lr), multiplies in double.
        let old = lr as f32;
        if old <= self.min_lr as f32 {
            return None;
        }
        let new_lr = (old as f64 * self.factor).max(self.min_lr);
        self.cooldown_counter = self.cooldown;
        self.wait = 0;
        self.reductions.push((epoch, new_lr));
        Some(new_lr)
    }
}

impl Callback for ReduceLROnPlateau {
    fn on_train_begin(&mut self, model: &mut Sequential) -> Result<()> {
        self.validate()?;
        if model.optimizer_mut().is_none() {
            return Err(KerasError::NotCompiled {
                call: "ReduceLROnPlateau",
            });
        }
        self.reset();
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        model: &mut Sequential,
        epoch: usize,
        logs: &mut Logs,
    ) -> Result<()> {
        // tf_keras logs the rate this epoch trained with, before any reduction.
        crate::callbacks::log_learning_rate(model, logs);
        let Some(current) = monitor_value(logs, &self.monitor, "Learning rate reduction") else {
            return Ok(());
        };
        let Some(opt) = model.optimizer_mut() else {
            return Ok(());
        };
        if let Some(new_lr) = self.on_value(epoch, current, opt.learning_rate()) {
            // Stored as float32, as Keras' learning-rate variable.
            opt.set_learning_rate(new_lr as f32 as f64)?;
            if self.verbose > 0 {
                println!(
                    "\nEpoch {}: ReduceLROnPlateau reducing learning rate to {}.",
                    epoch + 1,
                    repr_f64(new_lr)
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{Tol, all_close};

    /// The learning rate after each epoch of `values`, starting from `lr`.
    fn schedule(r: &mut ReduceLROnPlateau, lr: f64, values: &[f64]) -> Vec<f64> {
        r.reset();
        let mut lr = lr;
        values
            .iter()
            .enumerate()
            .map(|(e, &v)| {
                if let Some(new) = r.on_value(e, v, lr) {
                    lr = new as f32 as f64;
                }
                lr
            })
            .collect()
    }

    /// The learning rates are stored as f32: equal to 1e-7 relative.
    const LR: Tol = Tol {
        rel: 1e-7,
        abs: 0.0,
    };

    #[test]
    fn reduces_after_patience_epochs_on_a_plateau() {
        let mut r = ReduceLROnPlateau::new("val_loss").factor(0.5).patience(2);
        // improve, improve, flat, flat -> halve, flat, flat -> halve
        let lrs = schedule(&mut r, 0.1, &[1.0, 0.9, 0.9, 0.9, 0.9, 0.9]);
        assert!(
            all_close(&lrs, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], LR),
            "{lrs:?}"
        );
        assert_eq!(
            r.reductions().iter().map(|r| r.0).collect::<Vec<_>>(),
            [3, 5]
        );
    }

    #[test]
    fn min_delta_decides_what_counts_as_improvement() {
        // decreases of 5e-5 are below min_delta 1e-4: a plateau
        let mut r = ReduceLROnPlateau::new("loss").patience(1);
        let lrs = schedule(&mut r, 0.01, &[1.0, 0.99995, 0.9998]);
        assert!(all_close(&lrs, [0.01, 0.001, 0.001], LR), "{lrs:?}");
    }

    #[test]
    fn cooldown_pauses_the_count_after_a_reduction() {
        let mut r = ReduceLROnPlateau::new("val_loss")
            .factor(0.5)
            .patience(1)
            .cooldown(2);
        let lrs = schedule(&mut r, 1.0, &[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        // reduce at epoch 1 (counter = 2); epoch 2 decrements it to 1 and is skipped; epoch 3
        // decrements it to 0, is no longer in cooldown, and counts: reduce again.
        assert!(
            all_close(&lrs, [1.0, 0.5, 0.5, 0.25, 0.25, 0.25 * 0.5], LR),
            "{lrs:?}"
        );
    }

    #[test]
    fn min_lr_is_a_floor_and_accuracy_goes_up() {
        let mut r = ReduceLROnPlateau::new("val_loss")
            .factor(0.1)
            .patience(1)
            .min_lr(0.005);
        let lrs = schedule(&mut r, 0.1, &[1.0, 1.0, 1.0, 1.0]);
        assert!(all_close(&lrs, [0.1, 0.01, 0.005, 0.005], LR), "{lrs:?}");
        assert_eq!(r.reductions().len(), 2);
        let mut r = ReduceLROnPlateau::new("val_accuracy")
            .factor(0.5)
            .patience(1);
        let lrs = schedule(&mut r, 1.0, &[0.5, 0.6, 0.55, 0.7]);
        assert!(all_close(&lrs, [1.0, 1.0, 0.5, 0.5], LR), "{lrs:?}");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(ReduceLROnPlateau::new("l").factor(1.0).validate().is_err());
        assert!(ReduceLROnPlateau::new("l").factor(0.0).validate().is_err());
        assert!(ReduceLROnPlateau::new("l").min_lr(-1.0).validate().is_err());
        assert!(ReduceLROnPlateau::new("l").validate().is_ok());
    }

    #[test]
    fn the_message_shows_the_lr_as_keras_does() {
        // Keras prints float32(0.001) * 0.1 computed in double: 0.00010000000474974513.
        let mut r = ReduceLROnPlateau::new("loss").patience(1);
        r.on_value(0, 1.0, 0.001);
        let new = r.on_value(1, 1.0, 0.001).unwrap();
        assert_eq!(repr_f64(new), "0.00010000000474974513");
    }
}
