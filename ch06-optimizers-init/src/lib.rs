//! Chapter 6: optimizers and initialization.

pub mod keras;
pub mod optimizer;

pub use optimizer::{Optimizer, OptimizerError, grad_sq_norm};
