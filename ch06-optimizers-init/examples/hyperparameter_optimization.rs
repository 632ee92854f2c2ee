//! The book's `ch06/hyperparameter_optimization.py` (figure 6-24), on Fashion-MNIST: random
//! search over the learning rate `10^U(-6, -2)` and weight decay `10^U(-8, -4)` for a
//! 7-layer network (`[100] * 6`) trained 50 epochs by SGD on 400 samples, judged on 100
//! held-out validation samples (20% of the first 500, after a shuffle). Never tune on the
//! test data: that is what the validation split is for.
//!
//! Default: the book's 100 trials of 50 epochs, in float64: about 5.5 min here, an estimate
//! from 5 trials in 16 s (`--release`, measured while other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is faster). `--trials N` and `--epochs N` shorten it (CI: 5 and
//! 20). The split uses the book's `shuffle_dataset` ([`ch06_optimizers_init::util`]).
//!
//! Prints each trial's validation accuracy and settings, then the best 20 (as the book);
//! writes `hyperparameter_optimization.png` (validation solid, training second curve) to
//! `--out DIR`.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example hyperparameter_optimization`

mod common;

use common::Real;

use ch06_optimizers_init::multi_layer_net::NetConfig;
use ch06_optimizers_init::trainer::{Trainer, TrainerConfig, Verbosity};
use ch06_optimizers_init::util::shuffle_dataset;
use plot::{Panel, Series, grid_chart, out_dir_from_args};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::ExitCode;

struct Trial {
    lr: f64,
    weight_decay: f64,
    val_acc: Vec<f64>,
    train_acc: Vec<f64>,
}

fn main() -> ExitCode {
    let trials: usize = common::arg("--trials", 100);
    let epochs: usize = common::arg("--epochs", 50);
    let data = common::load_fashion_mnist::<Real>();
    let (x, t) = common::head(&data.x_train, &data.t_train, 500);
    // shuffle_dataset, then the first 20% for validation
    let mut rng = StdRng::seed_from_u64(2024);
    let (x, t) = shuffle_dataset(&x, &t, &mut rng).expect("one label per image");
    let validation_num = x.nrows() / 5;
    let (x_val, x_train) = x.view().split_at(ndarray::Axis(0), validation_num);
    let (t_val, t_train) = t.view().split_at(ndarray::Axis(0), validation_num);
    let mut results = Vec::new();
    for trial in 0..trials {
        let weight_decay = 10f64.powf(rng.random_range(-8.0..-4.0));
        let lr = 10f64.powf(rng.random_range(-6.0..-2.0));
        let mut config = NetConfig::new(784, vec![100; 6], 10);
        config.weight_decay_lambda = weight_decay;
        let mut net = config.build::<Real>(trial as u64).expect("valid");
        let trainer_config = TrainerConfig {
            epochs,
            mini_batch_size: 100,
            optimizer: "sgd".into(),
            lr,
            evaluate_sample_num_per_epoch: None,
            verbose: Verbosity::Silent,
            seed: trial as u64,
        };
        let mut trainer =
            match Trainer::new(&mut net, x_train, t_train, x_val, t_val, trainer_config) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            };
        if let Err(e) = trainer.train() {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
        let val_acc = trainer.test_acc_list.clone();
        let train_acc = trainer.train_acc_list.clone();
        println!(
            "val acc:{:.2} | lr:{lr:.3e}, weight decay:{weight_decay:.3e}",
            val_acc.last().copied().unwrap_or(f64::NAN)
        );
        results.push(Trial {
            lr,
            weight_decay,
            val_acc,
            train_acc,
        });
    }
    println!("=========== Hyper-Parameter Optimization Result ===========");
    let last = |t: &Trial| t.val_acc.last().copied().unwrap_or(f64::NAN);
    results.sort_by(|a, b| last(b).total_cmp(&last(a)));
    let mut panels = Vec::new();
    for (i, trial) in results.iter().take(20).enumerate() {
        println!(
            "Best-{}(val acc:{:.2}) | lr:{:.3e}, weight decay:{:.3e}",
            i + 1,
            last(trial),
            trial.lr,
            trial.weight_decay
        );
        let pts = |v: &[f64]| v.iter().enumerate().map(|(e, &a)| (e as f64, a)).collect();
        panels.push(
            Panel::new(
                format!("Best-{} (lr {:.1e})", i + 1, trial.lr),
                vec![
                    Series::new("val", pts(&trial.val_acc)),
                    Series::new("train", pts(&trial.train_acc)),
                ],
            )
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
    let file = dir.join("hyperparameter_optimization.png");
    let title = format!(
        "Random search, best {} of {trials} trials: validation (blue) and training accuracy",
        panels.len()
    );
    if let Err(e) = grid_chart(&file, &title, &panels, 5, (260, 200)) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
