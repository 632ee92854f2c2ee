//! The book's `ch06/optimizer_compare_mnist.py` (figure 6-9), on Fashion-MNIST: the same
//! 5-layer network (`MultiLayerNet`, hidden `[100, 100, 100, 100]`, ReLU, He init) trained
//! from the same initial weights by SGD, Momentum, AdaGrad and Adam (the book's defaults,
//! lr 0.01 except Adam's 0.001), batch 128; the smoothed training loss of each.
//!
//! Default: the book's 2000 iterations, in float64 as the book: about 2.5 min here, an
//! estimate from 200 iterations in 15 s (`--release`, measured while other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is faster). `--iters N` shortens it (CI: 200). Add
//! `--keras` to also train with Keras' RMSprop, Nadam and AdamW (their defaults).
//!
//! The loss recorded (and printed) is the book's: computed after the update, on the same
//! mini-batch.
//!
//! Prints the loss every 100 iterations (as the book, `SGD:2.4444690024566786`) and the final smoothed loss and test
//! accuracy per optimizer; writes `optimizer_compare_mnist.png` to `--out DIR`.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example optimizer_compare_mnist`

mod common;

use common::Real;

use ch04_loss_gradient::Labels;
use ch05_backprop::Mode;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::book::{AdaGrad, Adam, Momentum, SGD};
use ch06_optimizers_init::keras;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ch06_optimizers_init::util::smooth_curve;
use ndarray::{Array1, Array2};
use plot::{Series, line_chart, out_dir_from_args};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let iters: usize = common::arg("--iters", 2000);
    let batch = 128;
    let data = common::load_fashion_mnist::<Real>();
    let mut optimizers: Vec<(&str, Box<dyn Optimizer<Real>>)> = vec![
        ("SGD", Box::new(SGD::default())),
        ("Momentum", Box::new(Momentum::default())),
        ("AdaGrad", Box::new(AdaGrad::default())),
        ("Adam", Box::new(Adam::default())),
    ];
    if common::flag("--keras") {
        optimizers.push(("RMSprop (Keras)", Box::new(keras::RMSprop::default())));
        optimizers.push(("Nadam (Keras)", Box::new(keras::Nadam::default())));
        optimizers.push(("AdamW (Keras)", Box::new(keras::AdamW::default())));
    }
    let config = NetConfig::new(784, vec![100; 4], 10);
    // Every network starts from the same weights (same seed), as the book's comparison
    // intends; the mini-batches are the same sequence too.
    let mut nets: Vec<_> = optimizers
        .iter()
        .map(|_| config.build::<Real>(42).expect("valid config"))
        .collect();
    let mut losses = vec![Vec::with_capacity(iters); optimizers.len()];
    let mut rng = StdRng::seed_from_u64(7);
    let mut x_batch = Array2::<Real>::zeros((batch, 784));
    let mut t_batch = Array1::<usize>::zeros(batch);
    let start = Instant::now();
    for i in 0..iters {
        for r in 0..batch {
            let k = rng.random_range(0..data.x_train.nrows());
            x_batch.row_mut(r).assign(&data.x_train.row(k));
            t_batch[r] = data.t_train[k];
        }
        let t = Labels::Sparse(t_batch.view());
        for ((_, opt), (net, loss)) in optimizers.iter_mut().zip(nets.iter_mut().zip(&mut losses)) {
            net.gradient(&x_batch, t).expect("shapes checked");
            net.update(opt.as_mut());
            // The book records the loss after the update, on the same batch.
            loss.push(net.loss(&x_batch, t, Mode::Eval).expect("shapes checked"));
        }
        if i % 100 == 0 {
            println!("===========iteration:{i}===========");
            for ((name, _), loss) in optimizers.iter().zip(&losses) {
                println!("{name}:{:?}", loss.last().expect("one loss per iteration"));
            }
        }
    }
    println!(
        "{iters} iterations x {} optimizers in {:.1?}",
        optimizers.len(),
        start.elapsed()
    );
    let mut series = Vec::new();
    for ((name, _), (net, loss)) in optimizers.iter().zip(nets.iter_mut().zip(&losses)) {
        let smooth = smooth_curve(loss);
        let acc = net
            .accuracy(&data.x_test, Labels::Sparse(data.t_test.view()))
            .expect("shapes checked");
        println!(
            "{name:16} final smoothed loss {:.4}, test accuracy {acc:.4}",
            smooth.last().copied().unwrap_or(f64::NAN)
        );
        let points = smooth
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as f64, l))
            .collect();
        series.push(Series::new(*name, points));
    }
    let dir = match out_dir_from_args() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = dir.join("optimizer_compare_mnist.png");
    let title = format!("Optimizers on Fashion-MNIST ({iters} iterations, batch {batch})");
    if let Err(e) = line_chart(
        &file,
        &title,
        "iterations",
        "loss (smoothed)",
        &series,
        Some((0.0, 1.5)),
    ) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
