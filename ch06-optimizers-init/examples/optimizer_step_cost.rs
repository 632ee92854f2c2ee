//! What one optimizer step costs on the tutorial's largest parameter, the 784x128 kernel of
//! `Dense(128)` (float32): every Keras optimizer (one fused `Zip` loop, no allocation) and
//! the book's Adam (array expressions, which allocate temporaries).
//!
//! Prints microseconds per step (median of 7 runs of `--steps N`, default 200). Timings
//! need a release build:
//!
//! Run: `cargo run --release -p ch06-optimizers-init --example optimizer_step_cost`

mod common;

use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::book;
use ch06_optimizers_init::keras::{OptimizerName, optimizer_from_name};
use ndarray::Array2;
use std::time::Instant;

fn cost(opt: &mut dyn Optimizer<f32>, steps: usize) -> f64 {
    let mut w = Array2::<f32>::from_elem((784, 128), 0.1).into_dyn();
    let mut g = Array2::<f32>::from_shape_fn((784, 128), |(i, j)| {
        ((i * 31 + j * 7) % 13) as f32 * 1e-3 - 6e-3
    })
    .into_dyn();
    let mut runs = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..steps {
            opt.begin_step();
            opt.update_param(
                0,
                ParamMut {
                    name: "W",
                    value: w.view_mut(),
                    grad: g.view_mut(),
                },
            );
        }
        runs.push(start.elapsed().as_secs_f64() * 1e6 / steps as f64);
    }
    runs.sort_by(f64::total_cmp);
    runs[3]
}

fn main() {
    let steps: usize = common::arg("--steps", 200);
    println!("one step on a 784x128 f32 kernel (median of 7 x {steps} steps):");
    for name in OptimizerName::ALL {
        let mut opt = optimizer_from_name::<f32>(name.as_str()).expect("known name");
        println!(
            "  keras {:9} {:8.1} us",
            opt.name(),
            cost(opt.as_mut(), steps)
        );
    }
    let mut adam = book::Adam::<f32>::default();
    println!(
        "  book  Adam      {:8.1} us (array expressions)",
        cost(&mut adam, steps)
    );
}
