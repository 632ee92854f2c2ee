//! Convolution by its definition (7.2.3): no `im2col`, no matrix product.
//!
//! The book's `im2col` (7.4.3) turns a convolution into one matrix product. That product
//! first copies `col` into its packed panels, and over ONE channel (the first layer of an
//! image network) a row of `col` is 9 values: the product then spends most of its time
//! copying and runs under 40 GFLOP/s. Even for a 3x3 window over 32 channels (288 values),
//! writing `col`, packing it, and for backward writing `dcol` and adding it back with
//! `col2im` cost a third of the convolution's time in keras-lite's CNN example. Here each
//! output is computed straight from the definition, on channels-last memory (N, H, W, C),
//! with Keras' kernel order (fy, fx, c) for the taps:
//!
//! ```text
//! out[n, oh, ow, f] = b[f] + sum over taps t = (fy, fx, c) of
//!                            x[n, oh*sh + fy - pad_top, ow*sw + fx - pad_left, c] * W_col[t, f]
//! dW_col[t, f]      = sum over (n, oh, ow) of x[n, oh*sh + fy - pad_top, ...] * dout[n, oh, ow, f]
//! db[f]             = sum over (n, oh, ow) of dout[n, oh, ow, f]
//! dx[n, y, x, c]    = sum over the outputs whose window covers (y, x), of dout[n, oh, ow, :] W_col[t, :]
//! ```
//!
//! which is exactly [`im2col_channels_last_into`](crate::im2col::im2col_channels_last_into)
//! followed by [`conv_forward_rows`](crate::convolution::conv_forward_rows) /
//! [`conv_backward_rows`](crate::convolution::conv_backward_rows) (and `col2im` of its
//! `dcol`), with the row of `col` read from the input where it lies instead of copied (input
//! cells in the padding count as 0). `W_col` is the same (KH*KW*C, FN) matrix, Keras' kernel
//! reshaped. Only the order in which each sum is added up differs, so results agree to
//! rounding (the tests check it).
//!
//! How it is made fast, briefly: a block of outputs by filters is summed in accumulator
//! arrays that the compiler holds in vector registers (16 f32 filters per AVX-512 register);
//! the loops are compiled a second time for AVX2+FMA and AVX-512 and picked at run time (as
//! ch06's Adam is). Two shapes of window:
//! - **thin** (at most [`DIRECT_MAX_TAPS`] taps): 4 neighbouring outputs by 16 filters
//!   forward; backward, the taps in passes of 9, each by 32 filters. The window's taps are
//!   found through a table of offsets from its first cell.
//! - **wide** (the `wide` module): forward 6 outputs by 64 filters over every tap, with the
//!   kernel's taps copied to aligned memory; `dW_col` 5 taps by 64 filters over every output;
//!   `dx` ([`conv_input_grad_direct_into`]) 12 outputs by 32 channels of a window cell over
//!   the filters, added onto `dx` where the cell lies.
//!
//! Forward and `dx` split the batch's images in two halves over both cores (`speed`'s
//! `join`). The thin `dW_col` sums each half's part and then adds the two parts; the wide one
//! splits the taps, each core summing over every output. Either way the order of additions
//! is the same on one core or two, so the numbers never depend on the threads. An activation
//! can be applied as each output is stored ([`conv_forward_direct_map_into`]).

use crate::im2col::Conv2dGeometry;
use ch03_activations::Float;
use ch05_backprop::{column_sums_into, ensure_shape};
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2, ArrayView1, s};
use speed::matmul::matmul_into;
use speed::parallel::join;

mod wide;

/// The largest thin window (KH*KW*C taps), computed by the thin kernels; wider ones go to the
/// `wide` module. [`use_direct`] says when the direct path is the faster one.
pub const DIRECT_MAX_TAPS: usize = 32;

/// Filters per accumulator: 16 f32 lanes are one AVX-512 register (two AVX ones).
const LANES: usize = 16;

/// Work below this many multiply-adds stays on one core (handing half of it to the helper
/// thread costs about a microsecond).
const SPLIT_MIN_MACS: usize = 1 << 16;

/// Whether the direct computation is the faster one for this geometry: a thin window (at most
/// [`DIRECT_MAX_TAPS`] values KH*KW*C; 9 for a 3x3 window over one channel), or any window
/// without padding (288 taps for 3x3 over 32 channels: blocks of outputs by filters in
/// registers, no `im2col` and no packing). Windows that reach into padding take a slower
/// one-output path in the wide kernels, so those stay with `im2col` and the product.
pub fn use_direct(g: &Conv2dGeometry) -> bool {
    let pad = g.pad();
    let unpadded = pad.top + pad.bottom + pad.left + pad.right == 0;
    g.c() * g.filter_h() * g.filter_w() <= DIRECT_MAX_TAPS || unpadded
}

/// `out = conv(x) + b` by the definition: `x` is the batch as row-major (N, H, W, C) memory
/// (`g`'s input, in (N, C, H, W) terms), `w_col` (KH*KW*C, FN) with rows ordered
/// (fy, fx, c), `b` (FN,); `out` is resized to (N*OH*OW, FN) if needed, rows ordered
/// (n, oh, ow): the same as `conv_forward_rows(im2col_channels_last(x), w_col, b)`.
/// Allocation-free once `out` has its shape.
///
/// # Panics
/// If the sizes do not fit `g`.
pub fn conv_forward_direct_into<A: Float>(
    x: &[A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    out: &mut Array2<A>,
) {
    conv_forward_direct_map_into(x, g, w_col, b, |v| v, out);
}

/// `out = f(conv(x) + b)`: [`conv_forward_direct_into`] with `f` applied to each output as it
/// is stored, an activation fused into the convolution (keras-lite passes ch03's
/// `relu_scalar` for `Conv2D(activation="relu")`, saving a pass over the output).
///
/// # Panics
/// As [`conv_forward_direct_into`].
pub fn conv_forward_direct_map_into<A: Float, F: Fn(A) -> A + Copy + Send + Sync>(
    x: &[A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
    out: &mut Array2<A>,
) {
    let filters = w_col.ncols();
    if w_col.nrows() > DIRECT_MAX_TAPS {
        check_wide(g, w_col, x.len(), "conv_forward_direct_into");
        assert_eq!(
            b.len(),
            filters,
            "conv_forward_direct_into: one bias per filter (column of w_col)"
        );
        let per_image = g.out_h() * g.out_w();
        ensure_shape(out, (g.n() * per_image, filters));
        let out = out
            .as_slice_mut()
            .expect("ensure_shape leaves a row-major buffer");
        let image = g.h() * g.w() * g.c();
        let n = g.n();
        if n >= 2 {
            let half = n / 2;
            let (x0, x1) = x.split_at(half * image);
            let (o0, o1) = out.split_at_mut(half * per_image * filters);
            join(
                || forward_wide(x0, o0, g, w_col, b, f),
                || forward_wide(x1, o1, g, w_col, b, f),
            );
        } else {
            forward_wide(x, out, g, w_col, b, f);
        }
        return;
    }
    let taps = Taps::new(g, w_col, x.len(), "conv_forward_direct_into");
    assert_eq!(
        b.len(),
        filters,
        "conv_forward_direct_into: one bias per filter (column of w_col)"
    );
    let per_image = g.out_h() * g.out_w();
    ensure_shape(out, (g.n() * per_image, filters));
    let out = out
        .as_slice_mut()
        .expect("ensure_shape leaves a row-major buffer");
    let image = g.h() * g.w() * g.c();
    let n = g.n();
    if n >= 2 && n * per_image * filters * taps.k >= SPLIT_MIN_MACS {
        let half = n / 2;
        let (x0, x1) = x.split_at(half * image);
        let (o0, o1) = out.split_at_mut(half * per_image * filters);
        join(
            || forward(x0, o0, g, &taps, w_col, b, f),
            || forward(x1, o1, g, &taps, w_col, b, f),
        );
    } else {
        forward(x, out, g, &taps, w_col, b, f);
    }
}

/// The convolution's backward by the definition: `dw_col` (KH*KW*C, FN) and `db` (FN,) from
/// `x` (row-major (N, H, W, C) memory, as for [`conv_forward_direct_into`]) and `dout`
/// (N*OH*OW, FN); and, when `dcol` is given, `dcol = dout w_col^T` (N*OH*OW, KH*KW*C) for
/// `col2im_channels_last_into` (a matrix product, as in `conv_backward_rows`: the input
/// gradient of a thin window is cheap that way). The same as `conv_backward_rows` on
/// `im2col_channels_last(x)`. `dw_col` may be any view of the right shape; `db` is resized if
/// needed.
///
/// # Panics
/// If the sizes do not fit `g`.
pub fn conv_backward_direct<A: Float>(
    x: &[A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    dout: &ArrayRef2<A>,
    dw_col: &mut ArrayRef2<A>,
    db: &mut Array1<A>,
    dcol: Option<&mut Array2<A>>,
) {
    let filters = w_col.ncols();
    let rows = g.n() * g.out_h() * g.out_w();
    assert_eq!(
        (dout.dim(), dw_col.dim()),
        ((rows, filters), w_col.dim()),
        "conv_backward_direct: dout must be (N*OH*OW, FN) and dw_col the shape of w_col"
    );
    if db.len() != filters {
        *db = Array1::zeros(filters);
    }
    let dout_rows = dout.as_standard_layout();
    let d = dout_rows.as_slice().expect("standard layout");
    if w_col.nrows() > DIRECT_MAX_TAPS {
        check_wide(g, w_col, x.len(), "conv_backward_direct");
        weight_grad_wide(x, d, g, dout, dw_col, db);
        if let Some(dcol) = dcol {
            ensure_shape(dcol, (rows, w_col.nrows()));
            matmul_into(A::one(), dout, &w_col.t(), A::zero(), dcol);
        }
        return;
    }
    let taps = Taps::new(g, w_col, x.len(), "conv_backward_direct");
    // Two halves of the images on two cores, each summing its own part of every gradient;
    // the parts are then added, first half + second half, on one core or two alike.
    let n = g.n();
    let split = n >= 2 && rows * filters * taps.k >= SPLIT_MIN_MACS;
    let half = if split { n / 2 } else { n };
    let (image, per_image) = (g.h() * g.w() * g.c(), g.out_h() * g.out_w() * filters);
    let (x0, x1) = x.split_at(half * image);
    let (d0, d1) = d.split_at(half * per_image);
    for f0 in (0..filters).step_by(PAIR * LANES) {
        let len = [0, 1].map(|ch| filters.saturating_sub(f0 + ch * LANES).min(LANES));
        let part = |x, d| {
            Chunk {
                x,
                dout: d,
                g,
                taps: &taps,
                filters,
                f: f0,
                len,
            }
            .sums()
        };
        let (acc, bias) = if split {
            let ((mut acc, mut bias), (acc1, bias1)) = join(|| part(x0, d0), || part(x1, d1));
            for (a, b) in acc.iter_mut().flatten().zip(acc1.iter().flatten()) {
                add(a, b);
            }
            for (a, b) in bias.iter_mut().zip(&bias1) {
                add(a, b);
            }
            (acc, bias)
        } else {
            part(x0, d0)
        };
        for (ch, &len) in len.iter().enumerate().filter(|&(_, &len)| len > 0) {
            let f = f0 + ch * LANES;
            for (t, acc) in acc.iter().take(taps.k).enumerate() {
                dw_col
                    .slice_mut(s![t, f..f + len])
                    .assign(&ArrayView1::from(&acc[ch][..len]));
            }
            db.slice_mut(s![f..f + len])
                .assign(&ArrayView1::from(&bias[ch][..len]));
        }
    }
    if let Some(dcol) = dcol {
        ensure_shape(dcol, (rows, taps.k));
        matmul_into(A::one(), dout, &w_col.t(), A::zero(), dcol);
    }
}

/// `dx = col2im(dout w_col^T)` by the definition, without the (N*OH*OW, KH*KW*C) `dcol`:
/// `dout` (N*OH*OW, FN) rows, `w_col` (KH*KW*C, FN), `dx` the input gradient as row-major
/// (N, H, W, C) memory, overwritten. The same as `col2im_channels_last_into` of
/// `conv_backward_rows`' `dcol`, up to rounding. Meant for wide windows (each output's
/// gradient is spread over the channels of a window cell, 32 channels at a time); allocation
/// free.
///
/// # Panics
/// If the sizes do not fit `g`.
pub fn conv_input_grad_direct_into<A: Float>(
    dout: &ArrayRef2<A>,
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    dx: &mut [A],
) {
    let (k, filters) = w_col.dim();
    let per_image = g.out_h() * g.out_w();
    assert_eq!(
        (dout.dim(), k, dx.len()),
        (
            (g.n() * per_image, filters),
            g.c() * g.filter_h() * g.filter_w(),
            g.n() * g.h() * g.w() * g.c()
        ),
        "conv_input_grad_direct_into: dout must be (N*OH*OW, FN), w_col (KH*KW*C, FN) and dx \
         hold N*H*W*C values"
    );
    let dout_rows = dout.as_standard_layout();
    let d = dout_rows.as_slice().expect("standard layout");
    let (n, image) = (g.n(), g.h() * g.w() * g.c());
    if n >= 2 && dout.len() * k >= SPLIT_MIN_MACS {
        let half = n / 2;
        let (d0, d1) = d.split_at(half * per_image * filters);
        let (x0, x1) = dx.split_at_mut(half * image);
        join(
            || input_grad_wide(d0, g, w_col, x0),
            || input_grad_wide(d1, g, w_col, x1),
        );
    } else {
        input_grad_wide(d, g, w_col, dx);
    }
}

/// Checks the sizes given to the wide-window kernels.
fn check_wide<A>(g: &Conv2dGeometry, w_col: &ArrayRef2<A>, x_len: usize, what: &str) {
    assert_eq!(
        (x_len, w_col.nrows()),
        (
            g.n() * g.h() * g.w() * g.c(),
            g.c() * g.filter_h() * g.filter_w()
        ),
        "{what}: x must hold N*H*W*C values and w_col have KH*KW*C rows"
    );
}

/// dW_col and db of a wide window: the taps in two halves over both cores (each half sums
/// over every output, in output order, so the numbers never depend on the threads).
fn weight_grad_wide<A: Float>(
    x: &[A],
    d: &[A],
    g: &Conv2dGeometry,
    dout: &ArrayRef2<A>,
    dw_col: &mut ArrayRef2<A>,
    db: &mut Array1<A>,
) {
    let (k, filters) = dw_col.dim();
    let Some(dw) = dw_col.as_slice_mut() else {
        // A view that is not row-major (allocates; keras-lite passes its own buffer).
        let mut dw = Array2::zeros((k, filters));
        weight_grad_wide(x, d, g, dout, &mut dw, db);
        dw_col.assign(&dw);
        return;
    };
    let mid = k / 2;
    let (dw0, dw1) = dw.split_at_mut(mid * filters);
    join(
        || {
            weight_grad(x, d, g, filters, 0..mid, dw0);
            column_sums_into(dout, db);
        },
        || weight_grad(x, d, g, filters, mid..k, dw1),
    );
}

/// Where each tap `t = (fy, fx, c)` of a window lies: its offset from the window's first
/// cell in row-major (H, W, C) memory, and its row and column within the window (for
/// windows that reach into the padding).
struct Taps {
    k: usize,
    offset: [usize; DIRECT_MAX_TAPS],
    fy: [usize; DIRECT_MAX_TAPS],
    fx: [usize; DIRECT_MAX_TAPS],
    c: [usize; DIRECT_MAX_TAPS],
}

impl Taps {
    fn new<A>(g: &Conv2dGeometry, w_col: &ArrayRef2<A>, x_len: usize, what: &str) -> Self {
        let (c, fh, fw) = (g.c(), g.filter_h(), g.filter_w());
        let k = c * fh * fw;
        assert!(
            k <= DIRECT_MAX_TAPS,
            "{what}: a {fh}x{fw} window over {c} channels has {k} taps, more than \
             DIRECT_MAX_TAPS ({DIRECT_MAX_TAPS}); use im2col and conv_forward_rows"
        );
        assert_eq!(
            (x_len, w_col.nrows()),
            (g.n() * g.h() * g.w() * c, k),
            "{what}: x must hold N*H*W*C values and w_col have KH*KW*C rows"
        );
        let mut taps = Taps {
            k,
            offset: [0; DIRECT_MAX_TAPS],
            fy: [0; DIRECT_MAX_TAPS],
            fx: [0; DIRECT_MAX_TAPS],
            c: [0; DIRECT_MAX_TAPS],
        };
        for t in 0..k {
            let (offset, fy, fx) = tap(g, t);
            taps.offset[t] = offset;
            (taps.fy[t], taps.fx[t], taps.c[t]) = (fy, fx, t % c);
        }
        taps
    }

    /// The offset in the image of tap `t` of the window starting at (`y0`, `x0`), or `None`
    /// in the padding.
    #[inline(always)]
    fn at(&self, t: usize, y0: isize, x0: isize, g: &Conv2dGeometry) -> Option<usize> {
        let (y, x) = (y0 + self.fy[t] as isize, x0 + self.fx[t] as isize);
        let inside = (0..g.h() as isize).contains(&y) && (0..g.w() as isize).contains(&x);
        inside.then(|| (y as usize * g.w() + x as usize) * g.c() + self.c[t])
    }
}

/// The offset of tap `t = (fy, fx, c)` from its window's first cell in row-major (H, W, C)
/// memory, and the tap's (fy, fx).
#[inline(always)]
fn tap(g: &Conv2dGeometry, t: usize) -> (usize, usize, usize) {
    let (c, fw) = (g.c(), g.filter_w());
    let (fy, fx, ci) = (t / (fw * c), (t / c) % fw, t % c);
    ((fy * g.w() + fx) * c + ci, fy, fx)
}

/// Where the window of output (`oh`, `ow`) starts, and its first cell's offset when the
/// whole window lies inside the image.
#[inline(always)]
fn window(g: &Conv2dGeometry, oh: usize, ow: usize) -> (isize, isize, Option<usize>) {
    let (y0, x0) = (g.row_start(oh), g.col_start(ow));
    let inside = y0 >= 0
        && x0 >= 0
        && y0 as usize + g.filter_h() <= g.h()
        && x0 as usize + g.filter_w() <= g.w();
    let first = inside.then(|| (y0 as usize * g.w() + x0 as usize) * g.c());
    (y0, x0, first)
}

/// `acc += x w` lane by lane, as one fused multiply-add where the CPU has one (as
/// matrixmultiply's kernels).
#[inline(always)]
fn madd<A: Float, const FUSED: bool>(acc: &mut [A; LANES], x: A, w: &[A; LANES]) {
    for (a, &w) in acc.iter_mut().zip(w) {
        *a = if FUSED { x.mul_add(w, *a) } else { *a + x * w };
    }
}

/// `acc += v` lane by lane.
#[inline(always)]
fn add<A: Float>(acc: &mut [A; LANES], v: &[A; LANES]) {
    for (a, &v) in acc.iter_mut().zip(v) {
        *a = *a + v;
    }
}

/// Filters `f0..f0 + len` (`len <= LANES`) of a row, padded with zeros.
#[inline(always)]
fn lanes<A: Float>(row: &[A], f0: usize, len: usize) -> [A; LANES] {
    if len == LANES {
        // A fixed-size copy: one vector load, where a copy of `len` values calls memcpy.
        return row[f0..f0 + LANES].try_into().expect("LANES values");
    }
    let mut v = [A::zero(); LANES];
    v[..len].copy_from_slice(&row[f0..f0 + len]);
    v
}

/// Writes the first `len` values of `acc` to `row[f0..]` (see [`lanes`]).
#[inline(always)]
fn store<A: Float>(row: &mut [A], f0: usize, len: usize, acc: &[A; LANES]) {
    if len == LANES {
        let dst: &mut [A; LANES] = (&mut row[f0..f0 + LANES]).try_into().expect("LANES values");
        *dst = *acc;
    } else {
        row[f0..f0 + len].copy_from_slice(&acc[..len]);
    }
}

fn forward<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    taps: &Taps,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: this CPU has AVX-512F and FMA (checked just above).
            return unsafe { forward_avx512(x, out, g, taps, w_col, b, f) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { forward_avx2(x, out, g, taps, w_col, b, f) };
        }
    }
    forward_kernel::<A, F, false>(x, out, g, taps, w_col, b, f);
}

fn forward_wide<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: this CPU has AVX-512F and FMA (checked just above).
            return unsafe { forward_wide_avx512(x, out, g, w_col, b, f) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { forward_wide_avx2(x, out, g, w_col, b, f) };
        }
    }
    wide::forward_kernel::<A, F, 4, 1, 512, false>(x, out, g, w_col, b, f);
}

fn weight_grad<A: Float>(
    x: &[A],
    d: &[A],
    g: &Conv2dGeometry,
    filters: usize,
    taps: std::ops::Range<usize>,
    dw: &mut [A],
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: this CPU has AVX-512F and FMA (checked just above).
            return unsafe { weight_grad_avx512(x, d, g, filters, taps, dw) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { weight_grad_avx2(x, d, g, filters, taps, dw) };
        }
    }
    wide::weight_grad_kernel::<A, 4, 1, false>(x, d, g, filters, taps, dw);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn weight_grad_avx512<A: Float>(
    x: &[A],
    d: &[A],
    g: &Conv2dGeometry,
    filters: usize,
    taps: std::ops::Range<usize>,
    dw: &mut [A],
) {
    wide::weight_grad_kernel::<A, 5, 4, true>(x, d, g, filters, taps, dw);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn weight_grad_avx2<A: Float>(
    x: &[A],
    d: &[A],
    g: &Conv2dGeometry,
    filters: usize,
    taps: std::ops::Range<usize>,
    dw: &mut [A],
) {
    wide::weight_grad_kernel::<A, 3, 2, true>(x, d, g, filters, taps, dw);
}

fn input_grad_wide<A: Float>(d: &[A], g: &Conv2dGeometry, w_col: &ArrayRef2<A>, dx: &mut [A]) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: this CPU has AVX-512F and FMA (checked just above).
            return unsafe { input_grad_avx512(d, g, w_col, dx) };
        }
        if is_x86_feature_detected!("avx2") {
            // SAFETY: this CPU has AVX2 and FMA (checked just above).
            return unsafe { input_grad_avx2(d, g, w_col, dx) };
        }
    }
    wide::input_grad_kernel::<A, 4, 1, false>(d, g, w_col, dx);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn input_grad_avx512<A: Float>(d: &[A], g: &Conv2dGeometry, w_col: &ArrayRef2<A>, dx: &mut [A]) {
    wide::input_grad_kernel::<A, 12, 2, true>(d, g, w_col, dx);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn input_grad_avx2<A: Float>(d: &[A], g: &Conv2dGeometry, w_col: &ArrayRef2<A>, dx: &mut [A]) {
    wide::input_grad_kernel::<A, 3, 2, true>(d, g, w_col, dx);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn forward_wide_avx512<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    wide::forward_kernel::<A, F, 6, 4, 288, true>(x, out, g, w_col, b, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_wide_avx2<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    wide::forward_kernel::<A, F, 3, 2, 256, true>(x, out, g, w_col, b, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn forward_avx512<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    taps: &Taps,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    forward_kernel::<A, F, true>(x, out, g, taps, w_col, b, f);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn forward_avx2<A: Float, F: Fn(A) -> A + Copy>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    taps: &Taps,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    forward_kernel::<A, F, true>(x, out, g, taps, w_col, b, f);
}

/// Filters handled per pass over the images: 4 accumulators of [`LANES`].
const GROUP: usize = 4;

/// A value on a 64-byte boundary: one cache line per [`LANES`] f32 values.
#[repr(C, align(64))]
struct Aligned<T>(T);

/// Neighbouring outputs of a row computed together: each has its own accumulator, so the
/// multiply-adds of one tap are independent and the vector units do not wait for each other.
const PIXELS: usize = 4;

/// The forward on whole images: `x` holds some images, `out` their output rows.
#[inline(always)]
fn forward_kernel<A: Float, F: Fn(A) -> A + Copy, const FUSED: bool>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    taps: &Taps,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    let (k, filters) = (taps.k, w_col.ncols());
    let image = g.h() * g.w() * g.c();
    let (out_h, out_w) = (g.out_h(), g.out_w());
    let step = g.stride_w() * g.c();
    for group in (0..filters).step_by(GROUP * LANES) {
        let width = (filters - group).min(GROUP * LANES);
        let chunks = width.div_ceil(LANES);
        // This group's filters and biases in register-sized pieces, zero-padded, on cache-line
        // boundaries (a misaligned stack made the helper thread's loop twice as slow).
        let mut w = Aligned([[[A::zero(); LANES]; DIRECT_MAX_TAPS]; GROUP]);
        let mut bias = Aligned([[A::zero(); LANES]; GROUP]);
        for ch in 0..chunks {
            let f0 = group + ch * LANES;
            for j in 0..(filters - f0).min(LANES) {
                bias.0[ch][j] = b[f0 + j];
                for t in 0..k {
                    w.0[ch][t][j] = w_col[[t, f0 + j]];
                }
            }
        }
        for (xi, oi) in x
            .chunks_exact(image)
            .zip(out.chunks_exact_mut(out_h * out_w * filters))
        {
            for oh in 0..out_h {
                let mut ow = 0;
                while ow < out_w {
                    let row = (oh * out_w + ow) * filters;
                    let (y0, x0, first) = window(g, oh, ow);
                    // PIXELS outputs at once when all their windows lie inside the image (the
                    // windows of a row move right, so the first and last decide).
                    let block = (ow + PIXELS <= out_w)
                        .then(|| window(g, oh, ow + PIXELS - 1).2.and(first))
                        .flatten();
                    if let Some(first) = block {
                        let orows = &mut oi[row..row + PIXELS * filters];
                        for ch in 0..chunks {
                            let mut acc = [bias.0[ch]; PIXELS];
                            for t in 0..k {
                                let wt = &w.0[ch][t];
                                let at = first + taps.offset[t];
                                for (q, acc) in acc.iter_mut().enumerate() {
                                    let xv = xi[at + q * step];
                                    madd::<A, FUSED>(acc, xv, wt);
                                }
                            }
                            let f0 = group + ch * LANES;
                            let len = (filters - f0).min(LANES);
                            for (q, acc) in acc.iter().enumerate() {
                                store(&mut orows[q * filters..], f0, len, &acc.map(f));
                            }
                        }
                        ow += PIXELS;
                        continue;
                    }
                    let orow = &mut oi[row..row + filters];
                    for ch in 0..chunks {
                        let mut acc = bias.0[ch];
                        for t in 0..k {
                            let at = match first {
                                Some(first) => Some(first + taps.offset[t]),
                                None => taps.at(t, y0, x0, g),
                            };
                            if let Some(at) = at {
                                let xv = xi[at];
                                madd::<A, FUSED>(&mut acc, xv, &w.0[ch][t]);
                            }
                        }
                        let f0 = group + ch * LANES;
                        store(orow, f0, (filters - f0).min(LANES), &acc.map(f));
                    }
                    ow += 1;
                }
            }
        }
    }
}

/// Taps accumulated per pass over the images: each has its own accumulator of [`LANES`]
/// filters in a register (a 3x3 window over one channel in one pass).
const TAPS_PER_PASS: usize = 9;

/// The gradient sums of one block of up to [`LANES`] filters (`f..f + len`) over some images:
/// `x` and `dout` hold the same images.
struct Chunk<'a, A> {
    x: &'a [A],
    dout: &'a [A],
    g: &'a Conv2dGeometry,
    taps: &'a Taps,
    filters: usize,
    f: usize,
    /// Filters in each of the [`PAIR`] blocks of [`LANES`] (the last ones may be short or 0).
    len: [usize; PAIR],
}

/// Blocks of [`LANES`] filters summed in one pass over the images: each tap's input value
/// is read once for both.
const PAIR: usize = 2;

/// Per tap, the sum over positions of `x[tap] * dout` for the block's filters, and the sum
/// of `dout` (the bias gradient); zero-padded to [`LANES`].
type Sums<A> = ([[[A; LANES]; PAIR]; DIRECT_MAX_TAPS], [[A; LANES]; PAIR]);

impl<A: Float> Chunk<'_, A> {
    fn sums(&self) -> Sums<A> {
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("fma") {
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: this CPU has AVX-512F and FMA (checked just above).
                return unsafe { self.sums_avx512() };
            }
            if is_x86_feature_detected!("avx2") {
                // SAFETY: this CPU has AVX2 and FMA (checked just above).
                return unsafe { self.sums_avx2() };
            }
        }
        self.sums_in_passes::<false>()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx2,fma")]
    fn sums_avx512(&self) -> Sums<A> {
        self.sums_in_passes::<true>()
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn sums_avx2(&self) -> Sums<A> {
        self.sums_in_passes::<true>()
    }

    /// The taps in passes of at most [`TAPS_PER_PASS`], each with a fixed count of
    /// accumulators so that they stay in registers.
    #[inline(always)]
    fn sums_in_passes<const FUSED: bool>(&self) -> Sums<A> {
        let k = self.taps.k;
        let passes = k.div_ceil(TAPS_PER_PASS);
        let per_pass = k.div_ceil(passes);
        let mut acc = [[[A::zero(); LANES]; PAIR]; DIRECT_MAX_TAPS];
        let mut bias = [[A::zero(); LANES]; PAIR];
        for t0 in (0..k).step_by(per_pass) {
            let out = &mut acc[t0..];
            match (k - t0).min(per_pass) {
                1 => self.pass::<1, FUSED>(t0, out, &mut bias),
                2 => self.pass::<2, FUSED>(t0, out, &mut bias),
                3 => self.pass::<3, FUSED>(t0, out, &mut bias),
                4 => self.pass::<4, FUSED>(t0, out, &mut bias),
                5 => self.pass::<5, FUSED>(t0, out, &mut bias),
                6 => self.pass::<6, FUSED>(t0, out, &mut bias),
                7 => self.pass::<7, FUSED>(t0, out, &mut bias),
                8 => self.pass::<8, FUSED>(t0, out, &mut bias),
                _ => self.pass::<TAPS_PER_PASS, FUSED>(t0, out, &mut bias),
            }
        }
        (acc, bias)
    }

    /// `out[s] = sum over positions of x[tap t0 + s] * dout` for `s < T`, and `bias` = the sum
    /// of `dout` (the same on every pass).
    #[inline(always)]
    fn pass<const T: usize, const FUSED: bool>(
        &self,
        t0: usize,
        out: &mut [[[A; LANES]; PAIR]],
        bias: &mut [[A; LANES]; PAIR],
    ) {
        let (g, taps) = (self.g, self.taps);
        let image = g.h() * g.w() * g.c();
        let mut acc = [[[A::zero(); LANES]; PAIR]; T];
        let mut sum = [[A::zero(); LANES]; PAIR];
        let mut offset = [0usize; T];
        offset.copy_from_slice(&taps.offset[t0..t0 + T]);
        for (xi, di) in self
            .x
            .chunks_exact(image)
            .zip(self.dout.chunks_exact(g.out_h() * g.out_w() * self.filters))
        {
            // (oh, ow) counted alongside the rows: a division per position costs more than
            // the position's multiply-adds.
            let (mut oh, mut ow) = (0, 0);
            for drow in di.chunks_exact(self.filters) {
                let mut d = [[A::zero(); LANES]; PAIR];
                for (ch, d) in d.iter_mut().enumerate() {
                    if self.len[ch] > 0 {
                        *d = lanes(drow, self.f + ch * LANES, self.len[ch]);
                    }
                }
                for (sum, d) in sum.iter_mut().zip(&d) {
                    add(sum, d);
                }
                let (y0, x0, first) = window(g, oh, ow);
                ow += 1;
                if ow == g.out_w() {
                    (oh, ow) = (oh + 1, 0);
                }
                for s in 0..T {
                    let at = match first {
                        Some(first) => Some(first + offset[s]),
                        None => taps.at(t0 + s, y0, x0, g),
                    };
                    if let Some(at) = at {
                        let xv = xi[at];
                        for ch in 0..PAIR {
                            madd::<A, FUSED>(&mut acc[s][ch], xv, &d[ch]);
                        }
                    }
                }
            }
        }
        out[..T].copy_from_slice(&acc);
        *bias = sum;
    }
}
