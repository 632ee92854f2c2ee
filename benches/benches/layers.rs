//! The chapter 5 layers of the tutorial model, forward and backward, at batch 32 and 256.
//!
//! | group | what |
//! |---|---|
//! | `affine_784x128` | `Affine` forward (`x W + b`), backward with `dx` (three products' worth: `dW`, `db`, `dx`) and backward without `dx` (a first layer's) |
//! | `affine_128x10` | the output layer's `Affine`, forward and backward |
//! | `activation_128` | `Relu`, `Sigmoid` and ch03's `ActivationLayer` (relu, softmax) over (N, 128), forward then backward |
//! | `softmax_with_loss_10` | `SoftmaxWithLoss` forward (softmax and cross-entropy from sparse labels) then backward, over (N, 10) |
//!
//! Everything runs through the `_into` methods with buffers kept across iterations, as a training
//! loop does; throughput is `2 N in out` per matrix product for the Affine layers (GFLOP/s) and
//! `N D` elements otherwise.

use std::hint::black_box;

use benches::{criterion_config, filled};
use ch03_activations::keras::Activation;
use ch04_loss_gradient::Labels;
use ch05_backprop::{ActivationLayer, Affine, Layer, Mode, Relu, Sigmoid, SoftmaxWithLoss};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, Array2};

const BATCHES: [usize; 2] = [32, 256];

fn affine_layer(n_in: usize, n_out: usize) -> Affine<f32> {
    Affine::new(
        filled(n_in, n_out, 11) * 0.1,
        Array1::from_elem(n_out, 0.01),
    )
    .expect("a bias with one entry per column")
}

fn affine(c: &mut Criterion) {
    for (n_in, n_out) in [(784, 128), (128, 10)] {
        let mut group = c.benchmark_group(format!("affine_{n_in}x{n_out}"));
        for batch in BATCHES {
            let x = filled(batch, n_in, 12);
            let dout = filled(batch, n_out, 13);
            let mut layer = affine_layer(n_in, n_out);
            let mut out = Array2::zeros((0, 0));
            let mut dx = Array2::zeros((0, 0));
            let flops = (2 * batch * n_in * n_out) as u64;

            group.throughput(Throughput::Elements(flops));
            group.bench_function(BenchmarkId::new("forward", batch), |bench| {
                bench.iter(|| layer.forward_into(black_box(&x), Mode::Train, &mut out))
            });
            // dW = x^T dout, db, dx = dout W^T: two products.
            group.throughput(Throughput::Elements(2 * flops));
            group.bench_function(BenchmarkId::new("backward", batch), |bench| {
                bench.iter(|| layer.backward_into(black_box(&dout), &mut dx))
            });
            if n_in == 784 {
                layer.set_needs_input_grad(false);
                group.throughput(Throughput::Elements(flops));
                group.bench_function(BenchmarkId::new("backward_no_dx", batch), |bench| {
                    bench.iter(|| layer.backward_into(black_box(&dout), &mut dx))
                });
            }
        }
        group.finish();
    }
}

/// Forward then backward of one parameter-free layer over (N, D), buffers kept.
fn forward_backward(
    layer: &mut dyn Layer<f32>,
    x: &Array2<f32>,
    dout: &Array2<f32>,
    out: &mut Array2<f32>,
    dx: &mut Array2<f32>,
) {
    layer.forward_into(x, Mode::Train, out);
    layer.backward_into(dout, dx);
}

fn activations(c: &mut Criterion) {
    const WIDTH: usize = 128;
    let mut group = c.benchmark_group(format!("activation_{WIDTH}"));
    for batch in BATCHES {
        let x = filled(batch, WIDTH, 21);
        let dout = filled(batch, WIDTH, 22);
        let (mut out, mut dx) = (Array2::zeros((0, 0)), Array2::zeros((0, 0)));
        group.throughput(Throughput::Elements((batch * WIDTH) as u64));
        let layers: [(&str, Box<dyn Layer<f32>>); 4] = [
            ("Relu", Box::new(Relu::new())),
            ("Sigmoid", Box::new(Sigmoid::<f32>::new())),
            (
                "ActivationLayer(relu)",
                Box::new(ActivationLayer::<f32>::new(
                    "relu".parse::<Activation>().expect("a Keras name"),
                )),
            ),
            (
                "ActivationLayer(softmax)",
                Box::new(ActivationLayer::<f32>::new(
                    "softmax".parse::<Activation>().expect("a Keras name"),
                )),
            ),
        ];
        for (name, mut layer) in layers {
            group.bench_function(BenchmarkId::new(name, batch), |bench| {
                bench.iter(|| {
                    forward_backward(
                        layer.as_mut(),
                        black_box(&x),
                        black_box(&dout),
                        &mut out,
                        &mut dx,
                    )
                })
            });
        }
    }
    group.finish();
}

fn softmax_with_loss(c: &mut Criterion) {
    const CLASSES: usize = 10;
    let mut group = c.benchmark_group(format!("softmax_with_loss_{CLASSES}"));
    for batch in BATCHES {
        let logits = filled(batch, CLASSES, 31) * 4.0;
        let labels: Array1<usize> = (0..batch).map(|i| (i * 7) % CLASSES).collect();
        let mut layer = SoftmaxWithLoss::<f32>::new();
        let mut dx = Array2::zeros((0, 0));
        group.throughput(Throughput::Elements((batch * CLASSES) as u64));
        group.bench_function(BenchmarkId::new("forward_backward", batch), |bench| {
            bench.iter(|| {
                let loss = layer
                    .forward(black_box(&logits), Labels::Sparse(labels.view()))
                    .expect("labels fit the logits");
                layer.backward_into(&mut dx);
                loss
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = layers;
    config = criterion_config();
    targets = affine, activations, softmax_with_loss
}
criterion_main!(layers);
