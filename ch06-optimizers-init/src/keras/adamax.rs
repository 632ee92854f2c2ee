//! Keras' `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
//!
//! Adam with the infinity norm in place of the root mean square (step `t`, 1-based):
//!
//! ```text
//! m = m + (g - m) * (1 - b1)
//! u = max(b2 * u, |g|)
//! w = w - lr * m / ((1 - b1^t) * (u + eps))
//! ```

use super::adam::check_betas;
use super::base::{Base, Clipping, keras_optimizer, power};
use super::defaults::adamax as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Adam's infinity-norm variant (section 7 of Kingma and Ba).
#[derive(Debug, Clone)]
pub struct Adamax<A> {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    base: Base,
    m: Slots<A>,
    u: Slots<A>,
}

impl<A: Float> Adamax<A> {
    /// Checked: `learning_rate >= 0`, `beta_1` and `beta_2` in `[0, 1)`.
    pub fn new(learning_rate: f64, beta_1: f64, beta_2: f64) -> Result<Self, OptimizerError> {
        let (beta_1, beta_2) = check_betas("Adamax", beta_1, beta_2)?;
        Ok(Adamax {
            beta_1,
            beta_2,
            epsilon: d::EPSILON,
            base: Base::new("Adamax", learning_rate)?,
            m: Slots::new(),
            u: Slots::new(),
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("Adamax", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let t = self.base.step();
        let one_minus_b1_power = A::one() - power::<A>(self.beta_1, t);
        let c1 = A::of(1.0 - self.beta_1);
        let b2 = A::of(self.beta_2);
        let eps = A::of(self.epsilon);
        let m = self.m.get(index, grad.shape(), A::zero());
        let u = self.u.get(index, grad.shape(), A::zero());
        Zip::from(&mut value)
            .and(&grad)
            .and(m)
            .and(u)
            .for_each(|w, &g, m, u| {
                *m = *m + (g - *m) * c1;
                *u = (b2 * *u).max(g.abs());
                *w = *w - (lr * *m) / (one_minus_b1_power * (*u + eps));
            });
    }
}

impl<A: Float> Default for Adamax<A> {
    /// `Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    fn default() -> Self {
        Adamax::new(d::LEARNING_RATE, d::BETA_1, d::BETA_2).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Adamax, "Adamax");
