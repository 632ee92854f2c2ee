//! `Sequential`: a stack of layers, each feeding the next (Keras' `tf.keras.Sequential`).
//!
//! ```
//! use keras_lite::{Sequential, layers::{Dense, Flatten}};
//! keras_lite::backend::clear_session();
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[28, 28]).into(),
//!     Dense::new(128).activation("relu").into(),
//!     Dense::new(10).activation("softmax").into(),
//! ]);
//! assert_eq!(model.count_params()?, 101_770);
//! assert_eq!(model.layers()[2].name(), "dense_1");
//! let text = model.summary_string()?;
//! assert!(text.contains("dense_1 (Dense)              (None, 10)                1290"));
//! # Ok::<(), keras_lite::KerasError>(())
//! ```

use crate::compile::{Compiled, IntoLoss, IntoMetric, IntoOptimizer, OutputPath};
use crate::error::{KerasError, Result, shape_str};
use crate::layers::Layer;
use crate::summary::{SummaryRow, format_summary};
use crate::training::Workspace;
use ch03_activations::keras::Activation as ActivationFn;
use ch04_loss_gradient::keras::Loss;
use ch06_optimizers_init::Optimizer;
use ndarray::ArrayD;
use rand::rngs::StdRng;

/// A linear stack of layers.
pub struct Sequential {
    name: String,
    pub(crate) layers: Vec<Layer>,
    /// The input shape (without the batch axis) the weights were built for.
    pub(crate) built_for: Option<Vec<usize>>,
    pub(crate) rng: StdRng,
    pub(crate) compiled: Option<Compiled>,
    /// Set by a callback (EarlyStopping, TerminateOnNaN) to end `fit` after the current step
    /// or epoch, as Keras' `model.stop_training`.
    pub stop_training: bool,
    pub(crate) work: Workspace,
}

impl std::fmt::Debug for Sequential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequential")
            .field("name", &self.name)
            .field("layers", &self.layers)
            .field("built_for", &self.built_for)
            .field("compiled", &self.compiled)
            .finish()
    }
}

impl Sequential {
    /// A model of `layers`, in order. Layers without a name get Keras' automatic one
    /// (`dense`, `dense_1`, ...); the model is `sequential` (then `sequential_1`, ...).
    ///
    /// Nothing is checked yet: a bad activation name or shape is reported by the first call
    /// that needs the layers built (`summary`, `compile`, `fit`, ...).
    pub fn new(layers: Vec<Layer>) -> Self {
        let mut model = Sequential {
            name: String::new(),
            layers: Vec::new(),
            built_for: None,
            rng: crate::backend::fork_rng(),
            compiled: None,
            stop_training: false,
            work: Workspace::default(),
        };
        for layer in layers {
            model.add(layer);
        }
        model.name = crate::backend::unique_name("sequential");
        model
    }

    /// A model of `layers` with the given name instead of `sequential`.
    pub fn named(name: &str, layers: Vec<Layer>) -> Self {
        let mut model = Sequential::new(layers);
        model.name = name.to_string();
        model
    }

    /// Appends a layer (its weights are created when the model is next built).
    pub fn add(&mut self, layer: impl Into<Layer>) {
        let mut layer = layer.into();
        layer.ensure_name();
        self.layers.push(layer);
        self.built_for = None;
    }

    /// Removes and returns the last layer.
    pub fn pop(&mut self) -> Option<Layer> {
        let layer = self.layers.pop();
        self.built_for = None;
        layer
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// The model's name (`sequential`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The shape of one input sample: the one the model was built for, else the first
    /// layer's declared `input_shape`.
    pub fn input_shape(&self) -> Option<Vec<usize>> {
        self.built_for.clone().or_else(|| {
            self.layers
                .first()?
                .declared_input_shape()
                .map(<[_]>::to_vec)
        })
    }

    /// The output shape of each layer for the model's input shape, every size checked
    /// against [`crate::sizes::max_elements`] (so nothing later overflows or over-allocates).
    fn shapes(&self, input: &[usize]) -> Result<Vec<Vec<usize>>> {
        crate::sizes::check_input(input)?;
        let mut shape = input.to_vec();
        let mut out = Vec::with_capacity(self.layers.len());
        let mut total: usize = 0;
        for layer in &self.layers {
            let params = layer.count_params(&shape);
            shape = layer.output_shape(&shape)?;
            crate::sizes::check_layer(layer, &shape, params)?;
            total = total.saturating_add(params);
            crate::sizes::check(
                || format!("the weights of layers up to {:?}", layer.name()),
                (total != usize::MAX).then_some(total),
            )?;
            out.push(shape.clone());
        }
        Ok(out)
    }

    /// Builds the model for samples of `input_shape` (creating the weights), unless it already
    /// is. Called by `fit`, `predict`, `summary` ... as needed.
    pub fn build(&mut self, input_shape: &[usize]) -> Result<()> {
        if self.built_for.as_deref() == Some(input_shape) && self.layers.iter().all(Layer::is_built)
        {
            return Ok(());
        }
        if self.layers.is_empty() {
            return Err(KerasError::InvalidArgument(
                "the model has no layers; add some (model.add(Dense::new(10)))".into(),
            ));
        }
        if input_shape.is_empty() || input_shape.contains(&0) {
            return Err(KerasError::InvalidArgument(format!(
                "input shape {} has no features; each sample needs at least one value",
                shape_str(input_shape)
            )));
        }
        let shapes = self.shapes(input_shape)?;
        let mut prev: &[usize] = input_shape;
        let mut first_with_params = true;
        for (layer, shape) in self.layers.iter_mut().zip(&shapes) {
            layer.build(prev, &mut self.rng)?;
            // Only the first layer with weights may skip its input gradient: every later one
            // passes the gradient on to a layer that needs it.
            layer.set_needs_input_grad(!first_with_params);
            if layer.has_params() {
                first_with_params = false;
            }
            prev = shape;
        }
        self.built_for = Some(input_shape.to_vec());
        Ok(())
    }

    /// Builds the model for its declared input shape, or errors naming `call`.
    pub(crate) fn ensure_built(&mut self, call: &'static str) -> Result<Vec<usize>> {
        let shape = self.input_shape().ok_or(KerasError::NotBuilt { call })?;
        self.build(&shape)?;
        Ok(shape)
    }

    /// The number of outputs per sample (units of the last layer).
    pub(crate) fn output_units(&self) -> usize {
        let shape = self.built_for.as_deref().expect("built");
        self.shapes(shape)
            .expect("shapes were checked when built")
            .last()
            .map(|s| s.iter().product())
            .unwrap_or(0)
    }

    /// The total number of weights (builds the model if its input shape is known).
    pub fn count_params(&mut self) -> Result<usize> {
        let input = self.ensure_built("count_params")?;
        let shapes = self.shapes(&input)?;
        let mut prev = input;
        let mut total = 0;
        for (layer, shape) in self.layers.iter().zip(shapes) {
            total += layer.count_params(&prev);
            prev = shape;
        }
        Ok(total)
    }

    /// The table `model.summary()` prints (see [`crate::summary`]).
    ///
    /// Errors if the model has no known input shape: Keras cannot print one then either.
    pub fn summary_string(&mut self) -> Result<String> {
        let input = self.ensure_built("summary")?;
        let shapes = self.shapes(&input)?;
        let mut prev = input;
        let mut rows = Vec::new();
        let mut non_trainable = 0;
        for (layer, shape) in self.layers.iter().zip(shapes) {
            non_trainable += layer.count_non_trainable_params(&prev);
            if !matches!(layer, Layer::InputLayer(_)) {
                rows.push(SummaryRow {
                    name: layer.name().to_string(),
                    class: layer.class_name(),
                    output_shape: shape.clone(),
                    params: layer.count_params(&prev),
                });
            }
            prev = shape;
        }
        Ok(format_summary(&self.name, &rows, non_trainable))
    }

    /// Prints the summary table (Keras' `model.summary()`).
    pub fn summary(&mut self) -> Result<()> {
        print!("{}", self.summary_string()?);
        Ok(())
    }

    /// Configures training: the optimizer, the loss and the metrics, each by Keras name or by
    /// object (see [`crate::compile`]). Builds the model if its input shape is known.
    ///
    /// Errors: an unknown name (listing the valid ones), an invalid hyper-parameter, or
    /// `from_logits=True` on a model that already ends in softmax/sigmoid (the loss would apply
    /// the activation twice).
    pub fn compile<M: IntoMetric + Clone>(
        &mut self,
        optimizer: impl IntoOptimizer,
        loss: impl IntoLoss,
        metrics: &[M],
    ) -> Result<()> {
        let optimizer = optimizer.into_optimizer()?;
        let loss = loss.into_loss()?;
        let metrics = metrics
            .iter()
            .cloned()
            .map(IntoMetric::into_metric)
            .collect::<Result<Vec<_>>>()?;
        if let Some(shape) = self.input_shape() {
            self.build(&shape)?;
        }
        self.check_from_logits(loss)?;
        self.compiled = Some(Compiled {
            optimizer,
            loss,
            metrics,
        });
        Ok(())
    }

    /// The output activation of the model, if the last layer computing one is Dense or
    /// Activation (resolved; `None` when it cannot be resolved yet).
    fn output_activation(&self) -> Option<ActivationFn> {
        match self.layers.last()? {
            Layer::Dense(d) => d.activation_fn().ok(),
            Layer::Activation(a) => a.activation.resolve().ok(),
            _ => None,
        }
    }

    fn check_from_logits(&self, loss: Loss) -> Result<()> {
        let act = self.output_activation();
        let clash = match loss {
            Loss::CategoricalCrossentropy {
                from_logits: true, ..
            }
            | Loss::SparseCategoricalCrossentropy { from_logits: true } => {
                (act == Some(ActivationFn::Softmax)).then_some("softmax")
            }
            Loss::BinaryCrossentropy {
                from_logits: true, ..
            } => (act == Some(ActivationFn::Sigmoid)).then_some("sigmoid"),
            _ => None,
        };
        match clash {
            Some(f) => Err(KerasError::InvalidArgument(format!(
                "the loss {} has from_logits=true but the model already ends in {f}, so it \
                 would apply {f} twice; either set from_logits=false (the usual choice: \
                 keras-lite then still computes the loss from the logits, stably) or remove \
                 the {f} from the last layer",
                loss.name()
            ))),
            None => Ok(()),
        }
    }

    /// How the output and the loss are computed together (see [`OutputPath`]).
    pub(crate) fn output_path(&self) -> OutputPath {
        let Some(c) = &self.compiled else {
            return OutputPath::Plain;
        };
        let act = self.output_activation();
        match (c.loss, act) {
            (
                Loss::CategoricalCrossentropy {
                    from_logits: false, ..
                }
                | Loss::SparseCategoricalCrossentropy { from_logits: false },
                Some(ActivationFn::Softmax),
            ) => OutputPath::SoftmaxCrossentropy,
            (
                Loss::BinaryCrossentropy {
                    from_logits: false, ..
                },
                Some(ActivationFn::Sigmoid),
            ) => OutputPath::SigmoidCrossentropy,
            _ => OutputPath::Plain,
        }
    }

    /// The compiled configuration, if `compile` was called.
    pub fn compiled(&self) -> Option<&Compiled> {
        self.compiled.as_ref()
    }

    /// The optimizer (to read its learning rate or step count), once compiled.
    pub fn optimizer(&self) -> Option<&(dyn Optimizer<f32> + 'static)> {
        self.compiled.as_ref().map(|c| c.optimizer.as_ref())
    }

    /// The optimizer (to read or change its learning rate), once compiled.
    pub fn optimizer_mut(&mut self) -> Option<&mut (dyn Optimizer<f32> + 'static)> {
        self.compiled.as_mut().map(|c| c.optimizer.as_mut())
    }

    /// Every weight array in layer order (Keras' `get_weights`): `[kernel, bias]` per Dense
    /// layer, `[gamma, beta, moving_mean, moving_variance]` per BatchNormalization layer.
    pub fn get_weights(&mut self) -> Result<Vec<ArrayD<f32>>> {
        self.ensure_built("get_weights")?;
        Ok(self.layers.iter().flat_map(Layer::get_weights).collect())
    }

    /// Replaces every weight array, in the order of [`Sequential::get_weights`]; checks the
    /// count and each shape first, so that on error nothing has changed.
    pub fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        self.ensure_built("set_weights")?;
        let expected: usize = self.layers.iter().map(Layer::weight_count).sum();
        if weights.len() != expected {
            return Err(KerasError::Weights(format!(
                "set_weights got {} arrays but the model has {expected} ([kernel, bias] per Dense \
                 layer, [gamma, beta, moving_mean, moving_variance] per BatchNormalization \
                 layer, in order); pass what get_weights returns",
                weights.len()
            )));
        }
        // Check everything on a copy, then commit: a failed call changes nothing.
        let mut layers = self.layers.clone();
        let mut at = 0;
        for layer in layers.iter_mut() {
            let k = layer.weight_count();
            layer.set_weights(&weights[at..at + k])?;
            at += k;
        }
        self.layers = layers;
        Ok(())
    }
}
