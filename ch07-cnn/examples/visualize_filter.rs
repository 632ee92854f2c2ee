//! The book's `ch07/visualize_filter.py` (7.6.1, figure 7-24): the 30 first-layer filters
//! (5x5) of `SimpleConvNet` before training (random, weight_init_std 0.01) and after (the
//! parameters `train_convnet` saved), 8 per row, gray_r as the book.
//!
//! ```python
//! network = SimpleConvNet()
//! filter_show(network.params['W1'])        # random initialization
//! network.load_params("params.pkl")
//! filter_show(network.params['W1'])        # after training
//! ```
//!
//! Before training the filters are noise; after, many are smooth edge and blob detectors
//! (dark = large weight).
//!
//! Options: `--params FILE` [`<out>/params.safetensors`, written by `train_convnet --out
//! <out>`], `--seed N` [0], `--out DIR` [figures]. Writes `visualize_filter.png`.
//!
//! Run: `cargo run --release -p ch07-cnn --example train_convnet && cargo run -p ch07-cnn
//! --example visualize_filter`

#[path = "../../ch06-optimizers-init/examples/common/mod.rs"]
mod common;
mod images;

use ch07_cnn::{SimpleConvNet, SimpleConvNetConfig};
use images::{Section, image_grid};
use ndarray::{Array2, s};
use plot::out_dir_from_args;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first input channel of every filter of W1 (FN, C, FH, FW).
fn filters(net: &SimpleConvNet<f32>) -> Vec<Array2<f64>> {
    let w = &net.conv1.w;
    (0..w.dim().0)
        .map(|f| w.slice(s![f, 0, .., ..]).mapv(f64::from))
        .collect()
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = out_dir_from_args()?;
    let params: PathBuf = common::arg("--params", out.join("params.safetensors"));
    let seed: u64 = common::arg("--seed", 0);
    let mut network = SimpleConvNet::<f32>::new(
        SimpleConvNetConfig::default(),
        &mut StdRng::seed_from_u64(seed),
    )?;
    let before = filters(&network);
    network.load_params(&params).map_err(|e| {
        format!("{e}\n(run `cargo run --release -p ch07-cnn --example train_convnet` first, or pass --params FILE)")
    })?;
    let after = filters(&network);
    let figure = out.join("visualize_filter.png");
    image_grid(
        &figure,
        &[
            Section {
                title: "W1 before training (random, std 0.01)".into(),
                images: before,
                cell: 12,
            },
            Section {
                title: format!("W1 after training ({})", params.display()),
                images: after,
                cell: 12,
            },
        ],
        8,
    )?;
    println!("wrote {}", figure.display());
    Ok(())
}
