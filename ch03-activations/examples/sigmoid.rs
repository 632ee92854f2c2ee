//! The book's `ch03/sigmoid.py`: the sigmoid on x in [-5, 5), step 0.1.
//!
//! ```python
//! def sigmoid(x):
//!     return 1 / (1 + np.exp(-x))
//! X = np.arange(-5.0, 5.0, 0.1)
//! Y = sigmoid(X)
//! plt.plot(X, Y); plt.ylim(-0.1, 1.1); plt.show()
//! ```
//!
//! Run: `cargo run -p ch03-activations --example sigmoid -- --out figures`

use ch03_activations::sigmoid;
use ndarray::Array1;
use plot::{PlotError, Series, line_chart, out_dir_from_args};
use std::process::ExitCode;

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::range(-5.0, 5.0, 0.1);
    let y = sigmoid(&x);
    let points = x.iter().copied().zip(y.iter().copied()).collect();
    let path = out.join("sigmoid.png");
    line_chart(
        &path,
        "Sigmoid function (3.2.4)",
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
