//! The core of chapter 5's example scripts on tiny settings, checked against what the book
//! prints: `gradient_check` prints four mean absolute differences, each about 1e-12 to 1e-10
//! in the book (`b1:9.70418809871e-13 W2:8.41139039497e-13 b2:1.1945999745e-10
//! W1:2.2232446644e-13`), so each must be below 1e-9 when no unit sits at ReLU's kink.

use ch04_loss_gradient::{Grads, Labels};
use ch05_backprop::TwoLayerNet;
use ch05_backprop::gradient_check::{book_float, mean_abs_diff};
use ndarray::{Array2, Axis};
use rand::{SeedableRng, rngs::StdRng};

/// The book's four lines, as numbers, in its order: b1, W2, b2, W1.
fn book_lines(backprop: &Grads<f64>, numerical: &Grads<f64>) -> [(&'static str, f64); 4] {
    [
        ("b1", mean_abs_diff(&backprop.b1, &numerical.b1)),
        ("W2", mean_abs_diff(&backprop.w2, &numerical.w2)),
        ("b2", mean_abs_diff(&backprop.b2, &numerical.b2)),
        ("W1", mean_abs_diff(&backprop.w1, &numerical.w1)),
    ]
}

fn check(net: &mut TwoLayerNet<f64>, x: &Array2<f64>, t: &[usize]) -> [(&'static str, f64); 4] {
    let t = ndarray::Array1::from(t.to_vec());
    let numerical = net.numerical_gradient(x, Labels::Sparse(t.view())).unwrap();
    let backprop = net.gradient(x, Labels::Sparse(t.view())).unwrap();
    book_lines(&backprop, &numerical)
}

/// Three "images" of 784 pixels in [0, 1] (a fixed pattern, no data set needed).
fn three_images() -> Array2<f64> {
    Array2::from_shape_fn((3, 784), |(i, j)| ((i * 7 + j * 13) % 256) as f64 / 255.0)
}

#[test]
fn gradient_check_lines_are_below_1e_9_away_from_the_kink_and_not_at_it() {
    let x = three_images();
    let t = [9, 0, 3];
    // The same seeds in the same order every run: the first net with every pre-activation
    // at least 1e-3 from 0, and the first with one within 1e-5.
    let (mut far, mut near) = (None, None);
    for seed in 0..200 {
        let net =
            TwoLayerNet::<f64>::new(784, 10, 10, 0.01, &mut StdRng::seed_from_u64(seed)).unwrap();
        let kink = net.nearest_kink(&x).unwrap();
        if far.is_none() && kink > 1e-3 {
            far = Some(net);
        } else if near.is_none() && kink < 1e-5 {
            near = Some(net);
        }
    }
    let mut far = far.expect("some seed keeps every unit away from the kink");
    for (key, diff) in check(&mut far, &x, &t) {
        println!("{key}:{}", book_float(diff));
        assert!(
            diff < 1e-9,
            "{key}: {diff} (the book's lines are 1e-13 to 1e-10)"
        );
        assert!(
            diff > 0.0,
            "{key}: exactly 0 would mean nothing was compared"
        );
    }
    // At the kink the central difference straddles it: W1 and b1 are visibly off.
    let mut near = near.expect("some seed puts a unit within 1e-5 of the kink");
    let b1 = check(&mut near, &x, &t)[0].1;
    assert!(b1 > 1e-8, "b1 at the kink: {b1}");
}

#[test]
fn gradient_check_example_on_fashion_mnist_prints_the_books_sizes() {
    // The example's computation exactly: first 3 training images, 784-50-10, seed 1.
    let required = std::env::var("REQUIRE_FASHION_MNIST").is_ok_and(|v| v == "1");
    let ((x_train, t_train), _) = match datasets::fashion_mnist::load_data() {
        Ok(d) => d,
        Err(e) if !required => {
            eprintln!(
                "skipped: Fashion-MNIST not found ({e}); set REQUIRE_FASHION_MNIST=1 to fail"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let x = x_train
        .slice_axis(Axis(0), (0..3).into())
        .to_shape((3, 784))
        .unwrap()
        .mapv(|v| f64::from(v) / 255.0);
    let t: Vec<usize> = t_train.iter().take(3).map(|&l| usize::from(l)).collect();
    let mut net =
        TwoLayerNet::<f64>::new(784, 50, 10, 0.01, &mut StdRng::seed_from_u64(1)).unwrap();
    assert!(net.nearest_kink(&x).unwrap() > 1e-4);
    for (key, diff) in check(&mut net, &x, &t) {
        assert!(diff < 1e-9 && diff > 0.0, "{key}: {diff}");
    }
}

#[test]
fn book_float_prints_as_python_2() {
    // The book's own four lines, re-printed from the numbers they stand for.
    assert_eq!(book_float(9.70418809871e-13), "9.70418809871e-13");
    assert_eq!(book_float(8.41139039497e-13), "8.41139039497e-13");
    assert_eq!(book_float(1.1945999745e-10), "1.1945999745e-10");
    assert_eq!(book_float(2.2232446644e-13), "2.2232446644e-13");
    assert_eq!(book_float(0.0), "0.0");
    assert_eq!(book_float(123.456), "123.456");
    assert_eq!(book_float(1e-4), "0.0001");
    assert_eq!(book_float(1.5e12), "1.5e+12");
}

#[test]
fn softmax_loss_is_the_books_and_agrees_with_softmax_with_loss() {
    use ch05_backprop::SoftmaxWithLoss;
    use ch05_backprop::softmax_with_loss::softmax_loss;
    let x = ndarray::array![[0.3, 2.9, 4.0], [1.0, -1.0, 0.5]];
    let t = ndarray::array![2usize, 0];
    let book = softmax_loss(&x, &t).unwrap();
    // by hand: -(ln softmax(x0)[2] + ln softmax(x1)[0]) / 2, each with the book's + 1e-7
    let p = |row: [f64; 3], k: usize| row[k].exp() / row.iter().map(|v| v.exp()).sum::<f64>();
    let by_hand =
        -((p([0.3, 2.9, 4.0], 2) + 1e-7).ln() + (p([1.0, -1.0, 0.5], 0) + 1e-7).ln()) / 2.0;
    assert!((book - by_hand).abs() < 1e-12, "{book} vs {by_hand}");
    let layer = SoftmaxWithLoss::new()
        .forward(&x, Labels::Sparse(t.view()))
        .unwrap();
    assert!((book - layer).abs() < 1e-6, "{book} vs {layer}");
    assert!(softmax_loss(&x, &ndarray::array![3usize, 0]).is_err());
}
