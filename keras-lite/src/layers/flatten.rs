//! `Flatten()`: `(N, d1, d2, ...)` -> `(N, d1 * d2 * ...)`.
//!
//! Samples enter a model already flattened to rows (see [`crate::data`]), so at run time
//! Flatten passes its input through without copying; it exists for the shapes (`summary`)
//! and to carry the tutorial's `input_shape`.

/// Keras' `Flatten(input_shape=(28, 28))`: `Flatten::new().input_shape(&[28, 28])`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Flatten {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
}

impl Flatten {
    /// A Flatten layer (no parameters).
    pub fn new() -> Self {
        Self::default()
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `flatten`, `flatten_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
}
