//! Closeness of computed numbers to an oracle's: `|got - want| <= abs + rel * |want|`, the
//! rule of numpy's `allclose` and of the TensorFlow fixture's README, written once.
//!
//! A tolerance names both parts, so a check says what it allows:
//!
//! ```
//! use test_support::{Tol, close};
//! // float32 arithmetic against TensorFlow: 1e-6 relative plus 1e-7 absolute
//! let f32_tf = Tol { rel: 1e-6, abs: 1e-7 };
//! assert!(close(0.5 + 4e-7, 0.5, f32_tf));
//! assert!(!close(0.5 + 1e-6, 0.5, f32_tf));
//! ```

use ndarray::{ArrayRef, Dimension};

/// An element passes when `|got - want| <= abs + rel * |want|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tol {
    /// Allowed error relative to `|want|`.
    pub rel: f64,
    /// Allowed absolute error (what is left when `want` is 0).
    pub abs: f64,
}

impl Tol {
    /// Absolute error only: `|got - want| <= abs`.
    pub const fn abs(abs: f64) -> Tol {
        Tol { rel: 0.0, abs }
    }

    /// The same bound relative and absolute: `|got - want| <= tol * (1 + |want|)`.
    pub const fn both(tol: f64) -> Tol {
        Tol { rel: tol, abs: tol }
    }

    /// The largest error this tolerance allows around `want`.
    pub fn bound(self, want: f64) -> f64 {
        self.abs + self.rel * want.abs()
    }
}

/// Whether `got` is within `tol` of `want`. Equal values pass (infinities included); a NaN
/// on either side fails.
pub fn close(got: f64, want: f64, tol: Tol) -> bool {
    got == want || (got - want).abs() <= tol.bound(want)
}

/// An element of a compared sequence: `f32` or `f64`, by value or by reference (so arrays,
/// slices and vectors are passed as they are), widened to `f64` exactly.
pub trait Number {
    /// The value as `f64`.
    fn widen(self) -> f64;
}

impl Number for f64 {
    fn widen(self) -> f64 {
        self
    }
}

impl Number for f32 {
    fn widen(self) -> f64 {
        f64::from(self)
    }
}

impl<T: Number + Copy> Number for &T {
    fn widen(self) -> f64 {
        (*self).widen()
    }
}

fn widened<T: Number>(values: impl IntoIterator<Item = T>) -> Vec<f64> {
    values.into_iter().map(Number::widen).collect()
}

/// Whether both sequences have the same length and every pair is [`close`].
///
/// ```
/// use test_support::{Tol, all_close};
/// let got = ndarray::array![1.0, 2.0 + 1e-9];
/// assert!(all_close(&got, &[1.0, 2.0], Tol::abs(1e-8)));
/// assert!(!all_close(&got, &[1.0], Tol::abs(1.0)));
/// ```
pub fn all_close<G: Number, W: Number>(
    got: impl IntoIterator<Item = G>,
    want: impl IntoIterator<Item = W>,
    tol: Tol,
) -> bool {
    let (got, want) = (widened(got), widened(want));
    got.len() == want.len() && got.iter().zip(&want).all(|(&g, &w)| close(g, w, tol))
}

/// Whether both arrays have the same shape and every pair of elements is [`close`] (arrays of
/// another shape but as many elements are not close).
pub fn arrays_close<A: Number + Copy, D: Dimension>(
    got: &ArrayRef<A, D>,
    want: &ArrayRef<A, D>,
    tol: Tol,
) -> bool {
    got.shape() == want.shape() && all_close(got.iter(), want.iter(), tol)
}

/// Panics unless both sequences have the same length and every pair is [`close`]; the
/// message names `what`, the first element past the tolerance, and both sequences when short.
pub fn assert_all_close<G: Number, W: Number>(
    what: &str,
    got: impl IntoIterator<Item = G>,
    want: impl IntoIterator<Item = W>,
    tol: Tol,
) {
    let (got, want) = (widened(got), widened(want));
    let both = || {
        if got.len() <= 16 {
            format!("\n  got  {got:?}\n  want {want:?}")
        } else {
            String::new()
        }
    };
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} values, expected {}{}",
        got.len(),
        want.len(),
        both()
    );
    for (i, (&g, &w)) in got.iter().zip(&want).enumerate() {
        assert!(
            close(g, w, tol),
            "{what}[{i}]: got {g:e}, want {w:e} (error {:e}, allowed {:e} abs + {:e} rel){}",
            (g - w).abs(),
            tol.abs,
            tol.rel,
            both()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_abs_plus_rel_times_want() {
        let tol = Tol {
            rel: 1e-3,
            abs: 1e-6,
        };
        assert!(close(1000.9, 1000.0, tol)); // bound 1.000001
        assert!(!close(1001.1, 1000.0, tol));
        assert!(close(5e-7, 0.0, tol));
        assert!(!close(2e-6, 0.0, tol));
        assert!(close(f64::INFINITY, f64::INFINITY, Tol::abs(0.0)));
        assert!(!close(f64::NAN, f64::NAN, Tol::abs(1.0)));
        assert!(!close(1.0, f64::NAN, Tol::abs(1.0)));
        assert_eq!(Tol::both(0.5).bound(-2.0), 1.5);
    }

    #[test]
    fn arrays_of_other_shapes_are_not_close() {
        let a = ndarray::Array2::<f64>::zeros((2, 3));
        assert!(arrays_close(&a, &a.clone(), Tol::abs(0.0)));
        assert!(!arrays_close(
            &a,
            &ndarray::Array2::zeros((3, 2)),
            Tol::abs(1.0)
        ));
        assert!(arrays_close(
            &a.t(),
            &ndarray::Array2::zeros((3, 2)),
            Tol::abs(0.0)
        ));
    }

    #[test]
    fn sequences_of_other_lengths_are_not_close() {
        assert!(all_close([1.0f32, 2.0], [1.0, 2.0 + 1e-9], Tol::abs(1e-8)));
        assert!(!all_close([1.0f32], [1.0, 2.0], Tol::abs(1.0)));
    }

    #[test]
    #[should_panic(expected = "w[1]: got 2.1e0, want 2e0")]
    fn the_failure_names_the_element() {
        assert_all_close("w", [1.0, 2.1], [1.0, 2.0], Tol::abs(0.01));
    }
}
