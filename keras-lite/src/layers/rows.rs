//! Image batches as rows: a batch of channels_last images is stored `(N, H * W * C)`, row-major,
//! and the chapter kernels read other 2-D views of the same memory (`(N * H * W, C)`: one pixel
//! per row). Views of a borrowed batch are free (`into_shape_with_order`); a buffer a layer
//! owns changes shape the same way, without copying or allocating, through [`reshaped`].

use ndarray::{Array2, ArrayRef2, ArrayView4, ArrayViewMut4};

/// Runs `f` on `buf` reshaped to `shape` (same number of values, row-major), then gives `buf`
/// back its shape `keep`. A buffer of another size is first replaced by zeros of `keep`.
pub(crate) fn reshaped<R>(
    buf: &mut Array2<f32>,
    keep: (usize, usize),
    shape: (usize, usize),
    f: impl FnOnce(&mut Array2<f32>) -> R,
) -> R {
    debug_assert_eq!(keep.0 * keep.1, shape.0 * shape.1);
    if buf.dim() != keep || !buf.is_standard_layout() {
        *buf = Array2::zeros(keep);
    }
    let mut view = std::mem::take(buf)
        .into_shape_with_order(shape)
        .expect("a standard-layout buffer reshapes");
    let r = f(&mut view);
    if view.dim() != shape {
        // `f` resized the buffer (it may not, but stay consistent if it did)
        view = Array2::zeros(shape);
    }
    *buf = view
        .into_shape_with_order(keep)
        .expect("a standard-layout buffer reshapes");
    r
}

/// The logical (N, C, H, W) view (the book's axes) of rows of channels_last images
/// `(N, H * W * C)`: a reshape and a permutation of the same memory, no copy.
pub(crate) fn nchw(x: &ArrayRef2<f32>, (h, w, c): (usize, usize, usize)) -> ArrayView4<'_, f32> {
    x.view()
        .into_shape_with_order((x.nrows(), h, w, c))
        .expect("a batch's rows are one contiguous row-major block")
        .permuted_axes([0, 3, 1, 2])
}

/// Rows of channels_last images `(N, H * W * C)` as `(N, H, W, C)`: a reshape, no copy.
pub(crate) fn nhwc(x: &ArrayRef2<f32>, (h, w, c): (usize, usize, usize)) -> ArrayView4<'_, f32> {
    x.view()
        .into_shape_with_order((x.nrows(), h, w, c))
        .expect("a batch's rows are one contiguous row-major block")
}

/// The mutable form of [`nhwc`].
pub(crate) fn nhwc_mut(
    x: &mut Array2<f32>,
    (h, w, c): (usize, usize, usize),
) -> ArrayViewMut4<'_, f32> {
    let n = x.nrows();
    x.view_mut()
        .into_shape_with_order((n, h, w, c))
        .expect("a kept buffer is one contiguous row-major block")
}

/// The mutable form of [`nchw`].
pub(crate) fn nchw_mut(
    x: &mut Array2<f32>,
    (h, w, c): (usize, usize, usize),
) -> ArrayViewMut4<'_, f32> {
    let n = x.nrows();
    x.view_mut()
        .into_shape_with_order((n, h, w, c))
        .expect("a kept buffer is one contiguous row-major block")
        .permuted_axes([0, 3, 1, 2])
}

/// `x` viewed as `(rows, cols)` (same values, row-major).
pub(crate) fn view_as(x: &ArrayRef2<f32>, shape: (usize, usize)) -> ndarray::ArrayView2<'_, f32> {
    x.view()
        .into_shape_with_order(shape)
        .expect("a batch's rows are one contiguous row-major block")
}
