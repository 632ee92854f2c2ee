//! Keras' `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
//!
//! ```text
//! acc = acc + g^2                 (acc starts at initial_accumulator_value)
//! w   = w - lr * g / sqrt(acc + eps)
//! ```

use super::base::{Base, Clipping, keras_optimizer};
use super::defaults::adagrad as d;
use super::schedules::LearningRateSchedule;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;

/// Per-element learning rates that shrink with the sum of squared gradients seen so far.
#[derive(Debug, Clone)]
pub struct Adagrad<A> {
    initial_accumulator_value: f64,
    epsilon: f64,
    base: Base,
    accumulator: Slots<A>,
}

impl<A: Float> Adagrad<A> {
    /// Checked: `learning_rate >= 0`, `initial_accumulator_value >= 0`.
    pub fn new(learning_rate: f64, initial_accumulator_value: f64) -> Result<Self, OptimizerError> {
        Ok(Adagrad {
            initial_accumulator_value: check(
                "Adagrad",
                "initial_accumulator_value",
                initial_accumulator_value,
                ">= 0",
                |x| x >= 0.0,
            )?,
            epsilon: d::EPSILON,
            base: Base::new("Adagrad", learning_rate)?,
            accumulator: Slots::new(),
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("Adagrad", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let eps = A::of(self.epsilon);
        let init = A::of(self.initial_accumulator_value);
        let acc = self.accumulator.get(index, grad.shape(), init);
        Zip::from(&mut value)
            .and(&grad)
            .and(acc)
            .for_each(|w, &g, acc| {
                *acc = *acc + g * g;
                *w = *w - lr * g / (*acc + eps).sqrt();
            });
    }
}

impl<A: Float> Default for Adagrad<A> {
    /// `Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)`.
    fn default() -> Self {
        Adagrad::new(d::LEARNING_RATE, d::INITIAL_ACCUMULATOR_VALUE)
            .expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Adagrad, "Adagrad");
