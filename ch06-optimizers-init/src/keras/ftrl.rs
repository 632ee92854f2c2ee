//! Keras' `Ftrl(learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
//! l1_regularization_strength=0.0, l2_regularization_strength=0.0,
//! l2_shrinkage_regularization_strength=0.0, beta=0.0)`: Follow The Regularized Leader.
//!
//! With `p = -learning_rate_power`, accumulator `n` (starts at the initial value) and linear
//! term `z` (starts at 0):
//!
//! ```text
//! l2' = l2 + beta / (2 lr)
//! g'  = g + 2 * l2_shrinkage * w
//! n'  = n + g^2
//! z   = z + g' - (n'^p - n^p) / lr * w
//! w   = (clip(z, -l1, l1) - z) / (n'^p / lr + 2 * l2')
//! n   = n'
//! ```

use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::ftrl as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// FTRL-Proximal (McMahan et al.), as Keras writes it.
#[derive(Debug, Clone)]
pub struct Ftrl<A> {
    learning_rate_power: f64,
    initial_accumulator_value: f64,
    l1: f64,
    l2: f64,
    l2_shrinkage: f64,
    beta: f64,
    base: Base,
    accumulator: Slots<A>,
    linear: Slots<A>,
}

impl<A: Float> Ftrl<A> {
    /// Keras' defaults with the given learning rate (checked `> 0`: FTRL divides by it).
    pub fn new(learning_rate: f64) -> Result<Self, OptimizerError> {
        check("Ftrl", "learning_rate", learning_rate, "> 0", |x| x > 0.0)?;
        Ok(Ftrl {
            learning_rate_power: d::LEARNING_RATE_POWER,
            initial_accumulator_value: d::INITIAL_ACCUMULATOR_VALUE,
            l1: d::L1_REGULARIZATION_STRENGTH,
            l2: d::L2_REGULARIZATION_STRENGTH,
            l2_shrinkage: d::L2_SHRINKAGE_REGULARIZATION_STRENGTH,
            beta: d::BETA,
            base: Base::new("Ftrl", learning_rate)?,
            accumulator: Slots::new(),
            linear: Slots::new(),
        })
    }

    /// Sets `learning_rate_power` (checked `<= 0`).
    pub fn with_learning_rate_power(mut self, power: f64) -> Result<Self, OptimizerError> {
        self.learning_rate_power =
            check("Ftrl", "learning_rate_power", power, "<= 0", |x| x <= 0.0)?;
        Ok(self)
    }

    /// Sets `initial_accumulator_value` (checked `>= 0`).
    pub fn with_initial_accumulator_value(mut self, value: f64) -> Result<Self, OptimizerError> {
        self.initial_accumulator_value =
            check("Ftrl", "initial_accumulator_value", value, ">= 0", |x| {
                x >= 0.0
            })?;
        Ok(self)
    }

    /// Sets the L1, L2 and L2-shrinkage regularization strengths (each checked `>= 0`).
    pub fn with_regularization(
        mut self,
        l1: f64,
        l2: f64,
        l2_shrinkage: f64,
    ) -> Result<Self, OptimizerError> {
        let nonneg = |x: f64| x >= 0.0;
        self.l1 = check("Ftrl", "l1_regularization_strength", l1, ">= 0", nonneg)?;
        self.l2 = check("Ftrl", "l2_regularization_strength", l2, ">= 0", nonneg)?;
        self.l2_shrinkage = check(
            "Ftrl",
            "l2_shrinkage_regularization_strength",
            l2_shrinkage,
            ">= 0",
            nonneg,
        )?;
        Ok(self)
    }

    /// Sets `beta` (checked `>= 0`).
    pub fn with_beta(mut self, beta: f64) -> Result<Self, OptimizerError> {
        self.beta = check("Ftrl", "beta", beta, ">= 0", |x| x >= 0.0)?;
        Ok(self)
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let two = A::of(2.0);
        let p = -self.learning_rate_power;
        let l2_reg = A::of(self.l2) + A::of(self.beta) / (two * lr);
        let shrink = A::of(2.0 * self.l2_shrinkage);
        let (lo, hi) = (A::of(-self.l1), A::of(self.l1));
        let n = self
            .accumulator
            .get(index, grad.shape(), A::of(self.initial_accumulator_value));
        let z = self.linear.get(index, grad.shape(), A::zero());
        Zip::from(&mut value)
            .and(&grad)
            .and(n)
            .and(z)
            .for_each(|w, &g, n, z| {
                let g_shrunk = g + shrink * *w;
                let n_new = *n + g * g;
                let (pow_new, pow_old) = (pow_once(n_new, p), pow_once(*n, p));
                *z = *z + (g_shrunk - (pow_new - pow_old) / lr * *w);
                let quadratic = pow_new / lr + two * l2_reg;
                *w = (z.max(lo).min(hi) - *z) / quadratic;
                *n = n_new;
            });
    }
}

/// `x^p`. The default `p = 0.5` is a square root (correctly rounded, and far cheaper than
/// `pow`); other powers are computed in `f64` and rounded once.
#[inline]
fn pow_once<A: Float>(x: A, p: f64) -> A {
    if p == 0.5 {
        x.sqrt()
    } else {
        A::of(x.as_f64().powf(p))
    }
}

impl<A: Float> Default for Ftrl<A> {
    /// `Ftrl(learning_rate=0.001)` with Keras' other defaults.
    fn default() -> Self {
        Ftrl::new(d::LEARNING_RATE).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Ftrl, "Ftrl");
