//! "The update step allocates nothing": counted with a global allocator. After a first step
//! (which creates the optimizer's state), further steps through `begin_step` and
//! `update_param` must not allocate at all, for every optimizer, with clipping and weight
//! decay on. Allocations are counted per thread.

use ch04_loss_gradient::Labels;
use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::dropout::DropoutForm;
use ch06_optimizers_init::keras::schedules::CosineDecay;
use ch06_optimizers_init::keras::*;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ndarray::{Array1, Array2, ArrayD};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Allocations made by THIS thread (the test harness's own threads do not count).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
        let before = allocations();
        steps(opt.as_mut(), &mut w, &mut g, 5);
        let after = allocations();
        assert_eq!(
            after - before,
            0,
            "{} allocated {} times in 5 steps",
            opt.name(),
            after - before
        );
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
    let before = allocations();
    for _ in 0..5 {
        net.gradient(&x, Labels::Sparse(t.view())).unwrap();
        net.update(&mut opt);
    }
    let after = allocations();
    // The only allocations left are matrixmultiply's packing buffers, which it allocates
    // inside every matrix product (matrixmultiply 0.3 `gemm::make_packing_buffer`): 3 Affine
    // forwards + 3 dW + 2 dx (the first layer's dx is skipped) = 8 products a step. Anything
    // of this crate's own (buffers, optimizer state, masks) would add to that count.
    let matmuls_per_step = 8;
    assert!(
        after - before <= 5 * matmuls_per_step,
        "a MultiLayerNetExtend step allocated {} times in 5 steps (matrix products: {})",
        after - before,
        5 * matmuls_per_step
    );
}
