//! Every user mistake the issue lists comes back as an error that names the problem and the
//! fix: never a panic, never a silent wrong answer.

mod common;

use ch04_loss_gradient::keras::Loss;
use common::*;
use keras_lite::layers::{Dense, Flatten};
use keras_lite::{EvaluateOptions, FitOptions, KerasError, NO_METRICS, PredictOptions, Sequential};
use ndarray::{Array1, Array2, Array3};
use std::collections::HashMap;
use test_support::one_hot;

fn quiet<'a>() -> FitOptions<'a> {
    FitOptions {
        verbose: 0,
        ..Default::default()
    }
}

fn compiled() -> Sequential {
    let mut m = small_model("softmax");
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    m
}

fn fit_err(model: &mut Sequential, x: &Array3<f32>, y: &Array1<f32>, o: FitOptions<'_>) -> String {
    let before = model.get_weights().unwrap();
    let e = model
        .fit(x, y, o)
        .expect_err("should be an error")
        .to_string();
    assert_eq!(
        model.get_weights().unwrap(),
        before,
        "a refused fit must not train"
    );
    e
}

fn data(n: usize) -> (Array3<f32>, Array1<f32>) {
    let (x, y) = blobs(n, 99);
    (x, y.mapv(f32::from))
}

#[test]
fn fit_and_evaluate_before_compile() {
    let (x, y) = data(8);
    let mut m = small_model("softmax");
    let e = m.fit(&x, &y, quiet()).unwrap_err();
    assert!(matches!(e, KerasError::NotCompiled { call: "fit" }));
    assert!(e.to_string().contains("model.compile("), "{e}");
    let e = m.evaluate(&x, &y, EvaluateOptions::default()).unwrap_err();
    assert!(matches!(e, KerasError::NotCompiled { call: "evaluate" }));
    assert!(m.train_on_batch(&x, &y, None).is_err());
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let mut m = small_model("softmax");
    let cases = [
        (
            m.compile("adamm", "mse", NO_METRICS),
            "optimizer",
            "rmsprop",
        ),
        (
            m.compile("adam", "mean_square_error", NO_METRICS),
            "loss",
            "mean_squared_error",
        ),
        (
            m.compile("adam", "mse", &["accurcy"]),
            "metric",
            "sparse_categorical_accuracy",
        ),
    ];
    for (result, kind, valid) in cases {
        let e = result.unwrap_err();
        match &e {
            KerasError::UnknownName { kind: k, .. } => assert_eq!(*k, kind),
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains(valid), "{e}");
    }
    let mut bad = Sequential::new(vec![
        Dense::new(3).activation("rellu").input_shape(&[2]).into(),
    ]);
    let e = bad.summary_string().unwrap_err();
    assert!(
        matches!(
            e,
            KerasError::UnknownName {
                kind: "activation",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("relu"));
    let mut bad = Sequential::new(vec![
        Dense::new(3)
            .kernel_initializer("glorot")
            .input_shape(&[2])
            .into(),
    ]);
    let e = bad.get_weights().unwrap_err();
    assert!(
        matches!(
            e,
            KerasError::UnknownName {
                kind: "initializer",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn x_of_the_wrong_shape_names_both_shapes() {
    let mut m = compiled();
    let x = Array3::<f32>::zeros((10, 4, 5));
    let y = Array1::<f32>::zeros(10);
    let e = fit_err(&mut m, &x, &y, quiet());
    assert!(e.contains("(10, 4, 5)") && e.contains("4, 4"), "{e}");
    let flat = Array2::<f32>::zeros((10, 16));
    let e = m
        .predict(&flat, PredictOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("(10, 16)") && e.contains("4, 4"), "{e}");
}

#[test]
fn x_and_y_of_different_lengths() {
    let mut m = compiled();
    let (x, _) = data(10);
    let y = Array1::<f32>::zeros(9);
    let e = fit_err(&mut m, &x, &y, quiet());
    assert!(e.contains("10 samples") && e.contains("9"), "{e}");
    let w = Array1::<f32>::ones(3);
    let (x, y) = data(10);
    let e = fit_err(
        &mut m,
        &x,
        &y,
        FitOptions {
            sample_weight: Some(w.view()),
            ..quiet()
        },
    );
    assert!(e.contains("sample_weight"), "{e}");
}

#[test]
fn labels_outside_the_classes() {
    let mut m = compiled();
    let (x, mut y) = data(10);
    y[7] = 3.0;
    let e = fit_err(&mut m, &x, &y, quiet());
    assert!(
        e.contains("label 3") && e.contains("sample 7") && e.contains("3 classes"),
        "{e}"
    );
    y[7] = -1.0;
    assert!(fit_err(&mut m, &x, &y, quiet()).contains("label -1"));
    y[7] = 1.5;
    assert!(fit_err(&mut m, &x, &y, quiet()).contains("whole number"));
}

#[test]
fn labels_of_the_wrong_kind_for_the_loss() {
    let (x, y) = blobs(10, 3);
    let mut sparse = compiled();
    let e = sparse
        .fit(&x, &one_hot::<f32, _>(&y, 3), quiet())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("class indices") && e.contains("categorical_crossentropy"),
        "{e}"
    );
    let mut cat = small_model("softmax");
    cat.compile("adam", "categorical_crossentropy", NO_METRICS)
        .unwrap();
    let e = cat.fit(&x, &y, quiet()).unwrap_err().to_string();
    assert!(e.contains("sparse_categorical_crossentropy"), "{e}");
    let mut mse = small_model("linear");
    mse.compile("adam", "mse", NO_METRICS).unwrap();
    let e = mse
        .fit(&x, &Array2::<f32>::zeros((10, 2)), quiet())
        .unwrap_err()
        .to_string();
    assert!(e.contains("(10, 2)") && e.contains("3 values"), "{e}");
}

#[test]
fn empty_data() {
    let mut m = compiled();
    let x = Array3::<f32>::zeros((0, 4, 4));
    let y = Array1::<f32>::zeros(0);
    let e = m.fit(&x, &y, quiet()).unwrap_err();
    assert!(matches!(e, KerasError::EmptyData(_)), "{e}");
    assert!(m.evaluate(&x, &y, EvaluateOptions::default()).is_err());
    assert!(m.predict(&x, PredictOptions::default()).is_err());
}

#[test]
fn validation_split_outside_the_unit_interval_or_leaving_nothing() {
    let mut m = compiled();
    let (x, y) = data(10);
    for split in [1.0, 1.5, -0.1, f64::NAN] {
        let e = fit_err(
            &mut m,
            &x,
            &y,
            FitOptions {
                validation_split: split,
                ..quiet()
            },
        );
        assert!(
            e.contains("validation_split") && e.contains("(0, 1)"),
            "{split}: {e}"
        );
    }
    let (x1, y1) = data(1);
    let e = fit_err(
        &mut m,
        &x1,
        &y1,
        FitOptions {
            validation_split: 0.5,
            ..quiet()
        },
    );
    assert!(e.contains("training part empty"), "{e}");
}

#[test]
fn nan_or_infinity_in_the_data() {
    let mut m = compiled();
    let (mut x, y) = data(10);
    x[[3, 1, 2]] = f32::NAN;
    let e = fit_err(&mut m, &x, &y, quiet());
    assert!(e.contains("NaN") && e.contains("index 54"), "{e}");
    x[[3, 1, 2]] = f32::INFINITY;
    assert!(fit_err(&mut m, &x, &y, quiet()).contains("inf"));
    let (x, mut y) = data(10);
    y[0] = f32::NAN;
    assert!(fit_err(&mut m, &x, &y, quiet()).contains("non-finite"));
    let mut xv = x.clone();
    xv[[0, 0, 0]] = f32::NAN;
    let e = m
        .evaluate(&xv, &y.mapv(|_| 0.0f32), EvaluateOptions::default())
        .unwrap_err();
    assert!(matches!(e, KerasError::NonFinite { .. }));
}

#[test]
fn summary_without_an_input_shape() {
    let mut m = Sequential::new(vec![Flatten::new().into(), Dense::new(3).into()]);
    let e = m.summary_string().unwrap_err();
    assert!(matches!(e, KerasError::NotBuilt { call: "summary" }));
    assert!(e.to_string().contains("input_shape"), "{e}");
    // fit builds it from x.
    m.compile("sgd", "mse", NO_METRICS).unwrap();
    let x = Array3::<f32>::zeros((4, 2, 2));
    m.fit(&x, &Array2::<f32>::zeros((4, 3)), quiet()).unwrap();
    assert!(m.summary_string().unwrap().contains("(None, 4)"));
}

#[test]
fn from_logits_on_a_softmax_output() {
    let mut m = small_model("softmax");
    let e = m
        .compile(
            "adam",
            Loss::SparseCategoricalCrossentropy { from_logits: true },
            NO_METRICS,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("from_logits") && e.contains("softmax twice"),
        "{e}"
    );
}

#[test]
fn bad_options_and_layers() {
    let mut m = compiled();
    let (x, y) = data(10);
    assert!(
        fit_err(
            &mut m,
            &x,
            &y,
            FitOptions {
                batch_size: 0,
                ..quiet()
            }
        )
        .contains("batch_size")
    );
    assert!(
        fit_err(
            &mut m,
            &x,
            &y,
            FitOptions {
                epochs: 1,
                initial_epoch: 2,
                ..quiet()
            }
        )
        .contains("initial_epoch")
    );
    assert!(
        fit_err(
            &mut m,
            &x,
            &y,
            FitOptions {
                verbose: 3,
                ..quiet()
            }
        )
        .contains("verbose")
    );
    let cw: HashMap<usize, f64> = [(0, 1.0), (1, 1.0)].into();
    let e = fit_err(
        &mut m,
        &x,
        &y,
        FitOptions {
            class_weight: Some(cw),
            ..quiet()
        },
    );
    assert!(e.contains("class_weight") && e.contains("[2]"), "{e}");
    let neg = Array1::from_elem(10, -1.0f32);
    assert!(
        fit_err(
            &mut m,
            &x,
            &y,
            FitOptions {
                sample_weight: Some(neg.view()),
                ..quiet()
            }
        )
        .contains(">= 0")
    );
    // Dense straight on images: Flatten first.
    let mut d = Sequential::new(vec![Dense::new(3).input_shape(&[4, 4]).into()]);
    let e = d.summary_string().unwrap_err().to_string();
    assert!(e.contains("Flatten"), "{e}");
    let mut z = Sequential::new(vec![Dense::new(0).input_shape(&[4]).into()]);
    assert!(z.get_weights().unwrap_err().to_string().contains("0 units"));
    assert!(
        Sequential::new(vec![])
            .compile("adam", "mse", NO_METRICS)
            .is_ok(),
        "compiling an empty model is fine; building it is not"
    );
}

#[test]
fn nan_infinite_or_negative_learning_rates_are_refused_and_fit_stays_finite() {
    for name in ["sgd", "adam", "rmsprop", "ftrl"] {
        let mut m = small_model("softmax");
        m.compile(name, "sparse_categorical_crossentropy", &["accuracy"])
            .unwrap();
        let lr = m.optimizer_mut().unwrap().learning_rate();
        for bad in [f64::NAN, f64::INFINITY, -1e-3] {
            let e = m
                .optimizer_mut()
                .unwrap()
                .set_learning_rate(bad)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("learning_rate") && e.contains("finite and >= 0"),
                "{e}"
            );
            assert_eq!(m.optimizer_mut().unwrap().learning_rate(), lr, "{name}");
        }
        let (x, y) = data(16);
        m.fit(&x, &y, quiet()).unwrap();
        let w = m.get_weights().unwrap();
        assert!(
            w.iter().all(|a| a.iter().all(|v| v.is_finite())),
            "{name}: fit returned Ok with non-finite weights"
        );
    }
}

#[test]
fn layers_too_large_to_allocate_are_errors_naming_layer_and_size() {
    // Dense with 2^44 units: ndarray's "Shape too large" panic before the size checks.
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(1 << 44).name("huge").into(),
    ]);
    let e = m.summary_string().unwrap_err().to_string();
    assert!(
        e.contains("layer \"huge\" (Dense)") && e.contains("17,592,186,044,416 values"),
        "{e}"
    );
    assert!(m.compile("adam", "mse", NO_METRICS).is_err());
    // Flatten over 2^32 x 2^32: an overflow panic in dev builds, "(None, 0)" in release.
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[1 << 32, 1 << 32]).into(),
        Dense::new(1).into(),
    ]);
    let e = m.count_params().unwrap_err().to_string();
    assert!(
        e.contains("(4294967296, 4294967296)") && e.contains("more values than a 64-bit count"),
        "{e}"
    );
    // Each layer fits but the kernel does not: 65536 inputs x 65536 units.
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[256, 256]).into(),
        Dense::new(1 << 16).name("wide").into(),
    ]);
    let e = m.get_weights().unwrap_err().to_string();
    assert!(
        e.contains("layer \"wide\" (Dense)'s weights would hold 4,295,032,832 values"),
        "{e}"
    );
    // A 2 KB config.json asking for 2^40 units: load_model used to allocate 4 TiB and abort.
    let dir = temp_path("huge-config");
    std::fs::create_dir_all(&dir).unwrap();
    let config = serde_json::json!({
        "class_name": "Sequential",
        "config": {"name": "m", "layers": [
            {"class_name": "Dense", "config": {"name": "dense", "units": 1099511627776u64,
             "batch_input_shape": [null, 2]}}
        ]},
        "training_config": {"loss": "mse", "metrics": [],
            "optimizer_config": {"class_name": "SGD", "config": {"learning_rate": 0.01}}}
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let e = keras_lite::model_io::load_model(&dir)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("layer \"dense\" (Dense)") && e.contains("1,099,511,627,776 values"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
