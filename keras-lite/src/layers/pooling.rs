//! `MaxPooling2D`, `AveragePooling2D` and `GlobalAveragePooling2D` on channels_last images:
//! ch07's pooling kernels, run on the permuted (N, C, H, W) view of the batch's rows.
//!
//! ```text
//! MaxPooling2D(pool_size=2):   (H, W, C) -> (H / 2, W / 2, C), the largest of each 2x2 window
//! AveragePooling2D(2):         the same with the mean (padded cells not counted, as Keras)
//! GlobalAveragePooling2D():    (H, W, C) -> (C,), the mean of each channel
//! backward: the gradient goes to each window's maximum (the first one on ties), or is
//!           spread evenly over the window (average)
//! ```
//!
//! `strides` default to the pool size, as Keras'; `padding` is `"valid"` or `"same"`.
//! GlobalAveragePooling2D is average pooling with one window as large as the image.

use crate::error::{KerasError, Result};
use crate::layers::conv2d::{Padding, Size2, image_shape};
use crate::layers::rows::{nchw, nchw_mut};
use ch05_backprop::{Mode, ensure_shape};
use ch07_cnn::im2col::Conv2dGeometry;
pub use ch07_cnn::pooling::PoolKind;
use ch07_cnn::pooling::{
    avg_pool_backward_into, avg_pool_forward_into, max_pool_backward_into, max_pool_forward_into,
};
use ndarray::{Array2, Array4, ArrayRef2};

/// Keras' `MaxPooling2D(pool_size)`: `MaxPooling2D::new(2)` builds a [`Pooling2D`].
pub struct MaxPooling2D;

impl MaxPooling2D {
    /// Max pooling over `pool_size` windows (`2` or `(2, 2)`), strides = pool size,
    /// `"valid"` padding.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(pool_size: impl Into<Size2>) -> Pooling2D {
        Pooling2D::new(PoolKind::Max, pool_size.into())
    }
}

/// Keras' `AveragePooling2D(pool_size)`: `AveragePooling2D::new(2)` builds a [`Pooling2D`].
pub struct AveragePooling2D;

impl AveragePooling2D {
    /// Average pooling over `pool_size` windows, strides = pool size, `"valid"` padding.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(pool_size: impl Into<Size2>) -> Pooling2D {
        Pooling2D::new(PoolKind::Average, pool_size.into())
    }
}

/// A max or average pooling layer (Keras' `MaxPooling2D` / `AveragePooling2D`).
///
/// ```
/// use keras_lite::layers::{MaxPooling2D, Padding};
/// let p = MaxPooling2D::new(3).strides(2).padding("same");
/// assert_eq!(p.output_shape_for(&[7, 6, 3]).unwrap(), vec![4, 3, 3]);
/// assert_eq!(p.padding_value(), Padding::Same);
/// ```
#[derive(Debug, Clone)]
pub struct Pooling2D {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) kind: PoolKind,
    pub(crate) pool_size: Size2,
    /// `None`: the pool size (Keras' `strides=None`).
    pub(crate) strides: Option<Size2>,
    pub(crate) padding: Padding,
    pub(crate) padding_name: String,
    pub(crate) state: Option<Box<PoolState>>,
}

/// The geometry and buffers of a built pooling layer.
#[derive(Debug, Clone)]
pub(crate) struct PoolState {
    input: (usize, usize, usize),
    geom: Conv2dGeometry,
    /// The output rows `(N, OH*OW*C)`, the window index of each maximum, and `dx`.
    out: Array2<f32>,
    argmax: Array4<u32>,
    dx: Array2<f32>,
}

impl PoolState {
    fn new(input: (usize, usize, usize), geom: Conv2dGeometry) -> Self {
        PoolState {
            input,
            geom,
            out: Array2::zeros((0, 0)),
            argmax: Array4::zeros((0, 0, 0, 0)),
            dx: Array2::zeros((0, 0)),
        }
    }

    /// The geometry for a batch of `n` (the last batch of an epoch is smaller).
    fn for_batch(&mut self, n: usize) -> Conv2dGeometry {
        if self.geom.n() != n {
            // Only sizes beyond isize::MAX elements fail here, which no memory holds.
            self.geom = self
                .geom
                .with_batch(n)
                .expect("a batch that fits in memory fits the geometry");
        }
        self.geom
    }

    /// Pools the rows `x` (N, H*W*C) into `self.out` (N, OH*OW*C).
    fn forward(&mut self, kind: PoolKind, x: &ArrayRef2<f32>) -> &Array2<f32> {
        let n = x.nrows();
        let g = self.for_batch(n);
        let c = self.input.2;
        let out_shape = (g.out_h(), g.out_w(), c);
        ensure_shape(&mut self.out, (n, g.out_h() * g.out_w() * c));
        let out = nchw_mut(&mut self.out, out_shape);
        let xv = nchw(x, self.input);
        match kind {
            PoolKind::Max => max_pool_forward_into(xv, &g, out, &mut self.argmax),
            PoolKind::Average => avg_pool_forward_into(xv, &g, out),
        }
        .expect("the geometry was checked when built");
        &self.out
    }

    /// `dx` rows (N, H*W*C) from `dout` rows (N, OH*OW*C), for the last forward.
    fn backward(&mut self, kind: PoolKind, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let g = self.geom;
        let (h, w, c) = self.input;
        ensure_shape(&mut self.dx, (dout.nrows(), h * w * c));
        let dv = nchw(dout, (g.out_h(), g.out_w(), c));
        let dx = nchw_mut(&mut self.dx, self.input);
        match kind {
            PoolKind::Max => max_pool_backward_into(dv, &self.argmax, &g, dx),
            PoolKind::Average => avg_pool_backward_into(dv, &g, dx),
        }
        .expect("the geometry was checked when built");
        &self.dx
    }
}

impl Pooling2D {
    fn new(kind: PoolKind, pool_size: Size2) -> Self {
        Pooling2D {
            name: None,
            input_shape: None,
            kind,
            pool_size,
            strides: None,
            padding: Padding::Valid,
            padding_name: "valid".into(),
            state: None,
        }
    }

    /// The step of the window (default: the pool size).
    pub fn strides(mut self, strides: impl Into<Size2>) -> Self {
        self.strides = Some(strides.into());
        self
    }

    /// `"valid"` (default) or `"same"`; anything else is an error when the layer is built.
    pub fn padding(mut self, padding: &str) -> Self {
        self.padding = Padding::from(padding);
        self.padding_name = padding.to_string();
        self
    }

    /// The shape of one input image `(H, W, C)` (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `max_pooling2d`, `average_pooling2d`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// Max or average.
    pub fn kind(&self) -> PoolKind {
        self.kind
    }

    /// The window `(height, width)`.
    pub fn pool_size(&self) -> Size2 {
        self.pool_size
    }

    /// The strides in use (the pool size unless set).
    pub fn strides_value(&self) -> Size2 {
        self.strides.unwrap_or(self.pool_size)
    }

    /// `"valid"` or `"same"`.
    pub fn padding_value(&self) -> Padding {
        self.padding
    }

    fn layer_name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    fn geometry(&self, input: &[usize], n: usize) -> Result<Conv2dGeometry> {
        Padding::parse(&self.padding_name)?;
        let class = self.kind_class_name();
        let (h, w, c) = image_shape(input, self.layer_name(), class)?;
        let g = self.padding.geometry(
            (n, h, w, c),
            self.pool_size,
            self.strides_value(),
            self.layer_name(),
        )?;
        ch07_cnn::pooling::check_pool_geometry(&g).map_err(|e| {
            KerasError::InvalidArgument(format!("layer {:?} ({class}): {e}", self.layer_name()))
        })?;
        Ok(g)
    }

    /// Keras' class name: `MaxPooling2D` or `AveragePooling2D`.
    pub fn kind_class_name(&self) -> &'static str {
        match self.kind {
            PoolKind::Max => "MaxPooling2D",
            PoolKind::Average => "AveragePooling2D",
        }
    }

    /// The output shape `(OH, OW, C)` for images `input` = `(H, W, C)`.
    pub fn output_shape_for(&self, input: &[usize]) -> Result<Vec<usize>> {
        let g = self.geometry(input, 1)?;
        Ok(vec![g.out_h(), g.out_w(), g.c()])
    }

    pub(crate) fn build(&mut self, input: &[usize]) -> Result<()> {
        let g = self.geometry(input, 1)?;
        let shape = (g.h(), g.w(), g.c());
        if self.state.as_ref().is_none_or(|s| s.input != shape) {
            self.state = Some(Box::new(PoolState::new(shape, g)));
        }
        Ok(())
    }

    /// The pooled rows of a batch.
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, _mode: Mode) -> &Array2<f32> {
        let kind = self.kind;
        let s = self.state.as_mut().expect("pooling layer built before use");
        s.forward(kind, x)
    }

    /// `dL/dx` from `dL/dout`, for the last forward.
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let kind = self.kind;
        let s = self.state.as_mut().expect("pooling layer built before use");
        s.backward(kind, dout)
    }
}

/// Keras' `GlobalAveragePooling2D()`: `(H, W, C)` -> `(C,)`, each channel's mean.
#[derive(Debug, Clone, Default)]
pub struct GlobalAveragePooling2D {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) state: Option<Box<PoolState>>,
}

impl GlobalAveragePooling2D {
    /// The layer (no parameters).
    pub fn new() -> Self {
        Self::default()
    }

    /// The shape of one input image `(H, W, C)` (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `global_average_pooling2d`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    fn geometry(&self, input: &[usize]) -> Result<Conv2dGeometry> {
        let name = self.name.as_deref().unwrap_or("");
        let (h, w, c) = image_shape(input, name, "GlobalAveragePooling2D")?;
        Padding::Valid.geometry((1, h, w, c), Size2(h, w), Size2(1, 1), name)
    }

    /// The output shape `(C,)` for images `(H, W, C)`.
    pub fn output_shape_for(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(vec![self.geometry(input)?.c()])
    }

    pub(crate) fn build(&mut self, input: &[usize]) -> Result<()> {
        let g = self.geometry(input)?;
        let shape = (g.h(), g.w(), g.c());
        if self.state.as_ref().is_none_or(|s| s.input != shape) {
            self.state = Some(Box::new(PoolState::new(shape, g)));
        }
        Ok(())
    }

    /// The channel means of each image: rows `(N, C)` (the `(N, 1, 1, C)` pooled images).
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>) -> &Array2<f32> {
        let s = self.state.as_mut().expect("layer built before use");
        s.forward(PoolKind::Average, x)
    }

    /// `dL/dx`: each channel's gradient spread evenly over its pixels.
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let s = self.state.as_mut().expect("layer built before use");
        s.backward(PoolKind::Average, dout)
    }
}
