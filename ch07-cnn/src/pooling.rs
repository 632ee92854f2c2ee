//! Pooling (book 7.3, 7.4.4): max pooling as the book, and average pooling as Keras'.
//!
//! A pooling layer slides a `pool_h x pool_w` window over every channel separately and keeps
//! one number per window: the largest (max pooling) or the mean (average pooling). It has no
//! parameters; it makes the output smaller and insensitive to small shifts of the input.
//!
//! ```text
//! max pooling, 2x2 window, stride 2          backward: the gradient goes to the winner only
//!  1 2 | 1 0                                  dout      dx
//!  0 1 | 2 3        ->    2 3                 a b  ->   0 a | 0 0
//!  ----+----              4 2                 c d       0 0 | 0 b
//!  3 0 | 1 2                                            c 0 | 0 0
//!  2 4 | 0 1                                            0 0 | d 0 ... (winner per window)
//! ```
//!
//! The book's `Pooling` runs `im2col`, reshapes to one window per row and takes `np.max` and
//! `np.argmax` along the rows; its backward scatters `dout` to the argmax positions and runs
//! `col2im`. Here the kernels walk the windows directly on a logical (N, C, H, W) view of any
//! strides (channels-last memory goes in as a permuted view), which is the same arithmetic
//! without the intermediate `col`:
//!
//! - [`max_pool_forward_into`] records, per output element, the window index `fy * pool_w + fx`
//!   of the maximum; ties go to the FIRST maximum in row-major window order (NumPy's `argmax`,
//!   so the book's choice), and [`max_pool_backward_into`] sends the gradient there.
//! - [`avg_pool_forward_into`] / [`avg_pool_backward_into`]: the mean, and `dout / count`
//!   spread over the window.
//!
//! Padding: padded cells never win a max and are not counted in an average (Keras'
//! `padding="same"`). The book pads with zeros before its max, so with `pad > 0` and an
//! all-negative window the two differ; the book's networks use `pad = 0`. Each side's padding
//! must be smaller than the window, so every window sees at least one input cell.

use crate::im2col::{Conv2dGeometry, GeometryError, Padding, as_strided, as_strided_mut};
use ch03_activations::Float;
use ch05_backprop::Mode;
use ndarray::{Array4, ArrayRef4, ArrayView4, ArrayViewMut4};
use speed::parallel::join;

/// An error unless every window of `g` overlaps the input (padding smaller than the window).
pub fn check_pool_geometry(g: &Conv2dGeometry) -> Result<(), GeometryError> {
    let p = g.pad();
    if p.top.max(p.bottom) >= g.filter_h() || p.left.max(p.right) >= g.filter_w() {
        return Err(GeometryError(format!(
            "pooling: padding {p:?} must be smaller than the {}x{} window on every side, or \
             some windows would hold only padding",
            g.filter_h(),
            g.filter_w()
        )));
    }
    if g.filter_h() * g.filter_w() > 1 << 24 {
        return Err(GeometryError(format!(
            "pooling: a {}x{} window is too large",
            g.filter_h(),
            g.filter_w()
        )));
    }
    Ok(())
}

/// The pooled output shape (N, C, OH, OW) of a geometry.
pub fn pool_output_shape(g: &Conv2dGeometry) -> (usize, usize, usize, usize) {
    (g.n(), g.c(), g.out_h(), g.out_w())
}

fn check_output(what: &str, shape: &[usize], g: &Conv2dGeometry) -> Result<(), GeometryError> {
    let (n, c, oh, ow) = pool_output_shape(g);
    if shape != [n, c, oh, ow] {
        return Err(GeometryError(format!(
            "{what} has shape {shape:?} but the pooled shape is (N, C, OH, OW) = {:?}",
            [n, c, oh, ow]
        )));
    }
    Ok(())
}

/// Resizes `argmax` to the logical shape (N, C, OH, OW) if needed, stored channels-innermost
/// when the input's channels are contiguous (NHWC) and row-major otherwise, so that the
/// kernels write it in the order they walk the input.
fn ensure_argmax(argmax: &mut Array4<u32>, g: &Conv2dGeometry, channels_last: bool) {
    let (n, c, oh, ow) = pool_output_shape(g);
    let layout_fits = if channels_last {
        argmax.strides()[1] == 1 && argmax.as_slice_memory_order().is_some()
    } else {
        argmax.is_standard_layout()
    };
    let fits = argmax.dim() == (n, c, oh, ow) && layout_fits;
    if !fits {
        *argmax = if channels_last {
            Array4::zeros((n, oh, ow, c)).permuted_axes([0, 3, 1, 2])
        } else {
            Array4::zeros((n, c, oh, ow))
        };
    }
}

/// Runs `f(x, strides)` on `x` as one contiguous slice (copying it first if it is not one).
fn with_input<A: Clone, R>(x: ArrayView4<'_, A>, f: impl FnOnce(&[A], [usize; 4]) -> R) -> R {
    match as_strided(&x) {
        Some((s, st)) => f(s, st),
        None => {
            let standard = x.as_standard_layout();
            let (s, st) = as_strided(&standard.view()).expect("row-major is contiguous");
            f(s, st)
        }
    }
}

/// Runs `f(out, strides)` on `out` as one contiguous mutable slice (through a row-major
/// temporary, then copied back, if it is not one).
fn with_output<A: Float>(mut out: ArrayViewMut4<'_, A>, f: impl FnOnce(&mut [A], [usize; 4])) {
    match as_strided_mut(&mut out) {
        Some((s, st)) => f(s, st),
        None => {
            let mut standard = Array4::zeros(out.raw_dim());
            let mut view = standard.view_mut();
            let (s, st) = as_strided_mut(&mut view).expect("row-major is contiguous");
            f(s, st);
            out.assign(&standard);
        }
    }
}

/// Visits every output position `(n, oh, ow)` with the in-input window ranges `fy in ylo..yhi`,
/// `fx in xlo..xhi` and the input position of the window's corner `(y0, x0)`.
fn for_each_window(
    g: &Conv2dGeometry,
    mut f: impl FnMut(usize, usize, usize, (usize, usize), (usize, usize), isize, isize),
) {
    for n in 0..g.n() {
        for oh in 0..g.out_h() {
            let y0 = g.row_start(oh);
            let ys = Conv2dGeometry::inside(y0, g.filter_h(), g.h());
            for ow in 0..g.out_w() {
                let x0 = g.col_start(ow);
                let xs = Conv2dGeometry::inside(x0, g.filter_w(), g.w());
                f(n, oh, ow, ys, xs, y0, x0);
            }
        }
    }
}

fn offset(st: [usize; 4], i: [usize; 4]) -> usize {
    st[0] * i[0] + st[1] * i[1] + st[2] * i[2] + st[3] * i[3]
}

/// Max pooling forward: `out[n, c, oh, ow]` = the largest input cell of its window, and
/// `argmax[n, c, oh, ow]` = that cell's window index `fy * pool_w + fx` (first maximum in
/// row-major window order on ties).
///
/// `x` is the logical (N, C, H, W) input and `out` the logical (N, C, OH, OW) output, both of
/// any strides; `argmax` is resized (allocated) only when its shape differs. The window is
/// `g`'s filter. Errors if a shape does not fit `g` or the padding is not smaller than the
/// window.
pub fn max_pool_forward_into<A: Float>(
    x: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    out: ArrayViewMut4<'_, A>,
    argmax: &mut Array4<u32>,
) -> Result<(), GeometryError> {
    check_pool_geometry(g)?;
    g.check_input("max pooling: the input", x.shape())?;
    check_output("max pooling: the output", out.shape(), g)?;
    ensure_argmax(argmax, g, x.strides()[1] == 1 && g.c() > 1);
    let mut arg_view = argmax.view_mut();
    let (arg, sa) = as_strided_mut(&mut arg_view).expect("argmax is kept contiguous");
    let dims = pool_dims(g);
    with_input(x, |xs, sx| {
        with_output(out, |os, so| {
            let channels_last = sx[1] == 1 && so[1] == 1 && sa[1] == 1;
            // Images `first..` of the batch, whose outputs start at `os` and `arg`.
            let kernel = |g: &Conv2dGeometry, first: usize, os: &mut [A], arg: &mut [u32]| {
                let xs = &xs[first * sx[0]..];
                if channels_last {
                    max_pool_channels_last(g, (xs, sx), (os, so), (arg, sa));
                } else {
                    max_pool_planes(g, (xs, sx), (os, so), (arg, sa));
                }
            };
            match batch_halves(g, &[(dims, so), (dims, sa)]) {
                Some((h, g0, g1)) => {
                    let (o0, o1) = os.split_at_mut(h * so[0]);
                    let (a0, a1) = arg.split_at_mut(h * sa[0]);
                    join(|| kernel(&g0, 0, o0, a0), || kernel(&g1, h, o1, a1));
                }
                None => kernel(g, 0, os, arg),
            }
        });
    });
    Ok(())
}

/// Below this many window cells in a batch, pooling stays on one core (handing half to the
/// helper thread costs about a microsecond).
const SPLIT_MIN_CELLS: usize = 1 << 15;

/// The logical (N, C, OH, OW) shape of a pooled output, as an array.
fn pool_dims(g: &Conv2dGeometry) -> [usize; 4] {
    let (n, c, oh, ow) = pool_output_shape(g);
    [n, c, oh, ow]
}

/// Whether a buffer of logical shape `dims` and strides `st` holds its images as disjoint
/// blocks `n*st[0] .. (n+1)*st[0]` (N the outer axis), so that it can be cut between images.
fn images_apart(dims: [usize; 4], st: [usize; 4]) -> bool {
    let span = (1..4)
        .map(|k| dims[k].saturating_sub(1) * st[k])
        .sum::<usize>()
        + 1;
    span <= st[0]
}

/// Where to cut a pooling job over the batch in two halves that run on both cores (ch05's
/// `join`): `Some((h, geometry of images 0..h, geometry of images h..N))` when the batch is
/// big enough and every buffer written (`(logical shape, strides)`) can be cut after image
/// `h`; `None` to run on one core. The windows never cross images, so the halves compute
/// exactly what one pass would.
fn batch_halves(
    g: &Conv2dGeometry,
    written: &[([usize; 4], [usize; 4])],
) -> Option<(usize, Conv2dGeometry, Conv2dGeometry)> {
    let n = g.n();
    let cells = n * g.c() * g.out_h() * g.out_w() * g.filter_h() * g.filter_w();
    if n < 2 || cells < SPLIT_MIN_CELLS || !written.iter().all(|&(d, st)| images_apart(d, st)) {
        return None;
    }
    let h = n / 2;
    let halves = (g.with_batch(h).ok()?, g.with_batch(n - h).ok()?);
    Some((h, halves.0, halves.1))
}

/// Max pooling with the channels contiguous (NHWC): window cells outer, the C channels
/// inner. Two vectorizable passes instead of one with a data-dependent branch (random data
/// mispredicts it half the time; a one-pass running max and argmax did not vectorize and ran
/// 4x slower): the maxima first, then the FIRST cell holding each maximum.
fn max_pool_channels_last<A: Float>(
    g: &Conv2dGeometry,
    xs: (&[A], [usize; 4]),
    os: (&mut [A], [usize; 4]),
    arg: (&mut [u32], [usize; 4]),
) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: this CPU has AVX-512F (checked just above).
        return unsafe { max_pool_channels_last_avx512(g, xs, os, arg) };
    }
    max_pool_channels_last_kernel(g, xs, os, arg);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn max_pool_channels_last_avx512<A: Float>(
    g: &Conv2dGeometry,
    xs: (&[A], [usize; 4]),
    os: (&mut [A], [usize; 4]),
    arg: (&mut [u32], [usize; 4]),
) {
    max_pool_channels_last_kernel(g, xs, os, arg);
}

#[inline(always)]
fn max_pool_channels_last_kernel<A: Float>(
    g: &Conv2dGeometry,
    (xs, sx): (&[A], [usize; 4]),
    (os, so): (&mut [A], [usize; 4]),
    (arg, sa): (&mut [u32], [usize; 4]),
) {
    let (c, pw) = (g.c(), g.filter_w());
    for_each_window(g, |n, oh, ow, (ylo, yhi), (xlo, xhi), y0, x0| {
        let ob = offset(so, [n, 0, oh, ow]);
        let ab = offset(sa, [n, 0, oh, ow]);
        let cell = |fy: usize, fx: usize| {
            let (iy, ix) = ((y0 + fy as isize) as usize, (x0 + fx as isize) as usize);
            let xb = offset(sx, [n, 0, iy, ix]);
            (&xs[xb..xb + c], (fy * pw + fx) as u32)
        };
        let (o, a) = (&mut os[ob..ob + c], &mut arg[ab..ab + c]);
        const LANES: usize = 16;
        let (first, k0) = cell(ylo, xlo);
        let mut c0 = 0;
        while c0 + LANES <= c {
            let mut m: [A; LANES] = first[c0..c0 + LANES].try_into().expect("LANES values");
            let mut k = [k0; LANES];
            for fy in ylo..yhi {
                for fx in xlo..xhi {
                    let (x, kk) = cell(fy, fx);
                    let v: &[A; LANES] = x[c0..c0 + LANES].try_into().expect("LANES values");
                    for j in 0..LANES {
                        let larger = v[j] > m[j];
                        m[j] = if larger { v[j] } else { m[j] };
                        k[j] = if larger { kk } else { k[j] };
                    }
                }
            }
            o[c0..c0 + LANES].copy_from_slice(&m);
            a[c0..c0 + LANES].copy_from_slice(&k);
            c0 += LANES;
        }
        for ci in c0..c {
            let (mut m, mut k) = (first[ci], k0);
            for fy in ylo..yhi {
                for fx in xlo..xhi {
                    let (x, kk) = cell(fy, fx);
                    if x[ci] > m {
                        (m, k) = (x[ci], kk);
                    }
                }
            }
            (o[ci], a[ci]) = (m, k);
        }
    });
}

/// Max pooling on any other layout (the book's NCHW): one channel plane at a time, each
/// window scanned with its running maximum in registers.
fn max_pool_planes<A: Float>(
    g: &Conv2dGeometry,
    (xs, sx): (&[A], [usize; 4]),
    (os, so): (&mut [A], [usize; 4]),
    (arg, sa): (&mut [u32], [usize; 4]),
) {
    let (pw, fh, fw) = (g.filter_w(), g.filter_h(), g.filter_w());
    for n in 0..g.n() {
        for ci in 0..g.c() {
            let xp = n * sx[0] + ci * sx[1];
            let op = n * so[0] + ci * so[1];
            let ap = n * sa[0] + ci * sa[1];
            for oh in 0..g.out_h() {
                let y0 = g.row_start(oh);
                let (ylo, yhi) = Conv2dGeometry::inside(y0, fh, g.h());
                for ow in 0..g.out_w() {
                    let x0 = g.col_start(ow);
                    let (xlo, xhi) = Conv2dGeometry::inside(x0, fw, g.w());
                    let at = |fy: usize, fx: usize| {
                        let (iy, ix) = ((y0 + fy as isize) as usize, (x0 + fx as isize) as usize);
                        xs[xp + iy * sx[2] + ix * sx[3]]
                    };
                    let (mut best, mut best_k) = (at(ylo, xlo), (ylo * pw + xlo) as u32);
                    for fy in ylo..yhi {
                        for fx in xlo..xhi {
                            let v = at(fy, fx);
                            let better = v > best;
                            best = if better { v } else { best };
                            best_k = if better {
                                (fy * pw + fx) as u32
                            } else {
                                best_k
                            };
                        }
                    }
                    os[op + oh * so[2] + ow * so[3]] = best;
                    arg[ap + oh * sa[2] + ow * sa[3]] = best_k;
                }
            }
        }
    }
}

/// Max pooling backward: OVERWRITES `dx` (logical (N, C, H, W), any strides) with `dout`
/// (N, C, OH, OW) sent to each window's maximum, as recorded in `argmax` by
/// [`max_pool_forward_into`]; overlapping windows add up.
pub fn max_pool_backward_into<A: Float>(
    dout: ArrayView4<'_, A>,
    argmax: &Array4<u32>,
    g: &Conv2dGeometry,
    dx: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    check_pool_geometry(g)?;
    check_output("max pooling backward: dout", dout.shape(), g)?;
    check_output("max pooling backward: argmax", argmax.shape(), g)?;
    g.check_input("max pooling backward: dx", dx.shape())?;
    let (c, pw, window) = (g.c(), g.filter_w(), g.filter_h() * g.filter_w());
    let arg_view = argmax.view();
    // Windows that do not overlap, over channels-last memory: each input cell gets ONE value
    // (its window's gradient where it held the maximum, else 0), written in a vectorized pass
    // with no zero-filling first, except for cells no window covers.
    let apart = g.stride_h() >= g.filter_h() && g.stride_w() >= g.filter_w();
    let covered = g.pad() == Padding::default()
        && g.stride_h() == g.filter_h()
        && g.stride_w() == g.filter_w()
        && g.out_h() * g.filter_h() == g.h()
        && g.out_w() * g.filter_w() == g.w();
    with_input(arg_view, |arg, sa| {
        with_input(dout, |ds, sd| {
            let mut bad = None;
            with_output(dx, |xs, sx| {
                let channels_last = sx[1] == 1 && sd[1] == 1 && sa[1] == 1;
                // Where each window cell k lies from the window's corner, looked up rather
                // than divided out per element.
                let cell_offset = |k: usize| ((k / pw) * sx[2] + (k % pw) * sx[3]) as isize;
                let mut table = [0isize; 64];
                for (k, t) in table.iter_mut().enumerate().take(window) {
                    *t = cell_offset(k);
                }
                let cell_at = |k: usize| table.get(k).copied().unwrap_or_else(|| cell_offset(k));
                // Images `first..` of the batch, whose `dx` starts at `xs`; returns the first
                // window index outside the window (an argmax from another geometry), if any.
                let kernel = |g: &Conv2dGeometry, first: usize, xs: &mut [A]| -> Option<u32> {
                    let (arg, ds) = (&arg[first * sa[0]..], &ds[first * sd[0]..]);
                    let mut bad = None;
                    if !(channels_last && covered) {
                        xs.fill(A::zero());
                    }
                    for_each_window(g, |n, oh, ow, (ylo, yhi), (xlo, xhi), y0, x0| {
                        let db = offset(sd, [n, 0, oh, ow]);
                        let ab = offset(sa, [n, 0, oh, ow]);
                        let corner =
                            (n * sx[0]) as isize + y0 * sx[2] as isize + x0 * sx[3] as isize;
                        if let Some(&k) = arg[ab..ab + c].iter().find(|&&k| k as usize >= window) {
                            bad = Some(k);
                            return;
                        }
                        if channels_last && apart {
                            let (d, a) = (&ds[db..db + c], &arg[ab..ab + c]);
                            for fy in ylo..yhi {
                                for fx in xlo..xhi {
                                    let k = fy * pw + fx;
                                    let at = (corner + cell_at(k)) as usize;
                                    let cell = xs[at..at + c].iter_mut().zip(d).zip(a);
                                    for ((o, &v), &kk) in cell {
                                        *o = if kk as usize == k { v } else { A::zero() };
                                    }
                                }
                            }
                            return;
                        }
                        for ci in 0..c {
                            let k = arg[ab + ci * sa[1]] as usize;
                            let slot = &mut xs[(corner + cell_at(k)) as usize + ci * sx[1]];
                            *slot = *slot + ds[db + ci * sd[1]];
                        }
                    });
                    bad
                };
                let dims = [g.n(), g.c(), g.h(), g.w()];
                bad = match batch_halves(g, &[(dims, sx)]) {
                    Some((h, g0, g1)) => {
                        let (x0, x1) = xs.split_at_mut(h * sx[0]);
                        let (b0, b1) = join(|| kernel(&g0, 0, x0), || kernel(&g1, h, x1));
                        b0.or(b1)
                    }
                    None => kernel(g, 0, xs),
                };
            });
            match bad {
                Some(k) => Err(GeometryError(format!(
                    "max pooling backward: argmax holds window index {k} but the window has \
                     {window} cells; pass the argmax of the forward with the same geometry"
                ))),
                None => Ok(()),
            }
        })
    })
}

/// Average pooling forward: `out[n, c, oh, ow]` = the mean of the window's input cells
/// (padded cells not counted, as Keras' `AveragePooling2D`). Shapes as
/// [`max_pool_forward_into`].
pub fn avg_pool_forward_into<A: Float>(
    x: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    out: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    check_pool_geometry(g)?;
    g.check_input("average pooling: the input", x.shape())?;
    check_output("average pooling: the output", out.shape(), g)?;
    let c = g.c();
    with_input(x, |xs, sx| {
        with_output(out, |os, so| {
            for_each_window(g, |n, oh, ow, (ylo, yhi), (xlo, xhi), y0, x0| {
                let ob = offset(so, [n, 0, oh, ow]);
                for ci in 0..c {
                    os[ob + ci * so[1]] = A::zero();
                }
                for fy in ylo..yhi {
                    let iy = (y0 + fy as isize) as usize;
                    for fx in xlo..xhi {
                        let ix = (x0 + fx as isize) as usize;
                        let xb = offset(sx, [n, 0, iy, ix]);
                        if sx[1] == 1 && so[1] == 1 {
                            for (o, &v) in os[ob..ob + c].iter_mut().zip(&xs[xb..xb + c]) {
                                *o = *o + v;
                            }
                        } else {
                            for ci in 0..c {
                                let o = &mut os[ob + ci * so[1]];
                                *o = *o + xs[xb + ci * sx[1]];
                            }
                        }
                    }
                }
                let count = A::of(((yhi - ylo) * (xhi - xlo)) as f64);
                for ci in 0..c {
                    let o = &mut os[ob + ci * so[1]];
                    *o = *o / count;
                }
            });
        });
    });
    Ok(())
}

/// Average pooling backward: OVERWRITES `dx` (N, C, H, W) with each window's `dout / count`
/// added to each of its input cells.
pub fn avg_pool_backward_into<A: Float>(
    dout: ArrayView4<'_, A>,
    g: &Conv2dGeometry,
    dx: ArrayViewMut4<'_, A>,
) -> Result<(), GeometryError> {
    check_pool_geometry(g)?;
    check_output("average pooling backward: dout", dout.shape(), g)?;
    g.check_input("average pooling backward: dx", dx.shape())?;
    let c = g.c();
    with_input(dout, |ds, sd| {
        with_output(dx, |xs, sx| {
            xs.fill(A::zero());
            for_each_window(g, |n, oh, ow, (ylo, yhi), (xlo, xhi), y0, x0| {
                let db = offset(sd, [n, 0, oh, ow]);
                let count = A::of(((yhi - ylo) * (xhi - xlo)) as f64);
                for fy in ylo..yhi {
                    let iy = (y0 + fy as isize) as usize;
                    for fx in xlo..xhi {
                        let ix = (x0 + fx as isize) as usize;
                        let xb = offset(sx, [n, 0, iy, ix]);
                        if sx[1] == 1 && sd[1] == 1 {
                            for (o, &d) in xs[xb..xb + c].iter_mut().zip(&ds[db..db + c]) {
                                *o = *o + d / count;
                            }
                        } else {
                            for ci in 0..c {
                                let o = &mut xs[xb + ci * sx[1]];
                                *o = *o + ds[db + ci * sd[1]] / count;
                            }
                        }
                    }
                }
            });
        });
    });
    Ok(())
}

/// Which number a pooling window keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolKind {
    /// The largest (the book's `Pooling`, Keras' `MaxPooling2D`).
    Max,
    /// The mean (Keras' `AveragePooling2D`).
    Average,
}

/// The book's `Pooling` layer on (N, C, H, W) arrays, max or average: forward keeps the
/// argmax (max) or nothing but the geometry (average), backward routes `dout` back.
///
/// ```python
/// class Pooling:
///     def forward(self, x):
///         col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
///         col = col.reshape(-1, self.pool_h*self.pool_w)
///         arg_max = np.argmax(col, axis=1)
///         out = np.max(col, axis=1)
///         out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
/// ```
///
/// ```
/// use ch05_backprop::Mode;
/// use ch07_cnn::Pooling;
/// use ndarray::{Array4, array};
///
/// let x = array![[[[1.0, 2.0, 1.0, 0.0],
///                  [0.0, 1.0, 2.0, 3.0],
///                  [3.0, 0.0, 1.0, 2.0],
///                  [2.0, 4.0, 0.0, 1.0]]]];
/// let mut pool = Pooling::new(2, 2, 2, 0);            // the book's Pooling(2, 2, stride=2)
/// let y = pool.forward(&x, Mode::Train)?;
/// assert_eq!(y, array![[[[2.0, 3.0], [4.0, 2.0]]]]);
/// let dx = pool.backward(&Array4::<f64>::ones((1, 1, 2, 2)));
/// assert_eq!(dx.sum(), 4.0);                          // one winner per window
/// assert_eq!(dx[[0, 0, 1, 3]], 1.0);                  // the 3 of the top-right window
/// # Ok::<(), ch07_cnn::GeometryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pooling {
    /// Max or average.
    pub kind: PoolKind,
    pub pool_h: usize,
    pub pool_w: usize,
    /// (stride_h, stride_w).
    pub stride: (usize, usize),
    pub pad: Padding,
    /// The geometry of the last forward in `Mode::Train` (what backward needs).
    geometry: Option<Conv2dGeometry>,
    /// The window index of each output's maximum from the last forward (max pooling).
    arg_max: Array4<u32>,
}

impl Pooling {
    /// The book's `Pooling(pool_h, pool_w, stride=1, pad=0)`: max pooling.
    pub fn new(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Self {
        Self::with_geometry(
            PoolKind::Max,
            (pool_h, pool_w),
            (stride, stride),
            Padding::uniform(pad),
        )
    }

    /// Average pooling with the book's arguments.
    pub fn average(pool_h: usize, pool_w: usize, stride: usize, pad: usize) -> Self {
        Self::with_geometry(
            PoolKind::Average,
            (pool_h, pool_w),
            (stride, stride),
            Padding::uniform(pad),
        )
    }

    /// Any kind, window, strides and per-side padding (Keras' pooling layers).
    pub fn with_geometry(
        kind: PoolKind,
        pool: (usize, usize),
        stride: (usize, usize),
        pad: Padding,
    ) -> Self {
        Pooling {
            kind,
            pool_h: pool.0,
            pool_w: pool.1,
            stride,
            pad,
            geometry: None,
            arg_max: Array4::zeros((0, 0, 0, 0)),
        }
    }

    /// The checked geometry for an input of shape (N, C, H, W).
    pub fn geometry(
        &self,
        input_shape: (usize, usize, usize, usize),
    ) -> Result<Conv2dGeometry, GeometryError> {
        let g = Conv2dGeometry::new(
            input_shape,
            (self.pool_h, self.pool_w),
            self.stride,
            self.pad,
        )?;
        check_pool_geometry(&g)?;
        Ok(g)
    }

    /// The window index (`fy * pool_w + fx`) of each maximum of the last forward.
    pub fn arg_max(&self) -> &Array4<u32> {
        &self.arg_max
    }

    /// `out = pool(x)`, `x` (N, C, H, W) of any strides, `out` resized to (N, C, OH, OW) if
    /// needed. Errors if the window does not fit the input.
    pub fn forward_into<A: Float>(
        &mut self,
        x: ArrayView4<'_, A>,
        mode: Mode,
        out: &mut Array4<A>,
    ) -> Result<(), GeometryError> {
        let g = self.geometry(x.dim())?;
        let shape = pool_output_shape(&g);
        if out.dim() != shape {
            *out = Array4::zeros(shape);
        }
        match self.kind {
            PoolKind::Max => max_pool_forward_into(x, &g, out.view_mut(), &mut self.arg_max)?,
            PoolKind::Average => avg_pool_forward_into(x, &g, out.view_mut())?,
        }
        self.geometry = (mode == Mode::Train).then_some(g);
        Ok(())
    }

    /// The allocating form of [`Pooling::forward_into`].
    pub fn forward<A: Float>(
        &mut self,
        x: &ArrayRef4<A>,
        mode: Mode,
    ) -> Result<Array4<A>, GeometryError> {
        let mut out = Array4::zeros((0, 0, 0, 0));
        self.forward_into(x.view(), mode, &mut out)?;
        Ok(out)
    }

    /// `dx` (N, C, H, W) from `dout` (N, C, OH, OW), resizing `dx` if needed.
    ///
    /// # Panics
    /// Without a forward in `Mode::Train` first, or if `dout` does not have the shape of that
    /// forward's output (programmer errors, as in ch05's layers).
    pub fn backward_into<A: Float>(&mut self, dout: ArrayView4<'_, A>, dx: &mut Array4<A>) {
        let g = self
            .geometry
            .expect("Pooling::backward needs a forward in Mode::Train first");
        if dx.dim() != g.input_shape() {
            *dx = Array4::zeros(g.input_shape());
        }
        let result = match self.kind {
            PoolKind::Max => max_pool_backward_into(dout, &self.arg_max, &g, dx.view_mut()),
            PoolKind::Average => avg_pool_backward_into(dout, &g, dx.view_mut()),
        };
        if let Err(e) = result {
            panic!("Pooling::backward: {e}");
        }
    }

    /// The allocating form of [`Pooling::backward_into`].
    pub fn backward<A: Float>(&mut self, dout: &ArrayRef4<A>) -> Array4<A> {
        let mut dx = Array4::zeros((0, 0, 0, 0));
        self.backward_into(dout.view(), &mut dx);
        dx
    }
}
