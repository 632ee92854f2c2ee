//! `Activation("relu")`: an activation as a layer of its own (ch05's `ActivationLayer`).

use crate::error::Result;
use crate::layers::Buffered;
use crate::layers::dense::ActivationSpec;
use ch05_backprop::{ActivationLayer, Mode};
use ndarray::{Array2, ArrayRef2};

/// Keras' `layers.Activation(activation)`: `y = f(x)`, no parameters.
#[derive(Debug, Clone)]
pub struct Activation {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) activation: ActivationSpec,
    /// ch05's layer, which keeps `x` and `y` for its backward pass; created by `build`.
    pub(crate) layer: Option<Buffered<ActivationLayer<f32>>>,
}

impl Activation {
    /// An activation layer: a Keras name (`"relu"`) or a ch03
    /// [`Activation`](ch03_activations::keras::Activation) value.
    pub fn new(activation: impl Into<ActivationSpec>) -> Self {
        Activation {
            name: None,
            input_shape: None,
            activation: activation.into(),
            layer: None,
        }
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `activation`, `activation_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    pub(crate) fn build(&mut self) -> Result<()> {
        let f = self.activation.resolve()?;
        self.layer = Some(Buffered::new(ActivationLayer::new(f)));
        Ok(())
    }

    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode) -> &Array2<f32> {
        let layer = self.layer.as_mut().expect("layer built before use");
        layer.forward(x, mode)
    }

    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let layer = self.layer.as_mut().expect("layer built before use");
        layer.backward(dout)
    }
}
