//! The direct convolution for windows with many channels (a 3x3 window over 32 channels is
//! 288 taps): the block sizes are const parameters, picked per instruction set in `direct`
//! (AVX-512: forward 6 outputs by 4 x 16 filters, 24 accumulators of the 32 vector
//! registers). Each tap's input value is read where it lies in `x`: no `im2col`, and no
//! packing, which took matrixmultiply a fifth of its time on these shapes. Outputs whose
//! window reaches into the padding take a slower path of one output at a time.

use super::{Aligned, LANES, add, lanes, madd, store, tap, window};
use crate::im2col::Conv2dGeometry;
use ch03_activations::Float;
use ndarray::{ArrayRef1, ArrayRef2};

/// The first cells of the windows of outputs `p..p + P` of an image (counted row by row)
/// when all `P` exist and lie inside the image: the block the fast loops take.
#[inline(always)]
fn inside_block<const P: usize>(g: &Conv2dGeometry, p: usize) -> Option<[usize; P]> {
    let (out_w, per_image) = (g.out_w(), g.out_h() * g.out_w());
    if p + P > per_image {
        return None;
    }
    let mut first = [0usize; P];
    for (q, first) in first.iter_mut().enumerate() {
        *first = window(g, (p + q) / out_w, (p + q) % out_w).2?;
    }
    Some(first)
}

/// `out = conv(x) + b` for whole images: `x` holds some images (N, H, W, C), `out` their
/// output rows (N*OH*OW, FN). `P` outputs share each tap's kernel values.
#[inline(always)]
pub(super) fn forward_kernel<
    A: Float,
    F: Fn(A) -> A + Copy,
    const P: usize,
    const CHUNKS: usize,
    const SLAB: usize,
    const FUSED: bool,
>(
    x: &[A],
    out: &mut [A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    f: F,
) {
    let (k, filters) = w_col.dim();
    let image = g.h() * g.w() * g.c();
    let (out_h, out_w) = (g.out_h(), g.out_w());
    let per_image = out_h * out_w;
    let mut w = Aligned([[[A::zero(); LANES]; SLAB]; CHUNKS]);
    let mut off = [0usize; SLAB];
    let mut cell = [(0usize, 0usize); SLAB];
    for group in (0..filters).step_by(CHUNKS * LANES) {
        let mut bias = [[A::zero(); LANES]; CHUNKS];
        for (ch, bias) in bias.iter_mut().enumerate() {
            let f0 = group + ch * LANES;
            for (j, v) in bias.iter_mut().enumerate().take(filters.saturating_sub(f0)) {
                *v = b[f0 + j];
            }
        }
        for t0 in (0..k).step_by(SLAB) {
            let tn = (k - t0).min(SLAB);
            for t in 0..tn {
                for ch in 0..CHUNKS {
                    let f0 = group + ch * LANES;
                    let mut v = [A::zero(); LANES];
                    for (j, v) in v.iter_mut().enumerate().take(filters.saturating_sub(f0)) {
                        *v = w_col[[t0 + t, f0 + j]];
                    }
                    w.0[ch][t] = v;
                }
                let (o, fy, fx) = tap(g, t0 + t);
                off[t] = o;
                cell[t] = (fy, fx);
            }
            let (w, off) = (&w.0, &off[..tn]);
            // `f` on the last pass only: the earlier ones store partial sums.
            let last_pass = t0 + tn == k;
            let finish = |acc: &[A; LANES]| if last_pass { acc.map(f) } else { *acc };
            let max_off = off.iter().max().copied().unwrap_or(0);
            for (xi, oi) in x
                .chunks_exact(image)
                .zip(out.chunks_exact_mut(per_image * filters))
            {
                let mut p = 0;
                while p < per_image {
                    // P outputs at once when all their windows lie inside the image.
                    if let Some(first) = inside_block::<P>(g, p) {
                        let mut acc = [bias; P];
                        if t0 > 0 {
                            for (q, acc) in acc.iter_mut().enumerate() {
                                for (ch, acc) in acc.iter_mut().enumerate() {
                                    let f0 = group + ch * LANES;
                                    if f0 < filters {
                                        let len = (filters - f0).min(LANES);
                                        let row = &oi[(p + q) * filters..];
                                        acc[..len].copy_from_slice(&row[f0..f0 + len]);
                                    }
                                }
                            }
                        }
                        // Every tap of these windows lies inside the image: checked once here,
                        // so the loop below reads without a check per value.
                        let last = first.iter().max().copied().unwrap_or(0) + max_off;
                        assert!(last < xi.len(), "a window inside the image");
                        for (t, &o) in off.iter().enumerate() {
                            for q in 0..P {
                                // SAFETY: first[q] + o <= last < xi.len() (asserted above).
                                let xv = unsafe { *xi.get_unchecked(first[q] + o) };
                                for ch in 0..CHUNKS {
                                    madd::<A, FUSED>(&mut acc[q][ch], xv, &w[ch][t]);
                                }
                            }
                        }
                        for (q, acc) in acc.iter().enumerate() {
                            let row = &mut oi[(p + q) * filters..(p + q + 1) * filters];
                            for (ch, acc) in acc.iter().enumerate() {
                                let f0 = group + ch * LANES;
                                if f0 < filters {
                                    store(row, f0, (filters - f0).min(LANES), &finish(acc));
                                }
                            }
                        }
                        p += P;
                        continue;
                    }
                    // One output whose window may reach into the padding.
                    let (oh, ow) = (p / out_w, p % out_w);
                    let (y0, x0, _) = window(g, oh, ow);
                    let row = &mut oi[p * filters..(p + 1) * filters];
                    let mut acc = bias;
                    if t0 > 0 {
                        for (ch, acc) in acc.iter_mut().enumerate() {
                            let f0 = group + ch * LANES;
                            if f0 < filters {
                                let len = (filters - f0).min(LANES);
                                acc[..len].copy_from_slice(&row[f0..f0 + len]);
                            }
                        }
                    }
                    for t in 0..tn {
                        let (y, xx) = (y0 + cell[t].0 as isize, x0 + cell[t].1 as isize);
                        if (0..g.h() as isize).contains(&y) && (0..g.w() as isize).contains(&xx) {
                            // The window's first cell may lie outside; the tap does not.
                            let at = ((y * g.w() as isize + xx) * g.c() as isize) as usize
                                + (t0 + t) % g.c();
                            for ch in 0..CHUNKS {
                                madd::<A, FUSED>(&mut acc[ch], xi[at], &w[ch][t]);
                            }
                        }
                    }
                    for (ch, acc) in acc.iter().enumerate() {
                        let f0 = group + ch * LANES;
                        if f0 < filters {
                            store(row, f0, (filters - f0).min(LANES), &finish(acc));
                        }
                    }
                    p += 1;
                }
            }
        }
    }
}

/// `x[at]` for tap `t` of the window starting at (`y0`, `x0`), or `None` in the padding.
#[inline(always)]
fn in_padding_or<A: Float>(
    xi: &[A],
    g: &Conv2dGeometry,
    y0: isize,
    x0: isize,
    t: usize,
) -> Option<A> {
    let (_, fy, fx) = tap(g, t);
    let (y, xx) = (y0 + fy as isize, x0 + fx as isize);
    let inside = (0..g.h() as isize).contains(&y) && (0..g.w() as isize).contains(&xx);
    inside.then(|| xi[(y as usize * g.w() + xx as usize) * g.c() + t % g.c()])
}

/// Rows `taps` of `dW_col`: `dw[t - taps.start, f] = sum over all outputs (n, oh, ow) of
/// x[window tap t] * dout[n, oh, ow, f]`. `x` holds all images (N, H, W, C), `dout` their
/// rows (N*OH*OW, FN), `dw` the rows `taps` of `dW_col` (row-major, FN columns). `R` taps by
/// `CHUNKS * LANES` filters are summed at once over every output, in output order.
#[inline(always)]
pub(super) fn weight_grad_kernel<
    A: Float,
    const R: usize,
    const CHUNKS: usize,
    const FUSED: bool,
>(
    x: &[A],
    dout: &[A],
    g: &Conv2dGeometry,
    filters: usize,
    taps: std::ops::Range<usize>,
    dw: &mut [A],
) {
    let image = g.h() * g.w() * g.c();
    let (out_h, out_w) = (g.out_h(), g.out_w());
    let per_image = out_h * out_w * filters;
    let step = g.stride_w() * g.c();
    let row_step = g.stride_h() * g.w() * g.c();
    // A row of outputs takes the fast loop when the windows of all of it lie inside the image
    // (the first and the last decide) and the block has all CHUNKS * LANES filters.
    let fast_row = |oh: usize, group: usize| {
        let full = group + CHUNKS * LANES <= filters;
        match (window(g, oh, 0).2, window(g, oh, out_w - 1).2) {
            (Some(first), Some(last)) if full => Some((first, last)),
            _ => None,
        }
    };
    dw.fill(A::zero());
    for group in (0..filters).step_by(CHUNKS * LANES) {
        // The rows whose windows lie inside the image are one run (none, with padding as
        // large as the window); the first window of the run's first row and the last of its
        // last row bound every tap read.
        let lo = (0..out_h)
            .find(|&oh| fast_row(oh, group).is_some())
            .unwrap_or(out_h);
        let hi = (lo..out_h)
            .find(|&oh| fast_row(oh, group).is_none())
            .unwrap_or(out_h);
        let fast_rows = lo..hi;
        let fast = (lo < hi).then(|| {
            let (first, _) = fast_row(lo, group).expect("a fast row");
            let (_, last) = fast_row(hi - 1, group).expect("a fast row");
            (first, last)
        });
        let any_edge = fast_rows.len() < out_h;
        // Image by image (its x and dout stay in the core's cache for every block of taps),
        // each block's sums carried from image to image through `dw`: the same order of
        // additions as one pass over all outputs.
        for (xi, di) in x.chunks_exact(image).zip(dout.chunks_exact(per_image)) {
            for t0 in taps.clone().step_by(R) {
                let rows = (taps.end - t0).min(R);
                // A short last block repeats its last tap (a valid offset) and keeps `rows`.
                let mut off = [0usize; R];
                for (r, off) in off.iter_mut().enumerate() {
                    *off = tap(g, t0 + r.min(rows - 1)).0;
                }
                let max_off = off.iter().max().copied().unwrap_or(0);
                let block = &mut dw[(t0 - taps.start) * filters..];
                // The sums so far (filters short of a whole block are added by the edge pass).
                let mut start = [[[A::zero(); LANES]; CHUNKS]; R];
                if group + CHUNKS * LANES <= filters {
                    for (r, start) in start.iter_mut().enumerate().take(rows) {
                        for (ch, start) in start.iter_mut().enumerate() {
                            *start = lanes(&block[r * filters..], group + ch * LANES, LANES);
                        }
                    }
                }
                // (`acc` itself is only ever indexed by constants, so that it stays in
                // registers.)
                let mut acc = start;
                if let Some((first, last)) = fast {
                    assert!(last + max_off < xi.len(), "windows inside the image");
                    weight_grad_rows::<A, R, CHUNKS, FUSED>(
                        &mut acc,
                        &xi[first..],
                        (row_step, step),
                        &di[fast_rows.start * out_w * filters + group..],
                        filters,
                        (fast_rows.len(), out_w),
                        &off,
                    );
                }
                let sums = acc;
                for (r, sum) in sums.iter().take(rows).enumerate() {
                    for (ch, sum) in sum.iter().enumerate() {
                        let f0 = group + ch * LANES;
                        if f0 < filters {
                            store(
                                &mut block[r * filters..],
                                f0,
                                (filters - f0).min(LANES),
                                sum,
                            );
                        }
                    }
                }
            }
        }
        if !any_edge {
            continue;
        }
        // The outputs left: windows reaching into the padding, or a block short of filters.
        for t0 in taps.clone().step_by(R) {
            let rows = (taps.end - t0).min(R);
            let mut edge = [[[A::zero(); LANES]; CHUNKS]; R];
            for (xi, di) in x.chunks_exact(image).zip(dout.chunks_exact(per_image)) {
                for (p, drow) in di.chunks_exact(filters).enumerate() {
                    let oh = p / out_w;
                    if fast_rows.contains(&oh) {
                        continue;
                    }
                    let (y0, x0, _) = window(g, oh, p % out_w);
                    let d = filter_lanes::<A, CHUNKS>(drow, group, filters);
                    for (r, edge) in edge.iter_mut().enumerate().take(rows) {
                        if let Some(xv) = in_padding_or(xi, g, y0, x0, t0 + r) {
                            for ch in 0..CHUNKS {
                                madd::<A, FUSED>(&mut edge[ch], xv, &d[ch]);
                            }
                        }
                    }
                }
            }
            for (r, edge) in edge.iter().take(rows).enumerate() {
                let row = &mut dw[(t0 - taps.start + r) * filters..][..filters];
                for (ch, edge) in edge.iter().enumerate() {
                    let f0 = group + ch * LANES;
                    if f0 < filters {
                        let len = (filters - f0).min(LANES);
                        let mut sum = lanes(row, f0, len);
                        add(&mut sum, edge);
                        store(row, f0, len, &sum);
                    }
                }
            }
        }
    }
}

/// `dx = col2im(dout W_col^T)` for whole images, without `dcol`: each output's
/// `dout[n, oh, ow, :] W_col[t, :]^T` is added straight onto the input cell of its window's
/// tap `t`. `dout` holds some images' rows (N*OH*OW, FN), `dx` the same images (N, H, W, C),
/// overwritten. `P` neighbouring outputs by `CHUNKS * LANES` channels of one window cell at
/// once; [`FSLAB`] filters of the kernel copied per pass.
#[inline(always)]
pub(super) fn input_grad_kernel<
    A: Float,
    const P: usize,
    const CHUNKS: usize,
    const FUSED: bool,
>(
    dout: &[A],
    g: &Conv2dGeometry,
    w_col: &ArrayRef2<A>,
    dx: &mut [A],
) {
    let filters = w_col.ncols();
    let (c, fw) = (g.c(), g.filter_w());
    let image = g.h() * g.w() * c;
    let (out_h, out_w) = (g.out_h(), g.out_w());
    let per_image = out_h * out_w;
    dx.fill(A::zero());
    let mut wt = Aligned([[[A::zero(); LANES]; CHUNKS]; FSLAB]);
    for cell in 0..g.filter_h() * fw {
        let (fy, fx) = (cell / fw, cell % fw);
        let cell_off = (fy * g.w() + fx) * c;
        for c0 in (0..c).step_by(CHUNKS * LANES) {
            for f0 in (0..filters).step_by(FSLAB) {
                let fn_ = (filters - f0).min(FSLAB);
                // W_col's rows of these channels, transposed: wt[f][ch] holds 16 channels.
                for f in 0..fn_ {
                    for ch in 0..CHUNKS {
                        let mut v = [A::zero(); LANES];
                        for (j, v) in v.iter_mut().enumerate() {
                            let ci = c0 + ch * LANES + j;
                            if ci < c {
                                *v = w_col[[cell * c + ci, f0 + f]];
                            }
                        }
                        wt.0[f][ch] = v;
                    }
                }
                let wt = &wt.0[..fn_];
                for (di, xi) in dout
                    .chunks_exact(per_image * filters)
                    .zip(dx.chunks_exact_mut(image))
                {
                    let mut p = 0;
                    while p < per_image {
                        let rows = &di[p * filters + f0..];
                        if let Some(first) = inside_block::<P>(g, p) {
                            let mut acc = [[[A::zero(); LANES]; CHUNKS]; P];
                            assert!((P - 1) * filters + fn_ <= rows.len(), "P outputs' rows");
                            for (f, wf) in wt.iter().enumerate() {
                                for (q, acc) in acc.iter_mut().enumerate() {
                                    // SAFETY: q * filters + f < (P - 1) * filters + fn_ (above).
                                    let dv = unsafe { *rows.get_unchecked(q * filters + f) };
                                    for ch in 0..CHUNKS {
                                        madd::<A, FUSED>(&mut acc[ch], dv, &wf[ch]);
                                    }
                                }
                            }
                            let sums = acc;
                            for (q, acc) in sums.iter().enumerate() {
                                add_channels(xi, first[q] + cell_off, c0, c, acc);
                            }
                            p += P;
                            continue;
                        }
                        // One output whose window may reach into the padding.
                        let (oh, ow) = (p / out_w, p % out_w);
                        let (y0, x0, _) = window(g, oh, ow);
                        let (y, xx) = (y0 + fy as isize, x0 + fx as isize);
                        if (0..g.h() as isize).contains(&y) && (0..g.w() as isize).contains(&xx) {
                            let mut acc = [[A::zero(); LANES]; CHUNKS];
                            for (f, wf) in wt.iter().enumerate() {
                                for ch in 0..CHUNKS {
                                    madd::<A, FUSED>(&mut acc[ch], rows[f], &wf[ch]);
                                }
                            }
                            add_channels(xi, (y as usize * g.w() + xx as usize) * c, c0, c, &acc);
                        }
                        p += 1;
                    }
                }
            }
        }
    }
}

/// `acc[r] += x[tap r] * dout` over `rows` rows of `count` outputs whose windows lie inside
/// the image: `x` starts at the first window; the next window of a row is `step` values on,
/// the next row's `row_step`; `drows` starts at the block's first filter of the first output's
/// row (rows `filters` apart).
#[inline(always)]
fn weight_grad_rows<A: Float, const R: usize, const CHUNKS: usize, const FUSED: bool>(
    acc: &mut [[[A; LANES]; CHUNKS]; R],
    x: &[A],
    (row_step, step): (usize, usize),
    drows: &[A],
    filters: usize,
    (rows, count): (usize, usize),
    off: &[usize; R],
) {
    let off = *off;
    for oh in 0..rows {
        for ow in 0..count {
            let at = (oh * count + ow) * filters;
            let row = &drows[at..at + CHUNKS * LANES];
            let mut d = [[A::zero(); LANES]; CHUNKS];
            for (ch, d) in d.iter_mut().enumerate() {
                *d = row[ch * LANES..(ch + 1) * LANES]
                    .try_into()
                    .expect("LANES values");
            }
            let base = oh * row_step + ow * step;
            for r in 0..R {
                // SAFETY: the caller checked that the last window's taps lie inside `x`.
                let xv = unsafe { *x.get_unchecked(base + off[r]) };
                for ch in 0..CHUNKS {
                    madd::<A, FUSED>(&mut acc[r][ch], xv, &d[ch]);
                }
            }
        }
    }
}

/// Filters `group..group + CHUNKS * LANES` of an output row, zero-padded.
#[inline(always)]
fn filter_lanes<A: Float, const CHUNKS: usize>(
    row: &[A],
    group: usize,
    filters: usize,
) -> [[A; LANES]; CHUNKS] {
    let mut d = [[A::zero(); LANES]; CHUNKS];
    for (ch, d) in d.iter_mut().enumerate() {
        let f0 = group + ch * LANES;
        if f0 < filters {
            *d = lanes(row, f0, (filters - f0).min(LANES));
        }
    }
    d
}

/// `dx[at + c0..]` += the channels `c0..` of `acc` (`c` channels in all).
#[inline(always)]
fn add_channels<A: Float, const CHUNKS: usize>(
    dx: &mut [A],
    at: usize,
    c0: usize,
    c: usize,
    acc: &[[A; LANES]; CHUNKS],
) {
    for (ch, acc) in acc.iter().enumerate() {
        let cc = c0 + ch * LANES;
        if cc < c {
            let len = (c - cc).min(LANES);
            for (d, a) in dx[at + cc..at + cc + len].iter_mut().zip(acc) {
                *d = *d + *a;
            }
        }
    }
}

/// Filters of the kernel copied per pass of [`input_grad_kernel`].
const FSLAB: usize = 256;
