//! # Chapter 5: backpropagation
//!
//! Chapter 4 of 「ゼロから作るDeep Learning」 (Deep Learning from Scratch) found the gradient of
//! the loss numerically: two forward passes per parameter, 79,520 passes a step for a 784-50-10
//! network. Chapter 5 gets the same gradient for the price of about one more forward pass, by
//! **backpropagation**: the chain rule applied node by node to the computational graph.
//!
//! - A computational graph (5.1-5.2) breaks a calculation into nodes. Going forward computes
//!   the result; going backward from `dL/dL = 1`, each node multiplies what arrives by its own
//!   local derivative and passes it on (the chain rule).
//! - A **layer** (5.3-5.6) is a node that does this for arrays: `forward(x)` and
//!   `backward(dout) -> dx`, plus the gradients of its own parameters.
//! - Softmax and cross-entropy together (5.6.3) have the simplest backward of all:
//!   `(y - t) / N`.
//! - A network (5.7) is its layers called forward in order and backward in reverse; the
//!   numerical gradient of chapter 4 becomes the **gradient check** that proves backprop right.
//!
//! ## The lesson: forward keeps what backward needs
//!
//! A local derivative usually depends on the node's inputs or outputs, which are gone by the
//! time the gradient comes back. So every layer's `forward` keeps exactly what its `backward`
//! will need, and that is why a layer is an object and not a function:
//!
//! | layer | forward computes | forward keeps | backward computes from it |
//! |---|---|---|---|
//! | [`MulLayer`] | `x * y` | `x`, `y` | `dx = dout * y`, `dy = dout * x` |
//! | [`AddLayer`] | `x + y` | nothing | `dx = dy = dout` |
//! | [`Relu`] | `max(x, 0)` | `mask = (x <= 0)` | `dx = dout` where not `mask`, else 0 |
//! | [`Sigmoid`] | `y = 1 / (1 + exp(-x))` | `y` | `dx = dout * (1 - y) * y` |
//! | [`ActivationLayer`] | `y = f(x)` (any Keras activation) | `x`, `y` | `dx = f'(x) * dout` (softmax: `y * (dout - sum(dout * y))`) |
//! | [`Affine`] | `x W + b` | `x` | `dW = x^T dout`, `db = sum_n dout`, `dx = dout W^T` |
//! | [`SoftmaxWithLoss`] | `y = softmax(z)`, `L = -sum t log y / N` | `y`, `t` | `dz = (y - t) / N` |
//!
//! Each struct shows its cache as a private field with the same name as in the book, and
//! `Mode::Eval` (inference, no backward to come) keeps nothing at all.
//!
//! ## Book sections -> modules
//!
//! | book | what | here |
//! |---|---|---|
//! | 5.1-5.4 | computational graph, chain rule, the apple example | [`graph`] ([`MulLayer`], [`AddLayer`]) |
//! | 5.5 | activation layers: ReLU, Sigmoid | [`activation_layers`] ([`Relu`], [`Sigmoid`]) |
//! | (Keras) | every ch03 activation as a layer | [`ActivationLayer`] |
//! | 5.6.1-5.6.2 | Affine (matrix product and bias), batched | [`affine`] ([`Affine`]) |
//! | 5.6.3 | Softmax-with-Loss (and `common/functions.py`'s `softmax_loss`) | [`softmax_with_loss`] ([`SoftmaxWithLoss`], [`softmax_loss`](softmax_with_loss::softmax_loss)) |
//! | 5.7.1-5.7.2 | `TwoLayerNet` from layers | [`two_layer_net`] ([`TwoLayerNet`]) |
//! | 5.7.3 | gradient check | [`gradient_check`] |
//! | 5.7.4 | training by backprop | the `ch05_train_neuralnet` example (`ch05/train_neuralnet.py`) |
//! | (all) | the `Layer` trait every layer implements | [`layer`] ([`Layer`], [`Mode`], [`ParamMut`]) |
//!
//! The layers compute with the book's kernels of chapters 3 and 4: `Relu` and `Sigmoid` with
//! ch03's `relu_scalar` / `sigmoid_scalar`, `SoftmaxWithLoss` with ch03's `softmax_row_into`
//! and ch04's `cross_entropy_logits_row`, the very code `keras-lite` trains with.
//!
//! Beside the book, fenced off:
//!
//! | part | what | here |
//! |---|---|---|
//! | Keras catalog (may be skipped) | every Keras activation of ch03 as a layer | [`ActivationLayer`] |
//! | Keras catalog (may be skipped) | the gradient of every ch04 Keras loss w.r.t. the prediction | [`keras::loss_gradient`](mod@keras::loss_gradient) |
//! | speed code | `np.dot` on two cores when it pays: the product `Affine` uses | not here: the two-core split lives in the `speed` crate (`speed::matmul::matmul_into`, `speed::parallel::join`); the book needs none of it |
//!
//! Examples, named after the book's scripts: `buy_apple`, `buy_apple_orange` (5.4),
//! `gradient_check` (5.7.3) and `ch05_train_neuralnet` (5.7.4, `--out DIR` for its figures), the
//! last two on Fashion-MNIST. `cargo test -p ch05-backprop` runs the book's apple numbers and
//! property tests that put every layer, every activation layer, every loss gradient and the
//! whole `TwoLayerNet` through the gradient check (relative error below 1e-6 in f64), and
//! shows that the check rejects a deliberately wrong backward.
//!
//! ## Backpropagation by hand
//!
//! ```
//! use ch04_loss_gradient::Labels;
//! use ch05_backprop::gradient_check::{LayerObjective, check};
//! use ch05_backprop::{Affine, Layer, Mode, Relu, SoftmaxWithLoss};
//! use ndarray::array;
//!
//! let mut affine1 = Affine::new(array![[0.2, -0.5, 0.1], [0.4, 0.3, -0.2]], array![0.1, 0.0, -0.1])?;
//! let mut relu1 = Relu::new();
//! let mut affine2 = Affine::new(array![[0.3, -0.1], [0.2, 0.5], [-0.4, 0.1]], array![0.0, 0.1])?;
//! let mut last_layer = SoftmaxWithLoss::new();
//!
//! let x = array![[1.0, 0.5], [-0.3, 0.8]];
//! let t = array![1usize, 0];
//!
//! // forward: each layer keeps what its backward needs
//! let a1 = affine1.forward(&x, Mode::Train);      // keeps x
//! let z1 = relu1.forward(&a1, Mode::Train);       // keeps the mask a1 <= 0
//! let scores = affine2.forward(&z1, Mode::Train); // keeps z1
//! let loss = last_layer.forward(&scores, Labels::Sparse(t.view()))?; // keeps y and t
//! assert!(loss > 0.0);
//!
//! // backward: the same layers in reverse order
//! let dscores = last_layer.backward();            // (y - t) / N
//! let dz1 = affine2.backward(&dscores);           // fills affine2.dw, affine2.db
//! let da1 = relu1.backward(&dz1);
//! let _dx = affine1.backward(&da1);               // fills affine1.dw, affine1.db
//! assert_eq!(affine1.dw.dim(), (2, 3));           // one gradient per weight
//!
//! // and the gradient check: any layer against central differences, in f64
//! let dout = array![[1.0, -2.0], [0.5, 0.25]];
//! let report = check(&mut LayerObjective::new(affine2, z1, dout));
//! assert!(report.worst() < 1e-6, "{report}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## NumPy in the book -> ndarray here
//!
//! | NumPy (book) | ndarray (this crate) |
//! |---|---|
//! | `np.dot(x, self.W) + self.b` | `out.assign(&b)`, then `general_mat_mul(1.0, x, &w, 1.0, &mut out)` (no allocation) |
//! | `self.dW = np.dot(self.x.T, dout)` | `general_mat_mul(1.0, &x.t(), dout, 0.0, &mut dw)` (`.t()` is a view, no copy) |
//! | `self.db = np.sum(dout, axis=0)` | [`column_sums_into`]`(dout, &mut db)` (or `dout.sum_axis(Axis(0))`) |
//! | `x.reshape(x.shape[0], -1)` | [`flatten_batch`]`(&x)` (a view) |
//! | `self.mask = (x <= 0); out[self.mask] = 0` | `Zip::from(out).and(mask).and(x).for_each(...)` |
//! | `dout * (1.0 - self.out) * self.out` | `Zip::from(dx).and(&out).and(dout).for_each(\|d, &y, &g\| *d = g * (1.0 - y) * y)` |
//! | `self.layers = OrderedDict()` ... `reversed(layers)` | struct fields, called forward in order and backward in reverse |
//! | `network.params[key] -= lr * grad[key]` | `net.for_each_param(&mut \|mut p\| p.value.scaled_add(-lr, &p.grad))` |
//! | `np.random.choice(train_size, batch_size)` | `rng.random_range(0..train_size)` per row, copied into a kept batch buffer |
//! | `np.average(np.abs(a - b))` | `(&a - &b).mapv(f64::abs).mean()` |
//!
//! ## Built to be fast as well as read
//!
//! `keras-lite` trains with these very layers. Every layer has `forward_into`/`backward_into`
//! writing into buffers the caller keeps (and keeps its own caches), so a training step
//! allocates nothing once the shapes are set; [`Affine::set_needs_input_grad`] lets the first
//! layer skip `dx`, a third of its matrix products. Everything is generic over
//! [`Float`](ch03_activations::Float): gradient checks run in f64, training in f32 or f64.

pub mod activation_layers;
pub mod affine;
pub mod gradient_check;
pub mod graph;
pub mod layer;
pub mod softmax_with_loss;
pub mod two_layer_net;

// The Keras catalog, fenced off from the book.
pub mod keras;

pub use activation_layers::{ActivationLayer, Relu, Sigmoid};
pub use affine::{Affine, column_sums_into, flatten_batch};
pub use graph::{AddLayer, MulLayer};
pub use layer::{Layer, LayerError, Mode, ParamMut, ensure_shape};
pub use softmax_with_loss::SoftmaxWithLoss;
pub use two_layer_net::TwoLayerNet;
