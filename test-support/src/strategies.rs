//! proptest strategies for the random matrices of the property tests.

use ndarray::Array2;
use proptest::prelude::*;

/// A random `(rows, cols)` matrix with entries uniform in `lo..hi`.
pub fn matrix(rows: usize, cols: usize, lo: f64, hi: f64) -> impl Strategy<Value = Array2<f64>> {
    prop::collection::vec(lo..hi, rows * cols)
        .prop_map(move |v| Array2::from_shape_vec((rows, cols), v).expect("rows * cols values"))
}

/// A matrix of random shape, `rows` by `cols` (each drawn from its strategy, e.g. a range `1..5`), with entries in
/// `lo..hi`: a batch of rows for a row-wise function.
pub fn matrix_of_any_shape(
    rows: impl Strategy<Value = usize>,
    cols: impl Strategy<Value = usize>,
    lo: f64,
    hi: f64,
) -> impl Strategy<Value = Array2<f64>> {
    (rows, cols).prop_flat_map(move |(n, d)| matrix(n, d, lo, hi))
}
