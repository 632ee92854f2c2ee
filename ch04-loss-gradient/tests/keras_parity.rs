//! Every Keras loss against TensorFlow's own numbers.
//!
//! The oracle is the workspace's copy of the parity fixture (`testdata/keras2_parity.json`,
//! made by `tf_keras` 2.21 in float32). The values are read from the file at test time, so any
//! other seed of the same generator works too. Tolerance: 1e-6 relative plus 1e-7 absolute,
//! what float32 arithmetic allows (the fixture's README).

use ch04_loss_gradient::keras::Loss;
use ch04_loss_gradient::{Labels, LossError};
use ndarray::{Array1, Array2};
use serde_json::Value;
use std::collections::BTreeSet;
use test_support::{Tol, assert_all_close, close, fixture};

/// The fixture's tolerance for losses: what float32 arithmetic allows.
const LOSS: Tol = Tol {
    rel: 1e-6,
    abs: 1e-7,
};

fn vec_f32(v: &Value) -> Vec<f32> {
    fixture::vec_f32(v, "a list of numbers").unwrap()
}

/// A list of rows as (N, D); a flat list of scalars as a column (N, 1).
fn matrix(v: &Value) -> Array2<f32> {
    fixture::samples_f32(v, "a matrix").unwrap()
}

/// The loss a fixture key names: a Keras name, or one of the three configured cases.
fn loss_for_key(key: &str) -> Loss {
    match key {
        "categorical_crossentropy_from_logits" => Loss::CategoricalCrossentropy {
            from_logits: true,
            label_smoothing: 0.0,
        },
        "sparse_categorical_crossentropy_from_logits" => {
            Loss::SparseCategoricalCrossentropy { from_logits: true }
        }
        "categorical_crossentropy_label_smoothing_0.1" => Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: 0.1,
        },
        name => name
            .parse()
            .unwrap_or_else(|e| panic!("fixture key {name:?}: {e}")),
    }
}

/// The per-sample losses of a fixture case, with the labels given as TensorFlow had them:
/// class indices for the sparse loss, dense rows otherwise.
fn per_sample(loss: &Loss, case: &Value) -> Result<Array1<f32>, LossError> {
    let y_pred = matrix(&case["y_pred"]);
    if matches!(loss, Loss::SparseCategoricalCrossentropy { .. }) {
        let labels: Vec<usize> = vec_f32(&case["y_true"])
            .iter()
            .map(|&x| x as usize)
            .collect();
        let labels = Array1::from(labels);
        loss.per_sample(Labels::Sparse(labels.view()), &y_pred)
    } else {
        let y_true = matrix(&case["y_true"]);
        loss.per_sample(Labels::Dense(y_true.view()), &y_pred)
    }
}

#[test]
fn every_loss_per_sample_mean_and_weighted_mean_match_tensorflow() {
    let fx = fixture::keras2_parity();
    let cases = fx["losses"].as_object().expect("losses");
    let mut seen = BTreeSet::new();
    for (key, case) in cases {
        let loss = loss_for_key(key);
        seen.insert(loss.name());
        let got = per_sample(&loss, case).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_all_close(
            &format!("{key} per_sample"),
            &got,
            vec_f32(&case["per_sample"]),
            LOSS,
        );
        if let Some(mean) = case.get("mean") {
            let want = mean.as_f64().unwrap() as f32;
            let got = ch04_loss_gradient::keras::reduce(&got, None);
            assert!(
                close(got.into(), want.into(), LOSS),
                "{key} mean: got {got:e}, TensorFlow {want:e}"
            );
        }
        if let Some(weighted) = case.get("weighted_mean") {
            let want = weighted.as_f64().unwrap() as f32;
            let w = Array1::from(vec_f32(&case["sample_weight"]));
            let got = ch04_loss_gradient::keras::reduce(&got, Some(&w));
            assert!(
                close(got.into(), want.into(), LOSS),
                "{key} weighted_mean: got {got:e}, TensorFlow {want:e}"
            );
        }
    }
    // Every loss of the enum is covered by the fixture.
    for name in [
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
    ] {
        assert!(seen.contains(name), "the fixture has no case for {name}");
    }
}

#[test]
fn compute_reduces_with_sample_weights_like_keras() {
    let fx = fixture::keras2_parity();
    for (key, case) in fx["losses"].as_object().unwrap() {
        let (Some(mean), Some(weighted)) = (case.get("mean"), case.get("weighted_mean")) else {
            continue;
        };
        let loss = loss_for_key(key);
        let y_pred = matrix(&case["y_pred"]);
        let w = Array1::from(vec_f32(&case["sample_weight"]));
        let y_true = matrix(&case["y_true"]);
        // The sparse loss takes its float labels as a column (N, 1), as Keras also does.
        let labels = Labels::Dense(y_true.view());
        let got = loss.compute(labels, &y_pred, None).unwrap();
        let want = mean.as_f64().unwrap() as f32;
        assert!(
            close(got.into(), want.into(), LOSS),
            "{key} compute: {got:e} vs {want:e}"
        );
        let got = loss.compute(labels, &y_pred, Some(&w)).unwrap();
        let want = weighted.as_f64().unwrap() as f32;
        assert!(
            close(got.into(), want.into(), LOSS),
            "{key} compute weighted: {got:e} vs {want:e}"
        );
    }
}

#[test]
fn edge_cases_where_epsilon_and_clipping_decide_match_tensorflow() {
    let fx = fixture::keras2_parity();
    let edges = fx["losses_edge"].as_array().expect("losses_edge");
    assert!(!edges.is_empty());
    for case in edges {
        let key = case["name"].as_str().unwrap();
        let loss = loss_for_key(key);
        let got = per_sample(&loss, case).unwrap_or_else(|e| panic!("edge {key}: {e}"));
        assert_all_close(
            &format!(
                "edge {key} (y_true {}, y_pred {})",
                case["y_true"], case["y_pred"]
            ),
            &got,
            vec_f32(&case["per_sample"]),
            LOSS,
        );
    }
}

#[test]
fn f64_agrees_with_the_f32_fixture() {
    // The same formulas in f64 land within float32 rounding of TensorFlow's float32 values
    // (the edges are excluded: there eps = 1e-7 meets f32's own rounding on purpose).
    let fx = fixture::keras2_parity();
    for (key, case) in fx["losses"].as_object().unwrap() {
        let loss = loss_for_key(key);
        let y_pred = matrix(&case["y_pred"]).mapv(f64::from);
        let y_true = matrix(&case["y_true"]).mapv(f64::from);
        let got = loss
            .per_sample(Labels::Dense(y_true.view()), &y_pred)
            .unwrap();
        assert_all_close(
            &format!("{key} f64"),
            &got,
            vec_f32(&case["per_sample"]),
            Tol {
                rel: 1e-5,
                abs: 1e-6,
            },
        );
    }
}
