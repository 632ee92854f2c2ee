//! The callbacks of issue 8 inside a real `fit`: hooks in Keras' order, EarlyStopping's stop
//! epoch and restored weights, ModelCheckpoint's files, ReduceLROnPlateau's schedule applied
//! to the optimizer, CSVLogger's file matching the History.

mod common;

use common::{classifier, images, temp_path};
use keras_lite::callbacks::CSVLogger;
use keras_lite::callbacks::Callback;
use keras_lite::callbacks::EarlyStopping;
use keras_lite::callbacks::ModelCheckpoint;
use keras_lite::callbacks::ReduceLROnPlateau;
use keras_lite::pyfmt::repr_f64;
use keras_lite::{FitOptions, Logs, Result, Sequential, ValidationData};
use ndarray::ArrayD;

/// Records, at each epoch's end, the logs, the weights and the learning rate.
#[derive(Default)]
struct Recorder {
    logs: Vec<Logs>,
    weights: Vec<Vec<ArrayD<f32>>>,
    lr: Vec<f64>,
    events: Vec<String>,
}

impl Callback for Recorder {
    fn on_train_begin(&mut self, _m: &mut Sequential) -> Result<()> {
        self.events.push("train_begin".into());
        Ok(())
    }
    fn on_epoch_begin(&mut self, m: &mut Sequential, epoch: usize) -> Result<()> {
        self.events.push(format!("epoch_begin {epoch}"));
        self.lr.push(m.optimizer_mut().unwrap().learning_rate());
        Ok(())
    }
    fn on_train_batch_begin(&mut self, _m: &mut Sequential, batch: usize) -> Result<()> {
        self.events.push(format!("batch_begin {batch}"));
        Ok(())
    }
    fn on_train_batch_end(&mut self, _m: &mut Sequential, batch: usize, logs: &Logs) -> Result<()> {
        assert!(logs.get("loss").is_some());
        self.events.push(format!("batch_end {batch}"));
        Ok(())
    }
    fn on_epoch_end(&mut self, m: &mut Sequential, epoch: usize, logs: &mut Logs) -> Result<()> {
        self.events.push(format!("epoch_end {epoch}"));
        self.logs.push(logs.clone());
        self.weights.push(m.get_weights()?);
        Ok(())
    }
    fn on_train_end(&mut self, _m: &mut Sequential, _logs: &Logs) -> Result<()> {
        self.events.push("train_end".into());
        Ok(())
    }
}

fn compiled(seed: u64, optimizer: &str) -> Sequential {
    let mut m = classifier(seed);
    m.compile(optimizer, "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    m
}

#[test]
fn user_callbacks_see_every_hook_in_keras_order() {
    let (x, y) = images(10, 1);
    let mut m = compiled(1, "sgd");
    let mut rec = Recorder::default();
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 2,
            batch_size: 4,
            verbose: 0,
            callbacks: vec![&mut rec],
            ..Default::default()
        },
    )
    .unwrap();
    let mut want = vec!["train_begin".to_string()];
    for e in 0..2 {
        want.push(format!("epoch_begin {e}"));
        for b in 0..3 {
            want.push(format!("batch_begin {b}"));
            want.push(format!("batch_end {b}"));
        }
        want.push(format!("epoch_end {e}"));
    }
    want.push("train_end".into());
    assert_eq!(rec.events, want);
}

/// Keras' EarlyStopping rule written out independently: (stop epoch, best epoch) for a loss.
fn expected_stop(values: &[f64], patience: usize, min_delta: f64) -> (Option<usize>, usize) {
    let (mut best, mut best_epoch, mut wait) = (f64::INFINITY, 0, 0);
    for (e, &v) in values.iter().enumerate() {
        wait += 1;
        if v + min_delta < best {
            best = v;
            best_epoch = e;
            wait = 0;
        } else if wait >= patience && e > 0 {
            return (Some(e), best_epoch);
        }
    }
    (None, best_epoch)
}

#[test]
fn early_stopping_stops_at_keras_epoch_and_restores_the_best_weights() {
    let (x, y) = images(64, 2);
    let (xv, yv) = images(32, 3);
    let mut m = compiled(2, "adam");
    let mut rec = Recorder::default();
    // A min_delta large enough that the slowing improvements stop counting after a while.
    let mut es = EarlyStopping::new("val_loss")
        .patience(2)
        .min_delta(0.02)
        .restore_best_weights(true);
    let history = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 60,
                batch_size: 16,
                verbose: 0,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                callbacks: vec![&mut rec, &mut es],
                ..Default::default()
            },
        )
        .unwrap();
    let vals = &history["val_loss"];
    let (stop, best) = expected_stop(vals, 2, 0.02);
    let stop = stop.expect("the run was long enough to stop early");
    assert_eq!(es.stopped_epoch(), Some(stop));
    assert_eq!(
        history.epoch.len(),
        stop + 1,
        "fit ends after the stopping epoch"
    );
    assert_eq!(es.restored_epoch(), Some(best));
    assert!(best < stop);
    // The model holds the weights recorded at the end of the best epoch, not the last ones.
    let final_w = m.get_weights().unwrap();
    assert_eq!(final_w, rec.weights[best]);
    assert_ne!(final_w, rec.weights[stop]);
}

#[test]
fn early_stopping_that_never_triggers_still_restores_the_best_epoch() {
    // Keras 2 restores nothing when EarlyStopping never stops training (a known trap);
    // keras-lite restores the best epoch all the same and says so. Monitoring the training
    // loss as if higher were better makes the best epoch an early one without a stop.
    let (x, y) = images(48, 12);
    let mut m = compiled(12, "adam");
    let mut rec = Recorder::default();
    let mut es = EarlyStopping::new("loss")
        .mode(keras_lite::monitor::MonitorMode::Max)
        .patience(100)
        .restore_best_weights(true);
    let history = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 4,
                batch_size: 8,
                verbose: 0,
                callbacks: vec![&mut rec, &mut es],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(es.stopped_epoch(), None);
    assert_eq!(history.epoch.len(), 4);
    let best = history["loss"]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(best < 3, "the loss fell, so the highest is not the last");
    assert_eq!(es.restored_epoch(), Some(best));
    let final_w = m.get_weights().unwrap();
    assert_eq!(final_w, rec.weights[best]);
    assert_ne!(final_w, rec.weights[3]);
}

#[test]
fn model_checkpoint_writes_the_best_weights_with_formatted_names() {
    let (x, y) = images(48, 4);
    let (xv, yv) = images(24, 5);
    let dir = temp_path("ckpt");
    let _ = std::fs::remove_dir_all(&dir);
    let pattern = format!(
        "{}/w.{{epoch:02d}}-{{val_loss:.3f}}.safetensors",
        dir.display()
    );
    let mut m = compiled(3, "adam");
    let mut rec = Recorder::default();
    let mut ckpt = ModelCheckpoint::new(&pattern)
        .unwrap()
        .save_best_only(true)
        .save_weights_only(true);
    let history = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 4,
                batch_size: 8,
                verbose: 0,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                callbacks: vec![&mut rec, &mut ckpt],
                ..Default::default()
            },
        )
        .unwrap();
    let vals = &history["val_loss"];
    // one file per improvement, named after its epoch and value
    let mut best = f64::INFINITY;
    let mut want = Vec::new();
    for (e, &v) in vals.iter().enumerate() {
        if v < best {
            best = v;
            want.push(format!("w.{:02}-{:.3}.safetensors", e + 1, v));
        }
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, want);
    // the last file holds the best epoch's weights
    let best_epoch = vals
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    let mut fresh = classifier(77);
    fresh.load_weights(ckpt.saved().last().unwrap()).unwrap();
    assert_eq!(fresh.get_weights().unwrap(), rec.weights[best_epoch]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn model_checkpoint_saves_whole_models_every_n_batches() {
    let (x, y) = images(20, 6);
    let dir = temp_path("ckpt-batches");
    let _ = std::fs::remove_dir_all(&dir);
    let pattern = format!("{}/m-{{epoch}}-{{batch}}", dir.display());
    let mut m = compiled(4, "sgd");
    let mut ckpt = ModelCheckpoint::new(&pattern)
        .unwrap()
        .save_freq(keras_lite::callbacks::SaveFreq::Batches(3));
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 2,
            batch_size: 4,
            verbose: 0,
            callbacks: vec![&mut ckpt],
            ..Default::default()
        },
    )
    .unwrap();
    // 5 batches per epoch, 10 in all: saves after batches 3, 6, 9 of the run
    let names: Vec<String> = ckpt
        .saved()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["m-1-3", "m-2-1", "m-2-4"]);
    let loaded = keras_lite::model_io::load_model(&ckpt.saved()[2]).unwrap();
    assert!(loaded.compiled().is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reduce_lr_on_plateau_changes_the_optimizers_learning_rate() {
    let (x, y) = images(32, 7);
    let mut m = compiled(5, "sgd");
    let mut rec = Recorder::default();
    // min_delta 10: nothing ever counts as an improvement after the first epoch.
    let mut r = ReduceLROnPlateau::new("loss")
        .factor(0.5)
        .patience(2)
        .min_delta(10.0)
        .min_lr(0.002);
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 8,
            verbose: 0,
            callbacks: vec![&mut rec, &mut r],
            ..Default::default()
        },
    )
    .unwrap();
    // epoch 0 sets best; epochs 1, 2 wait; reduce after 2 and 4; 6 reaches the floor
    let lr: Vec<f32> = rec.lr.iter().map(|&v| v as f32).collect();
    assert_eq!(lr, [0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.002]);
    assert_eq!(
        r.reductions().iter().map(|r| r.0).collect::<Vec<_>>(),
        [2, 4, 6]
    );
    assert_eq!(m.optimizer_mut().unwrap().learning_rate() as f32, 0.002);
}

#[test]
fn csv_logger_file_matches_the_history_and_appends_on_resume() {
    let (x, y) = images(24, 8);
    let path = temp_path("log.csv");
    let mut m = compiled(6, "adam");
    let mut logger = CSVLogger::new(&path);
    let h1 = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 2,
                verbose: 0,
                validation_split: 0.25,
                callbacks: vec![&mut logger],
                ..Default::default()
            },
        )
        .unwrap();
    let mut resumed = CSVLogger::new(&path).append(true);
    let h2 = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 3,
                initial_epoch: 2,
                verbose: 0,
                validation_split: 0.25,
                callbacks: vec![&mut resumed],
                ..Default::default()
            },
        )
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], "epoch,accuracy,loss,val_accuracy,val_loss");
    let row = |h: &keras_lite::History, i: usize| {
        format!(
            "{},{},{},{},{}",
            h.epoch[i],
            repr_f64(h["accuracy"][i]),
            repr_f64(h["loss"][i]),
            repr_f64(h["val_accuracy"][i]),
            repr_f64(h["val_loss"][i])
        )
    };
    assert_eq!(
        lines[1..],
        [row(&h1, 0), row(&h1, 1), row(&h2, 0), String::new()]
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn model_checkpoint_names_files_of_a_diverging_run_as_python_would() {
    // Inputs of 1e30 make the squared error overflow float32 at once: the loss is inf or NaN.
    let (x, _) = images(16, 8);
    let x = x.mapv(|v| v * 1e30);
    let y = ndarray::Array1::<f32>::zeros(16);
    keras_lite::backend::set_random_seed(8);
    let mut m = Sequential::new(vec![
        keras_lite::layers::Flatten::new()
            .input_shape(&[4, 4])
            .into(),
        keras_lite::layers::Dense::new(1).into(),
    ]);
    m.compile("sgd", "mse", keras_lite::NO_METRICS).unwrap();
    let dir = temp_path("ckpt-nan");
    let _ = std::fs::remove_dir_all(&dir);
    let pattern = format!("{}/w.{{epoch:02d}}-{{loss:.3e}}.safetensors", dir.display());
    let mut ckpt = ModelCheckpoint::new(&pattern)
        .unwrap()
        .save_weights_only(true);
    let history = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 2,
                batch_size: 8,
                verbose: 0,
                callbacks: vec![&mut ckpt],
                ..Default::default()
            },
        )
        .unwrap();
    let names: Vec<String> = ckpt
        .saved()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let want: Vec<String> = history["loss"]
        .iter()
        .enumerate()
        .map(|(e, &l)| {
            // CPython: format(float('nan'), '.3e') == 'nan', format(float('inf'), '.3e') == 'inf'
            let text = if l.is_nan() {
                "nan"
            } else if l == f64::INFINITY {
                "inf"
            } else {
                panic!(
                    "epoch {} has a finite loss {l}: the run did not diverge",
                    e + 1
                )
            };
            format!("w.{:02}-{text}.safetensors", e + 1)
        })
        .collect();
    assert_eq!(names, want);
    for p in ckpt.saved() {
        assert!(p.is_file(), "{} was not written", p.display());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Records the epoch logs it is given (to see what the callbacks before it wrote).
#[derive(Default)]
struct LogsSeen(Vec<Logs>);

impl Callback for LogsSeen {
    fn on_epoch_end(&mut self, _m: &mut Sequential, _epoch: usize, logs: &mut Logs) -> Result<()> {
        self.0.push(logs.clone());
        Ok(())
    }
}

/// Fits `compiled(seed, "sgd")` for `epochs` with the callbacks, validating on the last
/// quarter when `validate`; returns the history.
fn fit_with(
    m: &mut Sequential,
    epochs: usize,
    validate: bool,
    callbacks: Vec<&mut dyn Callback>,
) -> keras_lite::History {
    let (x, y) = images(24, 9);
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs,
            verbose: 0,
            validation_split: if validate { 0.25 } else { 0.0 },
            callbacks,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn early_stopping_default_watches_val_loss_with_patience_0() {
    // min_delta 10: no epoch after the first improves. Keras' patience 0 stops at epoch 1,
    // but only when val_loss is in the logs.
    let mut es = EarlyStopping::default().min_delta(10.0);
    let h = fit_with(&mut compiled(2, "sgd"), 5, true, vec![&mut es]);
    assert_eq!(es.stopped_epoch(), Some(1));
    assert_eq!(h["loss"].len(), 2);
    let mut es = EarlyStopping::default().min_delta(10.0);
    let h = fit_with(&mut compiled(2, "sgd"), 5, false, vec![&mut es]);
    assert_eq!(es.stopped_epoch(), None, "no val_loss without validation");
    assert_eq!(h["loss"].len(), 5);
    // Watching loss instead, it stops without validation.
    let mut es = EarlyStopping::default().monitor("loss").min_delta(10.0);
    fit_with(&mut compiled(2, "sgd"), 5, false, vec![&mut es]);
    assert_eq!(es.stopped_epoch(), Some(1));
}

#[test]
fn reduce_lr_on_plateau_default_watches_val_loss_with_factor_0_1_and_patience_10() {
    let mut r = ReduceLROnPlateau::default().min_delta(10.0);
    let h = fit_with(&mut compiled(3, "sgd"), 12, true, vec![&mut r]);
    // Epoch 0 sets the best; epochs 1..=10 wait; the 10th wait reduces 0.01 to 0.001.
    assert_eq!(r.reductions().len(), 1);
    assert_eq!(r.reductions()[0].0, 10);
    // Keras multiplies the float32 rate by 0.1 in double and stores float32: 0.0009999999.
    let reduced = (0.01f32 as f64 * 0.1) as f32;
    assert_eq!(r.reductions()[0].1 as f32, reduced);
    assert_eq!(h["lr"][10], 0.01, "the rate epoch 10 trained with");
    assert_eq!(h["lr"][11] as f32, reduced);
    assert_eq!(
        h["lr"][11], 0.0009999999,
        "float32's shortest digits, as tf_keras logs"
    );
    let mut r = ReduceLROnPlateau::default().min_delta(10.0);
    fit_with(&mut compiled(3, "sgd"), 12, false, vec![&mut r]);
    assert!(r.reductions().is_empty(), "no val_loss without validation");
}

#[test]
fn learning_rate_scheduler_writes_lr_into_history_and_later_callbacks_logs() {
    let mut before = LogsSeen::default();
    let mut scheduler =
        keras_lite::callbacks::LearningRateScheduler::new(
            |epoch, lr| {
                if epoch == 0 { lr } else { lr * 0.5 }
            },
        );
    let mut after = LogsSeen::default();
    let h = fit_with(
        &mut compiled(4, "sgd"),
        3,
        false,
        vec![&mut before, &mut scheduler, &mut after],
    );
    // Keras logs the float32 rate; its shortest digits are 0.01, 0.005, 0.0025.
    assert_eq!(h["lr"], [0.01, 0.005, 0.0025]);
    assert!(before.0.iter().all(|l| l.get("lr").is_none()));
    let seen: Vec<f64> = after.0.iter().map(|l| l["lr"]).collect();
    assert_eq!(seen, [0.01, 0.005, 0.0025]);
    // The epoch logs keep Keras' order: loss and metrics first, lr last.
    assert_eq!(
        after.0[0].names().collect::<Vec<_>>(),
        ["loss", "accuracy", "lr"]
    );
}

#[test]
fn reduce_lr_on_plateau_logs_the_rate_each_epoch_trained_with() {
    let mut rec = Recorder::default();
    let mut r = ReduceLROnPlateau::new("loss")
        .factor(0.5)
        .patience(1)
        .min_delta(10.0);
    let h = fit_with(&mut compiled(5, "sgd"), 4, false, vec![&mut rec, &mut r]);
    let at_begin: Vec<f64> = rec.lr.iter().map(|&v| v as f32 as f64).collect();
    let logged: Vec<f64> = h["lr"].iter().map(|&v| v as f32 as f64).collect();
    assert_eq!(logged, at_begin);
    // Epoch 0 sets the best, epoch 1 waits and reduces after training with 0.01.
    assert_eq!(h["lr"], [0.01, 0.01, 0.005, 0.0025]);
}

#[test]
fn csv_logger_has_an_lr_column_after_a_scheduler_as_in_tf_keras() {
    let path = temp_path("lr.csv");
    let mut r = ReduceLROnPlateau::default().patience(1).min_delta(10.0);
    let mut logger = CSVLogger::new(&path);
    let h = fit_with(&mut compiled(6, "sgd"), 3, true, vec![&mut r, &mut logger]);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    // tf_keras: `sorted(logs.keys())` after "epoch".
    assert_eq!(lines[0], "epoch,accuracy,loss,lr,val_accuracy,val_loss");
    let lr: Vec<&str> = lines[1..4]
        .iter()
        .map(|l| l.split(',').nth(3).unwrap())
        .collect();
    // Reduced after epoch 1 (patience 1), float32 as in tf_keras: str(np.float32(..)).
    assert_eq!(lr, ["0.01", "0.01", "0.0009999999"]);
    assert_eq!(h["lr"], [0.01, 0.01, 0.0009999999]);
    // A logger before the scheduler sees no lr (tf_keras calls the callbacks in order).
    let mut logger = CSVLogger::new(&path);
    let mut r = ReduceLROnPlateau::default().patience(1).min_delta(10.0);
    fit_with(&mut compiled(6, "sgd"), 2, true, vec![&mut logger, &mut r]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("epoch,accuracy,loss,val_accuracy,val_loss\r\n"),
        "{text}"
    );
    std::fs::remove_file(&path).unwrap();
}
