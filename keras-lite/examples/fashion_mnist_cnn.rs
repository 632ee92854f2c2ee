//! A small convolutional network on Fashion-MNIST, the step Keras users take after the beginner
//! tutorial (and the book's chapter 7 in Keras form). The Python it recreates:
//!
//! ```python
//! x_train = (x_train / 255.0).reshape(-1, 28, 28, 1)      # images get a channel axis
//! model = tf.keras.Sequential([
//!     tf.keras.layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
//!     tf.keras.layers.MaxPooling2D(2),
//!     tf.keras.layers.Conv2D(64, 3, activation="relu"),
//!     tf.keras.layers.MaxPooling2D(2),
//!     tf.keras.layers.Flatten(),
//!     tf.keras.layers.Dense(128, activation="relu"),
//!     tf.keras.layers.Dense(10, activation="softmax"),
//! ])
//! model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
//! model.summary()
//! model.fit(x_train, y_train, epochs=5, batch_size=32)
//! test_loss, test_acc = model.evaluate(x_test, y_test, verbose=2)
//! ```
//!
//! ```text
//! cargo run --release -p keras-lite --example fashion_mnist_cnn
//! cargo run -p keras-lite --example fashion_mnist_cnn -- --epochs 1 --train-size 2000 --test-size 1000
//! ```
//!
//! Flags: `--epochs N` (5), `--batch-size N` (32), `--verbose 0|1|2` (1), `--seed N` (42),
//! `--train-size N` and `--test-size N` (the first N images; all by default, fewer for a quick
//! run), `--out DIR` (`figures/`): where `fashion_mnist_cnn_history.png` (loss and accuracy per
//! epoch) goes, `--save DIR`: the trained model (`model.save`: `config.json` and
//! `model.weights.safetensors`, whose tensors `conv2d/kernel` (3, 3, 1, 32), ... Python's Keras
//! reads unchanged). The timing line covers `fit` only and gives the arithmetic rate: the
//! convolutions and Dense layers' multiply-adds, three products per layer in training (two for
//! the first, whose input gradient nothing needs).

use keras_lite::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use keras_lite::{EvaluateOptions, FitOptions, Sequential};
use ndarray::{Array3, Array4, Axis, s};
use plot::training::plot_history;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    epochs: usize,
    batch_size: usize,
    verbose: u8,
    seed: u64,
    train_size: Option<usize>,
    test_size: Option<usize>,
    save: Option<std::path::PathBuf>,
}

const USAGE: &str = "usage: fashion_mnist_cnn [--epochs N] [--batch-size N] [--verbose 0|1|2] \
                     [--seed N] [--train-size N] [--test-size N] [--out DIR] [--save DIR]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        epochs: 5,
        batch_size: 32,
        verbose: 1,
        seed: 42,
        train_size: None,
        test_size: None,
        save: None,
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
            "--train-size" => {
                args.train_size = Some(value.parse().map_err(|_| bad("a number of images"))?)
            }
            "--test-size" => {
                args.test_size = Some(value.parse().map_err(|_| bad("a number of images"))?)
            }
            "--save" => args.save = Some(value.into()),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// The first `n` images (all when `None`), pixels to 0..1 in `f32`, with Keras' channel axis:
/// `(N, 28, 28)` -> `(N, 28, 28, 1)`.
fn images(x: Array3<u8>, n: Option<usize>) -> Array4<f32> {
    let n = n.unwrap_or(x.len_of(Axis(0))).min(x.len_of(Axis(0)));
    x.slice(s![..n, .., ..])
        .mapv(|p| f32::from(p) / 255.0)
        .insert_axis(Axis(3))
}

/// Multiply-adds x 2 of one training sample: forward `2 m k n` per product, backward twice
/// that (dW and dx), except the first layer's dx.
fn train_flop_per_sample() -> f64 {
    let conv1 = 2.0 * (26.0 * 26.0) * 32.0 * (3.0 * 3.0 * 1.0);
    let conv2 = 2.0 * (11.0 * 11.0) * 64.0 * (3.0 * 3.0 * 32.0);
    let dense = 2.0 * 1600.0 * 128.0 + 2.0 * 128.0 * 10.0;
    2.0 * conv1 + 3.0 * (conv2 + dense)
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let out = plot::out_dir_from_args()?;
    keras_lite::backend::set_random_seed(args.seed);
    let ((x_train, y_train), (x_test, y_test)) = datasets::fashion_mnist::load_data()?;
    let x_train = images(x_train, args.train_size);
    let y_train = y_train.slice(s![..x_train.len_of(Axis(0))]).to_owned();
    let x_test = images(x_test, args.test_size);
    let y_test = y_test.slice(s![..x_test.len_of(Axis(0))]).to_owned();

    let mut model = Sequential::new(vec![
        Conv2D::new(32, 3)
            .activation("relu")
            .input_shape(&[28, 28, 1])
            .into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(64, 3).activation("relu").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
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
    let samples = (x_train.len_of(Axis(0)) * args.epochs) as f64;
    println!(
        "Training time: {} epochs in {:.2} s ({:.3} s/epoch, {:.1} GFLOP/s on {} samples/epoch)",
        args.epochs,
        training,
        training / args.epochs.max(1) as f64,
        train_flop_per_sample() * samples / training.max(1e-9) / 1e9,
        x_train.len_of(Axis(0))
    );

    if let Some(dir) = &args.save {
        model.save(dir)?;
        println!("saved the model to {}", dir.display());
    }
    let path = out.join("fashion_mnist_cnn_history.png");
    let series: Vec<(&str, &[f64])> = history.series().collect();
    plot_history(&path, &history.epoch, &series)?;
    println!("wrote {}", path.display());
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
