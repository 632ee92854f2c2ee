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
//! ```
//!
//! As in the version of the tutorial KERAS_REFERENCE.md quotes, the last layer has a softmax
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
//! tutorial's numbers vary with the initial weights; a fixed seed makes a run repeatable).

use keras_lite::layers::{Dense, Flatten};
use keras_lite::{EvaluateOptions, FitOptions, Sequential};
use ndarray::Array3;
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    epochs: usize,
    batch_size: usize,
    verbose: u8,
    seed: u64,
}

const USAGE: &str =
    "usage: fashion_mnist [--epochs N] [--batch-size N] [--verbose 0|1|2] [--seed N]";

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
    model.fit(
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
