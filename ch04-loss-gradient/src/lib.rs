//! Chapter 4: losses and numerical gradients (SKELETON; the overview is written with the chapter).

pub mod loss;

pub use loss::{Labels, Loss, LossError, reduce};
