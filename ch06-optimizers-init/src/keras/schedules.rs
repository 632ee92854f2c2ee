//! Learning-rate schedules (`tf.keras.optimizers.schedules`), evaluated at the step counter.
//!
//! A schedule maps the number of steps already taken, `step = 0, 1, 2, ...` (Keras'
//! `optimizer.iterations` before the step), to that step's learning rate. The first step of
//! training therefore uses `schedule.at(0)`.
//!
//! ```
//! use ch06_optimizers_init::keras::schedules::{ExponentialDecay, LearningRateSchedule};
//! // lr = 0.1 * 0.5^(step / 10)
//! let s = ExponentialDecay::new(0.1, 10, 0.5, false).unwrap();
//! assert!((s.at(0) - 0.1).abs() < 1e-15);
//! assert!((s.at(10) - 0.05).abs() < 1e-15);
//! assert!((s.at(5) - 0.1 * 0.5f64.sqrt()).abs() < 1e-15);
//! ```

use crate::optimizer::{OptimizerError, check};
use std::fmt::Debug;

/// A learning rate that depends on the step: `lr = schedule.at(step)`.
pub trait LearningRateSchedule: Debug + Send + Sync {
    /// The learning rate of the step that starts after `step` completed steps.
    fn at(&self, step: u64) -> f64;

    /// Keras' class name (`"ExponentialDecay"`).
    fn name(&self) -> &'static str;

    /// A boxed copy (so that optimizers holding a schedule can be cloned).
    fn clone_box(&self) -> Box<dyn LearningRateSchedule>;
}

impl Clone for Box<dyn LearningRateSchedule> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

/// `lr = initial * decay_rate^(step / decay_steps)`; with `staircase` the exponent is floored,
/// so the rate drops in steps every `decay_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExponentialDecay {
    pub initial_learning_rate: f64,
    pub decay_steps: u64,
    pub decay_rate: f64,
    pub staircase: bool,
}

impl ExponentialDecay {
    /// Checked: `initial_learning_rate >= 0`, `decay_steps > 0`, `decay_rate > 0`.
    pub fn new(
        initial_learning_rate: f64,
        decay_steps: u64,
        decay_rate: f64,
        staircase: bool,
    ) -> Result<Self, OptimizerError> {
        const O: &str = "ExponentialDecay";
        check(
            O,
            "initial_learning_rate",
            initial_learning_rate,
            ">= 0",
            |x| x >= 0.0,
        )?;
        check(O, "decay_steps", decay_steps as f64, "> 0", |x| x > 0.0)?;
        check(O, "decay_rate", decay_rate, "> 0", |x| x > 0.0)?;
        Ok(ExponentialDecay {
            initial_learning_rate,
            decay_steps,
            decay_rate,
            staircase,
        })
    }
}

impl LearningRateSchedule for ExponentialDecay {
    fn at(&self, step: u64) -> f64 {
        let mut p = step as f64 / self.decay_steps as f64;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate * self.decay_rate.powf(p)
    }
    fn name(&self) -> &'static str {
        "ExponentialDecay"
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        Box::new(self.clone())
    }
}

/// `lr = initial / (1 + decay_rate * step / decay_steps)` (the fraction floored with
/// `staircase`).
#[derive(Debug, Clone, PartialEq)]
pub struct InverseTimeDecay {
    pub initial_learning_rate: f64,
    pub decay_steps: u64,
    pub decay_rate: f64,
    pub staircase: bool,
}

impl InverseTimeDecay {
    /// Checked: `initial_learning_rate >= 0`, `decay_steps > 0`, `decay_rate >= 0`.
    pub fn new(
        initial_learning_rate: f64,
        decay_steps: u64,
        decay_rate: f64,
        staircase: bool,
    ) -> Result<Self, OptimizerError> {
        const O: &str = "InverseTimeDecay";
        check(
            O,
            "initial_learning_rate",
            initial_learning_rate,
            ">= 0",
            |x| x >= 0.0,
        )?;
        check(O, "decay_steps", decay_steps as f64, "> 0", |x| x > 0.0)?;
        check(O, "decay_rate", decay_rate, ">= 0", |x| x >= 0.0)?;
        Ok(InverseTimeDecay {
            initial_learning_rate,
            decay_steps,
            decay_rate,
            staircase,
        })
    }
}

impl LearningRateSchedule for InverseTimeDecay {
    fn at(&self, step: u64) -> f64 {
        let mut p = step as f64 / self.decay_steps as f64;
        if self.staircase {
            p = p.floor();
        }
        self.initial_learning_rate / (1.0 + self.decay_rate * p)
    }
    fn name(&self) -> &'static str {
        "InverseTimeDecay"
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        Box::new(self.clone())
    }
}

/// `values[0]` while `step <= boundaries[0]`, `values[i]` while
/// `boundaries[i-1] < step <= boundaries[i]`, and `values[n]` after the last boundary.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseConstantDecay {
    pub boundaries: Vec<u64>,
    pub values: Vec<f64>,
}

impl PiecewiseConstantDecay {
    /// Checked: `values.len() == boundaries.len() + 1`, boundaries strictly increasing,
    /// every value `>= 0`.
    pub fn new(boundaries: Vec<u64>, values: Vec<f64>) -> Result<Self, OptimizerError> {
        const O: &str = "PiecewiseConstantDecay";
        if values.len() != boundaries.len() + 1 {
            return Err(OptimizerError::InvalidSchedule {
                owner: O,
                message: format!(
                    "values must have one more element than boundaries (got {} boundaries and \
                     {} values)",
                    boundaries.len(),
                    values.len()
                ),
            });
        }
        if boundaries.windows(2).any(|w| w[0] >= w[1]) {
            return Err(OptimizerError::InvalidSchedule {
                owner: O,
                message: format!("boundaries must be strictly increasing (got {boundaries:?})"),
            });
        }
        for &v in &values {
            check(O, "values", v, ">= 0 (each)", |x| x >= 0.0)?;
        }
        Ok(PiecewiseConstantDecay { boundaries, values })
    }
}

impl LearningRateSchedule for PiecewiseConstantDecay {
    fn at(&self, step: u64) -> f64 {
        // The number of boundaries strictly below `step` is the index of its interval.
        let i = self.boundaries.partition_point(|&b| b < step);
        self.values[i]
    }
    fn name(&self) -> &'static str {
        "PiecewiseConstantDecay"
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        Box::new(self.clone())
    }
}

/// Cosine decay (SGDR without restarts), with Keras 2.12's optional linear warm-up.
///
/// Without warm-up: `s = min(step, decay_steps)`,
/// `lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`.
/// With warm-up (`warmup_target = Some(target)`): for `step < warmup_steps` the rate rises
/// linearly, `initial + (target - initial) * step / warmup_steps`, then decays from `target`
/// as above over `decay_steps` steps counted from the end of the warm-up.
#[derive(Debug, Clone, PartialEq)]
pub struct CosineDecay {
    pub initial_learning_rate: f64,
    pub decay_steps: u64,
    pub alpha: f64,
    pub warmup_target: Option<f64>,
    pub warmup_steps: u64,
}

impl CosineDecay {
    /// Checked: `initial_learning_rate >= 0`, `decay_steps > 0`, `alpha` in `[0, 1]`.
    pub fn new(
        initial_learning_rate: f64,
        decay_steps: u64,
        alpha: f64,
    ) -> Result<Self, OptimizerError> {
        const O: &str = "CosineDecay";
        check(
            O,
            "initial_learning_rate",
            initial_learning_rate,
            ">= 0",
            |x| x >= 0.0,
        )?;
        check(O, "decay_steps", decay_steps as f64, "> 0", |x| x > 0.0)?;
        check(O, "alpha", alpha, "in [0, 1]", |x| (0.0..=1.0).contains(&x))?;
        Ok(CosineDecay {
            initial_learning_rate,
            decay_steps,
            alpha,
            warmup_target: None,
            warmup_steps: 0,
        })
    }

    /// Adds a linear warm-up to `warmup_target` over `warmup_steps` steps (checked:
    /// `warmup_target >= 0`, `warmup_steps > 0`).
    pub fn with_warmup(
        mut self,
        warmup_target: f64,
        warmup_steps: u64,
    ) -> Result<Self, OptimizerError> {
        const O: &str = "CosineDecay";
        check(O, "warmup_target", warmup_target, ">= 0", |x| x >= 0.0)?;
        check(O, "warmup_steps", warmup_steps as f64, "> 0", |x| x > 0.0)?;
        self.warmup_target = Some(warmup_target);
        self.warmup_steps = warmup_steps;
        Ok(self)
    }

    fn decay(&self, step: f64, from: f64) -> f64 {
        let fraction = step / self.decay_steps as f64;
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * fraction).cos());
        from * ((1.0 - self.alpha) * cosine + self.alpha)
    }
}

impl LearningRateSchedule for CosineDecay {
    fn at(&self, step: u64) -> f64 {
        let decay_steps = self.decay_steps as f64;
        match self.warmup_target {
            None => self.decay((step as f64).min(decay_steps), self.initial_learning_rate),
            Some(target) => {
                let warmup = self.warmup_steps as f64;
                let s = (step as f64).min(decay_steps + warmup);
                if s < warmup {
                    (target - self.initial_learning_rate) * (s / warmup)
                        + self.initial_learning_rate
                } else {
                    self.decay(s - warmup, target)
                }
            }
        }
    }
    fn name(&self) -> &'static str {
        "CosineDecay"
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        Box::new(self.clone())
    }
}

/// `lr = (initial - end) * (1 - min(step, decay_steps) / decay_steps)^power + end`
/// (Keras' `PolynomialDecay` without `cycle`; with `cycle` the horizon grows to the first
/// multiple of `decay_steps` at or above `step`).
#[derive(Debug, Clone, PartialEq)]
pub struct PolynomialDecay {
    pub initial_learning_rate: f64,
    pub decay_steps: u64,
    pub end_learning_rate: f64,
    pub power: f64,
    pub cycle: bool,
}

impl PolynomialDecay {
    /// Checked: rates `>= 0`, `decay_steps > 0`, `power > 0`. Keras' defaults are
    /// `end_learning_rate = 0.0001`, `power = 1`, `cycle = false`.
    pub fn new(
        initial_learning_rate: f64,
        decay_steps: u64,
        end_learning_rate: f64,
        power: f64,
        cycle: bool,
    ) -> Result<Self, OptimizerError> {
        const O: &str = "PolynomialDecay";
        check(
            O,
            "initial_learning_rate",
            initial_learning_rate,
            ">= 0",
            |x| x >= 0.0,
        )?;
        check(O, "decay_steps", decay_steps as f64, "> 0", |x| x > 0.0)?;
        check(O, "end_learning_rate", end_learning_rate, ">= 0", |x| {
            x >= 0.0
        })?;
        check(O, "power", power, "> 0", |x| x > 0.0)?;
        Ok(PolynomialDecay {
            initial_learning_rate,
            decay_steps,
            end_learning_rate,
            power,
            cycle,
        })
    }
}

impl LearningRateSchedule for PolynomialDecay {
    fn at(&self, step: u64) -> f64 {
        let s = step as f64;
        let mut horizon = self.decay_steps as f64;
        let s = if self.cycle {
            if step > 0 {
                horizon *= (s / horizon).ceil();
            }
            s
        } else {
            s.min(horizon)
        };
        (self.initial_learning_rate - self.end_learning_rate) * (1.0 - s / horizon).powf(self.power)
            + self.end_learning_rate
    }
    fn name(&self) -> &'static str {
        "PolynomialDecay"
    }
    fn clone_box(&self) -> Box<dyn LearningRateSchedule> {
        Box::new(self.clone())
    }
}

/// The learning rate an optimizer was built with: a number or a schedule.
#[derive(Debug, Clone)]
pub enum LearningRate {
    Constant(f64),
    Schedule(Box<dyn LearningRateSchedule>),
}

impl LearningRate {
    /// The rate of the step that follows `step` completed steps.
    pub fn at(&self, step: u64) -> f64 {
        match self {
            LearningRate::Constant(lr) => *lr,
            LearningRate::Schedule(s) => s.at(step),
        }
    }
}
