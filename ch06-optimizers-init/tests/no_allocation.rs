//! "The update step allocates nothing": counted with a global allocator. After a first step
//! (which creates the optimizer's state), further steps through `begin_step` and
//! `update_param` must not allocate at all, for every optimizer, with clipping and weight
//! decay on. This file holds ONE test so that no other thread allocates meanwhile.

use ch04_loss_gradient::Labels;
use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::dropout::DropoutForm;
use ch06_optimizers_init::keras::schedules::CosineDecay;
use ch06_optimizers_init::keras::*;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ndarray::{Array1, Array2, ArrayD};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
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
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        steps(opt.as_mut(), &mut w, &mut g, 5);
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        assert_eq!(
            after - before,
            0,
            "{} allocated {} times in 5 steps",
            opt.name(),
            after - before
        );
    }
}
