//! What `fit`, `evaluate` and `predict` accept as data, and the checks it passes on the way in.
//!
//! **Inputs `x`**: any ndarray (owned array, view, `&ArrayRef`) of `f32`, `f64`, `u8`, `u16`,
//! `i32` or `i64`, of any rank, whose first axis is the samples and whose other axes equal the
//! model's input shape: images `(60000, 28, 28)` for `input_shape(&[28, 28])`, rows
//! `(N, 784)` for `InputLayer::new(&[784])`. Training runs in `f32` (Keras' `floatx`): an
//! `f32` array in standard layout is used in place, without a copy; anything else is converted
//! once per call. Pixels are not rescaled: divide `u8` images by 255 yourself, as the
//! tutorial does (`x.mapv(|p| p as f32 / 255.0)`).
//!
//! **Targets `y`**: the same element types, one entry per sample: class indices `(N,)` or
//! `(N, 1)` for `sparse_categorical_crossentropy`, one-hot or regression rows `(N, units)`
//! otherwise.
//!
//! Every check names the problem and the fix: empty data, `x` of the wrong shape (both shapes
//! are printed), `x` and `y` of different lengths, NaN or infinity anywhere, labels that are
//! not whole numbers or not classes of the output.

use crate::error::{KerasError, Result, dims_str, shape_str};
use ndarray::{
    Array1, Array2, ArrayBase, ArrayRef, ArrayView, ArrayView2, CowArray, Data, Dimension, Ix2,
};

/// An element type keras-lite accepts in `x` and `y` (converted to `f32`).
pub trait Element: Copy + 'static {
    /// The value as `f32` (Keras casts inputs to `floatx` the same way).
    fn to_f32(self) -> f32;

    /// `Ok` with the same view when `Self` is `f32` (no conversion needed).
    #[doc(hidden)]
    fn as_f32_view<D: Dimension>(
        v: ArrayView<'_, Self, D>,
    ) -> std::result::Result<ArrayView<'_, f32, D>, ArrayView<'_, Self, D>> {
        Err(v)
    }
}

impl Element for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn as_f32_view<D: Dimension>(
        v: ArrayView<'_, f32, D>,
    ) -> std::result::Result<ArrayView<'_, f32, D>, ArrayView<'_, f32, D>> {
        Ok(v)
    }
}

macro_rules! element_as {
    ($($t:ty),*) => {$(
        impl Element for $t {
            fn to_f32(self) -> f32 {
                self as f32
            }
        }
    )*};
}
element_as!(f64, u8, u16, u32, i32, i64, usize);

/// Model inputs: any ndarray of an [`Element`] type, samples on the first axis.
pub trait Inputs {
    /// The full shape, samples first.
    fn input_shape(&self) -> &[usize];

    /// The samples as rows of `f32`, `(N, product of the other axes)`: borrowed when the
    /// array already is `f32` in standard layout, converted otherwise.
    fn rows(&self) -> CowArray<'_, f32, Ix2>;
}

/// Targets: any ndarray of an [`Element`] type, samples on the first axis.
pub trait Targets {
    /// The full shape, samples first.
    fn target_shape(&self) -> &[usize];

    /// The targets as `f32` rows `(N, product of the other axes)` (`(N, 1)` for a vector).
    fn to_rows(&self) -> Array2<f32>;
}

fn rows_of<E: Element, D: Dimension>(a: ArrayView<'_, E, D>) -> CowArray<'_, f32, Ix2> {
    let shape = a.shape().to_vec();
    let n = shape.first().copied().unwrap_or(1);
    let rest: usize = shape.iter().skip(1).product();
    match E::as_f32_view(a) {
        Ok(v) if v.is_standard_layout() => CowArray::from(
            v.into_shape_with_order((n, rest))
                .expect("a standard-layout view reshapes to (N, rest)"),
        ),
        Ok(v) => CowArray::from(to_matrix(v.as_standard_layout().view(), n, rest)),
        Err(v) => CowArray::from(to_matrix(v.mapv(E::to_f32).view(), n, rest)),
    }
}

fn to_matrix<D: Dimension>(v: ArrayView<'_, f32, D>, n: usize, rest: usize) -> Array2<f32> {
    // `iter` walks in logical (row-major) order whatever the memory layout.
    Array2::from_shape_vec((n, rest), v.iter().copied().collect())
        .expect("n * rest elements were collected")
}

impl<S, E, D> Inputs for ArrayBase<S, D>
where
    S: Data<Elem = E>,
    E: Element,
    D: Dimension,
{
    fn input_shape(&self) -> &[usize] {
        self.shape()
    }
    fn rows(&self) -> CowArray<'_, f32, Ix2> {
        rows_of(self.view())
    }
}

impl<E: Element, D: Dimension> Inputs for ArrayRef<E, D> {
    fn input_shape(&self) -> &[usize] {
        self.shape()
    }
    fn rows(&self) -> CowArray<'_, f32, Ix2> {
        rows_of(self.view())
    }
}

impl<S, E, D> Targets for ArrayBase<S, D>
where
    S: Data<Elem = E>,
    E: Element,
    D: Dimension,
{
    fn target_shape(&self) -> &[usize] {
        self.shape()
    }
    fn to_rows(&self) -> Array2<f32> {
        let v = self.view();
        let n = v.shape().first().copied().unwrap_or(1);
        let rest: usize = v.shape().iter().skip(1).product();
        to_matrix(v.mapv(E::to_f32).view(), n, rest)
    }
}

impl<E: Element, D: Dimension> Targets for ArrayRef<E, D> {
    fn target_shape(&self) -> &[usize] {
        self.shape()
    }
    fn to_rows(&self) -> Array2<f32> {
        let v = self.view();
        let n = v.shape().first().copied().unwrap_or(1);
        let rest: usize = v.shape().iter().skip(1).product();
        to_matrix(v.mapv(E::to_f32).view(), n, rest)
    }
}

/// Checks `x` against the model's input shape (samples excluded) and returns its rows.
///
/// `what` names the array in messages (`"x"`, `"validation_data x"`).
pub(crate) fn check_inputs<'a, X: Inputs + ?Sized>(
    x: &'a X,
    input_shape: &[usize],
    what: &str,
) -> Result<CowArray<'a, f32, Ix2>> {
    let shape = x.input_shape();
    if shape.len() >= 2
        && input_shape.last() == Some(&1)
        && shape[1..] == input_shape[..input_shape.len() - 1]
    {
        // Keras would fail deep inside the first Conv2D; say what is missing instead.
        return Err(KerasError::InvalidArgument(format!(
            "{what} has shape {} but the model takes samples of shape ({}): add the channel \
             axis (x.insert_axis(Axis({})) in ndarray, x[..., None] in NumPy)",
            shape_str(shape),
            dims_str(input_shape),
            shape.len()
        )));
    }
    if shape.is_empty() || &shape[1..] != input_shape {
        return Err(KerasError::InputShape {
            what: what.to_string(),
            got: shape_str(shape),
            expected: dims_str(input_shape),
        });
    }
    if shape[0] == 0 {
        return Err(KerasError::EmptyData(format!(
            "{what} has no samples (shape {}); give at least one sample",
            shape_str(shape)
        )));
    }
    let rows = x.rows();
    check_finite(&rows.view(), what)?;
    Ok(rows)
}

/// Errors on the first NaN or infinity, giving its flat index.
pub(crate) fn check_finite(a: &ArrayView2<'_, f32>, what: &str) -> Result<()> {
    // NaN and infinity are exactly the values whose exponent bits are all ones: an integer
    // test that vectorises (60000 images are 47 million values); the slow search for the
    // index runs only on failure.
    let exponent_all_ones = |v: &f32| (v.to_bits() & 0x7f80_0000 == 0x7f80_0000) as u32;
    let fast_ok = match a.as_slice() {
        Some(s) => s
            .chunks(4096)
            .all(|c| c.iter().fold(0u32, |acc, v| acc | exponent_all_ones(v)) == 0),
        None => a.iter().all(|v| v.is_finite()),
    };
    if fast_ok {
        return Ok(());
    }
    match a.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((index, &value)) => Err(KerasError::NonFinite {
            what: what.to_string(),
            value,
            index,
        }),
        None => Ok(()),
    }
}

/// Checks that `y` has one entry per sample of `x` and only finite values; returns its rows
/// (`(N, 1)` for a vector) and its rank.
pub(crate) fn check_targets<Y: Targets + ?Sized>(
    y: &Y,
    n: usize,
    what: &str,
) -> Result<(Array2<f32>, usize)> {
    let shape = y.target_shape();
    if shape.is_empty() {
        return Err(KerasError::Targets(format!(
            "{what}: y is a scalar; give one target per sample, shape (samples,) or (samples, units)"
        )));
    }
    if shape[0] != n {
        return Err(KerasError::LengthMismatch {
            what: what.to_string(),
            x: n,
            other_name: "y",
            other: shape[0],
        });
    }
    let rows = y.to_rows();
    check_finite(&rows.view(), &format!("{what} y"))?;
    Ok((rows, shape.len()))
}

/// The class indices of labels given as one column of whole numbers in `0..classes`.
pub(crate) fn class_indices(y: &Array2<f32>, classes: usize, what: &str) -> Result<Array1<usize>> {
    debug_assert_eq!(y.ncols(), 1);
    let mut out = Array1::zeros(y.nrows());
    for (i, (&v, o)) in y.iter().zip(out.iter_mut()).enumerate() {
        if v < 0.0 || v >= classes as f32 {
            return Err(KerasError::LabelOutOfRange {
                what: what.to_string(),
                label: v as f64,
                index: i,
                classes,
            });
        }
        if v.fract() != 0.0 {
            return Err(KerasError::Targets(format!(
                "{what}: label {v} at sample {i} is not a whole number; class labels must be \
                 integers from 0 to {}",
                classes - 1
            )));
        }
        *o = v as usize;
    }
    Ok(out)
}

/// Where `validation_split` cuts `n` samples: the first `floor(n (1 - split))` train, the rest
/// validate (Keras takes the LAST fraction, before any shuffling).
pub(crate) fn split_at(n: usize, split: f64) -> Result<usize> {
    if !(split > 0.0 && split < 1.0) {
        return Err(KerasError::ValidationSplit(format!(
            "validation_split = {split} is outside (0, 1); give the fraction of the samples to \
             hold out, e.g. 0.2 (or 0 for none)"
        )));
    }
    let at = (n as f64 * (1.0 - split)).floor() as usize;
    if at == 0 || at == n {
        let part = if at == 0 { "training" } else { "validation" };
        return Err(KerasError::ValidationSplit(format!(
            "validation_split = {split} of {n} samples leaves the {part} part empty ({at} \
             training, {} validation samples); use more samples or a split that leaves both \
             parts at least one sample",
            n - at
        )));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array3, array};

    #[test]
    fn f32_standard_layout_is_borrowed_others_converted() {
        let x = Array3::<f32>::zeros((2, 3, 4));
        assert!(x.rows().is_view());
        assert_eq!(x.rows().dim(), (2, 12));
        let t = x.view().reversed_axes();
        assert!(!Inputs::rows(&t).is_view());
        let u = Array3::<u8>::from_elem((2, 2, 2), 255);
        let r = u.rows();
        assert_eq!(r.dim(), (2, 4));
        assert!(r.iter().all(|&v| v == 255.0));
    }

    #[test]
    fn transposed_inputs_keep_logical_order() {
        let x = array![[1.0f32, 2.0], [3.0, 4.0]];
        let t = x.t();
        assert_eq!(
            Inputs::rows(&t).into_owned(),
            array![[1.0, 3.0], [2.0, 4.0]]
        );
    }

    #[test]
    fn wrong_shape_names_both_shapes() {
        let x = Array3::<f32>::zeros((5, 28, 27));
        let e = check_inputs(&x, &[28, 28], "x").unwrap_err().to_string();
        assert!(e.contains("(5, 28, 27)") && e.contains("28, 28"), "{e}");
    }

    #[test]
    fn empty_and_non_finite_inputs_are_errors() {
        let x = Array3::<f32>::zeros((0, 2, 2));
        assert!(matches!(
            check_inputs(&x, &[2, 2], "x"),
            Err(KerasError::EmptyData(_))
        ));
        let mut x = Array3::<f32>::zeros((3, 2, 2));
        x[[2, 1, 0]] = f32::NAN;
        match check_inputs(&x, &[2, 2], "x") {
            Err(KerasError::NonFinite { index, .. }) => assert_eq!(index, 10),
            other => panic!("{other:?}"),
        }
        x[[2, 1, 0]] = f32::INFINITY;
        assert!(check_inputs(&x, &[2, 2], "x").is_err());
    }

    #[test]
    fn labels_must_be_whole_classes() {
        let y = array![[0.0f32], [2.0], [1.0]];
        assert_eq!(class_indices(&y, 3, "y").unwrap(), array![0, 2, 1]);
        assert!(matches!(
            class_indices(&y, 2, "y"),
            Err(KerasError::LabelOutOfRange { index: 1, .. })
        ));
        let y = array![[0.5f32]];
        assert!(class_indices(&y, 3, "y").is_err());
        let y = array![[-1.0f32]];
        assert!(class_indices(&y, 3, "y").is_err());
    }

    #[test]
    fn split_takes_the_tail_and_refuses_empty_parts() {
        assert_eq!(split_at(70, 0.2).unwrap(), 56);
        assert_eq!(split_at(10, 0.25).unwrap(), 7);
        assert!(split_at(10, 0.0).is_err());
        assert!(split_at(10, 1.0).is_err());
        assert!(split_at(10, f64::NAN).is_err());
        assert!(split_at(1, 0.5).is_err());
        // 1 - 1e-17 rounds to 1: no validation sample would be left.
        assert!(split_at(10, 1e-17).is_err());
        assert_eq!(split_at(3, 0.01).unwrap(), 2);
    }
}
