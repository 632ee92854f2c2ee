//! Whole training steps and a whole epoch of the tutorial model through keras-lite.
//!
//! The model is the tutorial's: Flatten(28x28), Dense(128, relu), Dense(10, softmax), Adam,
//! sparse categorical cross-entropy, accuracy. The data are synthetic (60000 "images" in
//! [0, 1], labels 0..9): the time of a step does not depend on the pixel values, and the bench
//! does not need the dataset installed.
//!
//! | bench | what |
//! |---|---|
//! | `train_on_batch/32` | `Sequential::train_on_batch` on one batch of 32: the public one-step API, with its per-call checks and `Logs` |
//! | `fit_epoch/32`, `fit_epoch/256` | `Sequential::fit` for one epoch over 60000 samples, `verbose = 0` (1875 or 235 steps) |
//!
//! Throughput is the arithmetic of the matrix products, `2 m k n` summed over the step's
//! products (the first layer's `dx` is not computed), so the GFLOP/s read directly against the
//! `matmul` bench's: one epoch is 60000 x 409088 = 24.5 GFLOP.

use std::hint::black_box;

use benches::{FLOPS_PER_SAMPLE, criterion_config, synthetic, tutorial_model};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use keras_lite::FitOptions;
use ndarray::s;

const SAMPLES: usize = 60_000;

fn train_on_batch(c: &mut Criterion) {
    let (x, y) = synthetic(32);
    let mut model = tutorial_model();
    let mut group = c.benchmark_group("train_on_batch");
    group.throughput(Throughput::Elements(32 * FLOPS_PER_SAMPLE));
    group.bench_function(BenchmarkId::new("tutorial", 32), |bench| {
        bench.iter(|| {
            model
                .train_on_batch(black_box(&x), black_box(&y), None)
                .expect("valid batch")
        })
    });
    group.finish();
}

fn fit_epoch(c: &mut Criterion) {
    let (x, y) = synthetic(SAMPLES);
    let mut group = c.benchmark_group("fit_epoch");
    // An epoch takes a good fraction of a second: ten equal samples are plenty.
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(SAMPLES as u64 * FLOPS_PER_SAMPLE));
    for batch_size in [32, 256] {
        let mut model = tutorial_model();
        // One short fit first, so buffers and optimizer slots exist before timing.
        let warm = FitOptions {
            batch_size,
            epochs: 1,
            verbose: 0,
            ..FitOptions::default()
        };
        model
            .fit(
                &x.slice(s![..batch_size * 4, .., ..]),
                &y.slice(s![..batch_size * 4]),
                warm,
            )
            .expect("fit on valid data");
        group.bench_function(BenchmarkId::new("tutorial", batch_size), |bench| {
            bench.iter(|| {
                let options = FitOptions {
                    batch_size,
                    epochs: 1,
                    verbose: 0,
                    ..FitOptions::default()
                };
                model
                    .fit(black_box(&x), black_box(&y), options)
                    .expect("fit on valid data")
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = training;
    config = criterion_config();
    targets = train_on_batch, fit_epoch
}
criterion_main!(training);
