//! The book's `ch04/train_neuralnet.py`: a `TwoLayerNet` (784-50-10, sigmoid, softmax)
//! trained by mini-batch gradient descent, here on Fashion-MNIST instead of MNIST.
//!
//! ```python
//! (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, one_hot_label=True)
//! network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
//! iters_num = 10000; train_size = x_train.shape[0]; batch_size = 100; learning_rate = 0.1
//! iter_per_epoch = max(train_size / batch_size, 1)
//! for i in range(iters_num):
//!     batch_mask = np.random.choice(train_size, batch_size)
//!     x_batch = x_train[batch_mask]; t_batch = t_train[batch_mask]
//!     grad = network.gradient(x_batch, t_batch)   # or network.numerical_gradient(...)
//!     for key in ('W1', 'b1', 'W2', 'b2'):
//!         network.params[key] -= learning_rate * grad[key]
//!     loss = network.loss(x_batch, t_batch)
//!     train_loss_list.append(loss)
//!     if i % iter_per_epoch == 0:
//!         train_acc = network.accuracy(x_train, t_train)
//!         test_acc = network.accuracy(x_test, t_test)
//!         print("train acc, test acc | " + str(train_acc) + ", " + str(test_acc))
//! ```
//!
//! The analytic gradient is the default (the book's script uses it too, noting the numerical
//! one is too slow). `--numerical` uses the numerical gradient: each step costs
//! 2 x 39,760 forward passes, so it runs on a small subset with its own defaults
//! (1,000 training and test images, batch 10, 3 iterations) and shows a progress line with
//! an estimate of the time left.
//!
//! Prints the book's lines, `train acc, test acc | 0.1, 0.1` once per epoch (every 600
//! iterations, from iteration 0: 17 lines for 10,000 iterations), to stdout; a header, the
//! time taken and the figures' paths go to stderr.
//!
//! Options (book defaults in brackets): `--iters N` [10000], `--batch-size N` [100],
//! `--lr X` [0.1], `--hidden N` [50], `--train-size N` [all 60000], `--test-size N`
//! [all 10000], `--seed N` [0], `--f32` (compute in f32 instead of the book's float64),
//! `--numerical`, `--out DIR` [figures].
//!
//! The book's settings (10,000 iterations, float64) took 88 s here (`--release`, measured while
//! other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is
//! faster).
//!
//! Run: `cargo run --release -p ch04-loss-gradient --example ch04_train_neuralnet`

use ch03_activations::Float;
use ch04_loss_gradient::{ClassLabel, Labels, TwoLayerNet};
use ndarray::{Array1, Array2, s};
use plot::{Series, line_chart, out_dir_from_args};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rand_distr::{Distribution, StandardNormal};
use std::io::{IsTerminal, Write};
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
    numerical: bool,
    f32: bool,
}

impl Settings {
    fn from_args() -> Result<Settings, String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let numerical = args.iter().any(|a| a == "--numerical");
        // The numerical gradient is ~10^4 times slower: small defaults keep it to seconds.
        let mut s = Settings {
            iters: if numerical { 3 } else { 10_000 },
            batch_size: if numerical { 10 } else { 100 },
            lr: 0.1,
            hidden: 50,
            train_size: numerical.then_some(1000),
            test_size: numerical.then_some(1000),
            seed: 0,
            numerical,
            f32: false,
        };
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
                "--numerical" => {}
                "--f32" => s.f32 = true,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; options: --iters N, --batch-size N, --lr X, \
                         --hidden N, --train-size N, --test-size N, --seed N, --f32, \
                         --numerical, --out DIR"
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
    let scale = 1.0 / 255.0;
    images
        .slice(s![..n, .., ..])
        .to_shape((n, pixels))
        .expect("a (n, 28, 28) slice reshapes to (n, 784)")
        .mapv(|v| A::of(f64::from(v) * scale))
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

/// Training and test accuracy, printed once per epoch, kept for the figure.
struct Record {
    epoch: Vec<f64>,
    train_acc: Vec<f64>,
    test_acc: Vec<f64>,
    loss: Vec<f64>,
}

fn train<A>(settings: &Settings) -> Result<Record, String>
where
    A: Float + ClassLabel,
    StandardNormal: Distribution<A>,
{
    let ((x_train, y_train), (x_test, y_test)) =
        datasets::fashion_mnist::load_data().map_err(|e| e.to_string())?;
    let train_size = settings.train_size.unwrap_or(usize::MAX);
    let test_size = settings.test_size.unwrap_or(usize::MAX);
    let x_train = flatten::<A>(&x_train, train_size);
    let t_train = labels(&y_train, train_size);
    let x_test = flatten::<A>(&x_test, test_size);
    let t_test = labels(&y_test, test_size);
    let (train_size, input) = x_train.dim();
    // The book prints only its accuracy lines; everything else goes to stderr.
    eprintln!(
        "Fashion-MNIST: {train_size} training and {} test images of {input} pixels; \
         {}-{}-10 net in {}, batch {}, lr {}, {} iterations, {} gradient",
        x_test.nrows(),
        input,
        settings.hidden,
        if settings.f32 { "f32" } else { "f64" },
        settings.batch_size,
        settings.lr,
        settings.iters,
        if settings.numerical {
            "numerical"
        } else {
            "analytic (backprop)"
        }
    );

    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut net = TwoLayerNet::<A>::new(input, settings.hidden, 10, 0.01, &mut rng)
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
        loss: vec![],
    };
    let start = Instant::now();
    let mut eval_time = Duration::ZERO;
    let mut evaluate = |i: usize, net: &TwoLayerNet<A>, record: &mut Record| {
        let t0 = Instant::now();
        let train_acc = net
            .accuracy(&x_train, Labels::Sparse(t_train.view()))
            .expect("shapes checked");
        let test_acc = net
            .accuracy(&x_test, Labels::Sparse(t_test.view()))
            .expect("shapes checked");
        eval_time += t0.elapsed();
        let epoch = i as f64 / iter_per_epoch as f64;
        println!("train acc, test acc | {train_acc:?}, {test_acc:?}");
        record.epoch.push(epoch);
        record.train_acc.push(train_acc);
        record.test_acc.push(test_acc);
    };

    let progress_to_terminal = std::io::stderr().is_terminal();
    for i in 0..settings.iters {
        // `np.random.choice(train_size, batch_size)`: drawn with replacement.
        for k in 0..batch {
            let j = rng.random_range(0..train_size);
            x_batch.row_mut(k).assign(&x_train.row(j));
            t_batch[k] = t_train[j];
        }
        let t = Labels::Sparse(t_batch.view());
        let grads = if settings.numerical {
            let step_start = Instant::now();
            let mut last = Instant::now();
            let grads = net.numerical_gradient_with_progress(&x_batch, t, |done, total| {
                // A redrawn line twice a second on a terminal; a line per 10% in a log.
                let due = if progress_to_terminal {
                    last.elapsed() >= Duration::from_millis(500) || done == total
                } else {
                    done.is_multiple_of((total / 10).max(1)) || done == total
                };
                if !due {
                    return;
                }
                last = Instant::now();
                let elapsed = step_start.elapsed().as_secs_f64();
                let per_eval = elapsed / done as f64;
                let left_step = per_eval * (total - done) as f64;
                let left_all = left_step + per_eval * (total * (settings.iters - i - 1)) as f64;
                let line = format!(
                    "step {}/{}: {done}/{total} loss evaluations ({:.0}%), {} left in this \
                     step, ~{} left in all",
                    i + 1,
                    settings.iters,
                    100.0 * done as f64 / total as f64,
                    human(Duration::from_secs_f64(left_step)),
                    human(Duration::from_secs_f64(left_all)),
                );
                if progress_to_terminal {
                    eprint!("\r{line}\x1b[K");
                    let _ = std::io::stderr().flush();
                } else {
                    eprintln!("{line}");
                }
            });
            if progress_to_terminal {
                eprintln!();
            }
            grads
        } else {
            net.gradient(&x_batch, t)
        }
        .map_err(|e| e.to_string())?;
        net.update(&grads, lr);
        let loss = net.loss(&x_batch, t).map_err(|e| e.to_string())?;
        record.loss.push(loss.as_f64());
        if !loss.as_f64().is_finite() {
            return Err(format!(
                "the loss became {} at iteration {i}; lower --lr (the book uses 0.1)",
                loss
            ));
        }
        if i.is_multiple_of(iter_per_epoch) {
            evaluate(i, &net, &mut record);
        }
    }
    let total = start.elapsed();
    eprintln!(
        "{} iterations in {} ({:.2} ms/iteration without the accuracy passes, which took {})",
        settings.iters,
        human(total),
        (total - eval_time).as_secs_f64() * 1e3 / settings.iters as f64,
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
    let which = if settings.numerical {
        "numerical gradient"
    } else {
        "backprop"
    };
    let acc = out.join("ch04_train_neuralnet_accuracy.png");
    let points = |v: &[f64]| {
        record
            .epoch
            .iter()
            .copied()
            .zip(v.iter().copied())
            .collect()
    };
    line_chart(
        &acc,
        &format!("TwoLayerNet, Fashion-MNIST, {which}: accuracy"),
        "epochs",
        "accuracy",
        &[
            Series::new("train acc", points(&record.train_acc)),
            Series::new("test acc", points(&record.test_acc)),
        ],
        Some((0.0, 1.0)),
    )
    .map_err(|e| e.to_string())?;
    eprintln!("{}", acc.display());
    let loss = out.join("ch04_train_neuralnet_loss.png");
    let curve = record
        .loss
        .iter()
        .enumerate()
        .map(|(i, &l)| (i as f64, l))
        .collect();
    line_chart(
        &loss,
        &format!("TwoLayerNet, Fashion-MNIST, {which}: batch loss"),
        "iteration",
        "loss",
        &[Series::new("", curve)],
        None,
    )
    .map_err(|e| e.to_string())?;
    eprintln!("{}", loss.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
