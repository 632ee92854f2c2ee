//! Keras' `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`: Adam with
//! Nesterov momentum (Dozat), with the momentum schedule `u_t = b1 * (1 - 0.5 * 0.96^t)`.
//!
//! At step `t` (1-based), with `P_t = u_1 * u_2 * ... * u_t` (`P_0 = 1`, updated once a step):
//!
//! ```text
//! m = m + (g - m) * (1 - b1)
//! v = v + (g^2 - v) * (1 - b2)
//! mhat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
//! vhat = v / (1 - b2^t)
//! w = w - lr * mhat / (sqrt(vhat) + eps)
//! ```

use super::adam::check_betas;
use super::base::{Base, Clipping, keras_optimizer, power};
use super::defaults::nadam as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Nesterov-accelerated Adam.
#[derive(Debug, Clone)]
pub struct Nadam<A> {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    base: Base,
    m: Slots<A>,
    v: Slots<A>,
    /// `P_t`, and the step it belongs to (computed once per step, like Keras' cached product).
    u_product: A,
    u_product_step: u64,
}

impl<A: Float> Nadam<A> {
    /// Checked: `learning_rate >= 0`, `beta_1` and `beta_2` in `[0, 1)`.
    pub fn new(learning_rate: f64, beta_1: f64, beta_2: f64) -> Result<Self, OptimizerError> {
        let (beta_1, beta_2) = check_betas("Nadam", beta_1, beta_2)?;
        Ok(Nadam {
            beta_1,
            beta_2,
            epsilon: d::EPSILON,
            base: Base::new("Nadam", learning_rate)?,
            m: Slots::new(),
            v: Slots::new(),
            u_product: A::one(),
            u_product_step: 0,
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("Nadam", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let t = self.base.step();
        let one = A::one();
        let half = A::of(0.5);
        // Keras casts beta_1 and beta_2 to the variable's dtype first, so (1 - b1) is
        // computed in that dtype here (unlike Adam, where it is a double constant).
        let b1 = A::of(self.beta_1);
        let b2 = A::of(self.beta_2);
        let u_t = b1 * (one - half * power::<A>(0.96, t));
        let u_t1 = b1 * (one - half * power::<A>(0.96, t + 1));
        if self.u_product_step != t {
            self.u_product = self.u_product * u_t;
            self.u_product_step = t;
        }
        let p_t = self.u_product;
        let p_t1 = p_t * u_t1;
        let one_minus_b2_power = one - power::<A>(self.beta_2, t);
        let (c1, c2) = (one - b1, one - b2);
        let eps = A::of(self.epsilon);
        let m = self.m.get(index, grad.shape(), A::zero());
        let v = self.v.get(index, grad.shape(), A::zero());
        Zip::from(&mut value)
            .and(&grad)
            .and(m)
            .and(v)
            .for_each(|w, &g, m, v| {
                *m = *m + (g - *m) * c1;
                *v = *v + (g * g - *v) * c2;
                let m_hat = u_t1 * *m / (one - p_t1) + (one - u_t) * g / (one - p_t);
                let v_hat = *v / one_minus_b2_power;
                *w = *w - (m_hat * lr) / (v_hat.sqrt() + eps);
            });
    }
}

impl<A: Float> Default for Nadam<A> {
    /// `Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)`.
    fn default() -> Self {
        Nadam::new(d::LEARNING_RATE, d::BETA_1, d::BETA_2).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Nadam, "Nadam");
