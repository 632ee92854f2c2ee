//! One formula, one place: the book's array functions, the Keras catalog and the layers all
//! run the same scalar and row kernels, so they agree to the last bit; and `argmax` has one
//! documented NaN behaviour.

use ch03_activations::keras::Activation;
use ch03_activations::relu::relu_scalar;
use ch03_activations::sigmoid::{sigmoid_grad_from_y, sigmoid_scalar};
use ch03_activations::softmax::{row_max, shifted_log_sum_exp, softmax_row_into};
use ch03_activations::{argmax, relu, sigmoid, sigmoid_grad, softmax};
use ndarray::{Array1, Array2, array};

fn batch() -> Array2<f32> {
    array![
        [-3.0f32, -0.5, 0.0, 0.25, 7.5],
        [88.0, 90.0, -90.0, 1e-8, -1e-8],
        [1.0, 1.0, 1.0, 1.0, 1.0]
    ]
}

#[test]
fn the_book_functions_and_the_keras_catalog_are_one_code() {
    let x = batch();
    assert_eq!(sigmoid(&x), Activation::Sigmoid.forward(&x));
    assert_eq!(softmax(&x), Activation::Softmax.forward(&x));
    let keras_relu: Activation = "relu".parse().unwrap();
    assert_eq!(relu(&x), keras_relu.forward(&x));
    // the derivative from the output, as the Sigmoid layer and Keras' backward take it
    let y = sigmoid(&x);
    let ones = Array2::from_elem(x.raw_dim(), 1.0f32);
    assert_eq!(
        sigmoid_grad(&x),
        Activation::Sigmoid.backward(&x, &y, &ones)
    );
    assert_eq!(sigmoid_grad(&x), y.mapv(sigmoid_grad_from_y));
}

#[test]
fn relu_keeps_nan_like_numpy_maximum_and_tensorflow() {
    assert!(relu_scalar(f32::NAN).is_nan());
    let x = array![[f32::NAN, -1.0, 2.0]];
    let keras_relu: Activation = "relu".parse().unwrap();
    for y in [relu(&x), keras_relu.forward(&x)] {
        assert!(y[[0, 0]].is_nan());
        assert_eq!((y[[0, 1]], y[[0, 2]]), (0.0, 2.0));
    }
}

#[test]
fn softmax_row_returns_what_log_sum_exp_needs() {
    let z = array![1000.0f64, 999.0, -5.0];
    let mut y = Array1::zeros(3);
    let (m, sum) = softmax_row_into(&z, &mut y);
    assert_eq!(m, row_max(&z));
    let (m2, ln_sum) = shifted_log_sum_exp(&z);
    // the same max and the same sum, in the same order: the same log-sum-exp to the bit
    assert_eq!((m, sum.ln()), (m2, ln_sum));
    assert!((y.sum() - 1.0).abs() < 1e-15);
    // softmax(z)_2 = exp(-1005) underflows to 0, and -ln 0 = inf; lse - z_2 stays finite
    assert_eq!(y[2], 0.0);
    let lse = m + ln_sum;
    assert!((lse - z[2] - (1005.0 + (1.0 + (-1.0f64).exp()).ln())).abs() < 1e-9);
    // where nothing underflows, -ln softmax(z)_k = lse - z_k
    let z = array![3.0f64, 2.0, -5.0];
    let (m, ln_sum) = shifted_log_sum_exp(&z);
    let y = softmax(&z);
    for k in 0..3 {
        let want = -y[k].ln();
        assert!(((m + ln_sum - z[k]) - want).abs() < 1e-12 * want.abs().max(1.0));
    }
}

#[test]
fn sigmoid_scalar_saturates_without_nan() {
    assert_eq!(sigmoid_scalar(-1000.0f32), 0.0);
    assert_eq!(sigmoid_scalar(1000.0f32), 1.0);
    assert_eq!(sigmoid_scalar(0.0f64), 0.5);
}

#[test]
fn argmax_takes_the_first_maximum_and_skips_nan() {
    // NumPy's argmax: the first of equal maxima
    assert_eq!(argmax([1.0f32, 3.0, 3.0, 2.0]), 1);
    // NaN never wins, wherever it is (NumPy's nanargmax); before this kernel, two of the
    // five copies returned 0 here
    assert_eq!(argmax([f32::NAN, 0.1, 0.7, 0.2]), 2);
    assert_eq!(argmax([0.1f64, f64::NAN, 0.7]), 2);
    assert_eq!(argmax([0.9f64, 0.1, f64::NAN]), 0);
    // nothing to choose: 0
    assert_eq!(argmax([f32::NAN, f32::NAN]), 0);
    assert_eq!(argmax(Vec::<f64>::new()), 0);
    // -inf is a value like any other
    assert_eq!(argmax([f64::NEG_INFINITY, f64::NEG_INFINITY]), 0);
    assert_eq!(argmax([f64::NEG_INFINITY, f64::NAN, -1e300]), 2);
    // integers (one-hot labels), references and array rows all work
    assert_eq!(argmax([0u8, 0, 1]), 2);
    let row = array![0.2f32, 0.5, 0.3];
    assert_eq!(argmax(&row), 1);
    assert_eq!(argmax(row.view()), 1);
}
