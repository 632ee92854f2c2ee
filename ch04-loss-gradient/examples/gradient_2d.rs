//! The book's `ch04/gradient_2d.py`: the gradient of f(x0, x1) = x0^2 + x1^2 on a grid,
//! drawn as arrows pointing along -grad f: downhill, towards the minimum at the origin.
//!
//! ```python
//! def function_2(x):
//!     return np.sum(x**2)       # x**2 summed along each row for a batch of points
//! x0 = np.arange(-2, 2.5, 0.25)
//! x1 = np.arange(-2, 2.5, 0.25)
//! X, Y = np.meshgrid(x0, x1)
//! grad = numerical_gradient(function_2, np.array([X.flatten(), Y.flatten()]).T).T
//! plt.quiver(X, Y, -grad[0], -grad[1], angles="xy", color="#666666")
//! plt.xlim([-2, 2]); plt.ylim([-2, 2]); plt.xlabel('x0'); plt.ylabel('x1'); plt.grid()
//! ```
//!
//! matplotlib's `quiver` is drawn here with plotters: a line and an arrowhead per point, the
//! length proportional to |grad f| (the longest arrow is 0.9 of the grid spacing).
//!
//! Run: `cargo run -p ch04-loss-gradient --example gradient_2d -- --out figures`

use ch04_loss_gradient::numerical_gradient_2d;
use ndarray::{Array1, Array2, ArrayRef1};
use plot::{PlotError, out_dir_from_args, register_fonts};
use plotters::prelude::*;
use std::path::Path;
use std::process::ExitCode;

/// `x0^2 + x1^2`.
fn function_2(x: &ArrayRef1<f64>) -> f64 {
    x.iter().map(|v| v * v).sum()
}

/// One arrow of the field: its foot `(x0, x1)` and its direction `-grad f`.
struct Arrow {
    foot: (f64, f64),
    dir: (f64, f64),
}

fn draw(path: &Path, arrows: &[Arrow], spacing: f64) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let root = BitMapBackend::new(path, (760, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let lim = 2.35;
    let mut chart = ChartBuilder::on(&root)
        .caption("-grad f(x0, x1), f = x0² + x1² (4.4)", ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(50)
        .build_cartesian_2d(-lim..lim, -lim..lim)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("x0")
        .y_desc("x1")
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    let longest = arrows
        .iter()
        .map(|a| a.dir.0.hypot(a.dir.1))
        .fold(0.0, f64::max);
    let scale = 0.9 * spacing / longest;
    let grey = RGBColor(0x66, 0x66, 0x66);
    for a in arrows {
        let (x, y) = a.foot;
        let (dx, dy) = (a.dir.0 * scale, a.dir.1 * scale);
        let len = dx.hypot(dy);
        if len == 0.0 {
            continue; // the minimum itself: no direction to draw
        }
        let tip = (x + dx, y + dy);
        // The head: a triangle 30% of the arrow long (at most 0.08), half as wide.
        let head = (0.3 * len).min(0.08);
        let (ux, uy) = (dx / len, dy / len);
        let base = (tip.0 - ux * head, tip.1 - uy * head);
        let (px, py) = (-uy * head * 0.5, ux * head * 0.5);
        chart
            .draw_series([PathElement::new(vec![(x, y), base], grey.stroke_width(2))])
            .map_err(|e| err(&e))?;
        chart
            .draw_series([Polygon::new(
                vec![tip, (base.0 + px, base.1 + py), (base.0 - px, base.1 - py)],
                grey.filled(),
            )])
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let spacing = 0.25;
    let x0 = Array1::range(-2.0, 2.5, spacing);
    let x1 = Array1::range(-2.0, 2.5, spacing);
    // np.array([X.flatten(), Y.flatten()]).T: one row (x0, x1) per grid point
    let mut points = Array2::from_shape_fn((x0.len() * x1.len(), 2), |(i, j)| {
        if j == 0 {
            x0[i % x0.len()]
        } else {
            x1[i / x0.len()]
        }
    });
    let grad = numerical_gradient_2d(function_2, &mut points);
    let arrows: Vec<Arrow> = points
        .rows()
        .into_iter()
        .zip(grad.rows())
        .map(|(p, g)| Arrow {
            foot: (p[0], p[1]),
            dir: (-g[0], -g[1]),
        })
        .collect();
    let corner = arrows.last().expect("a non-empty grid");
    println!(
        "{} points; -grad f at ({}, {}) = ({:.6}, {:.6})",
        arrows.len(),
        corner.foot.0,
        corner.foot.1,
        corner.dir.0,
        corner.dir.1
    );
    let path = out.join("gradient_2d.png");
    draw(&path, &arrows, spacing)?;
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
