//! The book's `ch03/step_function.py`: the step function on x in [-5, 5), step 0.1.
//!
//! ```python
//! def step_function(x):
//!     return np.array(x > 0, dtype=np.int)
//! X = np.arange(-5.0, 5.0, 0.1)
//! Y = step_function(X)
//! plt.plot(X, Y); plt.ylim(-0.1, 1.1); plt.show()
//! ```
//!
//! Run: `cargo run -p ch03-activations --example step_function -- --out figures`

use ch03_activations::step_function;
use ndarray::Array1;
use plot::{PlotError, Series, line_chart, out_dir_from_args};
use std::process::ExitCode;

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::range(-5.0, 5.0, 0.1);
    let y = step_function(&x);
    let points = x.iter().copied().zip(y.iter().copied()).collect();
    let path = out.join("step_function.png");
    line_chart(
        &path,
        "Step function (3.2.3)",
        "x",
        "h(x)",
        &[Series::new("", points)],
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
