//! The Keras API end to end on small data made here: the tutorial's calls, compile by names
//! and by objects, every fit argument, the single-batch methods, weights, callbacks.

mod common;

use ch04_loss_gradient::keras::Loss;
use ch06_optimizers_init::keras::{Adam, SGD};
use common::*;
use keras_lite::callbacks::EarlyStopping;
use keras_lite::callbacks::{LearningRateScheduler, TerminateOnNaN};
use keras_lite::constraints::Constraint;
use keras_lite::layers::{Activation, Dense, Flatten, InputLayer};
use keras_lite::regularizers::Regularizer;
use keras_lite::{
    EvaluateOptions, FitOptions, Metric, NO_METRICS, PredictOptions, Sequential, ValidationData,
    ValidationFreq,
};
use ndarray::{Array1, Array2, Axis, s};
use std::collections::HashMap;
use test_support::one_hot;

fn quiet<'a>() -> FitOptions<'a> {
    FitOptions {
        verbose: 0,
        ..Default::default()
    }
}

fn eval_quiet<'a>() -> EvaluateOptions<'a> {
    EvaluateOptions {
        verbose: 0,
        ..Default::default()
    }
}

fn predict_quiet() -> PredictOptions {
    PredictOptions {
        verbose: 0,
        ..Default::default()
    }
}

#[test]
fn tutorial_calls_learn_a_separable_problem() {
    keras_lite::backend::set_random_seed(1);
    let (x, y) = blobs(300, 1);
    let mut model = small_model("softmax");
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 30,
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h.keys().collect::<Vec<_>>(), ["loss", "accuracy"]);
    assert_eq!(h.epoch, (0..30).collect::<Vec<_>>());
    assert_eq!(h.params.steps, 10); // ceil(300 / 32)
    assert!(h["loss"][29] < 0.5 * h["loss"][0], "{:?}", h["loss"]);
    let result = model.evaluate(&x, &y, eval_quiet()).unwrap();
    assert!(result["accuracy"] > 0.95, "{result}");
    assert_eq!(result[1], result["accuracy"]);
    let p = model.predict(&x, predict_quiet()).unwrap();
    assert_eq!(p.dim(), (300, 3));
    for row in p.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
}

#[test]
fn tutorial_summary_is_keras_exact_with_automatic_names() {
    keras_lite::backend::clear_session();
    let mut model = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    let expected = "\
Model: \"sequential\"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
flatten (Flatten)            (None, 784)               0
_________________________________________________________________
dense (Dense)                (None, 128)               100480
_________________________________________________________________
dense_1 (Dense)              (None, 10)                1290
=================================================================
Total params: 101,770
Trainable params: 101,770
Non-trainable params: 0
_________________________________________________________________
";
    assert_eq!(model.summary_string().unwrap(), expected);
    // A second model in the same session continues the counters, as Keras does.
    let second = Sequential::new(vec![Dense::new(2).input_shape(&[3]).into()]);
    assert_eq!(second.name(), "sequential_1");
    assert_eq!(second.layers()[0].name(), "dense_2");
}

#[test]
fn add_pop_and_layer_kinds_in_the_summary() {
    keras_lite::backend::clear_session();
    let mut model = Sequential::new(vec![InputLayer::new(&[5]).into()]);
    model.add(Dense::new(4).use_bias(false));
    model.add(Activation::new("tanh"));
    model.add(Dense::new(2));
    assert_eq!(model.count_params().unwrap(), 5 * 4 + 4 * 2 + 2);
    let text = model.summary_string().unwrap();
    assert!(
        text.contains("dense (Dense)                (None, 4)                 20\n"),
        "{text}"
    );
    assert!(
        text.contains("activation (Activation)      (None, 4)                 0\n"),
        "{text}"
    );
    assert!(
        !text.contains("InputLayer"),
        "Keras' Sequential summary hides the InputLayer"
    );
    let popped = model.pop().unwrap();
    assert_eq!(popped.name(), "dense_1");
    assert_eq!(model.count_params().unwrap(), 20);
}

#[test]
fn compile_by_objects_trains_exactly_like_compile_by_names() {
    let (x, y) = blobs(96, 2);
    let mut a = small_model("softmax");
    let mut b = small_model("softmax");
    copy_weights(&mut a, &mut b);
    a.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    b.compile(
        Adam::new(0.001, 0.9, 0.999),
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        &[Metric::SparseCategoricalAccuracy],
    )
    .unwrap();
    let opts = || FitOptions {
        epochs: 3,
        shuffle: false,
        ..quiet()
    };
    let ha = a.fit(&x, &y, opts()).unwrap();
    let hb = b.fit(&x, &y, opts()).unwrap();
    assert_eq!(ha["loss"], hb["loss"]);
    assert_eq!(ha["accuracy"], hb["sparse_categorical_accuracy"]);
    assert_eq!(a.get_weights().unwrap(), b.get_weights().unwrap());
}

#[test]
fn fused_softmax_path_matches_the_plain_logits_path() {
    // Softmax output + cross-entropy trains through ch05's SoftmaxWithLoss; a linear output
    // with from_logits=true through ch05's loss_gradient. Same maths, two code paths.
    let (x, y) = blobs(64, 3);
    let mut fused = small_model("softmax");
    let mut plain = small_model("linear");
    copy_weights(&mut fused, &mut plain);
    fused
        .compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    plain
        .compile(
            "sgd",
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            NO_METRICS,
        )
        .unwrap();
    let opts = || FitOptions {
        epochs: 4,
        batch_size: 16,
        shuffle: false,
        ..quiet()
    };
    let hf = fused.fit(&x, &y, opts()).unwrap();
    let hp = plain.fit(&x, &y, opts()).unwrap();
    assert!(
        max_diff(&hf["loss"], &hp["loss"]) < 1e-6,
        "{:?} {:?}",
        hf["loss"],
        hp["loss"]
    );
    for (wf, wp) in fused
        .get_weights()
        .unwrap()
        .iter()
        .zip(plain.get_weights().unwrap())
    {
        let d = (wf - &wp).mapv(f32::abs).fold(0.0f32, |m, &v| m.max(v));
        assert!(d < 1e-6, "{d}");
    }
}

#[test]
fn fused_sigmoid_path_matches_the_plain_logits_path() {
    let (x, y) = blobs(64, 4);
    let y = y.mapv(|c| (c == 0) as u8 as f32);
    let mk = |act: &str| {
        Sequential::new(vec![
            Flatten::new().input_shape(&[4, 4]).into(),
            Dense::new(6).activation("tanh").into(),
            Dense::new(1).activation(act).into(),
        ])
    };
    let (mut fused, mut plain) = (mk("sigmoid"), mk("linear"));
    copy_weights(&mut fused, &mut plain);
    fused
        .compile("sgd", "binary_crossentropy", &["accuracy"])
        .unwrap();
    plain
        .compile(
            "sgd",
            Loss::BinaryCrossentropy {
                from_logits: true,
                label_smoothing: 0.0,
            },
            NO_METRICS,
        )
        .unwrap();
    let opts = || FitOptions {
        epochs: 3,
        batch_size: 16,
        shuffle: false,
        ..quiet()
    };
    let hf = fused.fit(&x, &y, opts()).unwrap();
    let hp = plain.fit(&x, &y, opts()).unwrap();
    assert!(max_diff(&hf["loss"], &hp["loss"]) < 1e-6);
    // 'accuracy' on a one-unit output is binary accuracy.
    let p = fused.predict(&x, predict_quiet()).unwrap();
    let manual = p
        .iter()
        .zip(&y)
        .filter(|&(&p, &t)| (p > 0.5) == (t == 1.0))
        .count() as f64
        / 64.0;
    let r = fused.evaluate(&x, &y, eval_quiet()).unwrap();
    assert!((r["accuracy"] - manual).abs() < 1e-12);
}

#[test]
fn accuracy_resolves_by_shape_and_keeps_the_given_key() {
    let (x, y) = blobs(64, 5);
    let mut model = small_model("softmax");
    model
        .compile("adam", "categorical_crossentropy", &["acc"])
        .unwrap();
    let h = model
        .fit(
            &x,
            &one_hot::<f32, _>(&y, 3),
            FitOptions {
                epochs: 1,
                ..quiet()
            },
        )
        .unwrap();
    assert!(h.get("acc").is_some(), "history key is the string given");
    // Categorical accuracy by hand on the final weights.
    let r = model
        .evaluate(&x, &one_hot::<f32, _>(&y, 3), eval_quiet())
        .unwrap();
    let p = model.predict(&x, predict_quiet()).unwrap();
    let hits = p
        .rows()
        .into_iter()
        .zip(&y)
        .filter(|(row, c)| keras_lite::metrics::argmax(row.view()) == **c as usize)
        .count();
    assert!((r["acc"] - hits as f64 / 64.0).abs() < 1e-12);
}

#[test]
fn more_metrics_mae_mse_top_k_and_losses_as_metrics() {
    let (x, y) = blobs(60, 6);
    let t = one_hot::<f32, _>(&y, 3);
    let mut model = small_model("softmax");
    model
        .compile(
            "adam",
            "categorical_crossentropy",
            &[
                "mae",
                "mse",
                "top_k_categorical_accuracy",
                "categorical_crossentropy",
            ],
        )
        .unwrap();
    let r = model.evaluate(&x, &t, eval_quiet()).unwrap();
    let p = model.predict(&x, predict_quiet()).unwrap();
    let mae = (&p - &t).mapv(f32::abs).mean().unwrap() as f64;
    let mse = (&p - &t).mapv(|v| v * v).mean().unwrap() as f64;
    assert!((r["mae"] - mae).abs() < 1e-6, "{} {mae}", r["mae"]);
    assert!((r["mse"] - mse).abs() < 1e-6);
    assert_eq!(
        r["top_k_categorical_accuracy"], 1.0,
        "top-5 of 3 classes always hits"
    );
    // The loss (from logits) and the metric (from probabilities) agree closely.
    assert!((r["loss"] - r["categorical_crossentropy"]).abs() < 1e-4);
}

#[test]
fn shuffle_false_fit_is_a_sequence_of_train_on_batch() {
    let (x, y) = blobs(40, 7);
    let mut a = small_model("softmax");
    let mut b = small_model("softmax");
    copy_weights(&mut a, &mut b);
    for m in [&mut a, &mut b] {
        m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
            .unwrap();
    }
    let h = a
        .fit(
            &x,
            &y,
            FitOptions {
                batch_size: 16,
                shuffle: false,
                ..quiet()
            },
        )
        .unwrap();
    let mut weighted_loss = 0.0;
    for (start, end) in [(0, 16), (16, 32), (32, 40)] {
        let logs = b
            .train_on_batch(
                &x.slice(s![start..end, .., ..]),
                &y.slice(s![start..end]),
                None,
            )
            .unwrap();
        weighted_loss += logs["loss"] * (end - start) as f64;
    }
    assert_eq!(a.get_weights().unwrap(), b.get_weights().unwrap());
    // The epoch's loss is the batch losses' mean weighted by batch size (the last has 8).
    assert!((h["loss"][0] - weighted_loss / 40.0).abs() < 1e-12);
}

#[test]
fn shuffle_changes_the_order_but_not_the_data() {
    keras_lite::backend::set_random_seed(9);
    let (x, y) = blobs(64, 8);
    let mut a = small_model("softmax");
    let mut b = small_model("softmax");
    copy_weights(&mut a, &mut b);
    for m in [&mut a, &mut b] {
        m.compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    a.fit(
        &x,
        &y,
        FitOptions {
            shuffle: true,
            batch_size: 8,
            ..quiet()
        },
    )
    .unwrap();
    b.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            batch_size: 8,
            ..quiet()
        },
    )
    .unwrap();
    assert_ne!(a.get_weights().unwrap(), b.get_weights().unwrap());
    // With one batch holding everything, order does not matter.
    let mut c = small_model("softmax");
    let mut d = small_model("softmax");
    copy_weights(&mut c, &mut d);
    for m in [&mut c, &mut d] {
        m.compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    c.fit(
        &x,
        &y,
        FitOptions {
            shuffle: true,
            batch_size: 64,
            ..quiet()
        },
    )
    .unwrap();
    d.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            batch_size: 64,
            ..quiet()
        },
    )
    .unwrap();
    for (wc, wd) in c
        .get_weights()
        .unwrap()
        .iter()
        .zip(d.get_weights().unwrap())
    {
        assert!((wc - &wd).iter().all(|v| v.abs() < 1e-6));
    }
}

#[test]
fn validation_split_holds_out_the_tail() {
    let (x, y) = blobs(50, 10);
    let mut model = small_model("softmax");
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 2,
                validation_split: 0.2,
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(
        h.keys().collect::<Vec<_>>(),
        ["loss", "accuracy", "val_loss", "val_accuracy"]
    );
    assert_eq!(h.params.steps, 2); // 40 training samples in batches of 32
    // The last validation ran on the final weights: it is evaluate on the last 10 samples.
    let tail = model
        .evaluate(&x.slice(s![40.., .., ..]), &y.slice(s![40..]), eval_quiet())
        .unwrap();
    assert!((h["val_loss"][1] - tail["loss"]).abs() < 1e-9);
    assert!((h["val_accuracy"][1] - tail["accuracy"]).abs() < 1e-12);
}

#[test]
fn validation_data_batch_size_steps_and_freq() {
    let (x, y) = blobs(48, 11);
    let (xv, yv) = blobs(20, 12);
    let mut model = small_model("softmax");
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 4,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                validation_freq: ValidationFreq::Every(2),
                validation_batch_size: Some(7),
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h["loss"].len(), 4);
    assert_eq!(h["val_loss"].len(), 2, "validated after epochs 2 and 4");
    let r = model.evaluate(&xv, &yv, eval_quiet()).unwrap();
    assert!((h["val_loss"][1] - r["loss"]).abs() < 1e-6);
    // validation_steps: only the first 2 batches of 7 (14 samples).
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 1,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                validation_batch_size: Some(7),
                validation_steps: Some(2),
                ..quiet()
            },
        )
        .unwrap();
    let r = model
        .evaluate(
            &xv.slice(s![..14, .., ..]),
            &yv.slice(s![..14]),
            eval_quiet(),
        )
        .unwrap();
    assert!((h["val_loss"][0] - r["loss"]).abs() < 1e-6);
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 5,
                validation_data: Some(ValidationData::new(&xv, &yv)),
                validation_freq: ValidationFreq::Epochs(vec![1, 5]),
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h["val_loss"].len(), 2);
}

#[test]
fn initial_epoch_and_steps_per_epoch() {
    let (x, y) = blobs(40, 13);
    let mut model = small_model("softmax");
    model
        .compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 3,
                initial_epoch: 1,
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h.epoch, vec![1, 2]);
    assert_eq!(model.optimizer_mut().unwrap().iterations(), 2 * 2);
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 2,
                steps_per_epoch: Some(5),
                batch_size: 8,
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h.params.steps, 5);
    assert_eq!(model.optimizer_mut().unwrap().iterations(), 4 + 10);
}

#[test]
fn sample_and_class_weights() {
    let (x, y) = blobs(30, 14);
    let mut model = small_model("softmax");
    model
        .compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    let plain = model.test_on_batch(&x, &y, None).unwrap()["loss"];
    let twos = Array1::from_elem(30, 2.0f32);
    let doubled = model.test_on_batch(&x, &y, Some(twos.view())).unwrap()["loss"];
    assert!((doubled - 2.0 * plain).abs() < 1e-5 * plain.abs().max(1.0));
    // Zero weight on every sample but the first: the loss is that sample's loss divided by N.
    let mut w = Array1::zeros(30);
    w[0] = 1.0;
    let first = model
        .test_on_batch(&x.slice(s![..1, .., ..]), &y.slice(s![..1]), None)
        .unwrap()["loss"];
    let one = model.test_on_batch(&x, &y, Some(w.view())).unwrap()["loss"];
    assert!((one - first / 30.0).abs() < 1e-6, "{one} {first}");

    // Unit class weights change nothing; a zero class weight removes that class's pull.
    let mut a = small_model("softmax");
    let mut b = small_model("softmax");
    copy_weights(&mut a, &mut b);
    for m in [&mut a, &mut b] {
        m.compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    let ones: HashMap<usize, f64> = (0..3).map(|c| (c, 1.0)).collect();
    a.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            ..quiet()
        },
    )
    .unwrap();
    b.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            class_weight: Some(ones),
            ..quiet()
        },
    )
    .unwrap();
    assert_eq!(a.get_weights().unwrap(), b.get_weights().unwrap());
    let sw: Array1<f32> = y.mapv(|c| if c == 1 { 3.0 } else { 1.0 });
    let cw: HashMap<usize, f64> = [(0, 1.0), (1, 3.0), (2, 1.0)].into();
    let mut c = small_model("softmax");
    let mut d = small_model("softmax");
    copy_weights(&mut c, &mut d);
    for m in [&mut c, &mut d] {
        m.compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    c.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            class_weight: Some(cw),
            ..quiet()
        },
    )
    .unwrap();
    d.fit(
        &x,
        &y,
        FitOptions {
            shuffle: false,
            sample_weight: Some(sw.view()),
            ..quiet()
        },
    )
    .unwrap();
    assert_eq!(c.get_weights().unwrap(), d.get_weights().unwrap());
}

#[test]
fn single_batch_methods_agree_with_the_loops() {
    let (x, y) = blobs(20, 15);
    let mut model = small_model("softmax");
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let t = model.test_on_batch(&x, &y, None).unwrap();
    let e = model
        .evaluate(
            &x,
            &y,
            EvaluateOptions {
                batch_size: 20,
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(t, e);
    let p1 = model.predict_on_batch(&x).unwrap();
    let p2 = model
        .predict(
            &x,
            PredictOptions {
                batch_size: 3,
                verbose: 0,
                steps: None,
            },
        )
        .unwrap();
    assert!((&p1 - &p2).iter().all(|v| v.abs() < 1e-6));
    // train_on_batch reports the loss before its update, like test_on_batch on the old weights.
    let before = model.test_on_batch(&x, &y, None).unwrap();
    let trained = model.train_on_batch(&x, &y, None).unwrap();
    assert_eq!(before["loss"], trained["loss"]);
    let after = model.test_on_batch(&x, &y, None).unwrap();
    assert!(after["loss"] < before["loss"]);
    // predict with steps stops early.
    let p3 = model
        .predict(
            &x,
            PredictOptions {
                batch_size: 8,
                verbose: 0,
                steps: Some(2),
            },
        )
        .unwrap();
    assert_eq!(p3.nrows(), 16);
    // return_dict only changes how the result prints.
    let d = model
        .evaluate(
            &x,
            &y,
            EvaluateOptions {
                verbose: 0,
                return_dict: true,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(d.to_string().starts_with("{'loss': "));
    assert!(e.to_string().starts_with('['));
}

#[test]
fn weights_round_trip_and_bad_weights_change_nothing() {
    let mut model = small_model("softmax");
    let w = model.get_weights().unwrap();
    assert_eq!(
        w.iter().map(|a| a.shape().to_vec()).collect::<Vec<_>>(),
        vec![vec![16, 8], vec![8], vec![8, 3], vec![3]]
    );
    let zeros: Vec<_> = w.iter().map(|a| a.mapv(|_| 0.0f32)).collect();
    model.set_weights(&zeros).unwrap();
    assert_eq!(model.get_weights().unwrap(), zeros);
    assert!(model.set_weights(&zeros[..3]).is_err());
    let mut bad = w.clone();
    bad[3] = ndarray::ArrayD::zeros(ndarray::IxDyn(&[4]));
    let e = model.set_weights(&bad).unwrap_err().to_string();
    assert!(e.contains("[4]") && e.contains("[3]"), "{e}");
    assert_eq!(
        model.get_weights().unwrap(),
        zeros,
        "a failed set_weights changes nothing"
    );
}

#[test]
fn inputs_of_other_types_and_layouts() {
    let (x, y) = blobs(32, 16);
    let mut model = small_model("softmax");
    model
        .compile("adam", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    let r32 = model.evaluate(&x, &y, eval_quiet()).unwrap();
    let r64 = model
        .evaluate(&x.mapv(f64::from), &y.mapv(i64::from), eval_quiet())
        .unwrap();
    assert!((r32["loss"] - r64["loss"]).abs() < 1e-6);
    // A non-contiguous view: every other sample.
    let view = x.slice(s![..;2, .., ..]);
    let p = model.predict(&view, predict_quiet()).unwrap();
    let p_all = model.predict(&x, predict_quiet()).unwrap();
    assert!(
        (&p - &p_all.slice(s![..;2, ..]))
            .iter()
            .all(|v| v.abs() < 1e-6)
    );
    // u8 images are used as given (not rescaled).
    let u = x.mapv(|v| (v * 10.0) as u8);
    assert_eq!(model.predict(&u, predict_quiet()).unwrap().nrows(), 32);
    // Labels may also be a column (N, 1).
    let col = y.mapv(f32::from).insert_axis(Axis(1));
    let rc = model.evaluate(&x, &col, eval_quiet()).unwrap();
    assert!((rc["loss"] - r32["loss"]).abs() < 1e-9);
}

#[test]
fn callbacks_early_stopping_scheduler_nan() {
    let (x, y) = blobs(32, 17);
    let mut model = small_model("softmax");
    model
        .compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    // A learning rate of 0 never improves the loss: EarlyStopping stops after `patience`.
    let mut zero_lr = LearningRateScheduler::new(|_, _| 0.0);
    let mut stop = EarlyStopping::new("loss").patience(2);
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 20,
                shuffle: false, // the same order every epoch: the same loss, bit for bit
                callbacks: vec![&mut zero_lr, &mut stop],
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(h["loss"].len(), 3, "{:?}", h["loss"]);
    assert_eq!(stop.stopped_epoch(), Some(2));
    assert_eq!(model.optimizer_mut().unwrap().learning_rate(), 0.0);
    // A huge learning rate with a non-saturating loss diverges; TerminateOnNaN stops at once.
    let mut reg = Sequential::new(vec![Dense::new(1).input_shape(&[2]).into()]);
    reg.compile(SGD::new(1e30, 0.0, false), "mse", NO_METRICS)
        .unwrap();
    let xs = Array2::from_elem((64, 2), 1e10f32);
    let ys = Array1::from_elem(64, 1.0f32);
    let mut nan = TerminateOnNaN::default();
    let h = reg
        .fit(
            &xs,
            &ys,
            FitOptions {
                epochs: 5,
                batch_size: 8,
                callbacks: vec![&mut nan],
                ..quiet()
            },
        )
        .unwrap();
    assert!(nan.stopped_at_batch.is_some());
    assert_eq!(h["loss"].len(), 1);
}

#[test]
fn regularizers_add_to_the_loss_and_constraints_hold() {
    let (x, y) = blobs(32, 18);
    let mut plain = small_model("softmax");
    let mut reg = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8)
            .activation("relu")
            .kernel_regularizer(Regularizer::L2(0.01))
            .into(),
        Dense::new(3)
            .activation("softmax")
            .kernel_constraint(Constraint::NonNeg)
            .into(),
    ]);
    copy_weights(&mut plain, &mut reg);
    for m in [&mut plain, &mut reg] {
        m.compile("sgd", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    let w = plain.get_weights().unwrap();
    let penalty = 0.01 * w[0].iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
    let lp = plain.test_on_batch(&x, &y, None).unwrap()["loss"];
    let lr = reg.test_on_batch(&x, &y, None).unwrap()["loss"];
    assert!((lr - lp - penalty).abs() < 1e-5, "{lr} {lp} {penalty}");
    reg.fit(
        &x,
        &y,
        FitOptions {
            epochs: 2,
            ..quiet()
        },
    )
    .unwrap();
    assert!(reg.get_weights().unwrap()[2].iter().all(|&v| v >= 0.0));
}

#[test]
fn dense_without_bias_keeps_it_out() {
    let (x, y) = blobs(32, 19);
    let mut model = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(3).activation("softmax").use_bias(false).into(),
    ]);
    model
        .compile("adam", "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    assert_eq!(model.count_params().unwrap(), 48);
    model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 2,
                ..quiet()
            },
        )
        .unwrap();
    let w = model.get_weights().unwrap();
    assert_eq!(w.len(), 1, "only the kernel");
    let d = model.layers()[1].as_dense().unwrap();
    assert!(d.bias().unwrap().iter().all(|&b| b == 0.0));
}

#[test]
fn activation_layer_softmax_trains_like_dense_softmax() {
    let (x, y) = blobs(32, 20);
    let mut a = small_model("softmax");
    let mut b = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(3).into(),
        Activation::new("softmax").into(),
    ]);
    copy_weights(&mut a, &mut b);
    for m in [&mut a, &mut b] {
        m.compile("adam", "sparse_categorical_crossentropy", NO_METRICS)
            .unwrap();
    }
    let ha = a
        .fit(
            &x,
            &y,
            FitOptions {
                shuffle: false,
                epochs: 2,
                ..quiet()
            },
        )
        .unwrap();
    let hb = b
        .fit(
            &x,
            &y,
            FitOptions {
                shuffle: false,
                epochs: 2,
                ..quiet()
            },
        )
        .unwrap();
    assert_eq!(ha["loss"], hb["loss"]);
}

#[test]
fn regression_with_mse_and_every_optimizer_name() {
    // y = x0 - 2 x1 is learned by a linear layer with any optimizer (tuned learning rate).
    let xs = Array2::from_shape_fn((64, 2), |(i, j)| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.5);
    let ys = xs.column(0).to_owned() - &(xs.column(1).to_owned() * 2.0);
    for name in [
        "sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam", "ftrl", "adamw",
    ] {
        let mut m = Sequential::new(vec![Dense::new(1).input_shape(&[2]).into()]);
        m.compile(name, "mse", &["mae"]).unwrap();
        let lr = match name {
            "adadelta" => 1.0,
            "sgd" => 0.2,
            "ftrl" | "adagrad" => 0.5,
            _ => 0.05,
        };
        m.optimizer_mut().unwrap().set_learning_rate(lr).unwrap();
        let h = m
            .fit(
                &xs,
                &ys,
                FitOptions {
                    epochs: 60,
                    batch_size: 16,
                    ..quiet()
                },
            )
            .unwrap();
        // Adadelta starts with tiny steps (its accumulators start at 0): it only has to improve.
        let target = if name == "adadelta" { 0.9 } else { 0.1 };
        assert!(
            h["loss"][59] < target * h["loss"][0],
            "{name}: {} -> {}",
            h["loss"][0],
            h["loss"][59]
        );
    }
}

#[test]
fn the_books_optimizers_compile_through_from_book() {
    use ch06_optimizers_init::book;
    use keras_lite::optimizers::from_book;
    let (x, y) = blobs(64, 21);
    let mut model = small_model("softmax");
    model
        .compile(
            from_book(book::Momentum::new(0.05, 0.9)),
            "sparse_categorical_crossentropy",
            NO_METRICS,
        )
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 10,
                ..quiet()
            },
        )
        .unwrap();
    assert!(h["loss"][9] < h["loss"][0]);
    let e = model
        .compile(from_book(book::Momentum::new(-1.0, 0.9)), "mse", NO_METRICS)
        .unwrap_err();
    assert!(matches!(e, keras_lite::KerasError::Optimizer(_)), "{e}");
}
