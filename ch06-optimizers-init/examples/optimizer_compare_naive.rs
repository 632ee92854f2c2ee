//! The book's `ch06/optimizer_compare_naive.py` (figure 6-8): the paths of SGD, Momentum,
//! AdaGrad and Adam on `f(x, y) = x^2 / 20 + y^2`, from (-7, 2), 30 steps each, with the
//! book's learning rates (SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3).
//!
//! The function is 20 times steeper in y than in x: SGD zig-zags across the valley, Momentum
//! rolls along it, AdaGrad shrinks the steep direction's steps, Adam combines both.
//!
//! Prints each optimizer's final point and f there; draws a 2x2 grid of contour plots with
//! the paths to `--out DIR` (default `figures/`).
//!
//! The book's settings take well under a second.
//!
//! Run: `cargo run -p ch06-optimizers-init --example optimizer_compare_naive -- --out figures`

use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::book::{AdaGrad, Adam, Momentum, SGD};
use ndarray::{ArrayD, IxDyn, arr1};
use plot::{PALETTE, PlotError, out_dir_from_args, register_fonts};
use plotters::prelude::*;
use std::process::ExitCode;

fn f(x: f64, y: f64) -> f64 {
    x * x / 20.0 + y * y
}

/// `(df/dx, df/dy) = (x / 10, 2 y)`
fn df(x: f64, y: f64) -> (f64, f64) {
    (x / 10.0, 2.0 * y)
}

/// 30 steps from (-7, 2); the path includes the start.
fn path(optimizer: &mut dyn Optimizer<f64>) -> Vec<(f64, f64)> {
    // The book keeps x and y as two parameters: params['x'], params['y'].
    let mut x: ArrayD<f64> = arr1(&[-7.0]).into_dyn();
    let mut y: ArrayD<f64> = arr1(&[2.0]).into_dyn();
    let mut points = Vec::new();
    for _ in 0..30 {
        let (px, py) = (x[IxDyn(&[0])], y[IxDyn(&[0])]);
        points.push((px, py));
        let (gx, gy) = df(px, py);
        let mut gx = arr1(&[gx]).into_dyn();
        let mut gy = arr1(&[gy]).into_dyn();
        optimizer.update(vec![
            ParamMut {
                name: "x",
                value: x.view_mut(),
                grad: gx.view_mut(),
            },
            ParamMut {
                name: "y",
                value: y.view_mut(),
                grad: gy.view_mut(),
            },
        ]);
    }
    points.push((x[IxDyn(&[0])], y[IxDyn(&[0])]));
    points
}

fn draw(path: &std::path::Path, runs: &[(&str, Vec<(f64, f64)>)]) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let root = BitMapBackend::new(path, (1000, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    for ((name, points), area) in runs.iter().zip(root.split_evenly((2, 2))) {
        let mut chart = ChartBuilder::on(&area)
            .caption(*name, ("sans-serif", 22))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(-10.0..10.0, -10.0..10.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x")
            .y_desc("y")
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(|e| err(&e))?;
        // Contours of f: the ellipses x^2/20 + y^2 = c (the book masks f > 7).
        for (k, c) in [0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
            .into_iter()
            .enumerate()
        {
            let ellipse: Vec<(f64, f64)> = (0..=200)
                .map(|i| {
                    let th = i as f64 / 200.0 * std::f64::consts::TAU;
                    ((20.0f64 * c).sqrt() * th.cos(), c.sqrt() * th.sin())
                })
                .collect();
            let shade = 120 + (k as u8) * 12;
            chart
                .draw_series(LineSeries::new(
                    ellipse,
                    RGBColor(shade, shade, 255).stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
        }
        let red = PALETTE[3];
        chart
            .draw_series(LineSeries::new(points.iter().copied(), red.stroke_width(2)))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 3, red.filled())))
            .map_err(|e| err(&e))?;
        // The minimum, marked '+' as in the book.
        chart
            .draw_series(std::iter::once(Cross::new(
                (0.0, 0.0),
                6,
                BLACK.stroke_width(2),
            )))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

fn main() -> ExitCode {
    let mut runs: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    let mut sgd = SGD::new(0.95).expect("valid");
    let mut momentum = Momentum::<f64>::new(0.1, 0.9).expect("valid");
    let mut adagrad = AdaGrad::<f64>::new(1.5).expect("valid");
    let mut adam = Adam::<f64>::new(0.3, 0.9, 0.999).expect("valid");
    runs.push(("SGD (lr 0.95)", path(&mut sgd)));
    runs.push(("Momentum (lr 0.1)", path(&mut momentum)));
    runs.push(("AdaGrad (lr 1.5)", path(&mut adagrad)));
    runs.push(("Adam (lr 0.3)", path(&mut adam)));
    for (name, points) in &runs {
        let &(x, y) = points.last().expect("31 points");
        println!(
            "{name:18} after 30 steps: (x, y) = ({x:+.6}, {y:+.6}), f = {:.3e}",
            f(x, y)
        );
    }
    let dir = match out_dir_from_args() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = dir.join("optimizer_compare_naive.png");
    if let Err(e) = draw(&file, &runs) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
