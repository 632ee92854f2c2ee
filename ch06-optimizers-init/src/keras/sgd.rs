//! Keras' `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
//!
//! With velocity `m` (starting at 0) and `mu = momentum`:
//!
//! ```text
//! m = mu * m - lr * g
//! w = w + m                      (plain momentum; mu = 0 is w -= lr * g)
//! w = w + mu * m - lr * g        (nesterov)
//! ```

use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::sgd as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Stochastic gradient descent, with optional (Nesterov) momentum. Named as in Keras.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone)]
pub struct SGD<A> {
    momentum: f64,
    nesterov: bool,
    base: Base,
    velocity: Slots<A>,
}

impl<A: Float> SGD<A> {
    /// Checked: `learning_rate >= 0`, `momentum` in `[0, 1]`.
    pub fn new(learning_rate: f64, momentum: f64, nesterov: bool) -> Result<Self, OptimizerError> {
        Ok(SGD {
            momentum: check("SGD", "momentum", momentum, "in [0, 1]", |x| {
                (0.0..=1.0).contains(&x)
            })?,
            nesterov,
            base: Base::new("SGD", learning_rate)?,
            velocity: Slots::new(),
        })
    }

    /// The momentum `mu`.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    /// Whether the Nesterov form is used.
    pub fn nesterov(&self) -> bool {
        self.nesterov
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        if self.momentum == 0.0 && !self.nesterov {
            // Keras adds m = -g*lr + 0*m, which is exactly -g*lr: skip the state.
            Zip::from(&mut value)
                .and(&grad)
                .for_each(|w, &g| *w = *w + -g * lr);
            return;
        }
        let mu = A::of(self.momentum);
        let m = self.velocity.get(index, grad.shape(), A::zero());
        if self.nesterov {
            Zip::from(&mut value)
                .and(&grad)
                .and(m)
                .for_each(|w, &g, m| {
                    *m = -g * lr + *m * mu;
                    *w = *w + (-g * lr + *m * mu);
                });
        } else {
            Zip::from(&mut value)
                .and(&grad)
                .and(m)
                .for_each(|w, &g, m| {
                    *m = -g * lr + *m * mu;
                    *w = *w + *m;
                });
        }
    }
}

impl<A: Float> Default for SGD<A> {
    /// `SGD(learning_rate=0.01, momentum=0.0, nesterov=False)`.
    fn default() -> Self {
        SGD::new(d::LEARNING_RATE, d::MOMENTUM, d::NESTEROV).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(SGD, "SGD");
