//! The book's `ch03/neuralnet_mnist.py` (3.6.2) on Fashion-MNIST: inference with learned
//! weights, one test image at a time, and the fraction classified correctly.
//!
//! ```python
//! x, t = get_data()
//! network = init_network()          # sample_weight.pkl: 784-50-100-10, sigmoid, softmax
//! accuracy_cnt = 0
//! for i in range(len(x)):
//!     y = predict(network, x[i])
//!     p = np.argmax(y)
//!     if p == t[i]:
//!         accuracy_cnt += 1
//! print("Accuracy:" + str(float(accuracy_cnt) / len(x)))
//! ```
//!
//! The weights are this repository's `testdata/sample_weight.safetensors` (learned on
//! Fashion-MNIST by ch06's `train_sample_weight` example; `--weights PATH` reads another
//! file). The book prints `Accuracy:0.9352` on MNIST; on Fashion-MNIST, a harder data set,
//! these weights score 0.8705 (`BOOK.md`). The 10,000 images take about 0.7 s (`--release`).
//!
//! Run: `cargo run --release -p ch03-activations --example neuralnet_mnist`

mod common;

use ch03_activations::neuralnet_mnist::{argmax, predict_one};
use std::process::ExitCode;

fn main() -> ExitCode {
    let (x, t) = common::get_data();
    let network = common::init_network();
    let mut accuracy_cnt = 0usize;
    for (x_i, &t_i) in x.rows().into_iter().zip(&t) {
        let y = predict_one(&network, &x_i);
        if argmax(&y) == t_i {
            accuracy_cnt += 1;
        }
    }
    println!("Accuracy:{:?}", accuracy_cnt as f64 / x.nrows() as f64);
    ExitCode::SUCCESS
}
