//! "The update step allocates nothing": counted with a global allocator. After a first step
//! (which creates the optimizer's state), further steps through `begin_step` and
//! `update_param` must not allocate at all, for every optimizer, with clipping and weight
//! decay on.
//!
//! The allocator is `test_support::alloc`'s (its documentation explains the counting):
//! allocations of the test's thread *and* of the helper thread that may run half of Adam's
//! update or of a big matrix product are counted together, so the count is the
//! same whichever thread did the work: with `DLFS_THREADS=1`, on a busy machine, or with the
//! helper taking its share. (Counting the test's thread alone made this test flake: 8 or 10
//! allocations a step, depending on the helper.)

use ch04_loss_gradient::Labels;
use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::dropout::DropoutForm;
use ch06_optimizers_init::keras::schedules::CosineDecay;
use ch06_optimizers_init::keras::*;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ndarray::{Array1, Array2, ArrayD};
use speed::matmul::SPLIT_MIN_FLOPS;
use speed::parallel::run_on_helper;
use test_support::alloc::{Counting, allocations, count_this_thread, start};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The packing buffers of one product `(m, k) x (k, n)` through ch05's `matmul_into`.
fn gemm_calls(m: usize, k: usize, n: usize) -> usize {
    test_support::alloc::gemm_calls(SPLIT_MIN_FLOPS, m, k, n)
}

fn steps(opt: &mut dyn Optimizer<f32>, w: &mut [ArrayD<f32>], g: &mut [ArrayD<f32>], n: usize) {
    for _ in 0..n {
        if opt.needs_global_norm() {
            let norm: f64 = g
                .iter()
                .map(|g| ch06_optimizers_init::grad_sq_norm(g))
                .sum::<f64>()
                .sqrt();
            opt.set_global_norm(norm);
        }
        opt.begin_step();
        for (i, (w, g)) in w.iter_mut().zip(g.iter_mut()).enumerate() {
            opt.update_param(
                i,
                ParamMut {
                    name: "W",
                    value: w.view_mut(),
                    grad: g.view_mut(),
                },
            );
        }
    }
}

#[test]
fn a_training_step_allocates_nothing_once_state_exists() {
    let _serial = start();
    run_on_helper(count_this_thread); // the helper's share of the work counts too
    let schedule = CosineDecay::new(0.01, 100, 0.0).unwrap();
    let optimizers: Vec<Box<dyn Optimizer<f32>>> = vec![
        Box::new(
            SGD::new(0.01, 0.9, true)
                .unwrap()
                .with_clipnorm(1.0)
                .unwrap(),
        ),
        Box::new(SGD::default().with_clipvalue(0.1).unwrap()),
        Box::new(RMSprop::new(0.001, 0.9, 0.5).unwrap().with_centered(true)),
        Box::new(Adagrad::default().with_global_clipnorm(1.0).unwrap()),
        Box::new(Adadelta::default()),
        Box::new(Adam::default().with_amsgrad(true).with_schedule(schedule)),
        Box::new(Adamax::default()),
        Box::new(Nadam::default()),
        Box::new(Ftrl::default()),
        Box::new(AdamW::default().exclude_from_weight_decay(&["b"])),
    ];
    for mut opt in optimizers {
        let mut w = vec![
            Array2::<f32>::ones((784, 128)).into_dyn(),
            Array2::ones((1, 128)).into_dyn(),
        ];
        let mut g = vec![
            Array2::<f32>::from_elem((784, 128), 0.01).into_dyn(),
            Array2::from_elem((1, 128), 0.3).into_dyn(),
        ];
        steps(opt.as_mut(), &mut w, &mut g, 1);
        let n = allocations(|| steps(opt.as_mut(), &mut w, &mut g, 5));
        assert_eq!(n, 0, "{} allocated {n} times in 5 steps", opt.name());
    }

    // A whole training step of MultiLayerNetExtend (BatchNorm, inverted Dropout, weight decay)
    // with a fused optimizer: forward, loss, backward and update allocate nothing of their own
    // once the buffers have the batch's shape.
    let mut config = NetConfig::new(784, vec![64, 64], 10);
    config.use_batchnorm = true;
    config.use_dropout = true;
    config.dropout_form = DropoutForm::Inverted;
    config.weight_decay_lambda = 0.01;
    let mut net = config.build::<f32>(0).unwrap();
    let x = Array2::<f32>::from_shape_fn((32, 784), |(i, j)| ((i * 7 + j) % 11) as f32 / 11.0);
    let t = Array1::from_shape_fn(32, |i| i % 10);
    let mut opt = Adam::<f32>::default().with_global_clipnorm(5.0).unwrap();
    for _ in 0..2 {
        net.gradient(&x, Labels::Sparse(t.view())).unwrap();
        net.update(&mut opt);
    }
    // The only allocations left are matrixmultiply's packing buffers, one per call of its
    // gemm. The products of a step (batch 32, layers 784 -> 64 -> 64 -> 10): 3 Affine
    // forwards, 3 dW, and 2 dx (the first layer's dx is skipped); the first layer's forward
    // and dW are big enough for `matmul_into` to cut in two. Anything of this crate's own
    // (buffers, optimizer state, masks) would add to that count.
    let per_step = gemm_calls(32, 784, 64) // x W1
        + gemm_calls(32, 64, 64) // h1 W2
        + gemm_calls(32, 64, 10) // h2 W3
        + gemm_calls(64, 32, 10) // dW3 = h2^T d3
        + gemm_calls(32, 10, 64) // dx3 = d3 W3^T
        + gemm_calls(64, 32, 64) // dW2
        + gemm_calls(32, 64, 64) // dx2
        + gemm_calls(784, 32, 64); // dW1 = x^T d1
    assert_eq!(per_step, 10);
    for _ in 0..5 {
        let n = allocations(|| {
            net.gradient(&x, Labels::Sparse(t.view())).unwrap();
            net.update(&mut opt);
        });
        assert_eq!(
            n, per_step,
            "a MultiLayerNetExtend step allocated {n} times; its matrix products make {per_step}"
        );
    }
}
