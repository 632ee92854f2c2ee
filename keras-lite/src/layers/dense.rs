//! `Dense(units, activation)`: `y = f(x W + b)`, ch05's `Affine` followed by a ch03 activation.
//!
//! Shapes: `x` (N, in), kernel `W` (in, units), bias `b` (units,), `y` (N, units).
//!
//! ```text
//! forward:   z = x W + b          (ch05 Affine::forward_into)
//!            y = f(z)             (ch03 Activation::forward_into)
//! backward:  dz = f'(z) * dy      (ch03 Activation::backward_into; softmax's row-wise VJP)
//!            dW = x^T dz, db = sum_n dz, dx = dz W^T    (ch05 Affine::backward_into)
//! ```
//!
//! When the model trains a softmax output with cross-entropy, the last Dense layer stops at
//! `z` (the logits) and ch05's `SoftmaxWithLoss` takes over: its gradient `(y - t) / N` is
//! `dz` directly (the "fused" path, also Keras' choice).

use crate::constraints::Constraint;
use crate::error::{KerasError, Result};
use crate::initializers::InitializerSpec;
use crate::layers::kernel_bias::{Penalties, check_finite, checked_bias};
use crate::regularizers::{Regularizer, RegularizerSpec};
use ch03_activations::keras::Activation as ActivationFn;
use ch05_backprop::{Affine, Layer as _, Mode, ParamMut, ensure_shape};
use ndarray::{Array1, Array2, ArrayD, ArrayRef2, Ix2};
use rand::rngs::StdRng;

/// An activation as a Dense or Activation layer accepts it: a Keras name, resolved when the
/// layer is built (an unknown name is then an error listing the valid ones), or a ch03 value.
#[derive(Debug, Clone, PartialEq)]
pub enum ActivationSpec {
    Name(String),
    Function(ActivationFn),
}

impl ActivationSpec {
    /// The ch03 activation this names.
    pub fn resolve(&self) -> Result<ActivationFn> {
        match self {
            ActivationSpec::Name(n) => Ok(n.parse::<ActivationFn>()?),
            ActivationSpec::Function(f) => Ok(*f),
        }
    }
}

impl From<&str> for ActivationSpec {
    fn from(s: &str) -> Self {
        ActivationSpec::Name(s.to_string())
    }
}
impl From<String> for ActivationSpec {
    fn from(s: String) -> Self {
        ActivationSpec::Name(s)
    }
}
impl From<ActivationFn> for ActivationSpec {
    fn from(f: ActivationFn) -> Self {
        ActivationSpec::Function(f)
    }
}

/// Keras' `Dense`: every argument of `tf.keras.layers.Dense`, set by builder methods.
///
/// ```
/// use keras_lite::layers::Dense;
/// let d = Dense::new(128).activation("relu").kernel_initializer("he_normal").use_bias(true);
/// assert_eq!(d.units(), 128);
/// ```
#[derive(Debug, Clone)]
pub struct Dense {
    pub(crate) name: Option<String>,
    pub(crate) units: usize,
    pub(crate) activation: ActivationSpec,
    pub(crate) use_bias: bool,
    pub(crate) kernel_initializer: InitializerSpec,
    pub(crate) bias_initializer: InitializerSpec,
    pub(crate) kernel_regularizer: Option<Regularizer>,
    pub(crate) bias_regularizer: Option<Regularizer>,
    pub(crate) activity_regularizer: Option<Regularizer>,
    /// Regularizer names that did not resolve, with the argument each was given to; reported
    /// when the layer is built, as an unknown activation or initializer name is.
    pub(crate) unknown_regularizers: Vec<(&'static str, String)>,
    pub(crate) kernel_constraint: Option<Constraint>,
    pub(crate) bias_constraint: Option<Constraint>,
    pub(crate) input_shape: Option<Vec<usize>>,
    /// The weights and buffers, once built.
    pub(crate) state: Option<Box<DenseState>>,
}

/// What a built Dense layer holds: ch05's Affine (weights, gradients, kept input) and the
/// buffers of one step, reused from step to step.
#[derive(Debug, Clone)]
pub(crate) struct DenseState {
    pub affine: Affine<f32>,
    pub f: ActivationFn,
    /// `z = x W + b` of the last forward.
    z: Array2<f32>,
    /// `y = f(z)` of the last forward (unused for a linear activation).
    y: Array2<f32>,
    /// `dL/dz` of the last backward.
    dz: Array2<f32>,
    /// `dL/dx` of the last backward.
    dx: Array2<f32>,
    /// `dL/dy` plus the activity penalty's gradient (only with an activity regularizer).
    dy: Array2<f32>,
    /// The activity penalty of the last forward (0 without an activity regularizer).
    pub activity_penalty: f64,
}

impl Dense {
    /// A layer of `units` outputs, Keras' defaults otherwise: no activation (linear), a bias,
    /// `glorot_uniform` kernel, `zeros` bias, no regularizers or constraints.
    pub fn new(units: usize) -> Self {
        Dense {
            name: None,
            units,
            activation: ActivationSpec::Function(ActivationFn::Linear),
            use_bias: true,
            kernel_initializer: InitializerSpec::from("glorot_uniform"),
            bias_initializer: InitializerSpec::from("zeros"),
            kernel_regularizer: None,
            bias_regularizer: None,
            unknown_regularizers: Vec::new(),
            activity_regularizer: None,
            kernel_constraint: None,
            bias_constraint: None,
            input_shape: None,
            state: None,
        }
    }

    /// The activation `f` of `y = f(x W + b)`: a Keras name or a ch03 `Activation`.
    pub fn activation(mut self, activation: impl Into<ActivationSpec>) -> Self {
        self.activation = activation.into();
        self
    }

    /// Whether the layer adds a bias `b` (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// How the kernel starts (default `glorot_uniform`): a Keras name or a ch06 initializer.
    pub fn kernel_initializer(mut self, init: impl Into<InitializerSpec>) -> Self {
        self.kernel_initializer = init.into();
        self
    }

    /// How the bias starts (default `zeros`).
    pub fn bias_initializer(mut self, init: impl Into<InitializerSpec>) -> Self {
        self.bias_initializer = init.into();
        self
    }

    /// A penalty on the kernel added to the loss: a Keras name (`"l2"`, Keras' default
    /// factor) or a [`Regularizer`] (`regularizers::l2(1e-4)`).
    pub fn kernel_regularizer(mut self, r: impl Into<RegularizerSpec>) -> Self {
        // A later setting of the same argument replaces an unknown name given before.
        self.unknown_regularizers
            .retain(|(arg, _)| *arg != "kernel");
        match r.into() {
            RegularizerSpec::Object(r) => self.kernel_regularizer = Some(r),
            RegularizerSpec::Name(name) => match Regularizer::from_name(&name) {
                Ok(r) => self.kernel_regularizer = Some(r),
                Err(_) => self.unknown_regularizers.push(("kernel", name)),
            },
        }
        self
    }

    /// A penalty on the bias added to the loss (a name or a [`Regularizer`]).
    pub fn bias_regularizer(mut self, r: impl Into<RegularizerSpec>) -> Self {
        // A later setting of the same argument replaces an unknown name given before.
        self.unknown_regularizers.retain(|(arg, _)| *arg != "bias");
        match r.into() {
            RegularizerSpec::Object(r) => self.bias_regularizer = Some(r),
            RegularizerSpec::Name(name) => match Regularizer::from_name(&name) {
                Ok(r) => self.bias_regularizer = Some(r),
                Err(_) => self.unknown_regularizers.push(("bias", name)),
            },
        }
        self
    }

    /// A penalty on the layer's output, divided by the batch size, added to the loss.
    pub fn activity_regularizer(mut self, r: impl Into<RegularizerSpec>) -> Self {
        // A later setting of the same argument replaces an unknown name given before.
        self.unknown_regularizers
            .retain(|(arg, _)| *arg != "activity");
        match r.into() {
            RegularizerSpec::Object(r) => self.activity_regularizer = Some(r),
            RegularizerSpec::Name(name) => match Regularizer::from_name(&name) {
                Ok(r) => self.activity_regularizer = Some(r),
                Err(_) => self.unknown_regularizers.push(("activity", name)),
            },
        }
        self
    }

    /// A constraint applied to the kernel after each update.
    pub fn kernel_constraint(mut self, c: Constraint) -> Self {
        self.kernel_constraint = Some(c);
        self
    }

    /// A constraint applied to the bias after each update.
    pub fn bias_constraint(mut self, c: Constraint) -> Self {
        self.bias_constraint = Some(c);
        self
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `dense`, `dense_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The number of outputs.
    pub fn units(&self) -> usize {
        self.units
    }

    /// The activation, once the layer is built (or if it was given as a value).
    pub fn activation_fn(&self) -> Result<ActivationFn> {
        self.activation.resolve()
    }

    /// The kernel `W` (in, units), once built.
    pub fn kernel(&self) -> Option<&Array2<f32>> {
        self.state.as_ref().map(|s| &s.affine.w)
    }

    /// The bias `b` (units,), once built (zeros and never trained when `use_bias(false)`).
    pub fn bias(&self) -> Option<&Array1<f32>> {
        self.state.as_ref().map(|s| &s.affine.b)
    }

    /// Checks the configuration and creates the weights for `n_in` inputs.
    pub(crate) fn build(&mut self, n_in: usize, rng: &mut StdRng) -> Result<()> {
        if let Some(s) = &self.state
            && s.affine.n_in() == n_in
        {
            return Ok(());
        }
        let name = self.name.clone().unwrap_or_default();
        if self.units == 0 {
            return Err(KerasError::InvalidArgument(format!(
                "Dense layer {name:?} has 0 units; give it at least one (Dense::new(10))"
            )));
        }
        let f = self.activation.resolve()?;
        if let Some((_, name)) = self.unknown_regularizers.first() {
            // Not a Keras name: this is the error listing the valid ones.
            Regularizer::from_name(name)?;
        }
        for r in [
            &self.kernel_regularizer,
            &self.bias_regularizer,
            &self.activity_regularizer,
        ]
        .into_iter()
        .flatten()
        {
            r.validate()?;
        }
        if let Some(c) = &self.kernel_constraint {
            c.validate(2)?;
        }
        if let Some(c) = &self.bias_constraint {
            c.validate(1)?;
        }
        let w = self.kernel_initializer.kernel((n_in, self.units), rng)?;
        let b = if self.use_bias {
            self.bias_initializer.vector(self.units, rng)?
        } else {
            Array1::zeros(self.units)
        };
        let affine = Affine::new(w, b).map_err(|e| KerasError::InvalidArgument(e.0))?;
        self.state = Some(Box::new(DenseState {
            affine,
            f,
            z: Array2::zeros((0, 0)),
            y: Array2::zeros((0, 0)),
            dz: Array2::zeros((0, 0)),
            dx: Array2::zeros((0, 0)),
            dy: Array2::zeros((0, 0)),
            activity_penalty: 0.0,
        }));
        Ok(())
    }

    fn state_mut(&mut self) -> &mut DenseState {
        self.state.as_mut().expect("Dense layer built before use")
    }

    /// Whether backward computes `dL/dx` (switched off on the first layer with weights:
    /// nothing before it needs a gradient, which saves one of its three matrix products).
    pub(crate) fn set_needs_input_grad(&mut self, needs: bool) {
        self.state_mut().affine.set_needs_input_grad(needs);
    }

    /// `y = f(x W + b)`, or `z = x W + b` when `logits`.
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode, logits: bool) -> &Array2<f32> {
        let activity = self.activity_regularizer;
        let s = self.state.as_mut().expect("Dense layer built before use");
        s.affine.forward_into(x, mode, &mut s.z);
        let out = if logits || s.f == ActivationFn::Linear {
            &s.z
        } else {
            ensure_shape(&mut s.y, s.z.dim());
            s.f.forward_into(&s.z, &mut s.y);
            &s.y
        };
        s.activity_penalty = match activity {
            Some(r) => r.penalty(out) / out.nrows().max(1) as f64,
            None => 0.0,
        };
        out
    }

    /// `dL/dx` from `dL/dy` (or from `dL/dz` when `logits`); fills the gradients of W and b.
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>, logits: bool) -> &Array2<f32> {
        let activity = self.activity_regularizer;
        let s = self.state.as_mut().expect("Dense layer built before use");
        let linear = logits || s.f == ActivationFn::Linear;
        // The activity penalty r(y) / N adds r'(y) / N to dL/dy.
        let dy: &ArrayRef2<f32> = match activity {
            Some(r) => {
                ensure_shape(&mut s.dy, dout.dim());
                s.dy.assign(dout);
                let y = if linear { &s.z } else { &s.y };
                r.add_gradient(y, &mut s.dy, 1.0 / dout.nrows().max(1) as f32);
                &s.dy
            }
            None => dout,
        };
        let dz: &ArrayRef2<f32> = if linear {
            dy
        } else {
            ensure_shape(&mut s.dz, dy.dim());
            s.f.backward_into(&s.z, &s.y, dy, &mut s.dz);
            &s.dz
        };
        s.affine.backward_into(dz, &mut s.dx);
        &s.dx
    }

    /// The weight penalties (kernel and bias regularizers) plus the last activity penalty.
    pub(crate) fn penalty(&self) -> f64 {
        let Some(s) = &self.state else { return 0.0 };
        s.activity_penalty + self.penalties().value(&s.affine.w, &s.affine.b)
    }

    fn penalties(&self) -> Penalties {
        Penalties {
            kernel: self.kernel_regularizer,
            bias: self.bias_regularizer,
            use_bias: self.use_bias,
        }
    }

    /// Adds the weight penalties' gradients to `dW` and `db` (after backward).
    pub(crate) fn add_penalty_gradients(&mut self) {
        let penalties = self.penalties();
        let Some(s) = &mut self.state else { return };
        let a = &mut s.affine;
        penalties.add_gradients(&a.w, &mut a.dw, &a.b, &mut a.db);
    }

    /// Whether the layer has a regularizer of any kind.
    pub(crate) fn has_penalty(&self) -> bool {
        self.kernel_regularizer.is_some()
            || (self.use_bias && self.bias_regularizer.is_some())
            || self.activity_regularizer.is_some()
    }

    /// Applies the kernel and bias constraints (after each update).
    pub(crate) fn apply_constraints(&mut self) {
        let (kc, bc) = (self.kernel_constraint, self.bias_constraint);
        let Some(s) = &mut self.state else { return };
        if let Some(c) = kc {
            c.apply(&mut s.affine.w.view_mut().into_dyn());
        }
        if let (Some(c), true) = (bc, self.use_bias) {
            c.apply(&mut s.affine.b.view_mut().into_dyn());
        }
    }

    /// Whether the layer has a constraint.
    pub(crate) fn has_constraint(&self) -> bool {
        self.kernel_constraint.is_some() || (self.use_bias && self.bias_constraint.is_some())
    }

    /// Visits the kernel then the bias, under Keras' names `kernel` and `bias` (so that, e.g.,
    /// AdamW's `exclude_from_weight_decay(&["bias"])` works). Without bias, `b` stays zero and
    /// is not visited.
    pub(crate) fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f32>)) {
        let use_bias = self.use_bias;
        let s = self.state_mut();
        s.affine.for_each_param(&mut |p| match p.name {
            "W" => f(ParamMut {
                name: "kernel",
                ..p
            }),
            "b" if use_bias => f(ParamMut { name: "bias", ..p }),
            "b" => {}
            _ => f(p),
        });
    }

    /// `[kernel, bias]` (just `[kernel]` without bias).
    pub(crate) fn get_weights(&self) -> Vec<ArrayD<f32>> {
        let Some(s) = &self.state else {
            return Vec::new();
        };
        let mut out = vec![s.affine.w.clone().into_dyn()];
        if self.use_bias {
            out.push(s.affine.b.clone().into_dyn());
        }
        out
    }

    /// Replaces the weights after checking their shapes; `weights` are `[kernel, bias]`.
    pub(crate) fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        let name = self.name.clone().unwrap_or_default();
        let use_bias = self.use_bias;
        let s = self.state_mut();
        let (n_in, units) = s.affine.w.dim();
        let kernel = weights[0]
            .view()
            .into_dimensionality::<Ix2>()
            .ok()
            .filter(|k| k.dim() == (n_in, units))
            .ok_or_else(|| {
                KerasError::Weights(format!(
                    "layer {name:?}: the kernel given has shape {:?} but the layer's kernel is \
                     [{n_in}, {units}] ([inputs, units])",
                    weights[0].shape()
                ))
            })?;
        check_finite(&name, "kernel", &kernel)?;
        if use_bias {
            s.affine.b.assign(&checked_bias(&name, &weights[1], units)?);
        }
        s.affine.w.assign(&kernel);
        Ok(())
    }
}
