//! Every Keras activation, with its derivative, as one value that can be parsed from a name.
//!
//! (SKELETON: signatures fixed by the workspace design; bodies are filled in by the ch03 work.)

use crate::Float;
use ndarray::{Array2, ArrayRef2};
use std::str::FromStr;

/// An activation function as Keras names it (`"relu".parse::<Activation>()`).
///
/// Hyper-parameters are kept in `f64` and rounded to the array's scalar type when applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(x, 0)` generalised as Keras does: slope `alpha` below `threshold`, capped at `max_value`.
    Relu {
        alpha: f64,
        max_value: Option<f64>,
        threshold: f64,
    },
    Sigmoid,
    Tanh,
    /// Row-wise softmax over the last axis (max-shifted).
    Softmax,
    Softplus,
    Softsign,
    Elu {
        alpha: f64,
    },
    Selu,
    /// Keras 2: `clip(0.2 x + 0.5, 0, 1)`.
    HardSigmoid,
    Linear,
    Exponential,
    Swish,
    Gelu {
        approximate: bool,
    },
    Relu6,
    LeakyRelu {
        alpha: f64,
    },
    Mish,
}

/// An activation name that Keras does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activation {name:?}; valid names are: {valid}")]
pub struct UnknownActivation {
    pub name: String,
    pub valid: String,
}

impl FromStr for Activation {
    type Err = UnknownActivation;
    fn from_str(_name: &str) -> Result<Self, Self::Err> {
        todo!()
    }
}

impl Activation {
    /// The Keras name (`"relu"`, `"softmax"`, ...).
    pub fn name(&self) -> &'static str {
        todo!()
    }

    /// True for every activation except softmax, which mixes a row.
    pub fn is_elementwise(&self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// `f(x)` of an element-wise activation. Panics for softmax (not element-wise).
    pub fn value<A: Float>(&self, _x: A) -> A {
        todo!()
    }

    /// `f'(x)` of an element-wise activation, with TensorFlow's convention at kinks.
    pub fn derivative<A: Float>(&self, _x: A) -> A {
        todo!()
    }

    /// `y = f(x)` for a batch `x` of shape (N, D); softmax works row by row.
    pub fn forward<A: Float>(&self, x: &ArrayRef2<A>) -> Array2<A> {
        let mut y = Array2::zeros(x.raw_dim());
        self.forward_into(x, &mut y);
        y
    }

    /// `y = f(x)` written into `y` (same shape as `x`), allocating nothing.
    pub fn forward_into<A: Float>(&self, _x: &ArrayRef2<A>, _y: &mut ArrayRef2<A>) {
        todo!()
    }

    /// The vector-Jacobian product a backward pass needs: `dx = dy * f'(x)` element-wise,
    /// and for softmax `dx = y * (dy - sum(dy * y, row))`. `x` is the input, `y = f(x)`.
    pub fn backward<A: Float>(
        &self,
        x: &ArrayRef2<A>,
        y: &ArrayRef2<A>,
        dy: &ArrayRef2<A>,
    ) -> Array2<A> {
        let mut dx = Array2::zeros(x.raw_dim());
        self.backward_into(x, y, dy, &mut dx);
        dx
    }

    /// Like [`Activation::backward`], written into `dx`, allocating nothing.
    pub fn backward_into<A: Float>(
        &self,
        _x: &ArrayRef2<A>,
        _y: &ArrayRef2<A>,
        _dy: &ArrayRef2<A>,
        _dx: &mut ArrayRef2<A>,
    ) {
        todo!()
    }
}
