//! The numbers chapter 4 of the book prints, reproduced with the Rust port.
//!
//! Each test quotes the book's NumPy lines above it. The book computes in float64, so do
//! these tests; where the book prints all 16-17 digits the comparison is exact.

use ch04_loss_gradient::{
    Labels, LossError, SimpleNet, TwoLayerNet, cross_entropy_error, gradient_descent,
    numerical_diff, numerical_gradient, sum_squared_error,
};
use ndarray::{Array2, ArrayRef1, Axis, array};
use rand::{SeedableRng, rngs::StdRng};

/// `def function_1(x): return 0.01*x**2 + 0.1*x`
fn function_1(x: f64) -> f64 {
    0.01 * x.powi(2) + 0.1 * x
}

/// `def function_2(x): return x[0]**2 + x[1]**2` (4.3.3; `np.sum(x**2)` in gradient_2d.py)
fn function_2(x: &ArrayRef1<f64>) -> f64 {
    x[0] * x[0] + x[1] * x[1]
}

// >>> numerical_diff(function_1, 5)
// 0.1999999999990898
// >>> numerical_diff(function_1, 10)
// 0.2999999999986347
#[test]
fn gradient_1d_prints_the_books_derivatives() {
    assert_eq!(numerical_diff(function_1, 5.0), 0.1999999999990898);
    assert_eq!(numerical_diff(function_1, 10.0), 0.2999999999986347);
}

// >>> numerical_gradient(function_2, np.array([3.0, 4.0]))
// array([ 6.,  8.])
// >>> numerical_gradient(function_2, np.array([0.0, 2.0]))
// array([ 0.,  4.])
// >>> numerical_gradient(function_2, np.array([3.0, 0.0]))
// array([ 6.,  0.])
#[test]
fn numerical_gradient_of_function_2_is_the_books() {
    for (x, want) in [
        ([3.0, 4.0], [6.0, 8.0]),
        ([0.0, 2.0], [0.0, 4.0]),
        ([3.0, 0.0], [6.0, 0.0]),
    ] {
        let mut x = array![x[0], x[1]];
        let before = x.clone();
        let grad = numerical_gradient(function_2, &mut x);
        assert_eq!(x, before, "x is restored");
        for (g, w) in grad.iter().zip(want) {
            // The book prints these rounded; the error of the central difference is ~1e-11.
            assert!((g - w).abs() < 1e-9, "{grad} vs {want:?}");
        }
    }
}

// >>> init_x = np.array([-3.0, 4.0])
// >>> gradient_descent(function_2, init_x=init_x, lr=0.1, step_num=100)
// array([ -6.11110793e-10,   8.14814391e-10])
// >>> gradient_descent(function_2, init_x=init_x, lr=10.0, step_num=100)   # too large
// array([ -2.58983747e+13,  -1.29524862e+12])
// >>> gradient_descent(function_2, init_x=init_x, lr=1e-10, step_num=100)  # too small
// array([-2.99999994,  3.99999992])
#[test]
fn gradient_descent_ends_where_the_book_says() {
    let cases = [
        (0.1, [-6.11110793e-10, 8.14814391e-10]),
        (10.0, [-2.58983747e+13, -1.29524862e+12]),
        (1e-10, [-2.99999994, 3.99999992]),
    ];
    for (lr, want) in cases {
        let (x, history) = gradient_descent(function_2, array![-3.0, 4.0], lr, 100);
        assert_eq!(history.len(), 100);
        assert_eq!(history[0], array![-3.0, 4.0]);
        for (g, w) in x.iter().zip(want) {
            // The book prints 9 significant digits.
            assert!((g - w).abs() <= 1e-8 * w.abs(), "lr {lr}: {x} vs {want:?}");
        }
    }
}

// >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
// >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
// >>> sum_squared_error(np.array(y), np.array(t))
// 0.09750000000000003
// >>> y = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
// >>> sum_squared_error(np.array(y), np.array(t))
// 0.5975
// (and cross_entropy_error: 0.510825457099338 and 2.302584092994546)
#[test]
fn the_losses_of_section_4_2_print_the_books_numbers() {
    let t = array![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let y1 = array![0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
    let y2 = array![0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0];
    let close = |a: f64, b: f64| (a - b).abs() <= 4.0 * f64::EPSILON * b.abs();
    let sse1 = sum_squared_error(&y1, &t).unwrap();
    let sse2 = sum_squared_error(&y2, &t).unwrap();
    assert!(close(sse1, 0.09750000000000003), "{sse1}");
    assert!(close(sse2, 0.5975), "{sse2}");
    let cee1 = cross_entropy_error(&y1, &t).unwrap();
    let cee2 = cross_entropy_error(&y2, &t).unwrap();
    assert!(close(cee1, 0.510825457099338), "{cee1}");
    assert!(close(cee2, 2.302584092994546), "{cee2}");
}

#[test]
fn cross_entropy_error_takes_one_hot_or_indices_single_or_batched() {
    let y = array![[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]];
    let one_hot = array![[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let want = -((0.7_f64 + 1e-7).ln() + (0.25_f64 + 1e-7).ln()) / 2.0;
    let batch_one_hot = cross_entropy_error(&y, &one_hot).unwrap();
    assert!((batch_one_hot - want).abs() < 1e-15);
    assert_eq!(
        cross_entropy_error(&y, &array![1_usize, 2]).unwrap(),
        batch_one_hot
    );
    assert_eq!(
        cross_entropy_error(&y, &array![1_u8, 2]).unwrap(),
        batch_one_hot
    );
    assert_eq!(
        cross_entropy_error(&y, &array![1.0, 2.0]).unwrap(),
        batch_one_hot
    );
    // A single sample (1-D y) is a batch of one.
    let row = y.index_axis(Axis(0), 0);
    let single = cross_entropy_error(&row, &array![0.0, 1.0, 0.0]).unwrap();
    assert!((single + (0.7_f64 + 1e-7).ln()).abs() < 1e-15);
    assert_eq!(cross_entropy_error(&row, &array![1_usize]).unwrap(), single);
    assert_eq!(
        cross_entropy_error(&row, &ndarray::arr0(1_usize)).unwrap(),
        single
    );
}

#[test]
fn cross_entropy_error_rejects_bad_labels_with_a_reason() {
    let y = array![[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]];
    let err = cross_entropy_error(&y, &array![1_usize, 3]).unwrap_err();
    assert!(matches!(err, LossError::Label(_)));
    assert!(err.to_string().contains("label 3 of sample 1"), "{err}");
    let err = cross_entropy_error(&y, &array![1.5, 0.0]).unwrap_err();
    assert!(matches!(err, LossError::Label(_)), "{err}");
    let err = cross_entropy_error(&y, &array![1_usize, 0, 2]).unwrap_err();
    assert!(matches!(err, LossError::Shape(_)), "{err}");
    let err = sum_squared_error(&y, &Array2::zeros((2, 2))).unwrap_err();
    assert!(matches!(err, LossError::Shape(_)), "{err}");
}

// 4.4.2, with the weights the book prints:
// >>> net.W
// array([[ 0.47355232,  0.9977393 ,  0.84668094],
//        [ 0.85557411,  0.03563661,  0.69422093]])
// >>> p = net.predict(x)          # x = np.array([0.6, 0.9])
// array([ 1.05414809,  0.63071653,  1.1328074 ])
// >>> np.argmax(p)
// 2
// >>> net.loss(x, t)              # t = np.array([0, 0, 1])
// 0.928_068_536_634_113_3
// >>> dW = numerical_gradient(f, net.W)
// [[ 0.21924763  0.14356247 -0.36281009]
//  [ 0.32887144  0.2153437  -0.54421514]]
#[test]
fn simple_net_reproduces_section_4_4_2() {
    let mut net = SimpleNet::<f64>::from_weights(array![
        [0.47355232, 0.9977393, 0.84668094],
        [0.85557411, 0.03563661, 0.69422093]
    ])
    .unwrap();
    let x = array![0.6, 0.9];
    let t = array![0.0, 0.0, 1.0];
    let p = net.predict(&x).unwrap();
    for (g, w) in p.iter().zip([1.05414809, 0.63071653, 1.1328074]) {
        assert!((g - w).abs() < 1e-8, "{p}");
    }
    let loss = net.loss(&x, &t).unwrap();
    // The book's printed loss is -ln(y_2) without the 1e-7 guard its cross_entropy_error
    // adds (it shifts the loss by about 1e-7 / y_2 = 2.5e-7). Both agree to the 1e-8 that the
    // printed 8-decimal weights allow once the guard is accounted for.
    let y = ch03_activations::keras::Activation::Softmax.forward(&p.view().insert_axis(Axis(0)));
    let y2 = y[[0, 2]];
    assert!(
        (-y2.ln() - 0.928_068_536_634_113_3).abs() < 1e-8,
        "-ln(y2) = {}",
        -y2.ln()
    );
    assert_eq!(loss, -(y2 + 1e-7).ln());
    let before = net.w.clone();
    let dw = net.numerical_gradient(&x, &t).unwrap();
    assert_eq!(net.w, before, "W is restored after probing");
    let want = array![
        [0.21924763, 0.14356247, -0.36281009],
        [0.32887144, 0.2153437, -0.54421514]
    ];
    // The guard scales the gradient by y_2 / (y_2 + 1e-7); undo that to compare.
    let unguarded = dw.mapv(|g| g * (y2 + 1e-7) / y2);
    for (g, w) in unguarded.iter().zip(want.iter()) {
        assert!((g - w).abs() < 1e-8, "{unguarded}");
    }
    // The same with the class index as the label.
    assert_eq!(net.loss(&x, &ndarray::arr0(2_usize)).unwrap(), loss);
}

#[test]
fn simple_net_rejects_an_input_of_the_wrong_size() {
    let net = SimpleNet::<f64>::new(&mut StdRng::seed_from_u64(1));
    assert_eq!(net.w.dim(), (2, 3));
    let err = net.predict(&array![1.0, 2.0, 3.0]).unwrap_err();
    assert!(err.to_string().contains("2 inputs"), "{err}");
}

#[test]
fn two_layer_net_starts_as_the_book_initialises_it() {
    let mut rng = StdRng::seed_from_u64(42);
    let net = TwoLayerNet::<f64>::new(784, 50, 10, 0.01, &mut rng).unwrap();
    assert_eq!(net.w1.dim(), (784, 50));
    assert_eq!(net.w2.dim(), (50, 10));
    assert_eq!(net.param_count(), 39_760);
    assert!(net.b1.iter().chain(&net.b2).all(|&b| b == 0.0));
    // 39,200 draws of 0.01 * N(0, 1): the sample standard deviation is within 2% of 0.01.
    let n = net.w1.len() as f64;
    let mean = net.w1.sum() / n;
    let std = (net.w1.mapv(|w| (w - mean).powi(2)).sum() / n).sqrt();
    assert!(
        (std - 0.01).abs() < 2e-4 && mean.abs() < 2e-4,
        "std {std}, mean {mean}"
    );
    // The same seed gives the same network.
    let again = TwoLayerNet::<f64>::new(784, 50, 10, 0.01, &mut StdRng::seed_from_u64(42));
    assert_eq!(again.unwrap(), net);
    // With tiny weights every class gets about 1/10: the loss is about ln(10).
    let x = Array2::from_shape_fn((5, 784), |(i, j)| ((i * 31 + j * 7) % 256) as f64 / 255.0);
    let labels = array![0_usize, 3, 9, 1, 5];
    let loss = net.loss(&x, Labels::Sparse(labels.view())).unwrap();
    assert!((loss - 10f64.ln()).abs() < 0.01, "{loss}");
}

#[test]
fn two_layer_net_gradient_equals_its_numerical_gradient() {
    // The book's gradient_check (5.7.3) in miniature: both in f64, relative agreement.
    // The analytic gradient is that of -ln(y), the numerical one that of -ln(y + 1e-7), as
    // the book's code has them; they differ by a factor of about 1 + 1e-7 / y_true_class,
    // so the tolerance is that relative gap (computed below), plus 1e-7 absolute for the
    // central difference's own O(h^2) truncation error.
    let mut rng = StdRng::seed_from_u64(7);
    let mut net = TwoLayerNet::<f64>::new(6, 5, 4, 0.5, &mut rng).unwrap();
    net.b1.mapv_inplace(|_| 0.1);
    let x = Array2::from_shape_fn((3, 6), |(i, j)| ((i + 2 * j) % 5) as f64 / 5.0 - 0.3);
    let one_hot = array![
        [0.0, 1.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
        [1.0, 0.0, 0.0, 0.0]
    ];
    let indices = array![1_usize, 3, 0];
    for t in [
        Labels::Dense(one_hot.view()),
        Labels::Sparse(indices.view()),
    ] {
        let before = net.clone();
        let numerical = net.numerical_gradient(&x, t).unwrap();
        assert_eq!(net, before, "every parameter is restored");
        let analytic = net.gradient(&x, t).unwrap();
        let y = net.predict(&x).unwrap();
        let smallest = indices
            .iter()
            .enumerate()
            .map(|(i, &c)| y[[i, c]])
            .fold(f64::INFINITY, f64::min);
        let rel = 2.0 * 1e-7 / smallest + 1e-7;
        let pairs = [(&numerical.w1, &analytic.w1), (&numerical.w2, &analytic.w2)];
        for (n, a) in pairs {
            for (n, a) in n.iter().zip(a.iter()) {
                assert!((n - a).abs() <= rel * a.abs() + 1e-7, "{n} vs {a}");
            }
        }
        for (n, a) in [(&numerical.b1, &analytic.b1), (&numerical.b2, &analytic.b2)] {
            for (n, a) in n.iter().zip(a.iter()) {
                assert!((n - a).abs() <= rel * a.abs() + 1e-7, "{n} vs {a}");
            }
        }
    }
}

#[test]
fn two_layer_net_learns_a_separable_problem() {
    // Two blobs; 300 steps of lr 0.5 bring the loss well below ln 2 and the accuracy to 1.
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = TwoLayerNet::<f64>::new(2, 8, 2, 0.01, &mut rng).unwrap();
    let x = Array2::from_shape_fn((40, 2), |(i, j)| {
        let centre = if i % 2 == 0 { 1.0 } else { -1.0 };
        centre + 0.3 * (((i * 7 + j * 13) % 11) as f64 / 11.0 - 0.5)
    });
    let t = ndarray::Array1::from_shape_fn(40, |i| i % 2);
    let labels = Labels::Sparse(t.view());
    let first = net.loss(&x, labels).unwrap();
    for _ in 0..300 {
        let grads = net.gradient(&x, labels).unwrap();
        net.update(&grads, 0.5);
    }
    let last = net.loss(&x, labels).unwrap();
    assert!(first > 0.69 && last < 0.1, "loss {first} -> {last}");
    assert_eq!(net.accuracy(&x, labels).unwrap(), 1.0);
}

#[test]
fn two_layer_net_rejects_bad_shapes_and_labels() {
    let mut rng = StdRng::seed_from_u64(0);
    let net = TwoLayerNet::<f32>::new(4, 3, 2, 0.01, &mut rng).unwrap();
    let x = Array2::<f32>::zeros((2, 5));
    assert!(matches!(net.predict(&x), Err(LossError::Shape(_))));
    let x = Array2::<f32>::zeros((2, 4));
    let bad = array![0_usize, 2];
    let err = net.loss(&x, Labels::Sparse(bad.view())).unwrap_err();
    assert!(err.to_string().contains("label 2 of sample 1"), "{err}");
    let short = array![0_usize];
    assert!(net.accuracy(&x, Labels::Sparse(short.view())).is_err());
    let wrong = Array2::<f32>::zeros((2, 3));
    assert!(net.gradient(&x, Labels::Dense(wrong.view())).is_err());
    assert!(TwoLayerNet::<f32>::new(0, 3, 2, 0.01, &mut rng).is_err());
    assert!(TwoLayerNet::<f32>::new(4, 3, 2, f64::NAN, &mut rng).is_err());
}

// ch04/gradient_2d.py's numerical_gradient(f, X) on a batch of points: row by row, the book's
// 4.4 prints [6. 8.], [0. 4.] and [6. 0.] for (3, 4), (0, 2) and (3, 0).
#[test]
fn numerical_gradient_2d_is_the_books_row_by_row_gradient() {
    let mut x = ndarray::array![[3.0, 4.0], [0.0, 2.0], [3.0, 0.0]];
    let before = x.clone();
    let grad = ch04_loss_gradient::numerical_gradient_2d(function_2, &mut x);
    let book = ndarray::array![[6.0, 8.0], [0.0, 4.0], [6.0, 0.0]];
    for (g, b) in grad.iter().zip(&book) {
        assert!((g - b).abs() < 1e-7, "{g} vs {b}");
    }
    assert_eq!(x, before, "every probed element is put back");
    // each row is exactly what the one-point numerical_gradient gives
    for (row, g) in before.rows().into_iter().zip(grad.rows()) {
        let mut point = row.to_owned();
        assert_eq!(numerical_gradient(function_2, &mut point), g);
    }
}
