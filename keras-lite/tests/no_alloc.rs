//! A training step allocates nothing once its buffers exist: counted with a global allocator
//! between `on_train_batch_begin` and `on_train_batch_end` (which bracket the batch copy, the
//! forward and backward passes, the loss, the metrics, the optimizer and the progress bar).
//!
//! The one exception is inside `matrixmultiply`, which ndarray's `general_mat_mul` calls: it
//! allocates its packing buffer on every matrix product (`gemm.rs`, `make_packing_buffer`).
//! So the count per step must equal the number of products exactly: per Dense layer, one
//! forward (`x W`) and two backward (`x^T dz`, `dz W^T`), minus the `dx` of the first Dense
//! layer, which nothing needs. Models of 1, 2 and 3 Dense layers make 2, 5 and 8. A product
//! of at least `SPLIT_MIN_FLOPS` is cut in two by ch05's `matmul_into` (two products, two
//! buffers), whose second half runs on ch05's helper thread, or on the calling thread when the
//! helper is busy, switched off (`DLFS_THREADS=1`) or not scheduled in time.
//!
//! What is counted is therefore the training thread's allocations plus the helper thread's
//! (`test_support::alloc`'s allocator, the helper marked by `run_on_helper(count_this_thread)`):
//! the same number wherever the halves ran. The tests of this file take turns (one lock), so
//! that the helper works for one of them at a time; the harness's own threads are not counted.

mod common;

use ch04_loss_gradient::keras::Loss;
use common::*;
use keras_lite::callbacks::Callback;
use keras_lite::layers::{BatchNormalization, Dense, Dropout, Flatten};
use keras_lite::{FitOptions, Logs, Result, Sequential};
use speed::matmul::SPLIT_MIN_FLOPS;
use test_support::alloc::{Counting, count, count_this_thread, gemm_calls, start};
use test_support::one_hot;

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Records the allocations of each step after the first two (warm-up creates the buffers).
#[derive(Default)]
struct StepAllocations {
    at_begin: usize,
    per_step: Vec<usize>,
}

impl Callback for StepAllocations {
    fn on_train_batch_begin(&mut self, _: &mut Sequential, _: usize) -> Result<()> {
        self.at_begin = count();
        Ok(())
    }
    fn on_train_batch_end(&mut self, _: &mut Sequential, batch: usize, _: &Logs) -> Result<()> {
        let n = count() - self.at_begin;
        if batch >= 2 {
            self.per_step.push(n);
        }
        Ok(())
    }
}

/// The matrix products of one step of `model` on batches of `batch` (a split one counts 2).
fn matrix_products(model: &Sequential, input: usize, batch: usize) -> usize {
    let count = |m, k, n| gemm_calls(SPLIT_MIN_FLOPS, m, k, n);
    let mut n_in = input;
    let mut total = 0;
    let mut first = true;
    for layer in model.layers() {
        if let Some(d) = layer.as_dense() {
            let units = d.units();
            total += count(batch, n_in, units); // x W
            total += count(n_in, batch, units); // x^T dz
            if !first {
                total += count(batch, units, n_in); // dz W^T
            }
            first = false;
            n_in = units;
        }
    }
    total
}

fn steps_allocate_nothing(
    model: Sequential,
    optimizer: &str,
    loss: Loss,
    metrics: &[&str],
    y_one_hot: bool,
) {
    let (x, y) = blobs(256, 1);
    steps_allocate_nothing_on(
        model,
        &x.into_dyn(),
        &y,
        optimizer,
        loss,
        metrics,
        y_one_hot,
    );
}

/// Waits for this test's turn (the helper's allocations belong to the test that is running)
/// and marks the helper thread as counted. `run_on_helper` returns once the helper (if there
/// is one) has run the job, so its start-up allocation is over before anything is counted.
fn take_turn() -> test_support::alloc::Turn {
    let turn = start();
    speed::parallel::run_on_helper(count_this_thread);
    turn
}

fn steps_allocate_nothing_on(
    mut model: Sequential,
    x: &ndarray::ArrayD<f32>,
    y: &ndarray::Array1<u8>,
    optimizer: &str,
    loss: Loss,
    metrics: &[&str],
    y_one_hot: bool,
) {
    let _turn = take_turn();
    model.compile(optimizer, loss, metrics).unwrap();
    let mut counter = StepAllocations::default();
    let options = FitOptions {
        epochs: 2,
        batch_size: 32, // divides 256: no partial batch, so no buffer changes shape
        verbose: 1,     // not a terminal under `cargo test`: the bar only times the steps
        callbacks: vec![&mut counter],
        ..Default::default()
    };
    if y_one_hot {
        model.fit(x, &one_hot::<f32, _>(y, 3), options).unwrap();
    } else {
        model.fit(x, y, options).unwrap();
    }
    assert_eq!(counter.per_step.len(), 2 * 6);
    let input: usize = x.shape()[1..].iter().product();
    let matrix_products = matrix_products(&model, input, 32);
    assert!(
        counter.per_step.iter().all(|&n| n == matrix_products),
        "allocations per step: {:?}, expected only matrixmultiply's {matrix_products} packing buffers",
        counter.per_step
    );
}

#[test]
fn fused_softmax_step_with_adam_and_accuracy() {
    steps_allocate_nothing(
        small_model("softmax"),
        "adam",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        &["accuracy"],
        false,
    );
}

#[test]
fn plain_loss_step_with_loss_metrics() {
    let model = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("tanh").into(),
        Dense::new(3).activation("sigmoid").into(),
    ]);
    steps_allocate_nothing(
        model,
        "rmsprop",
        Loss::MeanSquaredError,
        &["mae", "categorical_accuracy"],
        true,
    );
}

#[test]
fn one_and_three_dense_layers() {
    let one = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    steps_allocate_nothing(
        one,
        "sgd",
        Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: 0.1,
        },
        &["top_k_categorical_accuracy"],
        true,
    );
    let three = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(8).activation("gelu").into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    steps_allocate_nothing(
        three,
        "nadam",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        &["accuracy", "sparse_top_k_categorical_accuracy"],
        false,
    );
}

#[test]
fn batch_normalization_and_dropout_steps() {
    // Both keep their buffers (ch06's masks and statistics, keras-lite's outputs and
    // gradients) and add no matrix product.
    let model = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        BatchNormalization::new().into(),
        Dropout::new(0.2).into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    steps_allocate_nothing(
        model,
        "adam",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        &["accuracy"],
        false,
    );
}

#[test]
fn the_tutorials_step_on_two_cores_or_one() {
    // 784 inputs and 128 units: the first layer's two products are split (ch05's matmul), so
    // half of each runs on the helper thread whenever it is free.
    let (x, y) = blobs(256, 2);
    let x = ndarray::Array3::from_shape_fn((256, 28, 28), |(i, r, c)| x[[i, r % 4, c % 4]]);
    let model = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    assert_eq!(matrix_products(&model, 784, 32), 2 + 2 + 3);
    steps_allocate_nothing_on(
        model,
        &x.into_dyn(),
        &y,
        "adam",
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        &["accuracy"],
        false,
    );
}

/// A CNN step (Conv2D, BatchNormalization on images, max and average pooling, Flatten, Dense)
/// allocates only matrixmultiply's packing buffers: none for the first Conv2D (a 3x3 window
/// over one channel goes through ch07's thin `direct` kernels, and its `dx` is skipped), 3 for
/// the second (3x3 over 4 channels with "same" padding: im2col and products), none for the
/// third (the same window without padding: ch07's wide `direct` kernels, `dx` included), 3 for
/// the Dense layer. The images are small enough that no product is split over two cores; the
/// count would be the same if one were (see above).
#[test]
fn cnn_step_allocates_only_packing_buffers() {
    use keras_lite::layers::{AveragePooling2D, Conv2D, MaxPooling2D};
    let y = ndarray::Array1::from_shape_fn(256, |i| (i % 3) as u8);
    let x = ndarray::Array4::from_shape_fn((256, 8, 8, 1), |(i, r, c, _)| {
        ((i * 31 + r * 7 + c * 13) % 17) as f32 / 17.0
            + if r == 1 + 2 * (i % 3) { 1.0 } else { 0.0 }
    });
    let mut model = Sequential::new(vec![
        Conv2D::new(4, 3)
            .activation("relu")
            .padding("same")
            .input_shape(&[8, 8, 1])
            .into(),
        BatchNormalization::new().into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(4, 3).activation("relu").padding("same").into(),
        Conv2D::new(4, 3).activation("relu").into(),
        AveragePooling2D::new(2).padding("same").into(),
        Dropout::new(0.1).into(),
        Flatten::new().into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    let _turn = take_turn();
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let mut counter = StepAllocations::default();
    let options = FitOptions {
        epochs: 2,
        batch_size: 32,
        verbose: 1,
        callbacks: vec![&mut counter],
        ..Default::default()
    };
    model.fit(&x, &y, options).unwrap();
    assert_eq!(counter.per_step.len(), 2 * 6);
    let products = 3 + 3;
    assert!(
        counter.per_step.iter().all(|&n| n == products),
        "allocations per step: {:?}, expected only matrixmultiply's {products} packing buffers",
        counter.per_step
    );
}
