//! Chapter 6: optimizers and initialization.

pub mod batch_norm;
pub mod book;
pub mod dropout;
pub mod initializers;
pub mod keras;
pub mod optimizer;
pub mod weight_init;

pub use optimizer::{Optimizer, OptimizerError, grad_sq_norm};
