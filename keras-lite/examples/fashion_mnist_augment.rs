//! The Fashion-MNIST tutorial trained on images augmented on the fly: every epoch sees each
//! training image shifted by up to 2 pixels and, half of the time, mirrored left to right.
//! The batches are made by a batch source (`keras_lite::sequence::Sequence`, Keras'
//! `keras.utils.Sequence`) on prefetching threads while the model trains. The Python it
//! stands for:
//!
//! ```python
//! class Augmented(tf.keras.utils.Sequence):
//!     def __len__(self): return math.ceil(len(x_train) / batch_size)
//!     def __getitem__(self, i): ...   # shift, flip, / 255
//!     def on_epoch_end(self): ...     # next epoch: new order, new random shifts
//! model.fit(Augmented(), epochs=5, validation_data=(x_test, y_test), workers=2, max_queue_size=10)
//! ```
//!
//! ```text
//! cargo run --release -p keras-lite --example fashion_mnist_augment
//! cargo run --release -p keras-lite --example fashion_mnist_augment -- --epochs 2 --workers 2 --out figures
//! ```
//!
//! Flags: `--epochs N` (5), `--batch-size N` (32), `--workers N` (2), `--max-queue-size N`
//! (10), `--shift PIXELS` (2), `--seed N` (42), `--verbose 0|1|2` (1), `--out DIR` (figures/).
//! Writes `augmented_samples.png` (originals and their augmented versions) and
//! `augment_history.png` (loss and accuracy per epoch) to `--out`.

use datasets::fashion_mnist::CLASS_NAMES;
use keras_lite::layers::{Dense, Flatten};
use keras_lite::sequence::{ArraySequence, Batch, Sequence, SequenceFitOptions};
use keras_lite::{EvaluateOptions, FitOptions, Sequential};
use ndarray::{Array1, Array3, ArrayView2, ArrayViewMut2, Axis};
use plot::images::plot_images;
use plot::training::plot_history;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::process::ExitCode;
use std::time::Instant;

/// SplitMix64: mixes (seed, epoch, index) into the seed of one batch's generator, so that a
/// batch is the same whichever thread makes it and whenever.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Writes `src` (u8 pixels) into `dst` (0..1 floats) moved by (dy, dx), mirrored first if
/// `flip`; pixels moved in from outside are 0 (background).
fn augment(src: ArrayView2<'_, u8>, mut dst: ArrayViewMut2<'_, f32>, dy: i32, dx: i32, flip: bool) {
    let (h, w) = src.dim();
    for r in 0..h as i32 {
        for c in 0..w as i32 {
            let (sr, sc) = (r - dy, c - dx);
            let v = if sr < 0 || sc < 0 || sr >= h as i32 || sc >= w as i32 {
                0
            } else {
                let sc = if flip { w as i32 - 1 - sc } else { sc };
                src[[sr as usize, sc as usize]]
            };
            dst[[r as usize, c as usize]] = f32::from(v) / 255.0;
        }
    }
}

/// The training images, shifted and flipped anew every epoch.
struct Augmented<'a> {
    x: &'a Array3<u8>,
    y: &'a Array1<u8>,
    batch_size: usize,
    shift: i32,
    seed: u64,
    epoch: u64,
    order: Vec<usize>,
}

impl Augmented<'_> {
    /// The generator of batch `index` in the current epoch.
    fn rng(&self, index: usize) -> StdRng {
        StdRng::seed_from_u64(mix(self.seed ^ mix(self.epoch ^ mix(index as u64))))
    }
}

impl Sequence for Augmented<'_> {
    fn len(&self) -> usize {
        self.order.len().div_ceil(self.batch_size)
    }

    fn get(&self, index: usize) -> keras_lite::Result<Batch> {
        let start = index * self.batch_size;
        let idx = &self.order[start..(start + self.batch_size).min(self.order.len())];
        let (h, w) = (self.x.shape()[1], self.x.shape()[2]);
        let mut x = Array3::<f32>::zeros((idx.len(), h, w));
        let mut y = Array1::<f32>::zeros(idx.len());
        let mut rng = self.rng(index);
        for (j, &i) in idx.iter().enumerate() {
            let dy = rng.random_range(-self.shift..=self.shift);
            let dx = rng.random_range(-self.shift..=self.shift);
            let flip = rng.random_bool(0.5);
            augment(
                self.x.index_axis(Axis(0), i),
                x.index_axis_mut(Axis(0), j),
                dy,
                dx,
                flip,
            );
            y[j] = f32::from(self.y[i]);
        }
        Ok(Batch::new(x.into_dyn(), y.into_dyn()))
    }

    fn on_epoch_end(&mut self) {
        self.epoch += 1;
        let mut rng = StdRng::seed_from_u64(mix(self.seed ^ mix(self.epoch)));
        self.order.shuffle(&mut rng);
    }
}

struct Args {
    epochs: usize,
    batch_size: usize,
    workers: usize,
    max_queue_size: usize,
    shift: i32,
    seed: u64,
    verbose: u8,
}

const USAGE: &str = "usage: fashion_mnist_augment [--epochs N] [--batch-size N] [--workers N] \
                     [--max-queue-size N] [--shift PIXELS] [--seed N] [--verbose 0|1|2] [--out DIR]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        epochs: 5,
        batch_size: 32,
        workers: 2,
        max_queue_size: 10,
        shift: 2,
        seed: 42,
        verbose: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        if flag.starts_with("--out") {
            if flag == "--out" {
                it.next(); // read by out_dir_from_args
            }
            continue;
        }
        let value = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag} {value:?}: expected {what}\n{USAGE}");
        match flag.as_str() {
            "--epochs" => a.epochs = value.parse().map_err(|_| bad("a number of epochs"))?,
            "--batch-size" => a.batch_size = value.parse().map_err(|_| bad("a batch size"))?,
            "--workers" => a.workers = value.parse().map_err(|_| bad("a number of threads"))?,
            "--max-queue-size" => {
                a.max_queue_size = value.parse().map_err(|_| bad("a number of batches"))?
            }
            "--shift" => a.shift = value.parse().map_err(|_| bad("pixels, e.g. 2"))?,
            "--seed" => a.seed = value.parse().map_err(|_| bad("an integer seed"))?,
            "--verbose" => a.verbose = value.parse().map_err(|_| bad("0, 1 or 2"))?,
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if a.batch_size == 0 || !(0..=14).contains(&a.shift) {
        return Err(format!(
            "--batch-size must be >= 1 and --shift in 0..=14\n{USAGE}"
        ));
    }
    Ok(a)
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let out = plot::out_dir_from_args()?;
    keras_lite::backend::set_random_seed(args.seed);
    let ((x_train, y_train), (x_test, y_test)) = datasets::fashion_mnist::load_data()?;
    let mut train = Augmented {
        x: &x_train,
        y: &y_train,
        batch_size: args.batch_size,
        shift: args.shift,
        seed: args.seed,
        epoch: 0,
        order: (0..x_train.shape()[0]).collect(),
    };
    let x_test_f = x_test.mapv(|p| f32::from(p) / 255.0);
    let y_test_f = y_test.mapv(f32::from);
    let validation = ArraySequence::new(
        x_test_f.clone().into_dyn(),
        y_test_f.clone().into_dyn(),
        args.batch_size,
    )?;

    // What the model sees: 6 images, each as it is and in 5 augmented versions.
    let mut samples = Array3::<f32>::zeros((36, 28, 28));
    let mut captions = Vec::new();
    let mut rng = StdRng::seed_from_u64(args.seed);
    for k in 0..6 {
        let i = k * 7;
        augment(
            x_train.index_axis(Axis(0), i),
            samples.index_axis_mut(Axis(0), 6 * k),
            0,
            0,
            false,
        );
        captions.push(format!(
            "{} (original)",
            CLASS_NAMES[usize::from(y_train[i])]
        ));
        for v in 1..6 {
            let (dy, dx) = (
                rng.random_range(-args.shift..=args.shift),
                rng.random_range(-args.shift..=args.shift),
            );
            let flip = rng.random_bool(0.5);
            augment(
                x_train.index_axis(Axis(0), i),
                samples.index_axis_mut(Axis(0), 6 * k + v),
                dy,
                dx,
                flip,
            );
            captions.push(format!(
                "dy {dy:+} dx {dx:+}{}",
                if flip { " flip" } else { "" }
            ));
        }
    }
    let path = out.join("augmented_samples.png");
    plot_images(&path, samples.view(), &captions, (6, 6))?;
    println!("wrote {}", path.display());

    let mut model = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
    model.summary()?;
    let start = Instant::now();
    let history = model.fit_sequence(
        &mut train,
        FitOptions {
            epochs: args.epochs,
            verbose: args.verbose,
            ..Default::default()
        },
        SequenceFitOptions {
            validation_data: Some(&validation),
            workers: args.workers,
            max_queue_size: args.max_queue_size,
        },
    )?;
    let training = start.elapsed().as_secs_f64();
    let result = model.evaluate(
        &x_test_f,
        &y_test_f,
        EvaluateOptions {
            verbose: 2,
            ..Default::default()
        },
    )?;
    println!("\nTest accuracy: {:.4}", result["accuracy"]);
    println!(
        "Training time: {} epochs in {:.2} s ({:.3} s/epoch, {} workers)",
        args.epochs,
        training,
        training / args.epochs.max(1) as f64,
        args.workers
    );
    let path = out.join("augment_history.png");
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
