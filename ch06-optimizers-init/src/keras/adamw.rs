//! Keras' `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
//! epsilon=1e-7, amsgrad=False)`: Adam with decoupled weight decay (Loshchilov and Hutter).
//!
//! ```text
//! w = w - w * wd * lr          (on the old weights, before the gradient step)
//! w = adam_step(w, g)
//! ```

use super::adam::Adam;
use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::adamw as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError};
use ch03_activations::Float;
use ch05_backprop::ParamMut;

/// Adam whose weight decay is applied to the weights directly, not added to the gradient.
#[derive(Debug, Clone)]
pub struct AdamW<A> {
    adam: Adam<A>,
    base: Base,
}

impl<A: Float> AdamW<A> {
    /// Checked: `learning_rate >= 0`, `weight_decay >= 0`, betas in `[0, 1)`.
    pub fn new(
        learning_rate: f64,
        weight_decay: f64,
        beta_1: f64,
        beta_2: f64,
    ) -> Result<Self, OptimizerError> {
        let adam = Adam::named("AdamW", learning_rate, beta_1, beta_2)?;
        let mut base = Base::new("AdamW", learning_rate)?;
        base.set_weight_decay(weight_decay)?;
        Ok(AdamW { adam, base })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.adam = self.adam.with_epsilon(epsilon)?;
        Ok(self)
    }

    /// The AMSGrad variant of the Adam step.
    pub fn with_amsgrad(mut self, amsgrad: bool) -> Self {
        self.adam = self.adam.with_amsgrad(amsgrad);
        self
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        // The weight decay was applied by `Base::prepare`; the inner Adam's own base is unused
        // (it holds no clipping and no decay), only its update rule and state.
        let t = self.base.step();
        self.adam.apply_at(index, param, lr, t);
    }
}

impl<A: Float> Default for AdamW<A> {
    /// `AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999)`.
    fn default() -> Self {
        AdamW::new(d::LEARNING_RATE, d::WEIGHT_DECAY, d::BETA_1, d::BETA_2)
            .expect("Keras' defaults are valid")
    }
}

keras_optimizer!(AdamW, "AdamW");
