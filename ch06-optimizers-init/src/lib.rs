//! Chapter 6 of 「ゼロから作るDeep Learning」: the techniques that make learning work —
//! update rules (optimizers), initial weights, Batch Normalization, and the fight against
//! overfitting (weight decay, Dropout) — plus every optimizer and initializer Keras offers.
//!
//! The chapter's lesson in four figures (run the examples, PNGs go to `--out DIR`):
//!
//! - `optimizer_compare_naive`: on `x^2/20 + y^2`, SGD zig-zags, Momentum rolls, AdaGrad and
//!   Adam adapt each direction's step.
//! - `weight_init_activation_histogram`: with std 1 sigmoid activations pile up at 0 and 1
//!   (vanishing gradients), with 0.01 they all sit at 0.5; **Xavier** (`sqrt(1/n)`) keeps
//!   sigmoid layers spread out. ReLU zeroes half of its inputs, halving the variance each
//!   layer, so with Xavier its activations shrink with depth; **He** (`sqrt(2/n)`) doubles the
//!   variance to make up for it, and every layer looks the same.
//! - `batch_norm_test`: Batch Normalization learns fast from almost any initial scale.
//! - `overfit_weight_decay`, `overfit_dropout`: 300 samples overfit; weight decay and
//!   Dropout narrow the train/test gap.
//!
//! # Map from the book to the modules
//!
//! | book | here |
//! |---|---|
//! The crate has two parts. **The book** (this table) comes first; **the Keras catalog**
//! (the table after it) is fenced off in [`keras`], and a student may skip it.
//!
//! | book | here |
//! |---|---|
//! | 6.1 SGD, Momentum, AdaGrad, Adam (`common/optimizer.py`) | [`book`] (`SGD`, `Momentum`, `Nesterov`, `AdaGrad`, `RMSprop`, `Adam`) |
//! | 6.1.6 the Adam update, one element | [`book::AdamStep`]: the kernel the book's and Keras' Adam both run |
//! | the optimizer interface `update(params, grads)` | [`optimizer::Optimizer`] |
//! | 6.2 weight initial values (`weight_init_std`) | [`weight_init`] |
//! | 6.3 Batch Normalization (`common/layers.py`) | [`batch_norm`] |
//! | 6.4.2 weight decay, `common/multi_layer_net.py` | [`multi_layer_net`] |
//! | 6.4.3 Dropout | [`dropout`] |
//! | `common/multi_layer_net_extend.py` | [`multi_layer_net::MultiLayerNetExtend`] |
//! | `common/trainer.py` | [`trainer`] |
//! | `common/util.py` `smooth_curve`, `shuffle_dataset` | [`util`] |
//! | 6.5 hyper-parameter search | example `hyperparameter_optimization` |
//!
//! | Keras catalog (may be skipped) | here |
//! |---|---|
//! | Keras' optimizers, clipping, schedules | [`keras`], [`keras::base`], [`keras::schedules`] |
//! | Keras' initializers (Glorot, He, LeCun, orthogonal, ...) | [`keras::initializers`] |
//!
//! # A step, the book's way and the fast way
//!
//! ```
//! use ch05_backprop::ParamMut;
//! use ch06_optimizers_init::{Optimizer, book, keras};
//! use ndarray::array;
//!
//! // The book's Adam: params[key] -= lr_t * m / (sqrt(v) + 1e-7), as array expressions.
//! let mut w = array![[1.0f32, -1.0]].into_dyn();
//! let mut g = array![[0.5f32, -0.5]].into_dyn();
//! let mut adam = book::Adam::default();
//! adam.update(vec![ParamMut { name: "W", value: w.view_mut(), grad: g.view_mut() }]);
//! // The first Adam step moves each weight by about lr = 0.001 against its gradient.
//! assert!((w[[0, 0]] - 0.999).abs() < 1e-5 && (w[[0, 1]] + 0.999).abs() < 1e-5);
//!
//! // Keras' Adam by name: one fused loop per parameter, no allocation after the first step,
//! // bit-exact with TensorFlow in float32.
//! let mut opt = keras::optimizer_from_name::<f32>("adam").unwrap();
//! let mut w2 = array![[1.0f32, -1.0]].into_dyn();
//! opt.update(vec![ParamMut { name: "W", value: w2.view_mut(), grad: g.view_mut() }]);
//! assert!((w2[[0, 0]] - 0.999).abs() < 1e-5);
//! ```
//!
//! # NumPy in the book -> ndarray here
//!
//! | book (NumPy) | here (ndarray) |
//! |---|---|
//! | `params[key] -= lr * grads[key]` | `value.scaled_add(-lr, &grad)` |
//! | `self.v[key] = self.momentum*self.v[key] - self.lr*grads[key]` | `*v = &*v * m - &grad * lr` |
//! | `np.sqrt(self.h[key]) + 1e-7` | `h.mapv(f64::sqrt) + 1e-7` |
//! | one fused update over several arrays | `Zip::from(&mut w).and(&g).and(m).and(v).for_each(...)` |
//! | `np.random.randn(n_in, n_out) * scale` | `Array2::random_using((n_in, n_out), StandardNormal, &mut rng) * scale` |
//! | `np.random.rand(*x.shape) > ratio` | `mask.mapv_inplace(\|_\| if rng.random::<f64>() > ratio { 1.0 } else { 0.0 })` |
//! | `x.mean(axis=0)` | `x.mean_axis(Axis(0))` (or a row loop into a kept buffer) |
//! | `np.random.choice(train_size, batch_size)` | `rng.random_range(0..train_size)` per row |
//! | `self.params['W1']` | `net.for_each_param(&mut \|p\| ...)` visits `W, b, [gamma, beta]` per layer |
//!
//! Optimizer state is kept per parameter POSITION (the order `for_each_param` visits), never
//! by pointer; see [`optimizer`].

pub mod batch_norm;
pub mod book;
pub mod dropout;
pub mod multi_layer_net;
pub mod optimizer;
pub mod trainer;
pub mod util;
pub mod weight_init;

// The Keras catalog, fenced off from the book.
pub mod keras;

pub use optimizer::{Optimizer, OptimizerError, grad_sq_norm};
