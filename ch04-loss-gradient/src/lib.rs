//! Chapter 4: losses and numerical gradients (the overview is written with the chapter).

pub mod gradient;
pub mod loss;
pub mod loss_functions;
pub mod simple_net;
pub mod two_layer_net;

pub use gradient::{H, gradient_descent, numerical_diff, numerical_gradient};
pub use loss::{EPSILON, LOSS_NAMES, Labels, Loss, LossError, check_sample_weight, reduce};
pub use loss_functions::{CROSS_ENTROPY_DELTA, ClassLabel, cross_entropy_error, sum_squared_error};
pub use simple_net::SimpleNet;
pub use two_layer_net::{Grads, TwoLayerNet};
