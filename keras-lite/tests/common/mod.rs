//! Small data sets made in the test (no files needed).

#![allow(dead_code)]

use keras_lite::Sequential;
use keras_lite::layers::{Dense, Flatten};
use ndarray::{Array1, Array2, Array3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `n` 4x4 "images" of 3 classes: class c has bright pixels in row c (plus noise).
pub fn blobs(n: usize, seed: u64) -> (Array3<f32>, Array1<u8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = Array3::zeros((n, 4, 4));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let c = rng.random_range(0..3u8);
        y[i] = c;
        for r in 0..4 {
            for k in 0..4 {
                let base = if r == c as usize { 0.8 } else { 0.1 };
                x[[i, r, k]] = base + rng.random_range(-0.1..0.1f32);
            }
        }
    }
    (x, y)
}

/// One-hot rows of `y` with `classes` columns.
pub fn one_hot(y: &Array1<u8>, classes: usize) -> Array2<f32> {
    let mut out = Array2::zeros((y.len(), classes));
    for (i, &c) in y.iter().enumerate() {
        out[[i, c as usize]] = 1.0;
    }
    out
}

/// The tutorial's architecture at a small size: Flatten(4x4) -> Dense(8, relu) -> Dense(3, out).
pub fn small_model(out_activation: &str) -> Sequential {
    Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(3).activation(out_activation).into(),
    ])
}

/// Copies the weights of `from` into `to` (same architecture).
pub fn copy_weights(from: &mut Sequential, to: &mut Sequential) {
    let w = from.get_weights().unwrap();
    to.set_weights(&w).unwrap();
}

/// Largest absolute difference of two histories' values of `key`.
pub fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}
