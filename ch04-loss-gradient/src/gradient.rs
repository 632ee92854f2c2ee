//! Numerical differentiation and gradient descent (4.3 and 4.4).
//!
//! ```text
//! numerical_diff      f'(x)    ~ (f(x + h) - f(x - h)) / 2h                 h = 1e-4
//! numerical_gradient  df/dx_i  ~ (f(.., x_i + h, ..) - f(.., x_i - h, ..)) / 2h, every i
//! numerical_gradient_2d         the same for each row of a batch of points (gradient_2d.py)
//! gradient_descent    x <- x - lr * grad f(x), step_num times
//! ```
//!
//! The central difference has an error of order h^2 (the forward difference `(f(x+h) -
//! f(x))/h` only of order h); h = 1e-4 balances that against rounding, which grows as h
//! shrinks (the book's 4.3.1 shows 1e-50 rounding to 0 in float32).
//!
//! ```
//! use ch04_loss_gradient::{gradient_descent, numerical_gradient};
//! use ndarray::{ArrayRef1, array};
//!
//! // 4.4: f(x0, x1) = x0^2 + x1^2 has the gradient (2 x0, 2 x1).
//! let function_2 = |x: &ArrayRef1<f64>| x.iter().map(|v| v * v).sum::<f64>();
//! let mut x = array![3.0, 4.0];
//! let grad = numerical_gradient(function_2, &mut x);
//! assert!((grad[0] - 6.0).abs() < 1e-6 && (grad[1] - 8.0).abs() < 1e-6);
//! assert_eq!(x, array![3.0, 4.0]); // every probed element is put back
//!
//! // 4.4.1: 100 steps of lr 0.1 from (-3, 4) end near the minimum at the origin.
//! let (x, _history) = gradient_descent(function_2, array![-3.0, 4.0], 0.1, 100);
//! assert!(x.iter().all(|v| v.abs() < 1e-9));
//! ```

use ch03_activations::Float;
use ndarray::{Array, Array2, ArrayRef, ArrayRef1, ArrayRef2, Dimension, IntoDimension};

/// The step of the central difference, `h = 1e-4` (the book's choice).
pub const H: f64 = 1e-4;

/// `f'(x) ~ (f(x + h) - f(x - h)) / 2h` with h = 1e-4 (4.3.2).
pub fn numerical_diff<A: Float>(f: impl Fn(A) -> A, x: A) -> A {
    let h = A::of(H);
    (f(x + h) - f(x - h)) / (A::of(2.0) * h)
}

/// The gradient of `f` at `x` by central differences: for every element `x_i` (any shape, in
/// logical order), `(f(x with x_i + h) - f(x with x_i - h)) / 2h` with h = 1e-4 (4.4).
///
/// `x` is changed in place while it is probed, as in the book, and every element is put back
/// to its exact old value, so `x` is unchanged when this returns. `f` receives the probed
/// `x`; it is called `2 * x.len()` times, which is what makes the numerical gradient of a
/// network slow. Returns an array of the shape of `x`.
pub fn numerical_gradient<A, D, F>(mut f: F, x: &mut ArrayRef<A, D>) -> Array<A, D>
where
    A: Float,
    D: Dimension,
    F: FnMut(&ArrayRef<A, D>) -> A,
{
    let h = A::of(H);
    let two_h = A::of(2.0) * h;
    let mut grad = Array::zeros(x.raw_dim());
    for pattern in ndarray::indices(x.raw_dim()) {
        let idx: D = pattern.into_dimension();
        let tmp_val = x[idx.clone()];
        x[idx.clone()] = tmp_val + h;
        let fxh1 = f(x);
        x[idx.clone()] = tmp_val - h;
        let fxh2 = f(x);
        grad[idx.clone()] = (fxh1 - fxh2) / two_h;
        // Restore the exact old value (not `tmp_val - h + h`, which may round differently).
        x[idx] = tmp_val;
    }
    grad
}

/// The gradient of `f` at each of a batch of points, one per row of `x` (N, D) -> (N, D):
/// the book's `numerical_gradient(f, X)` of `ch04/gradient_2d.py`, which for a 2-D `X` runs
/// [`numerical_gradient`] on each row (`_numerical_gradient_no_batch`). `f` takes one point.
/// Every probed element is put back, as in [`numerical_gradient`].
///
/// ```python
/// def numerical_gradient(f, X):
///     if X.ndim == 1:
///         return _numerical_gradient_no_batch(f, X)
///     grad = np.zeros_like(X)
///     for idx, x in enumerate(X):
///         grad[idx] = _numerical_gradient_no_batch(f, x)
///     return grad
/// ```
///
/// ```
/// use ch04_loss_gradient::numerical_gradient_2d;
/// use ndarray::{ArrayRef1, array};
/// // x0^2 + x1^2 at (-2, 1) and (0.5, 0): gradients (-4, 2) and (1, 0)
/// let mut x = array![[-2.0, 1.0], [0.5, 0.0]];
/// let g = numerical_gradient_2d(|p: &ArrayRef1<f64>| p.dot(p), &mut x);
/// assert!((&g - &array![[-4.0, 2.0], [1.0, 0.0]]).iter().all(|d| d.abs() < 1e-8));
/// ```
pub fn numerical_gradient_2d<A, F>(mut f: F, x: &mut ArrayRef2<A>) -> Array2<A>
where
    A: Float,
    F: FnMut(&ArrayRef1<A>) -> A,
{
    let mut grad = Array2::zeros(x.raw_dim());
    for (mut point, mut g) in x.rows_mut().into_iter().zip(grad.rows_mut()) {
        g.assign(&numerical_gradient(&mut f, &mut point));
    }
    grad
}

/// `step_num` steps of `x <- x - lr * grad f(x)` from `init_x`, each gradient by
/// [`numerical_gradient`] (4.4.1).
///
/// Returns the final `x` and the history: `x` before each step (`step_num` arrays, the first
/// being `init_x`), which the book plots as the descent path.
pub fn gradient_descent<A, D, F>(
    mut f: F,
    init_x: Array<A, D>,
    lr: A,
    step_num: usize,
) -> (Array<A, D>, Vec<Array<A, D>>)
where
    A: Float,
    D: Dimension,
    F: FnMut(&ArrayRef<A, D>) -> A,
{
    let mut x = init_x;
    let mut history = Vec::with_capacity(step_num);
    for _ in 0..step_num {
        history.push(x.clone());
        let grad = numerical_gradient(&mut f, &mut x);
        x.scaled_add(-lr, &grad);
    }
    (x, history)
}
