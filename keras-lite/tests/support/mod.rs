//! Data and models made in the tests of issue 8's features (no files needed).

#![allow(dead_code)]

use keras_lite::Sequential;
use keras_lite::layers::{Dense, Flatten};
use ndarray::{Array1, Array3};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `n` 4x4 "images" of 3 classes: class c is bright in row c, plus noise.
pub fn images(n: usize, seed: u64) -> (Array3<f32>, Array1<f32>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = Array3::zeros((n, 4, 4));
    let mut y = Array1::zeros(n);
    for i in 0..n {
        let c = rng.random_range(0..3usize);
        y[i] = c as f32;
        for r in 0..4 {
            for k in 0..4 {
                let base = if r == c { 0.8 } else { 0.1 };
                x[[i, r, k]] = base + rng.random_range(-0.1..0.1f32);
            }
        }
    }
    (x, y)
}

/// Flatten(4x4) -> Dense(8, relu) -> Dense(3, softmax), initial weights from `seed`.
pub fn classifier(seed: u64) -> Sequential {
    keras_lite::backend::set_random_seed(seed);
    Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(3).activation("softmax").into(),
    ])
}

/// A unique path under the system's temporary directory for this test.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keras-lite-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}
