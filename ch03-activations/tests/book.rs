//! The numbers the book prints for chapter 3, where they are deterministic.
//!
//! Each expected value is copied from the book's text (「ゼロから作るDeep Learning」 chapter 3),
//! with the NumPy session that printed it in a comment.

use ch03_activations::neuralnet::{forward, init_network};
use ch03_activations::{
    identity_function, relu, relu_grad, sigmoid, sigmoid_grad, softmax, step_function,
};
use ndarray::{Array1, array};

/// NumPy prints 8 significant decimals; the book's numbers are good to about 5e-9.
fn assert_prints_as(got: &Array1<f64>, book: &[f64]) {
    assert_eq!(got.len(), book.len());
    for (g, b) in got.iter().zip(book) {
        assert!(
            (g - b).abs() <= 5e-9 * b.abs().max(1.0),
            "{got} vs the book's {book:?}"
        );
    }
}

#[test]
fn step_function_3_2_3() {
    // >>> x = np.array([-1.0, 1.0, 2.0]); step_function(x)   ->  array([0, 1, 1])
    assert_eq!(
        step_function(&array![-1.0, 1.0, 2.0]),
        array![0.0, 1.0, 1.0]
    );
    // x > 0 is strict: h(0) = 0
    assert_eq!(step_function(&array![0.0f32]), array![0.0f32]);
}

#[test]
fn sigmoid_3_2_4() {
    // >>> x = np.array([-1.0, 1.0, 2.0]); sigmoid(x)  ->  array([0.26894142, 0.73105858, 0.88079708])
    assert_prints_as(
        &sigmoid(&array![-1.0, 1.0, 2.0]),
        &[0.26894142, 0.73105858, 0.88079708],
    );
    // broadcasting: 1.0 + t and 1.0 / t for t = np.array([1.0, 2.0, 3.0])
    let t = array![1.0, 2.0, 3.0];
    assert_eq!(1.0 + &t, array![2.0, 3.0, 4.0]);
    assert_prints_as(&(1.0 / &t), &[1.0, 0.5, 0.33333333]);
}

#[test]
fn sigmoid_grad_is_one_minus_s_times_s() {
    let x = array![-3.0, -0.5, 0.0, 0.5, 3.0];
    let s = sigmoid(&x);
    let expected = (1.0 - &s) * &s;
    assert_eq!(sigmoid_grad(&x), expected);
    assert_eq!(sigmoid_grad(&array![0.0]), array![0.25]);
}

#[test]
fn relu_3_2_7() {
    let x = array![[-1.0, 0.0], [0.5, 3.0]];
    assert_eq!(relu(&x), array![[0.0, 0.0], [0.5, 3.0]]);
    // relu_grad(0) = 0 here (the book's Relu layer), not the 1 of common/functions.py
    assert_eq!(relu_grad(&x), array![[0.0, 0.0], [1.0, 1.0]]);
}

#[test]
fn forward_pass_by_hand_3_4_2() {
    // >>> X = np.array([1.0, 0.5]); W1 = ...; B1 = np.array([0.1, 0.2, 0.3])
    // >>> A1 = np.dot(X, W1) + B1;  print(A1)  ->  [0.3  0.7  1.1]
    // >>> Z1 = sigmoid(A1);         print(Z1)  ->  [0.57444252  0.66818777  0.75026011]
    let net = init_network::<f64>();
    let x = array![1.0, 0.5];
    let a1 = x.dot(&net.w1) + &net.b1;
    assert_prints_as(&a1, &[0.3, 0.7, 1.1]);
    assert_prints_as(&sigmoid(&a1), &[0.57444252, 0.66818777, 0.75026011]);
}

#[test]
fn neuralnet_3_4_3() {
    // >>> network = init_network(); x = np.array([1.0, 0.5]); y = forward(network, x)
    // >>> print(y)  ->  [ 0.31682708  0.69627909]
    let y = forward(&init_network::<f64>(), &array![1.0, 0.5]);
    assert_prints_as(&y, &[0.31682708, 0.69627909]);
    // and in f32, to f32 precision
    let y32 = forward(&init_network::<f32>(), &array![1.0f32, 0.5]);
    let book = [0.31682708, 0.69627909];
    assert!(
        (f64::from(y32[0]) - book[0]).abs() < 1e-6 && (f64::from(y32[1]) - book[1]).abs() < 1e-6
    );
    // the output layer's identity changes nothing
    assert_eq!(identity_function(&y), y);
}

#[test]
fn softmax_3_5_1() {
    // >>> a = np.array([0.3, 2.9, 4.0]); y = softmax(a); print(y)
    // [ 0.01821127  0.24519181  0.73659691]
    // >>> np.sum(y)  ->  1.0
    let y = softmax(&array![0.3, 2.9, 4.0]);
    assert_prints_as(&y, &[0.01821127, 0.24519181, 0.73659691]);
    assert!((y.sum() - 1.0).abs() < 1e-15);
}

#[test]
fn softmax_overflow_3_5_2() {
    // >>> a = np.array([1010, 1000, 990]); np.exp(a) / np.sum(np.exp(a))  ->  array([ nan,  nan,  nan])
    let a = array![1010.0f64, 1000.0, 990.0];
    let naive = a.mapv(f64::exp) / a.mapv(f64::exp).sum();
    assert!(naive.iter().all(|v| v.is_nan()));
    // >>> c = np.max(a); np.exp(a - c) / np.sum(np.exp(a - c))
    // array([  9.99954600e-01,   4.53978686e-05,   2.06106005e-09])
    let y = softmax(&a);
    for (g, b) in y
        .iter()
        .zip([9.99954600e-01, 4.53978686e-05, 2.06106005e-09])
    {
        assert!((g - b).abs() <= 5e-9 * b, "{y}");
    }
}
