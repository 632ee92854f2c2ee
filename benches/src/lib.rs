//! Benchmarks of the workspace's hot paths, and the small helpers they share.
//!
//! Run everything with `cargo bench -p benches`, or the short CI mode with
//! `cargo bench -p benches -- --quick` (criterion's quick mode: no warm-up, each benchmark stops
//! once two measurements agree within 5 %, at most [`QUICK_MEASUREMENT`]; the largest naive
//! matrix products are skipped, and the benches print which).
//!
//! | bench | what it measures |
//! |---|---|
//! | `matmul` | the matrix products of one training step of the tutorial model (784-128-10, batch 32) and a square sweep 64..1024, as a naive triple loop ([`matmul_naive`]), ndarray `dot`, `general_mat_mul` into a reused buffer, and `matrixmultiply::sgemm` called directly |
//! | `layers` | ch05's `Affine` forward and backward (784x128 and 128x10), the activation layers over (N, 128), `SoftmaxWithLoss` over (N, 10), at batch 32 and 256 |
//! | `optimizers` | one update of a 784x128 kernel by each of ch06's book optimizers (array expressions) and each fused Keras optimizer |
//! | `training` | keras-lite's `train_on_batch` on the tutorial model, and one whole `fit` epoch (60000 samples) at batch 32 and 256 |
//! | `join` | the tutorial's batch-32 step with the two-core split of the `speed` crate compiled in, one variant per build: the spinning helper, `rayon::join`, matrixmultiply's threads |
//!
//! The test `tests/no_alloc_training_step.rs` checks, with a counting global allocator, that a
//! steady-state `fit` step of the tutorial model allocates nothing but matrixmultiply's
//! per-call packing buffers.
//!
//! Throughput of matrix products (and of whole steps) is reported as
//! `Throughput::Elements(2*m*k*n)`: one multiply and one add per term, so criterion's
//! "Gelem/s" reads as GFLOP/s.
//!
//! ```
//! use ndarray::array;
//! let a = array![[1.0_f32, 2.0], [3.0, 4.0]];
//! let b = array![[5.0_f32, 6.0], [7.0, 8.0]];
//! assert_eq!(benches::matmul_naive(&a.view(), &b.view()), a.dot(&b));
//! ```

use std::time::Duration;

use keras_lite::Sequential;
use keras_lite::layers::{Dense, Flatten};
use ndarray::{Array1, Array2, Array3, ArrayView2, LinalgScalar};

/// The longest a single benchmark measures in quick mode (criterion's quick mode stops earlier
/// once two measurements agree within its significance level).
pub const QUICK_MEASUREMENT: Duration = Duration::from_millis(600);

/// `C = A B` the way one first writes it: for every output element, a dot product of a row of
/// `A` and a column of `B`.
///
/// `a` is (M, K), `b` is (K, N), the result (M, N); `C[i, j] = sum_p A[i, p] B[p, j]`.
/// This is the educational baseline of the `matmul` bench: 2 M K N floating-point operations,
/// the same count as a BLAS kernel, but walking down a column of `B` touches a new cache line
/// at every step and nothing is vectorized, so it runs one to two orders of magnitude slower.
///
/// # Panics
/// If the inner dimensions differ.
pub fn matmul_naive<A: LinalgScalar>(a: &ArrayView2<'_, A>, b: &ArrayView2<'_, A>) -> Array2<A> {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(
        k, k2,
        "matmul_naive: inner dimensions differ ({m}x{k} by {k2}x{n})"
    );
    let mut c = Array2::zeros((m, n));
    for i in 0..m {
        for j in 0..n {
            let mut sum = A::zero();
            for p in 0..k {
                sum = sum + a[[i, p]] * b[[p, j]];
            }
            c[[i, j]] = sum;
        }
    }
    c
}

/// A deterministic (M, N) matrix with entries in [-0.5, 0.5): benchmarks need data whose values
/// do not matter, without pulling a random-number generator into every bench.
pub fn filled(m: usize, n: usize, seed: usize) -> Array2<f32> {
    Array2::from_shape_fn((m, n), |(i, j)| {
        let h = (i.wrapping_mul(7919) ^ j.wrapping_mul(104_729) ^ seed.wrapping_mul(31)) % 1000;
        h as f32 / 1000.0 - 0.5
    })
}

/// Floating-point operations of the tutorial model's matrix products per sample: forward
/// `x W1` and `h W2`, backward `dW2 = h^T d2`, `dh = d2 W2^T`, `dW1 = x^T d1` (no `dx` for the
/// first layer).
pub const FLOPS_PER_SAMPLE: u64 = 2 * (784 * 128 * 2 + 128 * 10 * 3);

/// The TensorFlow beginner tutorial's model, compiled as the tutorial does: Flatten(28x28),
/// Dense(128, relu), Dense(10, softmax), Adam, sparse categorical cross-entropy, accuracy
/// (seed 42).
pub fn tutorial_model() -> Sequential {
    keras_lite::backend::set_random_seed(42);
    let mut model = Sequential::new(vec![
        Flatten::new().input_shape(&[28, 28]).into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .expect("the tutorial's compile arguments are valid");
    model
}

/// `n` synthetic "images" (n, 28, 28) in [0, 1] and labels 0..9: the time of a step does not
/// depend on the pixel values, and the benches do not need the dataset installed.
pub fn synthetic(n: usize) -> (Array3<f32>, Array1<u8>) {
    let x = Array3::from_shape_fn((n, 28, 28), |(i, r, c)| {
        ((i * 131 + r * 29 + c * 7) % 256) as f32 / 255.0
    });
    let y = Array1::from_shape_fn(n, |i| ((i * 7) % 10) as u8);
    (x, y)
}

/// True when the bench binary was started with `--quick` (`cargo bench -p benches -- --quick`).
pub fn quick_mode() -> bool {
    std::env::args().any(|arg| arg == "--quick")
}

/// The criterion configuration every bench starts from: in quick mode, no plots, fewer
/// bootstrap resamples and a short measurement cap, so the whole suite fits in a CI minute.
///
/// Criterion draws its plots (in `target/criterion`) with plotters, whose features the workspace
/// sets to compiled-in fonts only: the DejaVu fonts are registered here, through the `plot` crate's
/// helper, or the first plot would fail with `FontUnavailable`.
pub fn criterion_config() -> criterion::Criterion {
    plot::register_fonts();
    let c = criterion::Criterion::default();
    if quick_mode() {
        c.without_plots()
            .nresamples(10_000)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(QUICK_MEASUREMENT)
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_matches_ndarray_dot_on_the_tutorial_shapes_and_transposed_views() {
        let x = filled(32, 784, 1);
        let w = filled(784, 128, 2);
        let d = filled(32, 128, 3);
        for (a, b) in [(x.view(), w.view()), (x.t(), d.view()), (d.view(), w.t())] {
            let naive = matmul_naive(&a, &b);
            let dot = a.dot(&b);
            assert_eq!(naive.dim(), dot.dim());
            for (n, o) in naive.iter().zip(&dot) {
                assert!((n - o).abs() <= 1e-3, "{n} vs {o}");
            }
        }
    }

    #[test]
    #[should_panic(expected = "inner dimensions differ")]
    fn naive_rejects_mismatched_inner_dimensions() {
        matmul_naive(&filled(2, 3, 0).view(), &filled(4, 2, 0).view());
    }
}
