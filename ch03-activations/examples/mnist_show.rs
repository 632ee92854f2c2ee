//! The book's `ch03/mnist_show.py` (3.6.1) on Fashion-MNIST: the first training image, its
//! label and its shape before and after `reshape(28, 28)`, shown as PIL shows it (here
//! written to `mnist_show.png` in `--out DIR`, default `figures/`).
//!
//! ```python
//! (x_train, t_train), (x_test, t_test) = load_mnist(flatten=True, normalize=False)
//! img = x_train[0]
//! label = t_train[0]
//! print(label)  # 5
//! print(img.shape)  # (784,)
//! img = img.reshape(28, 28)
//! print(img.shape)  # (28, 28)
//! img_show(img)
//! ```
//!
//! The book's first MNIST image is a 5; Fashion-MNIST's is class 9, an ankle boot. Prints
//! `9`, `(784,)`, `(28, 28)` and the path of the PNG. Takes well under a second.
//!
//! Run: `cargo run -p ch03-activations --example mnist_show -- --out figures`

use plot::{PlotError, gray_image, out_dir_from_args};
use std::process::ExitCode;

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let out = out_dir_from_args()?;
    // flatten=True, normalize=False: rows of 784 bytes
    let ((x_train, t_train), _) = datasets::fashion_mnist::load_data()?;
    let n = x_train.shape()[0];
    let x_train = x_train.into_shape_with_order((n, 784))?;
    let img = x_train.row(0);
    let label = t_train[0];
    println!("{label}");
    println!("({},)", img.len());
    let img = img.to_shape((28, 28))?;
    println!("({}, {})", img.nrows(), img.ncols());
    let path = out.join("mnist_show.png");
    let caption = format!(
        "label {label}: {}",
        datasets::fashion_mnist::CLASS_NAMES[usize::from(label)]
    );
    gray_image(&path, &img, 10, &caption).map_err(|e: PlotError| Box::new(e))?;
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
