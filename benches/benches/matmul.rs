//! The matrix products of the tutorial's training step, and a square sweep, five ways.
//!
//! One training step of the tutorial model (Flatten, Dense(128, relu), Dense(10, softmax)) at
//! batch 32 multiplies these matrices (x is the batch, W1/W2 the kernels, d* the gradients):
//!
//! | product | shape (M x K by K x N) | where |
//! |---|---|---|
//! | `x W1` | 32x784 by 784x128 | Dense 1 forward |
//! | `h W2` | 32x128 by 128x10 | Dense 2 forward |
//! | `h^T dout2` | 128x32 by 32x10 | Dense 2 backward, dW2 |
//! | `dout2 W2^T` | 32x10 by 10x128 | Dense 2 backward, dx |
//! | `x^T dout1` | 784x32 by 32x128 | Dense 1 backward, dW1 |
//! | `dout1 W1^T` | 32x128 by 128x784 | Dense 1 backward, dx (the book's Affine computes it; a first layer could skip it) |
//!
//! Transposed operands are transposed *views* (`.t()`), as in the layers: no copy is made.
//!
//! Variants: `naive` (the triple loop of [`benches::matmul_naive`]), `dot` (ndarray, allocates
//! its result), `general_mat_mul` (ndarray, into a buffer kept across iterations, what the
//! layers did before they used two cores), `sgemm` (matrixmultiply called directly with the
//! views' strides), `matmul_into` ([`speed::matmul::matmul_into`], what ch05's `Affine`
//! does now: products over 2 Mflop cut in two and run on both cores, the rest as
//! `general_mat_mul`; the gain is what a second core buys at these sizes).

use std::hint::black_box;

use benches::{criterion_config, filled, matmul_naive, quick_mode};
use criterion::{
    BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group,
    criterion_main,
};
use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2};
use speed::matmul::matmul_into;

/// `C = A B` through `matrixmultiply::sgemm`, passing each view's strides (so a transposed
/// view costs nothing extra).
fn sgemm_into(a: &ArrayView2<'_, f32>, b: &ArrayView2<'_, f32>, c: &mut Array2<f32>) {
    let (m, k) = a.dim();
    let (_, n) = b.dim();
    assert_eq!(c.dim(), (m, n));
    let [rsa, csa] = [a.strides()[0], a.strides()[1]];
    let [rsb, csb] = [b.strides()[0], b.strides()[1]];
    let [rsc, csc] = [c.strides()[0], c.strides()[1]];
    // SAFETY: the pointers and strides come from live ndarray views of exactly (m, k), (k, n)
    // and (m, n) elements, and `c` is borrowed mutably, so it aliases neither input.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            0.0,
            c.as_mut_ptr(),
            rsc,
            csc,
        );
    }
}

/// Benchmarks `a b` five ways under `id` (the shape label or the size).
fn bench_five_ways<P: std::fmt::Display + Clone>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    param: P,
    a: ArrayView2<'_, f32>,
    b: ArrayView2<'_, f32>,
    with_naive: bool,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    group.throughput(Throughput::Elements((2 * m * k * n) as u64));

    // All must agree before any is timed (a wrong fast kernel is not a result).
    let expected = a.dot(&b);
    let mut c = Array2::<f32>::zeros((m, n));
    sgemm_into(&a, &b, &mut c);
    let tol = 1e-4 * k as f32;
    assert!(
        c.iter().zip(&expected).all(|(x, y)| (x - y).abs() <= tol),
        "sgemm disagrees with dot"
    );
    matmul_into(1.0, &a, &b, 0.0, &mut c);
    assert!(
        c.iter().zip(&expected).all(|(x, y)| (x - y).abs() <= tol),
        "matmul_into disagrees with dot"
    );

    if with_naive {
        let naive = matmul_naive(&a, &b);
        assert!(
            naive
                .iter()
                .zip(&expected)
                .all(|(x, y)| (x - y).abs() <= tol),
            "naive disagrees with dot"
        );
        group.bench_with_input(
            BenchmarkId::new("naive", param.clone()),
            &(),
            |bench, ()| bench.iter(|| matmul_naive(black_box(&a), black_box(&b))),
        );
    }
    group.bench_with_input(BenchmarkId::new("dot", param.clone()), &(), |bench, ()| {
        bench.iter(|| black_box(&a).dot(black_box(&b)))
    });
    group.bench_with_input(
        BenchmarkId::new("general_mat_mul", param.clone()),
        &(),
        |bench, ()| bench.iter(|| general_mat_mul(1.0, black_box(&a), black_box(&b), 0.0, &mut c)),
    );
    group.bench_with_input(
        BenchmarkId::new("sgemm", param.clone()),
        &(),
        |bench, ()| bench.iter(|| sgemm_into(black_box(&a), black_box(&b), &mut c)),
    );
    group.bench_with_input(BenchmarkId::new("matmul_into", param), &(), |bench, ()| {
        bench.iter(|| matmul_into(1.0, black_box(&a), black_box(&b), 0.0, &mut c))
    });
}

fn tutorial_step(c: &mut Criterion) {
    const BATCH: usize = 32;
    let x = filled(BATCH, 784, 1);
    let w1 = filled(784, 128, 2);
    let h = filled(BATCH, 128, 3);
    let w2 = filled(128, 10, 4);
    let dout2 = filled(BATCH, 10, 5);
    let dout1 = filled(BATCH, 128, 6);

    let mut group = c.benchmark_group("matmul_tutorial_b32");
    let products: [(&str, ArrayView2<'_, f32>, ArrayView2<'_, f32>); 6] = [
        ("fwd1 x.W1 32x784x128", x.view(), w1.view()),
        ("fwd2 h.W2 32x128x10", h.view(), w2.view()),
        ("bwd2 hT.dout 128x32x10", h.t(), dout2.view()),
        ("bwd2 dout.W2T 32x10x128", dout2.view(), w2.t()),
        ("bwd1 xT.dout 784x32x128", x.t(), dout1.view()),
        ("bwd1 dout.W1T 32x128x784", dout1.view(), w1.t()),
    ];
    for (label, a, b) in products {
        bench_five_ways(&mut group, label, a, b, true);
    }
    group.finish();
}

fn square_sweep(c: &mut Criterion) {
    let quick = quick_mode();
    let mut group = c.benchmark_group("matmul_square");
    // Each large iteration is long; ten equal samples keep the full run bounded.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for n in [64, 128, 256, 512, 1024] {
        let a = filled(n, n, 7);
        let b = filled(n, n, 8);
        // The naive 1024^3 product takes seconds per call; quick mode leaves it out.
        let with_naive = !(quick && n > 512);
        if !with_naive {
            println!(
                "matmul_square/naive/{n}: skipped in --quick mode (seconds per call); run without --quick to time it"
            );
        }
        bench_five_ways(&mut group, n, a.view(), b.view(), with_naive);
    }
    group.finish();
}

criterion_group! {
    name = matmul;
    config = criterion_config();
    targets = tutorial_step, square_sweep
}
criterion_main!(matmul);
