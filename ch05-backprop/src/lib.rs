//! Chapter 5: backpropagation (SKELETON; the overview is written with the chapter).

pub mod layer;

pub use layer::{Layer, Mode, ParamMut, ensure_shape};
