//! The book's `Trainer` (`common/trainer.py`): mini-batch training with per-epoch accuracy.
//!
//! ```text
//! iter_per_epoch = max(train_size / mini_batch_size, 1)
//! max_iter       = epochs * iter_per_epoch
//! each iteration: draw mini_batch_size random rows (with replacement, np.random.choice),
//!                 gradient, optimizer update, record the loss (after the update, as the book)
//! every iter_per_epoch iterations (starting at iteration 0): record train and test accuracy
//! at the end: test accuracy on all test data
//! ```
//!
//! Two small departures from the book, both for usability: `iter_per_epoch` is a whole number
//! (the book's float makes `current_iter % iter_per_epoch == 0` skip epochs when the batch
//! does not divide the data), and instead of printing `train loss:` every iteration the
//! trainer redraws ONE progress line on a terminal (nothing per iteration in a log) and prints
//! the book's `=== epoch:... ===` lines.
//!
//! ```
//! use ch06_optimizers_init::multi_layer_net::NetConfig;
//! use ch06_optimizers_init::trainer::{Trainer, TrainerConfig, Verbosity};
//! use ndarray::{Array1, Array2};
//!
//! // Two blobs: class = whether x0 + x1 > 0.
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * 7 + j * 13) % 17) as f64 / 8.0 - 1.0);
//! let t: Array1<usize> = x.rows().into_iter().map(|r| (r[0] + r[1] > 0.0) as usize).collect();
//! let mut net = NetConfig::new(2, vec![16], 2).build::<f64>(1).unwrap();
//! let mut config = TrainerConfig::default();
//! config.epochs = 30;
//! config.mini_batch_size = 20;
//! config.optimizer = "adam".into();
//! config.lr = 0.01;
//! config.verbose = Verbosity::Silent;
//! let mut trainer = Trainer::new(&mut net, x.view(), t.view(), x.view(), t.view(), config).unwrap();
//! let test_acc = trainer.train().unwrap();
//! assert!(test_acc > 0.9, "{test_acc}");
//! assert_eq!(trainer.train_loss_list.len(), 300);
//! assert_eq!(trainer.test_acc_list.len(), 30);
//! ```

use crate::book;
use crate::multi_layer_net::MultiLayerNet;
use crate::optimizer::{Optimizer, OptimizerError, grad_sq_norm};
use ch03_activations::Float;
use ch04_loss_gradient::{Labels, LossError};
use ch05_backprop::{Mode, ParamMut, ensure_shape};
use ndarray::{Array1, ArrayRef2, ArrayView1, ArrayView2, s};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::{IsTerminal, Write};

/// How much the trainer prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing.
    Silent,
    /// The book's epoch lines and final accuracy, plus a progress line on a terminal.
    Progress,
}

/// The book's `Trainer` arguments, with its defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerConfig {
    /// `epochs=20`.
    pub epochs: usize,
    /// `mini_batch_size=100`.
    pub mini_batch_size: usize,
    /// `optimizer='SGD'`: a book optimizer name (`sgd`, `momentum`, `nesterov`, `adagrad`,
    /// `rmsprop`, `adam`).
    pub optimizer: String,
    /// `optimizer_param={'lr': 0.01}`.
    pub lr: f64,
    /// `evaluate_sample_num_per_epoch=None`: accuracy per epoch on the first N samples only.
    pub evaluate_sample_num_per_epoch: Option<usize>,
    /// `verbose=True`.
    pub verbose: Verbosity,
    /// Seeds the mini-batch draws.
    pub seed: u64,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        TrainerConfig {
            epochs: 20,
            mini_batch_size: 100,
            optimizer: "sgd".into(),
            lr: 0.01,
            evaluate_sample_num_per_epoch: None,
            verbose: Verbosity::Progress,
            seed: 0,
        }
    }
}

/// Bad training input: shapes, labels, settings.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    #[error("Trainer: {0}")]
    Data(String),
    #[error(transparent)]
    Optimizer(#[from] OptimizerError),
    #[error(transparent)]
    Loss(#[from] LossError),
}

/// What the trainer calls on a network: the methods the book's `Trainer` calls on
/// `MultiLayerNet`, `MultiLayerNetExtend` or chapter 7's `SimpleConvNet`. Inputs are rows
/// (N, input_size) (images flattened), labels class indices or one-hot.
pub trait TrainableNet<A: Float> {
    /// The width of one input row.
    fn input_size(&self) -> usize;
    /// The number of classes.
    fn output_size(&self) -> usize;
    /// Backprop: the loss (training mode) and every parameter's gradient.
    fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError>;
    /// Visits every parameter (value and gradient), always in the same order.
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>));
    /// The loss on a batch.
    fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>, mode: Mode) -> Result<A, LossError>;
    /// The fraction of rows classified as labelled (inference mode).
    fn accuracy(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError>;

    /// One optimizer step over every parameter (`optimizer.update(params, grads)`), with the
    /// gradients of the last [`TrainableNet::gradient`]. Allocates nothing.
    fn update(&mut self, optimizer: &mut dyn Optimizer<A>) {
        if optimizer.needs_global_norm() {
            let mut sum_sq = 0.0;
            self.for_each_param(&mut |p| sum_sq += grad_sq_norm(&p.grad));
            optimizer.set_global_norm(sum_sq.sqrt());
        }
        optimizer.begin_step();
        let mut index = 0;
        self.for_each_param(&mut |p| {
            optimizer.update_param(index, p);
            index += 1;
        });
    }
}

impl<A: Float> TrainableNet<A> for MultiLayerNet<A> {
    fn input_size(&self) -> usize {
        self.config().input_size
    }
    fn output_size(&self) -> usize {
        self.config().output_size
    }
    fn gradient(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<A, LossError> {
        MultiLayerNet::gradient(self, x, t)
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        MultiLayerNet::for_each_param(self, f)
    }
    fn loss(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>, mode: Mode) -> Result<A, LossError> {
        MultiLayerNet::loss(self, x, t, mode)
    }
    fn accuracy(&mut self, x: &ArrayRef2<A>, t: Labels<'_, A>) -> Result<f64, LossError> {
        MultiLayerNet::accuracy(self, x, t)
    }
}

/// Trains a network ([`MultiLayerNet`] unless said otherwise) on class-index labels; keeps
/// the book's three lists.
pub struct Trainer<'a, A: Float, N: TrainableNet<A> + ?Sized = MultiLayerNet<A>> {
    network: &'a mut N,
    x_train: ArrayView2<'a, A>,
    t_train: ArrayView1<'a, usize>,
    x_test: ArrayView2<'a, A>,
    t_test: ArrayView1<'a, usize>,
    config: TrainerConfig,
    optimizer: Box<dyn Optimizer<A>>,
    rng: StdRng,
    iter_per_epoch: usize,
    max_iter: usize,
    current_iter: usize,
    current_epoch: usize,
    x_batch: ndarray::Array2<A>,
    t_batch: Array1<usize>,
    /// The loss after each iteration.
    pub train_loss_list: Vec<f64>,
    /// Accuracy at the start of each epoch.
    pub train_acc_list: Vec<f64>,
    pub test_acc_list: Vec<f64>,
}

impl<'a, A: Float, N: TrainableNet<A> + ?Sized> Trainer<'a, A, N> {
    /// Checks the data (rows match labels, labels below the output size, widths match the
    /// network) and the settings, and builds the optimizer by name.
    pub fn new(
        network: &'a mut N,
        x_train: ArrayView2<'a, A>,
        t_train: ArrayView1<'a, usize>,
        x_test: ArrayView2<'a, A>,
        t_test: ArrayView1<'a, usize>,
        config: TrainerConfig,
    ) -> Result<Self, TrainError> {
        let input = network.input_size();
        let classes = network.output_size();
        for (what, x, t) in [("train", &x_train, &t_train), ("test", &x_test, &t_test)] {
            if x.nrows() == 0 {
                return Err(TrainError::Data(format!("the {what} data is empty")));
            }
            if x.nrows() != t.len() {
                return Err(TrainError::Data(format!(
                    "{} {what} samples but {} labels; give one label per sample",
                    x.nrows(),
                    t.len()
                )));
            }
            if x.ncols() != input {
                return Err(TrainError::Data(format!(
                    "{what} samples have {} features, the network takes {input}",
                    x.ncols()
                )));
            }
            if let Some((i, &k)) = t.iter().enumerate().find(|&(_, &k)| k >= classes) {
                return Err(TrainError::Data(format!(
                    "{what} label {k} (sample {i}) is not one of the network's {classes} classes"
                )));
            }
        }
        if config.epochs == 0 || config.mini_batch_size == 0 {
            return Err(TrainError::Data(format!(
                "epochs ({}) and mini_batch_size ({}) must be at least 1",
                config.epochs, config.mini_batch_size
            )));
        }
        let optimizer = book::optimizer_from_name(&config.optimizer, config.lr)?;
        let iter_per_epoch = (x_train.nrows() / config.mini_batch_size).max(1);
        Ok(Trainer {
            network,
            x_train,
            t_train,
            x_test,
            t_test,
            rng: StdRng::seed_from_u64(config.seed),
            iter_per_epoch,
            max_iter: config.epochs * iter_per_epoch,
            current_iter: 0,
            current_epoch: 0,
            x_batch: ndarray::Array2::zeros((0, 0)),
            t_batch: Array1::zeros(0),
            optimizer,
            config,
            train_loss_list: Vec::new(),
            train_acc_list: Vec::new(),
            test_acc_list: Vec::new(),
        })
    }

    /// Iterations per epoch and in total.
    pub fn iterations(&self) -> (usize, usize) {
        (self.iter_per_epoch, self.max_iter)
    }

    /// One iteration (the book's `train_step`).
    pub fn train_step(&mut self) -> Result<(), TrainError> {
        let n = self.config.mini_batch_size;
        let d = self.x_train.ncols();
        ensure_shape(&mut self.x_batch, (n, d));
        if self.t_batch.len() != n {
            self.t_batch = Array1::zeros(n);
        }
        // batch_mask = np.random.choice(train_size, batch_size)
        for r in 0..n {
            let i = self.rng.random_range(0..self.x_train.nrows());
            self.x_batch.row_mut(r).assign(&self.x_train.row(i));
            self.t_batch[r] = self.t_train[i];
        }
        let labels = Labels::Sparse(self.t_batch.view());
        self.network.gradient(&self.x_batch, labels)?;
        self.network.update(self.optimizer.as_mut());
        let loss = self
            .network
            .loss(&self.x_batch, labels, Mode::Eval)?
            .as_f64();
        self.train_loss_list.push(loss);
        let verbose = self.config.verbose == Verbosity::Progress;
        if verbose && std::io::stdout().is_terminal() {
            print!(
                "\riter {:>6}/{} (epoch {}) - train loss: {loss:.4}   ",
                self.current_iter + 1,
                self.max_iter,
                self.current_epoch
            );
            let _ = std::io::stdout().flush();
        }
        if self.current_iter.is_multiple_of(self.iter_per_epoch) {
            self.current_epoch += 1;
            let k = self.config.evaluate_sample_num_per_epoch;
            let cut = |x: ArrayView2<'a, A>, t: ArrayView1<'a, usize>| match k {
                Some(k) => {
                    let k = k.min(x.nrows()).max(1);
                    (x.slice_move(s![..k, ..]), t.slice_move(s![..k]))
                }
                None => (x, t),
            };
            let (xs, ts) = cut(self.x_train, self.t_train);
            let train_acc = self.network.accuracy(&xs, Labels::Sparse(ts))?;
            let (xs, ts) = cut(self.x_test, self.t_test);
            let test_acc = self.network.accuracy(&xs, Labels::Sparse(ts))?;
            self.train_acc_list.push(train_acc);
            self.test_acc_list.push(test_acc);
            if verbose {
                if std::io::stdout().is_terminal() {
                    print!("\r{:70}\r", "");
                }
                println!(
                    "=== epoch:{}, train acc:{train_acc:.4}, test acc:{test_acc:.4}, train loss:{loss:.4} ===",
                    self.current_epoch
                );
            }
        }
        self.current_iter += 1;
        Ok(())
    }

    /// All iterations, then the test accuracy on all test data (returned).
    pub fn train(&mut self) -> Result<f64, TrainError> {
        for _ in 0..self.max_iter {
            self.train_step()?;
        }
        let test_acc = self
            .network
            .accuracy(&self.x_test, Labels::Sparse(self.t_test))?;
        if self.config.verbose == Verbosity::Progress {
            println!("=============== Final Test Accuracy ===============");
            println!("test acc:{test_acc:.4}");
        }
        Ok(test_acc)
    }
}
