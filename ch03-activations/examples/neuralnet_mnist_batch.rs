//! The book's `ch03/neuralnet_mnist_batch.py` (3.6.3) on Fashion-MNIST: the same inference
//! as `neuralnet_mnist`, 100 images at a time. One (100, 784) x (784, 50) matrix product
//! replaces 100 vector-matrix products, and the accuracy is the same.
//!
//! ```python
//! batch_size = 100
//! accuracy_cnt = 0
//! for i in range(0, len(x), batch_size):
//!     x_batch = x[i:i+batch_size]
//!     y_batch = predict(network, x_batch)
//!     p = np.argmax(y_batch, axis=1)
//!     accuracy_cnt += np.sum(p == t[i:i+batch_size])
//! print("Accuracy:" + str(float(accuracy_cnt) / len(x)))
//! ```
//!
//! After the book's line it prints how long the 10,000 images take one at a time and in
//! batches (the median of 5 passes each) and the speed-up, the point of 3.6.3. Both counts
//! are checked to agree. The whole run takes about a second (`--release`).
//!
//! Run: `cargo run --release -p ch03-activations --example neuralnet_mnist_batch`

mod common;

use ch03_activations::neuralnet::Network;
use ch03_activations::neuralnet_mnist::{argmax, predict, predict_one};
use ndarray::{Array1, Array2, Axis};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const BATCH_SIZE: usize = 100;
const PASSES: usize = 5;

fn batched(network: &Network<f32>, x: &Array2<f32>, t: &Array1<usize>) -> usize {
    let mut accuracy_cnt = 0;
    for (x_batch, t_batch) in x
        .axis_chunks_iter(Axis(0), BATCH_SIZE)
        .zip(t.axis_chunks_iter(Axis(0), BATCH_SIZE))
    {
        let y_batch = predict(network, &x_batch);
        accuracy_cnt += y_batch
            .rows()
            .into_iter()
            .zip(&t_batch)
            .filter(|(y, t)| argmax(y) == **t)
            .count();
    }
    accuracy_cnt
}

fn one_at_a_time(network: &Network<f32>, x: &Array2<f32>, t: &Array1<usize>) -> usize {
    x.rows()
        .into_iter()
        .zip(t)
        .filter(|(x_i, t_i)| argmax(predict_one(network, x_i)) == **t_i)
        .count()
}

/// The count and the median time of [`PASSES`] runs of `f`.
fn timed(mut f: impl FnMut() -> usize) -> (usize, Duration) {
    let mut times = Vec::with_capacity(PASSES);
    let mut count = 0;
    for _ in 0..PASSES {
        let start = Instant::now();
        count = std::hint::black_box(f());
        times.push(start.elapsed());
    }
    times.sort();
    (count, times[PASSES / 2])
}

fn main() -> ExitCode {
    let (x, t) = common::get_data();
    let network = common::init_network();
    let (accuracy_cnt, batch_time) = timed(|| batched(&network, &x, &t));
    println!("Accuracy:{:?}", accuracy_cnt as f64 / x.nrows() as f64);

    let (single_cnt, single_time) = timed(|| one_at_a_time(&network, &x, &t));
    if single_cnt != accuracy_cnt {
        eprintln!("error: one image at a time counts {single_cnt} correct, batches {accuracy_cnt}");
        return ExitCode::FAILURE;
    }
    println!(
        "{} images: one at a time {:.1} ms, batches of {BATCH_SIZE} {:.1} ms ({:.1}x faster; \
         median of {PASSES} passes)",
        x.nrows(),
        single_time.as_secs_f64() * 1e3,
        batch_time.as_secs_f64() * 1e3,
        single_time.as_secs_f64() / batch_time.as_secs_f64()
    );
    ExitCode::SUCCESS
}
