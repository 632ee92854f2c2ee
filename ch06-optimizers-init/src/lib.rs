//! Chapter 6: optimizers and initialization.

pub mod batch_norm;
pub mod book;
pub mod dropout;
pub mod initializers;
pub mod keras;
pub mod multi_layer_net;
pub mod optimizer;
pub mod trainer;
pub mod util;
pub mod weight_init;

pub use optimizer::{Optimizer, OptimizerError, grad_sq_norm};
