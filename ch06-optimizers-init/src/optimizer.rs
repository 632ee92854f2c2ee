//! The `Optimizer` trait: one update rule, state kept per parameter position.
//!
//! The book's `optimizer.update(params, grads)` walks a dictionary of parameters; here a model
//! hands each parameter to the optimizer as a [`ParamMut`] (value and gradient, both mutable
//! views) together with its position `index` in the model (0, 1, 2, ... in the order the layers
//! visit them). The optimizer keeps its state (velocities, moments, accumulators) in a vector
//! indexed by that position, created on the first step and reused afterwards, so that a
//! training step allocates nothing.
//!
//! A training step is therefore:
//!
//! ```text
//! optimizer.begin_step();                       // t += 1, learning rate of this step
//! for (index, p) in params { optimizer.update_param(index, p) }   // w <- rule(w, dL/dw)
//! ```
//!
//! which is what the provided [`Optimizer::update`] does for a `Vec` of parameters.

use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::{ArrayD, ArrayRef, Dimension};

/// An update rule. State (velocities, moments) is kept per parameter, keyed by the parameter's
/// position in the model (0, 1, 2, ... in the order the layers visit them), never by pointer.
pub trait Optimizer<A: Float> {
    /// Starts one training step (advances the step counter `t` that Adam and friends use).
    fn begin_step(&mut self) {}

    /// Updates parameter number `index` in place from its gradient, allocating nothing once the
    /// parameter's state exists.
    fn update_param(&mut self, index: usize, param: ParamMut<'_, A>);

    /// One whole step over every parameter: the book's `optimizer.update(params, grads)`.
    ///
    /// When the optimizer clips by the global norm of all gradients
    /// ([`Optimizer::needs_global_norm`]), that norm is computed first and handed to
    /// [`Optimizer::set_global_norm`].
    fn update(&mut self, params: Vec<ParamMut<'_, A>>) {
        if self.needs_global_norm() {
            let sum_sq: f64 = params.iter().map(|p| grad_sq_norm(&p.grad)).sum();
            self.set_global_norm(sum_sq.sqrt());
        }
        self.begin_step();
        for (index, param) in params.into_iter().enumerate() {
            self.update_param(index, param);
        }
    }

    /// The learning rate of the next step (schedules and callbacks read and change it).
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (used by `LearningRateScheduler` and `ReduceLROnPlateau`).
    ///
    /// On an optimizer driven by a learning-rate schedule this replaces the schedule by the
    /// constant `lr` from the next step on.
    ///
    /// Errors, changing nothing, unless `lr` is finite and `>= 0`: a NaN or infinite rate
    /// turns every weight into NaN at the next step, and a negative one climbs the loss.
    fn set_learning_rate(&mut self, lr: f64) -> Result<(), OptimizerError> {
        check(self.name(), "learning_rate", lr, "finite and >= 0", |x| {
            x >= 0.0
        })?;
        self.store_learning_rate(lr);
        Ok(())
    }

    /// Stores a learning rate [`Optimizer::set_learning_rate`] has checked (each optimizer's
    /// own part of it).
    fn store_learning_rate(&mut self, lr: f64);

    /// The optimizer's name as Keras prints it (`"Adam"`, `"SGD"`, ...).
    fn name(&self) -> &'static str {
        "Optimizer"
    }

    /// The number of steps begun so far (Keras' `optimizer.iterations`); 0 before the first.
    fn iterations(&self) -> u64 {
        0
    }

    /// True when this optimizer clips gradients by their global norm (Keras'
    /// `global_clipnorm`): the caller must then pass the norm of ALL gradients of the step to
    /// [`Optimizer::set_global_norm`] before [`Optimizer::begin_step`].
    fn needs_global_norm(&self) -> bool {
        false
    }

    /// Tells the optimizer `sqrt(sum over every parameter of sum(grad^2))` for the coming
    /// step. A model computes it with [`grad_sq_norm`] in one visit over its parameters, with
    /// no allocation. Ignored by optimizers that do not clip by global norm.
    fn set_global_norm(&mut self, _global_norm: f64) {}
}

/// `sum(g^2)` over one gradient array, accumulated in `f64` (for the global norm of a step).
pub fn grad_sq_norm<A: Float, D: Dimension>(grad: &ArrayRef<A, D>) -> f64 {
    grad.iter()
        .map(|&g| {
            let g = g.as_f64();
            g * g
        })
        .sum()
}

/// An invalid hyper-parameter, an unknown name, or settings that cannot go together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizerError {
    /// A hyper-parameter outside its valid range.
    #[error("{owner}: {setting} = {value} is invalid; it must be {valid}")]
    InvalidSetting {
        /// The optimizer or schedule (`"Adam"`, `"ExponentialDecay"`).
        owner: &'static str,
        /// The Keras name of the setting (`"beta_1"`).
        setting: &'static str,
        /// The value given.
        value: f64,
        /// The valid range, written out (`"in [0, 1)"`).
        valid: &'static str,
    },
    /// A name that is not one of Keras' optimizer identifiers.
    #[error("unknown optimizer '{name}'; valid names are: {valid}")]
    UnknownName { name: String, valid: String },
    /// Two gradient-clipping modes at once (Keras applies only one of them).
    #[error(
        "{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set \
         (already set: {existing}); build the optimizer with just one"
    )]
    ConflictingClipping {
        owner: &'static str,
        existing: &'static str,
    },
    /// A schedule whose lists do not fit together.
    #[error("{owner}: {message}")]
    InvalidSchedule {
        owner: &'static str,
        message: String,
    },
}

/// Checks `value` against a range predicate, naming the setting in the error.
pub(crate) fn check(
    owner: &'static str,
    setting: &'static str,
    value: f64,
    valid: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, OptimizerError> {
    if value.is_finite() && ok(value) {
        Ok(value)
    } else {
        Err(OptimizerError::InvalidSetting {
            owner,
            setting,
            value,
            valid,
        })
    }
}

/// One kind of per-parameter state (a "slot" in Keras' words: `m`, `v`, an accumulator),
/// indexed by parameter position and created on first use with the parameter's shape.
#[derive(Debug, Clone)]
pub(crate) struct Slots<A> {
    arrays: Vec<Option<ArrayD<A>>>,
}

impl<A: Float> Slots<A> {
    pub(crate) fn new() -> Self {
        Slots { arrays: Vec::new() }
    }

    /// The state of parameter `index`, filled with `init` the first time it is asked for.
    ///
    /// # Panics
    /// If parameter `index` changed shape since its state was created: an optimizer's state
    /// belongs to one model (build a new optimizer for a new model).
    pub(crate) fn get(&mut self, index: usize, shape: &[usize], init: A) -> &mut ArrayD<A> {
        if index >= self.arrays.len() {
            self.arrays.resize_with(index + 1, || None);
        }
        let slot = self.arrays[index].get_or_insert_with(|| ArrayD::from_elem(shape, init));
        assert_eq!(
            slot.shape(),
            shape,
            "parameter {index} changed shape; an optimizer's state belongs to one model \
             (build a new optimizer for a new model)"
        );
        slot
    }
}
