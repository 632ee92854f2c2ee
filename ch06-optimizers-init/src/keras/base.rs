//! What every Keras optimizer shares (tf_keras' `_BaseOptimizer`): the learning rate or its
//! schedule, the step counter, gradient clipping and decoupled weight decay.
//!
//! Keras' `apply_gradients` does, per step: compute this step's learning rate from the
//! schedule at `iterations`; clip the gradients; apply weight decay `w -= w * wd * lr`; run
//! each optimizer's `update_step`; `iterations += 1`. `Base::begin_step` and
//! `Base::prepare` do the same, parameter by parameter.

use super::schedules::{LearningRate, LearningRateSchedule};
use crate::optimizer::{OptimizerError, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;

/// Gradient clipping, applied to each gradient before the update (at most one mode at a time).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clipping {
    /// No clipping.
    None,
    /// `clipnorm = c`: each gradient separately, `g <- g * c / max(||g||_2, c)`.
    Norm(f64),
    /// `clipvalue = c`: each element, `g <- clip(g, -c, c)`.
    Value(f64),
    /// `global_clipnorm = c`: all gradients of the step together, with `G` the L2 norm of all
    /// of them, `g <- g * c * min(1/G, 1/c)` (TensorFlow's `clip_by_global_norm`).
    GlobalNorm(f64),
}

/// The settings and counters every Keras optimizer has besides its own update rule.
#[derive(Debug, Clone)]
pub struct Base {
    owner: &'static str,
    learning_rate: LearningRate,
    clipping: Clipping,
    weight_decay: Option<f64>,
    exclude_from_weight_decay: Vec<String>,
    /// Steps begun so far (Keras increments after the step; here `begin_step` increments, so
    /// inside a step `iterations` is Keras' 1-based `local_step`).
    iterations: u64,
    /// The learning rate of the step in progress.
    current_lr: f64,
    /// The global norm set for the coming step, and the one in use by the current step.
    pending_global_norm: Option<f64>,
    step_global_norm: Option<f64>,
}

impl Base {
    /// A constant learning rate; checked `learning_rate >= 0` (`> 0` where `positive`).
    pub(crate) fn new(owner: &'static str, learning_rate: f64) -> Result<Self, OptimizerError> {
        check(owner, "learning_rate", learning_rate, ">= 0", |x| x >= 0.0)?;
        Ok(Base {
            owner,
            learning_rate: LearningRate::Constant(learning_rate),
            clipping: Clipping::None,
            weight_decay: None,
            exclude_from_weight_decay: Vec::new(),
            iterations: 0,
            current_lr: learning_rate,
            pending_global_norm: None,
            step_global_norm: None,
        })
    }

    /// The learning rate of the next step: the constant, or the schedule at `iterations`.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate.at(self.iterations)
    }

    /// Replaces the learning rate (and any schedule) by the constant `lr`.
    pub fn set_learning_rate(&mut self, lr: f64) {
        self.learning_rate = LearningRate::Constant(lr);
    }

    /// Drives the learning rate by `schedule` from now on.
    pub fn set_schedule(&mut self, schedule: Box<dyn LearningRateSchedule>) {
        self.learning_rate = LearningRate::Schedule(schedule);
    }

    /// The clipping mode.
    pub fn clipping(&self) -> Clipping {
        self.clipping
    }

    /// The decoupled weight decay `wd` (`w -= w * wd * lr` each step), if any.
    pub fn weight_decay(&self) -> Option<f64> {
        self.weight_decay
    }

    /// Steps begun so far.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Sets one clipping mode (an error if another is already set or `c <= 0`).
    pub(crate) fn set_clipping(&mut self, clipping: Clipping) -> Result<(), OptimizerError> {
        let (setting, c) = match clipping {
            Clipping::None => {
                self.clipping = Clipping::None;
                return Ok(());
            }
            Clipping::Norm(c) => ("clipnorm", c),
            Clipping::Value(c) => ("clipvalue", c),
            Clipping::GlobalNorm(c) => ("global_clipnorm", c),
        };
        check(self.owner, setting, c, "> 0", |x| x > 0.0)?;
        let existing = match self.clipping {
            Clipping::None => None,
            Clipping::Norm(_) => Some("clipnorm"),
            Clipping::Value(_) => Some("clipvalue"),
            Clipping::GlobalNorm(_) => Some("global_clipnorm"),
        };
        match existing {
            Some(existing) if existing != setting => Err(OptimizerError::ConflictingClipping {
                owner: self.owner,
                existing,
            }),
            _ => {
                self.clipping = clipping;
                Ok(())
            }
        }
    }

    /// Sets decoupled weight decay (checked `>= 0`).
    pub(crate) fn set_weight_decay(&mut self, wd: f64) -> Result<(), OptimizerError> {
        self.weight_decay = Some(check(self.owner, "weight_decay", wd, ">= 0", |x| x >= 0.0)?);
        Ok(())
    }

    /// Parameters whose name contains one of `names` get no weight decay (Keras'
    /// `exclude_from_weight_decay(var_names=...)`; e.g. `["b"]` for biases).
    pub(crate) fn set_exclude_from_weight_decay(&mut self, names: &[&str]) {
        self.exclude_from_weight_decay = names.iter().map(|s| s.to_string()).collect();
    }

    pub(crate) fn needs_global_norm(&self) -> bool {
        matches!(self.clipping, Clipping::GlobalNorm(_))
    }

    pub(crate) fn set_global_norm(&mut self, norm: f64) {
        self.pending_global_norm = Some(norm);
    }

    /// Starts a step: fixes its learning rate (schedule at the completed-step count) and
    /// advances the counter.
    pub(crate) fn begin_step(&mut self) {
        self.current_lr = self.learning_rate.at(self.iterations);
        self.iterations += 1;
        self.step_global_norm = self.pending_global_norm.take();
    }

    /// Keras' `local_step = iterations + 1`: the 1-based number of the step in progress.
    ///
    /// # Panics
    /// If no step was begun (`update_param` without `begin_step`): a bug in the training loop.
    pub(crate) fn step(&self) -> u64 {
        assert!(
            self.iterations > 0,
            "{}: call begin_step() before update_param()",
            self.owner
        );
        self.iterations
    }

    /// Clips `param.grad` in place and applies weight decay to `param.value`; returns this
    /// step's learning rate as `A` (Keras keeps it as a float32 variable).
    pub(crate) fn prepare<A: Float>(&self, param: &mut ParamMut<'_, A>) -> A {
        let lr = A::of(self.current_lr);
        match self.clipping {
            Clipping::None => {}
            Clipping::Norm(c) => {
                // tf.clip_by_norm: t * c / max(||t||, c), always applied.
                let norm = crate::optimizer::grad_sq_norm(&param.grad).sqrt();
                let c_a = A::of(c);
                let denom = A::of(norm.max(c));
                param.grad.mapv_inplace(|g| g * c_a / denom);
            }
            Clipping::Value(c) => {
                let (lo, hi) = (A::of(-c), A::of(c));
                param.grad.mapv_inplace(|g| g.max(lo).min(hi));
            }
            Clipping::GlobalNorm(c) => {
                let norm = self.step_global_norm.unwrap_or_else(|| {
                    panic!(
                        "{}: global_clipnorm is set, so set_global_norm(norm of all gradients) \
                         must be called before begin_step() of every step",
                        self.owner
                    )
                });
                let scale = A::of(c * (1.0 / norm).min(1.0 / c));
                param.grad.mapv_inplace(|g| g * scale);
            }
        }
        if let Some(wd) = self.weight_decay {
            let excluded = self
                .exclude_from_weight_decay
                .iter()
                .any(|n| param.name.contains(n.as_str()));
            if !excluded && wd > 0.0 {
                let wd = A::of(wd);
                param.value.mapv_inplace(|w| w - w * wd * lr);
            }
        }
        lr
    }
}

/// `base^t` for a hyper-parameter `base` held as `A` (as TensorFlow casts it), computed in
/// double precision and rounded once (float32 `pow` can be an ulp off).
pub(crate) fn power<A: Float>(base: f64, t: u64) -> A {
    A::of(A::of(base).as_f64().powf(t as f64))
}

/// Generates what every Keras optimizer shares: the builder methods for the base settings and
/// the `Optimizer` impl that runs `Base::prepare` before the optimizer's own `apply`.
macro_rules! keras_optimizer {
    ($ty:ident, $name:literal) => {
        impl<A: Float> $ty<A> {
            /// Clips each gradient to L2 norm `clipnorm` (> 0): `g <- g * c / max(||g||, c)`.
            pub fn with_clipnorm(mut self, clipnorm: f64) -> Result<Self, OptimizerError> {
                self.base.set_clipping(Clipping::Norm(clipnorm))?;
                Ok(self)
            }

            /// Clips each gradient element to `[-clipvalue, clipvalue]` (`clipvalue > 0`).
            pub fn with_clipvalue(mut self, clipvalue: f64) -> Result<Self, OptimizerError> {
                self.base.set_clipping(Clipping::Value(clipvalue))?;
                Ok(self)
            }

            /// Scales all gradients of a step together so their joint L2 norm is at most
            /// `global_clipnorm` (> 0). The caller then passes that norm each step through
            /// [`Optimizer::set_global_norm`] (the provided `Optimizer::update` does).
            pub fn with_global_clipnorm(
                mut self,
                global_clipnorm: f64,
            ) -> Result<Self, OptimizerError> {
                self.base
                    .set_clipping(Clipping::GlobalNorm(global_clipnorm))?;
                Ok(self)
            }

            /// Decoupled weight decay (>= 0): before each update `w <- w - w * wd * lr`.
            pub fn with_weight_decay(mut self, weight_decay: f64) -> Result<Self, OptimizerError> {
                self.base.set_weight_decay(weight_decay)?;
                Ok(self)
            }

            /// Skips weight decay for parameters whose name contains one of `names`.
            pub fn exclude_from_weight_decay(mut self, names: &[&str]) -> Self {
                self.base.set_exclude_from_weight_decay(names);
                self
            }

            /// Drives the learning rate by `schedule`, evaluated at the step counter.
            pub fn with_schedule(mut self, schedule: impl LearningRateSchedule + 'static) -> Self {
                self.base.set_schedule(Box::new(schedule));
                self
            }

            /// The shared settings (learning rate, clipping, weight decay, step counter).
            pub fn base(&self) -> &Base {
                &self.base
            }
        }

        impl<A: Float> Optimizer<A> for $ty<A> {
            fn begin_step(&mut self) {
                self.base.begin_step();
            }

            fn update_param(&mut self, index: usize, mut param: ParamMut<'_, A>) {
                let lr = self.base.prepare(&mut param);
                self.apply(index, param, lr);
            }

            fn learning_rate(&self) -> f64 {
                self.base.learning_rate()
            }

            fn store_learning_rate(&mut self, lr: f64) {
                self.base.set_learning_rate(lr);
            }

            fn name(&self) -> &'static str {
                $name
            }

            fn iterations(&self) -> u64 {
                self.base.iterations()
            }

            fn needs_global_norm(&self) -> bool {
                self.base.needs_global_norm()
            }

            fn set_global_norm(&mut self, global_norm: f64) {
                self.base.set_global_norm(global_norm);
            }
        }
    };
}
pub(crate) use keras_optimizer;
