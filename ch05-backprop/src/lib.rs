//! Chapter 5: backpropagation (overview written with the chapter).

pub mod activation_layers;
pub mod affine;
pub mod gradient_check;
pub mod graph;
pub mod layer;
pub mod loss_gradient;
pub mod softmax_with_loss;
pub mod two_layer_net;

pub use activation_layers::{ActivationLayer, Relu, Sigmoid};
pub use affine::{Affine, column_sums_into, flatten_batch};
pub use graph::{AddLayer, MulLayer};
pub use layer::{Layer, LayerError, Mode, ParamMut, ensure_shape};
pub use loss_gradient::loss_gradient;
pub use softmax_with_loss::SoftmaxWithLoss;
pub use two_layer_net::TwoLayerNet;
