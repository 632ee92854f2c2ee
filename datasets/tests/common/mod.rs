//! Tiny MNIST-shaped files written by the tests into temporary folders.
#![allow(dead_code)] // each test binary uses a different part

use datasets::idx;
use ndarray::{Array1, Array3};
use std::path::Path;

/// `n` deterministic 28x28 images whose pixels differ per image, and labels cycling 0..10.
pub fn tiny_split(n: usize, seed: u8) -> datasets::Split {
    let images = Array3::from_shape_fn((n, 28, 28), |(i, r, c)| {
        (i * 31 + r * 7 + c * 3 + usize::from(seed)) as u8
    });
    let labels = Array1::from_shape_fn(n, |i| ((i + usize::from(seed)) % 10) as u8);
    (images, labels)
}

/// Writes the four files into `dir` (`NAME.gz` gzip-compressed when `gzip`, else plain `NAME`)
/// and returns what they hold: 5 training and 3 test examples.
pub fn write_tiny_dataset(dir: &Path, gzip: bool) -> datasets::TrainTest {
    std::fs::create_dir_all(dir).unwrap();
    let train = tiny_split(5, 1);
    let test = tiny_split(3, 2);
    let name = |n: &str| {
        if gzip {
            dir.join(format!("{n}.gz"))
        } else {
            dir.join(n)
        }
    };
    idx::write(name("train-images-idx3-ubyte"), &train.0, gzip).unwrap();
    idx::write(name("train-labels-idx1-ubyte"), &train.1, gzip).unwrap();
    idx::write(name("t10k-images-idx3-ubyte"), &test.0, gzip).unwrap();
    idx::write(name("t10k-labels-idx1-ubyte"), &test.1, gzip).unwrap();
    (train, test)
}

/// Gzip-compresses bytes in memory.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// The names of the entries of a folder, sorted (to check nothing was left behind).
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}
