//! What the section 3.6 examples share: the book's `get_data()` on Fashion-MNIST, and the
//! path of the weights this repository ships.

#![allow(dead_code)] // each example uses a part

use ch03_activations::neuralnet::Network;
use ch03_activations::neuralnet_mnist::load_network;
use ndarray::{Array1, Array2};
use std::path::PathBuf;

/// `testdata/sample_weight.safetensors` of this repository (`--weights PATH` overrides it).
pub fn weights_path() -> PathBuf {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--weights") {
        Some(i) => match args.get(i + 1) {
            Some(p) => PathBuf::from(p),
            None => {
                eprintln!("error: --weights needs a file, e.g. --weights my_weight.safetensors");
                std::process::exit(2);
            }
        },
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/sample_weight.safetensors")
        }
    }
}

/// The book's `get_data()`: the 10,000 test images flattened to rows of 784 and scaled to
/// [0, 1] (`normalize=True, flatten=True`), and their labels as class indices.
pub fn get_data() -> (Array2<f32>, Array1<usize>) {
    match datasets::fashion_mnist::load_data() {
        Ok((_, (x_test, t_test))) => {
            let n = x_test.shape()[0];
            let x = x_test
                .mapv(|p| f32::from(p) / 255.0)
                .into_shape_with_order((n, 784))
                .expect("28 x 28 images");
            (x, t_test.mapv(usize::from))
        }
        Err(e) => {
            eprintln!("error: could not load Fashion-MNIST: {e}");
            std::process::exit(1);
        }
    }
}

/// The book's `init_network()` of 3.6: the weights of [`weights_path`], or exit with the
/// error (which names the file and what is wrong with it).
pub fn init_network() -> Network<f32> {
    match load_network(weights_path()) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
