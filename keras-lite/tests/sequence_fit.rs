//! Batch sources in fit / evaluate / predict: the same training as arrays, whatever the
//! number of prefetching workers, and clear errors for sources that do not fit.

mod common;

use common::{classifier, images};
use keras_lite::callbacks::Callback;
use keras_lite::callbacks::EarlyStopping;
use keras_lite::sequence::{ArraySequence, Batch, Sequence, SequenceFitOptions, SequenceOptions};
use keras_lite::{
    EvaluateOptions, FitOptions, KerasError, Logs, PredictOptions, Result, Sequential,
    ValidationData,
};
use ndarray::{ArrayD, IxDyn};
use std::sync::atomic::{AtomicUsize, Ordering};

fn compiled(seed: u64) -> Sequential {
    let mut m = classifier(seed);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    m
}

fn source(n: usize, seed: u64, batch: usize) -> ArraySequence {
    let (x, y) = images(n, seed);
    ArraySequence::new(x.into_dyn(), y.into_dyn(), batch).unwrap()
}

#[test]
fn a_batch_source_trains_exactly_as_the_same_arrays() {
    let (x, y) = images(50, 1);
    let (xv, yv) = images(20, 2);
    let mut reference = compiled(3);
    let h_arrays = reference
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 3,
                batch_size: 8,
                shuffle: false,
                verbose: 0,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                ..Default::default()
            },
        )
        .unwrap();
    let w_arrays = reference.get_weights().unwrap();
    for workers in [0, 1, 3] {
        let mut m = compiled(3);
        let mut train = source(50, 1, 8);
        let val = source(20, 2, 8);
        let h = m
            .fit_sequence(
                &mut train,
                FitOptions {
                    epochs: 3,
                    shuffle: false,
                    verbose: 0,
                    ..Default::default()
                },
                SequenceFitOptions {
                    validation_data: Some(&val),
                    workers,
                    max_queue_size: 2,
                },
            )
            .unwrap();
        assert_eq!(h, h_arrays, "history with {workers} workers");
        assert_eq!(
            m.get_weights().unwrap(),
            w_arrays,
            "weights with {workers} workers"
        );
    }
}

#[test]
fn evaluate_and_predict_on_a_source_match_the_arrays() {
    let (x, y) = images(45, 4);
    let mut m = compiled(5);
    let seq = source(45, 4, 10);
    let e_arrays = m
        .evaluate(
            &x,
            &y,
            EvaluateOptions {
                batch_size: 10,
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    let quiet = SequenceOptions {
        verbose: 0,
        workers: 2,
        ..Default::default()
    };
    let e_seq = m.evaluate_sequence(&seq, quiet).unwrap();
    assert_eq!(e_seq.values(), e_arrays.values());
    let p_arrays = m
        .predict(
            &x,
            PredictOptions {
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(m.predict_sequence(&seq, quiet).unwrap(), p_arrays);
    // steps: only the first batches
    let p2 = m
        .predict_sequence(
            &seq,
            SequenceOptions {
                steps: Some(2),
                ..quiet
            },
        )
        .unwrap();
    assert_eq!(p2, p_arrays.slice(ndarray::s![..20, ..]));
}

/// Counts `on_epoch_end` calls; batch i of an epoch is made from `(epoch, i)` only.
struct Counting {
    inner: ArraySequence,
    epochs_ended: usize,
    gets: AtomicUsize,
}

impl Sequence for Counting {
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn get(&self, index: usize) -> Result<Batch> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(index)
    }
    fn on_epoch_end(&mut self) {
        self.epochs_ended += 1;
    }
}

#[test]
fn the_source_hears_each_epoch_end_and_steps_per_epoch_limits_the_batches() {
    let mut m = compiled(6);
    let mut seq = Counting {
        inner: source(40, 7, 5),
        epochs_ended: 0,
        gets: AtomicUsize::new(0),
    };
    let h = m
        .fit_sequence(
            &mut seq,
            FitOptions {
                epochs: 3,
                verbose: 0,
                steps_per_epoch: Some(4),
                ..Default::default()
            },
            SequenceFitOptions::default(),
        )
        .unwrap();
    assert_eq!(seq.epochs_ended, 3);
    assert_eq!(seq.gets.load(Ordering::SeqCst), 12);
    assert_eq!(h.params.steps, 4);
    assert_eq!(h["loss"].len(), 3);
}

#[test]
fn callbacks_can_stop_training_on_a_source() {
    struct StopAfter(usize);
    impl Callback for StopAfter {
        fn on_train_batch_end(
            &mut self,
            m: &mut Sequential,
            batch: usize,
            _logs: &keras_lite::Logs,
        ) -> Result<()> {
            if batch + 1 == self.0 {
                m.stop_training = true;
            }
            Ok(())
        }
    }
    let mut m = compiled(8);
    let mut seq = source(40, 9, 4);
    let mut stop = StopAfter(3);
    let mut es = EarlyStopping::new("loss");
    let h = m
        .fit_sequence(
            &mut seq,
            FitOptions {
                epochs: 5,
                verbose: 0,
                callbacks: vec![&mut stop, &mut es],
                ..Default::default()
            },
            SequenceFitOptions::default(),
        )
        .unwrap();
    assert_eq!(
        h.epoch,
        [0],
        "stop_training ends fit after the epoch in progress"
    );
}

struct Broken {
    bad_shape_at: usize,
}

impl Sequence for Broken {
    fn len(&self) -> usize {
        4
    }
    fn get(&self, index: usize) -> Result<Batch> {
        let side = if index == self.bad_shape_at { 5 } else { 4 };
        Ok(Batch::new(
            ArrayD::zeros(IxDyn(&[2, side, 4])),
            ArrayD::zeros(IxDyn(&[2])),
        ))
    }
}

#[test]
fn sources_that_do_not_fit_are_errors_naming_the_batch() {
    let mut m = compiled(10);
    let err = m
        .fit_sequence(
            &mut Broken { bad_shape_at: 2 },
            FitOptions {
                verbose: 0,
                ..Default::default()
            },
            SequenceFitOptions::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("batch 2 of the training source") && err.contains("(2, 5, 4)"),
        "{err}"
    );

    let err = m
        .fit_sequence(
            &mut Broken { bad_shape_at: 9 },
            FitOptions {
                verbose: 0,
                steps_per_epoch: Some(5),
                ..Default::default()
            },
            SequenceFitOptions::default(),
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("only 4 batches"), "{err}");

    let empty = ArraySequence::new(
        ArrayD::zeros(IxDyn(&[0, 4, 4])),
        ArrayD::zeros(IxDyn(&[0])),
        4,
    )
    .unwrap();
    let err = m
        .evaluate_sequence(&empty, SequenceOptions::default())
        .unwrap_err();
    assert!(matches!(err, KerasError::EmptyData(_)), "{err}");

    let mut uncompiled = classifier(11);
    let err = uncompiled
        .fit_sequence(
            &mut source(8, 1, 4),
            FitOptions::default(),
            SequenceFitOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, KerasError::NotCompiled { .. }));
}

/// Runs `f` on its own thread and returns its panic message; fails (instead of hanging the
/// test run) if it has not finished within `limit`, which is only a hang detector.
fn panic_message_within(limit: std::time::Duration, f: impl FnOnce() + Send + 'static) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let msg = match caught {
            Ok(()) => "(no panic)".to_string(),
            Err(p) => p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default(),
        };
        let _ = tx.send(msg);
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("still running after {limit:?}: the call hangs"))
}

#[test]
fn a_panicking_callback_surfaces_instead_of_hanging_the_prefetch_workers() {
    struct PanicAt(usize);
    impl Callback for PanicAt {
        fn on_train_batch_end(&mut self, _: &mut Sequential, batch: usize, _: &Logs) -> Result<()> {
            if batch == self.0 {
                panic!("callback failed at batch {batch}");
            }
            Ok(())
        }
    }
    for workers in [0, 1, 3] {
        let msg = panic_message_within(std::time::Duration::from_secs(120), move || {
            let mut m = compiled(12);
            // 40 batches and a queue of 2: the workers are waiting for room when it panics.
            let mut train = source(80, 1, 2);
            let mut cb = PanicAt(3);
            let _ = m.fit_sequence(
                &mut train,
                FitOptions {
                    verbose: 0,
                    callbacks: vec![&mut cb],
                    ..Default::default()
                },
                SequenceFitOptions {
                    workers,
                    max_queue_size: 2,
                    ..Default::default()
                },
            );
        });
        assert_eq!(msg, "callback failed at batch 3", "workers {workers}");
    }
}

#[test]
fn a_batch_source_validates_on_arrays_as_fit_does() {
    let (x, y) = images(40, 13);
    let (xv, yv) = images(12, 14);
    let options = |xv, yv| FitOptions {
        epochs: 2,
        batch_size: 8,
        shuffle: false,
        verbose: 0,
        validation_data: Some(ValidationData::new(xv, yv)),
        validation_batch_size: Some(5),
        ..Default::default()
    };
    let mut reference = compiled(15);
    let h_arrays = reference.fit(&x, &y, options(&xv, &yv)).unwrap();
    let mut m = compiled(15);
    let h = m
        .fit_sequence(
            &mut source(40, 13, 8),
            options(&xv, &yv),
            SequenceFitOptions::default(),
        )
        .unwrap();
    assert_eq!(h["val_loss"].len(), 2);
    assert_eq!(h, h_arrays);
    assert_eq!(m.get_weights().unwrap(), reference.get_weights().unwrap());
}

#[test]
fn options_that_need_arrays_are_refused_for_a_batch_source() {
    let mut m = compiled(16);
    let val = source(8, 2, 4);
    let (xv, yv) = images(8, 2);
    let weights = ndarray::Array1::<f32>::ones(8);
    let cases: Vec<(FitOptions<'_>, SequenceFitOptions<'_>, &str)> = vec![
        (
            FitOptions {
                validation_split: 0.2,
                ..Default::default()
            },
            SequenceFitOptions::default(),
            "validation_split needs arrays",
        ),
        (
            FitOptions {
                class_weight: Some((0..3).map(|c| (c, 1.0)).collect()),
                ..Default::default()
            },
            SequenceFitOptions::default(),
            "class_weight needs arrays",
        ),
        (
            FitOptions {
                sample_weight: Some(weights.view()),
                ..Default::default()
            },
            SequenceFitOptions::default(),
            "sample_weight needs arrays",
        ),
        (
            FitOptions {
                validation_data: Some(ValidationData::new(&xv, &yv)),
                ..Default::default()
            },
            SequenceFitOptions {
                validation_data: Some(&val),
                ..Default::default()
            },
            "validation_data given twice",
        ),
    ];
    let before = m.get_weights().ok();
    for (fit, seq, want) in cases {
        let err = m
            .fit_sequence(&mut source(8, 1, 4), fit, seq)
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{err}");
    }
    assert_eq!(m.get_weights().ok(), before, "nothing was trained");
}

#[test]
fn a_learning_rate_scheduler_logs_lr_in_a_sequence_fit_too() {
    let mut seq = source(24, 5, 8);
    let mut m = classifier(4);
    m.compile("sgd", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let mut scheduler =
        keras_lite::callbacks::LearningRateScheduler::new(|epoch, _| [0.1, 0.05, 0.02][epoch]);
    let h = m
        .fit_sequence(
            &mut seq,
            FitOptions {
                epochs: 3,
                verbose: 0,
                callbacks: vec![&mut scheduler],
                ..Default::default()
            },
            SequenceFitOptions::default(),
        )
        .unwrap();
    assert_eq!(h["lr"], [0.1, 0.05, 0.02]);
}
