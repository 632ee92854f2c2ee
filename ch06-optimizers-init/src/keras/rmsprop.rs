//! Keras' `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
//!
//! ```text
//! v = rho * v + (1 - rho) * g^2
//! a = rho * a + (1 - rho) * g                 (centered only)
//! denom = v + eps            or  v - a^2 + eps (centered)    -- eps INSIDE the root
//! inc = lr * g * rsqrt(denom)
//! w -= inc                   or  mom = momentum * mom + inc; w -= mom
//! ```

use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::rmsprop as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Divides the step by a running root mean square of the gradient (Hinton's RMSprop).
#[derive(Debug, Clone)]
pub struct RMSprop<A> {
    rho: f64,
    momentum: f64,
    epsilon: f64,
    centered: bool,
    base: Base,
    velocity: Slots<A>,
    average_grad: Slots<A>,
    mom: Slots<A>,
}

impl<A: Float> RMSprop<A> {
    /// Checked: `learning_rate >= 0`, `rho` in `[0, 1)`, `momentum` in `[0, 1]`.
    pub fn new(learning_rate: f64, rho: f64, momentum: f64) -> Result<Self, OptimizerError> {
        Ok(RMSprop {
            rho: check("RMSprop", "rho", rho, "in [0, 1)", |x| {
                (0.0..1.0).contains(&x)
            })?,
            momentum: check("RMSprop", "momentum", momentum, "in [0, 1]", |x| {
                (0.0..=1.0).contains(&x)
            })?,
            epsilon: d::EPSILON,
            centered: d::CENTERED,
            base: Base::new("RMSprop", learning_rate)?,
            velocity: Slots::new(),
            average_grad: Slots::new(),
            mom: Slots::new(),
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("RMSprop", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    /// The centered form: normalizes by an estimate of the gradient's variance.
    pub fn with_centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let rho = A::of(self.rho);
        let one_minus_rho = A::of(1.0 - self.rho);
        let eps = A::of(self.epsilon);
        let mu = A::of(self.momentum);
        let v = self.velocity.get(index, grad.shape(), A::zero());
        match (self.centered, self.momentum > 0.0) {
            (false, false) => {
                Zip::from(&mut value)
                    .and(&grad)
                    .and(v)
                    .for_each(|w, &g, v| {
                        *v = rho * *v + one_minus_rho * (g * g);
                        *w = *w - lr * g * (*v + eps).sqrt().recip();
                    });
            }
            (false, true) => {
                let mom = self.mom.get(index, grad.shape(), A::zero());
                Zip::from(&mut value)
                    .and(&grad)
                    .and(v)
                    .and(mom)
                    .for_each(|w, &g, v, mom| {
                        *v = rho * *v + one_minus_rho * (g * g);
                        *mom = mu * *mom + lr * g * (*v + eps).sqrt().recip();
                        *w = *w - *mom;
                    });
            }
            (true, false) => {
                let a = self.average_grad.get(index, grad.shape(), A::zero());
                Zip::from(&mut value)
                    .and(&grad)
                    .and(v)
                    .and(a)
                    .for_each(|w, &g, v, a| {
                        *v = rho * *v + one_minus_rho * (g * g);
                        *a = rho * *a + one_minus_rho * g;
                        *w = *w - lr * g * (*v - *a * *a + eps).sqrt().recip();
                    });
            }
            (true, true) => {
                let a = self.average_grad.get(index, grad.shape(), A::zero());
                let mom = self.mom.get(index, grad.shape(), A::zero());
                Zip::from(&mut value)
                    .and(&grad)
                    .and(v)
                    .and(a)
                    .and(mom)
                    .for_each(|w, &g, v, a, mom| {
                        *v = rho * *v + one_minus_rho * (g * g);
                        *a = rho * *a + one_minus_rho * g;
                        *mom = mu * *mom + lr * g * (*v - *a * *a + eps).sqrt().recip();
                        *w = *w - *mom;
                    });
            }
        }
    }
}

impl<A: Float> Default for RMSprop<A> {
    /// `RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False)`.
    fn default() -> Self {
        RMSprop::new(d::LEARNING_RATE, d::RHO, d::MOMENTUM).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(RMSprop, "RMSprop");
