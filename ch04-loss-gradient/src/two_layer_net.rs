//! The book's `TwoLayerNet` (4.5): a two-layer network trained by gradient descent.
//!
//! ```text
//! a1 = x W1 + b1      x: (N, input)  W1: (input, hidden)  b1: (hidden,)
//! z1 = sigmoid(a1)
//! a2 = z1 W2 + b2     W2: (hidden, output)  b2: (output,)
//! y  = softmax(a2)    y: (N, output), each row a probability distribution
//! L  = cross_entropy_error(y, t)
//! ```
//!
//! The weights start as `weight_init_std * randn` (0.01 in the book), the biases at zero.
//! [`TwoLayerNet::numerical_gradient`] finds dL/dparams by probing every parameter (2 forward
//! passes each: 79,520 passes for the 39,760 parameters of 784-50-10); the book also gives the
//! analytic [`TwoLayerNet::gradient`] (derived in chapter 5), which costs one forward and one
//! backward pass:
//!
//! ```text
//! dy  = (y - t) / N                dW2 = z1^T dy     db2 = sum_rows(dy)
//! dz1 = (dy W2^T) * sigmoid'(a1)   dW1 = x^T dz1     db1 = sum_rows(dz1)
//! ```
//!
//! ```
//! use ch04_loss_gradient::{Labels, TwoLayerNet};
//! use ndarray::array;
//! use rand::{SeedableRng, rngs::StdRng};
//!
//! let mut rng = StdRng::seed_from_u64(0);
//! let mut net = TwoLayerNet::<f64>::new(3, 4, 2, 0.01, &mut rng).unwrap();
//! let x = array![[0.1, 0.5, 0.9], [0.8, 0.2, 0.4]];
//! let t = array![1_usize, 0];
//! let analytic = net.gradient(&x, Labels::Sparse(t.view())).unwrap();
//! let numerical = net.numerical_gradient(&x, Labels::Sparse(t.view())).unwrap();
//! // Equal up to the central difference's error and the loss's 1e-7 guard.
//! let gap = (&analytic.w2 - &numerical.w2).mapv(f64::abs);
//! assert!(gap.iter().all(|&d| d < 1e-6), "{gap}");
//! ```

use crate::gradient::numerical_gradient;
use crate::loss_functions::{ClassLabel, cross_entropy_error};
use crate::{Labels, LossError};
use ch03_activations::Float;
use ch03_activations::sigmoid::sigmoid_grad_from_y;
use ch03_activations::{argmax, sigmoid, softmax};
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2, Axis, Zip};
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// The parameters of a [`TwoLayerNet`] (the book's `params` dictionary).
#[derive(Debug, Clone, PartialEq)]
pub struct TwoLayerNet<A> {
    /// First layer's weights, (input, hidden).
    pub w1: Array2<A>,
    /// First layer's biases, (hidden,).
    pub b1: Array1<A>,
    /// Second layer's weights, (hidden, output).
    pub w2: Array2<A>,
    /// Second layer's biases, (output,).
    pub b2: Array1<A>,
}

/// dL/d(each parameter), shaped like the parameter (the book's `grads` dictionary).
#[derive(Debug, Clone, PartialEq)]
pub struct Grads<A> {
    /// dL/dW1, (input, hidden).
    pub w1: Array2<A>,
    /// dL/db1, (hidden,).
    pub b1: Array1<A>,
    /// dL/dW2, (hidden, output).
    pub w2: Array2<A>,
    /// dL/db2, (output,).
    pub b2: Array1<A>,
}

/// The four parameters as borrowed views, so that one of them can be a probed copy.
#[derive(Clone, Copy)]
struct Params<'a, A> {
    w1: &'a ArrayRef2<A>,
    b1: &'a ArrayRef1<A>,
    w2: &'a ArrayRef2<A>,
    b2: &'a ArrayRef1<A>,
}

impl<A: Float + ClassLabel> Params<'_, A> {
    /// The forward pass: `(a1, z1, y)`.
    fn forward(&self, x: &ArrayRef2<A>) -> (Array2<A>, Array2<A>, Array2<A>) {
        let a1 = x.dot(self.w1) + self.b1;
        let z1 = sigmoid(&a1);
        let a2 = z1.dot(self.w2) + self.b2;
        let y = softmax(&a2);
        (a1, z1, y)
    }

    fn loss(&self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        let (_, _, y) = self.forward(x);
        match t {
            Labels::Dense(t) => cross_entropy_error(&y, &t),
            Labels::Sparse(t) => cross_entropy_error(&y, &t),
        }
    }
}

/// `A` is `f32` or `f64` (the bound [`ClassLabel`] lets one-hot rows of `A` be read as classes).
impl<A: Float + ClassLabel> TwoLayerNet<A> {
    /// Weights `weight_init_std * randn(...)` drawn from `rng`, biases zero (the book's
    /// `__init__`; `weight_init_std` is 0.01 there).
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
            Array2::<A>::random_using(shape, StandardNormal, rng).mapv(|v| v * std)
        };
        let w1 = randn((input_size, hidden_size));
        let w2 = randn((hidden_size, output_size));
        Ok(TwoLayerNet {
            w1,
            b1: Array1::zeros(hidden_size),
            w2,
            b2: Array1::zeros(output_size),
        })
    }

    /// The number of inputs, hidden units and outputs.
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.w1.nrows(), self.w1.ncols(), self.w2.ncols())
    }

    /// The number of parameters: `input*hidden + hidden + hidden*output + output`.
    pub fn param_count(&self) -> usize {
        self.w1.len() + self.b1.len() + self.w2.len() + self.b2.len()
    }

    fn params(&self) -> Params<'_, A> {
        Params {
            w1: &self.w1,
            b1: &self.b1,
            w2: &self.w2,
            b2: &self.b2,
        }
    }

    /// `y = softmax(sigmoid(x W1 + b1) W2 + b2)`: class probabilities (N, output) for a batch
    /// `x` of shape (N, input).
    pub fn predict(&self, x: &ArrayRef2<A>) -> Result<Array2<A>, LossError> {
        self.check_x(x)?;
        Ok(self.params().forward(x).2)
    }

    /// `L = cross_entropy_error(predict(x), t)` with `t` one-hot (N, output) or class indices
    /// (N,).
    pub fn loss(&self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        self.check(x, t)?;
        self.params().loss(x, t)
    }

    /// The fraction of rows whose most probable class is the true class (argmax of `t` for
    /// one-hot rows).
    pub fn accuracy(&self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError> {
        self.check(x, t)?;
        let y = self.params().forward(x).2;
        let correct = y
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

    /// dL/dparams by central differences over every parameter (the book's
    /// `numerical_gradient`). Costs `2 * param_count()` forward passes of the batch.
    pub fn numerical_gradient(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
    ) -> Result<Grads<A>, LossError> {
        self.numerical_gradient_with_progress(x, t, |_, _| {})
    }

    /// Like [`TwoLayerNet::numerical_gradient`], calling `progress(done, total)` after each
    /// loss evaluation (`total = 2 * param_count()`), so a caller can show how far it is.
    pub fn numerical_gradient_with_progress(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Grads<A>, LossError> {
        self.check(x, t)?;
        let total = 2 * self.param_count();
        let mut done = 0;
        let mut tick = || {
            done += 1;
            progress(done, total);
        };
        // Each parameter is taken out while it is probed, so that the loss can read the
        // others (the book's `loss_W = lambda W: self.loss(x, t)` relies on aliasing instead).
        let checked = "labels checked above";
        let mut w1 = std::mem::take(&mut self.w1);
        let g_w1 = numerical_gradient(
            |w1| {
                tick();
                let p = Params {
                    w1,
                    ..self.params()
                };
                p.loss(x, t).expect(checked)
            },
            &mut w1,
        );
        self.w1 = w1;
        let mut b1 = std::mem::take(&mut self.b1);
        let g_b1 = numerical_gradient(
            |b1| {
                tick();
                let p = Params {
                    b1,
                    ..self.params()
                };
                p.loss(x, t).expect(checked)
            },
            &mut b1,
        );
        self.b1 = b1;
        let mut w2 = std::mem::take(&mut self.w2);
        let g_w2 = numerical_gradient(
            |w2| {
                tick();
                let p = Params {
                    w2,
                    ..self.params()
                };
                p.loss(x, t).expect(checked)
            },
            &mut w2,
        );
        self.w2 = w2;
        let mut b2 = std::mem::take(&mut self.b2);
        let g_b2 = numerical_gradient(
            |b2| {
                tick();
                let p = Params {
                    b2,
                    ..self.params()
                };
                p.loss(x, t).expect(checked)
            },
            &mut b2,
        );
        self.b2 = b2;
        Ok(Grads {
            w1: g_w1,
            b1: g_b1,
            w2: g_w2,
            b2: g_b2,
        })
    }

    /// dL/dparams by backpropagation (the book's `gradient`; chapter 5 derives it): one
    /// forward and one backward pass. `t` one-hot (N, output) or class indices (N,).
    pub fn gradient(&self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<Grads<A>, LossError> {
        self.check(x, t)?;
        let batch = A::of(x.nrows() as f64);
        let (_a1, z1, y) = self.params().forward(x);
        // dy = (y - t) / N: softmax and cross-entropy together (5.6.3).
        let mut dy = y;
        match t {
            Labels::Dense(t) => Zip::from(&mut dy).and(&t).for_each(|d, &t| *d = *d - t),
            Labels::Sparse(t) => {
                for (mut row, &c) in dy.rows_mut().into_iter().zip(t.iter()) {
                    row[c] = row[c] - A::one();
                }
            }
        }
        dy.mapv_inplace(|v| v / batch);
        let w2 = z1.t().dot(&dy);
        let b2 = dy.sum_axis(Axis(0));
        let da1 = dy.dot(&self.w2.t());
        // dz1 = sigmoid'(a1) * da1, sigmoid'(a) = (1 - sigmoid(a)) sigmoid(a).
        let dz1 = Zip::from(&da1)
            .and(&z1)
            .map_collect(|&d, &y| d * sigmoid_grad_from_y(y));
        let w1 = x.t().dot(&dz1);
        let b1 = dz1.sum_axis(Axis(0));
        Ok(Grads { w1, b1, w2, b2 })
    }

    /// One step of gradient descent: `p -= lr * dL/dp` for every parameter.
    pub fn update(&mut self, grads: &Grads<A>, lr: A) {
        self.w1.scaled_add(-lr, &grads.w1);
        self.b1.scaled_add(-lr, &grads.b1);
        self.w2.scaled_add(-lr, &grads.w2);
        self.b2.scaled_add(-lr, &grads.b2);
    }

    fn check_x(&self, x: &ArrayRef2<A>) -> Result<(), LossError> {
        let (input, _, _) = self.sizes();
        if x.ncols() != input || x.nrows() == 0 {
            return Err(LossError::Shape(format!(
                "TwoLayerNet: x has shape {:?} but the network takes (N, {input}) with N >= 1; \
                 flatten each image to {input} values",
                x.shape()
            )));
        }
        Ok(())
    }

    fn check(&self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<(), LossError> {
        self.check_x(x)?;
        let (n, (_, _, classes)) = (x.nrows(), self.sizes());
        match t {
            Labels::Dense(t) if t.dim() != (n, classes) => Err(LossError::Shape(format!(
                "TwoLayerNet: t has shape {:?} but x has {n} samples and the network {classes} \
                 outputs; give one-hot labels ({n}, {classes}) or {n} class indices",
                t.shape()
            ))),
            Labels::Sparse(t) if t.len() != n => Err(LossError::Shape(format!(
                "TwoLayerNet: {} class indices for {n} samples; give one label per sample",
                t.len()
            ))),
            Labels::Sparse(t) => match t.iter().enumerate().find(|&(_, &c)| c >= classes) {
                Some((i, c)) => Err(LossError::Label(format!(
                    "TwoLayerNet: label {c} of sample {i} is not below the network's {classes} \
                     outputs; check the labels or build the net with more outputs"
                ))),
                None => Ok(()),
            },
            Labels::Dense(_) => Ok(()),
        }
    }
}
