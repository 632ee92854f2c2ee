//! The book's `ch03/sig_step_compare.py`: the sigmoid and the step function on one chart
//! (figure 3-8): both are 0 for very negative x and 1 for very positive x, but only the
//! sigmoid is smooth, which is what lets a network learn by gradients (chapter 4).
//!
//! ```python
//! x = np.arange(-5.0, 5.0, 0.1)
//! y1 = sigmoid(x)
//! y2 = step_function(x)
//! plt.plot(x, y1); plt.plot(x, y2, 'k--'); plt.ylim(-0.1, 1.1); plt.show()
//! ```
//!
//! Run: `cargo run -p ch03-activations --example sig_step_compare -- --out figures`

use ch03_activations::{sigmoid, step_function};
use ndarray::Array1;
use plot::{PlotError, Series, line_chart, out_dir_from_args};
use std::process::ExitCode;

fn points(x: &Array1<f64>, y: &Array1<f64>) -> Vec<(f64, f64)> {
    x.iter().copied().zip(y.iter().copied()).collect()
}

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::range(-5.0, 5.0, 0.1);
    let series = [
        Series::new("sigmoid", points(&x, &sigmoid(&x))),
        Series::new("step function", points(&x, &step_function(&x))),
    ];
    let path = out.join("sig_step_compare.png");
    line_chart(
        &path,
        "Sigmoid and step function (figure 3-8)",
        "x",
        "h(x)",
        &series,
        Some((-0.1, 1.1)),
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
