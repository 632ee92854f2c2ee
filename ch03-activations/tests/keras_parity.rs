//! Parity with TensorFlow's Keras 2: every activation's values and gradients against the
//! fixture `testdata/keras2_parity.json` (made by tf_keras 2.21 in float32; see
//! `testdata/README.md`). The file is read at test time; no reference value is copied here.
//!
//! Tolerances are the fixture's (float32 arithmetic): values within 1e-6 relative plus 1e-7
//! absolute, derivatives with 1e-6 absolute more.

use ch03_activations::Float;
use ch03_activations::keras::Activation;
use ndarray::{Array1, Array2};
use serde_json::Value;
use test_support::{Tol, close, fixture};

/// Values: what float32 arithmetic allows.
const VALUE: Tol = Tol {
    rel: 1e-6,
    abs: 1e-7,
};

/// Derivatives: 1e-6 absolute more than the values.
const DERIVATIVE: Tol = Tol {
    rel: 1e-6,
    abs: 1e-7 + 1e-6,
};

fn vector(v: &Value) -> Vec<f64> {
    fixture::vec_f64(v, "a list of numbers").unwrap()
}

fn matrix(v: &Value) -> Array2<f64> {
    fixture::matrix_f64(v, "a list of rows").unwrap()
}

/// Checks `value`, `derivative`, `forward` and `backward` (with dy = 1) of every
/// element-wise activation in `section` (`activations` or `activations_edge`) in type `A`.
/// Returns how many activations were checked.
fn check_elementwise<A: Float>(section: &str) -> usize {
    let fx = fixture::keras2_parity();
    let sec = &fx[section];
    // The fixture's inputs are float32 values; rounding them to A is exact for f32 and f64.
    let x: Vec<A> = vector(&sec["x"]).into_iter().map(A::of).collect();
    let by_name = sec["by_name"].as_object().expect("by_name is an object");
    let mut checked = 0;
    let mut failures = Vec::new();
    for (name, case) in by_name {
        if case.get("y").is_none() {
            continue; // softmax: rows, checked separately
        }
        let act: Activation = name
            .parse()
            .unwrap_or_else(|e| panic!("fixture activation {name}: {e}"));
        assert!(act.is_elementwise(), "{name}");
        let want_y = vector(&case["y"]);
        let want_d = vector(&case["dy_dx"]);
        assert_eq!(want_y.len(), x.len(), "{name}: y and x differ in length");
        assert_eq!(
            want_d.len(),
            x.len(),
            "{name}: dy_dx and x differ in length"
        );

        let xs = Array2::from_shape_vec((1, x.len()), x.clone()).unwrap();
        let y = act.forward(&xs);
        let dx = act.backward(&xs, &y, &Array2::from_elem(xs.raw_dim(), A::one()));
        for (i, &xi) in x.iter().enumerate() {
            let (v, d) = (act.value(xi).as_f64(), act.derivative(xi).as_f64());
            if !close(v, want_y[i], VALUE) {
                failures.push(format!("{name}({xi}) = {v}, TensorFlow {}", want_y[i]));
            }
            if !close(d, want_d[i], DERIVATIVE) {
                failures.push(format!("{name}'({xi}) = {d}, TensorFlow {}", want_d[i]));
            }
            // The batch paths compute exactly what the scalar ones do.
            assert_eq!(y[[0, i]].as_f64(), v, "{name} forward vs value at {xi}");
            assert_eq!(
                dx[[0, i]].as_f64(),
                d,
                "{name} backward vs derivative at {xi}"
            );
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn elementwise_activations_match_tensorflow_f32() {
    // 15 element-wise activations in the fixture (softmax is the 16th).
    assert_eq!(check_elementwise::<f32>("activations"), 15);
}

#[test]
fn elementwise_activations_match_tensorflow_f64() {
    assert_eq!(check_elementwise::<f64>("activations"), 15);
}

#[test]
fn kinks_and_extremes_match_tensorflow_f32() {
    // x from -100 to 100 with the kinks 0, +-2.5 and 6.
    assert_eq!(check_elementwise::<f32>("activations_edge"), 12);
}

#[test]
fn kinks_and_extremes_match_tensorflow_f64() {
    assert_eq!(check_elementwise::<f64>("activations_edge"), 12);
}

fn check_softmax<A: Float>() {
    let fx = fixture::keras2_parity();
    let case = &fx["activations"]["by_name"]["softmax"];
    let x = matrix(&case["x2d"]).mapv(A::of);
    let want = matrix(&case["y2d"]);
    let act: Activation = "softmax".parse().unwrap();
    let got = act.forward(&x);
    assert_eq!(got.dim(), want.dim());
    for ((i, j), &w) in want.indexed_iter() {
        let g = got[[i, j]].as_f64();
        assert!(close(g, w, VALUE), "softmax[{i},{j}] = {g}, TensorFlow {w}");
    }
    // The book's function agrees with the Keras one, row by row.
    let book = ch03_activations::softmax(&x);
    for (a, b) in book.iter().zip(got.iter()) {
        assert!(close(
            a.as_f64(),
            b.as_f64(),
            Tol {
                rel: 1e-7,
                abs: 1e-12
            }
        ));
    }
    // A single row through the book's vector form gives the same as the batch form.
    let row: Array1<A> = x.row(2).to_owned();
    let y_row = ch03_activations::softmax(&row);
    for (j, &w) in want.row(2).iter().enumerate() {
        assert!(close(y_row[j].as_f64(), w, VALUE));
    }
}

#[test]
fn softmax_matches_tensorflow_f32() {
    check_softmax::<f32>();
}

#[test]
fn softmax_matches_tensorflow_f64() {
    check_softmax::<f64>();
}
