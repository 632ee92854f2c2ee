//! The book's `ch06/overfit_weight_decay.py` (figures 6-20 and 6-21), on Fashion-MNIST: a
//! 7-layer network (`[100] * 6`, ReLU, He) trained on only 300 samples by SGD (lr 0.01,
//! batch 100) overfits: training accuracy reaches ~1 while test accuracy stays far below.
//! Weight decay (lambda 0.1: loss + 0.5 lambda sum W^2) narrows the gap.
//!
//! Runs both lambda = 0 and lambda = 0.1 on the same mini-batches. Default: the book's 201
//! epochs with test accuracy on all 10,000 test images, in float64: about 6 min here, an
//! estimate from 21 epochs in 38 s (`--release`, measured while other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is faster). CI: `--epochs 51 --test-samples 1000`.
//!
//! Prints train and test accuracy every 20 epochs and at the end; writes
//! `overfit_weight_decay.png` (two panels) to `--out DIR`.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example overfit_weight_decay`

mod common;

use common::Real;

use ch04_loss_gradient::Labels;
use ch06_optimizers_init::book::SGD;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ndarray::{Array1, Array2};
use plot::{Panel, Series, grid_chart, out_dir_from_args};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::process::ExitCode;

fn main() -> ExitCode {
    let epochs: usize = common::arg("--epochs", 201);
    let test_samples: usize = common::arg("--test-samples", 10_000);
    let data = common::load_fashion_mnist::<Real>();
    let (x_train, t_train) = common::head(&data.x_train, &data.t_train, 300);
    let (x_test, t_test) = common::head(&data.x_test, &data.t_test, test_samples);
    let lambdas = [0.0, 0.1];
    let mut nets: Vec<_> = lambdas
        .iter()
        .map(|&l| {
            let mut c = NetConfig::new(784, vec![100; 6], 10);
            c.weight_decay_lambda = l;
            c.build::<Real>(5).expect("valid")
        })
        .collect();
    let mut optimizer = SGD::new(0.01).expect("valid");
    let batch = 100;
    let iter_per_epoch = (x_train.nrows() / batch).max(1);
    let mut rng = StdRng::seed_from_u64(11);
    let mut x_batch = Array2::zeros((batch, 784));
    let mut t_batch = Array1::zeros(batch);
    let mut history = vec![(Vec::new(), Vec::new()); lambdas.len()];
    let mut i = 0;
    while history[0].0.len() < epochs {
        common::sample_batch(&x_train, &t_train, &mut x_batch, &mut t_batch, &mut rng);
        for (net, (train_acc, test_acc)) in nets.iter_mut().zip(&mut history) {
            net.gradient(&x_batch, Labels::Sparse(t_batch.view()))
                .expect("shapes");
            net.update(&mut optimizer);
            if i % iter_per_epoch == 0 {
                train_acc.push(
                    net.accuracy(&x_train, Labels::Sparse(t_train.view()))
                        .expect("shapes"),
                );
                test_acc.push(
                    net.accuracy(&x_test, Labels::Sparse(t_test.view()))
                        .expect("shapes"),
                );
            }
        }
        let epoch = history[0].0.len() - 1;
        if i % iter_per_epoch == 0 && (epoch % 20 == 0 || epoch + 1 == epochs) {
            for (l, (tr, te)) in lambdas.iter().zip(&history) {
                println!(
                    "epoch:{epoch}, lambda {l}: train acc:{:.4}, test acc:{:.4}",
                    tr[epoch], te[epoch]
                );
            }
        }
        i += 1;
    }
    let mut panels = Vec::new();
    for (l, (tr, te)) in lambdas.iter().zip(&history) {
        let (a, b) = (
            tr.last().copied().unwrap_or(f64::NAN),
            te.last().copied().unwrap_or(f64::NAN),
        );
        println!(
            "lambda {l}: final train acc {a:.4}, test acc {b:.4}, gap {:.4}",
            a - b
        );
        let pts = |v: &[f64]| v.iter().enumerate().map(|(e, &a)| (e as f64, a)).collect();
        panels.push(
            Panel::new(
                format!("weight decay lambda = {l}"),
                vec![Series::new("train", pts(tr)), Series::new("test", pts(te))],
            )
            .with_axes("epochs", "accuracy")
            .with_y_range(0.0, 1.0),
        );
    }
    let dir = match out_dir_from_args() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = dir.join("overfit_weight_decay.png");
    let title = "Overfitting on 300 samples, without and with weight decay";
    if let Err(e) = grid_chart(&file, title, &panels, 2, (560, 420)) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
