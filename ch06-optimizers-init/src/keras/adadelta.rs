//! Keras' `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
//!
//! ```text
//! Eg = rho * Eg + (1 - rho) * g^2
//! d  = -sqrt(Ed + eps) / sqrt(Eg + eps) * g
//! Ed = rho * Ed + (1 - rho) * d^2
//! w  = w + lr * d
//! ```
//! (Zeiler's paper uses lr = 1; Keras' default is 0.001.)

use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::adadelta as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Steps sized by the ratio of running RMS of past updates to running RMS of gradients.
#[derive(Debug, Clone)]
pub struct Adadelta<A> {
    rho: f64,
    epsilon: f64,
    base: Base,
    accumulated_grad: Slots<A>,
    accumulated_delta: Slots<A>,
}

impl<A: Float> Adadelta<A> {
    /// Checked: `learning_rate >= 0`, `rho` in `[0, 1)`.
    pub fn new(learning_rate: f64, rho: f64) -> Result<Self, OptimizerError> {
        Ok(Adadelta {
            rho: check("Adadelta", "rho", rho, "in [0, 1)", |x| {
                (0.0..1.0).contains(&x)
            })?,
            epsilon: d::EPSILON,
            base: Base::new("Adadelta", learning_rate)?,
            accumulated_grad: Slots::new(),
            accumulated_delta: Slots::new(),
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("Adadelta", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let rho = A::of(self.rho);
        let one_minus_rho = A::of(1.0 - self.rho);
        let eps = A::of(self.epsilon);
        let eg = self.accumulated_grad.get(index, grad.shape(), A::zero());
        let ed = self.accumulated_delta.get(index, grad.shape(), A::zero());
        Zip::from(&mut value)
            .and(&grad)
            .and(eg)
            .and(ed)
            .for_each(|w, &g, eg, ed| {
                *eg = rho * *eg + one_minus_rho * g * g;
                let d = -(*ed + eps).sqrt() * g / (*eg + eps).sqrt();
                *ed = rho * *ed + one_minus_rho * d * d;
                *w = *w + lr * d;
            });
    }
}

impl<A: Float> Default for Adadelta<A> {
    /// `Adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7)`.
    fn default() -> Self {
        Adadelta::new(d::LEARNING_RATE, d::RHO).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Adadelta, "Adadelta");
