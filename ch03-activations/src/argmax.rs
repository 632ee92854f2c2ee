//! Section 3.6.2: `np.argmax`, the class a network picks (the index of its largest output).
//!
//! One function for the whole workspace: the book's accuracy loops (chapters 3 to 7), the
//! one-hot labels of `cross_entropy_error`, and keras-lite's accuracy metrics and plots.

/// The index of the largest value, the first one on ties (NumPy's and TensorFlow's
/// `argmax`). NaN values are skipped, as NumPy's `nanargmax` does: a NaN output never counts
/// as the network's choice. An empty or all-NaN input gives 0.
///
/// Works for any `PartialOrd` scalar (floats of the network, integer one-hot labels).
///
/// ```
/// use ch03_activations::argmax;
/// assert_eq!(argmax([0.1f32, 0.8, 0.1]), 1);
/// assert_eq!(argmax([2, 5, 5]), 1); // the first on ties
/// assert_eq!(argmax([f64::NAN, 1.0, 0.5]), 1); // NaN never wins
/// assert_eq!(argmax([f64::NAN, f64::NAN]), 0);
/// assert_eq!(argmax([f32::NEG_INFINITY, f32::NEG_INFINITY]), 0);
/// ```
pub fn argmax<A: PartialOrd>(values: impl IntoIterator<Item = A>) -> usize {
    let mut best: Option<(usize, A)> = None;
    for (i, v) in values.into_iter().enumerate() {
        // `v != v` only for NaN (a float's NaN is the one value unequal to itself).
        #[allow(clippy::eq_op)]
        let is_nan = v != v;
        if is_nan {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| v > *b) {
            best = Some((i, v));
        }
    }
    best.map_or(0, |(i, _)| i)
}
