//! The book's `ch03/relu.py`: ReLU on x in [-5, 5), step 0.1.
//!
//! ```python
//! def relu(x):
//!     return np.maximum(0, x)
//! x = np.arange(-5.0, 5.0, 0.1)
//! y = relu(x)
//! plt.plot(x, y); plt.ylim(-1.0, 5.5); plt.show()
//! ```
//!
//! Run: `cargo run -p ch03-activations --example relu -- --out figures`

use ch03_activations::relu;
use ndarray::Array1;
use plot::{PlotError, Series, line_chart, out_dir_from_args};
use std::process::ExitCode;

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::range(-5.0, 5.0, 0.1);
    let y = relu(&x);
    let points = x.iter().copied().zip(y.iter().copied()).collect();
    let path = out.join("relu.png");
    line_chart(
        &path,
        "ReLU function (3.2.7)",
        "x",
        "h(x)",
        &[Series::new("", points)],
        Some((-1.0, 5.5)),
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
