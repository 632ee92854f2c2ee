//! The book's `ch06/overfit_dropout.py` (figure 6-23), on Fashion-MNIST: the overfitting
//! 7-layer network (`[100] * 6`) on 300 samples, trained with the book's `Trainer` (SGD lr
//! 0.01, batch 100), without and with Dropout (ratio 0.2, the book's form): dropout narrows
//! the gap between training and test accuracy.
//!
//! Default: the book's 301 epochs, accuracy per epoch on all 10,000 test images, in float64:
//! about 10 min here, an estimate from 31 epochs in 60 s (`--release`, measured while other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is faster). CI: `--epochs 51
//! --test-samples 1000` (`evaluate_sample_num_per_epoch`).
//! `--verbose` prints the Trainer's own epoch lines.
//!
//! Prints train and test accuracy every 20 epochs and the final test accuracy on all test
//! data; writes `overfit_dropout.png` (two panels) to `--out DIR`.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example overfit_dropout`

mod common;

use common::Real;

use ch06_optimizers_init::multi_layer_net::NetConfig;
use ch06_optimizers_init::trainer::{Trainer, TrainerConfig, Verbosity};
use plot::{Panel, Series, grid_chart, out_dir_from_args};
use std::process::ExitCode;

fn main() -> ExitCode {
    let epochs: usize = common::arg("--epochs", 301);
    let test_samples: usize = common::arg("--test-samples", 10_000);
    let data = common::load_fashion_mnist::<Real>();
    let (x_train, t_train) = common::head(&data.x_train, &data.t_train, 300);
    let mut panels = Vec::new();
    for use_dropout in [false, true] {
        let mut config = NetConfig::new(784, vec![100; 6], 10);
        config.use_dropout = use_dropout;
        config.dropout_ratio = 0.2;
        let mut net = config.build::<Real>(5).expect("valid");
        let trainer_config = TrainerConfig {
            epochs,
            mini_batch_size: 100,
            optimizer: "sgd".into(),
            lr: 0.01,
            evaluate_sample_num_per_epoch: Some(test_samples),
            verbose: if common::flag("--verbose") {
                Verbosity::Progress
            } else {
                Verbosity::Silent
            },
            seed: 13,
        };
        let mut trainer = match Trainer::new(
            &mut net,
            x_train.view(),
            t_train.view(),
            data.x_test.view(),
            data.t_test.view(),
            trainer_config,
        ) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let final_acc = match trainer.train() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let label = if use_dropout {
            "dropout 0.2"
        } else {
            "no dropout"
        };
        for (e, (tr, te)) in trainer
            .train_acc_list
            .iter()
            .zip(&trainer.test_acc_list)
            .enumerate()
        {
            if e % 20 == 0 || e + 1 == epochs {
                println!("{label}: epoch:{e}, train acc:{tr:.4}, test acc:{te:.4}");
            }
        }
        let tr = trainer.train_acc_list.last().copied().unwrap_or(f64::NAN);
        println!(
            "{label}: final train acc {tr:.4}, test acc (all 10000) {final_acc:.4}, gap {:.4}",
            tr - final_acc
        );
        let pts = |v: &[f64]| v.iter().enumerate().map(|(e, &a)| (e as f64, a)).collect();
        panels.push(
            Panel::new(
                label,
                vec![
                    Series::new("train", pts(&trainer.train_acc_list)),
                    Series::new("test", pts(&trainer.test_acc_list)),
                ],
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
    let file = dir.join("overfit_dropout.png");
    if let Err(e) = grid_chart(
        &file,
        "Overfitting on 300 samples, without and with Dropout",
        &panels,
        2,
        (560, 420),
    ) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
