//! `Dropout` and `BatchNormalization` inside models: Keras' summary counts, train/inference
//! modes, the gradient through BatchNormalization (ch05's gradient-check harness), saving and
//! loading, and training.

mod common;

use ch05_backprop::gradient_check::{GradCheck, check};
use ch06_optimizers_init::keras::SGD;
use common::{ModelObjective, images, temp_path};
use keras_lite::layers::{BatchNormalization, Dense, Dropout, Flatten, InputLayer};
use keras_lite::model_io::{self, WEIGHTS_FILE};
use keras_lite::weights_io::read_tensors;
use keras_lite::{EvaluateOptions, FitOptions, NO_METRICS, PredictOptions, Sequential};
use ndarray::{Array2, ArrayD};

fn quiet() -> PredictOptions {
    PredictOptions {
        verbose: 0,
        ..Default::default()
    }
}

/// What Keras 2 prints for this model (`model.summary()` in TF 2.x): BatchNormalization on
/// 128 features has 4 * 128 = 512 parameters, of which the 256 moving statistics are not
/// trainable; the name column is cut at 28 characters.
const KERAS_SUMMARY: &str = "\
Model: \"sequential\"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
flatten (Flatten)            (None, 784)               0
_________________________________________________________________
dense (Dense)                (None, 128)               100480
_________________________________________________________________
batch_normalization (BatchNo (None, 128)               512
_________________________________________________________________
dropout (Dropout)            (None, 128)               0
_________________________________________________________________
dense_1 (Dense)              (None, 10)                1290
=================================================================
Total params: 102,282
Trainable params: 102,026
Non-trainable params: 256
_________________________________________________________________
";

#[test]
fn summary_counts_moving_statistics_as_non_trainable_like_keras() {
    keras_lite::backend::clear_session();
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        BatchNormalization::new().into(),
        Dropout::new(0.2).into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    assert_eq!(m.summary_string().unwrap(), KERAS_SUMMARY);
    assert_eq!(m.count_params().unwrap(), 102_282);
    // get_weights: [kernel, bias, gamma, beta, moving_mean, moving_variance, kernel, bias]
    let w = m.get_weights().unwrap();
    let shapes: Vec<&[usize]> = w.iter().map(|a| a.shape()).collect();
    assert_eq!(
        shapes,
        [
            &[784, 128][..],
            &[128],
            &[128],
            &[128],
            &[128],
            &[128],
            &[128, 10],
            &[10]
        ]
    );
    // Keras' initial values: gamma 1, beta 0, moving mean 0, moving variance 1.
    assert!(w[2].iter().all(|&v| v == 1.0) && w[3].iter().all(|&v| v == 0.0));
    assert!(w[4].iter().all(|&v| v == 0.0) && w[5].iter().all(|&v| v == 1.0));
}

#[test]
fn center_and_scale_switches_change_the_counts() {
    keras_lite::backend::clear_session();
    let mut m = Sequential::new(vec![
        InputLayer::new(&[6]).into(),
        BatchNormalization::new().center(false).into(),
    ]);
    let text = m.summary_string().unwrap();
    // gamma (6) + the two moving statistics (12)
    assert!(text.contains("Total params: 18\n"), "{text}");
    assert!(text.contains("Trainable params: 6\n"), "{text}");
    assert!(text.contains("Non-trainable params: 12\n"), "{text}");
}

#[test]
fn dropout_scales_in_training_and_is_the_identity_at_inference() {
    // y = Dropout(x) with x = 1 and target 0: the mean squared error is the mean of y^2,
    // 1 at inference, and in training (a fraction 1 - rate kept, scaled by 1 / (1 - rate))
    // (1 - rate) / (1 - rate)^2 = 1 / (1 - rate).
    let rate = 0.4;
    let mut m = Sequential::new(vec![
        InputLayer::new(&[100]).into(),
        Dropout::new(rate).seed(5).into(),
    ]);
    m.compile("sgd", "mse", NO_METRICS).unwrap();
    let x = Array2::<f32>::ones((200, 100));
    let y = Array2::<f32>::zeros((200, 100));
    let eval = m.test_on_batch(&x, &y, None).unwrap()["loss"];
    assert_eq!(eval, 1.0);
    assert_eq!(m.predict(&x, quiet()).unwrap(), x);
    let train = m.train_on_batch(&x, &y, None).unwrap()["loss"];
    let want = 1.0 / (1.0 - rate);
    assert!(
        (train - want).abs() < 0.03 * want,
        "training loss {train}, expected about {want}"
    );
}

#[test]
fn batch_normalization_uses_batch_statistics_in_training_and_moving_ones_at_inference() {
    // One BatchNormalization layer, mse against 0: in training each column is normalized by
    // the batch, so the loss is mean(var / (var + eps)); at inference it uses the moving
    // statistics (0 and 1 to start), so the output is x / sqrt(1 + eps).
    let mut m = Sequential::new(vec![
        InputLayer::new(&[2]).into(),
        BatchNormalization::new().into(),
    ]);
    m.compile("sgd", "mse", NO_METRICS).unwrap();
    let x = ndarray::array![[1.0f32, 10.0], [3.0, 20.0], [5.0, 30.0], [7.0, 40.0]];
    let y = Array2::<f32>::zeros((4, 2));
    let eps = 1e-3;
    let inference: f64 = x
        .iter()
        .map(|&v| f64::from(v).powi(2) / (1.0 + eps))
        .sum::<f64>()
        / 8.0;
    let got = m.test_on_batch(&x, &y, None).unwrap()["loss"];
    assert!(
        (got - inference).abs() < 1e-4 * inference,
        "{got} vs {inference}"
    );
    let train = (5.0 / (5.0 + eps) + 125.0 / (125.0 + eps)) / 2.0;
    let got = m.train_on_batch(&x, &y, None).unwrap()["loss"];
    assert!((got - train).abs() < 1e-5, "{got} vs {train}");
    // The training step moved the moving statistics (momentum 0.99); evaluation does not.
    let w = m.get_weights().unwrap();
    assert!((w[2][[0]] - 0.04).abs() < 1e-6 && (w[2][[1]] - 0.25).abs() < 1e-6);
    m.test_on_batch(&x, &y, None).unwrap();
    assert_eq!(m.get_weights().unwrap()[2], w[2]);
}

/// Weights away from zero with mixed signs (variances positive), fixed.
fn fixed_weights(model: &mut Sequential, names: &[&str]) {
    let w: Vec<ArrayD<f32>> = model
        .get_weights()
        .unwrap()
        .iter()
        .zip(names)
        .enumerate()
        .map(|(salt, (a, name))| {
            let mut k = 0usize;
            a.mapv(|_| {
                k += 1;
                let m = 0.2 + 0.07 * ((k * 7 + salt * 3) % 11) as f32;
                let negative = (k + salt).is_multiple_of(3) && *name != "moving_variance";
                if negative { -m } else { m }
            })
        })
        .collect();
    model.set_weights(&w).unwrap();
}

fn batch(n: usize, d_in: usize, d_out: usize) -> (Array2<f32>, Array2<f32>) {
    let x = Array2::from_shape_fn((n, d_in), |(i, j)| ((i * d_in + j) as f32 * 0.73).sin());
    let y = Array2::from_shape_fn((n, d_out), |(i, j)| ((i + 3 * j) as f32 * 0.41).cos());
    (x, y)
}

fn gradient_check(layers: Vec<keras_lite::layers::Layer>, trainable: &[&'static str]) -> GradCheck {
    let mut model = Sequential::new(layers);
    let names: Vec<&'static str> = model
        .layers()
        .iter()
        .flat_map(|l| l.weight_names())
        .collect();
    fixed_weights(&mut model, &names);
    // The moving statistics are not trainable: skip them.
    let trainable: Vec<(usize, &'static str)> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| trainable.contains(n))
        .map(|(i, &n)| (i, n))
        .collect();
    model
        .compile(SGD::<f32>::new(1.0, 0.0, false), "mse", NO_METRICS)
        .unwrap();
    let (x, y) = batch(6, 3, 2);
    let mut objective = ModelObjective::new(model, x, y, trainable);
    check(&mut objective)
}

/// The model computes in f32, so the central differences are good to about 1e-4 absolute
/// (each parameter's `numerical_error` bound says how good): an element passes if it agrees
/// to 1e-2 relative, or, for the smallest gradients, within a few times that bound. A
/// missing or wrong gradient term is off by the size of the gradient itself (1e-1 here).
fn assert_gradients_agree(r: &GradCheck) {
    for e in &r.errors {
        let within_noise = e.max_abs_error < 3.0 * e.numerical_error.max(1e-5);
        assert!(
            e.max_rel_error < 1e-2 || within_noise,
            "gradient check failed for {}:\n{r}",
            e.name
        );
    }
}

#[test]
fn batch_normalization_between_dense_layers_passes_the_ch05_gradient_check() {
    let r = gradient_check(
        vec![
            InputLayer::new(&[3]).into(),
            Dense::new(4).activation("tanh").into(),
            BatchNormalization::new().into(),
            Dense::new(2).into(),
        ],
        &["kernel", "bias", "gamma", "beta"],
    );
    assert_eq!(r.errors.len(), 6, "kernel, bias, gamma, beta, kernel, bias");
    assert_gradients_agree(&r);
}

#[test]
fn batch_normalization_as_first_trained_layer_passes_the_gradient_on() {
    // BatchNormalization first: the Dense layer after it is not the first layer with
    // weights, so it must compute its input gradient for BatchNormalization's gamma and beta.
    let r = gradient_check(
        vec![
            InputLayer::new(&[3]).into(),
            BatchNormalization::new().into(),
            Dense::new(4).activation("tanh").into(),
            Dense::new(2).into(),
        ],
        &["kernel", "bias", "gamma", "beta"],
    );
    assert_eq!(r.errors.len(), 6);
    assert_gradients_agree(&r);
}

/// Flatten(4x4) -> Dense(8, relu) -> BatchNormalization -> Dropout(0.3) -> Dense(3, softmax).
fn regularized(seed: u64) -> Sequential {
    keras_lite::backend::set_random_seed(seed);
    Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        BatchNormalization::new().into(),
        Dropout::new(0.3).into(),
        Dense::new(3).activation("softmax").into(),
    ])
}

fn fit_quietly(m: &mut Sequential, epochs: usize) -> keras_lite::History {
    let (x, y) = images(96, 1);
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs,
            batch_size: 16,
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn fit_with_dropout_and_batch_normalization_lowers_the_loss() {
    let mut m = regularized(4);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let h = fit_quietly(&mut m, 20);
    let loss = &h["loss"];
    assert!(
        loss[loss.len() - 1] < 0.7 * loss[0],
        "the loss did not fall: {loss:?}"
    );
    // fit trains the moving statistics; the model then classifies the held-out data.
    let w = m.get_weights().unwrap();
    assert!(w[4].iter().any(|&v| v != 0.0), "moving_mean never updated");
    let (x, y) = images(60, 9);
    let r = m
        .evaluate(
            &x,
            &y,
            EvaluateOptions {
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(r["accuracy"] > 0.9, "{r:?}");
}

#[test]
fn save_and_load_keep_both_layers_and_give_identical_predictions() {
    let (x, _) = images(40, 2);
    let mut a = regularized(6);
    a.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    fit_quietly(&mut a, 2);
    let want = a.predict(&x, quiet()).unwrap();

    // Whole model: architecture and weights, without the code.
    let dir = temp_path("bn-dropout-model");
    a.save(&dir).unwrap();
    let mut b = model_io::load_model(&dir).unwrap();
    assert_eq!(b.summary_string().unwrap(), a.summary_string().unwrap());
    assert_eq!(b.get_weights().unwrap(), a.get_weights().unwrap());
    assert_eq!(b.predict(&x, quiet()).unwrap(), want);
    let config = a.get_config().unwrap();
    let layers = &config["config"]["layers"];
    assert_eq!(layers[2]["class_name"], "BatchNormalization");
    assert_eq!(layers[2]["config"]["momentum"], 0.99);
    assert_eq!(layers[2]["config"]["epsilon"], 0.001);
    assert_eq!(layers[3]["class_name"], "Dropout");
    assert_eq!(layers[3]["config"]["rate"], 0.3);

    // Weights alone, into a model built the same way, named as Keras names them.
    let (_, tensors) = read_tensors(&dir.join(WEIGHTS_FILE)).unwrap();
    let names: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
    for w in ["gamma", "beta", "moving_mean", "moving_variance"] {
        let name = format!("{}/{w}", a.layers()[2].name());
        assert!(names.contains(&name.as_str()), "{name} not in {names:?}");
    }
    let path = temp_path("bn-dropout.weights.safetensors");
    a.save_weights(&path).unwrap();
    let mut c = regularized(99);
    c.build(&[4, 4]).unwrap();
    assert_ne!(c.predict(&x, quiet()).unwrap(), want);
    c.load_weights(&path).unwrap();
    assert_eq!(c.predict(&x, quiet()).unwrap(), want);
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn bad_settings_and_shapes_are_errors_naming_the_fix() {
    let mut m = Sequential::new(vec![
        InputLayer::new(&[4]).into(),
        Dropout::new(1.0).name("drop").into(),
    ]);
    let e = m.summary_string().unwrap_err().to_string();
    assert!(e.contains("\"drop\"") && e.contains("[0, 1)"), "{e}");

    let mut m = Sequential::new(vec![
        InputLayer::new(&[4]).into(),
        BatchNormalization::new().momentum(1.5).into(),
    ]);
    let e = m.summary_string().unwrap_err().to_string();
    assert!(e.contains("momentum"), "{e}");

    let mut m = Sequential::new(vec![
        InputLayer::new(&[4, 4]).into(),
        BatchNormalization::new().into(),
    ]);
    let e = m.summary_string().unwrap_err().to_string();
    assert!(e.contains("Flatten()"), "{e}");

    // A weights list whose moving variance is negative is refused.
    let mut m = Sequential::new(vec![
        InputLayer::new(&[2]).into(),
        BatchNormalization::new().into(),
    ]);
    let mut w = m.get_weights().unwrap();
    w[3][[0]] = -1.0;
    let e = m.set_weights(&w).unwrap_err().to_string();
    assert!(e.contains("negative variance"), "{e}");
}
