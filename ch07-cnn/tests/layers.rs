//! Convolution and Pooling: gradient checks in f64 against central differences (ch05's
//! harness), the convolution against its nested-loop definition, max pooling's tie rule,
//! average pooling's padding rule, the Keras kernel layout, and errors for bad shapes.

use ch05_backprop::gradient_check::{Differentiable, check};
use ch05_backprop::{Mode, ParamMut};
use ch07_cnn::convolution::{
    conv_backward_rows, conv_forward_rows, keras_from_w_col, w_col_from_keras, w_col_view,
};
use ch07_cnn::direct::{
    conv_backward_direct, conv_forward_direct_into, conv_input_grad_direct_into, use_direct,
};
use ch07_cnn::im2col::{
    Conv2dGeometry, Padding, col2im_channels_last_into, im2col_channels_last_into, im2col_into,
};
use ch07_cnn::pooling::{
    avg_pool_backward_into, avg_pool_forward_into, max_pool_backward_into, max_pool_forward_into,
};
use ch07_cnn::{Convolution, PoolKind, Pooling};
use ndarray::{Array1, Array2, Array4, Zip, array};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use test_support::{Tol, arrays_close};

const TOL: f64 = 1e-6;

fn array4(shape: (usize, usize, usize, usize), values: Vec<f64>) -> Array4<f64> {
    Array4::from_shape_vec(shape, values).unwrap()
}

fn values(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0..2.0f64, len)
}

/// `f = sum(layer(x) * dout)`: its gradient is backward(dout) for `x` and the parameters.
struct ConvObjective {
    conv: Convolution<f64>,
    x: Array4<f64>,
    dout: Array4<f64>,
    dx: Array4<f64>,
}

impl Differentiable for ConvObjective {
    fn value(&mut self) -> f64 {
        let out = self.conv.forward(&self.x, Mode::Train).unwrap();
        Zip::from(&out)
            .and(&self.dout)
            .fold(0.0, |a, &o, &g| a + o * g)
    }
    fn value_and_gradient(&mut self) -> f64 {
        let v = self.value();
        self.dx = self.conv.backward(&self.dout);
        v
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            name: "x",
            value: self.x.view_mut().into_dyn(),
            grad: self.dx.view_mut().into_dyn(),
        });
        self.conv.for_each_param(f);
    }
}

struct PoolObjective {
    pool: Pooling,
    x: Array4<f64>,
    dout: Array4<f64>,
    dx: Array4<f64>,
}

impl Differentiable for PoolObjective {
    fn value(&mut self) -> f64 {
        let out = self.pool.forward(&self.x, Mode::Train).unwrap();
        Zip::from(&out)
            .and(&self.dout)
            .fold(0.0, |a, &o, &g| a + o * g)
    }
    fn value_and_gradient(&mut self) -> f64 {
        let v = self.value();
        self.dx = self.pool.backward(&self.dout);
        v
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            name: "x",
            value: self.x.view_mut().into_dyn(),
            grad: self.dx.view_mut().into_dyn(),
        });
    }
}

/// ((N, C, H, W), (FN, FH, FW), stride, pad).
type ConvShape = (
    (usize, usize, usize, usize),
    (usize, usize, usize),
    usize,
    usize,
);

/// Batch 1-3, 1-3 channels, rectangular filters, strides 1-3, padding 0-2.
fn conv_shape() -> impl Strategy<Value = ConvShape> {
    (
        (1usize..4, 1usize..4, 3usize..8, 3usize..8),
        (1usize..4, 1usize..4, 1usize..4),
        1usize..4,
        0usize..3,
    )
        .prop_filter("filter fits", |((_, _, h, w), (_, fh, fw), _, pad)| {
            fh <= &(h + 2 * pad) && fw <= &(w + 2 * pad)
        })
}

fn conv_case() -> impl Strategy<
    Value = (
        Array4<f64>,
        Array1<f64>,
        usize,
        usize,
        Array4<f64>,
        Array4<f64>,
    ),
> {
    conv_shape().prop_flat_map(|((n, c, h, w), (fn_, fh, fw), stride, pad)| {
        let g = Conv2dGeometry::book((n, c, h, w), fh, fw, stride, pad).unwrap();
        let out = (n, fn_, g.out_h(), g.out_w());
        (
            values(fn_ * c * fh * fw).prop_map(move |v| array4((fn_, c, fh, fw), v)),
            values(fn_).prop_map(Array1::from),
            Just(stride),
            Just(pad),
            values(n * c * h * w).prop_map(move |v| array4((n, c, h, w), v)),
            values(out.0 * out.1 * out.2 * out.3).prop_map(move |v| array4(out, v)),
        )
    })
}

/// The definition: out[n, f, i, j] = b[f] + sum_{c, fy, fx} W[f, c, fy, fx] x_pad[n, c, i s + fy, j s + fx].
fn direct_convolution(
    x: &Array4<f64>,
    w: &Array4<f64>,
    b: &Array1<f64>,
    g: &Conv2dGeometry,
) -> Array4<f64> {
    let (n, c, h, wd) = x.dim();
    let (fn_, _, fh, fw) = w.dim();
    let pad = g.pad();
    let mut out = Array4::zeros((n, fn_, g.out_h(), g.out_w()));
    for ni in 0..n {
        for f in 0..fn_ {
            for i in 0..g.out_h() {
                for j in 0..g.out_w() {
                    let mut acc = b[f];
                    for ci in 0..c {
                        for fy in 0..fh {
                            for fx in 0..fw {
                                let iy = (i * g.stride_h() + fy) as isize - pad.top as isize;
                                let ix = (j * g.stride_w() + fx) as isize - pad.left as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < wd {
                                    acc +=
                                        w[[f, ci, fy, fx]] * x[[ni, ci, iy as usize, ix as usize]];
                                }
                            }
                        }
                    }
                    out[[ni, f, i, j]] = acc;
                }
            }
        }
    }
    out
}

/// A channels-last convolution case: batch 1-3, 1-3 channels, 3-8 by 3-8 images, 1-69
/// filters (the direct kernels' 16-filter blocks with tails, and their 64-filter group), windows
/// 1-3 by 1-3, strides 1-2 per axis, padding 0-2 on each side.
fn nhwc_conv() -> impl Strategy<Value = (Conv2dGeometry, usize)> {
    nhwc_conv_over(1..4, (0usize..3, 0usize..3, 0usize..3, 0usize..3).boxed())
}

/// Wide windows (4-40 channels: up to 360 taps), half of them without padding: the wide
/// kernels' fast paths take runs of outputs whose windows lie inside the image, and the other
/// half reaches into padding on some side.
fn wide_nhwc_conv() -> impl Strategy<Value = (Conv2dGeometry, usize)> {
    let pads = prop_oneof![
        Just((0, 0, 0, 0)),
        (0usize..3, 0usize..3, 0usize..3, 0usize..3)
    ];
    nhwc_conv_over(4..41, pads.boxed())
}

/// [`nhwc_conv`] with `channels` input channels and paddings (top, bottom, left, right).
fn nhwc_conv_over(
    channels: std::ops::Range<usize>,
    pads: BoxedStrategy<(usize, usize, usize, usize)>,
) -> impl Strategy<Value = (Conv2dGeometry, usize)> {
    (
        (1usize..4, channels, 3usize..9, 3usize..9),
        (1usize..70, 1usize..4, 1usize..4),
        (1usize..3, 1usize..3),
        pads,
    )
        .prop_map(
            |((n, c, h, w), (fn_, fh, fw), (sh, sw), (top, bottom, left, right))| {
                let pad = Padding {
                    top,
                    bottom,
                    left,
                    right,
                };
                let g = Conv2dGeometry::new((n, c, h, w), (fh, fw), (sh, sw), pad).unwrap();
                (g, fn_)
            },
        )
}

/// Distinct values at least 0.3 apart (a shuffled ramp): no ties within any difference step.
fn distinct(shape: (usize, usize, usize, usize), seed: u64) -> Array4<f64> {
    let len = shape.0 * shape.1 * shape.2 * shape.3;
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed | 1;
    for i in (1..len).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    array4(
        shape,
        order
            .iter()
            .map(|&k| k as f64 * 0.3 - len as f64 * 0.15)
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn convolution_gradients_match_central_differences((w, b, stride, pad, x, dout) in conv_case()) {
        let conv = Convolution::new(w, b, stride, pad).unwrap();
        let mut objective = ConvObjective { conv, x, dout, dx: Array4::zeros((0, 0, 0, 0)) };
        let report = check(&mut objective);
        prop_assert_eq!(report.errors.len(), 3); // x, W, b
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn convolution_is_the_nested_loop_definition((w, b, stride, pad, x, _dout) in conv_case()) {
        let g = Conv2dGeometry::book(x.dim(), w.dim().2, w.dim().3, stride, pad).unwrap();
        let expected = direct_convolution(&x, &w, &b, &g);
        let mut conv = Convolution::new(w, b, stride, pad).unwrap();
        let out = conv.forward(&x, Mode::Eval).unwrap();
        prop_assert!(arrays_close(&out, &expected, Tol::abs(1e-12)), "{:?}\n{:?}", out, expected);
    }

    /// Asymmetric padding and different strides per axis through the row functions, on
    /// channels-last memory: the product equals the definition too.
    #[test]
    fn row_form_on_nhwc_is_the_definition(
        (g, fn_) in nhwc_conv(),
        seed in 0u64..100,
    ) {
        let (n, c, h, w) = g.input_shape();
        let (fh, fw) = (g.filter_h(), g.filter_w());
        let x = distinct((n, c, h, w), seed) * 0.1;
        let wt = distinct((fn_, c, fh, fw), seed + 1) * 0.1;
        let b = Array1::from_shape_fn(fn_, |i| i as f64 * 0.5);
        let expected = direct_convolution(&x, &wt, &b, &g);
        let nhwc = x.view().permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned();
        let mut col = Array2::zeros((0, 0));
        im2col_into(nhwc.view().permuted_axes([0, 3, 1, 2]), &g, &mut col).unwrap();
        let mut rows = Array2::zeros((0, 0));
        conv_forward_rows(&col, &w_col_view(&wt).unwrap(), &b, &mut rows);
        // rows (N*OH*OW, FN) is NHWC memory of the output
        let out = rows.into_shape_with_order((n, g.out_h(), g.out_w(), fn_)).unwrap();
        let out = out.permuted_axes([0, 3, 1, 2]);
        prop_assert!(arrays_close(&out, &expected, Tol::abs(1e-12)));
    }

    #[test]
    fn max_pooling_gradient_matches_central_differences(
        (n, c, h, w) in (1usize..3, 1usize..4, 2usize..7, 2usize..7),
        (ph, pw, stride) in (1usize..4, 1usize..4, 1usize..4),
        seed in 0u64..1000,
    ) {
        prop_assume!(ph <= h && pw <= w);
        let x = distinct((n, c, h, w), seed);
        let pool = Pooling::new(ph, pw, stride, 0);
        let g = pool.geometry(x.dim()).unwrap();
        let dout = distinct((n, c, g.out_h(), g.out_w()), seed + 3) * 0.1;
        let mut objective = PoolObjective { pool, x, dout, dx: Array4::zeros((0, 0, 0, 0)) };
        let report = check(&mut objective);
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn average_pooling_gradient_matches_central_differences(
        (n, c, h, w) in (1usize..3, 1usize..4, 2usize..7, 2usize..7),
        (ph, pw, stride) in (1usize..4, 1usize..4, 1usize..4),
        pad in 0usize..2,
        seed in 0u64..1000,
    ) {
        prop_assume!(ph <= h + 2 * pad && pw <= w + 2 * pad && pad < ph && pad < pw);
        let x = distinct((n, c, h, w), seed);
        let pool = Pooling::average(ph, pw, stride, pad);
        let g = pool.geometry(x.dim()).unwrap();
        let dout = distinct((n, c, g.out_h(), g.out_w()), seed + 3) * 0.1;
        let mut objective = PoolObjective { pool, x, dout, dx: Array4::zeros((0, 0, 0, 0)) };
        let report = check(&mut objective);
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    /// The pooling kernels give the same numbers on channels-last memory.
    #[test]
    fn pooling_kernels_agree_on_nhwc_views(
        (n, c, h, w) in (1usize..3, prop_oneof![1usize..5, 14usize..40], 2usize..7, 2usize..7),
        (ph, pw, sh, sw) in (1usize..4, 1usize..4, 1usize..3, 1usize..3),
        seed in 0u64..1000,
    ) {
        let pad = Padding::same((h, w), (ph, pw), (sh, sw));
        prop_assume!(pad.top.max(pad.bottom) < ph && pad.left.max(pad.right) < pw);
        let g = Conv2dGeometry::new((n, c, h, w), (ph, pw), (sh, sw), pad).unwrap();
        let x = distinct((n, c, h, w), seed);
        let nhwc = x.view().permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned();
        let xv = nhwc.view().permuted_axes([0, 3, 1, 2]);
        let oshape = (n, c, g.out_h(), g.out_w());
        let (mut out1, mut arg1) = (Array4::zeros(oshape), Array4::zeros((0, 0, 0, 0)));
        max_pool_forward_into(x.view(), &g, out1.view_mut(), &mut arg1).unwrap();
        let mut out2 = Array4::zeros((n, g.out_h(), g.out_w(), c));
        let mut arg2 = Array4::zeros((0, 0, 0, 0));
        max_pool_forward_into(xv, &g, out2.view_mut().permuted_axes([0, 3, 1, 2]), &mut arg2).unwrap();
        prop_assert_eq!(out2.view().permuted_axes([0, 3, 1, 2]), out1.view());
        prop_assert_eq!(&arg1, &arg2);
        let dout = distinct(oshape, seed + 1);
        let mut dx1 = Array4::zeros((n, c, h, w));
        max_pool_backward_into(dout.view(), &arg1, &g, dx1.view_mut()).unwrap();
        let mut dx2 = Array4::from_elem((n, h, w, c), f64::NAN);
        max_pool_backward_into(dout.view(), &arg1, &g, dx2.view_mut().permuted_axes([0, 3, 1, 2])).unwrap();
        prop_assert_eq!(dx2.view().permuted_axes([0, 3, 1, 2]), dx1.view());
        // All three channels-last, as keras-lite passes them (its fast path for windows that
        // do not overlap): every cell written, the same values.
        let dout_nhwc = dout.view().permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned();
        let mut dx3 = Array4::from_elem((n, h, w, c), f64::NAN);
        max_pool_backward_into(
            dout_nhwc.view().permuted_axes([0, 3, 1, 2]),
            &arg2,
            &g,
            dx3.view_mut().permuted_axes([0, 3, 1, 2]),
        ).unwrap();
        prop_assert_eq!(dx3.view().permuted_axes([0, 3, 1, 2]), dx1.view());

        avg_pool_forward_into(x.view(), &g, out1.view_mut()).unwrap();
        avg_pool_forward_into(xv, &g, out2.view_mut().permuted_axes([0, 3, 1, 2])).unwrap();
        prop_assert!(arrays_close(&out2.view().permuted_axes([0, 3, 1, 2]), &out1, Tol::abs(1e-12)));
        avg_pool_backward_into(dout.view(), &g, dx1.view_mut()).unwrap();
        avg_pool_backward_into(dout.view(), &g, dx2.view_mut().permuted_axes([0, 3, 1, 2])).unwrap();
        prop_assert!(arrays_close(&dx2.view().permuted_axes([0, 3, 1, 2]), &dx1, Tol::abs(1e-12)));
    }
}

#[test]
fn max_pooling_ties_go_to_the_first_maximum_in_row_major_order() {
    // One 2x2 window of equal values, then a window with the max at positions 1 and 3.
    let x = array![[[[1.0, 1.0, 0.0, 5.0], [1.0, 1.0, 0.0, 5.0]]]];
    let mut pool = Pooling::new(2, 2, 2, 0);
    let y = pool.forward(&x, Mode::Train).unwrap();
    assert_eq!(y, array![[[[1.0, 5.0]]]]);
    assert_eq!(pool.arg_max(), &array![[[[0u32, 1]]]]); // NumPy's argmax: the first one
    let dx = pool.backward(&array![[[[2.0, 3.0]]]]);
    assert_eq!(dx, array![[[[2.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 0.0]]]]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Many ties (values 0, 1, 2): the channels-last kernel picks the same first maximum as
    /// the plane-by-plane one (with 14-39 channels too: its 16-channel blocks and their tails).
    #[test]
    fn max_pooling_tie_rule_is_the_same_on_every_layout(
        (n, c, h, w) in (1usize..3, prop_oneof![1usize..6, 14usize..40], 2usize..7, 2usize..7),
        (ph, pw, s) in (1usize..4, 1usize..4, 1usize..3),
        seed in 0u64..1000,
    ) {
        prop_assume!(ph <= h && pw <= w);
        let x = distinct((n, c, h, w), seed).mapv(|v| (v / 0.3).round().abs() % 3.0);
        let g = Conv2dGeometry::new((n, c, h, w), (ph, pw), (s, s), Padding::default()).unwrap();
        let oshape = (n, c, g.out_h(), g.out_w());
        let (mut out1, mut arg1) = (Array4::zeros(oshape), Array4::zeros((0, 0, 0, 0)));
        max_pool_forward_into(x.view(), &g, out1.view_mut(), &mut arg1).unwrap();
        let nhwc = x.view().permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned();
        let mut out2 = Array4::zeros((n, g.out_h(), g.out_w(), c));
        let mut arg2 = Array4::zeros((0, 0, 0, 0));
        let xv = nhwc.view().permuted_axes([0, 3, 1, 2]);
        max_pool_forward_into(xv, &g, out2.view_mut().permuted_axes([0, 3, 1, 2]), &mut arg2).unwrap();
        prop_assert_eq!(out2.view().permuted_axes([0, 3, 1, 2]), out1.view());
        prop_assert_eq!(&arg1, &arg2);
        // and the winner is the first maximum in row-major window order
        for ((ni, ci, i, j), &k) in arg1.indexed_iter() {
            let (k, m) = (k as usize, out1[[ni, ci, i, j]]);
            let at = |q: usize| x[[ni, ci, i * s + q / pw, j * s + q % pw]];
            prop_assert_eq!(at(k), m);
            prop_assert!((0..k).all(|q| at(q) < m));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// NaNs among ties (values 0, 1, 2, NaN): a NaN in a window's first cell is its maximum
    /// (with that cell's index), a later NaN never wins, on every layout alike (bit for bit).
    #[test]
    fn max_pooling_nan_rule_is_the_same_on_every_layout(
        (n, c, h, w) in (1usize..3, prop_oneof![1usize..6, 14usize..40], 2usize..7, 2usize..7),
        (ph, pw, s) in (1usize..4, 1usize..4, 1usize..3),
        seed in 0u64..1000,
    ) {
        prop_assume!(ph <= h && pw <= w);
        let x = distinct((n, c, h, w), seed)
            .mapv(|v| match (v / 0.3).round().abs() % 4.0 { 3.0 => f64::NAN, v => v });
        let g = Conv2dGeometry::new((n, c, h, w), (ph, pw), (s, s), Padding::default()).unwrap();
        let oshape = (n, c, g.out_h(), g.out_w());
        let (mut out1, mut arg1) = (Array4::zeros(oshape), Array4::zeros((0, 0, 0, 0)));
        max_pool_forward_into(x.view(), &g, out1.view_mut(), &mut arg1).unwrap();
        let nhwc = x.view().permuted_axes([0, 2, 3, 1]).as_standard_layout().into_owned();
        let mut out2 = Array4::zeros((n, g.out_h(), g.out_w(), c));
        let mut arg2 = Array4::zeros((0, 0, 0, 0));
        let xv = nhwc.view().permuted_axes([0, 3, 1, 2]);
        max_pool_forward_into(xv, &g, out2.view_mut().permuted_axes([0, 3, 1, 2]), &mut arg2).unwrap();
        let bits = |a: ndarray::ArrayView4<f64>| a.mapv(f64::to_bits);
        prop_assert_eq!(bits(out2.view().permuted_axes([0, 3, 1, 2])), bits(out1.view()));
        prop_assert_eq!(&arg1, &arg2);
        for ((ni, ci, i, j), &k) in arg1.indexed_iter() {
            let at = |q: usize| x[[ni, ci, i * s + q / pw, j * s + q % pw]];
            let m = out1[[ni, ci, i, j]];
            if at(0).is_nan() {
                prop_assert!(k == 0 && m.is_nan());
            } else {
                let numbers = (0..ph * pw).map(at).filter(|v| !v.is_nan());
                prop_assert_eq!(m, numbers.fold(f64::NEG_INFINITY, f64::max));
                prop_assert_eq!(at(k as usize), m);
            }
        }
    }
}

#[test]
fn padded_cells_never_win_and_are_not_averaged() {
    // All-negative input, "same" padding: a zero-padded max would return 0.
    let x = array![[[[-3.0, -1.0, -2.0], [-4.0, -5.0, -6.0], [-7.0, -8.0, -9.0]]]];
    let pad = Padding::same((3, 3), (2, 2), (2, 2));
    assert_eq!((pad.top, pad.bottom, pad.left, pad.right), (0, 1, 0, 1));
    let mut max = Pooling::with_geometry(PoolKind::Max, (2, 2), (2, 2), pad);
    assert_eq!(
        max.forward(&x, Mode::Eval).unwrap(),
        array![[[[-1.0, -2.0], [-7.0, -9.0]]]]
    );
    let mut avg = Pooling::with_geometry(PoolKind::Average, (2, 2), (2, 2), pad);
    let y = avg.forward(&x, Mode::Train).unwrap();
    assert_eq!(y, array![[[[-13.0 / 4.0, -4.0], [-7.5, -9.0]]]]);
    let dx = avg.backward(&array![[[[4.0, 2.0], [2.0, 1.0]]]]);
    assert_eq!(
        dx,
        array![[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]]
    );
}

#[test]
fn pooling_and_convolution_reject_bad_shapes() {
    let x = Array4::<f64>::zeros((1, 1, 3, 3));
    let e = Pooling::new(4, 4, 1, 0)
        .forward(&x, Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
    let e = Pooling::new(2, 2, 1, 2)
        .forward(&x, Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("smaller than"), "{e}");
    let e = Pooling::new(2, 2, 0, 0)
        .forward(&x, Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("stride"), "{e}");

    let w = Array4::<f64>::zeros((2, 3, 3, 3));
    assert!(Convolution::new(w.clone(), Array1::zeros(3), 1, 0).is_err()); // one bias per filter
    let mut conv = Convolution::new(w, Array1::zeros(2), 1, 0).unwrap();
    let e = conv
        .forward(&Array4::zeros((1, 2, 5, 5)), Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("channels"), "{e}");
    let e = conv
        .forward(&Array4::zeros((1, 3, 2, 5)), Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");

    let g = Conv2dGeometry::book((1, 1, 4, 4), 2, 2, 2, 0).unwrap();
    let bad_arg = Array4::from_elem((1, 1, 2, 2), 9u32);
    let mut dx = Array4::<f64>::zeros((1, 1, 4, 4));
    let e = max_pool_backward_into(
        Array4::zeros((1, 1, 2, 2)).view(),
        &bad_arg,
        &g,
        dx.view_mut(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("window index 9"), "{e}");
}

#[test]
fn row_backward_is_the_books_backward() {
    // conv_backward_rows gives dW_col = col^T dout, db = column sums, dcol = dout W_col^T.
    let col = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let w_col = array![[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]];
    let dout = array![[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [1.0, 1.0, 1.0]];
    let mut dw = Array2::zeros((2, 3));
    let mut db = Array1::zeros(0);
    let mut dcol = Array2::zeros((0, 0));
    conv_backward_rows(&col, &w_col, &dout, &mut dw, &mut db, Some(&mut dcol));
    assert_eq!(dw, col.t().dot(&dout));
    assert_eq!(db, array![2.0, 2.0, 3.0]);
    assert_eq!(dcol, dout.dot(&w_col.t()));
}

#[test]
fn keras_kernel_layout_round_trips() {
    // Keras (KH, KW, C_in, C_out) -> W_col rows (c, fh, fw) -> back.
    let kernel = Array4::from_shape_fn((3, 2, 4, 5), |(a, b, c, d)| {
        (a * 1000 + b * 100 + c * 10 + d) as f64
    });
    let w_col = w_col_from_keras(&kernel);
    assert_eq!(w_col.dim(), (4 * 3 * 2, 5));
    // row (c=1, fh=2, fw=1) = 1*6 + 2*2 + 1 = 11, column 3: kernel[2, 1, 1, 3]
    assert_eq!(w_col[[11, 3]], kernel[[2, 1, 1, 3]]);
    assert_eq!(keras_from_w_col(&w_col, 3, 2, 4).unwrap(), kernel);
    assert!(keras_from_w_col(&w_col, 3, 3, 4).is_err());
    // and W_col matches the book's W.reshape(FN, -1).T for W[f, c, fh, fw] = kernel[fh, fw, c, f]
    let w = kernel
        .view()
        .permuted_axes([3, 2, 0, 1])
        .as_standard_layout()
        .into_owned();
    assert_eq!(w_col_view(&w).unwrap(), w_col.view());
}

#[test]
fn eval_forward_keeps_nothing_and_first_layer_skips_dx() {
    let w = Array4::from_elem((2, 1, 2, 2), 0.5);
    let mut conv = Convolution::new(w, Array1::zeros(2), 1, 0).unwrap();
    let x = Array4::from_elem((1, 1, 3, 3), 1.0);
    conv.forward(&x, Mode::Train).unwrap();
    conv.set_needs_input_grad(false);
    let dx = conv.backward(&Array4::ones((1, 2, 2, 2)));
    assert_eq!(dx.dim(), (0, 0, 0, 0));
    assert_eq!(conv.dw, Array4::from_elem((2, 1, 2, 2), 4.0));
    conv.forward(&x, Mode::Eval).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conv.backward(&Array4::ones((1, 2, 2, 2)))
    }));
    assert!(
        r.is_err(),
        "backward after an Eval forward is a programmer error"
    );
}

#[test]
fn pooling_keeps_its_argmax_buffer_at_a_fixed_shape() {
    // Channels-last input, and a window covering the whole image (a 1x1 output).
    for (h, w) in [(6, 6), (2, 2)] {
        let x = distinct((3, h, w, 4), 1);
        let xv = x.view().permuted_axes([0, 3, 1, 2]);
        let g = Conv2dGeometry::new((3, 4, h, w), (2, 2), (2, 2), Padding::default()).unwrap();
        let mut out = Array4::zeros((3, 4, g.out_h(), g.out_w()));
        let mut argmax = Array4::zeros((0, 0, 0, 0));
        max_pool_forward_into(xv, &g, out.view_mut(), &mut argmax).unwrap();
        let before = argmax.as_ptr();
        max_pool_forward_into(xv, &g, out.view_mut(), &mut argmax).unwrap();
        assert_eq!(argmax.as_ptr(), before, "no reallocation at the same shape");
    }
}

/// Channels-last memory (N, H, W, C) as the logical (N, C, H, W) view, or the view itself.
fn as_nchw(a: ndarray::ArrayView4<'_, f64>, channels_last: bool) -> ndarray::ArrayView4<'_, f64> {
    if channels_last {
        a.permuted_axes([0, 3, 1, 2])
    } else {
        a
    }
}

/// A batch big enough to be pooled as two halves on two cores (8 images of 16x16x16) gives
/// exactly what pooling each image alone gives (one image is never split), on NCHW memory and
/// on channels-last memory, forward and backward. With `DLFS_THREADS=1` both sides run on one
/// core, and the numbers must not differ either.
#[test]
fn pooling_a_big_batch_in_halves_is_pooling_each_image() {
    let (n, c, h, w) = (8, 16, 16, 16);
    let g = Conv2dGeometry::new((n, c, h, w), (2, 2), (2, 2), Padding::default()).unwrap();
    let g1 = g.with_batch(1).unwrap();
    let x = distinct((n, c, h, w), 7);
    let oshape = (n, c, g.out_h(), g.out_w());
    let dout = distinct(oshape, 8);
    for channels_last in [false, true] {
        let x_mem = if channels_last {
            x.view()
                .permuted_axes([0, 2, 3, 1])
                .as_standard_layout()
                .into_owned()
        } else {
            x.clone()
        };
        let xv = as_nchw(x_mem.view(), channels_last);
        let (mut out, mut arg) = (Array4::zeros(oshape), Array4::zeros((0, 0, 0, 0)));
        max_pool_forward_into(xv, &g, out.view_mut(), &mut arg).unwrap();
        let mut dx = Array4::from_elem(x_mem.raw_dim(), f64::NAN);
        let dxv = if channels_last {
            dx.view_mut().permuted_axes([0, 3, 1, 2])
        } else {
            dx.view_mut()
        };
        max_pool_backward_into(dout.view(), &arg, &g, dxv).unwrap();
        let dx = as_nchw(dx.view(), channels_last).to_owned();
        for i in 0..n {
            let one = |a: &Array4<f64>| a.slice(ndarray::s![i..i + 1, .., .., ..]).to_owned();
            let (mut out1, mut arg1) = (
                Array4::zeros((1, c, g.out_h(), g.out_w())),
                Array4::zeros((0, 0, 0, 0)),
            );
            max_pool_forward_into(one(&x).view(), &g1, out1.view_mut(), &mut arg1).unwrap();
            assert_eq!(out1, one(&out), "image {i}, channels_last {channels_last}");
            let mut dx1 = Array4::zeros((1, c, h, w));
            max_pool_backward_into(one(&dout).view(), &arg1, &g1, dx1.view_mut()).unwrap();
            assert_eq!(dx1, one(&dx), "image {i}, channels_last {channels_last}");
        }
    }
}

/// The book's filters (FN, C, FH, FW) as the (KH*KW*C, FN) matrix of Keras' kernel order
/// (rows (fy, fx, c)), which the channels-last kernels take.
fn w_col_channels_last(w: &Array4<f64>) -> Array2<f64> {
    let (fn_, c, fh, fw) = w.dim();
    Array2::from_shape_fn((fh * fw * c, fn_), |(t, f)| {
        w[[f, t % c, t / (fw * c), (t / c) % fw]]
    })
}

/// `ch07_cnn::direct`'s forward on channels-last memory against the six-loop definition,
/// kernel values `w_scale` times distinct values.
fn check_direct_forward(
    g: &Conv2dGeometry,
    fn_: usize,
    seed: u64,
    w_scale: f64,
    tol: Tol,
) -> Result<(), TestCaseError> {
    let (n, c, h, w) = g.input_shape();
    let (fh, fw) = (g.filter_h(), g.filter_w());
    let x = distinct((n, c, h, w), seed) * 0.1;
    let wt = distinct((fn_, c, fh, fw), seed + 1) * w_scale;
    let b = Array1::from_shape_fn(fn_, |i| i as f64 * 0.5 - 1.0);
    let expected = direct_convolution(&x, &wt, &b, g);
    let nhwc = x
        .view()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned();
    let mut rows = Array2::zeros((0, 0));
    conv_forward_direct_into(
        nhwc.as_slice().unwrap(),
        g,
        &w_col_channels_last(&wt),
        &b,
        &mut rows,
    );
    let out = rows
        .into_shape_with_order((n, g.out_h(), g.out_w(), fn_))
        .unwrap();
    let out = out.permuted_axes([0, 3, 1, 2]);
    prop_assert!(
        arrays_close(&out, &expected, tol),
        "{:?}\n{:?}",
        out,
        expected
    );
    Ok(())
}

/// `ch07_cnn::direct`'s backward against `conv_backward_rows` on `im2col_channels_last(x)`
/// (whose products are checked against central differences above): dW and db within `tol`,
/// dcol, and the input gradient without dcol against `col2im` of it.
fn check_direct_backward(
    g: &Conv2dGeometry,
    fn_: usize,
    seed: u64,
    w_scale: f64,
    tol: Tol,
) -> Result<(), TestCaseError> {
    let (n, c, h, w) = g.input_shape();
    let (fh, fw) = (g.filter_h(), g.filter_w());
    let x = distinct((n, c, h, w), seed) * 0.1;
    let nhwc = x
        .view()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned();
    let w_col = w_col_channels_last(&(distinct((fn_, c, fh, fw), seed + 1) * w_scale));
    let rows = n * g.out_h() * g.out_w();
    let dout = distinct((1, 1, rows, fn_), seed + 2)
        .into_shape_with_order((rows, fn_))
        .unwrap()
        * 0.01;
    let mut col = Array2::zeros((0, 0));
    im2col_channels_last_into(nhwc.view(), g, &mut col).unwrap();
    let (mut dw, mut db, mut dcol) = (
        Array2::zeros(w_col.dim()),
        Array1::zeros(0),
        Array2::zeros((0, 0)),
    );
    conv_backward_rows(&col, &w_col, &dout, &mut dw, &mut db, Some(&mut dcol));
    let (mut dw2, mut db2, mut dcol2) = (
        Array2::from_elem(w_col.dim(), 7.0),
        Array1::zeros(0),
        Array2::zeros((0, 0)),
    );
    conv_backward_direct(
        nhwc.as_slice().unwrap(),
        g,
        &w_col,
        &dout,
        &mut dw2,
        &mut db2,
        Some(&mut dcol2),
    );
    prop_assert!(arrays_close(&dw2, &dw, tol), "dW {:?}\n{:?}", dw2, dw);
    prop_assert!(arrays_close(&db2, &db, tol), "db {:?}\n{:?}", db2, db);
    prop_assert!(arrays_close(&dcol2, &dcol, Tol::abs(1e-12)));

    let mut dx = Array4::zeros((n, h, w, c));
    col2im_channels_last_into(dcol.view(), g, dx.view_mut()).unwrap();
    let mut dx2 = vec![f64::NAN; n * h * w * c];
    conv_input_grad_direct_into(&dout, g, &w_col, &mut dx2);
    let dx2 = Array4::from_shape_vec((n, h, w, c), dx2).unwrap();
    prop_assert!(
        arrays_close(&dx2, &dx, Tol::abs(1e-10)),
        "dx {:?}\n{:?}",
        dx2,
        dx
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `ch07_cnn::direct` (no im2col) against the six-loop definition, on shapes that reach
    /// into the padding on every side, with strides per axis, and filter counts that are not
    /// multiples of its 16-filter blocks (1-40, crossing the 64-filter group at 40 too).
    #[test]
    fn direct_forward_is_the_definition((g, fn_) in nhwc_conv(), seed in 0u64..100) {
        prop_assume!(use_direct(&g));
        check_direct_forward(&g, fn_, seed, 0.1, Tol::abs(1e-12))?;
    }

    /// The direct backward (dW, db, dcol, and dx without dcol) equals the im2col backward.
    #[test]
    fn direct_backward_is_the_im2col_backward((g, fn_) in nhwc_conv(), seed in 0u64..100) {
        prop_assume!(use_direct(&g));
        // The sums reach ~1000 (distinct values up to ~100), added in another order: relative.
        check_direct_backward(&g, fn_, seed, 0.1, Tol::both(1e-12))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Wide windows (up to 360 taps, more than the forward kernel's 288-tap pass, and channel
    /// counts that are not multiples of the input gradient's 32): the forward against the
    /// six-loop definition, padding and strides included.
    #[test]
    fn direct_forward_of_wide_windows_is_the_definition(
        (g, fn_) in wide_nhwc_conv(),
        seed in 0u64..100,
    ) {
        check_direct_forward(&g, fn_, seed, 0.01, Tol::abs(1e-10))?;
    }

    /// Wide windows' backward: dW, db and dcol against `conv_backward_rows` on
    /// `im2col_channels_last(x)`, and the input gradient without `dcol` against `col2im` of it.
    #[test]
    fn direct_backward_of_wide_windows_is_the_im2col_backward(
        (g, fn_) in wide_nhwc_conv(),
        seed in 0u64..100,
    ) {
        check_direct_backward(&g, fn_, seed, 0.01, Tol::abs(1e-10))?;
    }
}

/// At the first layer of keras-lite's CNN (28x28x1, 32 filters 3x3), with a batch big enough
/// for the two-core split (two halves of the images): the same numbers as
/// im2col and the products, in f32, and bit for bit the same as the batch's images computed
/// one at a time (so the split changes no sum).
#[test]
fn direct_at_the_cnn_examples_first_layer() {
    let (n, h, w, fn_) = (8, 28, 28, 32);
    let g = Conv2dGeometry::new((n, 1, h, w), (3, 3), (1, 1), Padding::default()).unwrap();
    assert!(use_direct(&g));
    let x = (distinct((n, 1, h, w), 3) * 1e-3).mapv(|v| v as f32);
    let x = x.as_slice().unwrap(); // one channel: NCHW memory is NHWC memory
    let w_col = (distinct((1, 1, 9, fn_), 4) * 1e-2)
        .mapv(|v| v as f32)
        .into_shape_with_order((9, fn_))
        .unwrap();
    let b = Array1::from_shape_fn(fn_, |i| i as f32 * 0.01);
    let mut col = Array2::zeros((0, 0));
    im2col_channels_last_into(
        ndarray::ArrayView4::from_shape((n, h, w, 1), x).unwrap(),
        &g,
        &mut col,
    )
    .unwrap();
    let (mut z, mut z_direct) = (Array2::zeros((0, 0)), Array2::zeros((0, 0)));
    conv_forward_rows(&col, &w_col, &b, &mut z);
    conv_forward_direct_into(x, &g, &w_col, &b, &mut z_direct);
    assert!(arrays_close(&z_direct, &z, Tol::abs(1e-5)));
    let dout = z.mapv(|v| (v * 7.0).sin());
    let (mut dw, mut db) = (Array2::zeros((9, fn_)), Array1::zeros(0));
    conv_backward_rows(&col, &w_col, &dout, &mut dw, &mut db, None);
    let (mut dw_direct, mut db_direct) = (Array2::zeros((9, fn_)), Array1::zeros(0));
    conv_backward_direct(x, &g, &w_col, &dout, &mut dw_direct, &mut db_direct, None);
    assert!(
        arrays_close(&dw_direct, &dw, Tol::both(1e-4)),
        "{dw_direct:?}\n{dw:?}"
    );
    assert!(
        arrays_close(&db_direct, &db, Tol::both(1e-4)),
        "{db_direct:?}\n{db:?}"
    );

    // One image at a time (below the split threshold): the same bits.
    let one = g.with_batch(1).unwrap();
    let per = h * w;
    for i in 0..n {
        let mut zi = Array2::zeros((0, 0));
        conv_forward_direct_into(&x[i * per..(i + 1) * per], &one, &w_col, &b, &mut zi);
        let rows = zi.nrows();
        assert_eq!(
            zi,
            z_direct.slice(ndarray::s![i * rows..(i + 1) * rows, ..])
        );
    }
}
