//! The book's `ch07/apply_filter.py` (7.6.2): learned first-layer filters applied to one
//! image. The book uses a photo (`lena_gray.png`); here it is a Fashion-MNIST test image. Each
//! of the first 16 filters of the trained `SimpleConvNet` is run as a `Convolution` with bias 0
//! and its response drawn (gray_r: dark = strong response), 4 per row.
//!
//! ```python
//! network = SimpleConvNet(...); network.load_params("params.pkl")
//! filter_show(network.params['W1'], 16)
//! img = imread('../dataset/lena_gray.png'); img = img.reshape(1, 1, *img.shape)
//! for i in range(16):
//!     w = network.params['W1'][i]; b = 0
//!     w = w.reshape(1, *w.shape)
//!     conv_layer = Convolution(w, b)
//!     out = conv_layer.forward(img)
//!     out = out.reshape(out.shape[2], out.shape[3])
//! ```
//!
//! Options: `--params FILE` [`<out>/params.safetensors`, from `train_convnet`], `--index N`
//! [0, the test image], `--out DIR` [figures]. Writes `apply_filter.png`: the filters, the
//! image, and the 16 responses.
//!
//! Run: `cargo run --release -p ch07-cnn --example train_convnet && cargo run -p ch07-cnn
//! --example apply_filter`

#[path = "../../ch06-optimizers-init/examples/common/mod.rs"]
mod common;
mod images;

use ch05_backprop::Mode;
use ch07_cnn::{Convolution, SimpleConvNet, SimpleConvNetConfig};
use images::{Section, image_grid};
use ndarray::{Array1, s};
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

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = out_dir_from_args()?;
    let params: PathBuf = common::arg("--params", out.join("params.safetensors"));
    let index: usize = common::arg("--index", 0);
    let mut network = SimpleConvNet::<f32>::new(
        SimpleConvNetConfig::default(),
        &mut StdRng::seed_from_u64(0),
    )?;
    network.load_params(&params).map_err(|e| {
        format!("{e}\n(run `cargo run --release -p ch07-cnn --example train_convnet` first, or pass --params FILE)")
    })?;
    let data = common::load_fashion_mnist();
    if index >= data.x_test.nrows() {
        return Err(format!(
            "--index {index}: there are {} test images",
            data.x_test.nrows()
        )
        .into());
    }
    // img.reshape(1, 1, 28, 28)
    let img = data
        .x_test
        .slice(s![index..index + 1, ..])
        .to_owned()
        .into_shape_with_order((1, 1, 28, 28))?;
    let w1 = &network.conv1.w;
    let shown = w1.dim().0.min(16);
    let mut filters = Vec::new();
    let mut responses = Vec::new();
    for i in 0..shown {
        let w = w1.slice(s![i..i + 1, .., .., ..]).to_owned();
        filters.push(w.slice(s![0, 0, .., ..]).mapv(f64::from));
        let mut conv_layer = Convolution::new(w, Array1::zeros(1), 1, 0)?;
        let response = conv_layer.forward(&img, Mode::Eval)?;
        responses.push(response.slice(s![0, 0, .., ..]).mapv(f64::from));
    }
    let label = datasets::fashion_mnist::CLASS_NAMES[data.t_test[index]];
    let figure = out.join("apply_filter.png");
    image_grid(
        &figure,
        &[
            Section {
                title: format!("the first {shown} learned filters"),
                images: filters,
                cell: 16,
            },
            Section {
                title: format!("test image {index} ({label})"),
                images: vec![img.slice(s![0, 0, .., ..]).mapv(f64::from)],
                cell: 5,
            },
            Section {
                title: "their responses (bias 0)".into(),
                images: responses,
                cell: 5,
            },
        ],
        4,
    )?;
    println!("wrote {}", figure.display());
    Ok(())
}
