//! Chapter 7: convolutional neural networks (overview written below).

pub mod convolution;
pub mod im2col;
pub mod pooling;

pub use convolution::Convolution;
pub use im2col::{Conv2dGeometry, GeometryError, Padding};
pub use pooling::{PoolKind, Pooling};
pub mod simple_conv_net;
pub use simple_conv_net::{SimpleConvNet, SimpleConvNetConfig};
