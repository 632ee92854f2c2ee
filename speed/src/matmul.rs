//! The matrix product behind ch05's `Affine` (and ch07's convolution): `c = alpha a b + beta c`,
//! on two cores when the product is big enough to pay for it.
//!
//! The book's `np.dot(x, W)` is ndarray's `general_mat_mul` (matrixmultiply's packed kernel)
//! into a buffer the layer keeps. A big product is cut in two along the longer side of `c`
//! and the halves run at once through [`join`]:
//!
//! ```text
//! m >= n:  [c0]   [a0]            m < n:  [c0 c1] = a [b0 b1]
//!          [c1] = [a1] b
//! ```
//!
//! Each half is an ordinary product: every element of `c` is the same dot product, summed in
//! the same order by the same kernel. With `alpha = 1` and `beta` 0 or 1 (all that `Affine`
//! uses) the result is bit-for-bit the one-core result; with other values, matrixmultiply
//! scales the tiles cut short at the split with differently rounded operations, so the last
//! bit of those elements may differ.
//!
//! ```
//! use speed::matmul::matmul_into;
//! use ndarray::{Array2, array};
//!
//! let a = array![[1.0, 2.0], [3.0, 4.0]];
//! let b = array![[5.0, 6.0], [7.0, 8.0]];
//! let mut c = Array2::ones((2, 2));
//! matmul_into(1.0, &a, &b, 1.0, &mut c); // c = a b + c
//! assert_eq!(c, array![[20.0, 23.0], [44.0, 51.0]]);
//! ```

use crate::parallel::join;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayRef2, Axis, LinalgScalar};

/// Products under this many flops (`2 m k n`) stay on one core: at batch 32 the second layer's
/// products (about 80 kflop, a few microseconds) would spend more on the hand-off than they
/// save. The tutorial's first-layer products (6.4 Mflop) are split.
pub const SPLIT_MIN_FLOPS: usize = 1 << 21;

/// `c = alpha a b + beta c`, with `a` (m, k), `b` (k, n), `c` (m, n); allocation-free apart
/// from matrixmultiply's packing buffers.
///
/// # Panics
/// If the shapes do not fit (as `general_mat_mul`).
pub fn matmul_into<A: LinalgScalar + Send + Sync>(
    alpha: A,
    a: &ArrayRef2<A>,
    b: &ArrayRef2<A>,
    beta: A,
    c: &mut ArrayRef2<A>,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert_eq!(
        (b.nrows(), c.dim()),
        (k, (m, n)),
        "matmul_into: a is {m}x{k} and b is {}x{n}, so c must be {m}x{n} (it is {:?})",
        b.nrows(),
        c.dim()
    );
    if cfg!(feature = "threading") || 2 * m * k * n < SPLIT_MIN_FLOPS {
        // (With the `threading` bench variant, matrixmultiply splits the call itself.)
        general_mat_mul(alpha, a, b, beta, c);
    } else {
        split(alpha, a, b, beta, c);
    }
}

/// The two halves of a big product at once (see the module docs for the cut).
fn split<A: LinalgScalar + Send + Sync>(
    alpha: A,
    a: &ArrayRef2<A>,
    b: &ArrayRef2<A>,
    beta: A,
    c: &mut ArrayRef2<A>,
) {
    let (m, n) = c.dim();
    if m >= n {
        let (a0, a1) = a.view().split_at(Axis(0), m / 2);
        let (mut c0, mut c1) = c.view_mut().split_at(Axis(0), m / 2);
        join(
            || general_mat_mul(alpha, &a0, b, beta, &mut c0),
            || general_mat_mul(alpha, &a1, b, beta, &mut c1),
        );
    } else {
        let (b0, b1) = b.view().split_at(Axis(1), n / 2);
        let (mut c0, mut c1) = c.view_mut().split_at(Axis(1), n / 2);
        join(
            || general_mat_mul(alpha, a, &b0, beta, &mut c0),
            || general_mat_mul(alpha, a, &b1, beta, &mut c1),
        );
    }
}
