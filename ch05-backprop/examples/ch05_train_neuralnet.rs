//! Book 5.7.4 (`ch05/train_neuralnet.py`): the layered `TwoLayerNet` (784-50-10, ReLU)
//! trained by backpropagation, mini-batch SGD, here on Fashion-MNIST instead of MNIST.
//!
//! ```python
//! (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
//! network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
//! iters_num = 10000; train_size = x_train.shape[0]; batch_size = 100; learning_rate = 0.1
//! iter_per_epoch = max(train_size / batch_size, 1)
//! for i in range(iters_num):
//!     batch_mask = np.random.choice(train_size, batch_size)
//!     x_batch = x_train[batch_mask]; t_batch = t_train[batch_mask]
//!     grad = network.gradient(x_batch, t_batch)          # backprop
//!     for key in ('W1', 'b1', 'W2', 'b2'):
//!         network.params[key] -= learning_rate * grad[key]
//!     loss = network.loss(x_batch, t_batch)
//!     train_loss_list.append(loss)
//!     if i % iter_per_epoch == 0:
//!         train_acc = network.accuracy(x_train, t_train)
//!         test_acc = network.accuracy(x_test, t_test)
//!         print(train_acc, test_acc)
//! ```
//!
//! Each line prints the book's two numbers (train and test accuracy), then the epoch and the
//! time so far. The step is `forward_backward` (the book's `gradient` without copying the
//! gradients out) followed by `p -= lr * grad` through `for_each_param`: nothing is allocated
//! per step. The loss curve records the loss of each batch *before* its update, which the
//! forward pass computed anyway (the book runs one more forward pass after the update).
//!
//! Options (book defaults in brackets): `--iters N` [10000], `--batch-size N` [100],
//! `--lr X` [0.1], `--hidden N` [50], `--train-size N` [all 60000], `--test-size N`
//! [all 10000], `--seed N` [0], `--f32` (compute in f32, Keras' default, instead of NumPy's
//! float64), `--out DIR` [figures]. A short run for CI: `--iters 1200 --train-size 6000`.
//!
//! Writes `ch05_train_neuralnet_accuracy.png` (accuracy per epoch, the book's figure 4-11 for
//! this network) and `ch05_train_neuralnet_loss.png` (the batch loss, averaged over runs of
//! iterations so that the curve stays readable).
//!
//! The book's settings (10,000 iterations, float64) took 74 s here (`--release`, measured while
//! other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is
//! faster).
//!
//! Run: `cargo run --release -p ch05-backprop --example ch05_train_neuralnet`

use ch03_activations::Float;
use ch04_loss_gradient::Labels;
use ch05_backprop::TwoLayerNet;
use ndarray::{Array1, Array2, s};
use plot::{Series, line_chart, out_dir_from_args};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The run's settings, from the command line.
#[derive(Debug)]
struct Settings {
    iters: usize,
    batch_size: usize,
    lr: f64,
    hidden: usize,
    train_size: Option<usize>,
    test_size: Option<usize>,
    seed: u64,
    f32: bool,
}

impl Settings {
    fn from_args() -> Result<Settings, String> {
        let mut s = Settings {
            iters: 10_000,
            batch_size: 100,
            lr: 0.1,
            hidden: 50,
            train_size: None,
            test_size: None,
            seed: 0,
            f32: false,
        };
        let args: Vec<String> = std::env::args().skip(1).collect();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let mut value = |what: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{arg} needs a value ({what})"))
            };
            let count = |v: String, name: &str| -> Result<usize, String> {
                v.parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{name} takes a whole number >= 1, got {v:?}"))
            };
            match arg.as_str() {
                "--iters" => s.iters = count(value("iterations")?, "--iters")?,
                "--batch-size" => s.batch_size = count(value("samples")?, "--batch-size")?,
                "--hidden" => s.hidden = count(value("units")?, "--hidden")?,
                "--train-size" => s.train_size = Some(count(value("images")?, "--train-size")?),
                "--test-size" => s.test_size = Some(count(value("images")?, "--test-size")?),
                "--lr" => {
                    let v = value("learning rate")?;
                    s.lr = v
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && *x > 0.0)
                        .ok_or_else(|| format!("--lr takes a number > 0, got {v:?}"))?;
                }
                "--seed" => {
                    let v = value("a whole number")?;
                    s.seed = v
                        .parse()
                        .map_err(|_| format!("--seed takes a whole number >= 0, got {v:?}"))?;
                }
                // Read by `out_dir_from_args`.
                "--out" => drop(value("a directory")?),
                "--f32" => s.f32 = true,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; options: --iters N, --batch-size N, --lr X, \
                         --hidden N, --train-size N, --test-size N, --seed N, --f32, --out DIR"
                    ));
                }
            }
        }
        Ok(s)
    }
}

/// Images (n, 28, 28) of 0..=255 as rows (n, 784) of 0..=1 (the book's `normalize=True`).
fn flatten<A: Float>(images: &ndarray::Array3<u8>, n: usize) -> Array2<A> {
    let n = n.min(images.shape()[0]);
    let pixels = images.shape()[1] * images.shape()[2];
    images
        .slice(s![..n, .., ..])
        .to_shape((n, pixels))
        .expect("a (n, 28, 28) slice reshapes to (n, 784)")
        .mapv(|v| A::of(f64::from(v) / 255.0))
}

fn labels(y: &Array1<u8>, n: usize) -> Array1<usize> {
    y.slice(s![..n.min(y.len())]).mapv(usize::from)
}

/// `1m 05s` or `12.3s`.
fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 60.0 {
        format!("{}m {:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!("{secs:.1}s")
    }
}

/// What the run measured, for the figures and the summary.
struct Record {
    epoch: Vec<f64>,
    train_acc: Vec<f64>,
    test_acc: Vec<f64>,
    loss: Vec<f64>,
}

fn train<A>(settings: &Settings) -> Result<Record, String>
where
    A: Float,
    StandardNormal: Distribution<A>,
{
    let ((x_train, y_train), (x_test, y_test)) =
        datasets::fashion_mnist::load_data().map_err(|e| e.to_string())?;
    let x_train = flatten::<A>(&x_train, settings.train_size.unwrap_or(usize::MAX));
    let t_train = labels(&y_train, settings.train_size.unwrap_or(usize::MAX));
    let x_test = flatten::<A>(&x_test, settings.test_size.unwrap_or(usize::MAX));
    let t_test = labels(&y_test, settings.test_size.unwrap_or(usize::MAX));
    let (train_size, input) = x_train.dim();
    println!(
        "Fashion-MNIST: {train_size} training and {} test images of {input} pixels; \
         {input}-{}-10 ReLU net in {}, batch {}, lr {}, {} iterations, backprop",
        x_test.nrows(),
        settings.hidden,
        if settings.f32 { "f32" } else { "f64" },
        settings.batch_size,
        settings.lr,
        settings.iters,
    );
    println!("train acc, test acc:");

    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut network = TwoLayerNet::<A>::new(input, settings.hidden, 10, 0.01, &mut rng)
        .map_err(|e| e.to_string())?;
    let batch = settings.batch_size;
    let iter_per_epoch = (train_size / batch).max(1);
    let lr = A::of(settings.lr);
    let mut x_batch = Array2::<A>::zeros((batch, input));
    let mut t_batch = Array1::<usize>::zeros(batch);
    let mut record = Record {
        epoch: vec![],
        train_acc: vec![],
        test_acc: vec![],
        loss: Vec::with_capacity(settings.iters),
    };

    let start = Instant::now();
    let mut eval_time = Duration::ZERO;
    let mut evaluate = |i: usize, network: &mut TwoLayerNet<A>, record: &mut Record| {
        let t0 = Instant::now();
        let train_acc = network
            .accuracy(&x_train, Labels::Sparse(t_train.view()))
            .expect("shapes checked");
        let test_acc = network
            .accuracy(&x_test, Labels::Sparse(t_test.view()))
            .expect("shapes checked");
        eval_time += t0.elapsed();
        let epoch = i as f64 / iter_per_epoch as f64;
        // the book's `print(train_acc, test_acc)`, then where we are
        println!(
            "{train_acc:?} {test_acc:?}    (epoch {epoch:.0}, {})",
            human(start.elapsed())
        );
        record.epoch.push(epoch);
        record.train_acc.push(train_acc);
        record.test_acc.push(test_acc);
    };

    for i in 0..settings.iters {
        // `np.random.choice(train_size, batch_size)`: drawn with replacement.
        for k in 0..batch {
            let j = rng.random_range(0..train_size);
            x_batch.row_mut(k).assign(&x_train.row(j));
            t_batch[k] = t_train[j];
        }
        let loss = network
            .forward_backward(&x_batch, Labels::Sparse(t_batch.view()))
            .map_err(|e| e.to_string())?;
        // params[key] -= learning_rate * grad[key]
        network.for_each_param(&mut |mut p| p.value.scaled_add(-lr, &p.grad));
        record.loss.push(loss.as_f64());
        if !loss.as_f64().is_finite() {
            return Err(format!(
                "the loss became {loss} at iteration {i}; lower --lr (the book uses 0.1)"
            ));
        }
        if i.is_multiple_of(iter_per_epoch) {
            evaluate(i, &mut network, &mut record);
        }
    }
    let total = start.elapsed();
    println!(
        "{} iterations in {} ({:.3} ms/iteration for the training steps; the {} accuracy \
         passes took {})",
        settings.iters,
        human(total),
        (total - eval_time).as_secs_f64() * 1e3 / settings.iters as f64,
        record.epoch.len(),
        human(eval_time)
    );
    Ok(record)
}

fn run() -> Result<(), String> {
    let settings = Settings::from_args()?;
    let out = out_dir_from_args().map_err(|e| e.to_string())?;
    let record = if settings.f32 {
        train::<f32>(&settings)?
    } else {
        train::<f64>(&settings)?
    };
    let points = |v: &[f64]| {
        record
            .epoch
            .iter()
            .copied()
            .zip(v.iter().copied())
            .collect()
    };
    let acc = out.join("ch05_train_neuralnet_accuracy.png");
    line_chart(
        &acc,
        "TwoLayerNet (ReLU, backprop), Fashion-MNIST: accuracy",
        "epochs",
        "accuracy",
        &[
            Series::new("train acc", points(&record.train_acc)),
            Series::new("test acc", points(&record.test_acc)),
        ],
        Some((0.0, 1.0)),
    )
    .map_err(|e| e.to_string())?;
    println!("{}", acc.display());
    let loss = out.join("ch05_train_neuralnet_loss.png");
    // 10,000 noisy points make an unreadable smear at 800 pixels: plot the mean of each run
    // of `window` iterations (the book plots the raw list).
    let window = (record.loss.len() / 200).max(1);
    let curve = record
        .loss
        .chunks(window)
        .enumerate()
        .map(|(k, c)| {
            let mid = (k * window) as f64 + (c.len() as f64 - 1.0) / 2.0;
            (mid, c.iter().sum::<f64>() / c.len() as f64)
        })
        .collect();
    line_chart(
        &loss,
        "TwoLayerNet (ReLU, backprop), Fashion-MNIST: batch loss",
        "iteration",
        "loss",
        &[Series::new(
            format!("train loss, mean of {window} iterations"),
            curve,
        )],
        None,
    )
    .map_err(|e| e.to_string())?;
    println!("{}", loss.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ch05_train_neuralnet: {e}");
            ExitCode::FAILURE
        }
    }
}
