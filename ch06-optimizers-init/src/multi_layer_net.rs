//! `MultiLayerNet` and `MultiLayerNetExtend` (the book's `common/multi_layer_net.py` and
//! `common/multi_layer_net_extend.py`): a fully connected network of any depth, with the
//! chapter's techniques switchable.
//!
//! Layers, for each hidden size `h_i` and then the output:
//!
//! ```text
//! Affine_i (W_i: (n_{i-1}, h_i), b_i: (h_i,)) -> [BatchNorm_i] -> Activation_i -> [Dropout_i]
//! ...
//! Affine_L -> SoftmaxWithLoss
//! ```
//!
//! `W_i = scale * randn(n_{i-1}, h_i)` with the book's `weight_init_std`
//! ([`WeightInitStd`]), biases 0, BatchNorm's gamma 1 and beta 0. Weight decay (section 6.4.2)
//! adds `0.5 * lambda * sum_i sum(W_i^2)` to the loss and `lambda * W_i` to each `dW_i`.
//!
//! The bracketed layers are `MultiLayerNetExtend`'s; [`MultiLayerNetExtend`] is the same type
//! (a `MultiLayerNet` with `use_dropout` / `use_batchnorm` set), as the two book classes
//! share everything else.
//!
//! ```
//! use ch06_optimizers_init::multi_layer_net::{MultiLayerNet, NetConfig};
//! use ch06_optimizers_init::keras::SGD;
//! use ch04_loss_gradient::Labels;
//! use ch05_backprop::Mode;
//! use ndarray::array;
//!
//! let mut net = NetConfig::new(2, vec![8], 2).build::<f64>(0).unwrap();
//! let x = array![[1.0, 0.0], [0.0, 1.0]];
//! let t = array![0usize, 1];
//! let mut opt = SGD::new(0.1, 0.0, false).unwrap();
//! let first = net.gradient(&x, Labels::Sparse(t.view())).unwrap();
//! for _ in 0..100 {
//!     net.gradient(&x, Labels::Sparse(t.view())).unwrap();
//!     net.update(&mut opt);
//! }
//! let last = net.loss(&x, Labels::Sparse(t.view()), Mode::Eval).unwrap();
//! assert!(last < first);
//! assert_eq!(net.accuracy(&x, Labels::Sparse(t.view())).unwrap(), 1.0);
//! ```

use crate::batch_norm::BatchNormalization;
use crate::dropout::{Dropout, DropoutForm};
use crate::optimizer::{Optimizer, grad_sq_norm};
use crate::trainer::TrainableNet;
use crate::weight_init::WeightInitStd;
use ch03_activations::keras::Activation;
use ch03_activations::{Float, argmax};
use ch04_loss_gradient::{Labels, LossError, numerical_gradient};
use ch05_backprop::{
    ActivationLayer, Affine, Layer, Mode, ParamMut, Relu, Sigmoid, SoftmaxWithLoss,
};
use ndarray::{Array1, Array2, ArrayD, ArrayRef, ArrayRef2, IxDyn, Zip};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// `MultiLayerNetExtend` is a [`MultiLayerNet`] with dropout and/or batch normalization on.
pub type MultiLayerNetExtend<A> = MultiLayerNet<A>;

/// An invalid network configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("MultiLayerNet: {0}")]
pub struct NetError(pub String);

/// The constructor arguments of the book's two classes, with the book's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NetConfig {
    /// Inputs per sample (784 for MNIST).
    pub input_size: usize,
    /// Units of each hidden layer (`[100, 100, 100]`).
    pub hidden_size_list: Vec<usize>,
    /// Classes (10).
    pub output_size: usize,
    /// `'relu'` (default) or `'sigmoid'` in the book; any ch03 activation works.
    pub activation: Activation,
    /// `'relu'` (default): He; `'sigmoid'`: Xavier; or a number.
    pub weight_init_std: WeightInitStd,
    /// `weight_decay_lambda` (default 0).
    pub weight_decay_lambda: f64,
    /// `use_dropout` (default false) and `dropout_ration` (default 0.5; the book's spelling).
    pub use_dropout: bool,
    pub dropout_ratio: f64,
    /// The dropout form: the book's (default) or Keras' inverted one.
    pub dropout_form: DropoutForm,
    /// `use_batchnorm` (default false); the layers use the book's defaults.
    pub use_batchnorm: bool,
}

impl NetConfig {
    /// `MultiLayerNet(input_size, hidden_size_list, output_size)` with the book's defaults.
    pub fn new(input_size: usize, hidden_size_list: Vec<usize>, output_size: usize) -> Self {
        NetConfig {
            input_size,
            hidden_size_list,
            output_size,
            activation: Activation::Relu {
                alpha: 0.0,
                max_value: None,
                threshold: 0.0,
            },
            weight_init_std: WeightInitStd::He,
            weight_decay_lambda: 0.0,
            use_dropout: false,
            dropout_ratio: 0.5,
            dropout_form: DropoutForm::Book,
            use_batchnorm: false,
        }
    }

    /// Builds the network; weights (and dropout masks) drawn from generators seeded by `seed`.
    pub fn build<A: Float>(&self, seed: u64) -> Result<MultiLayerNet<A>, NetError> {
        MultiLayerNet::from_config(self.clone(), seed)
    }
}

/// One layer of the stack (an enum rather than `Box<dyn Layer>` so that weight decay can find
/// the `Affine` layers).
#[allow(clippy::large_enum_variant)] // a handful per network: size does not matter
enum Block<A> {
    Affine(Affine<A>),
    BatchNorm(BatchNormalization<A>),
    Activation(Box<dyn Layer<A> + Send>),
    Dropout(Dropout<A>),
}

impl<A: Float> Block<A> {
    fn layer(&mut self) -> &mut dyn Layer<A> {
        match self {
            Block::Affine(l) => l,
            Block::BatchNorm(l) => l,
            Block::Activation(l) => l.as_mut(),
            Block::Dropout(l) => l,
        }
    }
}

/// A fully connected network trained by backprop (see the module docs).
pub struct MultiLayerNet<A> {
    config: NetConfig,
    blocks: Vec<Block<A>>,
    last_layer: SoftmaxWithLoss<A>,
    /// `outs[i]` is block i's output of the last forward.
    outs: Vec<Array2<A>>,
    /// `dlogits` is dL/d(scores); `dxs[i]` is dL/d(input of block i). One buffer per block,
    /// so that every buffer keeps its shape from step to step (no reallocation).
    dlogits: Array2<A>,
    dxs: Vec<Array2<A>>,
}

impl<A: Float> MultiLayerNet<A> {
    /// The book's `MultiLayerNet(input_size, hidden_size_list, output_size, activation,
    /// weight_init_std, weight_decay_lambda)`.
    pub fn new(
        input_size: usize,
        hidden_size_list: Vec<usize>,
        output_size: usize,
        activation: Activation,
        weight_init_std: WeightInitStd,
        weight_decay_lambda: f64,
        seed: u64,
    ) -> Result<Self, NetError> {
        let mut config = NetConfig::new(input_size, hidden_size_list, output_size);
        config.activation = activation;
        config.weight_init_std = weight_init_std;
        config.weight_decay_lambda = weight_decay_lambda;
        Self::from_config(config, seed)
    }

    /// Builds from a checked configuration: sizes > 0, `weight_decay_lambda >= 0`,
    /// `dropout_ratio` in `[0, 1)`.
    pub fn from_config(config: NetConfig, seed: u64) -> Result<Self, NetError> {
        let sizes: Vec<usize> = std::iter::once(config.input_size)
            .chain(config.hidden_size_list.iter().copied())
            .chain(std::iter::once(config.output_size))
            .collect();
        if let Some(i) = sizes.iter().position(|&s| s == 0) {
            return Err(NetError(format!(
                "layer size {i} is 0 (sizes {sizes:?}); every layer needs at least one unit"
            )));
        }
        let lambda = config.weight_decay_lambda;
        if !(lambda.is_finite() && lambda >= 0.0) {
            return Err(NetError(format!(
                "weight_decay_lambda = {lambda} is invalid; it must be >= 0"
            )));
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let mut blocks = Vec::new();
        let hidden = config.hidden_size_list.len();
        for i in 1..sizes.len() {
            let w = config
                .weight_init_std
                .weights::<A, _>(sizes[i - 1], sizes[i], &mut rng);
            let mut affine = Affine::new(w, Array1::zeros(sizes[i])).expect("bias sized from W");
            if i == 1 {
                // Nobody needs dL/dx of the input: skip that matrix product.
                affine.set_needs_input_grad(false);
            }
            blocks.push(Block::Affine(affine));
            if i <= hidden {
                if config.use_batchnorm {
                    blocks.push(Block::BatchNorm(BatchNormalization::book(sizes[i])));
                }
                blocks.push(Block::Activation(activation_layer(config.activation)));
                if config.use_dropout {
                    let d = Dropout::new(
                        config.dropout_ratio,
                        config.dropout_form,
                        seed.wrapping_add(i as u64),
                    )
                    .map_err(|e| NetError(e.to_string()))?;
                    blocks.push(Block::Dropout(d));
                }
            }
        }
        let outs = (0..blocks.len()).map(|_| Array2::zeros((0, 0))).collect();
        let dxs = (0..blocks.len()).map(|_| Array2::zeros((0, 0))).collect();
        Ok(MultiLayerNet {
            config,
            blocks,
            last_layer: SoftmaxWithLoss::new(),
            outs,
            dlogits: Array2::zeros((0, 0)),
            dxs,
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// The scores (logits) of the last layer, (N, input_size) -> (N, output_size).
    ///
    /// `Mode::Train` drops units and uses batch statistics; `Mode::Eval` does not.
    ///
    /// # Panics
    /// If `x` does not have `input_size` columns (use [`MultiLayerNet::check_input`] at the
    /// boundary to get an error instead).
    pub fn predict(&mut self, x: &ArrayRef2<A>, mode: Mode) -> &Array2<A> {
        for i in 0..self.blocks.len() {
            let (before, after) = self.outs.split_at_mut(i);
            let input: &ArrayRef2<A> = if i == 0 { x } else { &before[i - 1] };
            self.blocks[i]
                .layer()
                .forward_into(input, mode, &mut after[0]);
        }
        self.outs.last().expect("at least one Affine layer")
    }

    /// An error unless `x` has `input_size` columns and at least one row.
    pub fn check_input(&self, x: &ArrayRef2<A>) -> Result<(), LossError> {
        if x.ncols() != self.config.input_size || x.nrows() == 0 {
            return Err(LossError::Shape(format!(
                "MultiLayerNet: input of shape {:?}, expected (N >= 1, {})",
                x.dim(),
                self.config.input_size
            )));
        }
        Ok(())
    }

    /// `0.5 * lambda * sum_i sum(W_i^2)`.
    pub fn weight_decay_loss(&self) -> f64 {
        let lambda = self.config.weight_decay_lambda;
        if lambda == 0.0 {
            return 0.0;
        }
        let sum_sq: f64 = self
            .blocks
            .iter()
            .map(|b| match b {
                Block::Affine(a) => grad_sq_norm(&a.w),
                _ => 0.0,
            })
            .sum();
        0.5 * lambda * sum_sq
    }

    /// The loss: cross-entropy of softmax(predict(x)) against `t`, plus weight decay.
    pub fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>, mode: Mode) -> Result<A, LossError> {
        self.check_input(x)?;
        self.predict(x, mode);
        let logits = self.outs.last().expect("at least one layer");
        let data_loss = self.last_layer.forward(logits, t)?;
        Ok(data_loss + A::of(self.weight_decay_loss()))
    }

    /// The fraction of rows whose largest score is at the label (`Mode::Eval`).
    pub fn accuracy(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError> {
        self.check_input(x)?;
        let n = x.nrows();
        let y = self.predict(x, Mode::Eval);
        let correct = match t {
            Labels::Sparse(t) => {
                if t.len() != n {
                    return Err(LossError::Shape(format!(
                        "accuracy: {} labels for {n} samples",
                        t.len()
                    )));
                }
                y.rows()
                    .into_iter()
                    .zip(t.iter())
                    .filter(|(row, t)| argmax(row.iter()) == **t)
                    .count()
            }
            Labels::Dense(t) => {
                if t.dim() != y.dim() {
                    return Err(LossError::Shape(format!(
                        "accuracy: one-hot labels of shape {:?} for scores {:?}",
                        t.dim(),
                        y.dim()
                    )));
                }
                y.rows()
                    .into_iter()
                    .zip(t.rows())
                    .filter(|(row, t)| argmax(row.iter()) == argmax(t.iter()))
                    .count()
            }
        };
        Ok(correct as f64 / n as f64)
    }

    /// Backprop: the loss (training mode) and every parameter's gradient, `dW_i` including
    /// weight decay's `lambda * W_i`. Returns the loss.
    pub fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        let loss = self.loss(x, t, Mode::Train)?;
        // dout = self.last_layer.backward(1)
        self.last_layer.backward_into(&mut self.dlogits);
        for i in (0..self.blocks.len()).rev() {
            let (dx, after) = self.dxs.split_at_mut(i + 1);
            let dout: &ArrayRef2<A> = after.first().unwrap_or(&self.dlogits);
            self.blocks[i].layer().backward_into(dout, &mut dx[i]);
        }
        let lambda = A::of(self.config.weight_decay_lambda);
        if lambda > A::zero() {
            for block in &mut self.blocks {
                if let Block::Affine(a) = block {
                    // grads['W'] = dW + lambda * W
                    Zip::from(&mut a.dw)
                        .and(&a.w)
                        .for_each(|g, &w| *g = *g + lambda * w);
                }
            }
        }
        Ok(loss)
    }

    /// Visits every parameter in the book's order: `W1, b1, [gamma1, beta1], W2, ...`.
    pub fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        for block in &mut self.blocks {
            block.layer().for_each_param(f);
        }
    }

    /// One optimizer step over every parameter (`optimizer.update(params, grads)`), with the
    /// gradients of the last [`MultiLayerNet::gradient`]. Allocates nothing.
    pub fn update(&mut self, optimizer: &mut dyn Optimizer<A>) {
        TrainableNet::update(self, optimizer)
    }

    /// The book's names of the parameters, in [`MultiLayerNet::for_each_param`] order:
    /// `W1, b1, [gamma1, beta1], W2, b2, ...` (the keys of the book's `params` dict).
    pub fn param_names(&mut self) -> Vec<String> {
        let (mut names, mut layer) = (Vec::new(), 0);
        self.for_each_param(&mut |p| {
            if p.name == "W" {
                layer += 1;
            }
            names.push(format!("{}{layer}", p.name));
        });
        names
    }

    /// The gradients the last [`MultiLayerNet::gradient`] left, by the book's names
    /// ([`MultiLayerNet::param_names`]): the book's `grads` dict.
    pub fn grads(&mut self) -> Vec<(String, ArrayD<A>)> {
        let mut grads = Vec::new();
        self.for_each_param(&mut |p| grads.push(p.grad.to_owned()));
        self.param_names().into_iter().zip(grads).collect()
    }

    /// The book's `numerical_gradient(x, t)` of both classes: dL/dp for every parameter by
    /// ch04's central differences (h = 1e-4) of `loss(x, t, Mode::Train)` (the book's
    /// `train_flg=True`), by the book's names. `2 * param_count()` forward passes; with
    /// dropout on, each pass draws new masks (as in the book), which makes the result noise.
    pub fn numerical_gradient(
        &mut self,
        x: &ArrayRef2<A>,
        t: Labels<'_, A>,
    ) -> Result<Vec<(String, ArrayD<A>)>, LossError> {
        self.loss(x, t, Mode::Train)?; // checks the shapes once for every probe below
        let names = self.param_names();
        let mut grads = Vec::with_capacity(names.len());
        for (index, name) in names.into_iter().enumerate() {
            let mut w = self.param(index);
            let grad = numerical_gradient(
                |w: &ArrayRef<A, IxDyn>| {
                    self.set_param(index, w);
                    self.loss(x, t, Mode::Train).expect("shapes checked above")
                },
                &mut w,
            );
            self.set_param(index, &w); // the exact old values
            grads.push((name, grad));
        }
        Ok(grads)
    }

    /// A copy of parameter number `index` (in `for_each_param` order).
    fn param(&mut self, index: usize) -> ArrayD<A> {
        let (mut i, mut value) = (0, ArrayD::zeros(IxDyn(&[0])));
        self.for_each_param(&mut |p| {
            if i == index {
                value = p.value.to_owned();
            }
            i += 1;
        });
        value
    }

    /// Overwrites parameter number `index` with `w` (of its shape).
    fn set_param(&mut self, index: usize, w: &ArrayRef<A, IxDyn>) {
        let mut i = 0;
        self.for_each_param(&mut |mut p| {
            if i == index {
                p.value.assign(w);
            }
            i += 1;
        });
    }

    /// The weight matrices `W_1 ... W_L` (for histograms and weight-decay checks).
    pub fn weights(&self) -> Vec<&Array2<A>> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Affine(a) => Some(&a.w),
                _ => None,
            })
            .collect()
    }

    /// The number of trainable scalars.
    pub fn param_count(&mut self) -> usize {
        let mut n = 0;
        self.for_each_param(&mut |p| n += p.value.len());
        n
    }
}

impl<A: Float> std::fmt::Debug for MultiLayerNet<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let layers: Vec<&str> = self
            .blocks
            .iter()
            .map(|b| match b {
                Block::Affine(_) => "Affine",
                Block::BatchNorm(_) => "BatchNorm",
                Block::Activation(_) => "Activation",
                Block::Dropout(_) => "Dropout",
            })
            .collect();
        f.debug_struct("MultiLayerNet")
            .field("config", &self.config)
            .field("layers", &layers)
            .finish()
    }
}

/// The book's `Relu` and `Sigmoid` layers for those two, ch05's `ActivationLayer` otherwise.
fn activation_layer<A: Float>(activation: Activation) -> Box<dyn Layer<A> + Send> {
    match activation {
        Activation::Relu {
            alpha,
            max_value: None,
            threshold,
        } if alpha == 0.0 && threshold == 0.0 => Box::new(Relu::new()),
        Activation::Sigmoid => Box::new(Sigmoid::new()),
        other => Box::new(ActivationLayer::new(other)),
    }
}
