//! The `Optimizer` trait: one update rule, state kept per parameter position.
//!
//! (SKELETON: the trait is fixed by the workspace design; the ch06 work documents and uses it.)

use ch03_activations::Float;
use ch05_backprop::ParamMut;

/// An update rule. State (velocities, moments) is kept per parameter, keyed by the parameter's
/// position in the model (0, 1, 2, ... in the order the layers visit them), never by pointer.
pub trait Optimizer<A: Float> {
    /// Starts one training step (advances the step counter `t` that Adam and friends use).
    fn begin_step(&mut self) {}

    /// Updates parameter number `index` in place from its gradient, allocating nothing once the
    /// parameter's state exists.
    fn update_param(&mut self, index: usize, param: ParamMut<'_, A>);

    /// One whole step over every parameter: the book's `optimizer.update(params, grads)`.
    fn update(&mut self, params: Vec<ParamMut<'_, A>>) {
        self.begin_step();
        for (index, param) in params.into_iter().enumerate() {
            self.update_param(index, param);
        }
    }

    /// The learning rate of the next step (schedules and callbacks read and change it).
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (used by `LearningRateScheduler` and `ReduceLROnPlateau`).
    fn set_learning_rate(&mut self, lr: f64);
}
