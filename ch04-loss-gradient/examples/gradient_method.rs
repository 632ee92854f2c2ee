//! The book's `ch04/gradient_method.py`: gradient descent on f(x0, x1) = x0^2 + x1^2 from
//! (-3, 4), lr 0.1, 20 steps; the points it visits approach the minimum at the origin.
//!
//! ```python
//! def gradient_descent(f, init_x, lr=0.01, step_num=100):
//!     x = init_x
//!     x_history = []
//!     for i in range(step_num):
//!         x_history.append( x.copy() )
//!         grad = numerical_gradient(f, x)
//!         x -= lr * grad
//!     return x, np.array(x_history)
//! init_x = np.array([-3.0, 4.0])
//! x, x_history = gradient_descent(function_2, init_x, lr=0.1, step_num=20)
//! plt.plot( [-5, 5], [0,0], '--b'); plt.plot( [0,0], [-5, 5], '--b')
//! plt.plot(x_history[:,0], x_history[:,1], 'o')
//! plt.xlim(-3.5, 3.5); plt.ylim(-4.5, 4.5); plt.xlabel("X0"); plt.ylabel("X1")
//! ```
//!
//! Also prints the results of 4.4.1's three learning rates over 100 steps: 0.1 reaches
//! (-6.11110793e-10, 8.14814391e-10), 10.0 diverges to (-2.58983747e+13, -1.29524862e+12),
//! and 1e-10 barely moves (-2.99999994, 3.99999992).
//!
//! Run: `cargo run -p ch04-loss-gradient --example gradient_method -- --out figures`

use ch04_loss_gradient::gradient_descent;
use ndarray::{Array1, ArrayRef1, array};
use plot::{PlotError, out_dir_from_args, register_fonts};
use plotters::prelude::*;
use std::path::Path;
use std::process::ExitCode;

/// `x0^2 + x1^2`.
fn function_2(x: &ArrayRef1<f64>) -> f64 {
    x[0] * x[0] + x[1] * x[1]
}

fn draw(path: &Path, history: &[Array1<f64>]) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let root = BitMapBackend::new(path, (640, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Gradient descent from (-3, 4), lr 0.1 (4.4.1)",
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(50)
        .build_cartesian_2d(-3.5..3.5, -4.5..4.5)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("X0")
        .y_desc("X1")
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    // The axes through the origin, dashed blue as in the book ('--b').
    let blue = RGBColor(31, 119, 180);
    for (from, to) in [((-5.0, 0.0), (5.0, 0.0)), ((0.0, -5.0), (0.0, 5.0))] {
        chart
            .draw_series(DashedLineSeries::new(
                [from, to],
                8,
                6,
                blue.stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
    }
    let orange = RGBColor(255, 127, 14);
    chart
        .draw_series(
            history
                .iter()
                .map(|x| Circle::new((x[0], x[1]), 5, orange.filled())),
        )
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let (x, history) = gradient_descent(function_2, array![-3.0, 4.0], 0.1, 20);
    println!("after 20 steps of lr 0.1: x = {x:.8}");
    for lr in [0.1, 10.0, 1e-10] {
        let (x, _) = gradient_descent(function_2, array![-3.0, 4.0], lr, 100);
        println!("lr = {lr:?}, 100 steps: x = [{:.8e}, {:.8e}]", x[0], x[1]);
    }
    let path = out.join("gradient_method.png");
    draw(&path, &history)?;
    println!("{}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
