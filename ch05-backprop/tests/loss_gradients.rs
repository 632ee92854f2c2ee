//! Gradient checks of `loss_gradient` for every ch04 (Keras) loss: the analytic dL/dy_pred
//! against central differences of `Loss::compute` in f64, over random shapes, values, sample
//! weights and label forms. Values are kept away from kinks and clipping bounds, where no
//! derivative exists.

use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::Loss;
use ch05_backprop::SoftmaxWithLoss;
use ch05_backprop::gradient_check::{LossObjective, check};
use ch05_backprop::keras::loss_gradient;
use ndarray::{Array1, Array2, array};
use proptest::prelude::*;
use test_support::one_hot;
use test_support::strategies::matrix;

const TOL: f64 = 1e-6;

/// The labels of a case, owned (the objective borrows them).
#[derive(Debug, Clone)]
enum Truth {
    Dense(Array2<f64>),
    Sparse(Array1<usize>),
}

#[derive(Debug, Clone)]
struct Case {
    loss: Loss,
    truth: Truth,
    y_pred: Array2<f64>,
    weights: Option<Array1<f64>>,
}

fn run(case: Case) -> Result<(), TestCaseError> {
    let labels = match &case.truth {
        Truth::Dense(t) => Labels::Dense(t.view()),
        Truth::Sparse(t) => Labels::Sparse(t.view()),
    };
    let mut objective =
        LossObjective::new(case.loss, labels, case.y_pred.clone(), case.weights.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let report = check(&mut objective);
    prop_assert!(report.ensure_below(TOL).is_ok(), "{:?}\n{}", case, report);
    Ok(())
}

fn shape() -> impl Strategy<Value = (usize, usize)> {
    (1usize..5, 1usize..6)
}

fn weights(n: usize) -> impl Strategy<Value = Option<Array1<f64>>> {
    prop::option::of(prop::collection::vec(0.1..3.0f64, n).prop_map(Array1::from))
}

/// Moves every element of `m` at least `margin` away from `kink`.
fn away(m: Array2<f64>, kink: f64, margin: f64) -> Array2<f64> {
    m.mapv(|v| {
        if (v - kink).abs() < margin {
            if v >= kink {
                kink + margin
            } else {
                kink - margin
            }
        } else {
            v
        }
    })
}

/// `t + e` where every error `e` is at least `margin` away from each of `kinks`.
fn pred_from_errors(t: &Array2<f64>, e: Array2<f64>, kinks: &[f64], margin: f64) -> Array2<f64> {
    let mut e = e;
    for &k in kinks {
        e = away(e, k, margin);
    }
    t + &e
}

/// Dense targets, prediction and weights with values in the given ranges.
fn dense(
    (t_lo, t_hi): (f64, f64),
    (p_lo, p_hi): (f64, f64),
) -> impl Strategy<Value = (Array2<f64>, Array2<f64>, Option<Array1<f64>>)> {
    shape().prop_flat_map(move |(n, d)| {
        (
            matrix(n, d, t_lo, t_hi),
            matrix(n, d, p_lo, p_hi),
            weights(n),
        )
    })
}

/// Class indices, their one-hot rows, a prediction and weights (at least 2 classes).
fn classes(
    p_lo: f64,
    p_hi: f64,
) -> impl Strategy<Value = (Array1<usize>, Array2<f64>, Array2<f64>, Option<Array1<f64>>)> {
    (1usize..5, 2usize..6).prop_flat_map(move |(n, d)| {
        (
            prop::collection::vec(0..d, n),
            matrix(n, d, p_lo, p_hi),
            weights(n),
        )
            .prop_map(move |(k, p, w)| (Array1::from(k.clone()), one_hot(&k, d), p, w))
    })
}

fn smoothing() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0..0.4f64]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn mean_squared_error((t, p, w) in dense((-2.0, 2.0), (-2.0, 2.0))) {
        run(Case { loss: Loss::MeanSquaredError, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn mean_absolute_error((t, e, w) in dense((-2.0, 2.0), (-2.0, 2.0))) {
        let p = pred_from_errors(&t, e, &[0.0], 0.05);
        run(Case { loss: Loss::MeanAbsoluteError, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn mean_absolute_percentage_error((t, e, w) in dense((-2.0, 2.0), (-1.0, 1.0))) {
        let t = away(t, 0.0, 0.2);
        let p = pred_from_errors(&t, e, &[0.0], 0.05);
        run(Case { loss: Loss::MeanAbsolutePercentageError, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn mean_squared_logarithmic_error((t, p, w) in dense((-1.0, 3.0), (0.05, 3.0))) {
        run(Case { loss: Loss::MeanSquaredLogarithmicError, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn hinge_and_squared_hinge(
        (signs, p, w) in shape().prop_flat_map(|(n, d)| (
            prop::collection::vec(prop::bool::ANY, n * d).prop_map(move |b| Array2::from_shape_vec((n, d), b).unwrap()),
            matrix(n, d, -2.0, 2.0),
            weights(n),
        )),
        zero_one in prop::bool::ANY,
        squared in prop::bool::ANY,
    ) {
        // labels -1/1, or 0/1 (which Keras maps to -1/1); keep 1 - t p away from 0
        let pm = signs.mapv(|b| if b { 1.0 } else { -1.0 });
        let p = &pm * &away(&pm * &p, 1.0, 0.05);
        let t = if zero_one { signs.mapv(|b| if b { 1.0 } else { 0.0 }) } else { pm };
        let loss = if squared { Loss::SquaredHinge } else { Loss::Hinge };
        run(Case { loss, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn categorical_hinge((_, t, p, w) in classes(-2.0, 2.0)) {
        // keep the largest of (1 - t) p unique (the true class contributes a 0 to that max)
        // and the hinge away from its kink at 0
        let mut p = p;
        for (mut row, trow) in p.rows_mut().into_iter().zip(t.rows()) {
            let k = (0..row.len()).find(|&j| trow[j] == 1.0).unwrap();
            loop {
                let v: Vec<f64> = (0..row.len()).map(|j| (1.0 - trow[j]) * row[j]).collect();
                let mut order: Vec<usize> = (0..v.len()).collect();
                order.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
                let (top, second) = (order[0], order[1]);
                if v[top] - v[second] >= 0.1 {
                    break;
                }
                if top != k { row[top] += 0.1 } else { row[second] -= 0.1 }
            }
            let neg = (0..row.len()).map(|j| (1.0 - trow[j]) * row[j]).fold(f64::MIN, f64::max);
            if (neg - row[k] + 1.0).abs() < 0.05 {
                row[k] += 0.1;
            }
        }
        run(Case { loss: Loss::CategoricalHinge, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn log_cosh((t, p, w) in dense((-3.0, 3.0), (-3.0, 3.0))) {
        run(Case { loss: Loss::LogCosh, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn huber((t, e, w) in dense((-2.0, 2.0), (-3.0, 3.0)), delta in 0.5..2.0f64) {
        let p = pred_from_errors(&t, e, &[delta, -delta], 0.05);
        run(Case { loss: Loss::Huber { delta }, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn categorical_crossentropy_on_probabilities(
        (k, t, p, w) in classes(0.05, 1.0), s in smoothing(), sparse in prop::bool::ANY,
    ) {
        // rows need not sum to 1: Keras renormalizes, and the gradient goes through that
        let truth = if sparse { Truth::Sparse(k) } else { Truth::Dense(t) };
        let loss = Loss::CategoricalCrossentropy { from_logits: false, label_smoothing: s };
        run(Case { loss, truth, y_pred: p, weights: w })?;
    }

    #[test]
    fn categorical_crossentropy_on_soft_targets((t, p, w) in dense((0.0, 1.0), (0.05, 1.0)), s in smoothing()) {
        let loss = Loss::CategoricalCrossentropy { from_logits: false, label_smoothing: s };
        run(Case { loss, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn categorical_crossentropy_from_logits(
        (k, t, z, w) in classes(-4.0, 4.0), s in smoothing(), sparse in prop::bool::ANY,
    ) {
        let truth = if sparse { Truth::Sparse(k) } else { Truth::Dense(t) };
        let loss = Loss::CategoricalCrossentropy { from_logits: true, label_smoothing: s };
        run(Case { loss, truth, y_pred: z, weights: w })?;
    }

    #[test]
    fn sparse_categorical_crossentropy(
        (k, _, p, w) in classes(0.05, 0.95), from_logits in prop::bool::ANY, column in prop::bool::ANY,
    ) {
        let p = if from_logits { (p - 0.5) * 8.0 } else { p };
        // class indices, or Keras' float column (N, 1) of indices
        let truth = if column {
            Truth::Dense(k.mapv(|c| c as f64).insert_axis(ndarray::Axis(1)))
        } else {
            Truth::Sparse(k)
        };
        let loss = Loss::SparseCategoricalCrossentropy { from_logits };
        run(Case { loss, truth, y_pred: p, weights: w })?;
    }

    #[test]
    fn binary_crossentropy((t, p, w) in dense((0.0, 1.0), (0.05, 0.95)), s in smoothing(), from_logits in prop::bool::ANY) {
        let p = if from_logits { (p - 0.5) * 8.0 } else { p };
        let loss = Loss::BinaryCrossentropy { from_logits, label_smoothing: s };
        run(Case { loss, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn kl_divergence((t, p, w) in dense((-0.5, 1.0), (0.05, 0.95))) {
        // negative targets are clipped to eps (no gradient flows to y_true anyway)
        run(Case { loss: Loss::KlDivergence, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn poisson((t, p, w) in dense((0.0, 3.0), (0.05, 3.0))) {
        run(Case { loss: Loss::Poisson, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    #[test]
    fn cosine_similarity((t, p, w) in dense((-2.0, 2.0), (-2.0, 2.0))) {
        // keep the prediction's norm away from the 1e-6 floor and from 0, where n(p) jumps
        let p = away(p, 0.0, 0.1);
        run(Case { loss: Loss::CosineSimilarity, truth: Truth::Dense(t), y_pred: p, weights: w })?;
    }

    // The fused layer and the generic gradient agree: softmax + crossentropy from logits.
    #[test]
    fn softmax_with_loss_matches_crossentropy_from_logits((k, _, z, w) in classes(-4.0, 4.0)) {
        let mut last = SoftmaxWithLoss::new();
        let loss_fused = last.forward_weighted(&z, Labels::Sparse(k.view()), w.as_deref()).unwrap();
        let loss = Loss::SparseCategoricalCrossentropy { from_logits: true };
        let loss_keras = loss.compute(Labels::Sparse(k.view()), &z, w.as_deref()).unwrap();
        prop_assert!((loss_fused - loss_keras).abs() <= 1e-12 * loss_keras.abs().max(1.0));
        let mut grad = Array2::zeros((0, 0));
        loss_gradient(&loss, Labels::Sparse(k.view()), &z, w.as_deref(), &mut grad).unwrap();
        let diff = (&last.backward() - &grad).mapv(f64::abs).fold(0.0, |a: f64, &b| a.max(b));
        prop_assert!(diff < 1e-15, "max difference {}", diff);
    }
}

#[test]
fn every_loss_is_covered_by_a_gradient_check() {
    // If ch04 gains a loss, this list (and a proptest above) must grow with it.
    let covered = [
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "squared_hinge",
        "hinge",
        "categorical_hinge",
        "log_cosh",
        "huber",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_crossentropy",
        "kl_divergence",
        "poisson",
        "cosine_similarity",
    ];
    for (name, loss) in ch04_loss_gradient::keras::LOSS_NAMES {
        assert!(
            covered.contains(&loss.name()),
            "no gradient check for {name}"
        );
    }
}

#[test]
fn bad_labels_are_errors_that_name_the_fix() {
    let p = Array2::<f64>::zeros((2, 3));
    let mut g = Array2::zeros((0, 0));
    let idx = array![0usize, 1];
    let err = loss_gradient(
        &Loss::MeanSquaredError,
        Labels::Sparse(idx.view()),
        &p,
        None,
        &mut g,
    )
    .unwrap_err();
    assert!(err.to_string().contains("one-hot encode"), "{err}");
    let bad = array![0usize, 3];
    let cce = Loss::CategoricalCrossentropy {
        from_logits: false,
        label_smoothing: 0.0,
    };
    let err = loss_gradient(&cce, Labels::Sparse(bad.view()), &p, None, &mut g).unwrap_err();
    assert!(err.to_string().contains("label 3 of sample 1"), "{err}");
    let t = Array2::<f64>::zeros((2, 2));
    let err = loss_gradient(
        &Loss::MeanSquaredError,
        Labels::Dense(t.view()),
        &p,
        None,
        &mut g,
    )
    .unwrap_err();
    assert!(err.to_string().contains("must match"), "{err}");
    let w = array![1.0];
    let t = Array2::<f64>::zeros((2, 3));
    let err = loss_gradient(
        &Loss::MeanSquaredError,
        Labels::Dense(t.view()),
        &p,
        Some(&w),
        &mut g,
    )
    .unwrap_err();
    assert!(err.to_string().contains("one weight per"), "{err}");
    let column = array![[0.0], [2.5]];
    let scce = Loss::SparseCategoricalCrossentropy { from_logits: false };
    let err = loss_gradient(&scce, Labels::Dense(column.view()), &p, None, &mut g).unwrap_err();
    assert!(err.to_string().contains("label 2.5 of sample 1"), "{err}");
    let smoothing = Loss::CategoricalCrossentropy {
        from_logits: false,
        label_smoothing: 2.0,
    };
    assert!(loss_gradient(&smoothing, Labels::Sparse(idx.view()), &p, None, &mut g).is_err());
}

#[test]
fn sample_weights_scale_rows_and_keras_divides_by_n() {
    // L = (w0 L0 + w1 L1) / 2: a weight of 0 removes a row's gradient, not the 1/N.
    let t = array![[1.0, 0.0], [0.0, 1.0]];
    let p = array![[0.0, 0.0], [0.0, 0.0]];
    let w = array![0.0, 3.0];
    let mut g = Array2::zeros((0, 0));
    loss_gradient(
        &Loss::MeanSquaredError,
        Labels::Dense(t.view()),
        &p,
        Some(&w),
        &mut g,
    )
    .unwrap();
    // d/dp mean_j (p - t)^2 = (p - t) for D = 2; times w_i / N
    assert_eq!(g, array![[0.0, 0.0], [0.0, -1.5]]);
}
