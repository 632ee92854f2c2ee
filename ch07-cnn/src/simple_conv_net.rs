//! `SimpleConvNet` (book 7.5, `ch07/simple_convnet.py`): the book's first CNN.
//!
//! ```text
//! x (N, C*H*W) rows, viewed as (N, C, H, W)
//!   -> Convolution (30 filters 5x5, stride 1, pad 0)  (N, 30, 24, 24)
//!   -> Relu
//!   -> Pooling (max 2x2, stride 2)                    (N, 30, 12, 12)
//!   -> Affine (4320 -> 100) -> Relu
//!   -> Affine (100 -> 10)                             scores (N, 10)
//!   -> SoftmaxWithLoss
//! ```
//!
//! Inputs are rows, as everywhere in this workspace: an image batch (N, 784) is viewed as
//! (N, 1, 28, 28) without a copy (the book's data loader's `flatten=False`), so ch06's
//! [`Trainer`](ch06_optimizers_init::trainer::Trainer) trains this network as it trains a
//! `MultiLayerNet`. Every intermediate buffer is kept, so a training step allocates nothing once
//! the batch size is set.

use crate::convolution::Convolution;
use crate::im2col::GeometryError;
use crate::pooling::Pooling;
use ch03_activations::{Float, argmax};
use ch04_loss_gradient::{Labels, LossError, numerical_gradient};
use ch05_backprop::{Affine, Layer, Mode, ParamMut, Relu, SoftmaxWithLoss};
use ch06_optimizers_init::trainer::TrainableNet;
use ndarray::{Array1, Array2, Array4, ArrayD, ArrayRef2, ArrayView4, IxDyn, s};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use std::io::Write;
use std::path::Path;

/// The book's `SimpleConvNet(input_dim, conv_param, hidden_size, output_size,
/// weight_init_std)`, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct SimpleConvNetConfig {
    /// `input_dim=(1, 28, 28)`: (C, H, W) of one image.
    pub input_dim: (usize, usize, usize),
    /// `conv_param['filter_num']=30`.
    pub filter_num: usize,
    /// `conv_param['filter_size']=5` (square filters).
    pub filter_size: usize,
    /// `conv_param['pad']=0`.
    pub pad: usize,
    /// `conv_param['stride']=1`.
    pub stride: usize,
    /// `hidden_size=100`.
    pub hidden_size: usize,
    /// `output_size=10`.
    pub output_size: usize,
    /// `weight_init_std=0.01`.
    pub weight_init_std: f64,
}

impl Default for SimpleConvNetConfig {
    fn default() -> Self {
        SimpleConvNetConfig {
            input_dim: (1, 28, 28),
            filter_num: 30,
            filter_size: 5,
            pad: 0,
            stride: 1,
            hidden_size: 100,
            output_size: 10,
            weight_init_std: 0.01,
        }
    }
}

/// The batch size the book's `accuracy` evaluates in (and this one does, to bound memory).
pub const ACCURACY_BATCH: usize = 100;

/// Conv -> ReLU -> Pool -> Affine -> ReLU -> Affine -> SoftmaxWithLoss, the book's layers.
///
/// ```
/// use ch04_loss_gradient::Labels;
/// use ch07_cnn::simple_conv_net::{SimpleConvNet, SimpleConvNetConfig};
/// use ndarray::{Array1, Array2};
/// use rand::{SeedableRng, rngs::StdRng};
///
/// let config = SimpleConvNetConfig { input_dim: (1, 8, 8), filter_num: 3, filter_size: 3,
///     hidden_size: 6, output_size: 4, ..Default::default() };
/// let mut net = SimpleConvNet::<f64>::new(config, &mut StdRng::seed_from_u64(0))?;
/// let x = Array2::from_shape_fn((2, 64), |(i, j)| ((i * 64 + j) % 7) as f64 / 7.0);
/// let t = Array1::from(vec![1usize, 3]);
/// let loss = net.gradient(&x, Labels::Sparse(t.view()))?;
/// assert!((loss - 4f64.ln()).abs() < 0.01); // std 0.01: every class about equally likely
/// assert_eq!(net.conv1.dw.dim(), (3, 1, 3, 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimpleConvNet<A> {
    config: SimpleConvNetConfig,
    /// `W1` (FN, C, FS, FS), `b1` (FN,).
    pub conv1: Convolution<A>,
    pub relu1: Relu,
    /// Max 2x2, stride 2.
    pub pool1: Pooling,
    /// `W2` (FN * pooled H * pooled W, hidden), `b2` (hidden,).
    pub affine1: Affine<A>,
    pub relu2: Relu,
    /// `W3` (hidden, output), `b3` (output,).
    pub affine2: Affine<A>,
    pub last_layer: SoftmaxWithLoss<A>,
    conv_out: Array4<A>,
    relu1_out: Array2<A>,
    pool_out: Array4<A>,
    a1: Array2<A>,
    z1: Array2<A>,
    scores: Array2<A>,
    dscores: Array2<A>,
    dz1: Array2<A>,
    da1: Array2<A>,
    dpool: Array2<A>,
    drelu1: Array4<A>,
    dconv: Array2<A>,
    dx: Array4<A>,
}

fn randn<A: Float, R: Rng + ?Sized>(shape: &[usize], std: f64, rng: &mut R) -> ArrayD<A>
where
    StandardNormal: Distribution<A>,
{
    let std = A::of(std);
    ArrayD::from_shape_simple_fn(IxDyn(shape), || {
        let z: A = StandardNormal.sample(rng);
        z * std
    })
}

impl<A: Float> SimpleConvNet<A> {
    /// Weights `weight_init_std * randn(...)` drawn from `rng`, biases zero (the book's
    /// `__init__`). Errors: zero sizes, a filter that does not fit the input, a negative or
    /// non-finite `weight_init_std`.
    pub fn new<R: Rng + ?Sized>(config: SimpleConvNetConfig, rng: &mut R) -> Result<Self, LossError>
    where
        StandardNormal: Distribution<A>,
    {
        let bad = |e: GeometryError| LossError::Parameter(format!("SimpleConvNet: {e}"));
        let c = &config;
        if c.hidden_size == 0 || c.output_size == 0 {
            return Err(LossError::Parameter(
                "SimpleConvNet: hidden_size and output_size must be at least 1".into(),
            ));
        }
        if !(c.weight_init_std.is_finite() && c.weight_init_std >= 0.0) {
            return Err(LossError::Parameter(format!(
                "SimpleConvNet: weight_init_std must be a finite number >= 0, got {}",
                c.weight_init_std
            )));
        }
        let (ch, h, w) = c.input_dim;
        let (fn_, fs, std) = (c.filter_num, c.filter_size, c.weight_init_std);
        let w1 = randn::<A, R>(&[fn_, ch, fs, fs], std, rng);
        let w1 = w1.into_dimensionality().expect("4-D");
        let conv1 = Convolution::new(w1, Array1::zeros(fn_), c.stride, c.pad).map_err(bad)?;
        let conv_g = conv1.geometry((1, ch, h, w)).map_err(bad)?;
        let pool1 = Pooling::new(2, 2, 2, 0);
        let pool_g = pool1
            .geometry((1, fn_, conv_g.out_h(), conv_g.out_w()))
            .map_err(bad)?;
        let pool_output_size = fn_ * pool_g.out_h() * pool_g.out_w();
        let w2 = randn::<A, R>(&[pool_output_size, c.hidden_size], std, rng);
        let w3 = randn::<A, R>(&[c.hidden_size, c.output_size], std, rng);
        let dense = |w: ArrayD<A>, n: usize| {
            Affine::new(w.into_dimensionality().expect("2-D"), Array1::zeros(n))
                .expect("a bias per column")
        };
        let mut conv1 = conv1;
        // The first layer's dx is never used: skip its product and col2im.
        conv1.set_needs_input_grad(false);
        Ok(SimpleConvNet {
            affine1: dense(w2, c.hidden_size),
            affine2: dense(w3, c.output_size),
            config,
            conv1,
            relu1: Relu::new(),
            pool1,
            relu2: Relu::new(),
            last_layer: SoftmaxWithLoss::new(),
            conv_out: Array4::zeros((0, 0, 0, 0)),
            relu1_out: Array2::zeros((0, 0)),
            pool_out: Array4::zeros((0, 0, 0, 0)),
            a1: Array2::zeros((0, 0)),
            z1: Array2::zeros((0, 0)),
            scores: Array2::zeros((0, 0)),
            dscores: Array2::zeros((0, 0)),
            dz1: Array2::zeros((0, 0)),
            da1: Array2::zeros((0, 0)),
            dpool: Array2::zeros((0, 0)),
            drelu1: Array4::zeros((0, 0, 0, 0)),
            dconv: Array2::zeros((0, 0)),
            dx: Array4::zeros((0, 0, 0, 0)),
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &SimpleConvNetConfig {
        &self.config
    }

    /// C*H*W, the width of an input row.
    pub fn input_size(&self) -> usize {
        let (c, h, w) = self.config.input_dim;
        c * h * w
    }

    fn check_input(&self, x: &ArrayRef2<A>) -> Result<(), LossError> {
        if x.ncols() != self.input_size() || x.nrows() == 0 {
            return Err(LossError::Shape(format!(
                "SimpleConvNet: input of shape {:?}, expected (N >= 1, {}) (images {:?} flattened)",
                x.dim(),
                self.input_size(),
                self.config.input_dim
            )));
        }
        Ok(())
    }

    /// The scores (N, output_size) of the rows `x` (N, C*H*W): the book's `predict`.
    pub fn predict(&mut self, x: &ArrayRef2<A>, mode: Mode) -> Result<&Array2<A>, LossError> {
        self.check_input(x)?;
        let (c, h, w) = self.config.input_dim;
        let n = x.nrows();
        let rows = x.as_standard_layout();
        let x4 = rows
            .view()
            .into_shape_with_order((n, c, h, w))
            .expect("row-major rows of C*H*W");
        self.conv1
            .forward_into(x4, mode, &mut self.conv_out)
            .map_err(|e| LossError::Shape(format!("SimpleConvNet: {e}")))?;
        let conv_flat = flat(self.conv_out.view());
        self.relu1
            .forward_into(&conv_flat, mode, &mut self.relu1_out);
        let relu_4d = unflat(&self.relu1_out, self.conv_out.dim());
        self.pool1
            .forward_into(relu_4d, mode, &mut self.pool_out)
            .map_err(|e| LossError::Shape(format!("SimpleConvNet: {e}")))?;
        let pooled = flat(self.pool_out.view());
        self.affine1.forward_into(&pooled, mode, &mut self.a1);
        self.relu2.forward_into(&self.a1, mode, &mut self.z1);
        self.affine2.forward_into(&self.z1, mode, &mut self.scores);
        Ok(&self.scores)
    }

    /// The cross-entropy of softmax(predict(x)) against `t` (the book's `loss`).
    pub fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>, mode: Mode) -> Result<A, LossError> {
        self.predict(x, mode)?;
        self.last_layer.forward(&self.scores, t)
    }

    /// The fraction of rows whose largest score is the label, evaluated in batches of
    /// `batch_size` (the book's `accuracy(x, t, batch_size=100)`).
    pub fn accuracy_batched(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
        batch_size: usize,
    ) -> Result<f64, LossError> {
        self.check_input(x)?;
        let n = x.nrows();
        let labels: Vec<usize> = match t {
            Labels::Sparse(t) => t.to_vec(),
            Labels::Dense(t) => t.rows().into_iter().map(|r| argmax(r.iter())).collect(),
        };
        if labels.len() != n {
            return Err(LossError::Shape(format!(
                "accuracy: {} labels for {n} samples",
                labels.len()
            )));
        }
        let batch_size = batch_size.max(1);
        let mut correct = 0;
        for start in (0..n).step_by(batch_size) {
            let end = (start + batch_size).min(n);
            let y = self.predict(&x.slice(s![start..end, ..]), Mode::Eval)?;
            correct += y
                .rows()
                .into_iter()
                .zip(&labels[start..end])
                .filter(|(row, t)| argmax(row.iter()) == **t)
                .count();
        }
        Ok(correct as f64 / n as f64)
    }

    /// Backprop (the book's `gradient`): the loss, and every parameter's gradient left in
    /// the layers (`conv1.dw`, `conv1.db`, `affine1.dw`, ...). Returns the loss.
    pub fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        let loss = self.loss(x, t, Mode::Train)?;
        self.last_layer.backward_into(&mut self.dscores);
        self.affine2.backward_into(&self.dscores, &mut self.dz1);
        self.relu2.backward_into(&self.dz1, &mut self.da1);
        self.affine1.backward_into(&self.da1, &mut self.dpool);
        let dpool_4d = unflat(&self.dpool, self.pool_out.dim());
        self.pool1.backward_into(dpool_4d, &mut self.drelu1);
        let drelu1 = flat(self.drelu1.view());
        self.relu1.backward_into(&drelu1, &mut self.dconv);
        let dconv_4d = unflat(&self.dconv, self.conv_out.dim());
        self.conv1.backward_into(dconv_4d, &mut self.dx);
        Ok(loss)
    }

    /// The same gradients the slow way (the book's `numerical_gradient`): ch04's central
    /// differences (h = 1e-4) of the loss over every parameter, in the order `W1, b1, W2,
    /// b2, W3, b3`. Two forward passes per parameter: for small networks and checks only.
    pub fn numerical_gradient(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
    ) -> Result<Vec<(&'static str, ArrayD<A>)>, LossError> {
        // One checked evaluation: after it, every probe sees valid inputs.
        self.loss(x, t, Mode::Eval)?;
        let mut values: Vec<(&'static str, ArrayD<A>)> = Vec::new();
        self.for_each_param(&mut |p| values.push((p.name, p.value.to_owned())));
        let mut grads = Vec::with_capacity(values.len());
        for (index, (name, mut probe)) in values.into_iter().enumerate() {
            // numerical_gradient probes a copy; each probe is written into the network.
            let g = numerical_gradient(
                |w| {
                    self.set_param(index, w);
                    self.loss(x, t, Mode::Eval).expect("inputs checked above")
                },
                &mut probe,
            );
            self.set_param(index, &probe);
            grads.push((name, g));
        }
        Ok(grads)
    }

    fn set_param(&mut self, index: usize, value: &ndarray::ArrayRef<A, IxDyn>) {
        let mut i = 0;
        self.for_each_param(&mut |mut p| {
            if i == index {
                p.value.assign(value);
            }
            i += 1;
        });
    }

    /// Visits `W1, b1, W2, b2, W3, b3` (the book's `params` keys) with their gradients.
    pub fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        self.conv1
            .for_each_param(&mut |p| f(renamed(p, ["W1", "b1"])));
        self.affine1
            .for_each_param(&mut |p| f(renamed(p, ["W2", "b2"])));
        self.affine2
            .for_each_param(&mut |p| f(renamed(p, ["W3", "b3"])));
    }
}

/// A layer's `W`/`b` under the network's names.
fn renamed<'a, A>(p: ParamMut<'a, A>, names: [&'static str; 2]) -> ParamMut<'a, A> {
    let name = if p.name == "W" { names[0] } else { names[1] };
    ParamMut { name, ..p }
}

/// Saving or loading parameters failed: the file, or its contents, with what to do.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Format { path: String, why: String },
}

impl<A: Float> SimpleConvNet<A> {
    /// Writes `W1, b1, W2, b2, W3, b3` to `path` as float32 tensors in the safetensors format
    /// (the book's `save_params`, which pickles them). The file is written to a fresh
    /// temporary file next to it and renamed over it, so an old file is never left half written.
    pub fn save_params(&mut self, path: &Path) -> Result<(), ParamsError> {
        let io = |source| ParamsError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut tensors: Vec<(&'static str, Vec<usize>, Vec<u8>)> = Vec::new();
        self.for_each_param(&mut |p| {
            let bytes = p
                .value
                .iter()
                .flat_map(|v| (v.as_f64() as f32).to_le_bytes())
                .collect();
            tensors.push((p.name, p.value.shape().to_vec(), bytes));
        });
        let views = tensors.iter().map(|(name, shape, bytes)| {
            let view = TensorView::new(Dtype::F32, shape.clone(), bytes).expect("sizes agree");
            (name.to_string(), view)
        });
        let bytes = safetensors::serialize(views, None).map_err(|e| ParamsError::Format {
            path: path.display().to_string(),
            why: e.to_string(),
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.as_file().sync_all().map_err(io)?;
        file.persist(path).map_err(|e| io(e.error))?;
        Ok(())
    }

    /// Reads parameters written by [`SimpleConvNet::save_params`] (or any safetensors file
    /// with float32 tensors `W1 .. b3` of this network's shapes). Nothing changes unless every
    /// tensor is present with the right shape.
    pub fn load_params(&mut self, path: &Path) -> Result<(), ParamsError> {
        let bad = |why: String| ParamsError::Format {
            path: path.display().to_string(),
            why,
        };
        let bytes = std::fs::read(path).map_err(|source| ParamsError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let st = SafeTensors::deserialize(&bytes).map_err(|e| {
            bad(format!(
                "not a safetensors file ({e}); save the parameters again"
            ))
        })?;
        let mut shapes: Vec<(&'static str, Vec<usize>)> = Vec::new();
        self.for_each_param(&mut |p| shapes.push((p.name, p.value.shape().to_vec())));
        let mut values = Vec::new();
        for (name, shape) in &shapes {
            let view = st
                .tensor(name)
                .map_err(|_| bad(format!("has no tensor {name}; is it a SimpleConvNet's?")))?;
            if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
                return Err(bad(format!(
                    "tensor {name} is {:?} {:?}, this network needs F32 {shape:?} (same \
                     SimpleConvNetConfig as when saved)",
                    view.dtype(),
                    view.shape()
                )));
            }
            let v: Vec<A> = view
                .data()
                .chunks_exact(4)
                .map(|c| A::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
                .collect();
            values.push(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape checked"));
        }
        for (index, v) in values.iter().enumerate() {
            self.set_param(index, v);
        }
        Ok(())
    }
}

impl<A: Float> TrainableNet<A> for SimpleConvNet<A> {
    fn input_size(&self) -> usize {
        SimpleConvNet::input_size(self)
    }
    fn output_size(&self) -> usize {
        self.config.output_size
    }
    fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        SimpleConvNet::gradient(self, x, t)
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        SimpleConvNet::for_each_param(self, f)
    }
    fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>, mode: Mode) -> Result<A, LossError> {
        SimpleConvNet::loss(self, x, t, mode)
    }
    fn accuracy(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError> {
        self.accuracy_batched(x, t, ACCURACY_BATCH)
    }
}

/// (N, ...) row-major as (N, rest): free.
fn flat<A>(x: ArrayView4<'_, A>) -> ndarray::ArrayView2<'_, A> {
    let n = x.dim().0;
    let rest = x.len() / n.max(1);
    x.into_shape_with_order((n, rest)).expect("row-major")
}

/// (N, rest) row-major as `shape`: free.
fn unflat<A>(x: &Array2<A>, shape: (usize, usize, usize, usize)) -> ArrayView4<'_, A> {
    x.view().into_shape_with_order(shape).expect("row-major")
}
