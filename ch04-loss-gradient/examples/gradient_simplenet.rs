//! The book's `ch04/gradient_simplenet.py`: the gradient dL/dW of a one-layer net by
//! numerical differentiation (4.4.2).
//!
//! ```python
//! class simpleNet:
//!     def __init__(self):
//!         self.W = np.random.randn(2,3)
//!     def predict(self, x):
//!         return np.dot(x, self.W)
//!     def loss(self, x, t):
//!         z = self.predict(x)
//!         y = softmax(z)
//!         loss = cross_entropy_error(y, t)
//!         return loss
//! x = np.array([0.6, 0.9])
//! t = np.array([0, 0, 1])
//! net = simpleNet()
//! f = lambda w: net.loss(x, t)
//! dW = numerical_gradient(f, net.W)
//! print(dW)
//! ```
//!
//! W is random, so dW differs from run to run in the book; here `--seed N` (default 0) fixes
//! it, and `--book-weights` uses the W printed in 4.4.2 instead, which gives the book's
//! dW = [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]] up to
//! 1e-7 (the book printed it before its loss gained the 1e-7 guard inside the log).
//!
//! Run: `cargo run -p ch04-loss-gradient --example gradient_simplenet -- --book-weights`

use ch04_loss_gradient::SimpleNet;
use ndarray::array;
use rand::{SeedableRng, rngs::StdRng};
use std::process::ExitCode;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut seed = 0_u64;
    let mut book_weights = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--book-weights" => book_weights = true,
            "--seed" => {
                let v = it.next().ok_or("--seed needs a value, e.g. --seed 42")?;
                seed = v
                    .parse()
                    .map_err(|_| format!("--seed takes a whole number >= 0, got {v:?}"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; use --seed N or --book-weights"
                ));
            }
        }
    }
    let mut net = if book_weights {
        SimpleNet::from_weights(array![
            [0.47355232, 0.9977393, 0.84668094],
            [0.85557411, 0.03563661, 0.69422093]
        ])
        .map_err(|e| e.to_string())?
    } else {
        SimpleNet::<f64>::new(&mut StdRng::seed_from_u64(seed))
    };
    let x = array![0.6, 0.9];
    let t = array![0.0, 0.0, 1.0];
    println!("W =\n{:.8}", net.w);
    let p = net.predict(&x).map_err(|e| e.to_string())?;
    println!("p = net.predict(x) = {p:.8}");
    println!("loss = {}", net.loss(&x, &t).map_err(|e| e.to_string())?);
    let dw = net.numerical_gradient(&x, &t).map_err(|e| e.to_string())?;
    println!("dW =\n{dw:.8}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
