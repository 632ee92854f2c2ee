//! The reader of TensorFlow's parity fixtures (`testdata/keras2_parity.json`,
//! `testdata/keras2_cnn_parity.json`; their format is in `testdata/README.md`, and
//! `testdata/make_parity.py` makes them): the one place their JSON is turned into numbers,
//! for the chapters' parity tests and for keras-lite's `keras_parity` checker alike.
//!
//! Every accessor takes `at`, where in the file the value is (`losses.mse.y_pred`), and a
//! value of the wrong form is an error naming it, not a panic: the checker reads files a user
//! names on its command line. A test unwraps, and the message says what was wrong where.
//!
//! ```
//! use test_support::fixture;
//! let fx = fixture::keras2_parity();
//! let x = fixture::vec_f64(fixture::field(&fx["activations"], "x", "activations")?, "activations.x")?;
//! assert!(!x.is_empty());
//! # Ok::<(), fixture::FixtureError>(())
//! ```

use ndarray::{Array2, ArrayD, IxDyn};
use serde_json::Value;
use std::path::Path;

/// The path of `testdata/keras2_parity.json`: activations, losses, optimizers and a `fit`.
pub const KERAS2_PARITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/keras2_parity.json"
);

/// The path of `testdata/keras2_cnn_parity.json`: Conv2D, pooling, BatchNormalization on
/// images and a small CNN's `fit`.
pub const KERAS2_CNN_PARITY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/keras2_cnn_parity.json"
);

/// A fixture that cannot be read, or holds a value not of the documented form: the message
/// names the file or the place in it.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureError(pub String);

impl std::fmt::Display for FixtureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FixtureError {}

/// What every accessor returns.
pub type Result<T> = std::result::Result<T, FixtureError>;

fn err(msg: impl Into<String>) -> FixtureError {
    FixtureError(msg.into())
}

/// Reads and parses a fixture file.
pub fn read(path: impl AsRef<Path>) -> Result<Value> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| {
        err(format!(
            "cannot read the parity fixture {}: {e}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| err(format!("{}: not valid JSON: {e}", path.display())))
}

/// The workspace's `testdata/keras2_parity.json`, parsed. Panics with the reason when it
/// cannot be read (tests only: the file is part of the repository).
pub fn keras2_parity() -> Value {
    read(KERAS2_PARITY).unwrap_or_else(|e| panic!("{e}"))
}

/// `v[key]`; an error when `v` has no such key.
pub fn field<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| err(format!("fixture: {at} has no key {key:?}")))
}

/// `v` as a number.
pub fn number(v: &Value, at: &str) -> Result<f64> {
    v.as_f64()
        .ok_or_else(|| err(format!("fixture: {at} should be a number, got {v}")))
}

/// Every number in a (nested) list, in row-major order, and the nesting's shape (`[]` for a
/// single number).
pub fn flat(v: &Value, at: &str) -> Result<(Vec<f64>, Vec<usize>)> {
    /// `leaf`: the depth of the numbers, once one is seen; every number must be at it.
    fn walk(
        v: &Value,
        depth: usize,
        shape: &mut Vec<usize>,
        leaf: &mut Option<usize>,
        out: &mut Vec<f64>,
        at: &str,
    ) -> Result<()> {
        let mixed = || err(format!("fixture: {at} mixes lists and numbers"));
        match v {
            Value::Array(items) => {
                if leaf.is_some_and(|l| depth >= l) {
                    return Err(mixed());
                }
                if shape.len() == depth {
                    shape.push(items.len());
                } else if shape[depth] != items.len() {
                    return Err(err(format!("fixture: {at} is a ragged list")));
                }
                for item in items {
                    walk(item, depth + 1, shape, leaf, out, at)?;
                }
                Ok(())
            }
            other => {
                if shape.len() != depth || leaf.is_some_and(|l| l != depth) {
                    return Err(mixed());
                }
                *leaf = Some(depth);
                out.push(number(other, at)?);
                Ok(())
            }
        }
    }
    let (mut values, mut shape) = (Vec::new(), Vec::new());
    walk(v, 0, &mut shape, &mut None, &mut values, at)?;
    Ok((values, shape))
}

/// Every number of a (nested) list, in row-major order.
pub fn vec_f64(v: &Value, at: &str) -> Result<Vec<f64>> {
    Ok(flat(v, at)?.0)
}

/// [`vec_f64`] in float32, the fixture's own type (rounding its numbers to f32 is exact).
pub fn vec_f32(v: &Value, at: &str) -> Result<Vec<f32>> {
    Ok(vec_f64(v, at)?.into_iter().map(|x| x as f32).collect())
}

/// A (nested) list as an array of its shape.
pub fn array_f64(v: &Value, at: &str) -> Result<ArrayD<f64>> {
    let (values, shape) = flat(v, at)?;
    ArrayD::from_shape_vec(IxDyn(&shape), values).map_err(|e| err(format!("fixture: {at}: {e}")))
}

/// [`array_f64`] in float32, the fixture's own type (rounding its numbers to f32 is exact).
pub fn array_f32(v: &Value, at: &str) -> Result<ArrayD<f32>> {
    Ok(array_f64(v, at)?.mapv(|x| x as f32))
}

/// A list of rows as an `(N, D)` matrix; a flat list as one row `(1, D)`.
pub fn matrix_f64(v: &Value, at: &str) -> Result<Array2<f64>> {
    let a = array_f64(v, at)?;
    match a.ndim() {
        1 => {
            let n = a.len();
            Ok(a.into_shape_with_order((1, n))
                .expect("n values make a (1, n) matrix"))
        }
        2 => Ok(a.into_dimensionality().expect("rank 2")),
        _ => Err(err(format!("fixture: {at} should be a matrix"))),
    }
}

/// [`matrix_f64`] in float32.
pub fn matrix_f32(v: &Value, at: &str) -> Result<Array2<f32>> {
    Ok(matrix_f64(v, at)?.mapv(|x| x as f32))
}

/// A list of rows as an `(N, D)` matrix in float32; a flat list as `N` samples of one value,
/// `(N, 1)` (labels and predictions of one output, as Keras reads them).
pub fn samples_f32(v: &Value, at: &str) -> Result<Array2<f32>> {
    let m = matrix_f32(v, at)?;
    if v.as_array()
        .is_some_and(|rows| rows.iter().all(|r| !r.is_array()))
    {
        let n = m.len();
        Ok(m.into_shape_with_order((n, 1))
            .expect("(1, n) makes (n, 1)"))
    } else {
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_lists_keep_their_shape() {
        let (v, shape) = flat(&json!([[1, 2, 3], [4, 5, 6]]), "x").unwrap();
        assert_eq!((v, shape), (vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], vec![2, 3]));
        assert_eq!(matrix_f32(&json!([1, 2]), "x").unwrap().shape(), &[1, 2]);
        assert_eq!(samples_f32(&json!([1, 2]), "x").unwrap().shape(), &[2, 1]);
        assert_eq!(samples_f32(&json!([[1, 2]]), "x").unwrap().shape(), &[1, 2]);
        assert_eq!(
            array_f32(&json!([[[1], [2]]]), "x").unwrap().shape(),
            &[1, 2, 1]
        );
    }

    #[test]
    fn malformed_values_are_errors_that_say_where() {
        let e = flat(&json!([[1, 2], [3]]), "losses.mse.y_pred").unwrap_err();
        assert_eq!(e.0, "fixture: losses.mse.y_pred is a ragged list");
        let e = flat(&json!([[1, 2], 3]), "a").unwrap_err();
        assert!(e.0.contains("mixes lists and numbers"), "{e}");
        let e = flat(&json!([1, [2]]), "a").unwrap_err();
        assert!(e.0.contains("mixes lists and numbers"), "{e}");
        let e = number(&json!("x"), "fit.lr").unwrap_err();
        assert!(e.0.contains("fit.lr should be a number"), "{e}");
        let e = field(&json!({}), "seed", "the fixture").unwrap_err();
        assert!(e.0.contains("no key \"seed\""), "{e}");
        assert!(
            matrix_f32(&json!([[[1]]]), "y")
                .unwrap_err()
                .0
                .contains("y should be a matrix")
        );
        let e = read("/nonexistent/fixture.json").unwrap_err();
        assert!(e.0.contains("/nonexistent/fixture.json"), "{e}");
    }

    #[test]
    fn the_workspace_fixtures_parse() {
        let fx = keras2_parity();
        for group in ["activations", "losses", "optimizers", "fit"] {
            field(&fx, group, "keras2_parity.json").unwrap();
        }
        read(KERAS2_CNN_PARITY).unwrap();
    }
}
