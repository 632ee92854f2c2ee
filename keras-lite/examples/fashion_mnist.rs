//! TensorFlow's beginner tutorial ("Basic classification: Classify images of clothing"), in
//! keras-lite. The Python it recreates:
//!
//! ```python
//! fashion_mnist = tf.keras.datasets.fashion_mnist
//! (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
//! train_images = train_images / 255.0
//! test_images = test_images / 255.0
//! model = tf.keras.Sequential([
//!     tf.keras.layers.Flatten(input_shape=(28, 28)),
//!     tf.keras.layers.Dense(128, activation='relu'),
//!     tf.keras.layers.Dense(10)
//! ])
//! model.compile(optimizer='adam',
//!               loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
//!               metrics=['accuracy'])
//! model.fit(train_images, train_labels, epochs=10)
//! test_loss, test_acc = model.evaluate(test_images,  test_labels, verbose=2)
//! print('\nTest accuracy:', test_acc)
//! probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
//! predictions = probability_model.predict(test_images)
//! num_rows, num_cols = 5, 3            # the first 15 test images, with plot_image and
//! ...                                  # plot_value_array side by side
//! ```
//!
//! As in the version of the tutorial `scripts/keras_seed.py` runs, the last layer has a softmax
//! and the loss is `sparse_categorical_crossentropy` by name (keras-lite still trains it from
//! the logits), and 5 epochs.
//!
//! ```text
//! cargo run -p keras-lite --example fashion_mnist                # as the project's card says
//! cargo run --release -p keras-lite --example fashion_mnist      # faster still
//! cargo run -p keras-lite --example fashion_mnist -- --epochs 10 --batch-size 64 --verbose 2
//! ```
//!
//! Flags: `--epochs N` (5), `--batch-size N` (32), `--verbose 0|1|2` (1), `--seed N` (42: the
//! tutorial's numbers vary with the initial weights; a fixed seed makes a run repeatable),
//! `--out DIR` (`figures/`).
//!
//! After the tutorial's output it writes two pictures to `--out` and prints their paths:
//! `fashion_mnist_history.png` (loss and accuracy per epoch, the `plot` crate's
//! [`plot_history`]) and `fashion_mnist_predictions.png` (the tutorial's figure: the
//! first 15 test images with predicted class, confidence and true class, blue when right and
//! red when wrong, each beside the bar chart of its 10 probabilities, [`plot_predictions`]),
//! then `fashion_mnist_mistakes.png`, the same figure for the first 15 test images the model
//! gets wrong. The training time printed covers `fit` only.

use datasets::fashion_mnist::CLASS_NAMES;
use keras_lite::layers::{Dense, Flatten};
use keras_lite::metrics::argmax;
use keras_lite::{EvaluateOptions, FitOptions, PredictOptions, Sequential};
use ndarray::{Array3, Axis, s};
use plot::predictions::plot_predictions;
use plot::training::plot_history;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    epochs: usize,
    batch_size: usize,
    verbose: u8,
    seed: u64,
}

const USAGE: &str = "usage: fashion_mnist [--epochs N] [--batch-size N] [--verbose 0|1|2] \
                     [--seed N] [--out DIR]";

/// The tutorial's prediction grid: 5 rows of 3 (image, bar chart) pairs.
const GRID: (usize, usize) = (5, 3);

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 5,
        batch_size: 32,
        verbose: 1,
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        if flag == "--out" || flag.starts_with("--out=") {
            if flag == "--out" {
                it.next(); // read by plot's out_dir_from_args
            }
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag} {value:?}: expected {what}\n{USAGE}");
        match flag.as_str() {
            "--epochs" => args.epochs = value.parse().map_err(|_| bad("a number of epochs"))?,
            "--batch-size" => args.batch_size = value.parse().map_err(|_| bad("a batch size"))?,
            "--verbose" => args.verbose = value.parse().map_err(|_| bad("0, 1 or 2"))?,
            "--seed" => args.seed = value.parse().map_err(|_| bad("an integer seed"))?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// Pixels 0..=255 to 0.0..=1.0 in `f32` (Keras' floatx): the tutorial's `x / 255.0`. Takes the
/// `u8` images by value so that they are freed once converted.
fn normalize(images: Array3<u8>) -> Array3<f32> {
    images.mapv(|p| f32::from(p) / 255.0)
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let out = plot::out_dir_from_args()?;
    keras_lite::backend::set_random_seed(args.seed);
    let ((x_train, y_train), (x_test, y_test)) = datasets::fashion_mnist::load_data()?;
    let (x_train, x_test) = (normalize(x_train), normalize(x_test));

    let mut model = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
    model.summary()?;

    let start = Instant::now();
    let history = model.fit(
        &x_train,
        &y_train,
        FitOptions {
            epochs: args.epochs,
            batch_size: args.batch_size,
            verbose: args.verbose,
            ..Default::default()
        },
    )?;
    let training = start.elapsed().as_secs_f64();

    let result = model.evaluate(
        &x_test,
        &y_test,
        EvaluateOptions {
            verbose: 2,
            ..Default::default()
        },
    )?;
    println!("\nTest accuracy: {:.4}", result["accuracy"]);
    println!(
        "Training time: {} epochs in {:.2} s ({:.3} s/epoch)",
        args.epochs,
        training,
        training / args.epochs.max(1) as f64
    );

    let path = out.join("fashion_mnist_history.png");
    let series: Vec<(&str, &[f64])> = history.series().collect();
    plot_history(&path, &history.epoch, &series)?;
    println!("wrote {}", path.display());

    // The tutorial's figure: the model already ends in softmax, so predict gives the
    // probabilities (its probability_model).
    let probabilities = model.predict(
        &x_test,
        PredictOptions {
            verbose: 0,
            ..Default::default()
        },
    )?;
    let labels: Vec<usize> = y_test.iter().map(|&c| usize::from(c)).collect();
    let predicted: Vec<usize> = probabilities.rows().into_iter().map(argmax).collect();
    let (rows, cols) = GRID;
    let n = rows * cols;
    let path = out.join("fashion_mnist_predictions.png");
    plot_predictions(
        &path,
        x_test.slice(s![..n, .., ..]),
        probabilities.slice(s![..n, ..]),
        &predicted[..n],
        &labels[..n],
        &CLASS_NAMES,
        GRID,
    )?;
    println!("wrote {}", path.display());

    // The same figure for the first test images the model gets wrong (all in red), to see
    // which classes it confuses.
    let wrong: Vec<usize> = (0..labels.len())
        .filter(|&i| predicted[i] != labels[i])
        .take(n)
        .collect();
    if wrong.len() == n {
        let path = out.join("fashion_mnist_mistakes.png");
        let pick = |v: &[usize]| wrong.iter().map(|&i| v[i]).collect::<Vec<_>>();
        plot_predictions(
            &path,
            x_test.select(Axis(0), &wrong).view(),
            probabilities.select(Axis(0), &wrong).view(),
            &pick(&predicted),
            &pick(&labels),
            &CLASS_NAMES,
            GRID,
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
