//! # Chapter 3: neural networks and their activation functions
//!
//! Chapter 3 of 「ゼロから作るDeep Learning」 (Deep Learning from Scratch) turns the perceptron
//! of chapter 2 into a neural network. A layer computes `a = x W + b` and passes it through an
//! *activation function* `h`; stacking layers gives the forward pass `y = h3(h2(h1(x W1 + b1)
//! W2 + b2) W3 + b3)`. The chapter teaches:
//!
//! - why the perceptron's **step function** gives way to the smooth **sigmoid** (a network
//!   learns by gradients, and the step function's gradient is zero everywhere), and **ReLU**;
//! - that the activation must be *non-linear*: a stack of linear layers is one linear layer;
//! - the forward pass as matrix products (3.3-3.4), on a 3-layer network with fixed weights;
//! - the output layer: **identity** for regression, **softmax** for classification, and the
//!   max shift that keeps softmax from overflowing (3.5);
//! - inference with weights learned elsewhere, one image at a time and in batches (3.6).
//!
//! The crate has two parts. **The book** comes first: the modules of the table below, with
//! the book's names and formulas, each on one small kernel that the whole workspace runs
//! (the sigmoid, ReLU, softmax / log-sum-exp and argmax of `keras-lite` are these very
//! functions). **The Keras catalog**, fenced off in [`keras`], holds every activation Keras 2
//! names with its derivative, checked against TensorFlow; a student may skip it.
//!
//! ## The book: sections -> modules
//!
//! | book | what | here | kernel (one number or one row) |
//! |---|---|---|---|
//! | 3.2.2-3.2.3 | step function | [`step_function`](mod@step_function) | |
//! | 3.2.4-3.2.6 | sigmoid (and its derivative, used from 5.5.2) | [`sigmoid`](mod@sigmoid) | [`sigmoid::sigmoid_scalar`], [`sigmoid::sigmoid_grad_from_y`] |
//! | 3.2.7 | ReLU (and its derivative, used from 5.5.1) | [`relu`](mod@relu) | [`relu::relu_scalar`], [`relu::relu_grad_scalar`] |
//! | 3.3 | multi-dimensional arrays, the matrix product `np.dot` | ndarray (`dot`; the table below) | |
//! | 3.4.2 | the identity function (the output of 3.4's network) | [`identity`] | |
//! | 3.4, 3.4.3 | the 3-layer forward pass, `init_network`, `forward` | [`neuralnet`] | |
//! | 3.5.1-3.5.3 | softmax, max-shifted, per row | [`softmax`](mod@softmax) | [`softmax::softmax_row_into`], [`softmax::shifted_log_sum_exp`], [`softmax::row_max`] |
//! | 3.6 | inference with learned weights, one image and batches of 100 | [`neuralnet_mnist`] | |
//! | 3.6.2 | `np.argmax`, the predicted class | [`argmax`](mod@argmax) | [`argmax()`] |
//! | (all) | the f32/f64 scalar | [`Float`] | |
//!
//! ## The Keras catalog (may be skipped)
//!
//! | what | here |
//! |---|---|
//! | every Keras 2 activation and its derivative, by name (16 of them) | [`keras::Activation`] in [`keras::activation`] |
//!
//! The examples are the book's scripts: `step_function`, `sigmoid`, `relu`,
//! `sig_step_compare` (figures 3-6 to 3-9), `neuralnet` (3.4), `mnist_show`,
//! `neuralnet_mnist` and `neuralnet_mnist_batch` (3.6, on Fashion-MNIST) and
//! `activations_gallery` (every Keras activation and its derivative on one sheet). Those that draw take
//! `--out DIR` (default `figures/`) and print each path they write.
//!
//! ## A first run
//!
//! ```
//! use ch03_activations::keras::Activation;
//! use ch03_activations::{relu, sigmoid, softmax, step_function};
//! use ch03_activations::neuralnet::{forward, init_network};
//! use ndarray::array;
//!
//! let x = array![-1.0f64, 1.0, 2.0];
//! assert_eq!(step_function(&x), array![0.0, 1.0, 1.0]);
//! assert_eq!(relu(&x), array![0.0, 1.0, 2.0]);
//! assert!((sigmoid(&x)[0] - 0.26894142).abs() < 1e-8);
//!
//! // 3.4: the book prints [ 0.31682708  0.69627909]
//! let y = forward(&init_network::<f64>(), &array![1.0, 0.5]);
//! assert!((y[0] - 0.31682708).abs() < 1e-8 && (y[1] - 0.69627909).abs() < 1e-8);
//!
//! // 3.5: a probability distribution, even for inputs that would overflow exp()
//! let p = softmax(&array![1010.0f64, 1000.0, 990.0]);
//! assert!((p.sum() - 1.0).abs() < 1e-12);
//!
//! // The Keras names, for a batch of shape (N, D), f32 as Keras trains
//! let tanh: Activation = "tanh".parse().unwrap();
//! let batch = array![[0.0f32, 1.0], [-1.0, 2.0]];
//! let out = tanh.forward(&batch);
//! assert_eq!(out[[0, 0]], 0.0);
//! assert!("ReLU".parse::<Activation>().is_err()); // names are Keras' own, lower case
//! ```
//!
//! ## NumPy in the book -> ndarray here
//!
//! | NumPy (book) | ndarray (this crate) |
//! |---|---|
//! | `np.array([1.0, 0.5])` | `array![1.0, 0.5]` |
//! | `np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]])` | `array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]` |
//! | `np.arange(-5.0, 5.0, 0.1)` | `Array1::range(-5.0, 5.0, 0.1)` |
//! | `x > 0` then `.astype(np.int)` | `x.mapv(\|v\| if v > 0.0 { 1.0 } else { 0.0 })` |
//! | `1 / (1 + np.exp(-x))` | `x.mapv(\|v\| 1.0 / (1.0 + (-v).exp()))` |
//! | `np.maximum(0, x)` | `x.mapv(\|v\| v.max(0.0))` |
//! | `np.dot(X, W1) + B1` | `x.dot(&w1) + &b1` (`+` borrows to broadcast) |
//! | `np.exp(a - np.max(a))` | `a.mapv(\|v\| (v - max).exp())` with `max` from a fold |
//! | `np.sum(exp_a)` | `exp_a.sum()` |
//! | `x.shape`, `np.ndim(x)` | `x.shape()`, `x.ndim()` |
//! | `network['W1']` (a dict) | `network.w1` (a struct field, [`neuralnet::Network`]) |
//! | row-wise over a batch (`axis=1`) | `y.rows_mut()` or `lanes_mut(Axis(last))` |
//! | in-place `y[...] = f(x)` | `Zip::from(&mut y).and(&x).for_each(\|y, &x\| *y = f(x))` |
//!
//! Functions take `&ArrayRef<A, D>`, so arrays, views and slices all fit, and are generic
//! over [`Float`] (`A::of(0.5)` writes a constant) so the same formula runs in f64 for
//! gradient checks and in f32 for training.

pub mod argmax;
mod float;
pub mod identity;
pub mod neuralnet;
pub mod neuralnet_mnist;
pub mod relu;
pub mod sigmoid;
pub mod softmax;
pub mod step_function;

// The Keras catalog, fenced off from the book.
pub mod keras;

pub use argmax::argmax;
pub use float::Float;
pub use identity::identity_function;
pub use relu::{relu, relu_grad};
pub use sigmoid::{sigmoid, sigmoid_grad};
pub use softmax::softmax;
pub use step_function::step_function;
