//! One optimizer step on the tutorial's 784x128 kernel: the book's array expressions versus
//! the fused Keras optimizers.
//!
//! `book/<name>` is `ch06_optimizers_init::book`: one whole-array expression per line of the
//! book's NumPy, each allocating a temporary (784x128 f32 = 392 KiB) and walking memory again.
//! `keras/<name>` is `ch06_optimizers_init::keras`: one `Zip` pass over the parameter, its
//! gradient and the optimizer's slots, allocating nothing once the slots exist. Adam's pass is
//! a loop over slices, compiled for AVX when the CPU has it, and split over two cores for a
//! kernel this size (see `ch06_optimizers_init::keras::adam`).
//! For scale: the forward and backward matrix products of a batch of 32 take ~125 us on the
//! machine the design notes were measured on (see the `matmul` bench for this one).
//!
//! `keras_zero_grad_subnormal_m/adam` is Keras' Adam once a zero gradient has decayed its first
//! moment into the subnormal range (see the comment in the code); Adam now flushes such
//! moments to 0, as TensorFlow's flush-to-zero does, so it should cost what `keras/adam` does.
//!
//! Throughput is the number of parameters updated (Melem/s).

use std::hint::black_box;

use benches::{criterion_config, filled};
use ch05_backprop::ParamMut;
use ch06_optimizers_init::keras::OptimizerName;
use ch06_optimizers_init::{Optimizer, book};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;

/// One step: `begin_step`, then the update of parameter 0 (the kernel) from its gradient.
fn step(opt: &mut dyn Optimizer<f32>, w: &mut Array2<f32>, g: &mut Array2<f32>) {
    opt.begin_step();
    opt.update_param(
        0,
        ParamMut {
            name: "kernel",
            value: w.view_mut().into_dyn(),
            grad: g.view_mut().into_dyn(),
        },
    );
}

fn optimizers(c: &mut Criterion) {
    let (rows, cols) = (784, 128);
    let mut group = c.benchmark_group(format!("optimizer_{rows}x{cols}"));
    group.throughput(Throughput::Elements((rows * cols) as u64));

    let book: Vec<(&str, Box<dyn Optimizer<f32>>)> = vec![
        ("SGD", Box::new(book::SGD::default())),
        ("Momentum", Box::new(book::Momentum::<f32>::default())),
        ("Nesterov", Box::new(book::Nesterov::<f32>::default())),
        ("AdaGrad", Box::new(book::AdaGrad::<f32>::default())),
        ("RMSprop", Box::new(book::RMSprop::<f32>::default())),
        ("Adam", Box::new(book::Adam::<f32>::default())),
    ];
    let keras = OptimizerName::ALL.map(|name| (name.as_str(), name.build::<f32>()));
    let runs = book
        .into_iter()
        .map(|(name, opt)| ("book", name, opt))
        .chain(keras.into_iter().map(|(name, opt)| ("keras", name, opt)));

    for (family, name, mut opt) in runs {
        // Small weights and gradients, as in training: values stay finite over many steps.
        let mut w = filled(rows, cols, 41) * 0.1;
        let mut g = filled(rows, cols, 42) * 0.01;
        // The first step creates the optimizer's slots; time the steady state after it.
        step(opt.as_mut(), &mut w, &mut g);
        group.bench_function(BenchmarkId::new(family, name), |bench| {
            bench.iter(|| step(opt.as_mut(), black_box(&mut w), &mut g))
        });
        assert!(
            w.iter().all(|x| x.is_finite()),
            "{family}/{name} drove the weights to a non-finite value"
        );
    }

    // Weights whose gradient is exactly zero (pixels that are blank in every image, dead ReLU
    // units) see Adam's first moment decay by beta_1 = 0.9 per step: after ~800 steps it is
    // subnormal, and subnormal arithmetic takes a slow microcode path on x86 unless the FPU
    // flushes it to zero (TensorFlow runs its kernels with flush-to-zero). This case times that
    // state: the same update as `keras/adam`, with a zero gradient and subnormal moments.
    let mut adam = OptimizerName::Adam.build::<f32>();
    let mut w = filled(rows, cols, 41) * 0.1;
    let mut g = filled(rows, cols, 42) * 0.01;
    step(adam.as_mut(), &mut w, &mut g);
    g.fill(0.0);
    for _ in 0..1000 {
        step(adam.as_mut(), &mut w, &mut g);
    }
    group.bench_function(
        BenchmarkId::new("keras_zero_grad_subnormal_m", "adam"),
        |bench| bench.iter(|| step(adam.as_mut(), black_box(&mut w), &mut g)),
    );
    group.finish();
}

criterion_group! {
    name = optimizers_784x128;
    config = criterion_config();
    targets = optimizers
}
criterion_main!(optimizers_784x128);
