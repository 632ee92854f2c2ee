//! Chapter 4: losses and numerical gradients (the overview is written with the chapter).

pub mod loss;

pub use loss::{EPSILON, LOSS_NAMES, Labels, Loss, LossError, check_sample_weight, reduce};
