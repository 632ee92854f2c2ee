//! The book's `ch06/batch_norm_gradient_check.py`: backprop against the numerical gradient
//! for a network with Batch Normalization (`MultiLayerNetExtend`, 784-100-100-10, ReLU, He
//! init, `use_batchnorm=True`), in float64 as the book, printing the mean absolute difference
//! per parameter. The book's data is MNIST; here it is Fashion-MNIST (same format).
//!
//! ```python
//! network = MultiLayerNetExtend(input_size=784, hidden_size_list=[100, 100], output_size=10,
//!                               use_batchnorm=True)
//! x_batch = x_train[:1]
//! t_batch = t_train[:1]
//! grad_backprop = network.gradient(x_batch, t_batch)
//! grad_numerical = network.numerical_gradient(x_batch, t_batch)
//! for key in grad_numerical.keys():
//!     diff = np.average( np.abs(grad_backprop[key] - grad_numerical[key]) )
//!     print(key + ":" + str(diff))
//! ```
//!
//! Prints `W1:...` to `b3:...`, ten lines in the book's key order, each number as the book's
//! Python prints it. (The book's text shows no output for this script.)
//!
//! **One sample, as the book, checks little, and fails at a kink.** With a batch of 1 each
//! feature's batch mean is the sample itself, so BatchNorm's output is `beta` whatever its
//! input: W1, b1, gamma1, beta1, W2, b2, gamma2 and W3 have gradient 0 both ways and print
//! 0.0. And as `beta2` starts at 0, every unit of the second ReLU sits exactly at its kink:
//! backprop takes ReLU's slope there as 0, the central difference averages 0 and 1, so the
//! `beta2` line prints about 0.05 (on Fashion-MNIST's first image, seed 0). `--batch 2` makes
//! the check real: every gradient is non-zero, BatchNorm's outputs are +-1 (far from the
//! kink), and every line is below 1e-9. With `--batch 3` some normalized values land near 0,
//! so W1 and W2 print about 5e-8: the kink again. `BOOK.md` lists all three outputs.
//!
//! 2 x 90,010 forward passes: about 40 s here with the book's settings (`--release`, 15 s
//! of CPU time; other builds shared the 2 cores). `--hidden N` uses `[N, N]` hidden units
//! (CI: 10); `--seed N` draws other weights.
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example batch_norm_gradient_check [-- --batch N] [--hidden N]`

mod common;

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::{book_float, mean_abs_diff};
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ndarray::s;
use std::process::ExitCode;

fn main() -> ExitCode {
    let batch: usize = common::arg("--batch", 1);
    let hidden: usize = common::arg("--hidden", 100);
    let seed: u64 = common::arg("--seed", 0);
    if batch == 0 || hidden == 0 {
        eprintln!("error: --batch and --hidden need a whole number >= 1");
        return ExitCode::FAILURE;
    }
    let data = common::load_fashion_mnist::<f64>();
    // load_mnist(normalize=True, one_hot_label=True): the labels stay indices here, which
    // the loss treats the same way.
    let x_batch = data.x_train.slice(s![..batch, ..]).to_owned();
    let t_batch = data.t_train.slice(s![..batch]).to_owned();
    let t = Labels::Sparse(t_batch.view());

    let mut config = NetConfig::new(784, vec![hidden, hidden], 10);
    config.use_batchnorm = true;
    let mut network = match config.build::<f64>(seed) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = network.gradient(&x_batch, t).and_then(|_| {
        let grad_backprop = network.grads();
        let grad_numerical = network.numerical_gradient(&x_batch, t)?;
        Ok((grad_backprop, grad_numerical))
    });
    let (grad_backprop, grad_numerical) = match result {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for ((key, backprop), (_, numerical)) in grad_backprop.iter().zip(&grad_numerical) {
        println!("{key}:{}", book_float(mean_abs_diff(backprop, numerical)));
    }
    ExitCode::SUCCESS
}
