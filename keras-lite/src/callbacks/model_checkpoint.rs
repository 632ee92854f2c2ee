//! Keras' `ModelCheckpoint`: save the model (or its weights) during training.
//!
//! `filepath` may hold Python format fields filled from `epoch` (1-based), `batch` (1-based,
//! when saving every n batches) and the logs: `"ckpt/weights.{epoch:02d}-{val_loss:.2f}.safetensors"`.
//! With `save_best_only`, a file is written only when the monitored value beats the best so
//! far (by Keras' `mode`); with `save_weights_only`, [`Sequential::save_weights`] writes one
//! safetensors file, otherwise [`Sequential::save`] writes a model directory. Parent
//! directories are created. Every write is atomic, so an interrupted run never leaves a
//! half-written checkpoint.
//!
//! Messages (with `verbose(1)`) are Keras' own:
//!
//! ```text
//! Epoch 3: val_loss improved from 0.41230 to 0.39870, saving model to ckpt/best.safetensors
//! Epoch 4: val_loss did not improve from 0.39870
//! Epoch 5: saving model to ckpt/weights.05.safetensors
//! ```

use crate::callbacks::Callback;
use crate::error::{KerasError, Result};
use crate::history::Logs;
use crate::monitor::{AutoRule, MonitorMode};
use crate::pyfmt::{FormatError, PyValue, check_pattern, format_fields};
use crate::sequential::Sequential;
use std::path::PathBuf;

/// When a checkpoint is considered: at each epoch's end, or every `n` training batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaveFreq {
    #[default]
    Epoch,
    Batches(usize),
}

/// Keras' `ModelCheckpoint(filepath, monitor="val_loss", verbose=0, save_best_only=False,
/// save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None)`.
///
/// ```
/// use keras_lite::callbacks::ModelCheckpoint;
/// let ckpt = ModelCheckpoint::new("ckpt/best.weights.safetensors")?
///     .monitor("val_accuracy")
///     .save_best_only(true)
///     .save_weights_only(true);
/// assert_eq!(ckpt.saved().len(), 0);
/// // A pattern that could never make a file name is refused at once.
/// let err = ModelCheckpoint::new("w.{epoch:099999999999d}.safetensors").unwrap_err();
/// assert!(err.to_string().contains("over the limit of 255"));
/// # Ok::<(), keras_lite::KerasError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ModelCheckpoint {
    filepath: String,
    monitor: String,
    verbose: u8,
    save_best_only: bool,
    save_weights_only: bool,
    mode: MonitorMode,
    save_freq: SaveFreq,
    initial_value_threshold: Option<f64>,
    // state (`best` is set at the first decision, as Keras sets it at construction)
    best: Option<f64>,
    current_epoch: usize,
    batches_since_save: usize,
    last_batch_seen: Option<usize>,
    saved: Vec<PathBuf>,
}

impl ModelCheckpoint {
    /// Saves to `filepath` (a pattern, see the module docs) at the end of every epoch,
    /// watching `val_loss` for `save_best_only`.
    ///
    /// Errors: a malformed pattern (an unclosed brace, an unsupported spec) or a width or
    /// precision over [`crate::pyfmt::MAX_WIDTH`]; the names in it are checked when filled.
    pub fn new(filepath: &str) -> Result<Self> {
        check_pattern(filepath).map_err(|e| {
            let reason = match e {
                FormatError::MissingKey(k) => k,
                FormatError::Pattern(p) => p,
            };
            KerasError::InvalidArgument(format!(
                "ModelCheckpoint: the filepath \"{filepath}\" cannot name files: {reason}"
            ))
        })?;
        Ok(ModelCheckpoint {
            filepath: filepath.to_string(),
            monitor: "val_loss".to_string(),
            verbose: 0,
            save_best_only: false,
            save_weights_only: false,
            mode: MonitorMode::Auto,
            save_freq: SaveFreq::Epoch,
            initial_value_threshold: None,
            best: None,
            current_epoch: 0,
            batches_since_save: 0,
            last_batch_seen: None,
            saved: Vec::new(),
        })
    }

    /// The logged value that decides "best" (`"val_loss"` by default).
    pub fn monitor(mut self, monitor: &str) -> Self {
        self.monitor = monitor.to_string();
        self
    }

    /// 1 prints a line for each decision.
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
    }

    /// Write only when the monitored value improves.
    pub fn save_best_only(mut self, yes: bool) -> Self {
        self.save_best_only = yes;
        self
    }

    /// Write only the weights (one safetensors file) instead of the whole model (a directory).
    pub fn save_weights_only(mut self, yes: bool) -> Self {
        self.save_weights_only = yes;
        self
    }

    /// Which direction of the monitored value is better (default: from its name).
    pub fn mode(mut self, mode: MonitorMode) -> Self {
        self.mode = mode;
        self
    }

    /// At each epoch's end (default) or every `n` batches.
    pub fn save_freq(mut self, freq: SaveFreq) -> Self {
        self.save_freq = freq;
        self
    }

    /// The value to beat before the first save (with `save_best_only`).
    pub fn initial_value_threshold(mut self, value: f64) -> Self {
        self.initial_value_threshold = Some(value);
        self
    }

    /// Every path written so far, in order.
    pub fn saved(&self) -> &[PathBuf] {
        &self.saved
    }

    /// The best monitored value so far: `initial_value_threshold`, or an infinity of the
    /// losing side, before the first save.
    pub fn best(&self) -> f64 {
        self.best.unwrap_or_else(|| {
            self.initial_value_threshold
                .unwrap_or(if self.higher_is_better() {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                })
        })
    }

    fn higher_is_better(&self) -> bool {
        self.mode
            .higher_is_better(&self.monitor, AutoRule::ModelCheckpoint)
    }

    /// `filepath` with its fields filled (Keras' `_get_file_path`).
    pub fn file_path(&self, epoch: usize, batch: Option<usize>, logs: &Logs) -> Result<PathBuf> {
        let mut fields: Vec<(&str, PyValue)> = vec![("epoch", PyValue::Int(epoch as i64 + 1))];
        if let Some(b) = batch
            && logs.get("batch").is_none()
        {
            fields.push(("batch", PyValue::Int(b as i64 + 1)));
        }
        fields.extend(logs.iter().map(|(k, v)| (k, PyValue::Float(v))));
        format_fields(&self.filepath, &fields)
            .map(PathBuf::from)
            .map_err(|e| {
                let reason = match e {
                    FormatError::MissingKey(k) => format!(
                        "{{{k}}} is not a value of this run (available: {}); use one of them or \
                         add the metric to compile",
                        fields
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    FormatError::Pattern(p) => p,
                };
                KerasError::InvalidArgument(format!(
                    "ModelCheckpoint: failed to format the filepath \"{}\": {reason}",
                    self.filepath
                ))
            })
    }

    /// The decision for one checkpoint (`save` is called with the path when a file must be
    /// written); returns the message Keras prints with verbose 1, if any.
    fn decide(
        &mut self,
        epoch: usize,
        batch: Option<usize>,
        logs: &Logs,
        save: &mut dyn FnMut(&std::path::Path, bool) -> Result<()>,
    ) -> Result<Option<String>> {
        let path = self.file_path(epoch, batch, logs)?;
        let shown = path.display().to_string();
        let msg = if self.save_best_only {
            let Some(current) = logs.get(&self.monitor) else {
                eprintln!(
                    "WARNING: Can save best model only with {} available, skipping.",
                    self.monitor
                );
                return Ok(None);
            };
            let best = self.best();
            let improved = if self.higher_is_better() {
                current > best
            } else {
                current < best
            };
            if improved {
                let msg = format!(
                    "Epoch {}: {} improved from {best:.5} to {current:.5}, saving model to {shown}",
                    epoch + 1,
                    self.monitor,
                );
                self.best = Some(current);
                save(&path, self.save_weights_only)?;
                self.saved.push(path);
                msg
            } else {
                format!(
                    "Epoch {}: {} did not improve from {best:.5}",
                    epoch + 1,
                    self.monitor
                )
            }
        } else {
            save(&path, self.save_weights_only)?;
            self.saved.push(path);
            format!("Epoch {}: saving model to {shown}", epoch + 1)
        };
        Ok(Some(msg))
    }

    fn checkpoint(
        &mut self,
        model: &mut Sequential,
        epoch: usize,
        batch: Option<usize>,
        logs: &Logs,
    ) -> Result<()> {
        let msg = self.decide(epoch, batch, logs, &mut |path, weights_only| {
            if weights_only {
                model.save_weights(path)
            } else {
                model.save(path)
            }
        })?;
        if let (Some(m), true) = (msg, self.verbose > 0) {
            println!("\n{m}");
        }
        Ok(())
    }
}

impl Callback for ModelCheckpoint {
    fn on_train_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        if self.save_freq == SaveFreq::Batches(0) {
            return Err(KerasError::InvalidArgument(
                "ModelCheckpoint: save_freq = Batches(0); give at least 1 batch, or SaveFreq::Epoch"
                    .into(),
            ));
        }
        if self.filepath.is_empty() {
            return Err(KerasError::InvalidArgument(
                "ModelCheckpoint: the filepath is empty; give a file name such as \
                 \"ckpt/weights.{epoch:02d}.safetensors\""
                    .into(),
            ));
        }
        // Keras sets `best` once, in the constructor: a callback reused across fits keeps it.
        Ok(())
    }

    fn on_epoch_begin(&mut self, _model: &mut Sequential, epoch: usize) -> Result<()> {
        self.current_epoch = epoch;
        Ok(())
    }

    fn on_train_batch_end(
        &mut self,
        model: &mut Sequential,
        batch: usize,
        logs: &Logs,
    ) -> Result<()> {
        let SaveFreq::Batches(n) = self.save_freq else {
            return Ok(());
        };
        // Keras' _should_save_on_batch: batches counted across epochs.
        let added = match self.last_batch_seen {
            Some(last) if batch > last => batch - last,
            _ => batch + 1,
        };
        self.batches_since_save += added;
        self.last_batch_seen = Some(batch);
        if self.batches_since_save >= n {
            self.batches_since_save = 0;
            self.checkpoint(model, self.current_epoch, Some(batch), logs)?;
        }
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        model: &mut Sequential,
        epoch: usize,
        logs: &mut Logs,
    ) -> Result<()> {
        if self.save_freq == SaveFreq::Epoch {
            self.checkpoint(model, epoch, None, logs)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(pairs: &[(&str, f64)]) -> Logs {
        let mut l = Logs::new();
        for (k, v) in pairs {
            l.insert(*k, *v);
        }
        l
    }

    #[test]
    fn paths_are_formatted_from_epoch_batch_and_logs() {
        let c = ModelCheckpoint::new("ckpt/w.{epoch:02d}-{val_loss:.2f}.st").unwrap();
        let p = c
            .file_path(4, None, &logs(&[("loss", 0.5), ("val_loss", 0.3456)]))
            .unwrap();
        assert_eq!(p, PathBuf::from("ckpt/w.05-0.35.st"));
        let c = ModelCheckpoint::new("b{batch}.st").unwrap();
        assert_eq!(
            c.file_path(0, Some(9), &logs(&[])).unwrap(),
            PathBuf::from("b10.st")
        );
        let err = ModelCheckpoint::new("w.{val_acc:.2f}")
            .unwrap()
            .file_path(0, None, &logs(&[("loss", 1.0)]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("{val_acc}") && err.contains("epoch, loss"),
            "{err}"
        );
    }

    #[test]
    fn save_best_only_saves_on_improvement_with_keras_messages() {
        let mut c = ModelCheckpoint::new("best.st")
            .unwrap()
            .save_best_only(true);
        let mut writes = Vec::new();
        let mut save = |p: &std::path::Path, w: bool| {
            writes.push((p.to_path_buf(), w));
            Ok(())
        };
        let mut msgs = Vec::new();
        for (e, v) in [0.5, 0.4, 0.45, 0.3].iter().enumerate() {
            msgs.push(
                c.decide(e, None, &logs(&[("val_loss", *v)]), &mut save)
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(writes.len(), 3);
        assert_eq!(
            msgs[0],
            "Epoch 1: val_loss improved from inf to 0.50000, saving model to best.st"
        );
        assert_eq!(msgs[2], "Epoch 3: val_loss did not improve from 0.40000");
        assert_eq!(
            msgs[3],
            "Epoch 4: val_loss improved from 0.40000 to 0.30000, saving model to best.st"
        );
        // without the monitor: a warning, nothing written
        let before = c.saved().len();
        assert!(
            c.decide(4, None, &logs(&[("loss", 0.1)]), &mut |_, _| Ok(()))
                .unwrap()
                .is_none()
        );
        assert_eq!(c.saved().len(), before);
    }

    #[test]
    fn accuracy_is_maximised_and_every_epoch_saves_without_best_only() {
        let mut c = ModelCheckpoint::new("a.st")
            .unwrap()
            .monitor("val_acc")
            .save_best_only(true);
        assert_eq!(c.best(), f64::NEG_INFINITY);
        assert!(c.higher_is_better());
        let mut n = 0;
        for (e, v) in [0.5, 0.6, 0.55].iter().enumerate() {
            c.decide(e, None, &logs(&[("val_acc", *v)]), &mut |_, _| {
                n += 1;
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(n, 2);
        let mut c = ModelCheckpoint::new("e{epoch}.st")
            .unwrap()
            .save_weights_only(true);
        for e in 0..3 {
            c.decide(e, None, &logs(&[("loss", 1.0)]), &mut |_, w| {
                assert!(w);
                Ok(())
            })
            .unwrap();
        }
        let names: Vec<String> = c.saved().iter().map(|p| p.display().to_string()).collect();
        assert_eq!(names, ["e1.st", "e2.st", "e3.st"]);
    }
}
