//! The `Layer` trait: forward caches what backward needs (book 5.5 and 5.6).
//!
//! Every layer of the book has the same two methods: `forward(x)` computes the output and
//! **keeps whatever `backward` will need** (ReLU keeps a mask, Sigmoid keeps its output, Affine
//! keeps its input), and `backward(dout)` turns the upstream gradient `dL/dout` into `dL/dx`,
//! filling the gradients of the layer's own parameters on the way. Chaining `backward` through
//! the layers in reverse order is backpropagation.
//!
//! Shapes: a batch is always 2-D, `(N, D)`: N samples of D features. Images are flattened to
//! `(N, 784)` before they reach an [`Affine`](crate::Affine) layer (see
//! [`flatten_batch`](crate::flatten_batch)).

use ch03_activations::Float;
use ndarray::{Array2, ArrayRef2, ArrayViewMutD};

/// Training or inference: `Dropout` and `BatchNormalization` behave differently in each, and
/// the layers of this crate keep their backward caches only in `Train`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A training step: forward keeps what backward needs (the book's `train_flg=True`).
    Train,
    /// Inference (`predict`, `evaluate`): nothing is kept; calling backward next panics.
    Eval,
}

/// One trainable parameter of a layer: its value and the gradient the last backward left.
///
/// Both are mutable views: optimizers write `value`, gradient clipping rescales `grad`.
pub struct ParamMut<'a, A> {
    /// The parameter's name within its layer (`"W"`, `"b"`, `"gamma"`, ...).
    pub name: &'static str,
    /// The parameter itself, e.g. `W` of shape (in, out) viewed with a dynamic dimension.
    pub value: ArrayViewMutD<'a, A>,
    /// `dL/dvalue` from the last backward, same shape as `value`.
    pub grad: ArrayViewMutD<'a, A>,
}

/// A layer of the book's chapter 5: `forward` keeps what `backward` needs.
///
/// The `_into` methods write into buffers the caller keeps, so that a training loop allocates
/// nothing per step once the buffers have their shape; `forward` and `backward` are the
/// allocating versions a reader calls. `backward` uses what the last `forward` in
/// [`Mode::Train`] kept, so call them in pairs: forward through the layers in order, then
/// backward in reverse. Shape mismatches between the two are programmer errors and panic.
pub trait Layer<A: Float> {
    /// `out = layer(x)`; `out` is resized if its shape is not the output's.
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>);

    /// `dx = dL/dx` from `dout = dL/dout`, also filling the parameters' gradients.
    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>);

    /// The allocating form of [`Layer::forward_into`].
    fn forward(&mut self, x: &ArrayRef2<A>, mode: Mode) -> Array2<A> {
        let mut out = Array2::zeros((0, 0));
        self.forward_into(x, mode, &mut out);
        out
    }

    /// The allocating form of [`Layer::backward_into`].
    fn backward(&mut self, dout: &ArrayRef2<A>) -> Array2<A> {
        let mut dx = Array2::zeros((0, 0));
        self.backward_into(dout, &mut dx);
        dx
    }

    /// Calls `f` once per trainable parameter, always in the same order (`W` before `b`).
    /// A visitor rather than a returned `Vec`, so a training step allocates nothing.
    fn for_each_param(&mut self, _f: &mut dyn FnMut(ParamMut<'_, A>)) {}
}

/// A weight or bias array whose shape does not fit the layer it is meant for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LayerError(pub String);

/// Resizes `buf` to `shape` if it has another shape (allocates only when the shape changes).
pub fn ensure_shape<A: Float>(buf: &mut Array2<A>, shape: (usize, usize)) {
    if buf.dim() != shape {
        *buf = Array2::zeros(shape);
    }
}
