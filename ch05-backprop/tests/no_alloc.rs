//! The hot paths allocate nothing once their buffers have their shapes: every layer's
//! `forward_into`/`backward_into`, the fused softmax + cross-entropy, `loss_gradient`, and a
//! whole `TwoLayerNet` training step.
//!
//! Counted by `test_support::alloc`'s allocator, whose documentation explains the counting:
//! allocations of the test's thread *and* of the helper thread that may run half of a big
//! matrix product (marked by `run_on_helper(count_this_thread)`), so the count does not
//! depend on which thread ran what (`DLFS_THREADS=1`, a busy machine). The one allocation
//! left is matrixmultiply's packing buffer, once per call of its gemm; each test demands
//! exactly that many, so a single allocation of our own per step fails it.

use ch03_activations::keras::Activation;
use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::Loss;
use ch05_backprop::keras::loss_gradient;
use ch05_backprop::{
    ActivationLayer, Affine, Layer, Mode, Relu, Sigmoid, SoftmaxWithLoss, TwoLayerNet,
};
use ndarray::{Array1, Array2};
use rand::{SeedableRng, rngs::StdRng};
use speed::matmul::SPLIT_MIN_FLOPS;
use speed::parallel::run_on_helper;
use test_support::alloc::{Counting, allocations, count_this_thread, start};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The packing buffers of one product `(m, k) x (k, n)` through ch05's `matmul_into`.
fn gemm_calls(m: usize, k: usize, n: usize) -> usize {
    test_support::alloc::gemm_calls(SPLIT_MIN_FLOPS, m, k, n)
}

fn step<L: Layer<f32>>(
    layer: &mut L,
    x: &Array2<f32>,
    out: &mut Array2<f32>,
    dout: &Array2<f32>,
    dx: &mut Array2<f32>,
) {
    layer.forward_into(x, Mode::Train, out);
    layer.backward_into(dout, dx);
}

#[test]
fn layer_steps_allocate_nothing_once_shaped() {
    let _serial = start();
    run_on_helper(count_this_thread); // the helper's share of the work counts too
    // The counter sees an allocation on the helper thread (when there is one).
    let on_helper = allocations(|| {
        speed::parallel::run_on_helper(|| drop(std::hint::black_box(Box::new(1u8))));
    });
    assert_eq!(on_helper, usize::from(speed::parallel::helper_available()));
    let x = Array2::from_shape_fn((32, 784), |(i, j)| {
        ((i * 31 + j * 7) % 13) as f32 / 13.0 - 0.4
    });
    let (mut out, mut dx) = (Array2::zeros((0, 0)), Array2::zeros((0, 0)));
    let dout = Array2::from_elem((32, 128), 0.01f32);

    let mut affine =
        Affine::new(Array2::from_elem((784, 128), 0.01f32), Array1::zeros(128)).unwrap();
    step(&mut affine, &x, &mut out, &dout, &mut dx); // shapes the buffers
    // 3 products: x W, x^T dout, dout W^T (each big enough to be cut in two)
    let products = gemm_calls(32, 784, 128) + gemm_calls(784, 32, 128) + gemm_calls(32, 128, 784);
    assert_eq!(products, 6);
    let n = allocations(|| step(&mut affine, &x, &mut out, &dout, &mut dx));
    assert_eq!(n, products, "Affine step");
    affine.set_needs_input_grad(false);
    step(&mut affine, &x, &mut out, &dout, &mut dx);
    let n = allocations(|| step(&mut affine, &x, &mut out, &dout, &mut dx));
    assert_eq!(
        n,
        products - gemm_calls(32, 128, 784),
        "Affine step without dx"
    );

    let dout = Array2::from_elem((32, 784), 0.01f32);
    let mut relu = Relu::new();
    step(&mut relu, &x, &mut out, &dout, &mut dx);
    assert_eq!(
        allocations(|| step(&mut relu, &x, &mut out, &dout, &mut dx)),
        0
    );
    let mut sigmoid = Sigmoid::new();
    step(&mut sigmoid, &x, &mut out, &dout, &mut dx);
    assert_eq!(
        allocations(|| step(&mut sigmoid, &x, &mut out, &dout, &mut dx)),
        0
    );
    for activation in Activation::all() {
        let mut layer = ActivationLayer::new(activation);
        step(&mut layer, &x, &mut out, &dout, &mut dx);
        assert_eq!(
            allocations(|| step(&mut layer, &x, &mut out, &dout, &mut dx)),
            0,
            "{activation:?}"
        );
    }
}

#[test]
fn losses_and_their_gradients_allocate_nothing_once_shaped() {
    let _serial = start();
    run_on_helper(count_this_thread); // the helper's share of the work counts too
    let logits = Array2::from_shape_fn((32, 10), |(i, j)| ((i * 3 + j * 5) % 7) as f32 - 3.0);
    let labels = Array1::from_shape_fn(32, |i| i % 10);
    let weights = Array1::from_elem(32, 0.5f32);
    let mut last = SoftmaxWithLoss::new();
    let mut dx = Array2::zeros((0, 0));
    let mut run = || {
        last.forward_weighted(&logits, Labels::Sparse(labels.view()), Some(&weights))
            .unwrap();
        last.backward_into(&mut dx);
    };
    run();
    assert_eq!(allocations(run), 0);

    let probs = logits.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    let one_hot =
        Array2::from_shape_fn((32, 10), |(i, j)| if labels[i] == j { 1.0f32 } else { 0.0 });
    let mut grad = Array2::zeros((0, 0));
    for (_, loss) in ch04_loss_gradient::keras::LOSS_NAMES {
        let t = match loss {
            Loss::SparseCategoricalCrossentropy { .. } => Labels::Sparse(labels.view()),
            _ => Labels::Dense(one_hot.view()),
        };
        loss_gradient(loss, t, &probs, Some(&weights), &mut grad).unwrap();
        let n = allocations(|| loss_gradient(loss, t, &probs, Some(&weights), &mut grad).unwrap());
        assert_eq!(n, 0, "{loss:?}");
    }
}

#[test]
fn a_two_layer_net_training_step_allocates_nothing_once_shaped() {
    let _serial = start();
    run_on_helper(count_this_thread); // the helper's share of the work counts too
    let mut net =
        TwoLayerNet::<f32>::new(784, 50, 10, 0.01, &mut StdRng::seed_from_u64(0)).unwrap();
    let x = Array2::from_shape_fn((100, 784), |(i, j)| ((i + j) % 17) as f32 / 17.0);
    let t = Array1::from_shape_fn(100, |i| i % 10);
    let mut train_step = || {
        net.forward_backward(&x, Labels::Sparse(t.view())).unwrap();
        net.for_each_param(&mut |mut p| p.value.scaled_add(-0.1, &p.grad));
    };
    train_step();
    // 5 products: x W1, z1 W2, z1^T dscores, dscores W2^T, x^T da1 (no dx for the first
    // layer); x W1 and x^T da1 (100x784x50) are cut in two.
    let products = gemm_calls(100, 784, 50)
        + gemm_calls(100, 50, 10)
        + gemm_calls(50, 100, 10)
        + gemm_calls(100, 10, 50)
        + gemm_calls(784, 100, 50);
    assert_eq!(products, 7);
    for _ in 0..3 {
        let n = allocations(&mut train_step);
        assert_eq!(n, products, "allocations of a step");
    }
}
