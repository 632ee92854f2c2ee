//! Chapter 3 of 「ゼロから作るDeep Learning」: neural networks, and the activation functions
//! that make them more than a stack of matrix products.
//!
//! (Overview in progress.)

pub mod activation;
mod float;
pub mod identity;
pub mod neuralnet;
pub mod plot;
pub mod relu;
pub mod sigmoid;
pub mod softmax;
pub mod step_function;

pub use activation::{Activation, UnknownActivation};
pub use float::Float;
pub use identity::identity_function;
pub use relu::{relu, relu_grad};
pub use sigmoid::{sigmoid, sigmoid_grad};
pub use softmax::softmax;
pub use step_function::step_function;
