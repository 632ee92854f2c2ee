//! Chapter 7's kernels at the shapes of keras-lite's `fashion_mnist_cnn` (batch 32,
//! channels-last memory seen as (N, C, H, W) through a permuted view, f32):
//!
//! ```text
//! 28x28x1 -> Conv 32 3x3 -> 26x26x32 -> max pool 2 -> 13x13x32 -> Conv 64 3x3 -> 11x11x64 -> pool 2 -> 5x5x64
//! ```
//!
//! | group | what | throughput |
//! |---|---|---|
//! | `im2col` | `im2col_into` (columns (c, fh, fw)) of both convolutions' inputs as NHWC views (and the book's NCHW layout for the second), and `im2col_channels_last_into` (columns (fh, fw, c)) | bytes of `col` written |
//! | `col2im` | `col2im_into` of the second convolution's `dcol` (the first layer needs no `dx`) into NHWC and NCHW, and `col2im_channels_last_into` | bytes of `col` read |
//! | `conv_forward` | `conv_forward_rows`: `col W_col + b` | `2 m k n` flops |
//! | `conv_backward` | `conv_backward_rows`: `dW_col = col^T dout`, `db`, and `dcol = dout W_col^T` (second layer) | `2 m k n` per product |
//! | `conv_direct` | ch07's `direct` kernels as keras-lite's `Conv2D` runs them: `forward` and `backward` (dW, db) of both convolutions (thin for the first, wide for the second), and the second's `input_grad` (dx without `dcol`) | `2 m k n` flops |
//! | `max_pool`, `avg_pool` | forward and backward of the 2x2 pools | bytes of the input read (forward) / `dx` written (backward) |
//! | `cnn_step` | the whole model of `fashion_mnist_cnn` through keras-lite (Adam, sparse categorical cross-entropy, accuracy): `train_on_batch` of one batch of 32, and `fit` over 1600 samples (50 steps of 32, `verbose` 0) | `2 m k n` of the step's products (CNN_FLOPS_PER_SAMPLE per sample) |
//!
//! Compare the GFLOP/s with `cargo bench -p benches --bench matmul` (the same matrixmultiply
//! kernel on the dense layer's shapes).

use std::hint::black_box;

use benches::{criterion_config, filled};
use ch07_cnn::convolution::{conv_backward_rows, conv_forward_rows};
use ch07_cnn::direct::{
    conv_backward_direct, conv_forward_direct_into, conv_input_grad_direct_into, use_direct,
};
use ch07_cnn::im2col::{
    Conv2dGeometry, Padding, col2im_channels_last_into, col2im_into, im2col_channels_last_into,
    im2col_into,
};
use ch07_cnn::pooling::{
    avg_pool_backward_into, avg_pool_forward_into, max_pool_backward_into, max_pool_forward_into,
};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use keras_lite::layers::{Conv2D, Dense, Flatten, MaxPooling2D};
use keras_lite::{FitOptions, Sequential};
use ndarray::{Array1, Array2, Array4};

const BATCH: usize = 32;

/// A channels-last batch (N, H, W, C) of deterministic values.
fn nhwc(h: usize, w: usize, c: usize, seed: usize) -> Array4<f32> {
    filled(BATCH, h * w * c, seed)
        .into_shape_with_order((BATCH, h, w, c))
        .expect("row-major")
}

/// (name, H, W, C_in, C_out): the two convolutions.
const CONVS: [(&str, usize, usize, usize, usize); 2] = [
    ("conv1_28x28x1_32", 28, 28, 1, 32),
    ("conv2_13x13x32_64", 13, 13, 32, 64),
];

fn geometry(h: usize, w: usize, c: usize, k: usize) -> Conv2dGeometry {
    Conv2dGeometry::new((BATCH, c, h, w), (k, k), (1, 1), Padding::default()).expect("fits")
}

fn im2col_col2im(c: &mut Criterion) {
    let mut group = c.benchmark_group("im2col");
    for (name, h, w, cin, _) in CONVS {
        let g = geometry(h, w, cin, 3);
        let x = nhwc(h, w, cin, 1);
        let mut col = Array2::zeros(g.col_shape());
        let bytes = (col.len() * 4) as u64;
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(BenchmarkId::new("nhwc", name), |b| {
            b.iter(|| {
                im2col_into(
                    black_box(x.view().permuted_axes([0, 3, 1, 2])),
                    &g,
                    &mut col,
                )
            })
        });
        group.bench_function(BenchmarkId::new("channels_last", name), |b| {
            b.iter(|| im2col_channels_last_into(black_box(x.view()), &g, &mut col))
        });
        if cin > 1 {
            let nchw = x
                .view()
                .permuted_axes([0, 3, 1, 2])
                .as_standard_layout()
                .into_owned();
            group.bench_function(BenchmarkId::new("nchw", name), |b| {
                b.iter(|| im2col_into(black_box(nchw.view()), &g, &mut col))
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("col2im");
    let (name, h, w, cin, _) = CONVS[1];
    let g = geometry(h, w, cin, 3);
    let (rows, cols) = g.col_shape();
    let dcol = filled(rows, cols, 2);
    let mut dx = Array4::zeros((BATCH, h, w, cin));
    group.throughput(Throughput::Bytes((dcol.len() * 4) as u64));
    group.bench_function(BenchmarkId::new("nhwc", name), |b| {
        b.iter(|| {
            col2im_into(
                black_box(dcol.view()),
                &g,
                dx.view_mut().permuted_axes([0, 3, 1, 2]),
            )
        })
    });
    group.bench_function(BenchmarkId::new("channels_last", name), |b| {
        b.iter(|| col2im_channels_last_into(black_box(dcol.view()), &g, dx.view_mut()))
    });
    let mut dx_nchw = Array4::zeros((BATCH, cin, h, w));
    group.bench_function(BenchmarkId::new("nchw", name), |b| {
        b.iter(|| col2im_into(black_box(dcol.view()), &g, dx_nchw.view_mut()))
    });
    group.finish();
}

fn conv_products(c: &mut Criterion) {
    let mut forward = c.benchmark_group("conv_forward");
    for (name, h, w, cin, cout) in CONVS {
        let g = geometry(h, w, cin, 3);
        let (m, k) = g.col_shape();
        let col = filled(m, k, 3);
        let w_col = filled(k, cout, 4) * 0.1;
        let bias = Array1::from_elem(cout, 0.01f32);
        let mut out = Array2::zeros((m, cout));
        forward.throughput(Throughput::Elements((2 * m * k * cout) as u64));
        forward.bench_function(name, |b| {
            b.iter(|| conv_forward_rows(black_box(&col), &w_col, &bias, &mut out))
        });
    }
    forward.finish();

    let mut backward = c.benchmark_group("conv_backward");
    for (name, h, w, cin, cout) in CONVS {
        let g = geometry(h, w, cin, 3);
        let (m, k) = g.col_shape();
        let col = filled(m, k, 5);
        let w_col = filled(k, cout, 6) * 0.1;
        let dout = filled(m, cout, 7);
        let mut dw = Array2::zeros((k, cout));
        let mut db = Array1::zeros(cout);
        let mut dcol = Array2::zeros((m, k));
        // the first layer has nobody to pass dx to: dW and db only, as keras-lite's Conv2D
        let first = cin == 1;
        let products = if first { 1 } else { 2 };
        backward.throughput(Throughput::Elements((products * 2 * m * k * cout) as u64));
        backward.bench_function(name, |b| {
            b.iter(|| {
                let dcol = (!first).then_some(&mut dcol);
                conv_backward_rows(black_box(&col), &w_col, &dout, &mut dw, &mut db, dcol)
            })
        });
    }
    backward.finish();
    direct(c);
}

/// The first layer through ch07's `direct` kernels (no im2col, no product), as keras-lite's
/// Conv2D runs it: the same flops as the `conv1` rows above, read from the (N, H, W, 1) input.
fn direct(c: &mut Criterion) {
    let mut group = c.benchmark_group("conv_direct");
    for (name, h, w, cin, cout) in CONVS {
        let g = geometry(h, w, cin, 3);
        let (m, k) = g.col_shape();
        let x = filled(BATCH, h * w * cin, 8);
        let x = x.as_slice().expect("row-major");
        let w_col = filled(k, cout, 4) * 0.1;
        let bias = Array1::from_elem(cout, 0.01f32);
        let dout = filled(m, cout, 7);
        let (mut out, mut dw, mut db) = (
            Array2::zeros((m, cout)),
            Array2::zeros((k, cout)),
            Array1::zeros(cout),
        );
        group.throughput(Throughput::Elements((2 * m * k * cout) as u64));
        group.bench_function(BenchmarkId::new("forward", name), |b| {
            b.iter(|| conv_forward_direct_into(black_box(x), &g, &w_col, &bias, &mut out))
        });
        assert!(use_direct(&g));
        // `dout` on a 64-byte boundary, as keras-lite's Conv2D keeps its `dz`.
        let mut buf = vec![0.0f32; m * cout + 16];
        let at = buf.as_ptr().align_offset(64);
        buf[at..at + m * cout].copy_from_slice(dout.as_slice().expect("row-major"));
        let dout = ndarray::ArrayView2::from_shape((m, cout), &buf[at..at + m * cout])
            .expect("m * cout values");
        group.bench_function(BenchmarkId::new("backward", name), |b| {
            b.iter(|| conv_backward_direct(black_box(x), &g, &w_col, &dout, &mut dw, &mut db, None))
        });
        if cin > 1 {
            let mut dx = vec![0.0f32; BATCH * h * w * cin];
            group.bench_function(BenchmarkId::new("input_grad", name), |b| {
                b.iter(|| conv_input_grad_direct_into(black_box(&dout), &g, &w_col, &mut dx))
            });
        }
    }
    group.finish();
}

fn pools(c: &mut Criterion) {
    // (name, H, W, C): the two pools' inputs
    let shapes = [
        ("pool1_26x26x32", 26, 26, 32),
        ("pool2_11x11x64", 11, 11, 64),
    ];
    for kind in ["max_pool", "avg_pool"] {
        let mut group = c.benchmark_group(kind);
        for (name, h, w, ch) in shapes {
            let g = Conv2dGeometry::new((BATCH, ch, h, w), (2, 2), (2, 2), Padding::default())
                .expect("fits");
            let x = nhwc(h, w, ch, 8);
            let xv = || x.view().permuted_axes([0, 3, 1, 2]);
            let mut out = Array4::zeros((BATCH, g.out_h(), g.out_w(), ch));
            let dout = nhwc(g.out_h(), g.out_w(), ch, 9);
            let mut dx = Array4::zeros((BATCH, h, w, ch));
            let mut argmax = Array4::zeros((0, 0, 0, 0));
            group.throughput(Throughput::Bytes((x.len() * 4) as u64));
            let max = kind == "max_pool";
            group.bench_function(BenchmarkId::new("forward", name), |b| {
                b.iter(|| {
                    let o = out.view_mut().permuted_axes([0, 3, 1, 2]);
                    if max {
                        max_pool_forward_into(black_box(xv()), &g, o, &mut argmax)
                    } else {
                        avg_pool_forward_into(black_box(xv()), &g, o)
                    }
                })
            });
            if max {
                let o = out.view_mut().permuted_axes([0, 3, 1, 2]);
                max_pool_forward_into(xv(), &g, o, &mut argmax).expect("fits");
            }
            let dv = dout.view().permuted_axes([0, 3, 1, 2]);
            group.bench_function(BenchmarkId::new("backward", name), |b| {
                b.iter(|| {
                    let d = dx.view_mut().permuted_axes([0, 3, 1, 2]);
                    if max {
                        max_pool_backward_into(black_box(dv), &argmax, &g, d)
                    } else {
                        avg_pool_backward_into(black_box(dv), &g, d)
                    }
                })
            });
        }
        group.finish();
    }
}

/// The products of one training sample of the CNN, `2 m k n` each: forward, `dW` and `dx` per
/// layer, but no `dx` for the first convolution (nothing needs it). Per sample:
/// conv1 2 x 389376, conv2 3 x 4460544, Dense 1600->128 3 x 409600, Dense 128->10 3 x 2560;
/// 15.4 MFLOP, so an epoch of 60000 samples is 0.92 TFLOP.
const CNN_FLOPS_PER_SAMPLE: u64 = {
    let conv1 = 2 * (26 * 26) * 32 * (3 * 3);
    let conv2 = 2 * (11 * 11) * 64 * (3 * 3 * 32);
    let dense = 2 * 1600 * 128 + 2 * 128 * 10;
    2 * conv1 + 3 * (conv2 + dense)
};

/// `fashion_mnist_cnn`'s model, compiled as the example does.
fn cnn_model() -> Sequential {
    keras_lite::backend::set_random_seed(42);
    let mut model = Sequential::new(vec![
        Conv2D::new(32, 3)
            .activation("relu")
            .input_shape(&[28, 28, 1])
            .into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(64, 3).activation("relu").into(),
        MaxPooling2D::new(2).into(),
        Flatten::new().into(),
        Dense::new(128).activation("relu").into(),
        Dense::new(10).activation("softmax").into(),
    ]);
    model
        .compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .expect("the example's compile arguments are valid");
    model
}

/// `n` synthetic 28x28x1 images in [0, 1] and labels 0..9 (a step's time does not depend on
/// the pixel values).
fn cnn_data(n: usize) -> (Array4<f32>, Array1<u8>) {
    let x = Array4::from_shape_fn((n, 28, 28, 1), |(i, r, c, _)| {
        ((i * 131 + r * 29 + c * 7) % 256) as f32 / 255.0
    });
    let y = Array1::from_shape_fn(n, |i| ((i * 7) % 10) as u8);
    (x, y)
}

fn cnn_step(c: &mut Criterion) {
    const STEPS: usize = 50;
    let mut group = c.benchmark_group("cnn_step");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);

    let (x, y) = cnn_data(BATCH);
    let mut model = cnn_model();
    group.throughput(Throughput::Elements(BATCH as u64 * CNN_FLOPS_PER_SAMPLE));
    group.bench_function(BenchmarkId::new("train_on_batch", BATCH), |b| {
        b.iter(|| {
            model
                .train_on_batch(black_box(&x), black_box(&y), None)
                .expect("valid batch")
        })
    });

    let (x, y) = cnn_data(BATCH * STEPS);
    let mut model = cnn_model();
    let options = || FitOptions {
        batch_size: BATCH,
        epochs: 1,
        verbose: 0,
        ..FitOptions::default()
    };
    // One fit first, so the buffers and optimizer slots exist before timing.
    model.fit(&x, &y, options()).expect("fit on valid data");
    group.throughput(Throughput::Elements(
        (BATCH * STEPS) as u64 * CNN_FLOPS_PER_SAMPLE,
    ));
    group.bench_function(BenchmarkId::new("fit_50_steps", BATCH), |b| {
        b.iter(|| {
            model
                .fit(black_box(&x), black_box(&y), options())
                .expect("fit on valid data")
        })
    });
    group.finish();
}

criterion_group! {
    name = conv;
    config = criterion_config();
    targets = im2col_col2im, conv_products, pools, cnn_step
}
criterion_main!(conv);
