//! The convolution layer (book 7.2, 7.4.3): `im2col`, one matrix product, and a transpose.
//!
//! Shapes: input `x` (N, C, H, W), filters `W` (FN, C, FH, FW), bias `b` (FN,), output
//! (N, FN, OH, OW). With `col = im2col(x)` (N*OH*OW, C*FH*FW) and the filters as columns,
//! `W_col = W.reshape(FN, -1).T` (C*FH*FW, FN):
//!
//! ```text
//! forward:   out_rows = col W_col + b                      (N*OH*OW, FN)
//!            out      = out_rows.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
//! backward:  dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
//!            dW_col   = col^T dout_rows                    (C*FH*FW, FN)  -> dW (FN, C, FH, FW)
//!            db       = sum over rows of dout_rows         (FN,)
//!            dcol     = dout_rows W_col^T                  (N*OH*OW, C*FH*FW)
//!            dx       = col2im(dcol)                       (N, C, H, W)
//! ```
//!
//! It is Affine's backward (5.6.2) on the rows of `col`, followed by `col2im`, the adjoint
//! of `im2col`. `out_rows` is channels-last memory: row `(n, oh, ow)` holds the FN outputs of
//! one position. The book transposes it to (N, FN, OH, OW); `keras-lite`'s `Conv2D`, whose
//! batches are channels-last, uses the rows as they are, through [`conv_forward_rows`] and
//! [`conv_backward_rows`] (the products go through `speed`'s [`matmul_into`], on two cores when
//! big). Keras stores the kernel as (KH, KW, C_in, C_out): [`w_col_from_keras`] and
//! [`keras_from_w_col`] convert at the boundary.
//!
//! ```python
//! class Convolution:                         # the book's common/layers.py
//!     def forward(self, x):
//!         FN, C, FH, FW = self.W.shape
//!         N, C, H, W = x.shape
//!         out_h = 1 + int((H + 2*self.pad - FH) / self.stride)
//!         out_w = 1 + int((W + 2*self.pad - FW) / self.stride)
//!         col = im2col(x, FH, FW, self.stride, self.pad)
//!         col_W = self.W.reshape(FN, -1).T
//!         out = np.dot(col, col_W) + self.b
//!         out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
//!         self.x, self.col, self.col_W = x, col, col_W
//!         return out
//!     def backward(self, dout):
//!         FN, C, FH, FW = self.W.shape
//!         dout = dout.transpose(0,2,3,1).reshape(-1, FN)
//!         self.db = np.sum(dout, axis=0)
//!         self.dW = np.dot(self.col.T, dout)
//!         self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
//!         dcol = np.dot(dout, self.col_W.T)
//!         return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
//! ```

use crate::im2col::{Conv2dGeometry, GeometryError, Padding, col2im_into, im2col_into};
use ch03_activations::Float;
use ch05_backprop::{Mode, ParamMut, column_sums_into, ensure_shape};
use ndarray::{Array1, Array2, Array4, ArrayRef1, ArrayRef2, ArrayRef4, ArrayView2, ArrayView4};
use speed::matmul::matmul_into;

/// `out = col W_col + b`: `col` (M, K), `w_col` (K, FN), `b` (FN,); `out` is resized to
/// (M, FN) if needed, then written without allocating. With `col` from [`im2col_into`],
/// M = N*OH*OW and row `(n, oh, ow)` of `out` holds the FN outputs of that position.
///
/// # Panics
/// If the shapes do not fit (as [`matmul_into`]).
pub fn conv_forward_rows<A: Float>(
    col: &ArrayRef2<A>,
    w_col: &ArrayRef2<A>,
    b: &ArrayRef1<A>,
    out: &mut Array2<A>,
) {
    assert_eq!(
        w_col.ncols(),
        b.len(),
        "conv_forward_rows: one bias per filter (column of w_col)"
    );
    ensure_shape(out, (col.nrows(), w_col.ncols()));
    out.assign(b);
    matmul_into(A::one(), col, w_col, A::one(), out);
}

/// The convolution's backward on rows: `dw_col = col^T dout` (K, FN), `db = sum of dout's rows`
/// (FN,), and, when `dcol` is given, `dcol = dout w_col^T` (M, K) (resized if needed; pass it
/// to [`col2im_into`] for `dx`). `col` (M, K) is the forward's `im2col`, `dout` (M, FN).
/// `dw_col` may be any view of the right shape (the book's `Convolution` passes its
/// (FN, C, FH, FW) gradient reshaped and transposed).
///
/// # Panics
/// If the shapes do not fit.
pub fn conv_backward_rows<A: Float>(
    col: &ArrayRef2<A>,
    w_col: &ArrayRef2<A>,
    dout: &ArrayRef2<A>,
    dw_col: &mut ArrayRef2<A>,
    db: &mut Array1<A>,
    dcol: Option<&mut Array2<A>>,
) {
    matmul_into(A::one(), &col.t(), dout, A::zero(), dw_col);
    column_sums_into(dout, db);
    if let Some(dcol) = dcol {
        ensure_shape(dcol, col.dim());
        matmul_into(A::one(), dout, &w_col.t(), A::zero(), dcol);
    }
}

/// The book's filters (FN, C, FH, FW) as the product's columns, `W.reshape(FN, -1).T`:
/// a (C*FH*FW, FN) view, no copy. `None` unless `w` is row-major.
pub fn w_col_view<A>(w: &ArrayRef4<A>) -> Option<ArrayView2<'_, A>> {
    let (fn_, c, fh, fw) = w.dim();
    let rows = w.view().into_shape_with_order((fn_, c * fh * fw)).ok()?;
    Some(rows.reversed_axes())
}

/// Keras' kernel (KH, KW, C_in, C_out) as `W_col` (C_in*KH*KW, C_out), rows ordered
/// (c, fh, fw) as `im2col`'s columns.
pub fn w_col_from_keras<A: Clone>(kernel: &ArrayRef4<A>) -> Array2<A> {
    let (kh, kw, c, out) = kernel.dim();
    let chw = kernel.view().permuted_axes([2, 0, 1, 3]);
    let standard = chw.as_standard_layout().into_owned();
    standard
        .into_shape_with_order((c * kh * kw, out))
        .expect("a row-major array reshapes")
}

/// `W_col` (C_in*KH*KW, C_out) back to Keras' kernel (KH, KW, C_in, C_out). Errors if the row
/// count is not `c_in * kh * kw`.
pub fn keras_from_w_col<A: Clone>(
    w_col: &ArrayRef2<A>,
    kh: usize,
    kw: usize,
    c_in: usize,
) -> Result<Array4<A>, GeometryError> {
    let (k, out) = w_col.dim();
    if k != c_in * kh * kw {
        return Err(GeometryError(format!(
            "keras_from_w_col: w_col has {k} rows, a {kh}x{kw} kernel over {c_in} channels needs {}",
            c_in * kh * kw
        )));
    }
    let standard = w_col.as_standard_layout().into_owned();
    let chw = standard
        .into_shape_with_order((c_in, kh, kw, out))
        .expect("a row-major array reshapes");
    Ok(chw
        .view()
        .permuted_axes([1, 2, 0, 3])
        .as_standard_layout()
        .into_owned())
}

/// The book's `Convolution` layer: filters `w` (FN, C, FH, FW), bias `b` (FN,), a stride and a
/// padding; forward keeps `col = im2col(x)` (what `dW` needs) and backward fills `dw`, `db`.
///
/// ```
/// use ch05_backprop::Mode;
/// use ch07_cnn::Convolution;
/// use ndarray::{Array1, Array4, array};
///
/// // One 2x2 filter that adds its window: each output is the sum of a 2x2 patch, plus 0.5.
/// let w = Array4::ones((1, 1, 2, 2));
/// let mut conv = Convolution::new(w, Array1::from_elem(1, 0.5), 1, 0)?;
/// let x = array![[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]];
/// let y = conv.forward(&x, Mode::Train)?;
/// assert_eq!(y, array![[[[12.5, 16.5], [24.5, 28.5]]]]);
/// let dx = conv.backward(&Array4::ones((1, 1, 2, 2)));
/// assert_eq!(dx, array![[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]); // windows per cell
/// assert_eq!(conv.db, array![4.0]);
/// # Ok::<(), ch07_cnn::GeometryError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Convolution<A> {
    /// The filters `W`, shape (FN, C, FH, FW).
    pub w: Array4<A>,
    /// The bias `b`, shape (FN,).
    pub b: Array1<A>,
    /// (stride_h, stride_w).
    pub stride: (usize, usize),
    pub pad: Padding,
    /// `dL/dW` from the last backward, shape (FN, C, FH, FW).
    pub dw: Array4<A>,
    /// `dL/db` from the last backward, shape (FN,).
    pub db: Array1<A>,
    /// The geometry of the last forward in `Mode::Train`.
    geometry: Option<Conv2dGeometry>,
    /// `im2col(x)` of the last forward, (N*OH*OW, C*FH*FW): the book's `self.col`.
    col: Array2<A>,
    out_rows: Array2<A>,
    dout_rows: Array2<A>,
    dcol: Array2<A>,
    needs_input_grad: bool,
}

impl<A: Float> Convolution<A> {
    /// The book's `Convolution(W, b, stride=1, pad=0)`.
    ///
    /// Errors if `b` does not have one entry per filter, or the stride is 0.
    pub fn new(
        w: Array4<A>,
        b: Array1<A>,
        stride: usize,
        pad: usize,
    ) -> Result<Self, GeometryError> {
        Self::with_geometry(w, b, (stride, stride), Padding::uniform(pad))
    }

    /// Any strides and per-side padding.
    pub fn with_geometry(
        w: Array4<A>,
        b: Array1<A>,
        stride: (usize, usize),
        pad: Padding,
    ) -> Result<Self, GeometryError> {
        let (fn_, c, fh, fw) = w.dim();
        if b.len() != fn_ {
            return Err(GeometryError(format!(
                "Convolution: the bias has {} entries but W has {fn_} filters; give one per filter",
                b.len()
            )));
        }
        if [fn_, c, fh, fw].contains(&0) || stride.0 == 0 || stride.1 == 0 {
            return Err(GeometryError(format!(
                "Convolution: W of shape {:?} and stride {stride:?} need nonzero sizes",
                w.dim()
            )));
        }
        let w = w.as_standard_layout().into_owned();
        Ok(Convolution {
            dw: Array4::zeros(w.raw_dim()),
            db: Array1::zeros(fn_),
            w,
            b,
            stride,
            pad,
            geometry: None,
            col: Array2::zeros((0, 0)),
            out_rows: Array2::zeros((0, 0)),
            dout_rows: Array2::zeros((0, 0)),
            dcol: Array2::zeros((0, 0)),
            needs_input_grad: true,
        })
    }

    /// Whether `backward` computes `dx` (default `true`); a first layer has no use for it and
    /// saves the `dcol` product and `col2im`. When off, `dx` is set to shape (0, 0, 0, 0).
    pub fn set_needs_input_grad(&mut self, needs: bool) {
        self.needs_input_grad = needs;
    }

    /// The checked geometry for an input of shape (N, C, H, W).
    pub fn geometry(
        &self,
        input_shape: (usize, usize, usize, usize),
    ) -> Result<Conv2dGeometry, GeometryError> {
        let (_, c, fh, fw) = self.w.dim();
        if input_shape.1 != c {
            return Err(GeometryError(format!(
                "Convolution: the input has {} channels but the filters have {c}",
                input_shape.1
            )));
        }
        Conv2dGeometry::new(input_shape, (fh, fw), self.stride, self.pad)
    }

    /// The kept `im2col(x)` of the last forward, (N*OH*OW, C*FH*FW).
    pub fn col(&self) -> &Array2<A> {
        &self.col
    }

    /// `out = conv(x)`: `x` (N, C, H, W) of any strides, `out` resized to (N, FN, OH, OW) if
    /// needed. In `Mode::Train` keeps `col` for the backward pass. Errors if the filters do
    /// not fit the input.
    pub fn forward_into(
        &mut self,
        x: ArrayView4<'_, A>,
        mode: Mode,
        out: &mut Array4<A>,
    ) -> Result<(), GeometryError> {
        let g = self.geometry(x.dim())?;
        im2col_into(x, &g, &mut self.col)?;
        let w_col = w_col_view(&self.w).expect("W is kept row-major");
        conv_forward_rows(&self.col, &w_col, &self.b, &mut self.out_rows);
        let (n, fn_, oh, ow) = (g.n(), self.w.dim().0, g.out_h(), g.out_w());
        if out.dim() != (n, fn_, oh, ow) {
            *out = Array4::zeros((n, fn_, oh, ow));
        }
        // out = out_rows.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
        let nhwc = self
            .out_rows
            .view()
            .into_shape_with_order((n, oh, ow, fn_))
            .expect("out_rows is row-major");
        out.assign(&nhwc.permuted_axes([0, 3, 1, 2]));
        self.geometry = (mode == Mode::Train).then_some(g);
        Ok(())
    }

    /// The allocating form of [`Convolution::forward_into`].
    pub fn forward(&mut self, x: &ArrayRef4<A>, mode: Mode) -> Result<Array4<A>, GeometryError> {
        let mut out = Array4::zeros((0, 0, 0, 0));
        self.forward_into(x.view(), mode, &mut out)?;
        Ok(out)
    }

    /// Fills `dw`, `db` and (unless switched off) `dx` (N, C, H, W) from `dout`
    /// (N, FN, OH, OW).
    ///
    /// # Panics
    /// Without a forward in `Mode::Train` first, or if `dout` does not have the shape of that
    /// forward's output (programmer errors, as in ch05's layers).
    pub fn backward_into(&mut self, dout: ArrayView4<'_, A>, dx: &mut Array4<A>) {
        let g = self
            .geometry
            .expect("Convolution::backward needs a forward in Mode::Train first");
        let (n, fn_, oh, ow) = (g.n(), self.w.dim().0, g.out_h(), g.out_w());
        assert_eq!(
            dout.dim(),
            (n, fn_, oh, ow),
            "Convolution::backward: dout must have the shape of the last forward's output"
        );
        // dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        ensure_shape(&mut self.dout_rows, (n * oh * ow, fn_));
        self.dout_rows
            .view_mut()
            .into_shape_with_order((n, oh, ow, fn_))
            .expect("row-major")
            .assign(&dout.permuted_axes([0, 2, 3, 1]));
        let w_col = w_col_view(&self.w).expect("W is kept row-major");
        // dW (FN, C*FH*FW) transposed is dW_col (C*FH*FW, FN): written in place.
        let k = self.col.ncols();
        let mut dw_col = self
            .dw
            .view_mut()
            .into_shape_with_order((fn_, k))
            .expect("dW is row-major")
            .reversed_axes();
        let dcol = self.needs_input_grad.then_some(&mut self.dcol);
        conv_backward_rows(
            &self.col,
            &w_col,
            &self.dout_rows,
            &mut dw_col,
            &mut self.db,
            dcol,
        );
        if !self.needs_input_grad {
            *dx = Array4::zeros((0, 0, 0, 0));
            return;
        }
        if dx.dim() != g.input_shape() {
            *dx = Array4::zeros(g.input_shape());
        }
        col2im_into(self.dcol.view(), &g, dx.view_mut()).expect("dcol has the forward's shape");
    }

    /// The allocating form of [`Convolution::backward_into`].
    pub fn backward(&mut self, dout: &ArrayRef4<A>) -> Array4<A> {
        let mut dx = Array4::zeros((0, 0, 0, 0));
        self.backward_into(dout.view(), &mut dx);
        dx
    }

    /// Visits `W` then `b` (names `"W"` and `"b"`).
    pub fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
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
