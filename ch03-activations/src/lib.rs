//! Chapter 3: activation functions (SKELETON; the overview is written with the chapter).

pub mod activation;
mod float;

pub use activation::{Activation, UnknownActivation};
pub use float::Float;
pub mod plot;
