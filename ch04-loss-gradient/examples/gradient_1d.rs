//! The book's `ch04/gradient_1d.py`: the derivative of f(x) = 0.01x^2 + 0.1x by a central
//! difference, and the tangent line it gives at x = 5 (and at x = 10, as in 4.3.2's figure).
//!
//! ```python
//! def function_1(x):
//!     return 0.01*x**2 + 0.1*x
//! def tangent_line(f, x):
//!     d = numerical_diff(f, x)
//!     print(d)
//!     y = f(x) - d*x
//!     return lambda t: d*t + y
//! x = np.arange(0.0, 20.0, 0.1)
//! y = function_1(x)
//! tf = tangent_line(function_1, 5)
//! y2 = tf(x)
//! plt.plot(x, y); plt.plot(x, y2); plt.show()
//! ```
//!
//! Prints `0.1999999999990898` (x = 5) and `0.2999999999986347` (x = 10); the exact
//! derivatives are 0.2 and 0.3.
//!
//! Run: `cargo run -p ch04-loss-gradient --example gradient_1d -- --out figures`

use ch04_loss_gradient::numerical_diff;
use ndarray::Array1;
use plot::{PlotError, Series, line_chart, out_dir_from_args};
use std::process::ExitCode;

/// `0.01*x**2 + 0.1*x`; `x.powi(2)` is `x*x`, rounded once like NumPy's `x**2`.
fn function_1(x: f64) -> f64 {
    0.01 * x.powi(2) + 0.1 * x
}

/// The tangent of `f` at `x`: `t -> d t + (f(x) - d x)` with `d` the numerical derivative.
fn tangent_line(f: fn(f64) -> f64, x: f64) -> impl Fn(f64) -> f64 {
    let d = numerical_diff(f, x);
    println!("{d}");
    let y = f(x) - d * x;
    move |t| d * t + y
}

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::range(0.0, 20.0, 0.1);
    let curve = x.iter().map(|&x| (x, function_1(x))).collect();
    let mut series = vec![Series::new("f(x) = 0.01x² + 0.1x", curve)];
    for at in [5.0, 10.0] {
        let tf = tangent_line(function_1, at);
        let points = x.iter().map(|&x| (x, tf(x))).collect();
        series.push(Series::new(format!("tangent at x = {at}"), points));
    }
    let path = out.join("gradient_1d.png");
    line_chart(
        &path,
        "Numerical derivative and tangent lines (4.3.2)",
        "x",
        "f(x)",
        &series,
        Some((-0.5, 6.0)),
    )?;
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
