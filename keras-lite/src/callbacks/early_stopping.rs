//! Keras' `EarlyStopping`: stop training when the monitored value has stopped improving.
//!
//! The rule, exactly as tf-keras 2 (`tf_keras/callbacks.py`):
//!
//! ```text
//! at train begin:  wait = 0, best = +inf (or -inf when higher is better), best_weights = none
//! at epoch end:    skip if the monitor is missing or epoch < start_from_epoch
//!                  with restore_best_weights: the first monitored epoch's weights are kept
//!                  wait += 1
//!                  improved = current - min_delta > best   (higher is better)
//!                             current + min_delta < best   (lower is better)
//!                  if improved: best = current, best_epoch = epoch (weights kept);
//!                               wait = 0 unless a baseline exists and is not beaten
//!                  else if wait >= patience and epoch > 0: stop
//! at train end:    with restore_best_weights, the best epoch's weights are put back,
//!                  whether training stopped early or ran to its last epoch
//! ```
//!
//! A known Keras trap is not knowing whether the final model is the best one or the last one.
//! With `restore_best_weights`, keras-lite always says what happened, whatever `verbose` is:
//! `Restoring model weights from the end of the best epoch: 4.` (Keras' line), plus a line
//! when training was not stopped early, or a line saying that nothing could be restored and
//! why (the monitored value never appeared). The outcome is also in
//! [`EarlyStopping::restored_epoch`].

use crate::callbacks::Callback;
use crate::error::{KerasError, Result};
use crate::history::Logs;
use crate::monitor::{AutoRule, MonitorMode, monitor_value};
use crate::sequential::Sequential;
use ndarray::ArrayD;

/// Keras' `EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0,
/// mode="auto", baseline=None, restore_best_weights=False, start_from_epoch=0)`.
///
/// ```
/// use keras_lite::callbacks::EarlyStopping;
/// // Keras: EarlyStopping(patience=3, restore_best_weights=True)
/// let es = EarlyStopping::default().patience(3).restore_best_weights(true);
/// assert_eq!(es.stopped_epoch(), None);
/// ```
#[derive(Debug, Clone)]
pub struct EarlyStopping {
    monitor: String,
    min_delta: f64,
    patience: usize,
    verbose: u8,
    mode: MonitorMode,
    baseline: Option<f64>,
    restore_best_weights: bool,
    start_from_epoch: usize,
    // state of one fit
    wait: usize,
    best: f64,
    best_epoch: Option<usize>,
    best_weights: Option<Vec<ArrayD<f32>>>,
    stopped_epoch: Option<usize>,
    restored_epoch: Option<usize>,
    last_epoch: Option<usize>,
}

impl Default for EarlyStopping {
    /// Keras' defaults: monitor `val_loss`, `patience` 0, `min_delta` 0, verbose 0, mode
    /// auto, no baseline, no restoring, `start_from_epoch` 0.
    fn default() -> Self {
        EarlyStopping {
            monitor: "val_loss".to_string(),
            min_delta: 0.0,
            patience: 0,
            verbose: 0,
            mode: MonitorMode::Auto,
            baseline: None,
            restore_best_weights: false,
            start_from_epoch: 0,
            wait: 0,
            best: f64::INFINITY,
            best_epoch: None,
            best_weights: None,
            stopped_epoch: None,
            restored_epoch: None,
            last_epoch: None,
        }
    }
}

impl EarlyStopping {
    /// `EarlyStopping::default().monitor(monitor)`.
    pub fn new(monitor: &str) -> Self {
        Self::default().monitor(monitor)
    }

    /// The value to watch in the epoch logs (`"val_loss"` by default; `"val_accuracy"`,
    /// `"loss"`, ...).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = monitor.to_string();
        self
    }

    /// Epochs without improvement after which training stops.
    pub fn patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// The smallest change that counts as an improvement (its absolute value is used).
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta.abs();
        self
    }

    /// 1 prints `Epoch n: early stopping` when it stops (Keras' default is 0).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Which direction is better (default: from the name).
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self
    }

    /// Patience only restarts when the value also beats `baseline`.
    pub fn baseline(mut self, baseline: f64) -> Self {
        self.baseline = Some(baseline);
        self
    }

    /// Put back the best epoch's weights at the end of training.
    pub fn restore_best_weights(mut self, yes: bool) -> Self {
        self.restore_best_weights = yes;
        self
    }

    /// Ignore the first `epochs` epochs (a warm-up in which no improvement is expected).
    pub fn start_from_epoch(mut self, epochs: usize) -> Self {
        self.start_from_epoch = epochs;
        self
    }

    /// The epoch (0-based) at which training was stopped, if it was.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopped_epoch
    }

    /// The epoch (0-based) whose weights were put back at the end of training, if any.
    pub fn restored_epoch(&self) -> Option<usize> {
        self.restored_epoch
    }

    /// The best epoch (0-based) seen so far and its value.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best_epoch.map(|e| (e, self.best))
    }

    fn higher_is_better(&self) -> bool {
        self.mode
            .higher_is_better(&self.monitor, AutoRule::EarlyStopping)
    }

    fn is_improvement(&self, value: f64, reference: f64) -> bool {
        if self.higher_is_better() {
            value - self.min_delta > reference
        } else {
            value + self.min_delta < reference
        }
    }

    /// The decision at the end of `epoch` with the monitored `value` (`None` if it is not in
    /// the logs): returns true when training should stop. `weights` gives the model's
    /// current weights, asked for only when they must be kept.
    pub fn on_value(
        &mut self,
        epoch: usize,
        value: Option<f64>,
        weights: impl FnOnce() -> Result<Vec<ArrayD<f32>>>,
    ) -> Result<bool> {
        self.last_epoch = Some(epoch);
        let Some(current) = value else {
            return Ok(false);
        };
        if epoch < self.start_from_epoch {
            return Ok(false);
        }
        // Read at most once per epoch (the first epoch's copy is also its "improved" copy).
        let mut weights = Some(weights);
        let mut take = || {
            (weights
                .take()
                .expect("weights are read at most once per epoch"))()
        };
        let first = self.best_epoch.is_none();
        if first {
            // Keras keeps the first monitored epoch even if nothing ever improves on it.
            self.best_epoch = Some(epoch);
            if self.restore_best_weights {
                self.best_weights = Some(take()?);
            }
        }
        self.wait += 1;
        if self.is_improvement(current, self.best) {
            self.best = current;
            self.best_epoch = Some(epoch);
            if self.restore_best_weights && !first {
                self.best_weights = Some(take()?);
            }
            if self
                .baseline
                .is_none_or(|b| self.is_improvement(current, b))
            {
                self.wait = 0;
            }
            return Ok(false);
        }
        if self.wait >= self.patience && epoch > 0 {
            self.stopped_epoch = Some(epoch);
            return Ok(true);
        }
        Ok(false)
    }

    /// What happened, as the lines printed at the end of training; the weights to put back.
    fn finish(&mut self) -> (Vec<String>, Option<Vec<ArrayD<f32>>>) {
        let mut lines = Vec::new();
        if let (Some(s), true) = (self.stopped_epoch, self.verbose > 0) {
            lines.push(format!("Epoch {}: early stopping", s + 1));
        }
        if !self.restore_best_weights {
            return (lines, None);
        }
        match (self.best_weights.take(), self.best_epoch) {
            (Some(w), Some(best)) => {
                lines.push(format!(
                    "Restoring model weights from the end of the best epoch: {}.",
                    best + 1
                ));
                if self.stopped_epoch.is_none() {
                    let last = self.last_epoch.unwrap_or(best);
                    lines.push(if last == best {
                        format!(
                            "EarlyStopping did not stop training; the best epoch ({}) is the \
                             last one, so the weights do not change.",
                            best + 1
                        )
                    } else {
                        format!(
                            "EarlyStopping did not stop training; the weights of epoch {} \
                             ({} = {:.4}) replace those of the last epoch, {}.",
                            best + 1,
                            self.monitor,
                            self.best,
                            last + 1
                        )
                    });
                }
                self.restored_epoch = Some(best);
                (lines, Some(w))
            }
            _ => {
                let why = if self.last_epoch.is_some_and(|e| e >= self.start_from_epoch) {
                    format!("`{}` was never in the epoch logs", self.monitor)
                } else {
                    format!(
                        "training ended before start_from_epoch = {}",
                        self.start_from_epoch
                    )
                };
                lines.push(format!(
                    "EarlyStopping: restore_best_weights restored nothing: {why}; the model keeps \
                     the weights of its last epoch."
                ));
                (lines, None)
            }
        }
    }
}

impl Callback for EarlyStopping {
    fn on_train_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        if !self.min_delta.is_finite() || self.baseline.is_some_and(|b| b.is_nan()) {
            return Err(KerasError::InvalidArgument(format!(
                "EarlyStopping: min_delta = {} and baseline = {:?} must be numbers",
                self.min_delta, self.baseline
            )));
        }
        self.wait = 0;
        self.stopped_epoch = None;
        self.restored_epoch = None;
        self.last_epoch = None;
        self.best = if self.higher_is_better() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        self.best_epoch = None;
        self.best_weights = None;
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        model: &mut Sequential,
        epoch: usize,
        logs: &mut Logs,
    ) -> Result<()> {
        let value = monitor_value(logs, &self.monitor, "Early stopping");
        if self.on_value(epoch, value, || model.get_weights())? {
            model.stop_training = true;
        }
        Ok(())
    }

    fn on_train_end(&mut self, model: &mut Sequential, _logs: &Logs) -> Result<()> {
        let (lines, weights) = self.finish();
        for line in lines {
            println!("{line}");
        }
        if let Some(w) = weights {
            model.set_weights(&w)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::arr1;

    /// Runs the epochs of `values` through `es` as fit would, the "weights" of epoch e being
    /// [e]; returns the epoch after which training stopped (if it did) and what was restored.
    fn run(es: &mut EarlyStopping, values: &[Option<f64>]) -> (Option<usize>, Option<f32>) {
        es.wait = 0;
        es.stopped_epoch = None;
        es.best = if es.higher_is_better() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
        es.best_epoch = None;
        es.best_weights = None;
        es.last_epoch = None;
        let mut stop = None;
        for (epoch, v) in values.iter().enumerate() {
            let stopped = es
                .on_value(epoch, *v, || Ok(vec![arr1(&[epoch as f32]).into_dyn()]))
                .unwrap();
            if stopped {
                stop = Some(epoch);
                break;
            }
        }
        let (_, w) = es.finish();
        (stop, w.map(|w| w[0][[0]]))
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement_and_restores_the_best() {
        // val_loss: best at epoch 2 (0.5); 3 epochs without improvement -> stop at epoch 5
        let vals = [1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.1];
        let mut es = EarlyStopping::new("val_loss")
            .patience(3)
            .restore_best_weights(true);
        let (stop, restored) = run(&mut es, &vals.map(Some));
        assert_eq!(stop, Some(5));
        assert_eq!(es.stopped_epoch(), Some(5));
        assert_eq!(restored, Some(2.0));
        assert_eq!(es.restored_epoch(), Some(2));
    }

    #[test]
    fn patience_zero_stops_at_the_first_non_improvement_but_never_at_epoch_zero() {
        let mut es = EarlyStopping::new("loss");
        assert_eq!(run(&mut es, &[1.0, 0.5, 0.5, 0.1].map(Some)).0, Some(2));
        // epoch 0 never stops, even with a NaN (NaN never improves)
        let mut es = EarlyStopping::new("loss");
        assert_eq!(
            run(&mut es, &[f64::NAN, f64::NAN, 0.5].map(Some)).0,
            Some(1)
        );
    }

    #[test]
    fn min_delta_and_mode() {
        // improvements of 0.05 do not count with min_delta 0.1
        let mut es = EarlyStopping::new("val_loss").patience(2).min_delta(-0.1);
        assert_eq!(run(&mut es, &[1.0, 0.95, 0.92, 0.85].map(Some)).0, Some(2));
        // accuracies go up: "val_accuracy" is watched in max mode automatically
        let mut es = EarlyStopping::new("val_accuracy").patience(1);
        assert_eq!(run(&mut es, &[0.5, 0.6, 0.7, 0.65].map(Some)).0, Some(3));
        // forced min mode on an accuracy stops as soon as it rises
        let mut es = EarlyStopping::new("val_accuracy")
            .patience(1)
            .mode(MonitorMode::Min);
        assert_eq!(run(&mut es, &[0.5, 0.6].map(Some)).0, Some(1));
    }

    #[test]
    fn baseline_keeps_the_patience_running_until_it_is_beaten() {
        // Improving but never below 0.3: training stops after `patience` epochs all the same.
        // (An improving epoch never stops training, even if it does not beat the baseline.)
        let mut es = EarlyStopping::new("val_loss")
            .patience(2)
            .baseline(0.3)
            .restore_best_weights(true);
        let (stop, restored) = run(&mut es, &[1.0, 0.9, 0.95, 0.97].map(Some));
        assert_eq!(stop, Some(2));
        assert_eq!(restored, Some(1.0));
        // Beating the baseline resets the patience.
        let mut es = EarlyStopping::new("val_loss").patience(2).baseline(0.3);
        assert_eq!(
            run(&mut es, &[1.0, 0.2, 0.25, 0.26, 0.1].map(Some)).0,
            Some(3)
        );
    }

    #[test]
    fn start_from_epoch_ignores_the_warm_up() {
        let mut es = EarlyStopping::new("loss")
            .start_from_epoch(3)
            .restore_best_weights(true);
        let (stop, restored) = run(&mut es, &[1.0, 2.0, 3.0, 4.0, 5.0].map(Some));
        assert_eq!(stop, Some(4));
        assert_eq!(restored, Some(3.0));
    }

    #[test]
    fn without_an_early_stop_the_best_weights_are_still_restored_and_said_so() {
        let mut es = EarlyStopping::new("val_loss")
            .patience(5)
            .restore_best_weights(true);
        let (stop, restored) = run(&mut es, &[1.0, 0.4, 0.6, 0.5].map(Some));
        assert_eq!((stop, restored), (None, Some(1.0)));
        // the lines printed (finish was called by run; call the message logic again)
        let mut es = EarlyStopping::new("val_loss")
            .patience(5)
            .restore_best_weights(true);
        for (e, v) in [1.0, 0.4, 0.6].iter().enumerate() {
            es.on_value(e, Some(*v), || Ok(vec![arr1(&[e as f32]).into_dyn()]))
                .unwrap();
        }
        let (lines, _) = es.finish();
        assert_eq!(
            lines[0],
            "Restoring model weights from the end of the best epoch: 2."
        );
        assert!(
            lines[1].contains("did not stop training") && lines[1].contains("last epoch, 3"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_monitor_that_never_appears_restores_nothing_and_says_why() {
        let mut es = EarlyStopping::new("val_loss")
            .patience(1)
            .restore_best_weights(true);
        let (stop, restored) = run(&mut es, &[None, None, None]);
        assert_eq!((stop, restored), (None, None));
        let mut es = EarlyStopping::new("val_loss").restore_best_weights(true);
        es.on_value(0, None, || unreachable!()).unwrap();
        let (lines, w) = es.finish();
        assert!(w.is_none());
        assert!(
            lines[0].contains("restored nothing") && lines[0].contains("`val_loss` was never"),
            "{lines:?}"
        );
    }

    #[test]
    fn weights_are_read_only_when_needed() {
        let mut es = EarlyStopping::new("loss").patience(3);
        es.on_value(0, Some(1.0), || panic!("not restoring: no copy"))
            .unwrap();
        es.on_value(1, Some(0.5), || panic!("not restoring: no copy"))
            .unwrap();
    }
}
