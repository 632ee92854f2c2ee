//! `matmul_into` cuts big products in two and runs the halves on two cores; the result must
//! be exactly `general_mat_mul`'s, whatever the shapes, strides, `alpha` and `beta`.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ShapeBuilder};
use proptest::prelude::*;
use speed::matmul::{SPLIT_MIN_FLOPS, matmul_into};

fn filled(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Array2::from_shape_simple_fn((rows, cols), || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    })
}

/// Returns (split result, one-core result).
fn both(
    m: usize,
    k: usize,
    n: usize,
    alpha: f32,
    beta: f32,
    transposed_a: bool,
) -> (Array2<f32>, Array2<f32>) {
    let a = if transposed_a {
        filled(k, m, 1).reversed_axes() // a column-major view, as Affine's x^T
    } else {
        filled(m, k, 1)
    };
    let b = filled(k, n, 2);
    let start = filled(m, n, 3);
    let mut expected = start.clone();
    general_mat_mul(alpha, &a, &b, beta, &mut expected);
    let mut got = start.clone();
    matmul_into(alpha, &a, &b, beta, &mut got);
    (got, expected)
}

/// What `Affine` uses (alpha 1, beta 0 or 1) is exact.
fn check(m: usize, k: usize, n: usize, alpha: f32, beta: f32, transposed_a: bool) {
    let (got, expected) = both(m, k, n, alpha, beta, transposed_a);
    assert_eq!(got, expected, "{m}x{k}x{n}, alpha {alpha}, beta {beta}");
}

// The first layer's products are big enough to be split.
const _: () = assert!(2 * 32 * 784 * 128 >= SPLIT_MIN_FLOPS);

#[test]
fn the_tutorial_products_equal_one_core_bit_for_bit() {
    check(32, 784, 128, 1.0, 1.0, false); // forward: x W + b (bias already in c)
    check(784, 32, 128, 1.0, 0.0, true); // backward: dW = x^T dout
    check(32, 128, 784, 1.0, 0.0, false); // backward: dx = dout W^T
    check(32, 128, 10, 1.0, 0.0, false); // small: stays on one core
}

#[test]
fn a_column_major_c_is_filled_too() {
    let a = filled(300, 200, 4);
    let b = filled(200, 100, 5);
    let mut expected = Array2::zeros((300, 100).f());
    general_mat_mul(1.0, &a, &b, 0.0, &mut expected);
    let mut got = Array2::zeros((300, 100).f());
    matmul_into(1.0, &a, &b, 0.0, &mut got);
    assert_eq!(got, expected);
}

#[test]
#[should_panic(expected = "c must be 2x4")]
fn a_c_of_the_wrong_shape_is_a_programmer_error() {
    let mut c = Array2::<f32>::zeros((2, 3));
    matmul_into(1.0, &filled(2, 3, 1), &filled(3, 4, 2), 0.0, &mut c);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn any_split_shape_equals_one_core(
        m in 1usize..300, k in 1usize..300, n in 1usize..300,
        beta in prop_oneof![Just(0.0f32), Just(1.0f32)],
        transposed_a: bool,
    ) {
        check(m, k, n, 1.0, beta, transposed_a);
    }

    /// With other alpha and beta, matrixmultiply scales a full tile and a tile cut short at
    /// the split with differently rounded operations: the last bit may differ.
    #[test]
    fn any_alpha_and_beta_agree_to_the_last_bit_or_so(
        m in 1usize..300, k in 1usize..300, n in 1usize..300,
        alpha in -2.0f32..2.0, beta in -1.0f32..1.0, transposed_a: bool,
    ) {
        let (got, expected) = both(m, k, n, alpha, beta, transposed_a);
        for (g, e) in got.iter().zip(&expected) {
            prop_assert!((g - e).abs() <= 4.0 * f32::EPSILON * e.abs().max(1.0), "{g} vs {e}");
        }
    }
}
