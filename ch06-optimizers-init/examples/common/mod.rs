//! What the chapter 6 examples share: Fashion-MNIST as the book's `load_mnist(normalize=True)`
//! returns it, and tiny argument parsing.
//!
//! The book's scripts compute in float64 (NumPy's default, as `np.random.randn` draws the
//! weights), so the examples that stand for them use [`Real`] = `f64`; the library's own
//! type for fast training stays `f32` (keras-lite, `train_sample_weight`).

#![allow(dead_code)] // each example uses a part

use ch03_activations::Float;
use ndarray::{Array1, Array2, Array3};

/// The scalar of the book's examples: float64, as the book's NumPy.
pub type Real = f64;

/// `(x_train (60000, 784), t_train, x_test (10000, 784), t_test)`, pixels scaled to [0, 1]
/// (the book's `normalize=True`), labels as class indices.
pub struct Data<A = Real> {
    pub x_train: Array2<A>,
    pub t_train: Array1<usize>,
    pub x_test: Array2<A>,
    pub t_test: Array1<usize>,
}

fn flatten<A: Float>(images: &Array3<u8>) -> Array2<A> {
    let n = images.shape()[0];
    let d = images.shape()[1] * images.shape()[2];
    images
        .mapv(|p| A::of(f64::from(p) / 255.0))
        .into_shape_with_order((n, d))
        .expect("standard layout")
}

/// Loads Fashion-MNIST through `datasets::fashion_mnist::load_data()`, or exits with its
/// error (which says where it looked and how to get the files).
pub fn load_fashion_mnist<A: Float>() -> Data<A> {
    match datasets::fashion_mnist::load_data() {
        Ok(((x_train, y_train), (x_test, y_test))) => Data {
            x_train: flatten(&x_train),
            t_train: y_train.mapv(usize::from),
            x_test: flatten(&x_test),
            t_test: y_test.mapv(usize::from),
        },
        Err(e) => {
            eprintln!("error: could not load Fashion-MNIST: {e}");
            std::process::exit(1);
        }
    }
}

/// The value after `--name` parsed as `T`, or `default`; a value that does not parse exits
/// with a message naming the flag.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => default,
        Some(i) => match args.get(i + 1).map(|v| v.parse::<T>()) {
            Some(Ok(v)) => v,
            _ => {
                eprintln!("error: {name} needs a value (see the example's doc comment)");
                std::process::exit(2);
            }
        },
    }
}

/// Whether `--name` is present.
pub fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Draws `x_batch`, `t_batch` rows at random from `(x, t)` (with replacement, the book's
/// `np.random.choice(train_size, batch_size)`), into kept buffers.
pub fn sample_batch<A: Float>(
    x: &Array2<A>,
    t: &Array1<usize>,
    x_batch: &mut Array2<A>,
    t_batch: &mut Array1<usize>,
    rng: &mut impl rand::Rng,
) {
    for r in 0..x_batch.nrows() {
        let k = rng.random_range(0..x.nrows());
        x_batch.row_mut(r).assign(&x.row(k));
        t_batch[r] = t[k];
    }
}

/// The first `n` rows of the data (the book's `x_train[:n]`).
pub fn head<A: Float>(x: &Array2<A>, t: &Array1<usize>, n: usize) -> (Array2<A>, Array1<usize>) {
    let n = n.min(x.nrows());
    (
        x.slice(ndarray::s![..n, ..]).to_owned(),
        t.slice(ndarray::s![..n]).to_owned(),
    )
}
