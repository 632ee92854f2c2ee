//! `im2col` and `col2im` (book 7.4.3, `common/util.py`): a convolution becomes one matrix product.
//!
//! Every output position `(n, oh, ow)` of a convolution reads one window of the input: all `C`
//! channels, `FH` rows, `FW` columns. `im2col` copies each window into one row of a matrix, so
//! that the convolution is that matrix times the filters laid out as columns:
//!
//! ```text
//! input (N, C, H, W)                      col (N*OH*OW, C*FH*FW)
//! window at (n, oh, ow)  ---- one row ---> [ c0: fh0 fw0, fh0 fw1, ..., c1: ..., cC-1: ... ]
//! rows ordered (n, oh, ow), columns ordered (c, fh, fw): exactly the book's layout
//! ```
//!
//! `col2im` goes back: it adds each row's values onto the input positions they came from, so
//! overlapping windows sum. It is the *adjoint* (transpose) of `im2col`, which is exactly what
//! the backward pass needs: `<im2col(x), y> = <x, col2im(y)>` for all `x`, `y`.
//!
//! ## Geometry
//!
//! [`Conv2dGeometry`] holds the input shape, the window (filter or pool) size, the strides and
//! the padding of each side, and checks them once: a window larger than the padded input, zero
//! sizes, or a `col` too large to index are errors, never panics. The output size is the
//! book's formula (7.4.2), per side:
//!
//! ```text
//! OH = (H + pad_top + pad_bottom - FH) / stride_h + 1      (integer division)
//! OW = (W + pad_left + pad_right - FW) / stride_w + 1
//! ```
//!
//! Keras' `padding="same"` pads `max((ceil(H/s) - 1) s + FH - H, 0)` in total, the odd one at
//! the bottom/right: [`Padding::same`].
//!
//! ## Fast on any memory layout
//!
//! [`im2col_into`] and [`col2im_into`] take the input as a logical (N, C, H, W) view of ANY
//! strides, so `keras-lite`'s channels-last (NHWC) batches go in as a permuted view without a
//! copy. They write into buffers the caller keeps (no allocation at a fixed shape) and pick
//! their loop order from the strides: with the width axis contiguous (NCHW, the book's layout,
//! or a single channel) each window row is one `copy_from_slice`; with the channel axis
//! contiguous (NHWC) the innermost loop walks the `C` channels of one pixel. Big batches are
//! cut in two halves of images that run on both cores ([`speed::parallel::join`]).
//! [`im2col`] and [`col2im`] are the book's functions, thin allocating wrappers.

use ch03_activations::Float;
use ndarray::{Array2, Array4, ArrayRef2, ArrayRef4, ArrayView2, ArrayView4, ArrayViewMut4};
use speed::parallel::join;

/// A convolution or pooling geometry that does not fit, with what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct GeometryError(pub String);

/// Zero padding added on each side of the input's height and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Padding {
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
}

impl Padding {
    /// The same padding on all four sides (the book's `pad`).
    pub fn uniform(pad: usize) -> Self {
        Padding {
            top: pad,
            bottom: pad,
            left: pad,
            right: pad,
        }
    }

    /// Keras' `padding="same"` for an input `(h, w)`, window `(fh, fw)` and strides `(sh, sw)`:
    /// the output is `ceil(h / sh)` by `ceil(w / sw)`; when the total padding of an axis is
    /// odd, the extra row goes to the bottom (column to the right), as TensorFlow does.
    /// Strides of 0 give no padding (the geometry's constructor then reports them).
    pub fn same(input: (usize, usize), window: (usize, usize), strides: (usize, usize)) -> Self {
        let total = |size: usize, f: usize, s: usize| {
            if s == 0 {
                return 0;
            }
            let out = size.div_ceil(s);
            ((out.saturating_sub(1)) * s + f).saturating_sub(size)
        };
        let th = total(input.0, window.0, strides.0);
        let tw = total(input.1, window.1, strides.1);
        Padding {
            top: th / 2,
            bottom: th - th / 2,
            left: tw / 2,
            right: tw - tw / 2,
        }
    }
}

/// The shapes of one convolution or pooling: input (N, C, H, W), window (FH, FW), strides,
/// padding, and the output size (OH, OW) they give. Built by a checked constructor only.
///
/// ```
/// use ch07_cnn::im2col::{Conv2dGeometry, Padding};
/// // The book's 7.4.3 example: (1, 3, 7, 7) input, 5x5 filter, stride 1, no padding.
/// let g = Conv2dGeometry::book((1, 3, 7, 7), 5, 5, 1, 0)?;
/// assert_eq!((g.out_h(), g.out_w()), (3, 3));
/// assert_eq!(g.col_shape(), (9, 75));
/// // Keras' "same" padding for a 3x3 window at stride 2 on 28x28: 14x14, padded 0 top, 1 bottom.
/// let same = Padding::same((28, 28), (3, 3), (2, 2));
/// let g = Conv2dGeometry::new((32, 1, 28, 28), (3, 3), (2, 2), same)?;
/// assert_eq!((g.out_h(), g.out_w(), same.top, same.bottom), (14, 14, 0, 1));
/// # Ok::<(), ch07_cnn::GeometryError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dGeometry {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    filter_h: usize,
    filter_w: usize,
    stride_h: usize,
    stride_w: usize,
    pad: Padding,
    out_h: usize,
    out_w: usize,
}

impl Conv2dGeometry {
    /// Checks and builds a geometry: `input` is (N, C, H, W), `filter` (FH, FW) (the pooling
    /// window for pooling), `stride` (stride_h, stride_w).
    ///
    /// Errors: a zero size or stride, a window larger than the padded input, or a `col`
    /// matrix (or input) whose element count overflows `usize` or an `isize` offset.
    pub fn new(
        input: (usize, usize, usize, usize),
        filter: (usize, usize),
        stride: (usize, usize),
        pad: Padding,
    ) -> Result<Self, GeometryError> {
        let (n, c, h, w) = input;
        let (filter_h, filter_w) = filter;
        let (stride_h, stride_w) = stride;
        if [n, c, h, w].contains(&0) {
            return Err(GeometryError(format!(
                "input shape (N, C, H, W) = {input:?} has a zero size; every axis needs at least 1"
            )));
        }
        if filter_h == 0 || filter_w == 0 {
            return Err(GeometryError(format!(
                "the window (filter) is {filter_h}x{filter_w}; it needs at least 1x1"
            )));
        }
        if stride_h == 0 || stride_w == 0 {
            return Err(GeometryError(format!(
                "stride ({stride_h}, {stride_w}) has a zero; strides are at least 1"
            )));
        }
        let padded_h = h
            .checked_add(pad.top)
            .and_then(|v| v.checked_add(pad.bottom));
        let padded_w = w
            .checked_add(pad.left)
            .and_then(|v| v.checked_add(pad.right));
        let (Some(padded_h), Some(padded_w)) = (padded_h, padded_w) else {
            return Err(GeometryError(format!(
                "padding {pad:?} overflows the input size {h}x{w}"
            )));
        };
        if filter_h > padded_h || filter_w > padded_w {
            return Err(GeometryError(format!(
                "the {filter_h}x{filter_w} window does not fit the {h}x{w} input padded to \
                 {padded_h}x{padded_w}; use a smaller window or more padding"
            )));
        }
        let out_h = (padded_h - filter_h) / stride_h + 1;
        let out_w = (padded_w - filter_w) / stride_w + 1;
        let fits = |dims: &[usize]| {
            dims.iter()
                .try_fold(1usize, |acc, &d| acc.checked_mul(d))
                .is_some_and(|v| v <= isize::MAX as usize)
        };
        if !fits(&[n, c, h, w]) || !fits(&[n, out_h, out_w, c, filter_h, filter_w]) {
            return Err(GeometryError(format!(
                "input {input:?} with a {filter_h}x{filter_w} window gives a col matrix of \
                 {n}*{out_h}*{out_w} rows by {c}*{filter_h}*{filter_w} columns: too many elements \
                 to index; use smaller batches"
            )));
        }
        Ok(Conv2dGeometry {
            n,
            c,
            h,
            w,
            filter_h,
            filter_w,
            stride_h,
            stride_w,
            pad,
            out_h,
            out_w,
        })
    }

    /// The book's arguments: one `stride` and one `pad` for both axes.
    pub fn book(
        input_shape: (usize, usize, usize, usize),
        filter_h: usize,
        filter_w: usize,
        stride: usize,
        pad: usize,
    ) -> Result<Self, GeometryError> {
        Self::new(
            input_shape,
            (filter_h, filter_w),
            (stride, stride),
            Padding::uniform(pad),
        )
    }

    /// The same geometry for a batch of `n` images (the last batch of an epoch is smaller).
    pub fn with_batch(&self, n: usize) -> Result<Self, GeometryError> {
        Self::new(
            (n, self.c, self.h, self.w),
            (self.filter_h, self.filter_w),
            (self.stride_h, self.stride_w),
            self.pad,
        )
    }

    /// The input shape (N, C, H, W).
    pub fn input_shape(&self) -> (usize, usize, usize, usize) {
        (self.n, self.c, self.h, self.w)
    }
    /// The batch size N.
    pub fn n(&self) -> usize {
        self.n
    }
    /// The channel count C.
    pub fn c(&self) -> usize {
        self.c
    }
    /// The input height H.
    pub fn h(&self) -> usize {
        self.h
    }
    /// The input width W.
    pub fn w(&self) -> usize {
        self.w
    }
    /// The window (filter) height FH.
    pub fn filter_h(&self) -> usize {
        self.filter_h
    }
    /// The window (filter) width FW.
    pub fn filter_w(&self) -> usize {
        self.filter_w
    }
    /// The vertical stride.
    pub fn stride_h(&self) -> usize {
        self.stride_h
    }
    /// The horizontal stride.
    pub fn stride_w(&self) -> usize {
        self.stride_w
    }
    /// The padding of each side.
    pub fn pad(&self) -> Padding {
        self.pad
    }
    /// OH = (H + pad_top + pad_bottom - FH) / stride_h + 1.
    pub fn out_h(&self) -> usize {
        self.out_h
    }
    /// OW = (W + pad_left + pad_right - FW) / stride_w + 1.
    pub fn out_w(&self) -> usize {
        self.out_w
    }
    /// The shape of `im2col`'s result: (N*OH*OW, C*FH*FW).
    pub fn col_shape(&self) -> (usize, usize) {
        (
            self.n * self.out_h * self.out_w,
            self.c * self.filter_h * self.filter_w,
        )
    }

    /// An error unless `shape` is this geometry's input shape.
    pub fn check_input(&self, what: &str, shape: &[usize]) -> Result<(), GeometryError> {
        let expected = [self.n, self.c, self.h, self.w];
        if shape != expected {
            return Err(GeometryError(format!(
                "{what} has shape {shape:?} but the geometry is for (N, C, H, W) = {expected:?}"
            )));
        }
        Ok(())
    }

    /// The window positions `lo..hi` along one axis that fall inside the input, for a window
    /// starting at `start` (negative in the padding).
    pub(crate) fn inside(start: isize, window: usize, size: usize) -> (usize, usize) {
        let lo = (-start).clamp(0, window as isize) as usize;
        let hi = (size as isize - start).clamp(lo as isize, window as isize) as usize;
        (lo, hi)
    }

    /// Where output row `oh` starts in the input (negative inside the top padding).
    pub(crate) fn row_start(&self, oh: usize) -> isize {
        (oh * self.stride_h) as isize - self.pad.top as isize
    }

    /// Where output column `ow` starts in the input (negative inside the left padding).
    pub(crate) fn col_start(&self, ow: usize) -> isize {
        (ow * self.stride_w) as isize - self.pad.left as isize
    }
}

/// The elements behind a 4-D view as one slice, with each axis' stride in elements, when the
/// view is one contiguous block with non-negative strides in some axis order (row-major,
/// NHWC permuted to NCHW, ...). Axes of length 1 get stride 0, so they never matter.
pub(crate) fn as_strided<'a, A>(x: &ArrayView4<'a, A>) -> Option<(&'a [A], [usize; 4])> {
    let strides = layout_strides(x.shape(), x.strides())?;
    let slice = x.to_slice_memory_order()?;
    Some((slice, strides))
}

/// [`as_strided`] for a mutable view.
pub(crate) fn as_strided_mut<'a, 'b, A>(
    x: &'b mut ArrayViewMut4<'a, A>,
) -> Option<(&'b mut [A], [usize; 4])> {
    let strides = layout_strides(x.shape(), x.strides())?;
    let slice = x.as_slice_memory_order_mut()?;
    Some((slice, strides))
}

fn layout_strides(shape: &[usize], strides: &[isize]) -> Option<[usize; 4]> {
    let mut out = [0usize; 4];
    for k in 0..4 {
        if shape[k] > 1 {
            out[k] = usize::try_from(strides[k]).ok()?;
        }
    }
    Some(out)
}

/// Work below this many elements stays on one core: handing half of it to the helper thread
/// costs about a microsecond, a few thousand element copies.
const SPLIT_MIN_ELEMENTS: usize = 1 << 15;

/// `col = im2col(x)` into a buffer the caller keeps: `x` is the logical (N, C, H, W) input of
/// ANY strides, `col` becomes (N*OH*OW, C*FH*FW), rows ordered (n, oh, ow) and columns
/// (c, fh, fw) as the book; padded cells are 0.
///
/// `col` is reallocated only when its shape (or a non-row-major layout) does not fit, so a
/// training loop at a fixed shape allocates nothing. A view that is not one contiguous block
/// (a slice with gaps) is first copied into row-major order.
///
/// Errors if `x`'s shape is not the geometry's input shape.
pub fn im2col_into<A: Float>(
    x: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    col: &mut Array2<A>,
) -> Result<(), GeometryError> {
    im2col_with(Order::Book, x, g, col)
}

/// The column order of a `col` matrix, and with it the axis order of the 4-D view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// The book's: input (N, C, H, W), columns (c, fh, fw).
    Book,
    /// Keras': input (N, H, W, C), columns (fh, fw, c).
    ChannelsLast,
}

impl Order {
    /// An error unless `shape` is the geometry's input in this order.
    fn check(self, g: &Conv2dGeometry, what: &str, shape: &[usize]) -> Result<(), GeometryError> {
        match self {
            Order::Book => g.check_input(what, shape),
            Order::ChannelsLast => {
                let expected = [g.n, g.h, g.w, g.c];
                if shape != expected {
                    return Err(GeometryError(format!(
                        "{what} has shape {shape:?} but the geometry is for (N, H, W, C) = \
                         {expected:?}"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// `im2col` in either column order: the shared checks, buffer and two-core split.
fn im2col_with<A: Float>(
    order: Order,
    x: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    col: &mut Array2<A>,
) -> Result<(), GeometryError> {
    order.check(g, "im2col: the input", x.shape())?;
    let (rows, cols) = g.col_shape();
    if col.dim() != (rows, cols) || !col.is_standard_layout() {
        *col = Array2::zeros((rows, cols));
    }
    let Some((src, st)) = as_strided(&x) else {
        let standard = x.as_standard_layout();
        return im2col_with(order, standard.view(), g, col);
    };
    let dst = col.as_slice_mut().expect("col is row-major");
    let per_image = g.out_h * g.out_w * cols;
    over_images(g.n, per_image, dst, true, |n, rows| {
        let (img, rows) = (&src[n * st[0]..], &mut rows[..per_image]);
        match order {
            Order::Book => im2col_image(img, st, g, rows),
            Order::ChannelsLast => im2col_image_channels_last(img, st, g, rows),
        }
    });
    Ok(())
}

/// `col2im` in either column order: the shared checks, zeroing and two-core split.
fn col2im_with<A: Float>(
    order: Order,
    col: ArrayView2<'_, A>,
    g: &Conv2dGeometry,
    mut out: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    order.check(g, "col2im: the output", out.shape())?;
    if col.dim() != g.col_shape() {
        return Err(GeometryError(format!(
            "col2im: col has shape {:?} but the geometry needs {:?} (N*OH*OW, C*FH*FW)",
            col.dim(),
            g.col_shape()
        )));
    }
    let col = col.as_standard_layout();
    let src = col.as_slice().expect("standard layout");
    let shape = [out.shape()[1], out.shape()[2], out.shape()[3]];
    let Some((dst, st)) = as_strided_mut(&mut out) else {
        let mut standard = Array4::zeros(out.raw_dim());
        col2im_with(order, col.view(), g, standard.view_mut())?;
        out.assign(&standard);
        return Ok(());
    };
    dst.fill(A::zero());
    let per_image = g.out_h * g.out_w * g.c * g.filter_h * g.filter_w;
    // The span of one image's elements: images are disjoint blocks when N is the outer axis.
    let span = (1..4).map(|k| (shape[k - 1] - 1) * st[k]).sum::<usize>() + 1;
    over_images(g.n, st[0], dst, span <= st[0], |n, img| {
        let rows = &src[n * per_image..(n + 1) * per_image];
        match order {
            Order::Book => col2im_image(rows, st, g, img),
            Order::ChannelsLast => col2im_image_channels_last(rows, st, g, img),
        }
    });
    Ok(())
}

/// Calls `f(n, dst_n)` for every image `n < images`, where `dst_n` is `dst` from image `n`'s
/// first element on (`dst` holds one image every `stride` elements). Big jobs run as two
/// halves of the images on two cores ([`join`]); `splittable` says whether the images'
/// elements are disjoint blocks, so that the halves may be written at the same time.
fn over_images<A: Send>(
    images: usize,
    stride: usize,
    dst: &mut [A],
    splittable: bool,
    f: impl Fn(usize, &mut [A]) + Sync,
) {
    let run = |range: std::ops::Range<usize>, part: &mut [A]| {
        let first = range.start;
        for n in range {
            f(n, &mut part[(n - first) * stride..]);
        }
    };
    if splittable && images >= 2 && dst.len() >= SPLIT_MIN_ELEMENTS {
        let half = images / 2;
        let (d0, d1) = dst.split_at_mut(half * stride);
        join(|| run(0..half, d0), || run(half..images, d1));
    } else {
        run(0..images, dst);
    }
}

/// The rows of one image: `img` starts at the image's first element, `st` are the strides
/// (only C, H and W are used), `dst` holds OH*OW rows of C*FH*FW.
fn im2col_image<A: Float>(img: &[A], st: [usize; 4], g: &Conv2dGeometry, dst: &mut [A]) {
    let (c, fh, fw) = (g.c, g.filter_h, g.filter_w);
    let k = fh * fw;
    let zero = A::zero();
    let mut rows = dst.chunks_exact_mut(c * k);
    for oh in 0..g.out_h {
        let y0 = g.row_start(oh);
        let (ylo, yhi) = Conv2dGeometry::inside(y0, fh, g.h);
        for ow in 0..g.out_w {
            let x0 = g.col_start(ow);
            let (xlo, xhi) = Conv2dGeometry::inside(x0, fw, g.w);
            let row = rows.next().expect("one row per output position");
            if st[1] == 1 {
                // Channels contiguous (NHWC): read the C values of one pixel in a row, write
                // them to the C columns (c, fy, fx) that are FH*FW apart.
                if ylo > 0 || yhi < fh || xlo > 0 || xhi < fw {
                    row.fill(zero);
                }
                for fy in ylo..yhi {
                    let iy = (y0 + fy as isize) as usize;
                    for fx in xlo..xhi {
                        let ix = (x0 + fx as isize) as usize;
                        let base = iy * st[2] + ix * st[3];
                        let pixel = &img[base..base + c];
                        let column = row[fy * fw + fx..].iter_mut().step_by(k);
                        for (d, &v) in column.zip(pixel) {
                            *d = v;
                        }
                    }
                }
            } else {
                // Width contiguous (NCHW) or any other layout: one window row at a time.
                for (ci, chunk) in row.chunks_exact_mut(k).enumerate() {
                    for (fy, d) in chunk.chunks_exact_mut(fw).enumerate() {
                        if fy < ylo || fy >= yhi {
                            d.fill(zero);
                            continue;
                        }
                        let iy = (y0 + fy as isize) as usize;
                        let base = ci * st[1] + iy * st[2];
                        d[..xlo].fill(zero);
                        d[xhi..].fill(zero);
                        if xlo == xhi {
                            continue; // the window row lies in the padding
                        }
                        let ix = (x0 + xlo as isize) as usize;
                        if st[3] == 1 {
                            d[xlo..xhi].copy_from_slice(&img[base + ix..base + ix + (xhi - xlo)]);
                        } else {
                            for (j, v) in d[xlo..xhi].iter_mut().enumerate() {
                                *v = img[base + (ix + j) * st[3]];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `out = col2im(col)`: OVERWRITES the logical (N, C, H, W) view `out` (any strides) with the
/// sum, over every row of `col` (N*OH*OW, C*FH*FW), of that row's values put back on the input
/// positions of its window. Values that came from padding are dropped. This is the adjoint of
/// [`im2col_into`]: `<im2col(x), y> = <x, col2im(y)>`.
///
/// Allocation-free when `out` is one contiguous block (as a row-major array or a permuted
/// view of one is). Errors if `col` or `out` does not have the geometry's shape.
pub fn col2im_into<A: Float>(
    col: ArrayView2<'_, A>,
    g: &Conv2dGeometry,
    out: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    col2im_with(Order::Book, col, g, out)
}

/// Adds the OH*OW rows `rows` of one image onto `img` (which starts at the image's first
/// element); the mirror of [`im2col_image`].
fn col2im_image<A: Float>(rows: &[A], st: [usize; 4], g: &Conv2dGeometry, img: &mut [A]) {
    let (c, fh, fw) = (g.c, g.filter_h, g.filter_w);
    let k = fh * fw;
    let mut rows = rows.chunks_exact(c * k);
    for oh in 0..g.out_h {
        let y0 = g.row_start(oh);
        let (ylo, yhi) = Conv2dGeometry::inside(y0, fh, g.h);
        for ow in 0..g.out_w {
            let x0 = g.col_start(ow);
            let (xlo, xhi) = Conv2dGeometry::inside(x0, fw, g.w);
            let row = rows.next().expect("one row per output position");
            if st[1] == 1 {
                for fy in ylo..yhi {
                    let iy = (y0 + fy as isize) as usize;
                    for fx in xlo..xhi {
                        let ix = (x0 + fx as isize) as usize;
                        let base = iy * st[2] + ix * st[3];
                        let pixel = &mut img[base..base + c];
                        let column = row[fy * fw + fx..].iter().step_by(k);
                        for (d, &v) in pixel.iter_mut().zip(column) {
                            *d = *d + v;
                        }
                    }
                }
            } else {
                if xlo == xhi {
                    continue; // the window lies in the padding
                }
                for (ci, chunk) in row.chunks_exact(k).enumerate() {
                    for fy in ylo..yhi {
                        let iy = (y0 + fy as isize) as usize;
                        let base = ci * st[1] + iy * st[2];
                        let ix = (x0 + xlo as isize) as usize;
                        let d = &chunk[fy * fw + xlo..fy * fw + xhi];
                        if st[3] == 1 {
                            let o = &mut img[base + ix..base + ix + d.len()];
                            for (o, &v) in o.iter_mut().zip(d) {
                                *o = *o + v;
                            }
                        } else {
                            for (j, &v) in d.iter().enumerate() {
                                let o = &mut img[base + (ix + j) * st[3]];
                                *o = *o + v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `im2col` for channels-last input, in Keras' column order: `x` is (N, H, W, C) of any
/// strides, `col` becomes (N*OH*OW, FH*FW*C) with rows ordered (n, oh, ow) and columns
/// (fh, fw, c). Those are the rows of Keras' kernel (KH, KW, C_in, C_out) reshaped to
/// (KH*KW*C_in, C_out), so `col` times that reshape is the convolution with no conversion of
/// the weights. On row-major NHWC memory each window row is ONE contiguous copy of FW*C
/// values, much faster than [`im2col_into`]'s (c, fh, fw) order, which has to interleave.
///
/// Same buffer and error rules as [`im2col_into`]; `g` is the geometry in (N, C, H, W) terms.
pub fn im2col_channels_last_into<A: Float>(
    x: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    col: &mut Array2<A>,
) -> Result<(), GeometryError> {
    im2col_with(Order::ChannelsLast, x, g, col)
}

/// The rows of one image in (fh, fw, c) order: one copy per window row when the input's
/// pixels are contiguous.
fn im2col_image_channels_last<A: Float>(
    img: &[A],
    st: [usize; 4],
    g: &Conv2dGeometry,
    rows: &mut [A],
) {
    if g.pad != Padding::default() {
        rows.fill(A::zero());
    }
    channels_last_segments(g, st, |start, len, base, contiguous| {
        let seg = &mut rows[start..start + len];
        if contiguous {
            copy_run(seg, &img[base..base + len]);
        } else {
            for (j, px) in seg.chunks_exact_mut(g.c).enumerate() {
                for (ci, v) in px.iter_mut().enumerate() {
                    *v = img[base + j * st[2] + ci * st[3]];
                }
            }
        }
    });
}

/// `dst.copy_from_slice(src)`, with the short runs of a thin input (a 3x3 window over one
/// channel copies 3 values at a time) copied inline: a call to `memmove` for 12 bytes cost
/// more than the copy (5% of a CNN step in a profile).
fn copy_run<A: Copy>(dst: &mut [A], src: &[A]) {
    fn fixed<A: Copy, const L: usize>(dst: &mut [A], src: &[A]) {
        let (d, s): (&mut [A; L], &[A; L]) = (
            dst.try_into().expect("same length"),
            src.try_into().expect("same length"),
        );
        *d = *s;
    }
    match dst.len() {
        1 => fixed::<A, 1>(dst, src),
        2 => fixed::<A, 2>(dst, src),
        3 => fixed::<A, 3>(dst, src),
        4 => fixed::<A, 4>(dst, src),
        5 => fixed::<A, 5>(dst, src),
        6 => fixed::<A, 6>(dst, src),
        7 => fixed::<A, 7>(dst, src),
        8 => fixed::<A, 8>(dst, src),
        _ => dst.copy_from_slice(src),
    }
}

/// The mirror of [`im2col_image_channels_last`]: adds one image's rows onto `img`.
fn col2im_image_channels_last<A: Float>(
    rows: &[A],
    st: [usize; 4],
    g: &Conv2dGeometry,
    img: &mut [A],
) {
    channels_last_segments(g, st, |start, len, base, contiguous| {
        let seg = &rows[start..start + len];
        if contiguous {
            for (o, &v) in img[base..base + len].iter_mut().zip(seg) {
                *o = *o + v;
            }
        } else {
            for (j, px) in seg.chunks_exact(g.c).enumerate() {
                for (ci, &v) in px.iter().enumerate() {
                    let o = &mut img[base + j * st[2] + ci * st[3]];
                    *o = *o + v;
                }
            }
        }
    });
}

/// The window rows of one image in channels-last order: calls `f(start, len, base,
/// contiguous)` for every window row `(oh, ow, fy)` that lies (partly) inside the input,
/// where `start..start + len` is its in-input part within the image's rows of `col`
/// (FW' pixels of C values) and `base` the input offset of its first pixel (from the image's
/// first element); `contiguous` says the FW' * C input values are one run of memory.
/// Parts in the padding are not visited.
fn channels_last_segments(
    g: &Conv2dGeometry,
    st: [usize; 4],
    mut f: impl FnMut(usize, usize, usize, bool),
) {
    let (c, fh, fw) = (g.c, g.filter_h, g.filter_w);
    let contiguous = (c == 1 || st[3] == 1) && st[2] == c;
    let row_len = fh * fw * c;
    let mut row_start = 0;
    for oh in 0..g.out_h {
        let y0 = g.row_start(oh);
        let (ylo, yhi) = Conv2dGeometry::inside(y0, fh, g.h);
        for ow in 0..g.out_w {
            let x0 = g.col_start(ow);
            let (xlo, xhi) = Conv2dGeometry::inside(x0, fw, g.w);
            if xlo < xhi {
                let ix = (x0 + xlo as isize) as usize;
                for fy in ylo..yhi {
                    let iy = (y0 + fy as isize) as usize;
                    let start = row_start + (fy * fw + xlo) * c;
                    f(start, (xhi - xlo) * c, iy * st[1] + ix * st[2], contiguous);
                }
            }
            row_start += row_len;
        }
    }
}

/// The adjoint of [`im2col_channels_last_into`]: OVERWRITES `out` (N, H, W, C), any strides,
/// with the rows of `col` (N*OH*OW, FH*FW*C) added back onto the positions they came from.
pub fn col2im_channels_last_into<A: Float>(
    col: ArrayView2<'_, A>,
    g: &Conv2dGeometry,
    out: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    col2im_with(Order::ChannelsLast, col, g, out)
}

/// The book's `im2col(input_data, filter_h, filter_w, stride=1, pad=0)`: (N, C, H, W) ->
/// (N*OH*OW, C*FH*FW).
///
/// ```
/// use ch07_cnn::im2col::im2col;
/// use ndarray::Array4;
/// let x1 = Array4::<f64>::zeros((1, 3, 7, 7));
/// assert_eq!(im2col(&x1, 5, 5, 1, 0)?.dim(), (9, 75)); // the book prints (9, 75)
/// let x2 = Array4::<f64>::zeros((10, 3, 7, 7));
/// assert_eq!(im2col(&x2, 5, 5, 1, 0)?.dim(), (90, 75)); // and (90, 75)
/// # Ok::<(), ch07_cnn::GeometryError>(())
/// ```
pub fn im2col<A: Float>(
    input_data: &ArrayRef4<A>,
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Result<Array2<A>, GeometryError> {
    let g = Conv2dGeometry::book(input_data.dim(), filter_h, filter_w, stride, pad)?;
    let mut col = Array2::zeros((0, 0));
    im2col_into(input_data.view(), &g, &mut col)?;
    Ok(col)
}

/// The book's `col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0)`: (N*OH*OW,
/// C*FH*FW) -> (N, C, H, W), overlapping windows summed.
pub fn col2im<A: Float>(
    col: &ArrayRef2<A>,
    input_shape: (usize, usize, usize, usize),
    filter_h: usize,
    filter_w: usize,
    stride: usize,
    pad: usize,
) -> Result<Array4<A>, GeometryError> {
    let g = Conv2dGeometry::book(input_shape, filter_h, filter_w, stride, pad)?;
    let mut out = Array4::zeros(input_shape);
    col2im_into(col.view(), &g, out.view_mut())?;
    Ok(out)
}
