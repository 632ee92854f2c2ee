//! One-hot rows from class indices, as Keras' `to_categorical`.

use ndarray::{Array2, NdFloat};

/// A class index: an unsigned integer (`u8` as the datasets load labels, `usize`), by value or
/// by reference (so a slice, a `Vec` or an `Array1` of labels is passed as it is).
pub trait ClassIndex {
    /// The index as `usize`.
    fn index(self) -> usize;
}

macro_rules! class_index {
    ($($t:ty),*) => {$(
        impl ClassIndex for $t {
            fn index(self) -> usize {
                usize::from(self)
            }
        }
    )*};
}
class_index!(u8, u16, usize);

impl<T: ClassIndex + Copy> ClassIndex for &T {
    fn index(self) -> usize {
        (*self).index()
    }
}

/// The `(N, classes)` matrix whose row `i` is 1 at column `labels[i]` and 0 elsewhere.
///
/// Panics, naming the label, when one is not below `classes`: a test's data is wrong.
///
/// ```
/// let t: ndarray::Array2<f32> = test_support::one_hot(&[2u8, 0], 3);
/// assert_eq!(t, ndarray::array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]);
/// ```
pub fn one_hot<A: NdFloat, L: ClassIndex>(
    labels: impl IntoIterator<Item = L>,
    classes: usize,
) -> Array2<A> {
    let labels: Vec<usize> = labels.into_iter().map(ClassIndex::index).collect();
    if let Some(bad) = labels.iter().find(|&&c| c >= classes) {
        panic!("one_hot: label {bad} is not below the number of classes, {classes}");
    }
    Array2::from_shape_fn((labels.len(), classes), |(i, j)| {
        if labels[i] == j { A::one() } else { A::zero() }
    })
}
