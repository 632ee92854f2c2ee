//! `InputLayer(shape)`: declares the shape of one sample; computes nothing.

/// Declares the model's input shape (without the batch axis): `InputLayer::new(&[784])`.
///
/// Keras' `Sequential` does not list it in `summary()`; neither does keras-lite. Giving the
/// first layer an `input_shape` does the same job.
#[derive(Debug, Clone, PartialEq)]
pub struct InputLayer {
    pub(crate) name: Option<String>,
    pub(crate) shape: Vec<usize>,
}

impl InputLayer {
    /// An input of `shape` per sample (`&[28, 28]` for the Fashion-MNIST images).
    pub fn new(shape: &[usize]) -> Self {
        InputLayer {
            name: None,
            shape: shape.to_vec(),
        }
    }

    /// Sets the layer's name (default `input_1`-style automatic names are not needed here).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The declared shape of one sample.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
}
