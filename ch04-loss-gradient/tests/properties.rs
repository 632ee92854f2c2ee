//! Properties that hold for every input, checked on random ones (proptest).

use ch04_loss_gradient::keras::Loss;
use ch04_loss_gradient::{Labels, cross_entropy_error, numerical_gradient};
use ndarray::{Array1, Array2, ArrayRef1};
use proptest::prelude::*;
use test_support::one_hot;
use test_support::strategies::matrix;

/// A random batch of probability rows (N, D), some entries exactly 0.
fn probabilities(n: usize, d: usize) -> impl Strategy<Value = Array2<f64>> {
    prop::collection::vec(prop_oneof![Just(0.0), 0.0..1.0_f64], n * d).prop_map(move |v| {
        let mut p = Array2::from_shape_vec((n, d), v).unwrap();
        for mut row in p.rows_mut() {
            let s: f64 = row.sum();
            if s > 0.0 {
                row.mapv_inplace(|x| x / s);
            } else {
                row[0] = 1.0;
            }
        }
        p
    })
}

/// A loss name, its labels, a prediction, and the perfect prediction for those labels.
type Case<'a> = (&'a str, Labels<'a, f64>, &'a Array2<f64>, &'a Array2<f64>);

proptest! {
    /// For f(x) = x^T A x + b^T x the central difference is exact up to rounding: the
    /// numerical gradient equals (A + A^T) x + b to 1e-6, and x comes back unchanged.
    #[test]
    fn numerical_gradient_of_a_quadratic_form_is_exact(
        (a, b, x) in (1usize..6).prop_flat_map(|n| (
            matrix(n, n, -3.0, 3.0),
            prop::collection::vec(-3.0..3.0_f64, n),
            prop::collection::vec(-5.0..5.0_f64, n),
        ))
    ) {
        let b = Array1::from(b);
        let mut x = Array1::from(x);
        let before = x.clone();
        let f = |x: &ArrayRef1<f64>| x.dot(&a.dot(x)) + b.dot(x);
        let grad = numerical_gradient(f, &mut x);
        let want = a.dot(&x) + a.t().dot(&x) + &b;
        prop_assert_eq!(&x, &before);
        for (g, w) in grad.iter().zip(want.iter()) {
            prop_assert!((g - w).abs() < 1e-6, "{} vs {}", g, w);
        }
    }

    /// Every probed element is restored bit for bit, for an array of any shape.
    #[test]
    fn numerical_gradient_restores_every_element(
        v in prop::collection::vec(-1e6..1e6_f64, 24)
    ) {
        let mut x = Array1::from(v).into_shape_with_order((2, 3, 4)).unwrap().into_dyn();
        let before = x.clone();
        let grad = numerical_gradient(|x| x.iter().map(|v| v.sin()).sum(), &mut x);
        prop_assert_eq!(x.to_owned(), before);
        prop_assert_eq!(grad.shape(), &[2, 3, 4]);
    }

    /// The losses that measure a distance are >= 0 for any input, and 0 (or, where Keras
    /// clips probabilities at 1 - 1e-7, within 1e-6 of 0) when the prediction equals the truth.
    #[test]
    fn distance_losses_are_non_negative_and_zero_at_a_perfect_prediction(
        t in matrix(4, 3, -2.0, 2.0),
        p in matrix(4, 3, -2.0, 2.0),
    ) {
        for name in ["mse", "mae", "mape", "msle", "log_cosh", "huber"] {
            let loss: Loss = name.parse().unwrap();
            let l = loss.per_sample(Labels::Dense(t.view()), &p).unwrap();
            prop_assert!(l.iter().all(|&v| v >= 0.0), "{} {}", name, l);
            let perfect = loss.per_sample(Labels::Dense(t.view()), &t).unwrap();
            prop_assert!(perfect.iter().all(|&v| v.abs() < 1e-12), "{} {}", name, perfect);
        }
    }

    #[test]
    fn classification_losses_are_non_negative_and_zero_at_a_perfect_prediction(
        classes in prop::collection::vec(0usize..4, 1..6),
        scores in matrix(5, 4, -3.0, 3.0),
        probs in probabilities(5, 4),
    ) {
        let n = classes.len();
        let t = one_hot(&classes, 4);
        let signs = t.mapv(|v| 2.0 * v - 1.0);
        let scores = scores.slice(ndarray::s![..n, ..]).to_owned();
        let probs = probs.slice(ndarray::s![..n, ..]).to_owned();
        let idx = Array1::from(classes.clone());
        let cases: [Case<'_>; 7] = [
            ("hinge", Labels::Dense(signs.view()), &scores, &signs),
            ("squared_hinge", Labels::Dense(signs.view()), &scores, &signs),
            ("categorical_hinge", Labels::Dense(t.view()), &scores, &t),
            ("categorical_crossentropy", Labels::Dense(t.view()), &probs, &t),
            ("sparse_categorical_crossentropy", Labels::Sparse(idx.view()), &probs, &t),
            ("binary_crossentropy", Labels::Dense(t.view()), &probs, &t),
            ("kl_divergence", Labels::Dense(t.view()), &probs, &t),
        ];
        for (name, labels, pred, perfect_pred) in cases {
            let loss: Loss = name.parse().unwrap();
            let l = loss.per_sample(labels, pred).unwrap();
            prop_assert!(l.iter().all(|&v| v >= 0.0 && v.is_finite()), "{} {}", name, l);
            let perfect = loss.per_sample(labels, perfect_pred).unwrap();
            prop_assert!(perfect.iter().all(|&v| v.abs() < 1e-6), "{} {}", name, perfect);
        }
    }

    /// Cross-entropy (the book's and Keras') stays finite when the true class gets a
    /// probability of exactly 0, in f64 and in f32.
    #[test]
    fn cross_entropy_never_returns_inf_or_nan_for_zero_probabilities(
        probs in probabilities(6, 5),
        classes in prop::collection::vec(0usize..5, 6),
    ) {
        let idx = Array1::from(classes.clone());
        let mut zeroed = probs.clone();
        for (i, &c) in classes.iter().enumerate() {
            zeroed[[i, c]] = 0.0;
        }
        let t: Array2<f64> = one_hot(&classes, 5);
        for p in [&probs, &zeroed] {
            let book = cross_entropy_error(p, &idx).unwrap();
            prop_assert!(book.is_finite() && book >= 0.0, "book {}", book);
            let p32 = p.mapv(|v| v as f32);
            let t32 = t.mapv(|v| v as f32);
            let book32 = cross_entropy_error(&p32, &idx).unwrap();
            prop_assert!(book32.is_finite(), "book f32 {}", book32);
            for loss in ["categorical_crossentropy", "sparse_categorical_crossentropy",
                         "binary_crossentropy", "kl_divergence"] {
                let loss: Loss = loss.parse().unwrap();
                let labels = if matches!(loss, Loss::SparseCategoricalCrossentropy { .. }) {
                    Labels::Sparse(idx.view())
                } else {
                    Labels::Dense(t32.view())
                };
                let l = loss.per_sample(labels, &p32).unwrap();
                prop_assert!(l.iter().all(|v| v.is_finite()), "{} {}", loss, l);
            }
        }
    }

    /// Keras' reduction is linear in the weights and equals the plain mean for unit weights.
    #[test]
    fn reduce_is_the_weighted_sum_over_the_number_of_samples(
        l in prop::collection::vec(0.0..10.0_f64, 1..20),
        scale in 0.0..5.0_f64,
    ) {
        let l = Array1::from(l);
        let n = l.len() as f64;
        let ones = Array1::ones(l.len());
        let mean = ch04_loss_gradient::keras::reduce(&l, None);
        prop_assert!((ch04_loss_gradient::keras::reduce(&l, Some(&ones)) - mean).abs() < 1e-12);
        prop_assert!((mean - l.sum() / n).abs() < 1e-12);
        let w = Array1::from_elem(l.len(), scale);
        let weighted = ch04_loss_gradient::keras::reduce(&l, Some(&w));
        prop_assert!((weighted - scale * mean).abs() < 1e-9 * (1.0 + mean));
    }
}
