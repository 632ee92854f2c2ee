//! keras-lite as a Keras user meets it (issue 14): `optimizers::{SGD, RMSprop, ...}` with
//! Keras' defaults and named setters, checked when compiled; the book's optimizers only
//! through `from_book`; regularizers by name (`"l2"`) and by `l1`/`l2`/`l1_l2`.
//!
//! Oracles: tf_keras 2.21's documented defaults, written out here as literals and run
//! through ch06's constructors (the same trajectory, bit for bit, means the same settings);
//! the penalty formula `l1 * sum|w| + l2 * sum w^2` computed by hand in f64.

mod common;

use ch06_optimizers_init::keras as ch06;
use ch06_optimizers_init::keras::schedules::ExponentialDecay;
use common::{blobs, classifier};
use keras_lite::layers::{Dense, Flatten};
use keras_lite::optimizers::{
    self, Adadelta, Adagrad, Adam, AdamW, Adamax, Ftrl, Nadam, RMSprop, SGD, from_book,
};
use keras_lite::regularizers::{Regularizer, l1, l1_l2, l2};
use keras_lite::{EvaluateOptions, FitOptions, IntoOptimizer, KerasError, NO_METRICS, Sequential};
use ndarray::{Array2, ArrayD, array};

/// The weights after 3 epochs of training the small classifier (seed 11) with `optimizer`.
fn trained_weights(optimizer: impl IntoOptimizer) -> Vec<ArrayD<f32>> {
    let (x, y) = blobs(48, 3);
    let mut m = classifier(11);
    m.compile(optimizer, "sparse_categorical_crossentropy", NO_METRICS)
        .unwrap();
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 3,
            batch_size: 8,
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap();
    m.get_weights().unwrap()
}

#[test]
fn each_optimizer_default_is_keras_default() {
    // tf_keras 2.21's signatures, as documented (keras.io/2.x/api/optimizers).
    type Case = (&'static str, Box<dyn Fn() -> Vec<ArrayD<f32>>>);
    let cases: Vec<Case> = vec![
        (
            "sgd",
            Box::new(|| trained_weights(ch06::SGD::<f32>::new(0.01, 0.0, false))),
        ),
        (
            "rmsprop",
            Box::new(|| {
                trained_weights(
                    ch06::RMSprop::<f32>::new(0.001, 0.9, 0.0)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap()
                        .with_centered(false),
                )
            }),
        ),
        (
            "adagrad",
            Box::new(|| {
                trained_weights(
                    ch06::Adagrad::<f32>::new(0.001, 0.1)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap(),
                )
            }),
        ),
        (
            "adadelta",
            Box::new(|| {
                trained_weights(
                    ch06::Adadelta::<f32>::new(0.001, 0.95)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap(),
                )
            }),
        ),
        (
            "adam",
            Box::new(|| {
                trained_weights(
                    ch06::Adam::<f32>::new(0.001, 0.9, 0.999)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap()
                        .with_amsgrad(false),
                )
            }),
        ),
        (
            "adamax",
            Box::new(|| {
                trained_weights(
                    ch06::Adamax::<f32>::new(0.001, 0.9, 0.999)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap(),
                )
            }),
        ),
        (
            "nadam",
            Box::new(|| {
                trained_weights(
                    ch06::Nadam::<f32>::new(0.001, 0.9, 0.999)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap(),
                )
            }),
        ),
        (
            "ftrl",
            Box::new(|| {
                trained_weights(
                    ch06::Ftrl::<f32>::new(0.001)
                        .unwrap()
                        .with_learning_rate_power(-0.5)
                        .unwrap()
                        .with_initial_accumulator_value(0.1)
                        .unwrap()
                        .with_regularization(0.0, 0.0, 0.0)
                        .unwrap()
                        .with_beta(0.0)
                        .unwrap(),
                )
            }),
        ),
        (
            "adamw",
            Box::new(|| {
                trained_weights(
                    ch06::AdamW::<f32>::new(0.001, 0.004, 0.9, 0.999)
                        .unwrap()
                        .with_epsilon(1e-7)
                        .unwrap()
                        .with_amsgrad(false),
                )
            }),
        ),
    ];
    for (name, keras) in cases {
        let want = keras();
        let builder = match name {
            "sgd" => trained_weights(SGD::default()),
            "rmsprop" => trained_weights(RMSprop::default()),
            "adagrad" => trained_weights(Adagrad::default()),
            "adadelta" => trained_weights(Adadelta::default()),
            "adam" => trained_weights(Adam::default()),
            "adamax" => trained_weights(Adamax::default()),
            "nadam" => trained_weights(Nadam::default()),
            "ftrl" => trained_weights(Ftrl::default()),
            "adamw" => trained_weights(AdamW::default()),
            _ => unreachable!(),
        };
        assert_eq!(builder, want, "{name}: the builder's default");
        assert_eq!(trained_weights(name), want, "{name}: the string name");
        let from_config = optimizers::from_config(name, &serde_json::json!({})).unwrap();
        assert_eq!(
            trained_weights(from_config),
            want,
            "{name}: an empty config"
        );
    }
}

#[test]
fn named_setters_set_the_keras_argument_of_that_name() {
    let want = trained_weights(
        ch06::RMSprop::<f32>::new(0.01, 0.8, 0.5)
            .unwrap()
            .with_epsilon(1e-6)
            .unwrap()
            .with_centered(true)
            .with_clipnorm(1.0)
            .unwrap(),
    );
    let got = trained_weights(
        RMSprop::default()
            .learning_rate(0.01)
            .rho(0.8)
            .momentum(0.5)
            .epsilon(1e-6)
            .centered(true)
            .clipnorm(1.0),
    );
    assert_eq!(got, want);
    assert_ne!(got, trained_weights(RMSprop::default()));

    let want = trained_weights(
        ch06::SGD::<f32>::new(0.05, 0.9, true)
            .unwrap()
            .with_weight_decay(0.01)
            .unwrap(),
    );
    let got = trained_weights(
        SGD::default()
            .learning_rate(0.05)
            .momentum(0.9)
            .nesterov(true)
            .weight_decay(0.01),
    );
    assert_eq!(got, want);

    let schedule = ExponentialDecay::new(0.01, 2, 0.5, false).unwrap();
    let want = trained_weights(
        ch06::Adam::<f32>::new(0.01, 0.8, 0.99)
            .unwrap()
            .with_amsgrad(true)
            .with_schedule(schedule.clone()),
    );
    let got = trained_weights(
        Adam::default()
            .beta_1(0.8)
            .beta_2(0.99)
            .amsgrad(true)
            .schedule(schedule),
    );
    assert_eq!(got, want);

    let want = trained_weights(
        ch06::Ftrl::<f32>::new(0.1)
            .unwrap()
            .with_learning_rate_power(-0.7)
            .unwrap()
            .with_regularization(0.001, 0.002, 0.003)
            .unwrap()
            .with_beta(0.1)
            .unwrap(),
    );
    let got = trained_weights(
        Ftrl::default()
            .learning_rate(0.1)
            .learning_rate_power(-0.7)
            .l1_regularization_strength(0.001)
            .l2_regularization_strength(0.002)
            .l2_shrinkage_regularization_strength(0.003)
            .beta(0.1),
    );
    assert_eq!(got, want);

    let want = trained_weights(
        ch06::AdamW::<f32>::new(0.002, 0.1, 0.9, 0.999)
            .unwrap()
            .with_clipvalue(0.5)
            .unwrap(),
    );
    let got = trained_weights(
        AdamW::default()
            .learning_rate(0.002)
            .weight_decay(0.1)
            .clipvalue(0.5),
    );
    assert_eq!(got, want);
}

#[test]
fn bad_settings_are_errors_naming_the_setting_at_compile_and_build() {
    let mut m = classifier(1);
    let msg = |r: keras_lite::Result<()>| r.unwrap_err().to_string();
    assert_eq!(
        msg(m.compile(Adam::default().beta_1(1.5), "mse", NO_METRICS)),
        "Adam: beta_1 = 1.5 is invalid; it must be in [0, 1)"
    );
    assert!(msg(m.compile(RMSprop::default().rho(-0.1), "mse", NO_METRICS)).contains("rho = -0.1"));
    assert!(
        msg(m.compile(SGD::default().learning_rate(f64::NAN), "mse", NO_METRICS))
            .contains("learning_rate")
    );
    assert!(msg(m.compile(Ftrl::default().learning_rate(0.0), "mse", NO_METRICS)).contains("> 0"));
    // Keras allows one clipping mode.
    let e = msg(m.compile(
        Adam::default().clipnorm(1.0).clipvalue(0.5),
        "mse",
        NO_METRICS,
    ));
    assert!(e.contains("clipnorm") && e.contains("clipvalue"), "{e}");
    // build() is the same check, without a model.
    let e = AdamW::default().weight_decay(-1.0).build().unwrap_err();
    assert!(matches!(e, KerasError::Optimizer(_)), "{e}");
    assert!(e.to_string().contains("weight_decay"), "{e}");
    assert!(Nadam::default().epsilon(0.0).build().is_err());
    assert!(Adadelta::default().rho(1.0).build().is_err());
    assert!(
        Adagrad::default()
            .initial_accumulator_value(-1.0)
            .build()
            .is_err()
    );
    assert!(Adamax::default().beta_2(2.0).build().is_err());
    // A checked builder gives ch06's optimizer, with the settings given.
    let built = Adam::default().learning_rate(0.02).build().unwrap();
    assert_eq!(
        ch06_optimizers_init::Optimizer::<f32>::learning_rate(&built),
        0.02
    );
}

#[test]
fn string_names_still_compile_and_unknown_ones_list_the_valid_ones() {
    let mut m = classifier(2);
    for (name, class) in [
        ("sgd", "SGD"),
        ("rmsprop", "RMSprop"),
        ("adagrad", "Adagrad"),
        ("adadelta", "Adadelta"),
        ("adam", "Adam"),
        ("adamax", "Adamax"),
        ("nadam", "Nadam"),
        ("ftrl", "Ftrl"),
        ("adamw", "AdamW"),
        ("Adam", "Adam"),
    ] {
        m.compile(name, "mse", NO_METRICS).unwrap();
        assert_eq!(m.optimizer().unwrap().name(), class);
    }
    let e = m
        .compile("adan", "mse", NO_METRICS)
        .unwrap_err()
        .to_string();
    assert!(e.contains("adam") && e.contains("rmsprop"), "{e}");
}

#[test]
fn the_books_optimizers_go_through_from_book_and_keep_the_books_rule() {
    use ch06_optimizers_init::book;
    // The book's RMSprop (decay 0.99, epsilon outside the root) is another algorithm than
    // Keras' RMSprop of the same learning rate: from_book runs the book's.
    let book_w = trained_weights(from_book(book::RMSprop::<f32>::new(0.001, 0.99)));
    let keras_w = trained_weights(RMSprop::default());
    assert_ne!(book_w, keras_w);
    let boxed: Box<dyn ch06_optimizers_init::Optimizer<f32>> =
        Box::new(book::RMSprop::<f32>::new(0.001, 0.99).unwrap());
    assert_eq!(trained_weights(boxed), book_w);
    // The constructor's error surfaces at compile.
    let mut m = classifier(3);
    let e = m
        .compile(
            from_book(book::Adam::<f32>::new(-0.1, 0.9, 0.999)),
            "mse",
            NO_METRICS,
        )
        .unwrap_err();
    assert!(matches!(e, KerasError::Optimizer(_)), "{e}");
}

/// `Dense(2)` on 3 inputs with fixed weights and the given kernel and bias regularizers.
fn regularized(kernel: Option<&str>, bias: Option<Regularizer>) -> Sequential {
    let mut d = Dense::new(2);
    if let Some(k) = kernel {
        d = d.kernel_regularizer(k);
    }
    if let Some(b) = bias {
        d = d.bias_regularizer(b);
    }
    let mut m = Sequential::new(vec![Flatten::new().input_shape(&[3]).into(), d.into()]);
    m.compile(SGD::default().learning_rate(0.1), "mse", NO_METRICS)
        .unwrap();
    m.set_weights(&[
        array![[0.5f32, -1.0], [0.25, 2.0], [-0.75, 0.125]].into_dyn(),
        array![0.3f32, -0.2].into_dyn(),
    ])
    .unwrap();
    m
}

fn mse_loss(m: &mut Sequential, x: &Array2<f32>, y: &Array2<f32>) -> f64 {
    m.evaluate(
        x,
        y,
        EvaluateOptions {
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap()["loss"]
}

#[test]
fn regularizer_names_give_keras_default_penalties_in_the_loss() {
    let x = array![[1.0f32, 0.5, -0.5], [0.0, 2.0, 1.0]];
    let y = array![[0.0f32, 1.0], [1.0, 0.0]];
    let data_loss = mse_loss(&mut regularized(None, None), &x, &y);
    // The kernel by hand: sum|w| = 4.625, sum w^2 = 0.25+1+0.0625+4+0.5625+0.015625.
    let (abs, sq) = (4.625f64, 5.890625f64);
    for (name, penalty) in [
        ("l1", 0.01 * abs),
        ("l2", 0.01 * sq),
        ("l1_l2", 0.01 * abs + 0.01 * sq),
        ("L1", 0.01 * abs),
        ("L2", 0.01 * sq),
        ("L1L2", 0.0),
    ] {
        let got = mse_loss(&mut regularized(Some(name), None), &x, &y) - data_loss;
        assert!((got - penalty).abs() < 1e-6, "{name}: {got} vs {penalty}");
    }
    // The functions, on the bias: sum|b| = 0.5, sum b^2 = 0.13.
    for (r, penalty) in [
        (l1(0.5), 0.5 * 0.5),
        (l2(2.0), 2.0 * 0.13),
        (l1_l2(0.5, 2.0), 0.5 * 0.5 + 2.0 * 0.13),
    ] {
        let got = mse_loss(&mut regularized(None, Some(r)), &x, &y) - data_loss;
        assert!((got - penalty).abs() < 1e-6, "{r:?}: {got} vs {penalty}");
    }
}

#[test]
fn a_regularizer_name_trains_exactly_as_its_object() {
    let x = array![[1.0f32, 0.5, -0.5], [0.0, 2.0, 1.0], [0.3, -1.0, 0.2]];
    let y = array![[0.0f32, 1.0], [1.0, 0.0], [0.5, 0.5]];
    let train = |mut m: Sequential| {
        m.fit(
            &x,
            &y,
            FitOptions {
                epochs: 4,
                batch_size: 2,
                shuffle: false,
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
        m.get_weights().unwrap()
    };
    let by_name = train(regularized(Some("l1_l2"), None));
    let mut by_object = Sequential::new(vec![
        Flatten::new().input_shape(&[3]).into(),
        Dense::new(2).kernel_regularizer(l1_l2(0.01, 0.01)).into(),
    ]);
    by_object
        .compile(SGD::default().learning_rate(0.1), "mse", NO_METRICS)
        .unwrap();
    by_object
        .set_weights(&regularized(None, None).get_weights().unwrap())
        .unwrap();
    assert_eq!(by_name, train(by_object));
    assert_ne!(by_name, train(regularized(None, None)));
}

#[test]
fn an_unknown_regularizer_name_is_an_error_listing_the_valid_ones() {
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[3]).into(),
        Dense::new(2).kernel_regularizer("l3").into(),
    ]);
    let e = m
        .compile("sgd", "mse", NO_METRICS)
        .and_then(|_| m.get_weights().map(|_| ()))
        .unwrap_err();
    assert!(
        matches!(
            e,
            KerasError::UnknownName {
                kind: "regularizer",
                ..
            }
        ),
        "{e}"
    );
    let text = e.to_string();
    assert!(text.contains("l3") && text.contains("l1_l2"), "{text}");
    // Conv2D takes names too.
    let conv = keras_lite::layers::Conv2D::new(2, 3)
        .input_shape(&[5, 5, 1])
        .kernel_regularizer("l2")
        .bias_regularizer("nope");
    let mut m = Sequential::new(vec![conv.into()]);
    let e = m
        .compile("sgd", "mse", NO_METRICS)
        .and_then(|_| m.get_weights().map(|_| ()))
        .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
}

#[test]
fn a_later_regularizer_setting_replaces_an_unknown_name() {
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[3]).into(),
        Dense::new(2)
            .kernel_regularizer("l3")
            .kernel_regularizer(l2(0.1))
            .into(),
    ]);
    m.compile("sgd", "mse", NO_METRICS).unwrap();
    assert_eq!(m.get_weights().unwrap().len(), 2);
    // An unknown name on another argument is still reported.
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[3]).into(),
        Dense::new(2)
            .bias_regularizer("l9")
            .kernel_regularizer("l2")
            .into(),
    ]);
    let e = m
        .compile("sgd", "mse", NO_METRICS)
        .and_then(|_| m.get_weights().map(|_| ()))
        .unwrap_err();
    assert!(e.to_string().contains("l9"), "{e}");
}
