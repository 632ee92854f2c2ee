//! The book's `ch07/gradient_check.py`: `SimpleConvNet` on one random 1x10x10 input (10
//! filters 3x3, hidden 10, output 10, weight_init_std 0.01), backprop against the book's
//! `numerical_gradient` (central differences, h = 1e-4), in float64. Prints the mean absolute
//! difference per parameter, as the book does.
//!
//! ```python
//! network = SimpleConvNet(input_dim=(1,10, 10),
//!                         conv_param = {'filter_num':10, 'filter_size':3, 'pad':0, 'stride':1},
//!                         hidden_size=10, output_size=10, weight_init_std=0.01)
//! X = np.random.rand(100).reshape((1, 1, 10, 10))
//! T = np.array([1]).reshape((1,1))
//! grad_num = network.numerical_gradient(X, T)
//! grad = network.gradient(X, T)
//! for key, val in grad_num.items():
//!     print(key, np.abs(grad_num[key] - grad[key]).mean())
//! ```
//!
//! The differences are rounding noise (around 1e-10 or smaller) unless a ReLU input sits
//! within h of its kink at 0, where no derivative exists. Options: `--seed N` [0].
//!
//! Run: `cargo run -p ch07-cnn --example ch07_gradient_check` (named with its chapter, like
//! `ch05_train_neuralnet`: ch05 has a `gradient_check` too, and a workspace's examples share
//! one output folder)

#[path = "../../ch06-optimizers-init/examples/common/mod.rs"]
mod common;

use ch04_loss_gradient::Labels;
use ch07_cnn::{SimpleConvNet, SimpleConvNetConfig};
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::ExitCode;

fn main() -> ExitCode {
    let seed: u64 = common::arg("--seed", 0);
    let mut rng = StdRng::seed_from_u64(seed);
    let config = SimpleConvNetConfig {
        input_dim: (1, 10, 10),
        filter_num: 10,
        filter_size: 3,
        pad: 0,
        stride: 1,
        hidden_size: 10,
        output_size: 10,
        weight_init_std: 0.01,
    };
    let mut network = match SimpleConvNet::<f64>::new(config, &mut rng) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // X = np.random.rand(100).reshape((1, 1, 10, 10)); one row of 100 here
    let x = Array2::from_shape_simple_fn((1, 100), || rng.random::<f64>());
    let t = Array1::from(vec![1usize]);
    let labels = Labels::Sparse(t.view());
    let grad_num = match network.numerical_gradient(&x, labels) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = network.gradient(&x, labels) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let mut i = 0;
    network.for_each_param(&mut |p| {
        let (key, num) = &grad_num[i];
        let diff = (&p.grad - num).mapv(f64::abs).mean().unwrap_or(0.0);
        println!("{key} {diff:e}");
        i += 1;
    });
    ExitCode::SUCCESS
}
