//! Property tests (proptest): what must hold for every input, not just the fixture's.
//!
//! - softmax rows sum to 1, lie in [0, 1], stay finite for inputs as large as +-1e4, and do
//!   not change when a constant is added to a row;
//! - sigmoid(-x) = 1 - sigmoid(x);
//! - the monotone activations are monotone;
//! - every derivative agrees with a central difference in f64 away from kinks, and every
//!   backward pass is the vector-Jacobian product of its forward pass.

use ch03_activations::keras::Activation;
use ch03_activations::{Float, sigmoid, softmax};
use ndarray::{Array1, Array2};
use proptest::prelude::*;
use test_support::strategies::matrix_of_any_shape;

/// A batch of 1-5 rows of 1-12 values in [-lim, lim].
fn batch(lim: f64) -> impl Strategy<Value = Array2<f64>> {
    matrix_of_any_shape(1usize..=5, 1usize..=12, -lim, lim)
}

fn softmax_act() -> Activation {
    "softmax".parse().unwrap()
}

/// The element-wise activations whose value never decreases as x grows.
const MONOTONE: [&str; 12] = [
    "relu",
    "sigmoid",
    "tanh",
    "softplus",
    "softsign",
    "elu",
    "selu",
    "hard_sigmoid",
    "linear",
    "exponential",
    "relu6",
    "leaky_relu",
];

/// Points where an activation is not differentiable (a central difference straddling one
/// measures the average of two slopes).
fn kinks(act: &Activation) -> Vec<f64> {
    match *act {
        Activation::Relu {
            max_value,
            threshold,
            ..
        } => {
            let mut k = vec![0.0, threshold];
            k.extend(max_value);
            k
        }
        Activation::Elu { .. } | Activation::Selu | Activation::LeakyRelu { .. } => vec![0.0],
        Activation::HardSigmoid => vec![-2.5, 2.5],
        Activation::Relu6 => vec![0.0, 6.0],
        _ => vec![],
    }
}

/// `(f(x + h) - f(x - h)) / 2h` in f64, h = 1e-5.
fn central_difference(act: &Activation, x: f64) -> f64 {
    let h = 1e-5;
    (act.value(x + h) - act.value(x - h)) / (2.0 * h)
}

fn check_derivative(act: &Activation, x: f64) -> Result<(), TestCaseError> {
    if kinks(act).iter().any(|k| (x - k).abs() < 1e-3) {
        return Ok(());
    }
    let analytic = act.derivative(x);
    let numeric = central_difference(act, x);
    prop_assert!(
        (analytic - numeric).abs() <= 1e-6 * analytic.abs().max(1.0),
        "{act}'({x}) = {analytic}, central difference {numeric}"
    );
    Ok(())
}

fn rows_sum_to_one<A: Float>(y: &Array2<A>, tol: f64) -> Result<(), TestCaseError> {
    for row in y.rows() {
        for &v in row {
            prop_assert!(
                v.is_finite() && v >= A::zero() && v <= A::one(),
                "{v} in {row}"
            );
        }
        let sum: f64 = row.iter().map(|v| v.as_f64()).sum();
        prop_assert!((sum - 1.0).abs() <= tol, "row {row} sums to {sum}");
    }
    Ok(())
}

proptest! {
    #[test]
    fn softmax_rows_are_distributions_even_for_huge_inputs(x in batch(1e4)) {
        rows_sum_to_one(&softmax_act().forward(&x), 1e-12)?;
        rows_sum_to_one(&softmax(&x), 1e-12)?;
        let x32 = x.mapv(|v| v as f32);
        rows_sum_to_one(&softmax_act().forward(&x32), 1e-5)?;
        rows_sum_to_one(&softmax(&x32), 1e-5)?;
    }

    #[test]
    fn softmax_ignores_a_constant_added_to_a_row(
        x in batch(1e4),
        shifts in prop::collection::vec(-1e3..1e3f64, 5),
    ) {
        let mut shifted = x.clone();
        for (mut row, c) in shifted.rows_mut().into_iter().zip(&shifts) {
            row += *c;
        }
        let (y, y_shifted) = (softmax_act().forward(&x), softmax_act().forward(&shifted));
        for (a, b) in y.iter().zip(&y_shifted) {
            // x + c is rounded at |x| ~ 1e4 (ulp 2e-12): that is all that may differ
            prop_assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn a_single_vector_is_softmaxed_like_a_row(v in prop::collection::vec(-50.0..50.0f64, 1..12)) {
        let x = Array1::from(v);
        let y = softmax(&x);
        let batch = softmax_act().forward(&x.clone().insert_axis(ndarray::Axis(0)));
        for (a, b) in y.iter().zip(batch.row(0)) {
            prop_assert!((a - b).abs() <= 1e-15, "{a} vs {b}");
        }
    }

    #[test]
    fn sigmoid_is_point_symmetric(x in -40.0..40.0f64) {
        point_symmetry(x)?;
    }

    #[test]
    fn monotone_activations_never_decrease(a in -60.0..60.0f64, b in -60.0..60.0f64) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        for name in MONOTONE {
            let act: Activation = name.parse().unwrap();
            prop_assert!(act.value(lo) <= act.value(hi), "{name}({lo}) > {name}({hi})");
            let (lo32, hi32) = (lo as f32, hi as f32);
            prop_assert!(act.value(lo32) <= act.value(hi32), "{name}({lo32}) > {name}({hi32}) in f32");
        }
    }

    #[test]
    fn every_derivative_matches_a_central_difference(x in -8.0..8.0f64) {
        for act in Activation::all().filter(Activation::is_elementwise) {
            check_derivative(&act, x)?;
        }
        check_derivative(&Activation::Gelu { approximate: true }, x)?;
        check_derivative(&Activation::Elu { alpha: 0.5 }, x)?;
        check_derivative(&Activation::LeakyRelu { alpha: 0.01 }, x)?;
    }

    #[test]
    fn keras_relu_parameters_have_the_right_derivative(
        x in -8.0..8.0f64,
        alpha in 0.0..1.0f64,
        max_value in prop::option::of(0.5..7.0f64),
        threshold in -2.0..2.0f64,
    ) {
        check_derivative(&Activation::Relu { alpha, max_value, threshold }, x)?;
        check_derivative(&Activation::Relu { alpha, max_value, threshold: 0.0 }, x)?;
        check_derivative(&Activation::Relu { alpha, max_value: None, threshold: 0.0 }, x)?;
    }

    #[test]
    fn elementwise_backward_is_dy_times_the_derivative(
        x in batch(10.0),
        seed in prop::collection::vec(-3.0..3.0f64, 60),
    ) {
        let dy = Array2::from_shape_fn(x.raw_dim(), |(i, j)| seed[(i * 12 + j) % 60]);
        for act in Activation::all().filter(Activation::is_elementwise) {
            let y = act.forward(&x);
            let dx = act.backward(&x, &y, &dy);
            for ((idx, &xi), &d) in x.indexed_iter().zip(&dx) {
                prop_assert_eq!(d, dy[idx] * act.derivative(xi), "{} at {}", act, xi);
            }
        }
    }

    #[test]
    fn softmax_backward_is_the_jacobian_times_dy(
        x in batch(5.0),
        seed in prop::collection::vec(-3.0..3.0f64, 60),
    ) {
        let act = softmax_act();
        let dy = Array2::from_shape_fn(x.raw_dim(), |(i, j)| seed[(i * 12 + j) % 60]);
        let y = act.forward(&x);
        let dx = act.backward(&x, &y, &dy);
        let h = 1e-6;
        for ((i, j), &got) in dx.indexed_iter() {
            // The explicit Jacobian: dy_k/dx_j = y_k (delta_kj - y_j), summed against dy.
            let jac: f64 = (0..x.ncols())
                .map(|k| dy[[i, k]] * y[[i, k]] * (f64::from(u8::from(k == j)) - y[[i, j]]))
                .sum();
            prop_assert!((got - jac).abs() <= 1e-12, "Jacobian: {got} vs {jac}");
            // And a central difference of L = sum(dy * softmax(x)) in x[i, j].
            let loss = |delta: f64| {
                let mut xp = x.clone();
                xp[[i, j]] += delta;
                (act.forward(&xp) * &dy).sum()
            };
            let numeric = (loss(h) - loss(-h)) / (2.0 * h);
            prop_assert!((got - numeric).abs() <= 1e-7, "central difference: {got} vs {numeric}");
        }
    }
}

/// `sigmoid(-x) = 1 - sigmoid(x)`, up to rounding: each side is rounded a few times at values
/// up to 1 (the exponential, the sum, the division, the subtraction), so they may differ by a
/// few units in the last place of 1; 4 epsilon allows that and nothing more. (2e-16, one unit,
/// failed at x = -0.4855949971767767.)
fn point_symmetry(x: f64) -> Result<(), TestCaseError> {
    let act = Activation::Sigmoid;
    let tol = 4.0 * f64::EPSILON;
    prop_assert!(
        (act.value(-x) - (1.0 - act.value(x))).abs() <= tol,
        "x = {x}"
    );
    let xs = Array1::from(vec![x, -x]);
    let s = sigmoid(&xs);
    prop_assert!((s[1] - (1.0 - s[0])).abs() <= tol, "x = {x}");
    let x32 = x as f32;
    let tol32 = 4.0 * f32::EPSILON;
    prop_assert!(
        (act.value(-x32) - (1.0 - act.value(x32))).abs() <= tol32,
        "x = {x32}"
    );
    Ok(())
}

#[test]
fn sigmoid_point_symmetry_holds_where_a_one_ulp_bound_failed() {
    point_symmetry(-0.4855949971767767).unwrap();
}
