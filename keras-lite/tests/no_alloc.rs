//! A training step allocates nothing once its buffers exist: counted with a global allocator
//! between `on_train_batch_begin` and `on_train_batch_end` (which bracket the batch copy, the
//! forward and backward passes, the loss, the metrics, the optimizer and the progress bar).
//!
//! The one exception is inside `matrixmultiply`, which ndarray's `general_mat_mul` calls: it
//! allocates its packing buffer on every matrix product (`gemm.rs`, `make_packing_buffer`).
//! So the count per step must equal the number of matrix products exactly: per Dense layer,
//! one forward (`x W`) and two backward (`x^T dz`, `dz W^T`), minus the `dx` of the first
//! Dense layer, which nothing needs. Models of 1, 2 and 3 Dense layers make 2, 5 and 8.

mod common;

use ch04_loss_gradient::Loss;
use common::*;
use keras_lite::callbacks::Callback;
use keras_lite::layers::{BatchNormalization, Dense, Dropout, Flatten};
use keras_lite::{FitOptions, Logs, Result, Sequential};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    /// Allocations made by this thread (the test harness allocates on other threads while a
    /// test runs, so a global count would be flaky). Const-initialized: no allocation itself.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

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
        self.at_begin = allocations();
        Ok(())
    }
    fn on_train_batch_end(&mut self, _: &mut Sequential, batch: usize, _: &Logs) -> Result<()> {
        let n = allocations() - self.at_begin;
        if batch >= 2 {
            self.per_step.push(n);
        }
        Ok(())
    }
}

fn steps_allocate_nothing(
    mut model: Sequential,
    optimizer: &str,
    loss: Loss,
    metrics: &[&str],
    y_one_hot: bool,
) {
    let (x, y) = blobs(256, 1);
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
        model.fit(&x, &one_hot(&y, 3), options).unwrap();
    } else {
        model.fit(&x, &y, options).unwrap();
    }
    assert_eq!(counter.per_step.len(), 2 * 6);
    let dense = model
        .layers()
        .iter()
        .filter(|l| l.as_dense().is_some())
        .count();
    let matrix_products = 3 * dense - 1;
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

/// A CNN step (Conv2D, BatchNormalization on images, max and average pooling, Flatten, Dense)
/// allocates only matrixmultiply's packing buffers: 2 products for the first Conv2D (its `dx`
/// is skipped), 3 for the second, 3 for the Dense layer. The images are small enough that no
/// product is split over two cores, so every product runs (and allocates) on this thread.
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
        Conv2D::new(4, 2).activation("relu").into(),
        AveragePooling2D::new(2).padding("same").into(),
        Dropout::new(0.1).into(),
        Flatten::new().into(),
        Dense::new(3).activation("softmax").into(),
    ]);
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
    let products = 2 + 3 + 3;
    assert!(
        counter.per_step.iter().all(|&n| n == products),
        "allocations per step: {:?}, expected only matrixmultiply's {products} packing buffers",
        counter.per_step
    );
}
