//! `Conv2D(filters, kernel_size, strides, padding, activation)`: a 2-D convolution over
//! channels_last images, `y = f(conv(x, kernel) + b)`, ch07's row-form convolution followed by
//! a ch03 activation.
//!
//! Shapes (one sample, as Keras): input `(H, W, C)`, kernel `(KH, KW, C, filters)`, bias
//! `(filters,)`, output `(OH, OW, filters)` with, per axis,
//! `OH = (H - KH) / stride + 1` for `"valid"` and `ceil(H / stride)` for `"same"` (zeros
//! padded around, the odd one at the bottom and right, as TensorFlow).
//!
//! ```text
//! forward:   col  = im2col(x)                    (N*OH*OW, KH*KW*C)   ch07 im2col_channels_last_into
//!            z    = col W_col + b                (N*OH*OW, filters)  ch07 conv_forward_rows
//!            y    = f(z)                                             ch03 forward_into
//!                   (a plain ReLU on the direct path: stored as y = relu(z) by ch07's kernel)
//! backward:  dz   = f'(z) * dy                                       ch03 backward_into
//!            dW_col = col^T dz, db = sum dz, dcol = dz W_col^T       ch07 conv_backward_rows
//!            dx   = col2im(dcol)                       ch07 col2im_channels_last_into
//! ```
//!
//! Most layers skip `im2col`: ch07's `direct` kernels compute `z`, `dW_col`, `db` (and `dx`)
//! from the definition on `x` itself, which the layer then keeps instead of `col` (the same
//! numbers up to rounding). That is ch07's `use_direct`: a thin window (at most
//! `DIRECT_MAX_TAPS` = 32 values, KH*KW*C: 3x3 over one channel is 9, whose 9-column product
//! spends its time packing), or any window without padding (3x3 over 32 channels: blocks of
//! outputs by filters held in registers, with no `col` to write and no packing). "same"
//! padding keeps `im2col` and the products above. For a wide window `dx` comes straight from
//! `dz`, without `dcol` and `col2im`.
//!
//! A batch is stored as rows `(N, H * W * C)`; the `(N*OH*OW, filters)` rows of `z` are the
//! same memory as the next layer's `(N, OH * OW * filters)` rows, so nothing is transposed or
//! copied between layers. `x` goes into `im2col` as an (N, H, W, C) view of the rows.
//!
//! `im2col`'s columns are in Keras' order (kh, kw, c) (ch07's channels-last variant: each
//! window row is one contiguous copy), so `W_col` is Keras' kernel `(KH, KW, C, filters)`
//! itself, reshaped to `(KH*KW*C, filters)` without moving a value: `get_weights`, saving,
//! initializers (fans `KH*KW*C` and `KH*KW*filters`) and constraints see Keras' layout.

use crate::constraints::Constraint;
use crate::error::{KerasError, Result};
use crate::initializers::InitializerSpec;
use crate::layers::ActivationSpec;
use crate::layers::kernel_bias::{Penalties, check_finite, checked_bias};
use crate::layers::rows::{nhwc, nhwc_mut, reshaped, view_as};
use crate::regularizers::{Regularizer, RegularizerSpec};
use crate::summary::shape_with_batch;
use ch03_activations::keras::Activation as ActivationFn;
use ch03_activations::relu::relu_scalar;
use ch05_backprop::{Mode, ParamMut, ensure_shape};
use ch07_cnn::convolution::{conv_backward_rows, conv_forward_rows};
use ch07_cnn::direct::{
    DIRECT_MAX_TAPS, conv_backward_direct, conv_forward_direct_into, conv_forward_direct_map_into,
    conv_input_grad_direct_into, use_direct,
};
use ch07_cnn::im2col::{Conv2dGeometry, col2im_channels_last_into, im2col_channels_last_into};
use ndarray::{Array1, Array2, ArrayD, ArrayRef2, ArrayView2, ArrayViewMut2, Axis, Ix4};
use rand::rngs::StdRng;
use speed::parallel::join;

/// Two sizes, height then width: Keras' `kernel_size=3` is `3.into()`, `(3, 2)` is
/// `(3, 2).into()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size2(pub usize, pub usize);

impl From<usize> for Size2 {
    fn from(n: usize) -> Self {
        Size2(n, n)
    }
}
impl From<(usize, usize)> for Size2 {
    fn from((h, w): (usize, usize)) -> Self {
        Size2(h, w)
    }
}
impl From<[usize; 2]> for Size2 {
    fn from([h, w]: [usize; 2]) -> Self {
        Size2(h, w)
    }
}

/// Keras' `padding`: `"valid"` (none) or `"same"` (zeros so that the output is
/// `ceil(input / stride)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Padding {
    #[default]
    Valid,
    Same,
}

impl Padding {
    /// Keras' name.
    pub fn name(self) -> &'static str {
        match self {
            Padding::Valid => "valid",
            Padding::Same => "same",
        }
    }

    /// From Keras' name (`"valid"`, `"same"`, any case, as Keras accepts).
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            _ => Err(KerasError::UnknownName {
                kind: "padding",
                name: name.to_string(),
                valid: "valid, same".into(),
            }),
        }
    }

    /// The geometry (ch07) of a window `window` at `strides` over `n` images `(h, w, c)`;
    /// an error naming `layer` when it does not fit.
    pub(crate) fn geometry(
        self,
        (n, h, w, c): (usize, usize, usize, usize),
        window: Size2,
        strides: Size2,
        layer: &str,
    ) -> Result<Conv2dGeometry> {
        let pad = match self {
            Padding::Valid => ch07_cnn::Padding::default(),
            Padding::Same => {
                ch07_cnn::Padding::same((h, w), (window.0, window.1), (strides.0, strides.1))
            }
        };
        Conv2dGeometry::new(
            (n, c, h, w),
            (window.0, window.1),
            (strides.0, strides.1),
            pad,
        )
        .map_err(|e| {
            KerasError::InvalidArgument(format!(
                "layer {layer:?} on inputs of shape {}: {e} (window {}x{}, strides {}x{}, \
                 padding {:?})",
                shape_with_batch(&[h, w, c]),
                window.0,
                window.1,
                strides.0,
                strides.1,
                self.name()
            ))
        })
    }
}

impl From<&str> for Padding {
    /// `"same"` or anything else as `"valid"`; use [`Padding::parse`] to reject typos (the
    /// builders do, when the layer is built).
    fn from(name: &str) -> Self {
        Padding::parse(name).unwrap_or_default()
    }
}

/// An image layer's input shape `(H, W, C)`, or an error naming the layer that says what to do
/// (the usual mistake is a missing channel axis: `(28, 28)` instead of `(28, 28, 1)`).
pub(crate) fn image_shape(
    input: &[usize],
    layer: &str,
    class: &str,
) -> Result<(usize, usize, usize)> {
    match *input {
        [h, w, c] => Ok((h, w, c)),
        [h, w] => Err(KerasError::InvalidArgument(format!(
            "layer {layer:?} ({class}) expects images of shape (None, height, width, channels) \
             but gets {}: add the channel axis, input_shape(&[{h}, {w}, 1]) and x of shape \
             (samples, {h}, {w}, 1) (x.insert_axis(Axis(3)) in ndarray, x[..., None] in NumPy)",
            shape_with_batch(input)
        ))),
        _ => Err(KerasError::InvalidArgument(format!(
            "layer {layer:?} ({class}) expects images of shape (None, height, width, channels) \
             but gets {}; put Reshape before it",
            shape_with_batch(input)
        ))),
    }
}

/// Keras' `Conv2D`: every argument of `tf.keras.layers.Conv2D` for channels_last images,
/// set by builder methods.
///
/// ```
/// use keras_lite::layers::Conv2D;
/// let c = Conv2D::new(32, 3).activation("relu").padding("same").strides((2, 1));
/// assert_eq!(c.filters(), 32);
/// ```
#[derive(Debug, Clone)]
pub struct Conv2D {
    pub(crate) name: Option<String>,
    pub(crate) filters: usize,
    pub(crate) kernel_size: Size2,
    pub(crate) strides: Size2,
    pub(crate) padding: Padding,
    /// Keras' `padding` as given, checked when built (a typo is an error, not "valid").
    pub(crate) padding_name: String,
    pub(crate) data_format: String,
    pub(crate) activation: ActivationSpec,
    pub(crate) use_bias: bool,
    pub(crate) kernel_initializer: InitializerSpec,
    pub(crate) bias_initializer: InitializerSpec,
    pub(crate) kernel_regularizer: Option<Regularizer>,
    pub(crate) bias_regularizer: Option<Regularizer>,
    /// Regularizer names that did not resolve, with the argument each was given to; reported
    /// when the layer is built, as an unknown activation or initializer name is.
    pub(crate) unknown_regularizers: Vec<(&'static str, String)>,
    pub(crate) kernel_constraint: Option<Constraint>,
    pub(crate) bias_constraint: Option<Constraint>,
    pub(crate) input_shape: Option<Vec<usize>>,
    /// The weights and buffers, once built.
    pub(crate) state: Option<Box<ConvState>>,
}

/// What a built Conv2D layer holds: the weights as ch07 uses them, their gradients, and the
/// buffers of one step, reused from step to step.
#[derive(Debug, Clone)]
pub(crate) struct ConvState {
    /// `(H, W, C)` of one input image.
    input: (usize, usize, usize),
    /// ch07's geometry for the current batch size.
    geom: Conv2dGeometry,
    /// `W_col` (KH*KW*C, filters), Keras' kernel reshaped, and its gradient.
    pub w_col: Array2<f32>,
    pub dw_col: Array2<f32>,
    /// The bias (filters,) and its gradient.
    pub b: Array1<f32>,
    pub db: Array1<f32>,
    f: ActivationFn,
    needs_input_grad: bool,
    /// `im2col(x)` of the last training forward, kept for backward.
    col: Array2<f32>,
    /// Whether this geometry is computed by ch07's `direct` kernels, and then `x` itself of
    /// the last training forward, kept for backward instead of `col`.
    direct: bool,
    x: Array2<f32>,
    /// `z`, `y = f(z)`, `dz` and `dx`, as rows of the batch: `(N, OH*OW*filters)` and
    /// `(N, H*W*C)`.
    z: Array2<f32>,
    y: Array2<f32>,
    /// `dz` lives in `dz[k..k + len]` for the first `k` on a 64-byte boundary (see
    /// [`aligned`]).
    dz: Vec<f32>,
    dcol: Array2<f32>,
    dx: Array2<f32>,
}

/// `len` values of `buf` starting on a 64-byte boundary (a cache line, one AVX-512
/// register), growing `buf` the first time. ch07's wide weight-gradient kernel loads `dz` a
/// row of 16 filters at a time; rows that straddle two cache lines made it 14% slower (the
/// allocator places big buffers 16 bytes past a page).
fn aligned(buf: &mut Vec<f32>, len: usize) -> &mut [f32] {
    const SLACK: usize = 64 / std::mem::size_of::<f32>();
    if buf.len() < len + SLACK {
        *buf = vec![0.0; len + SLACK];
    }
    let start = buf.as_ptr().align_offset(64).min(SLACK);
    &mut buf[start..start + len]
}

/// Keras' plain `"relu"` (no slope, cap or threshold), which ch07's direct kernels apply as
/// they store each output (ch03's `relu_scalar`).
fn plain_relu(f: ActivationFn) -> bool {
    f == ActivationFn::Relu {
        alpha: 0.0,
        max_value: None,
        threshold: 0.0,
    }
}

/// Where to cut an elementwise pass over `rows` rows (`values` values in all) so that its two
/// halves run on both cores (ch05's `join`), or `None` when it is too small to be worth it
/// (handing half to the helper thread costs about a microsecond). The activation of one
/// convolution output is 2.8 MB per batch of 32 in the CNN example.
fn halves(rows: usize, values: usize) -> Option<usize> {
    (rows >= 2 && values >= 1 << 15).then_some(rows / 2)
}

impl Conv2D {
    /// `filters` output channels from a `kernel_size` window (`3` or `(3, 3)`), Keras'
    /// defaults otherwise: strides 1, `"valid"` padding, no activation, a bias,
    /// `glorot_uniform` kernel, `zeros` bias.
    pub fn new(filters: usize, kernel_size: impl Into<Size2>) -> Self {
        Conv2D {
            name: None,
            filters,
            kernel_size: kernel_size.into(),
            strides: Size2(1, 1),
            padding: Padding::Valid,
            padding_name: "valid".into(),
            data_format: "channels_last".into(),
            activation: ActivationSpec::Function(ActivationFn::Linear),
            use_bias: true,
            kernel_initializer: InitializerSpec::from("glorot_uniform"),
            bias_initializer: InitializerSpec::from("zeros"),
            kernel_regularizer: None,
            bias_regularizer: None,
            unknown_regularizers: Vec::new(),
            kernel_constraint: None,
            bias_constraint: None,
            input_shape: None,
            state: None,
        }
    }

    /// The step of the window (`1`, `2` or `(2, 1)`; default 1).
    pub fn strides(mut self, strides: impl Into<Size2>) -> Self {
        self.strides = strides.into();
        self
    }

    /// `"valid"` (default) or `"same"`; anything else is an error when the layer is built.
    pub fn padding(mut self, padding: &str) -> Self {
        self.padding = Padding::from(padding);
        self.padding_name = padding.to_string();
        self
    }

    /// Only `"channels_last"` (Keras' default) is supported: `"channels_first"` is an error
    /// when the layer is built, saying how to transpose the data.
    pub fn data_format(mut self, data_format: &str) -> Self {
        self.data_format = data_format.to_string();
        self
    }

    /// The activation `f` of `y = f(conv + b)`: a Keras name or a ch03 `Activation`.
    pub fn activation(mut self, activation: impl Into<ActivationSpec>) -> Self {
        self.activation = activation.into();
        self
    }

    /// Whether the layer adds a bias (default true).
    pub fn use_bias(mut self, use_bias: bool) -> Self {
        self.use_bias = use_bias;
        self
    }

    /// How the kernel starts (default `glorot_uniform`, fans `KH*KW*C` and `KH*KW*filters`).
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

    /// A constraint applied to the kernel `(KH, KW, C, filters)` after each update (as Keras:
    /// `max_norm` with `axis` 0 normalizes along KH; Keras' docs suggest axes [0, 1, 2], which
    /// keras-lite's single-axis constraints do not offer).
    pub fn kernel_constraint(mut self, c: Constraint) -> Self {
        self.kernel_constraint = Some(c);
        self
    }

    /// A constraint applied to the bias after each update.
    pub fn bias_constraint(mut self, c: Constraint) -> Self {
        self.bias_constraint = Some(c);
        self
    }

    /// The shape of one input image `(H, W, C)` (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `conv2d`, `conv2d_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The number of output channels.
    pub fn filters(&self) -> usize {
        self.filters
    }

    /// `(KH, KW)`.
    pub fn kernel_size(&self) -> Size2 {
        self.kernel_size
    }

    /// The strides `(height, width)`.
    pub fn strides_value(&self) -> Size2 {
        self.strides
    }

    /// `"valid"` or `"same"`.
    pub fn padding_value(&self) -> Padding {
        self.padding
    }

    /// The activation, resolved.
    pub fn activation_fn(&self) -> Result<ActivationFn> {
        self.activation.resolve()
    }

    fn layer_name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// Checks the arguments that do not depend on the input.
    fn check_config(&self) -> Result<()> {
        let name = self.layer_name();
        let bad = |msg: String| {
            Err(KerasError::InvalidArgument(format!(
                "layer {name:?}: {msg}"
            )))
        };
        if self.data_format != "channels_last" {
            return bad(format!(
                "data_format {:?} is not supported; keras-lite's Conv2D is channels_last \
                 (Keras' default): store images as (samples, height, width, channels), e.g. \
                 x.permuted_axes([0, 2, 3, 1]) from (samples, channels, height, width)",
                self.data_format
            ));
        }
        Padding::parse(&self.padding_name)?;
        if self.filters == 0 {
            return bad("Conv2D has 0 filters; give it at least one (Conv2D::new(32, 3))".into());
        }
        let (k, s) = (self.kernel_size, self.strides);
        if k.0 == 0 || k.1 == 0 || s.0 == 0 || s.1 == 0 {
            return bad(format!(
                "kernel_size {}x{} and strides {}x{} must be at least 1",
                k.0, k.1, s.0, s.1
            ));
        }
        Ok(())
    }

    /// The output shape `(OH, OW, filters)` for images `input` = `(H, W, C)`.
    pub(crate) fn output_shape_for(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.check_config()?;
        let (h, w, c) = image_shape(input, self.layer_name(), "Conv2D")?;
        let g = self.padding.geometry(
            (1, h, w, c),
            self.kernel_size,
            self.strides,
            self.layer_name(),
        )?;
        // The kernel and a sample's output must be countable too.
        let k = self.kernel_size;
        [k.0, k.1, c, self.filters]
            .iter()
            .chain(&[g.out_h(), g.out_w(), self.filters])
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| {
                KerasError::InvalidArgument(format!(
                    "layer {:?}: the kernel or the output is too large to count",
                    self.layer_name()
                ))
            })?;
        Ok(vec![g.out_h(), g.out_w(), self.filters])
    }

    /// Keras' parameter count for `c_in` input channels: `KH*KW*c_in*filters (+ filters)`.
    pub(crate) fn count_params(&self, c_in: usize) -> usize {
        let k = self.kernel_size;
        (k.0.saturating_mul(k.1))
            .saturating_mul(c_in)
            .saturating_mul(self.filters)
            .saturating_add(if self.use_bias { self.filters } else { 0 })
    }

    /// Checks the configuration and creates the weights for images `input` = `(H, W, C)`.
    pub(crate) fn build(&mut self, input: &[usize], rng: &mut StdRng) -> Result<()> {
        self.output_shape_for(input)?;
        let (h, w, c) = image_shape(input, self.layer_name(), "Conv2D")?;
        if self.state.as_ref().is_some_and(|s| s.input == (h, w, c)) {
            return Ok(());
        }
        let f = self.activation.resolve()?;
        if let Some((_, name)) = self.unknown_regularizers.first() {
            // Not a Keras name: this is the error listing the valid ones.
            Regularizer::from_name(name)?;
        }
        for r in [&self.kernel_regularizer, &self.bias_regularizer]
            .into_iter()
            .flatten()
        {
            r.validate()?;
        }
        if let Some(k) = &self.kernel_constraint {
            k.validate(4)?;
        }
        if let Some(k) = &self.bias_constraint {
            k.validate(1)?;
        }
        let (kh, kw) = (self.kernel_size.0, self.kernel_size.1);
        let kernel = self
            .kernel_initializer
            .sample(&[kh, kw, c, self.filters], rng)?
            .into_dimensionality::<Ix4>()
            .expect("a 4-D shape gives a 4-D array");
        let b = if self.use_bias {
            self.bias_initializer.vector(self.filters, rng)?
        } else {
            Array1::zeros(self.filters)
        };
        let geom = self.padding.geometry(
            (1, h, w, c),
            self.kernel_size,
            self.strides,
            self.layer_name(),
        )?;
        let w_col = kernel
            .into_shape_with_order((kh * kw * c, self.filters))
            .expect("a fresh kernel is row-major");
        self.state = Some(Box::new(ConvState {
            input: (h, w, c),
            geom,
            dw_col: Array2::zeros(w_col.dim()),
            w_col,
            db: Array1::zeros(b.len()),
            b,
            f,
            needs_input_grad: true,
            col: Array2::zeros((0, 0)),
            direct: use_direct(&geom),
            x: Array2::zeros((0, 0)),
            z: Array2::zeros((0, 0)),
            y: Array2::zeros((0, 0)),
            dz: Vec::new(),
            dcol: Array2::zeros((0, 0)),
            dx: Array2::zeros((0, 0)),
        }));
        Ok(())
    }

    fn state_mut(&mut self) -> &mut ConvState {
        self.state.as_mut().expect("Conv2D layer built before use")
    }

    /// Whether backward computes `dL/dx` (off on the model's first layer with weights: its
    /// `dcol` product and `col2im` are a third of the layer's work, and nothing needs them).
    pub(crate) fn set_needs_input_grad(&mut self, needs: bool) {
        self.state_mut().needs_input_grad = needs;
    }

    /// `y = f(conv(x) + b)` for a batch of rows `(N, H*W*C)`, as rows `(N, OH*OW*filters)`.
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode) -> &Array2<f32> {
        let s = self.state.as_mut().expect("Conv2D layer built before use");
        let n = x.nrows();
        if s.geom.n() != n {
            // Only a col matrix beyond isize::MAX elements fails here, which no memory holds.
            s.geom = s
                .geom
                .with_batch(n)
                .expect("a batch that fits in memory fits the geometry");
        }
        let g = s.geom;
        let (rows, filters) = (n * g.out_h() * g.out_w(), s.w_col.ncols());
        let keep = (n, g.out_h() * g.out_w() * filters);
        if s.direct {
            if mode == Mode::Train {
                // Kept for backward; copied on both cores (conv2 of the CNN example: 700 KB).
                ensure_shape(&mut s.x, x.dim());
                match halves(n, x.len()) {
                    Some(mid) => {
                        let (x0, x1) = x.view().split_at(Axis(0), mid);
                        let (mut k0, mut k1) = s.x.view_mut().split_at(Axis(0), mid);
                        join(|| k0.assign(&x0), || k1.assign(&x1));
                    }
                    None => s.x.assign(x),
                }
            }
            let x = x.as_standard_layout();
            let x = x.as_slice().expect("standard layout");
            let (w_col, b) = (&s.w_col, &s.b);
            if plain_relu(s.f) {
                // ReLU applied as each output is stored: `y` only, no `z` (ReLU's backward
                // reads `z > 0`, which is `y > 0`).
                reshaped(&mut s.y, keep, (rows, filters), |y| {
                    conv_forward_direct_map_into(x, &g, w_col, b, relu_scalar, y)
                });
                return &s.y;
            }
            reshaped(&mut s.z, keep, (rows, filters), |z| {
                conv_forward_direct_into(x, &g, w_col, b, z)
            });
        } else {
            im2col_channels_last_into(nhwc(x, s.input), &g, &mut s.col)
                .expect("the geometry was checked");
            let (col, w_col, b) = (&s.col, &s.w_col, &s.b);
            reshaped(&mut s.z, keep, (rows, filters), |z| {
                conv_forward_rows(col, w_col, b, z)
            });
        }
        if s.f == ActivationFn::Linear {
            return &s.z;
        }
        ensure_shape(&mut s.y, keep);
        // Row-wise activations (softmax) act on the channels of each pixel, as Keras'.
        let z = view_as(&s.z, (rows, filters));
        let mut y =
            s.y.view_mut()
                .into_shape_with_order((rows, filters))
                .expect("a kept buffer is contiguous");
        let f = s.f;
        match halves(rows, rows * filters) {
            Some(mid) => {
                let ((z0, z1), (mut y0, mut y1)) =
                    (z.split_at(Axis(0), mid), y.split_at(Axis(0), mid));
                join(
                    || f.forward_into(&z0, &mut y0),
                    || f.forward_into(&z1, &mut y1),
                );
            }
            None => f.forward_into(&z, &mut y),
        }
        &s.y
    }

    /// `dL/dx` from `dL/dy` (rows of the batch); fills the gradients of the kernel and bias.
    /// When the layer needs no input gradient, the returned buffer is not filled.
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let s = self.state.as_mut().expect("Conv2D layer built before use");
        let g = s.geom;
        let (n, filters) = (dout.nrows(), s.w_col.ncols());
        let rows = n * g.out_h() * g.out_w();
        let dout_rows = view_as(dout, (rows, filters));
        let dz = if s.f == ActivationFn::Linear {
            dout_rows
        } else {
            let mut dz =
                ArrayViewMut2::from_shape((rows, filters), aligned(&mut s.dz, rows * filters))
                    .expect("an aligned slice of rows * filters values");
            // (A ReLU fused into the direct forward kept `y` only: `z > 0` is `y > 0`.)
            let z = if s.direct && plain_relu(s.f) {
                &s.y
            } else {
                &s.z
            };
            let (f, z, y) = (
                s.f,
                view_as(z, (rows, filters)),
                view_as(&s.y, (rows, filters)),
            );
            match halves(rows, rows * filters) {
                Some(mid) => {
                    let (z0, z1) = z.split_at(Axis(0), mid);
                    let (y0, y1) = y.split_at(Axis(0), mid);
                    let (d0, d1) = dout_rows.view().split_at(Axis(0), mid);
                    let (mut dz0, mut dz1) = dz.split_at(Axis(0), mid);
                    join(
                        || f.backward_into(&z0, &y0, &d0, &mut dz0),
                        || f.backward_into(&z1, &y1, &d1, &mut dz1),
                    );
                }
                None => f.backward_into(&z, &y, &dout_rows, &mut dz),
            }
            ArrayView2::from_shape((rows, filters), aligned(&mut s.dz, rows * filters))
                .expect("an aligned slice of rows * filters values")
        };
        // A wide window's dx comes straight from dz (no dcol, no col2im); a thin one's
        // through dcol, a product of only KH*KW*C columns.
        let wide = s.direct && s.w_col.nrows() > DIRECT_MAX_TAPS;
        let dcol = (s.needs_input_grad && !wide).then_some(&mut s.dcol);
        if s.direct {
            let x = s.x.as_slice().expect("a kept buffer is contiguous");
            conv_backward_direct(x, &g, &s.w_col, &dz, &mut s.dw_col, &mut s.db, dcol);
        } else {
            conv_backward_rows(&s.col, &s.w_col, &dz, &mut s.dw_col, &mut s.db, dcol);
        }
        if s.needs_input_grad {
            let (h, w, c) = s.input;
            ensure_shape(&mut s.dx, (n, h * w * c));
            if wide {
                let dx = s.dx.as_slice_mut().expect("a kept buffer is contiguous");
                conv_input_grad_direct_into(&dz, &g, &s.w_col, dx);
            } else {
                col2im_channels_last_into(s.dcol.view(), &g, nhwc_mut(&mut s.dx, s.input))
                    .expect("the geometry was checked");
            }
        }
        &s.dx
    }

    /// The weight penalties (kernel and bias regularizers).
    pub(crate) fn penalty(&self) -> f64 {
        let Some(s) = &self.state else { return 0.0 };
        self.penalties().value(&s.w_col, &s.b)
    }

    fn penalties(&self) -> Penalties {
        Penalties {
            kernel: self.kernel_regularizer,
            bias: self.bias_regularizer,
            use_bias: self.use_bias,
        }
    }

    /// Adds the weight penalties' gradients to the kernel's and bias' (after backward).
    pub(crate) fn add_penalty_gradients(&mut self) {
        let penalties = self.penalties();
        let Some(s) = &mut self.state else { return };
        penalties.add_gradients(&s.w_col, &mut s.dw_col, &s.b, &mut s.db);
    }

    /// Applies the constraints (after each update); the kernel's on Keras' layout.
    pub(crate) fn apply_constraints(&mut self) {
        let (kc, bc, use_bias) = (self.kernel_constraint, self.bias_constraint, self.use_bias);
        let shape = self.kernel_shape();
        let Some(s) = &mut self.state else { return };
        if let Some(k) = kc {
            let mut kernel = s
                .w_col
                .view_mut()
                .into_shape_with_order(shape)
                .expect("w_col is Keras' kernel reshaped")
                .into_dyn();
            k.apply(&mut kernel);
        }
        if let (Some(k), true) = (bc, use_bias) {
            k.apply(&mut s.b.view_mut().into_dyn());
        }
    }

    /// Visits the kernel (as `W_col`) then the bias, under Keras' names.
    pub(crate) fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f32>)) {
        let use_bias = self.use_bias;
        let s = self.state_mut();
        f(ParamMut {
            name: "kernel",
            value: s.w_col.view_mut().into_dyn(),
            grad: s.dw_col.view_mut().into_dyn(),
        });
        if use_bias {
            f(ParamMut {
                name: "bias",
                value: s.b.view_mut().into_dyn(),
                grad: s.db.view_mut().into_dyn(),
            });
        }
    }

    /// Keras' kernel shape `(KH, KW, C, filters)` (C once built).
    fn kernel_shape(&self) -> (usize, usize, usize, usize) {
        let c = self.state.as_ref().map_or(0, |s| s.input.2);
        (self.kernel_size.0, self.kernel_size.1, c, self.filters)
    }

    /// `[kernel (KH, KW, C, filters), bias (filters,)]` (just the kernel without bias).
    pub(crate) fn get_weights(&self) -> Vec<ArrayD<f32>> {
        let Some(s) = &self.state else {
            return Vec::new();
        };
        let kernel = s
            .w_col
            .clone()
            .into_shape_with_order(self.kernel_shape())
            .expect("w_col is Keras' kernel reshaped");
        let mut out = vec![kernel.into_dyn()];
        if self.use_bias {
            out.push(s.b.clone().into_dyn());
        }
        out
    }

    /// Replaces the weights after checking their shapes; `weights` are `[kernel, bias]` in
    /// Keras' layout.
    pub(crate) fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        let name = self.layer_name().to_string();
        let (kh, kw, filters, use_bias) = (
            self.kernel_size.0,
            self.kernel_size.1,
            self.filters,
            self.use_bias,
        );
        let s = self.state_mut();
        let c = s.input.2;
        let kernel = weights[0]
            .view()
            .into_dimensionality::<Ix4>()
            .ok()
            .filter(|k| k.dim() == (kh, kw, c, filters))
            .ok_or_else(|| {
                KerasError::Weights(format!(
                    "layer {name:?}: the kernel given has shape {:?} but the layer's kernel is \
                     [{kh}, {kw}, {c}, {filters}] ([kernel_h, kernel_w, in_channels, filters])",
                    weights[0].shape()
                ))
            })?;
        check_finite(&name, "kernel", &kernel)?;
        if use_bias {
            s.b.assign(&checked_bias(&name, &weights[1], filters)?);
        }
        let dim = s.w_col.dim();
        s.w_col.assign(
            &kernel
                .as_standard_layout()
                .into_shape_with_order(dim)
                .expect("a row-major 4-D kernel of the checked shape reshapes"),
        );
        Ok(())
    }
}
