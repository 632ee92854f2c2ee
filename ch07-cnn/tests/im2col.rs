//! im2col / col2im against the nested-loop definition, the adjoint identity, the book's
//! printed shapes, and the geometry's errors; any geometry (asymmetric padding, strides,
//! rectangular windows) and any memory layout (row-major NCHW, channels-last NHWC seen through
//! a permuted view, a strided slice).

use ch07_cnn::im2col::{
    Conv2dGeometry, Padding, col2im, col2im_channels_last_into, col2im_into, im2col,
    im2col_channels_last_into, im2col_into,
};
use ndarray::{Array2, Array4, ArrayView4, s};
use proptest::prelude::*;

/// The book's definition, element by element: row (n, oh, ow), column (c, fy, fx).
fn im2col_reference(x: &ArrayView4<f64>, g: &Conv2dGeometry) -> Array2<f64> {
    let (n, c, h, w) = g.input_shape();
    let (fh, fw) = (g.filter_h(), g.filter_w());
    let (oh, ow) = (g.out_h(), g.out_w());
    let pad = g.pad();
    let mut col = Array2::zeros(g.col_shape());
    for ni in 0..n {
        for y in 0..oh {
            for xo in 0..ow {
                let row = (ni * oh + y) * ow + xo;
                for ci in 0..c {
                    for fy in 0..fh {
                        for fx in 0..fw {
                            let iy = (y * g.stride_h() + fy) as isize - pad.top as isize;
                            let ix = (xo * g.stride_w() + fx) as isize - pad.left as isize;
                            let inside =
                                iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w;
                            if inside {
                                col[[row, (ci * fh + fy) * fw + fx]] =
                                    x[[ni, ci, iy as usize, ix as usize]];
                            }
                        }
                    }
                }
            }
        }
    }
    col
}

/// Deterministic, all-distinct-ish values.
fn filled(shape: (usize, usize, usize, usize), seed: u64) -> Array4<f64> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Array4::from_shape_simple_fn(shape, || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
    })
}

/// An NHWC array holding the same logical (N, C, H, W) values, and its permuted view's owner.
fn to_nhwc(x: &Array4<f64>) -> Array4<f64> {
    x.view()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_owned()
}

fn geometry() -> impl Strategy<Value = Conv2dGeometry> {
    (
        (1usize..4, 1usize..5, 1usize..9, 1usize..9),
        (1usize..5, 1usize..5),
        (1usize..4, 1usize..4),
        (0usize..3, 0usize..3, 0usize..3, 0usize..3),
    )
        .prop_filter_map("window fits", |(input, filter, stride, (t, b, l, r))| {
            let pad = Padding {
                top: t,
                bottom: b,
                left: l,
                right: r,
            };
            Conv2dGeometry::new(input, filter, stride, pad).ok()
        })
}

fn dot(a: impl IntoIterator<Item = f64>, b: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter().zip(b).map(|(x, y)| x * y).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn im2col_is_the_nested_loop_definition_on_every_layout(g in geometry(), seed in 0u64..1000) {
        let x = filled(g.input_shape(), seed);
        let expected = im2col_reference(&x.view(), &g);
        let mut col = Array2::zeros((0, 0));
        im2col_into(x.view(), &g, &mut col).unwrap();
        prop_assert_eq!(&col, &expected);
        // channels-last memory seen as (N, C, H, W)
        let nhwc = to_nhwc(&x);
        let mut col2 = Array2::from_elem(g.col_shape(), f64::NAN); // stale contents overwritten
        im2col_into(nhwc.view().permuted_axes([0, 3, 1, 2]), &g, &mut col2).unwrap();
        prop_assert_eq!(&col2, &expected);
        // a view with gaps (every other column of a wider array)
        let (n, c, h, w) = g.input_shape();
        let mut wide = Array4::zeros((n, c, h, 2 * w));
        wide.slice_mut(s![.., .., .., ..;2]).assign(&x);
        im2col_into(wide.slice(s![.., .., .., ..;2]), &g, &mut col2).unwrap();
        prop_assert_eq!(&col2, &expected);
    }

    /// <im2col(x), y> = <x, col2im(y)>: col2im is im2col's transpose, on every layout.
    #[test]
    fn col2im_is_the_adjoint_of_im2col(g in geometry(), seed in 0u64..1000) {
        let x = filled(g.input_shape(), seed);
        let y = {
            let (r, c) = g.col_shape();
            filled((1, 1, r, c), seed + 7).into_shape_with_order((r, c)).unwrap()
        };
        let mut col = Array2::zeros((0, 0));
        im2col_into(x.view(), &g, &mut col).unwrap();
        let lhs = dot(col.iter().copied(), y.iter().copied());

        let mut back = Array4::from_elem(g.input_shape(), f64::NAN); // overwritten, not added to
        col2im_into(y.view(), &g, back.view_mut()).unwrap();
        let rhs = dot(x.iter().copied(), back.iter().copied());
        prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);

        // the same with channels-last input and output
        let nhwc = to_nhwc(&x);
        im2col_into(nhwc.view().permuted_axes([0, 3, 1, 2]), &g, &mut col).unwrap();
        let lhs2 = dot(col.iter().copied(), y.iter().copied());
        let (n, c, h, w) = g.input_shape();
        let mut back_nhwc = Array4::from_elem((n, h, w, c), f64::NAN);
        col2im_into(y.view(), &g, back_nhwc.view_mut().permuted_axes([0, 3, 1, 2])).unwrap();
        let back2 = back_nhwc.view().permuted_axes([0, 3, 1, 2]);
        prop_assert_eq!(back2, back.view());
        prop_assert!((lhs2 - lhs).abs() <= 1e-12 * (1.0 + lhs.abs()));

        // and into a view with gaps
        let mut wide = Array4::from_elem((n, c, h, 2 * w), 5.0);
        col2im_into(y.view(), &g, wide.slice_mut(s![.., .., .., ..;2])).unwrap();
        prop_assert_eq!(wide.slice(s![.., .., .., ..;2]), back.view());
        prop_assert!(wide.slice(s![.., .., .., 1..;2]).iter().all(|&v| v == 5.0));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The channels-last variant: the same values with columns in (fh, fw, c) order, and its
    /// col2im is its adjoint, on row-major NHWC memory and on a view with gaps.
    #[test]
    fn channels_last_variant_is_the_definition_in_keras_column_order(
        g in geometry(),
        seed in 0u64..1000,
    ) {
        let x = filled(g.input_shape(), seed);
        let book = im2col_reference(&x.view(), &g);
        let (n, c, h, w) = g.input_shape();
        let (fh, fw) = (g.filter_h(), g.filter_w());
        let nhwc = to_nhwc(&x);
        let mut col = Array2::from_elem(g.col_shape(), f64::NAN);
        im2col_channels_last_into(nhwc.view(), &g, &mut col).unwrap();
        for r in 0..col.nrows() {
            for ci in 0..c {
                for fy in 0..fh {
                    for fx in 0..fw {
                        prop_assert_eq!(
                            col[[r, (fy * fw + fx) * c + ci]],
                            book[[r, (ci * fh + fy) * fw + fx]]
                        );
                    }
                }
            }
        }
        // NCHW memory seen as NHWC (not contiguous per pixel row): same result
        let mut col2 = Array2::zeros((0, 0));
        im2col_channels_last_into(x.view().permuted_axes([0, 2, 3, 1]), &g, &mut col2).unwrap();
        prop_assert_eq!(&col2, &col);

        let y = {
            let (r, k) = g.col_shape();
            filled((1, 1, r, k), seed + 7).into_shape_with_order((r, k)).unwrap()
        };
        let lhs = dot(col.iter().copied(), y.iter().copied());
        let mut back = Array4::from_elem((n, h, w, c), f64::NAN);
        col2im_channels_last_into(y.view(), &g, back.view_mut()).unwrap();
        let rhs = dot(nhwc.iter().copied(), back.iter().copied());
        prop_assert!((lhs - rhs).abs() <= 1e-10 * (1.0 + lhs.abs()), "{} vs {}", lhs, rhs);
        let mut wide = Array4::from_elem((n, h, w, 2 * c), 5.0);
        col2im_channels_last_into(y.view(), &g, wide.slice_mut(s![.., .., .., ..;2])).unwrap();
        prop_assert_eq!(wide.slice(s![.., .., .., ..;2]), back.view());
    }
}

#[test]
fn the_books_printed_shapes() {
    // 7.4.3: x1 = np.random.rand(1, 3, 7, 7); col1 = im2col(x1, 5, 5, stride=1, pad=0) -> (9, 75)
    let x1 = filled((1, 3, 7, 7), 1);
    assert_eq!(im2col(&x1, 5, 5, 1, 0).unwrap().dim(), (9, 75));
    // x2 = np.random.rand(10, 3, 7, 7) -> (90, 75)
    let x2 = filled((10, 3, 7, 7), 2);
    assert_eq!(im2col(&x2, 5, 5, 1, 0).unwrap().dim(), (90, 75));
}

#[test]
fn col2im_sums_overlapping_windows() {
    // A 3x3 input, 2x2 windows at stride 1: the centre is in all four windows.
    let g = Conv2dGeometry::book((1, 1, 3, 3), 2, 2, 1, 0).unwrap();
    let ones = Array2::<f64>::ones(g.col_shape());
    let counts = col2im(&ones, (1, 1, 3, 3), 2, 2, 1, 0).unwrap();
    let expected = ndarray::array![[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]];
    assert_eq!(counts, expected);
}

#[test]
fn padding_same_matches_keras() {
    // TensorFlow: out = ceil(in / stride), total = max((out - 1) * stride + k - in, 0), top = total / 2.
    assert_eq!(Padding::same((28, 28), (3, 3), (1, 1)), Padding::uniform(1));
    let p = Padding::same((28, 27), (3, 4), (2, 2));
    assert_eq!((p.top, p.bottom, p.left, p.right), (0, 1, 1, 2));
    let g = Conv2dGeometry::new((1, 1, 28, 27), (3, 4), (2, 2), p).unwrap();
    assert_eq!((g.out_h(), g.out_w()), (14, 14));
    assert_eq!(Padding::same((5, 5), (2, 2), (3, 3)), Padding::default()); // 2 outputs, no pad needed
}

#[test]
fn bad_geometry_is_an_error_naming_the_problem() {
    let err = |r: Result<Conv2dGeometry, ch07_cnn::GeometryError>| r.unwrap_err().to_string();
    assert!(err(Conv2dGeometry::book((1, 1, 4, 4), 5, 5, 1, 0)).contains("does not fit"));
    assert!(Conv2dGeometry::book((1, 1, 4, 4), 5, 5, 1, 1).is_ok()); // padding makes it fit
    assert!(err(Conv2dGeometry::book((1, 1, 4, 4), 3, 3, 0, 0)).contains("stride"));
    assert!(err(Conv2dGeometry::book((0, 1, 4, 4), 3, 3, 1, 0)).contains("zero size"));
    assert!(err(Conv2dGeometry::book((1, 1, 4, 4), 0, 3, 1, 0)).contains("window"));
    assert!(err(Conv2dGeometry::book((1 << 40, 1 << 10, 64, 64), 3, 3, 1, 0)).contains("too many"));
    assert!(err(Conv2dGeometry::book((1, 1, 4, 4), 3, 3, 1, usize::MAX)).contains("overflows"));

    // shapes that do not match the geometry
    let g = Conv2dGeometry::book((2, 3, 7, 7), 5, 5, 1, 0).unwrap();
    let mut col = Array2::zeros((0, 0));
    let wrong = Array4::<f64>::zeros((2, 3, 7, 8));
    let e = im2col_into(wrong.view(), &g, &mut col).unwrap_err();
    assert!(e.to_string().contains("[2, 3, 7, 8]"), "{e}");
    let mut out = Array4::<f64>::zeros((2, 3, 7, 7));
    let e = col2im_into(Array2::zeros((5, 75)).view(), &g, out.view_mut()).unwrap_err();
    assert!(e.to_string().contains("(5, 75)"), "{e}");
    assert!(im2col(&Array4::<f64>::zeros((1, 1, 2, 2)), 3, 3, 1, 0).is_err());
    assert!(col2im(&Array2::<f64>::zeros((1, 9)), (1, 1, 2, 2), 3, 3, 1, 0).is_err());
}

#[test]
fn im2col_into_keeps_its_buffer_at_a_fixed_shape() {
    let g = Conv2dGeometry::book((4, 3, 10, 10), 3, 3, 1, 1).unwrap();
    let x = filled(g.input_shape(), 3);
    let mut col = Array2::zeros(g.col_shape());
    let before = col.as_ptr();
    im2col_into(x.view(), &g, &mut col).unwrap();
    im2col_into(x.view(), &g, &mut col).unwrap();
    assert_eq!(col.as_ptr(), before, "no reallocation at the same shape");
}

#[test]
fn big_batches_split_over_two_cores_give_the_same_result() {
    // Large enough for the two-half path; compared with the reference loop.
    let g = Conv2dGeometry::new((6, 4, 20, 20), (3, 3), (1, 1), Padding::uniform(1)).unwrap();
    let x = filled(g.input_shape(), 11);
    let nhwc = to_nhwc(&x);
    let mut col = Array2::zeros((0, 0));
    im2col_into(nhwc.view().permuted_axes([0, 3, 1, 2]), &g, &mut col).unwrap();
    assert_eq!(col, im2col_reference(&x.view(), &g));
    let mut back = Array4::zeros(g.input_shape());
    col2im_into(col.view(), &g, back.view_mut()).unwrap();
    let mut back_nhwc = Array4::zeros((6, 20, 20, 4));
    col2im_into(
        col.view(),
        &g,
        back_nhwc.view_mut().permuted_axes([0, 3, 1, 2]),
    )
    .unwrap();
    assert_eq!(back_nhwc.view().permuted_axes([0, 3, 1, 2]), back.view());

    // the channels-last variant on the same big batch: columns (fh, fw, c)
    let mut col_cl = Array2::zeros((0, 0));
    im2col_channels_last_into(nhwc.view(), &g, &mut col_cl).unwrap();
    let permuted = col
        .view()
        .into_shape_with_order((col.nrows(), 4, 3, 3))
        .unwrap()
        .permuted_axes([0, 2, 3, 1])
        .as_standard_layout()
        .into_shape_with_order(col.dim())
        .unwrap()
        .to_owned();
    assert_eq!(col_cl, permuted);
    let mut back_cl = Array4::zeros((6, 20, 20, 4));
    col2im_channels_last_into(col_cl.view(), &g, back_cl.view_mut()).unwrap();
    assert_eq!(back_cl, back_nhwc);
}
