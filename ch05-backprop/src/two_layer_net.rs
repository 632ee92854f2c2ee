//! The book's `TwoLayerNet` of 5.7, built from layers and trained by backpropagation.
//!
//! ```text
//! x (N, input) -> Affine1 -> Relu1 -> Affine2 -> scores (N, output) -> SoftmaxWithLoss -> L
//!                W1 (input, hidden)    W2 (hidden, output)
//!                b1 (hidden,)          b2 (output,)
//! ```
//!
//! `gradient` is one forward pass through the layers, each keeping what it needs, then one
//! backward pass in reverse order, each turning `dout` into `dx` and filling its `dW`, `db`:
//!
//! ```python
//! def gradient(self, x, t):
//!     self.loss(x, t)                       # forward
//!     dout = self.lastLayer.backward(1)     # (y - t) / N
//!     for layer in reversed(list(self.layers.values())):
//!         dout = layer.backward(dout)
//!     grads['W1'], grads['b1'] = self.layers['Affine1'].dW, self.layers['Affine1'].db
//!     grads['W2'], grads['b2'] = self.layers['Affine2'].dW, self.layers['Affine2'].db
//!     return grads
//! ```
//!
//! [`TwoLayerNet::numerical_gradient`] gets the same numbers the slow way, with ch04's
//! [`ch04_loss_gradient::numerical_gradient`]: the book's
//! `gradient_check.py` compares the two.

use crate::activation_layers::Relu;
use crate::affine::Affine;
use crate::layer::{Layer, Mode, ParamMut};
use crate::softmax_with_loss::SoftmaxWithLoss;
use ch03_activations::{Float, argmax};
use ch04_loss_gradient::{Grads, Labels, LossError, numerical_gradient};
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Affine -> ReLU -> Affine -> SoftmaxWithLoss, with every intermediate buffer kept so that a
/// training step ([`TwoLayerNet::forward_backward`]) allocates nothing once shaped.
///
/// ```
/// use ch04_loss_gradient::Labels;
/// use ch05_backprop::TwoLayerNet;
/// use ndarray::array;
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let mut net = TwoLayerNet::<f64>::new(3, 5, 2, 0.5, &mut StdRng::seed_from_u64(1))?;
/// let x = array![[0.1, 0.5, 0.9], [0.8, 0.2, 0.4]];
/// let t = array![1usize, 0];
/// let backprop = net.gradient(&x, Labels::Sparse(t.view()))?;
/// let numerical = net.numerical_gradient(&x, Labels::Sparse(t.view()))?;
/// let diff = (&backprop.w1 - &numerical.w1).mapv(f64::abs).mean().unwrap();
/// assert!(diff < 1e-8, "{diff}");
/// # Ok::<(), ch04_loss_gradient::LossError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TwoLayerNet<A> {
    /// `x W1 + b1`, (input) -> (hidden).
    pub affine1: Affine<A>,
    /// `max(a1, 0)`.
    pub relu1: Relu,
    /// `z1 W2 + b2`, (hidden) -> (output).
    pub affine2: Affine<A>,
    /// softmax + cross-entropy on the scores.
    pub last_layer: SoftmaxWithLoss<A>,
    a1: Array2<A>,
    z1: Array2<A>,
    scores: Array2<A>,
    dscores: Array2<A>,
    dz1: Array2<A>,
    da1: Array2<A>,
    dx: Array2<A>,
}

impl<A: Float> TwoLayerNet<A> {
    /// Weights `weight_init_std * randn(...)` drawn from `rng`, biases zero (the book's
    /// `__init__`, where `weight_init_std` is 0.01).
    ///
    /// Errors: a size of 0, or a `weight_init_std` that is negative or not finite.
    pub fn new<R: Rng + ?Sized>(
        input_size: usize,
        hidden_size: usize,
        output_size: usize,
        weight_init_std: f64,
        rng: &mut R,
    ) -> Result<Self, LossError>
    where
        StandardNormal: Distribution<A>,
    {
        if input_size == 0 || hidden_size == 0 || output_size == 0 {
            return Err(LossError::Parameter(format!(
                "TwoLayerNet: sizes must be at least 1, got input {input_size}, hidden \
                 {hidden_size}, output {output_size} (the book uses 784, 50, 10)"
            )));
        }
        if !(weight_init_std.is_finite() && weight_init_std >= 0.0) {
            return Err(LossError::Parameter(format!(
                "TwoLayerNet: weight_init_std must be a finite number >= 0, got \
                 {weight_init_std} (the book uses 0.01)"
            )));
        }
        let std = A::of(weight_init_std);
        let mut randn = |shape: (usize, usize)| {
            Array2::from_shape_simple_fn(shape, || rng.sample::<A, _>(StandardNormal) * std)
        };
        let w1 = randn((input_size, hidden_size));
        let w2 = randn((hidden_size, output_size));
        Ok(Self::from_params(
            w1,
            Array1::zeros(hidden_size),
            w2,
            Array1::zeros(output_size),
        )
        .expect("shapes made to fit"))
    }

    /// A network with the given parameters: `w1` (input, hidden), `b1` (hidden,), `w2`
    /// (hidden, output), `b2` (output,). Errors if the shapes do not chain.
    pub fn from_params(
        w1: Array2<A>,
        b1: Array1<A>,
        w2: Array2<A>,
        b2: Array1<A>,
    ) -> Result<Self, LossError> {
        if w1.ncols() != w2.nrows() {
            return Err(LossError::Shape(format!(
                "TwoLayerNet: W1 has shape {:?} but W2 has shape {:?}; W2 needs one row per \
                 column of W1",
                w1.dim(),
                w2.dim()
            )));
        }
        let shape_err = |e: crate::LayerError| LossError::Shape(format!("TwoLayerNet: {e}"));
        let mut affine1 = Affine::new(w1, b1).map_err(shape_err)?;
        // Nothing is before the first layer: its dx would be thrown away (the book computes
        // it anyway), so skip that matrix product.
        affine1.set_needs_input_grad(false);
        let affine2 = Affine::new(w2, b2).map_err(shape_err)?;
        let empty = || Array2::zeros((0, 0));
        Ok(TwoLayerNet {
            affine1,
            relu1: Relu::new(),
            affine2,
            last_layer: SoftmaxWithLoss::new(),
            a1: empty(),
            z1: empty(),
            scores: empty(),
            dscores: empty(),
            dz1: empty(),
            da1: empty(),
            dx: empty(),
        })
    }

    /// The number of inputs, hidden units and outputs.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (
            self.affine1.n_in(),
            self.affine1.n_out(),
            self.affine2.n_out(),
        )
    }

    /// The number of parameters: `input*hidden + hidden + hidden*output + output`.
    pub fn param_count(&self) -> usize {
        let (i, h, o) = self.sizes();
        i * h + h + h * o + o
    }

    fn check_x(&self, x: &ArrayRef2<A>) -> Result<(), LossError> {
        let (input, _, _) = self.sizes();
        if x.ncols() != input || x.nrows() == 0 {
            return Err(LossError::Shape(format!(
                "TwoLayerNet: x has shape {:?}; expected (N, {input}) with N >= 1 (flatten \
                 images to rows of {input} values)",
                x.dim()
            )));
        }
        Ok(())
    }

    /// The layers' forward pass, leaving the scores (N, output) in `self.scores`. In
    /// `Mode::Train` each layer keeps what its backward needs; `Mode::Eval` keeps nothing.
    fn forward_layers(&mut self, x: &ArrayRef2<A>, mode: Mode) {
        self.affine1.forward_into(x, mode, &mut self.a1);
        self.relu1.forward_into(&self.a1, mode, &mut self.z1);
        self.affine2.forward_into(&self.z1, mode, &mut self.scores);
    }

    /// The scores (logits) `relu(x W1 + b1) W2 + b2`, shape (N, output): the book's
    /// `predict` (softmax is left out; it does not change the argmax).
    pub fn predict(&mut self, x: &ArrayRef2<A>) -> Result<Array2<A>, LossError> {
        self.check_x(x)?;
        self.forward_layers(x, Mode::Eval);
        Ok(self.scores.clone())
    }

    /// `L = SoftmaxWithLoss(predict(x), t)`, `t` one-hot (N, output) or class indices (N,).
    pub fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        self.check_x(x)?;
        self.forward_layers(x, Mode::Train);
        self.last_layer.forward(&self.scores, t)
    }

    /// The fraction of rows whose highest score is the true class (argmax of `t` for one-hot
    /// rows).
    pub fn accuracy(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError> {
        self.check_x(x)?;
        if t.len() != x.nrows() {
            return Err(LossError::Shape(format!(
                "TwoLayerNet::accuracy: {} labels for {} samples; give one label per sample",
                t.len(),
                x.nrows()
            )));
        }
        self.forward_layers(x, Mode::Eval);
        let correct = self
            .scores
            .rows()
            .into_iter()
            .enumerate()
            .filter(|(i, row)| {
                let truth = match t {
                    Labels::Dense(t) => argmax(t.row(*i).iter().copied()),
                    Labels::Sparse(t) => t[*i],
                };
                argmax(row.iter().copied()) == truth
            })
            .count();
        Ok(correct as f64 / x.nrows() as f64)
    }

    /// Forward and backward through the layers: returns the loss and leaves dL/dW1 ... in
    /// `affine1.dw`, `affine1.db`, `affine2.dw`, `affine2.db`. Allocation-free once shaped: the
    /// training step. (The book's `gradient`, without copying the gradients into a dict.)
    pub fn forward_backward(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        let loss = self.loss(x, t)?;
        self.last_layer.backward_into(&mut self.dscores); // (y - t) / N
        self.affine2.backward_into(&self.dscores, &mut self.dz1);
        self.relu1.backward_into(&self.dz1, &mut self.da1);
        self.affine1.backward_into(&self.da1, &mut self.dx);
        Ok(loss)
    }

    /// dL/dparams by backpropagation (the book's `gradient`): one forward and one backward
    /// pass, the gradients copied out.
    pub fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<Grads<A>, LossError> {
        self.forward_backward(x, t)?;
        Ok(Grads {
            w1: self.affine1.dw.clone(),
            b1: self.affine1.db.clone(),
            w2: self.affine2.dw.clone(),
            b2: self.affine2.db.clone(),
        })
    }

    /// dL/dparams by ch04's central differences (h = 1e-4) over every parameter (the book's
    /// `numerical_gradient`): `2 * param_count()` forward passes.
    pub fn numerical_gradient(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
    ) -> Result<Grads<A>, LossError> {
        // One checked evaluation: after it, every probe sees valid inputs.
        self.loss(x, t)?;
        let ok = "inputs checked above";
        // Each parameter is taken out while it is probed, so that the loss can read the others.
        let mut w1 = std::mem::take(&mut self.affine1.w);
        let g_w1 = numerical_gradient(
            |w1| self.loss_with(Some(w1), None, None, None, x, t).expect(ok),
            &mut w1,
        );
        self.affine1.w = w1;
        let mut b1 = std::mem::take(&mut self.affine1.b);
        let g_b1 = numerical_gradient(
            |b1| self.loss_with(None, Some(b1), None, None, x, t).expect(ok),
            &mut b1,
        );
        self.affine1.b = b1;
        let mut w2 = std::mem::take(&mut self.affine2.w);
        let g_w2 = numerical_gradient(
            |w2| self.loss_with(None, None, Some(w2), None, x, t).expect(ok),
            &mut w2,
        );
        self.affine2.w = w2;
        let mut b2 = std::mem::take(&mut self.affine2.b);
        let g_b2 = numerical_gradient(
            |b2| self.loss_with(None, None, None, Some(b2), x, t).expect(ok),
            &mut b2,
        );
        self.affine2.b = b2;
        Ok(Grads {
            w1: g_w1,
            b1: g_b1,
            w2: g_w2,
            b2: g_b2,
        })
    }

    /// The smallest `|x W1 + b1|` over every hidden unit and sample: how close the batch
    /// comes to ReLU's kink. A numerical gradient with step `h` straddles the kink when this
    /// is below about `h` times the input's scale, and is then wrong there (backprop is not).
    pub fn nearest_kink(&self, x: &ArrayRef2<A>) -> Result<A, LossError> {
        self.check_x(x)?;
        let a1 = x.dot(&self.affine1.w) + &self.affine1.b;
        Ok(a1.iter().fold(A::infinity(), |m, v| m.min(v.abs())))
    }

    /// The loss with any of the parameters replaced (the probed copy of the numerical
    /// gradient), computed without touching the layers' caches.
    fn loss_with(
        &self,
        w1: Option<&ArrayRef2<A>>,
        b1: Option<&ArrayRef1<A>>,
        w2: Option<&ArrayRef2<A>>,
        b2: Option<&ArrayRef1<A>>,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
    ) -> Result<A, LossError> {
        let w1 = w1.unwrap_or(&self.affine1.w);
        let b1 = b1.unwrap_or(&self.affine1.b);
        let w2 = w2.unwrap_or(&self.affine2.w);
        let b2 = b2.unwrap_or(&self.affine2.b);
        let z1 = (x.dot(w1) + b1).mapv_into(|v| v.max(A::zero()));
        let scores = z1.dot(w2) + b2;
        SoftmaxWithLoss::new().forward(&scores, t)
    }

    /// Visits `W1`, `b1`, `W2`, `b2` (value and the gradient of the last backward), in that
    /// order: an optimizer's view of the network.
    ///
    /// ```
    /// # use ch05_backprop::TwoLayerNet;
    /// # let mut net = TwoLayerNet::<f32>::from_params(
    /// #     ndarray::Array2::zeros((2, 3)), ndarray::Array1::zeros(3),
    /// #     ndarray::Array2::zeros((3, 2)), ndarray::Array1::zeros(2)).unwrap();
    /// // SGD: p -= lr * dL/dp, for every parameter, allocating nothing
    /// let lr = 0.1_f32;
    /// net.for_each_param(&mut |mut p| p.value.scaled_add(-lr, &p.grad));
    /// ```
    pub fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        let mut rename = |layer: usize, p: ParamMut<'_, A>| {
            let name = match (layer, p.name) {
                (1, "W") => "W1",
                (1, _) => "b1",
                (_, "W") => "W2",
                _ => "b2",
            };
            f(ParamMut { name, ..p });
        };
        self.affine1.for_each_param(&mut |p| rename(1, p));
        self.affine2.for_each_param(&mut |p| rename(2, p));
    }
}
