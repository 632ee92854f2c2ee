//! Small data sets and models made in the tests (no files needed), and a model's loss as a
//! ch05 `Differentiable` for gradient checks.

#![allow(dead_code)]

use ch05_backprop::ParamMut;
use ch05_backprop::gradient_check::Differentiable;
use keras_lite::Sequential;
use keras_lite::layers::{Dense, Flatten};
use ndarray::{Array1, Array2, Array3, ArrayD};
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

/// [`blobs`] with the labels as `f32` (sparse labels as a float array, as Keras users pass them).
pub fn images(n: usize, seed: u64) -> (Array3<f32>, Array1<f32>) {
    let (x, y) = blobs(n, seed);
    (x, y.mapv(f32::from))
}

/// The tutorial's architecture at a small size: Flatten(4x4) -> Dense(8, relu) -> Dense(3, out).
pub fn small_model(out_activation: &str) -> Sequential {
    Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(3).activation(out_activation).into(),
    ])
}

/// [`small_model`] with a softmax output, its initial weights drawn from `seed`.
pub fn classifier(seed: u64) -> Sequential {
    keras_lite::backend::set_random_seed(seed);
    small_model("softmax")
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

/// A unique path under the system's temporary directory for this test.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("keras-lite-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A compiled model's training loss as a ch05 `Differentiable` over some of its weight
/// arrays, in f64, for ch05's gradient-check harness.
///
/// The value is the loss `train_on_batch` reports (computed in training mode, before its
/// update: BatchNormalization normalizes with the batch's statistics); the gradient is read
/// back from one step of the optimizer the model was compiled with, which must be SGD with
/// learning rate 1 (`w -= grad`). Every weight, the non-trained ones included, is put back
/// before each evaluation.
pub struct ModelObjective {
    pub model: Sequential,
    pub x: Array2<f32>,
    pub y: Array2<f32>,
    /// Every array of `get_weights`, in f64.
    pub weights: Vec<ArrayD<f64>>,
    pub grads: Vec<ArrayD<f64>>,
    /// The arrays checked: (index in `weights`, name).
    pub checked: Vec<(usize, &'static str)>,
}

impl ModelObjective {
    pub fn new(
        mut model: Sequential,
        x: Array2<f32>,
        y: Array2<f32>,
        checked: Vec<(usize, &'static str)>,
    ) -> Self {
        let weights: Vec<ArrayD<f64>> = model
            .get_weights()
            .unwrap()
            .iter()
            .map(|a| a.mapv(f64::from))
            .collect();
        let grads = weights.iter().map(|p| ArrayD::zeros(p.raw_dim())).collect();
        ModelObjective {
            model,
            x,
            y,
            weights,
            grads,
            checked,
        }
    }

    fn load(&mut self) -> Vec<ArrayD<f32>> {
        let w: Vec<ArrayD<f32>> = self.weights.iter().map(|p| p.mapv(|v| v as f32)).collect();
        self.model.set_weights(&w).unwrap();
        w
    }
}

impl Differentiable for ModelObjective {
    fn value(&mut self) -> f64 {
        self.load();
        self.model.train_on_batch(&self.x, &self.y, None).unwrap()["loss"]
    }

    fn value_and_gradient(&mut self) -> f64 {
        let before = self.load();
        let loss = self.model.train_on_batch(&self.x, &self.y, None).unwrap()["loss"];
        let after = self.model.get_weights().unwrap();
        for ((g, b), a) in self.grads.iter_mut().zip(&before).zip(&after) {
            *g = (b - a).mapv(f64::from);
        }
        self.load();
        loss
    }

    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        for &(i, name) in &self.checked {
            f(ParamMut {
                name,
                value: self.weights[i].view_mut(),
                grad: self.grads[i].view_mut(),
            });
        }
    }
}
