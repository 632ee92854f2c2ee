//! The book's Adam and Keras' Adam run one update kernel, `book::AdamStep`; each keeps its
//! own rounding of the constants. These checks pin the book's numbers to the array
//! expressions of `common/optimizer.py`, bit for bit.

use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::book::{Adam, AdamStep};
use ndarray::{Array1, ArrayD, array};

/// `common/optimizer.py`'s Adam written as whole-array expressions (the code this crate had
/// before the kernel), for `steps` steps of the same gradient sequence.
fn book_adam_by_expressions(w0: &Array1<f32>, grads: &[Array1<f32>]) -> Array1<f32> {
    let (lr, beta1, beta2) = (0.001f64, 0.9f64, 0.999f64);
    let (b1, b2, eps) = (beta1 as f32, beta2 as f32, 1e-7f32);
    let mut w = w0.clone();
    let mut m = Array1::<f32>::zeros(w.len());
    let mut v = Array1::<f32>::zeros(w.len());
    for (i, g) in grads.iter().enumerate() {
        let t = (i + 1) as f64;
        let lr_t = (lr * (1.0 - beta2.powf(t)).sqrt() / (1.0 - beta1.powf(t))) as f32;
        m = &m + (g - &m) * (1.0 - b1);
        v = &v + (g * g - &v) * (1.0 - b2);
        let step = &m * lr_t / (v.mapv(f32::sqrt) + eps);
        w = &w - &step;
    }
    w
}

#[test]
fn the_books_adam_is_its_array_expressions_to_the_bit() {
    let w0 = array![1.0f32, -0.5, 0.25, 3.0, -2.0, 0.0];
    let grads: Vec<Array1<f32>> = (0..25)
        .map(|k| {
            let k = k as f32;
            array![0.5 - 0.03 * k, -1.5, 0.01 * k, 2.0, -0.2 + 0.02 * k, 1e-3]
        })
        .collect();
    let want = book_adam_by_expressions(&w0, &grads);

    let mut adam = Adam::<f32>::default();
    let mut w: ArrayD<f32> = w0.clone().into_dyn();
    for g in &grads {
        let mut g = g.clone().into_dyn();
        adam.update(vec![ParamMut {
            name: "W",
            value: w.view_mut(),
            grad: g.view_mut(),
        }]);
    }
    assert_eq!(w, want.into_dyn());
}

#[test]
fn the_kernel_flushes_subnormal_moments_to_zero() {
    // A moment decaying below f32's smallest normal number becomes 0 (TensorFlow runs with
    // flush-to-zero): the weight then stops moving instead of crawling through subnormals.
    let step = AdamStep {
        c1: 0.1f32,
        c2: 0.001,
        alpha: 1e-3,
        eps: 1e-7,
    };
    let (mut w, mut m, mut v) = (1.0f32, f32::MIN_POSITIVE, f32::MIN_POSITIVE);
    step.apply(&mut w, 0.0, &mut m, &mut v);
    assert_eq!((m, v), (0.0, 0.0));
    assert_eq!(w, 1.0);
}
