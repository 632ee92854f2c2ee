//! The Affine layer (book 5.6.2): `out = x W + b`, Keras' `Dense` without its activation.
//!
//! Shapes: `x` (N, in), `W` (in, out), `b` (out,), `out` (N, out).
//!
//! Backward, from the matrix-product rule of the book's figure 5-25:
//!
//! ```text
//! dL/dx = dout W^T        (N, out) (out, in) -> (N, in)
//! dL/dW = x^T dout        (in, N)  (N, out)  -> (in, out)
//! dL/db = sum_n dout[n]   column sums        -> (out,)
//! ```
//!
//! `dW` needs `x`, so `forward` keeps a copy of its input: that copy is the whole reason a
//! layer is an object and not a function.
//!
//! ```python
//! # the book's common/layers.py
//! class Affine:
//!     def forward(self, x):
//!         self.original_x_shape = x.shape
//!         x = x.reshape(x.shape[0], -1)
//!         self.x = x
//!         return np.dot(self.x, self.W) + self.b
//!     def backward(self, dout):
//!         dx = np.dot(dout, self.W.T)
//!         self.dW = np.dot(self.x.T, dout)
//!         self.db = np.sum(dout, axis=0)
//!         return dx.reshape(*self.original_x_shape)
//! ```

use crate::layer::{Layer, LayerError, Mode, ParamMut, ensure_shape};
use ch03_activations::Float;
use ndarray::{Array1, Array2, ArrayRef, ArrayRef2, ArrayView2, Dimension, Zip};
use speed::matmul::matmul_into;

/// `out = x W + b`, keeping `x` for the backward pass and `dW`, `db` after it.
///
/// ```
/// use ch05_backprop::{Affine, Layer, Mode};
/// use ndarray::array;
///
/// let mut affine = Affine::new(array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], array![0.5, -0.5])?;
/// let x = array![[1.0, 0.0, -1.0]];
/// let out = affine.forward(&x, Mode::Train);            // x W + b
/// assert_eq!(out, array![[-3.5, -4.5]]);
/// let dx = affine.backward(&array![[1.0, 1.0]]);
/// assert_eq!(dx, array![[3.0, 7.0, 11.0]]);            // dout W^T
/// assert_eq!(affine.dw, array![[1.0, 1.0], [0.0, 0.0], [-1.0, -1.0]]); // x^T dout
/// assert_eq!(affine.db, array![1.0, 1.0]);             // column sums of dout
/// # Ok::<(), ch05_backprop::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Affine<A> {
    /// The weights `W`, shape (in, out) (Keras' `kernel`).
    pub w: Array2<A>,
    /// The bias `b`, shape (out,).
    pub b: Array1<A>,
    /// `dL/dW = x^T dout` from the last backward, shape (in, out).
    pub dw: Array2<A>,
    /// `dL/db = sum over the batch of dout` from the last backward, shape (out,).
    pub db: Array1<A>,
    /// The input of the last forward in `Mode::Train`, shape (N, in): what `dW` needs.
    x: Array2<A>,
    /// Whether `x` belongs to the last forward (`Mode::Eval` keeps nothing).
    has_cache: bool,
    needs_input_grad: bool,
}

impl<A: Float> Affine<A> {
    /// A layer with the given weights `w` (in, out) and bias `b` (out,); the gradients start at 0.
    ///
    /// Errors if `b` does not have one entry per column of `w`.
    pub fn new(w: Array2<A>, b: Array1<A>) -> Result<Self, LayerError> {
        if w.ncols() != b.len() {
            return Err(LayerError(format!(
                "Affine: the bias has {} entries but W has shape {:?} ({} outputs); \
                 give b one entry per column of W",
                b.len(),
                w.dim(),
                w.ncols()
            )));
        }
        Ok(Affine {
            dw: Array2::zeros(w.raw_dim()),
            db: Array1::zeros(b.raw_dim()),
            w,
            b,
            x: Array2::zeros((0, 0)),
            has_cache: false,
            needs_input_grad: true,
        })
    }

    /// A layer of `n_in` inputs and `n_out` outputs with all weights and biases zero.
    pub fn zeros(n_in: usize, n_out: usize) -> Self {
        Affine {
            w: Array2::zeros((n_in, n_out)),
            b: Array1::zeros(n_out),
            dw: Array2::zeros((n_in, n_out)),
            db: Array1::zeros(n_out),
            x: Array2::zeros((0, 0)),
            has_cache: false,
            needs_input_grad: true,
        }
    }

    /// The number of inputs (rows of `W`).
    pub fn n_in(&self) -> usize {
        self.w.nrows()
    }

    /// The number of outputs (columns of `W`).
    pub fn n_out(&self) -> usize {
        self.w.ncols()
    }

    /// Whether `backward` computes `dx = dout W^T` (default `true`).
    ///
    /// The first layer of a network has nobody to pass `dx` to: switching it off saves one of
    /// the three matrix products of the layer's step. When off, `backward_into` sets `dx` to
    /// shape (0, 0) (without allocating) so that a mistaken use of it fails loudly.
    pub fn set_needs_input_grad(&mut self, needs: bool) {
        self.needs_input_grad = needs;
    }

    /// See [`Affine::set_needs_input_grad`].
    pub fn needs_input_grad(&self) -> bool {
        self.needs_input_grad
    }

    /// The input kept by the last forward, shape (N, in).
    pub fn cached_input(&self) -> &Array2<A> {
        &self.x
    }

    fn check_input(&self, x: &ArrayRef2<A>) {
        assert_eq!(
            x.ncols(),
            self.n_in(),
            "Affine::forward: input has {} features per sample but W has {} rows",
            x.ncols(),
            self.n_in()
        );
    }
}

impl<A: Float> Layer<A> for Affine<A> {
    /// `out = x W + b` with `x` (N, in) and `out` (N, out); in `Mode::Train` keeps a copy of
    /// `x` for the backward pass (`Mode::Eval`, for inference, keeps nothing).
    ///
    /// Allocation-free once `out` and the kept input have their shapes: the bias is broadcast
    /// into `out` first, then [`matmul_into`] adds `x W` on top of it (beta = 1), on two cores
    /// when the product is big (see [`speed::matmul`]).
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        self.check_input(x);
        ensure_shape(out, (x.nrows(), self.n_out()));
        out.assign(&self.b);
        matmul_into(A::one(), x, &self.w, A::one(), out);
        self.has_cache = mode == Mode::Train;
        if self.has_cache {
            ensure_shape(&mut self.x, x.dim());
            self.x.assign(x);
        }
    }

    /// Fills `dw = x^T dout`, `db = sum_n dout[n]` and, unless switched off, `dx = dout W^T`.
    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        assert!(self.has_cache, "{NO_TRAIN_FORWARD}");
        assert_eq!(
            dout.dim(),
            (self.x.nrows(), self.n_out()),
            "Affine::backward: dout must have the shape of the last forward's output"
        );
        matmul_into(A::one(), &self.x.t(), dout, A::zero(), &mut self.dw);
        column_sums_into(dout, &mut self.db);
        if self.needs_input_grad {
            ensure_shape(dx, (dout.nrows(), self.n_in()));
            matmul_into(A::one(), dout, &self.w.t(), A::zero(), dx);
        } else {
            ensure_shape(dx, (0, 0));
        }
    }

    /// Visits `W` then `b` (names `"W"` and `"b"`, as in the book's `params` dict).
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        f(ParamMut {
            name: "W",
            value: self.w.view_mut().into_dyn(),
            grad: self.dw.view_mut().into_dyn(),
        });
        f(ParamMut {
            name: "b",
            value: self.b.view_mut().into_dyn(),
            grad: self.db.view_mut().into_dyn(),
        });
    }
}

pub(crate) const NO_TRAIN_FORWARD: &str = "backward needs a forward in Mode::Train first \
    (a forward in Mode::Eval keeps nothing for backward)";

/// `out[j] = sum_n m[n, j]` (NumPy's `np.sum(m, axis=0)`), allocating nothing.
pub fn column_sums_into<A: Float>(m: &ArrayRef2<A>, out: &mut Array1<A>) {
    if out.len() != m.ncols() {
        *out = Array1::zeros(m.ncols());
    }
    out.fill(A::zero());
    for row in m.rows() {
        Zip::from(&mut *out).and(&row).for_each(|o, &v| *o = *o + v);
    }
}

/// A batch of any rank viewed as 2-D, `(N, -1)`: the book's `x.reshape(x.shape[0], -1)`.
///
/// Images (N, 28, 28) become rows of 784 pixels. Returns `None` if `x` is not in standard
/// (row-major, contiguous) layout, or has rank 0; call `.as_standard_layout()` first then.
///
/// ```
/// use ch05_backprop::flatten_batch;
/// let images = ndarray::Array3::<f32>::zeros((5, 28, 28));
/// assert_eq!(flatten_batch(&images).unwrap().dim(), (5, 784));
/// ```
pub fn flatten_batch<A, D: Dimension>(x: &ArrayRef<A, D>) -> Option<ArrayView2<'_, A>> {
    let shape = x.shape();
    let n = *shape.first()?;
    let rest: usize = shape[1..].iter().product();
    x.view().into_shape_with_order((n, rest)).ok()
}

#[cfg(test)]
mod tests {
    use super::column_sums_into;
    use ndarray::{Array1, Array2};

    /// NumPy's `sum(axis=0)`, summed row by row in order, to the last bit, on a row-major
    /// matrix and a transposed view; the output is resized, and no rows give zeros.
    #[test]
    fn column_sums_are_numpys_sum_over_axis_0_on_any_layout() {
        let m = Array2::from_shape_fn((37, 5), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.1 - 0.4);
        let mut want = Array1::<f32>::zeros(5);
        for i in 0..37 {
            for j in 0..5 {
                want[j] += m[[i, j]];
            }
        }
        let mut out = Array1::zeros(2);
        column_sums_into(&m, &mut out);
        assert_eq!(out, want);
        let t = m.t().as_standard_layout().into_owned(); // (5, 37) row-major
        assert!(!t.t().is_standard_layout()); // so this is a column-major view
        let mut out_t = Array1::zeros(5);
        column_sums_into(&t.t(), &mut out_t);
        assert_eq!(out_t, want);
        let empty = Array2::<f32>::zeros((0, 3));
        column_sums_into(&empty, &mut out);
        assert_eq!(out, Array1::<f32>::zeros(3));
    }
}
