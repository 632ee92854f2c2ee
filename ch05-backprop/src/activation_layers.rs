//! Activation layers (book 5.5): `Relu`, `Sigmoid`, and [`ActivationLayer`] for every Keras
//! activation of chapter 3.
//!
//! Each keeps the least that its backward needs:
//!
//! | layer | forward | keeps | backward |
//! |---|---|---|---|
//! | [`Relu`] | `y = max(x, 0)` | `mask = (x <= 0)` | `dx = dout`, zeroed where `mask` |
//! | [`Sigmoid`] | `y = 1 / (1 + exp(-x))` | `y` | `dx = dout * ((1 - y) * y)` |
//! | [`ActivationLayer`] | `y = f(x)` | `x` and `y` | `f.backward(x, y, dout)` (ch03's vector-Jacobian product) |
//!
//! The formulas are ch03's kernels (`relu_scalar`, `sigmoid_scalar`, `sigmoid_grad_from_y`),
//! the same that `keras-lite`'s activations run.
//!
//! Every layer maps (N, D) to (N, D) and has no parameters. In `Mode::Eval` (inference) they
//! keep nothing, and a backward after such a forward panics.
//!
//! The book's `Relu` masks `x <= 0`, so its derivative at exactly 0 is 0: TensorFlow's
//! convention too (`relu'(0) = 0`). The book's `relu_grad` of chapter 4 says 1 there instead;
//! a kink has no derivative, and gradient checks stay away from it.

use crate::affine::NO_TRAIN_FORWARD;
use crate::layer::{Layer, Mode, ensure_shape};
use ch03_activations::Float;
use ch03_activations::keras::Activation;
use ch03_activations::relu::relu_scalar;
use ch03_activations::sigmoid::{sigmoid_grad_from_y, sigmoid_scalar};
use ndarray::{Array2, ArrayRef2, Zip};

/// The ReLU layer: `y = max(x, 0)`; backward passes `dout` where `x > 0` and blocks it elsewhere.
///
/// ```python
/// class Relu:
///     def forward(self, x):
///         self.mask = (x <= 0)
///         out = x.copy(); out[self.mask] = 0
///         return out
///     def backward(self, dout):
///         dout[self.mask] = 0
///         return dout
/// ```
///
/// ```
/// use ch05_backprop::{Layer, Mode, Relu};
/// use ndarray::array;
/// let mut relu = Relu::new();
/// let y: ndarray::Array2<f64> = relu.forward(&array![[1.0, -0.5], [-2.0, 3.0]], Mode::Train);
/// assert_eq!(y, array![[1.0, 0.0], [0.0, 3.0]]);
/// assert_eq!(relu.mask(), &array![[false, true], [true, false]]);
/// assert_eq!(relu.backward(&array![[5.0, 5.0], [5.0, 5.0]]), array![[5.0, 0.0], [0.0, 5.0]]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Relu {
    /// `x <= 0` element by element, from the last forward (shape (N, D)).
    mask: Array2<bool>,
    has_cache: bool,
}

impl Relu {
    /// A ReLU layer (no parameters).
    pub fn new() -> Self {
        Relu::default()
    }

    /// The mask `x <= 0` kept by the last forward.
    pub fn mask(&self) -> &Array2<bool> {
        &self.mask
    }
}

impl<A: Float> Layer<A> for Relu {
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        ensure_shape(out, x.dim());
        self.has_cache = mode == Mode::Train;
        if !self.has_cache {
            Zip::from(&mut *out)
                .and(x)
                .for_each(|o, &xi| *o = relu_scalar(xi));
            return;
        }
        if self.mask.dim() != x.dim() {
            self.mask = Array2::from_elem(x.dim(), false);
        }
        Zip::from(&mut *out)
            .and(&mut self.mask)
            .and(x)
            .for_each(|o, m, &xi| {
                *m = xi <= A::zero();
                *o = relu_scalar(xi); // 0 exactly where the mask is set
            });
    }

    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        assert!(self.has_cache, "Relu: {NO_TRAIN_FORWARD}");
        assert_eq!(
            dout.dim(),
            self.mask.dim(),
            "Relu::backward: dout must have the shape of the last forward's input"
        );
        ensure_shape(dx, dout.dim());
        Zip::from(&mut *dx)
            .and(&self.mask)
            .and(dout)
            .for_each(|d, &m, &g| *d = if m { A::zero() } else { g });
    }
}

/// The Sigmoid layer: `y = 1 / (1 + exp(-x))`; keeps `y`, since `dy/dx = (1 - y) y`.
///
/// ```python
/// class Sigmoid:
///     def forward(self, x):
///         self.out = 1 / (1 + np.exp(-x))
///         return self.out
///     def backward(self, dout):
///         return dout * (1.0 - self.out) * self.out
/// ```
///
/// ```
/// use ch05_backprop::{Layer, Mode, Sigmoid};
/// use ndarray::array;
/// let mut sigmoid = Sigmoid::new();
/// let y = sigmoid.forward(&array![[0.0_f64]], Mode::Train);
/// assert_eq!(y, array![[0.5]]);
/// assert_eq!(sigmoid.backward(&array![[1.0]]), array![[0.25]]); // (1 - 0.5) * 0.5
/// ```
#[derive(Debug, Clone)]
pub struct Sigmoid<A> {
    /// The output of the last forward, shape (N, D).
    out: Array2<A>,
    has_cache: bool,
}

impl<A: Float> Default for Sigmoid<A> {
    fn default() -> Self {
        Sigmoid {
            out: Array2::zeros((0, 0)),
            has_cache: false,
        }
    }
}

impl<A: Float> Sigmoid<A> {
    /// A sigmoid layer (no parameters).
    pub fn new() -> Self {
        Self::default()
    }

    /// The output `y` kept by the last forward.
    pub fn output(&self) -> &Array2<A> {
        &self.out
    }
}

impl<A: Float> Layer<A> for Sigmoid<A> {
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        ensure_shape(out, x.dim());
        Zip::from(&mut *out)
            .and(x)
            .for_each(|o, &xi| *o = sigmoid_scalar(xi));
        self.has_cache = mode == Mode::Train;
        if self.has_cache {
            ensure_shape(&mut self.out, x.dim());
            self.out.assign(out);
        }
    }

    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        assert!(self.has_cache, "Sigmoid: {NO_TRAIN_FORWARD}");
        assert_eq!(
            dout.dim(),
            self.out.dim(),
            "Sigmoid::backward: dout must have the shape of the last forward's output"
        );
        ensure_shape(dx, dout.dim());
        Zip::from(&mut *dx)
            .and(&self.out)
            .and(dout)
            .for_each(|d, &y, &g| *d = g * sigmoid_grad_from_y(y));
    }
}

/// Any Keras activation of chapter 3 as a layer: `y = f(x)`, keeping `x` and `y`.
///
/// The backward is ch03's [`Activation::backward_into`], the vector-Jacobian product:
/// `dx = f'(x) * dout` element by element, and for softmax (row by row)
/// `dx = y * (dout - sum_j(dout_j * y_j))`. It keeps both `x` and `y` because some derivatives
/// are cheapest from the input (ReLU, ELU, GELU) and others from the output (sigmoid, tanh,
/// softmax).
///
/// ```
/// use ch03_activations::keras::Activation;
/// use ch05_backprop::{ActivationLayer, Layer, Mode};
/// use ndarray::array;
/// let mut tanh = ActivationLayer::new(Activation::Tanh);
/// let y = tanh.forward(&array![[0.0_f64, 1.0]], Mode::Train);
/// assert!((y[[0, 1]] - 1f64.tanh()).abs() < 1e-15);
/// let dx = tanh.backward(&array![[1.0, 1.0]]);
/// assert!((dx[[0, 0]] - 1.0).abs() < 1e-15); // tanh'(0) = 1 - tanh(0)^2 = 1
/// ```
#[derive(Debug, Clone)]
pub struct ActivationLayer<A> {
    /// Which function this layer applies.
    pub activation: Activation,
    /// The input of the last forward, shape (N, D).
    x: Array2<A>,
    /// The output of the last forward, shape (N, D).
    y: Array2<A>,
    has_cache: bool,
}

impl<A: Float> ActivationLayer<A> {
    /// A layer applying `activation` (softmax works row by row, the others element-wise).
    pub fn new(activation: Activation) -> Self {
        ActivationLayer {
            activation,
            x: Array2::zeros((0, 0)),
            y: Array2::zeros((0, 0)),
            has_cache: false,
        }
    }

    /// The input kept by the last forward.
    pub fn input(&self) -> &Array2<A> {
        &self.x
    }

    /// The output kept by the last forward.
    pub fn output(&self) -> &Array2<A> {
        &self.y
    }
}

impl<A: Float> Layer<A> for ActivationLayer<A> {
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        ensure_shape(out, x.dim());
        self.activation.forward_into(x, out);
        self.has_cache = mode == Mode::Train;
        if self.has_cache {
            ensure_shape(&mut self.x, x.dim());
            ensure_shape(&mut self.y, x.dim());
            self.x.assign(x);
            self.y.assign(out);
        }
    }

    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        assert!(self.has_cache, "ActivationLayer: {NO_TRAIN_FORWARD}");
        assert_eq!(
            dout.dim(),
            self.y.dim(),
            "ActivationLayer::backward: dout must have the shape of the last forward's output"
        );
        ensure_shape(dx, dout.dim());
        self.activation.backward_into(&self.x, &self.y, dout, dx);
    }
}
