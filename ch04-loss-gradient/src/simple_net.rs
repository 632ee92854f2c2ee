//! The book's `simpleNet` (4.4.2): one weight matrix, softmax, cross-entropy.
//!
//! ```text
//! z = x W          x: (2,)  W: (2, 3)  z: (3,)
//! y = softmax(z)
//! L = cross_entropy_error(y, t)
//! ```
//!
//! Its only purpose is to show that a network's gradient dL/dW is the same
//! [`numerical_gradient`](crate::numerical_gradient) as for any other function: probe each
//! element of W, watch the loss.
//!
//! ```
//! use ch04_loss_gradient::SimpleNet;
//! use ndarray::array;
//!
//! // The weights the book prints in 4.4.2.
//! let mut net = SimpleNet::<f64>::from_weights(array![
//!     [0.47355232, 0.9977393, 0.84668094],
//!     [0.85557411, 0.03563661, 0.69422093],
//! ]).unwrap();
//! let x = array![0.6, 0.9];
//! let t = array![0.0, 0.0, 1.0];
//! let p = net.predict(&x).unwrap();
//! assert!((p[0] - 1.05414809).abs() < 1e-7);
//! let dw = net.numerical_gradient(&x, &t).unwrap();
//! // The book prints 0.21924763; the 1e-7 guard in the loss shifts it by 6e-8.
//! assert!((dw[[0, 0]] - 0.21924763).abs() < 1e-7);
//! ```

use crate::LossError;
use crate::gradient::numerical_gradient;
use crate::loss_functions::{ClassLabel, cross_entropy_error};
use ch03_activations::Float;
use ch03_activations::softmax;
use ndarray::{Array1, Array2, ArrayRef, ArrayRef1, ArrayRef2, Axis, Dimension};
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A 2-input, 3-class linear classifier with the book's shape: `W` is (2, 3).
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleNet<A> {
    /// The weights, shape (inputs, classes) = (2, 3) in the book.
    pub w: Array2<A>,
}

impl<A: Float> SimpleNet<A> {
    /// `W = np.random.randn(2, 3)`: standard normal weights drawn from `rng`.
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self
    where
        StandardNormal: Distribution<A>,
    {
        SimpleNet {
            w: Array2::random_using((2, 3), StandardNormal, rng),
        }
    }

    /// A net with the given weights (shape (inputs, classes), any non-empty size).
    pub fn from_weights(w: Array2<A>) -> Result<Self, LossError> {
        if w.is_empty() {
            return Err(LossError::Shape(format!(
                "SimpleNet: the weights have shape {:?}; give (inputs, classes), e.g. (2, 3)",
                w.shape()
            )));
        }
        Ok(SimpleNet { w })
    }

    /// `z = x W`: the scores of the classes, shape (classes,), for one sample `x` (inputs,).
    pub fn predict(&self, x: &ArrayRef1<A>) -> Result<Array1<A>, LossError> {
        self.check_input(x)?;
        Ok(x.dot(&self.w))
    }

    /// `L = cross_entropy_error(softmax(x W), t)` for one sample `x` (inputs,), with `t` one-hot
    /// (classes,) or a single class index.
    pub fn loss<L: ClassLabel, E: Dimension>(
        &self,
        x: &ArrayRef1<A>,
        t: &ArrayRef<L, E>,
    ) -> Result<A, LossError> {
        self.check_input(x)?;
        loss_with(&self.w, x, t)
    }

    /// `dL/dW` by central differences over every element of `W` (shape of `W`). `W` is probed
    /// in place and restored exactly.
    pub fn numerical_gradient<L: ClassLabel, E: Dimension>(
        &mut self,
        x: &ArrayRef1<A>,
        t: &ArrayRef<L, E>,
    ) -> Result<Array2<A>, LossError> {
        // Check the labels once; the probes below then cannot fail.
        self.loss(x, t)?;
        // The book's `f = lambda w: net.loss(x, t)` reads net.W, which numerical_gradient
        // changes in place. In Rust, f receives the probed W instead.
        let f = |w: &ArrayRef2<A>| loss_with(w, x, t).expect("labels checked above");
        Ok(numerical_gradient(f, &mut self.w))
    }

    fn check_input(&self, x: &ArrayRef1<A>) -> Result<(), LossError> {
        if x.len() != self.w.nrows() {
            return Err(LossError::Shape(format!(
                "SimpleNet: x has {} elements but W has shape {:?}; give one sample of {} inputs",
                x.len(),
                self.w.shape(),
                self.w.nrows()
            )));
        }
        Ok(())
    }
}

/// The loss with weights `w` (the argument numerical_gradient probes).
fn loss_with<A: Float, L: ClassLabel, E: Dimension>(
    w: &ArrayRef2<A>,
    x: &ArrayRef1<A>,
    t: &ArrayRef<L, E>,
) -> Result<A, LossError> {
    let z = x.dot(w).insert_axis(Axis(0));
    let y = softmax(&z);
    cross_entropy_error(&y.index_axis(Axis(0), 0), t)
}
