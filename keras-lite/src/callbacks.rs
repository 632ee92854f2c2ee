//! Callbacks: code `fit` and `evaluate` call at the start and end of training, of each epoch
//! and of each batch (Keras' `tf.keras.callbacks`), all in this one module.
//!
//! ```
//! use keras_lite::callbacks::{CSVLogger, EarlyStopping, ReduceLROnPlateau};
//! use keras_lite::layers::{Dense, Flatten};
//! use keras_lite::{FitOptions, Sequential};
//! # keras_lite::backend::set_random_seed(0);
//! # let x = ndarray::Array2::<f32>::from_shape_fn((40, 4), |(i, j)| ((i + j) % 3) as f32);
//! # let y = ndarray::Array1::<u8>::from_shape_fn(40, |i| (i % 3) as u8);
//! # let dir = tempfile::tempdir().unwrap();
//! # let log_path = dir.path().join("training.log");
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[4]).into(),
//!     Dense::new(3).activation("softmax").into(),
//! ]);
//! model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
//! // Keras: model.fit(x, y, epochs=10, validation_split=0.2,
//! //                  callbacks=[EarlyStopping(patience=2), ReduceLROnPlateau(patience=1),
//! //                             CSVLogger("training.log")])
//! let mut early = EarlyStopping::default().patience(2);
//! let mut plateau = ReduceLROnPlateau::default().patience(1);
//! let mut csv = CSVLogger::new(&log_path);
//! let history = model.fit(&x, &y, FitOptions {
//!     epochs: 10,
//!     validation_split: 0.2,
//!     verbose: 0,
//!     callbacks: vec![&mut early, &mut plateau, &mut csv],
//!     ..Default::default()
//! })?;
//! // ReduceLROnPlateau writes the learning rate of each epoch into the logs, as tf_keras does.
//! assert_eq!(history["lr"].len(), history["loss"].len());
//! assert!(std::fs::read_to_string(&log_path)?.starts_with("epoch,accuracy,loss,lr,"));
//! println!("stopped after epoch {:?}", early.stopped_epoch().map(|e| e + 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A callback gets the model, so it can read or change the weights, the optimizer's learning
//! rate, or set `model.stop_training`; it must not add or remove layers during `fit`.
//! `fit` always returns the [`History`](crate::History).
//!
//! The callbacks of the list run in the order given; then `fit` records the epoch's logs in
//! the History and prints the epoch's line, as tf_keras appends its `History` and
//! `ProgbarLogger` after the user's callbacks. So a key a callback writes into the epoch logs
//! (`lr`) reaches the History, the printed line, and the callbacks after it in the list.
//!
//! # Keras' defaults (tf_keras 2.21)
//!
//! | tf_keras | keras-lite |
//! |---|---|
//! | `EarlyStopping(monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None, restore_best_weights=False, start_from_epoch=0)` | [`EarlyStopping::default()`], then `.monitor(..)`, `.min_delta(..)`, `.patience(..)`, `.verbose(..)`, `.mode(..)`, `.baseline(..)`, `.restore_best_weights(..)`, `.start_from_epoch(..)` |
//! | `ModelCheckpoint(filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None)` | [`ModelCheckpoint::new`]`(filepath)?` (checks the pattern), then `.monitor(..)`, `.verbose(..)`, `.save_best_only(..)`, `.save_weights_only(..)`, `.mode(..)`, `.save_freq(..)`, `.initial_value_threshold(..)` |
//! | `ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0)` | [`ReduceLROnPlateau::default()`], then `.monitor(..)`, `.factor(..)`, `.patience(..)`, `.verbose(..)`, `.mode(..)`, `.min_delta(..)`, `.cooldown(..)`, `.min_lr(..)`; writes `lr` into the epoch logs |
//! | `CSVLogger(filename, separator=",", append=False)` | [`CSVLogger::new`]`(filename)`, then `.separator(..)`, `.append(..)`; columns `epoch` then the log keys sorted, as tf_keras |
//! | `LearningRateScheduler(schedule, verbose=0)` | [`LearningRateScheduler::new`]`(\|epoch, lr\| ..)`, then `.verbose(..)`; writes `lr` into the epoch logs |
//! | `TerminateOnNaN()` | [`TerminateOnNaN::default()`] |
//!
//! `EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau` keep `new(monitor)` /
//! `new(filepath)` as a shorthand. Checks that can fail (a NaN `min_delta`, a `factor` outside
//! `(0, 1)`, a bad separator) are made when training begins and are [`KerasError`]s naming the
//! setting.
//!
//! The longer callbacks have a file each under `callbacks/`: [`early_stopping`],
//! [`model_checkpoint`], [`reduce_lr_on_plateau`], [`csv_logger`]; their types are re-exported
//! here, so `keras_lite::callbacks::EarlyStopping` is the one path to use.
//!
//! [`KerasError`]: crate::KerasError

pub mod csv_logger;
pub mod early_stopping;
pub mod model_checkpoint;
pub mod reduce_lr_on_plateau;

pub use crate::monitor::MonitorMode;
pub use csv_logger::CSVLogger;
pub use early_stopping::EarlyStopping;
pub use model_checkpoint::{ModelCheckpoint, SaveFreq};
pub use reduce_lr_on_plateau::ReduceLROnPlateau;

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
    /// `logs` holds the epoch's loss and metrics, and their `val_` forms when validated. A
    /// callback may add entries (as `ReduceLROnPlateau` adds `lr`): the callbacks after it,
    /// the History and the printed line see them.
    fn on_epoch_end(
        &mut self,
        _model: &mut Sequential,
        _epoch: usize,
        _logs: &mut Logs,
    ) -> Result<()> {
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

/// Writes the optimizer's learning rate into the epoch logs as `lr`, as tf_keras'
/// `LearningRateScheduler` and `ReduceLROnPlateau` do (`logs["lr"] = get_value(optimizer.lr)`).
///
/// Keras' learning rate is a float32 variable: the value logged is the float32 rate, written
/// with its shortest decimal digits (`0.001`, not `0.0010000000474974513`), which is what
/// tf_keras' `CSVLogger` prints for it.
pub(crate) fn log_learning_rate(model: &Sequential, logs: &mut Logs) {
    if let Some(opt) = model.optimizer() {
        let lr32 = opt.learning_rate() as f32;
        let shortest = lr32.to_string().parse::<f64>().unwrap_or(lr32 as f64);
        logs.insert("lr", shortest);
    }
}

/// Keras' `LearningRateScheduler(schedule, verbose=0)`: sets the learning rate at the start of
/// each epoch to `schedule(epoch, current_lr)` (`epoch` 0-based), and writes the rate into the
/// epoch logs as `lr` at its end, so `history["lr"]` holds the rate of each epoch.
///
/// ```
/// use keras_lite::callbacks::LearningRateScheduler;
/// // Keras: LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)
/// let scheduler = LearningRateScheduler::new(|epoch, lr| if epoch < 10 { lr } else { lr * 0.9 });
/// ```
pub struct LearningRateScheduler {
    schedule: Box<dyn FnMut(usize, f64) -> f64>,
    verbose: u8,
}

impl LearningRateScheduler {
    /// `schedule(epoch, lr)` gives the rate of `epoch` (0-based) from the current one.
    pub fn new(schedule: impl FnMut(usize, f64) -> f64 + 'static) -> Self {
        LearningRateScheduler {
            schedule: Box::new(schedule),
            verbose: 0,
        }
    }

    /// 1 prints `Epoch n: LearningRateScheduler setting learning rate to lr.` (Keras' default
    /// is 0).
    pub fn verbose(mut self, verbose: u8) -> Self {
        self.verbose = verbose;
        self
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
            if self.verbose > 0 {
                println!(
                    "\nEpoch {}: LearningRateScheduler setting learning rate to {}.",
                    epoch + 1,
                    crate::pyfmt::repr_f64(lr)
                );
            }
        }
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        model: &mut Sequential,
        _epoch: usize,
        logs: &mut Logs,
    ) -> Result<()> {
        log_learning_rate(model, logs);
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
