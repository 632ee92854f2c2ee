//! The book's `ch06/batch_norm_test.py` (figure 6-19), on Fashion-MNIST: a 6-layer network
//! (`[100] * 5`, ReLU) on 1000 training samples, SGD lr 0.01, batch 100, 20 epochs, with and
//! without Batch Normalization, for 16 initial weight scales `logspace(0, -4, 16)`; training
//! accuracy per epoch.
//!
//! Batch Normalization learns faster and is far less sensitive to the initial scale: without
//! it, small scales never learn and large ones stall.
//!
//! Default: the book's settings, in float64: 163 s here (`--release`, measured while other engineers' builds kept the 2 cores busy, load average about 15; a quiet machine is faster). `--epochs N` and `--scales K` (the first K
//! of the 16) shorten it. Prints the final training accuracy per scale; writes the 4x4 grid
//! `batch_norm_test.png` to `--out DIR`.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example batch_norm_test`

mod common;

use common::Real;

use ch04_loss_gradient::Labels;
use ch06_optimizers_init::book::SGD;
use ch06_optimizers_init::multi_layer_net::{MultiLayerNet, NetConfig};
use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::{Array1, Array2};
use plot::{Panel, Series, grid_chart, out_dir_from_args};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::process::ExitCode;

/// One network's run: training accuracy per epoch and the first iteration whose loss was
/// not finite (large weight scales overflow: the book's plain network then stalls at chance).
struct Run {
    acc: Vec<f64>,
    diverged_at: Option<usize>,
}

/// Trains both networks on the same mini-batches: (without, with) Batch Normalization.
fn train(x: &Array2<Real>, t: &Array1<usize>, scale: f64, epochs: usize, seed: u64) -> (Run, Run) {
    let mut config = NetConfig::new(784, vec![100; 5], 10);
    config.weight_init_std = WeightInitStd::Std(scale);
    let mut plain: MultiLayerNet<Real> = config.build(seed).expect("valid");
    config.use_batchnorm = true;
    let mut bn: MultiLayerNet<Real> = config.build(seed).expect("valid");
    let (mut opt_plain, mut opt_bn) = (
        SGD::new(0.01).expect("valid"),
        SGD::new(0.01).expect("valid"),
    );
    let batch = 100;
    let iter_per_epoch = (x.nrows() / batch).max(1);
    let mut runs = [
        Run {
            acc: Vec::new(),
            diverged_at: None,
        },
        Run {
            acc: Vec::new(),
            diverged_at: None,
        },
    ];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x_batch = Array2::zeros((batch, 784));
    let mut t_batch = Array1::zeros(batch);
    let mut i = 0;
    while runs[0].acc.len() < epochs {
        common::sample_batch(x, t, &mut x_batch, &mut t_batch, &mut rng);
        let nets = [(&mut plain, &mut opt_plain), (&mut bn, &mut opt_bn)];
        for ((net, opt), run) in nets.into_iter().zip(runs.iter_mut()) {
            let loss = net
                .gradient(&x_batch, Labels::Sparse(t_batch.view()))
                .expect("shapes");
            if !loss.is_finite() && run.diverged_at.is_none() {
                run.diverged_at = Some(i);
            }
            net.update(opt);
            if i % iter_per_epoch == 0 {
                run.acc
                    .push(net.accuracy(x, Labels::Sparse(t.view())).expect("shapes"));
            }
        }
        i += 1;
    }
    let [plain_run, bn_run] = runs;
    (plain_run, bn_run)
}

fn main() -> ExitCode {
    let epochs: usize = common::arg("--epochs", 20);
    let n_scales: usize = common::arg::<usize>("--scales", 16).clamp(1, 16);
    let data = common::load_fashion_mnist::<Real>();
    let (x, t) = common::head(&data.x_train, &data.t_train, 1000);
    let mut panels = Vec::new();
    for k in 0..n_scales {
        // weight_scale_list = np.logspace(0, -4, num=16)
        let scale = 10f64.powf(-4.0 * k as f64 / 15.0);
        let (plain, bn) = train(&x, &t, scale, epochs, k as u64);
        let note = |r: &Run| match r.diverged_at {
            Some(i) => format!(" (loss overflowed at iteration {i})"),
            None => String::new(),
        };
        println!(
            "============== {}/16 ==============\nw:{scale:.4e} | this: {:.3}{} | no BN: {:.3}{}",
            k + 1,
            bn.acc.last().copied().unwrap_or(f64::NAN),
            note(&bn),
            plain.acc.last().copied().unwrap_or(f64::NAN),
            note(&plain)
        );
        let pts = |v: &[f64]| v.iter().enumerate().map(|(e, &a)| (e as f64, a)).collect();
        panels.push(
            Panel::new(
                format!("W: {scale:.4}"),
                vec![
                    Series::new("Batch Norm", pts(&bn.acc)),
                    Series::new("Normal", pts(&plain.acc)),
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
    let file = dir.join("batch_norm_test.png");
    let title =
        format!("Training accuracy by initial weight std: Batch Norm vs none ({epochs} epochs)");
    if let Err(e) = grid_chart(&file, &title, &panels, 4, (330, 240)) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
