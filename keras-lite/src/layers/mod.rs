//! The layers a [`Sequential`](crate::Sequential) model stacks: [`InputLayer`], [`Flatten`],
//! [`Dense`], [`Activation`], [`Dropout`], [`BatchNormalization`], and for images [`Conv2D`],
//! [`MaxPooling2D`], [`AveragePooling2D`] (both build a [`Pooling2D`]),
//! [`GlobalAveragePooling2D`] and [`Reshape`], gathered in the [`Layer`] enum that
//! `Sequential::new` takes (`Dense::new(128).activation("relu").into()`).
//!
//! A layer is first a configuration (units, activation, initializers, ...); it is **built**
//! once the shape of its input is known, which creates its weights. Inside a model every batch
//! is 2-D, `(N, features)`: images are flattened once, where the data enters, so that
//! `Flatten`, `Reshape` and `InputLayer` cost nothing at run time (they only describe shapes).
//! An image batch is channels_last, row n holding `H * W * C` values: the image layers read it
//! through views (`(N, C, H, W)` for ch07's kernels, `(N*H*W, C)` pixels), never copies.
//!
//! The computing parts come from the chapter crates: `Dense` is ch05's
//! [`Affine`](ch05_backprop::Affine) followed by a ch03
//! [`Activation`](ch03_activations::keras::Activation) (its `forward_into`/`backward_into`); the
//! `Activation` layer is ch05's [`ActivationLayer`](ch05_backprop::ActivationLayer);
//! `Dropout` and `BatchNormalization` are ch06's
//! [`Dropout`](ch06_optimizers_init::dropout::Dropout) (Keras' inverted form) and
//! [`BatchNormalization`](ch06_optimizers_init::batch_norm::BatchNormalization); `Conv2D` and
//! the pooling layers run ch07's `im2col`, row-form convolution and pooling kernels.
//!
//! `Dropout` and `BatchNormalization` behave differently in training and inference: `fit` and
//! `train_on_batch` run the layers in [`Mode::Train`], `evaluate`, `predict` and
//! `test_on_batch` in [`Mode::Eval`] (Keras' `training=True/False`).
//!
//! Names follow Keras: the snake_case class name, then `_1`, `_2`, ... per class
//! (`dense`, `dense_1`), counted per thread (see [`crate::backend::clear_session`]).

mod activation;
mod batch_normalization;
mod conv2d;
mod dense;
mod dropout;
mod flatten;
mod input_layer;
mod kernel_bias;
mod pooling;
mod reshape;
mod rows;

pub use activation::Activation;
pub use batch_normalization::BatchNormalization;
pub use conv2d::{Conv2D, Padding, Size2};
pub use dense::{ActivationSpec, Dense};
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use input_layer::InputLayer;
pub use pooling::{AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D, PoolKind, Pooling2D};
pub use reshape::Reshape;

use crate::error::{KerasError, Result};
use ch05_backprop::{Mode, ParamMut};
use ndarray::{Array2, ArrayD, ArrayRef2};
use rand::rngs::StdRng;

/// A chapter crate's layer with the buffers its output and input gradient go into, kept from
/// step to step so that a training step allocates nothing. The keras-lite layers that wrap a
/// ch05/ch06 layer (`Activation`, `Dropout`, `BatchNormalization`) create one when built.
#[derive(Debug, Clone)]
pub(crate) struct Buffered<L> {
    pub layer: L,
    out: Array2<f32>,
    dx: Array2<f32>,
}

impl<L: ch05_backprop::Layer<f32>> Buffered<L> {
    pub fn new(layer: L) -> Self {
        Buffered {
            layer,
            out: Array2::zeros((0, 0)),
            dx: Array2::zeros((0, 0)),
        }
    }

    /// The layer's `forward_into`, into the kept output buffer.
    pub fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode) -> &Array2<f32> {
        self.layer.forward_into(x, mode, &mut self.out);
        &self.out
    }

    /// The layer's `backward_into`, into the kept gradient buffer.
    pub fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        self.layer.backward_into(dout, &mut self.dx);
        &self.dx
    }
}

/// One layer of a `Sequential` model.
#[derive(Debug, Clone)]
pub enum Layer {
    InputLayer(InputLayer),
    Flatten(Flatten),
    Dense(Dense),
    Activation(Activation),
    Dropout(Dropout),
    BatchNormalization(BatchNormalization),
    Conv2D(Conv2D),
    /// `MaxPooling2D` or `AveragePooling2D`.
    Pooling2D(Pooling2D),
    GlobalAveragePooling2D(GlobalAveragePooling2D),
    Reshape(Reshape),
}

impl From<InputLayer> for Layer {
    fn from(l: InputLayer) -> Self {
        Layer::InputLayer(l)
    }
}
impl From<Flatten> for Layer {
    fn from(l: Flatten) -> Self {
        Layer::Flatten(l)
    }
}
impl From<Dense> for Layer {
    fn from(l: Dense) -> Self {
        Layer::Dense(l)
    }
}
impl From<Activation> for Layer {
    fn from(l: Activation) -> Self {
        Layer::Activation(l)
    }
}
impl From<Dropout> for Layer {
    fn from(l: Dropout) -> Self {
        Layer::Dropout(l)
    }
}
impl From<BatchNormalization> for Layer {
    fn from(l: BatchNormalization) -> Self {
        Layer::BatchNormalization(l)
    }
}
impl From<Conv2D> for Layer {
    fn from(l: Conv2D) -> Self {
        Layer::Conv2D(l)
    }
}
impl From<Pooling2D> for Layer {
    fn from(l: Pooling2D) -> Self {
        Layer::Pooling2D(l)
    }
}
impl From<GlobalAveragePooling2D> for Layer {
    fn from(l: GlobalAveragePooling2D) -> Self {
        Layer::GlobalAveragePooling2D(l)
    }
}
impl From<Reshape> for Layer {
    fn from(l: Reshape) -> Self {
        Layer::Reshape(l)
    }
}

impl Layer {
    /// The layer's name (`dense_1`); empty until the layer is added to a model or named.
    pub fn name(&self) -> &str {
        match self {
            Layer::InputLayer(l) => l.name.as_deref(),
            Layer::Flatten(l) => l.name.as_deref(),
            Layer::Dense(l) => l.name.as_deref(),
            Layer::Activation(l) => l.name.as_deref(),
            Layer::Dropout(l) => l.name.as_deref(),
            Layer::BatchNormalization(l) => l.name.as_deref(),
            Layer::Conv2D(l) => l.name.as_deref(),
            Layer::Pooling2D(l) => l.name.as_deref(),
            Layer::GlobalAveragePooling2D(l) => l.name.as_deref(),
            Layer::Reshape(l) => l.name.as_deref(),
        }
        .unwrap_or("")
    }

    /// Keras' class name (`Dense`).
    pub fn class_name(&self) -> &'static str {
        match self {
            Layer::InputLayer(_) => "InputLayer",
            Layer::Flatten(_) => "Flatten",
            Layer::Dense(_) => "Dense",
            Layer::Activation(_) => "Activation",
            Layer::Dropout(_) => "Dropout",
            Layer::BatchNormalization(_) => "BatchNormalization",
            Layer::Conv2D(_) => "Conv2D",
            Layer::Pooling2D(p) => p.kind_class_name(),
            Layer::GlobalAveragePooling2D(_) => "GlobalAveragePooling2D",
            Layer::Reshape(_) => "Reshape",
        }
    }

    /// The layer's name, to set (`None` until named).
    pub(crate) fn name_slot(&mut self) -> &mut Option<String> {
        match self {
            Layer::InputLayer(l) => &mut l.name,
            Layer::Flatten(l) => &mut l.name,
            Layer::Dense(l) => &mut l.name,
            Layer::Activation(l) => &mut l.name,
            Layer::Dropout(l) => &mut l.name,
            Layer::BatchNormalization(l) => &mut l.name,
            Layer::Conv2D(l) => &mut l.name,
            Layer::Pooling2D(l) => &mut l.name,
            Layer::GlobalAveragePooling2D(l) => &mut l.name,
            Layer::Reshape(l) => &mut l.name,
        }
    }

    /// The declared input shape, to set (`None` for an `InputLayer`, whose shape is fixed).
    pub fn input_shape_slot(&mut self) -> Option<&mut Option<Vec<usize>>> {
        match self {
            Layer::InputLayer(_) => None,
            Layer::Flatten(l) => Some(&mut l.input_shape),
            Layer::Dense(l) => Some(&mut l.input_shape),
            Layer::Activation(l) => Some(&mut l.input_shape),
            Layer::Dropout(l) => Some(&mut l.input_shape),
            Layer::BatchNormalization(l) => Some(&mut l.input_shape),
            Layer::Conv2D(l) => Some(&mut l.input_shape),
            Layer::Pooling2D(l) => Some(&mut l.input_shape),
            Layer::GlobalAveragePooling2D(l) => Some(&mut l.input_shape),
            Layer::Reshape(l) => Some(&mut l.input_shape),
        }
    }

    /// Gives the layer its automatic name (`dense`, `dense_1`, ...) unless it has one.
    pub(crate) fn ensure_name(&mut self) {
        let prefix = snake_case(self.class_name());
        let slot = self.name_slot();
        if slot.is_none() {
            *slot = Some(crate::backend::unique_name(&prefix));
        }
    }

    /// The input shape (without the batch axis) the layer was given, if any.
    pub fn declared_input_shape(&self) -> Option<&[usize]> {
        match self {
            Layer::InputLayer(l) => Some(&l.shape),
            Layer::Flatten(l) => l.input_shape.as_deref(),
            Layer::Dense(l) => l.input_shape.as_deref(),
            Layer::Activation(l) => l.input_shape.as_deref(),
            Layer::Dropout(l) => l.input_shape.as_deref(),
            Layer::BatchNormalization(l) => l.input_shape.as_deref(),
            Layer::Conv2D(l) => l.input_shape.as_deref(),
            Layer::Pooling2D(l) => l.input_shape.as_deref(),
            Layer::GlobalAveragePooling2D(l) => l.input_shape.as_deref(),
            Layer::Reshape(l) => l.input_shape.as_deref(),
        }
    }

    /// The output shape (without the batch axis) for an input of shape `input`.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match self {
            Layer::InputLayer(_) | Layer::Activation(_) | Layer::Dropout(_) => Ok(input.to_vec()),
            Layer::Flatten(_) => crate::sizes::elements(input)
                .map(|n| vec![n])
                .ok_or_else(|| {
                    KerasError::InvalidArgument(format!(
                        "layer {:?} (Flatten) gets inputs of shape {}, whose size overflows a \
                     64-bit count",
                        self.name(),
                        crate::summary::shape_with_batch(input)
                    ))
                }),
            Layer::Dense(d) => {
                if input.len() != 1 {
                    return Err(KerasError::InvalidArgument(format!(
                        "layer {:?} (Dense) gets inputs of shape {}; Dense here takes flat \
                         vectors: put Flatten() before it",
                        self.name(),
                        crate::summary::shape_with_batch(input)
                    )));
                }
                Ok(vec![d.units])
            }
            Layer::BatchNormalization(_) => {
                if input.len() != 1 && input.len() != 3 {
                    return Err(KerasError::InvalidArgument(format!(
                        "layer {:?} (BatchNormalization) gets inputs of shape {}; \
                         BatchNormalization here normalizes the last axis (axis=-1) of flat \
                         vectors (None, features) or of images (None, height, width, channels): \
                         put Flatten() or Reshape before it",
                        self.name(),
                        crate::summary::shape_with_batch(input)
                    )));
                }
                Ok(input.to_vec())
            }
            Layer::Conv2D(c) => c.output_shape_for(input),
            Layer::Pooling2D(p) => p.output_shape_for(input),
            Layer::GlobalAveragePooling2D(g) => g.output_shape_for(input),
            Layer::Reshape(r) => r.output_shape_for(input),
        }
    }

    /// Number of weights, trainable or not, as Keras counts them (Dense: `in * units + units`,
    /// or `in * units` without bias; Conv2D: `kh * kw * c_in * filters + filters`;
    /// BatchNormalization: `4 * channels` (the last axis), see
    /// [`Layer::count_non_trainable_params`]). `input` is a shape the layer accepts.
    /// Saturates at `usize::MAX` rather than overflow (see [`crate::sizes`]).
    pub fn count_params(&self, input: &[usize]) -> usize {
        let n_in = crate::sizes::elements(input).unwrap_or(usize::MAX);
        let channels = input.last().copied().unwrap_or(0);
        match self {
            Layer::Dense(d) => {
                n_in.saturating_mul(d.units)
                    .saturating_add(if d.use_bias { d.units } else { 0 })
            }
            Layer::Conv2D(c) => c.count_params(channels),
            Layer::BatchNormalization(bn) => {
                let (trainable, fixed) = bn.count_params(channels);
                trainable.saturating_add(fixed)
            }
            _ => 0,
        }
    }

    /// The weights among [`Layer::count_params`] the optimizer does not update:
    /// BatchNormalization's `moving_mean` and `moving_variance` (`2 * features`).
    pub fn count_non_trainable_params(&self, input: &[usize]) -> usize {
        match self {
            Layer::BatchNormalization(bn) => bn.count_params(input.last().copied().unwrap_or(0)).1,
            _ => 0,
        }
    }

    /// Creates the weights for samples of shape `input` (checked by
    /// [`Layer::output_shape`] first), drawing from `rng`.
    pub fn build(&mut self, input: &[usize], rng: &mut StdRng) -> Result<()> {
        match self {
            Layer::Dense(d) => d.build(input.iter().product(), rng),
            Layer::Activation(a) => a.build(),
            Layer::Dropout(d) => d.build(rng),
            Layer::BatchNormalization(bn) => bn.build(input.last().copied().unwrap_or(0)),
            Layer::Conv2D(c) => c.build(input, rng),
            Layer::Pooling2D(p) => p.build(input),
            Layer::GlobalAveragePooling2D(g) => g.build(input),
            Layer::InputLayer(_) | Layer::Flatten(_) | Layer::Reshape(_) => Ok(()),
        }
    }

    /// Whether the layer has been built (weights created).
    pub fn is_built(&self) -> bool {
        match self {
            Layer::Dense(d) => d.state.is_some(),
            Layer::Activation(a) => a.layer.is_some(),
            Layer::Dropout(d) => d.layer.is_some(),
            Layer::BatchNormalization(bn) => bn.layer.is_some(),
            Layer::Conv2D(c) => c.state.is_some(),
            Layer::Pooling2D(p) => p.state.is_some(),
            Layer::GlobalAveragePooling2D(g) => g.state.is_some(),
            Layer::InputLayer(_) | Layer::Flatten(_) | Layer::Reshape(_) => true,
        }
    }

    /// Whether the layer has weights the optimizer updates.
    pub(crate) fn has_params(&self) -> bool {
        match self {
            Layer::Dense(_) | Layer::Conv2D(_) => true,
            Layer::BatchNormalization(bn) => bn.center || bn.scale,
            _ => false,
        }
    }

    /// The forward pass of one batch. `None` means the layer passes its input through
    /// unchanged (Flatten and InputLayer on already flat rows). `logits` asks a Dense layer for
    /// its pre-activation output (the fused softmax + cross-entropy path).
    pub fn forward(
        &mut self,
        x: &ArrayRef2<f32>,
        mode: Mode,
        logits: bool,
    ) -> Option<&Array2<f32>> {
        match self {
            Layer::InputLayer(_) | Layer::Flatten(_) | Layer::Reshape(_) => None,
            Layer::Dense(d) => Some(d.forward(x, mode, logits)),
            Layer::Conv2D(c) => Some(c.forward(x, mode)),
            Layer::Pooling2D(p) => Some(p.forward(x, mode)),
            Layer::GlobalAveragePooling2D(g) => Some(g.forward(x)),
            // The output activation of the fused path is applied by the loss.
            Layer::Activation(_) if logits => None,
            Layer::Activation(a) => Some(a.forward(x, mode)),
            Layer::Dropout(d) => d.forward(x, mode),
            Layer::BatchNormalization(bn) => Some(bn.forward(x, mode)),
        }
    }

    /// The backward pass: `dL/dx` from `dL/dout`. `None` passes `dout` through. `logits` says
    /// that `dout` is the gradient of the pre-activation output (fused path).
    pub fn backward(&mut self, dout: &ArrayRef2<f32>, logits: bool) -> Option<&Array2<f32>> {
        match self {
            Layer::InputLayer(_) | Layer::Flatten(_) | Layer::Reshape(_) => None,
            Layer::Dense(d) => Some(d.backward(dout, logits)),
            Layer::Conv2D(c) => Some(c.backward(dout)),
            Layer::Pooling2D(p) => Some(p.backward(dout)),
            Layer::GlobalAveragePooling2D(g) => Some(g.backward(dout)),
            Layer::Activation(_) if logits => None,
            Layer::Activation(a) => Some(a.backward(dout)),
            Layer::Dropout(d) => d.backward(dout),
            Layer::BatchNormalization(bn) => Some(bn.backward(dout)),
        }
    }

    /// Visits each trainable parameter (`W` then `b` of a Dense layer, `gamma` then `beta`
    /// of a BatchNormalization layer).
    pub fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f32>)) {
        match self {
            Layer::Dense(d) => d.for_each_param(f),
            Layer::Conv2D(c) => c.for_each_param(f),
            Layer::BatchNormalization(bn) => bn.for_each_param(f),
            _ => {}
        }
    }

    /// The layer's weights, trainable and not, in Keras' order (`[kernel, bias]` for Dense,
    /// `[gamma, beta, moving_mean, moving_variance]` for BatchNormalization).
    pub fn get_weights(&self) -> Vec<ArrayD<f32>> {
        match self {
            Layer::Dense(d) => d.get_weights(),
            Layer::Conv2D(c) => c.get_weights(),
            Layer::BatchNormalization(bn) => bn.get_weights(),
            _ => Vec::new(),
        }
    }

    /// Replaces the weights (in [`Layer::get_weights`] order) after checking them.
    pub fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        match self {
            Layer::Dense(d) => d.set_weights(weights),
            Layer::Conv2D(c) => c.set_weights(weights),
            Layer::BatchNormalization(bn) => bn.set_weights(weights),
            _ => Ok(()),
        }
    }

    /// Keras' names of the arrays `get_weights` returns (`kernel`, `bias`; `gamma`, `beta`,
    /// `moving_mean`, `moving_variance`), empty for layers without weights.
    pub fn weight_names(&self) -> Vec<&'static str> {
        match self {
            Layer::Dense(d) if d.use_bias => vec!["kernel", "bias"],
            Layer::Dense(_) => vec!["kernel"],
            Layer::Conv2D(c) if c.use_bias => vec!["kernel", "bias"],
            Layer::Conv2D(_) => vec!["kernel"],
            Layer::BatchNormalization(bn) => bn.weight_names(),
            _ => Vec::new(),
        }
    }

    /// Number of weight arrays `get_weights` returns.
    pub(crate) fn weight_count(&self) -> usize {
        self.weight_names().len()
    }

    /// The Dense layer, if this is one.
    pub fn as_dense(&self) -> Option<&Dense> {
        match self {
            Layer::Dense(d) => Some(d),
            _ => None,
        }
    }

    /// Whether backward computes `dL/dx` (switched off on the model's first layer with
    /// weights, which nothing before needs a gradient from; Dense and Conv2D).
    pub(crate) fn set_needs_input_grad(&mut self, needs: bool) {
        match self {
            Layer::Dense(d) => d.set_needs_input_grad(needs),
            Layer::Conv2D(c) => c.set_needs_input_grad(needs),
            _ => {}
        }
    }

    /// The regularizers' penalty of a Dense or Conv2D layer (0 for the others).
    pub(crate) fn penalty(&self) -> f64 {
        match self {
            Layer::Dense(d) if d.has_penalty() => d.penalty(),
            Layer::Conv2D(c) => c.penalty(),
            _ => 0.0,
        }
    }

    /// Adds the regularizers' gradients to the weights' gradients (after backward).
    pub(crate) fn add_penalty_gradients(&mut self) {
        match self {
            Layer::Dense(d) if d.has_penalty() => d.add_penalty_gradients(),
            Layer::Conv2D(c) => c.add_penalty_gradients(),
            _ => {}
        }
    }

    /// Applies the kernel and bias constraints (after each update).
    pub(crate) fn apply_constraints(&mut self) {
        match self {
            Layer::Dense(d) if d.has_constraint() => d.apply_constraints(),
            Layer::Conv2D(c) => c.apply_constraints(),
            _ => {}
        }
    }
}

/// Keras' `generic_utils.to_snake_case`: `InputLayer` -> `input_layer`, `Dense` -> `dense`,
/// `Conv2D` -> `conv2d`, `MaxPooling2D` -> `max_pooling2d`. Keras inserts `_` before a capital
/// that starts a lower-case word (`(.)([A-Z][a-z]+)`) and between a lower-case letter and a
/// capital (`([a-z])([A-Z])`), then lower-cases; a capital after a digit (`2D`) gets none.
pub(crate) fn snake_case(class: &str) -> String {
    let chars: Vec<char> = class.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let starts_word = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let after_lower = chars[i - 1].is_ascii_lowercase();
            if starts_word || after_lower {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_of_class_names() {
        assert_eq!(snake_case("Dense"), "dense");
        assert_eq!(snake_case("InputLayer"), "input_layer");
        assert_eq!(snake_case("Sequential"), "sequential");
        assert_eq!(snake_case("Conv2D"), "conv2d");
        assert_eq!(snake_case("MaxPooling2D"), "max_pooling2d");
        assert_eq!(snake_case("AveragePooling2D"), "average_pooling2d");
        assert_eq!(
            snake_case("GlobalAveragePooling2D"),
            "global_average_pooling2d"
        );
        assert_eq!(snake_case("BatchNormalization"), "batch_normalization");
    }
}
