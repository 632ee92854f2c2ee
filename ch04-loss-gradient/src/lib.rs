//! Chapter 4 of 「ゼロから作るDeep Learning」: how a network measures its error (a loss) and
//! how the gradient of that loss, found numerically, drives learning.
//!
//! A network's parameters are good when its loss is small. The gradient, the vector of
//! partial derivatives of the loss with respect to every parameter, points where the loss
//! grows fastest; stepping the other way (`p <- p - lr * dL/dp`, gradient descent) lowers it.
//! This chapter computes the gradient the slow, obvious way: nudge each parameter by
//! h = 1e-4 up and down and watch the loss (a central difference). Chapter 5 gets the same
//! numbers a thousand times faster by backpropagation; the numerical gradient stays as the
//! check that backpropagation is right.
//!
//! | book section | here |
//! |---|---|
//! | 4.2.1-4.2.2 sum of squared errors, cross-entropy | [`loss_functions`]: [`sum_squared_error`], [`cross_entropy_error`] |
//! | 4.2.3-4.2.4 mini-batches, one-hot or index labels | [`cross_entropy_error`] on (N, K) batches, labels of either kind ([`ClassLabel`]) |
//! | 4.3 numerical differentiation | [`gradient`]: [`numerical_diff`] (example `gradient_1d`) |
//! | 4.4 gradient | [`numerical_gradient`] for arrays of any shape; [`numerical_gradient_2d`] row by row for a batch of points (example `gradient_2d`) |
//! | 4.4.1 gradient descent | [`gradient_descent`] (example `gradient_method`) |
//! | 4.4.2 the gradient of a network | [`simple_net`]: [`SimpleNet`] (example `gradient_simplenet`) |
//! | 4.5 the learning algorithm | [`two_layer_net`]: [`TwoLayerNet`] (example `ch04_train_neuralnet`, the book's `ch04/train_neuralnet.py`) |
//! | 4.2.3-4.2.4 labels, errors | [`labels`]: [`Labels`] (one-hot or indices), [`LossError`] |
//! | 5.6.3 (used from chapter 5) the cross-entropy of a row of logits | [`loss_functions::cross_entropy_logits_row`], [`loss_functions::cross_entropy_logits_class`] |
//!
//! The crate has two parts. **The book** is the table above: the book's two losses as the book
//! writes them, and the cross-entropy row kernel that `SoftmaxWithLoss` and Keras' losses from
//! logits run. **The Keras catalog**, fenced off in [`keras`] ([`keras::Loss`],
//! [`keras::reduce`], ...), holds every loss `compile` accepts, each checked against
//! TensorFlow's own numbers, including the edges where Keras' clipping at 1e-7 decides the
//! answer; a student may skip it.
//!
//! ```
//! use ch04_loss_gradient::{cross_entropy_error, numerical_diff, numerical_gradient};
//! use ndarray::{ArrayRef1, array};
//!
//! // 4.2.2: the network puts 0.6 on the true class "2".
//! let y = array![0.1_f64, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0];
//! let t = array![0.0_f64, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
//! assert!((cross_entropy_error(&y, &t).unwrap() - 0.510825457099338).abs() < 1e-15);
//!
//! // 4.3.2: the derivative of 0.01 x^2 + 0.1 x at 5 is 0.2, numerically 0.1999999999990898.
//! assert_eq!(numerical_diff(|x: f64| 0.01 * x.powi(2) + 0.1 * x, 5.0), 0.1999999999990898);
//!
//! // 4.4: the gradient of x0^2 + x1^2 at (3, 4) is (6, 8).
//! let mut x = array![3.0, 4.0];
//! let grad = numerical_gradient(|x: &ArrayRef1<f64>| x.dot(x), &mut x);
//! assert!((grad[0] - 6.0).abs() < 1e-9 && (grad[1] - 8.0).abs() < 1e-9);
//! ```
//!
//! ## NumPy in the book -> ndarray here
//!
//! | the book (NumPy) | here (ndarray) |
//! |---|---|
//! | `0.5 * np.sum((y - t)**2)` | `Zip::from(y).and(t).fold(0, \|acc, &y, &t\| acc + (y - t) * (y - t))` times 0.5 |
//! | `y[np.arange(batch_size), t]` | `y[[row, t[row]]]` in a loop over rows |
//! | `t.argmax(axis=1)` | the index of the largest value of each of `t.rows()` |
//! | `grad = np.zeros_like(x)` | `Array::zeros(x.raw_dim())` |
//! | `np.nditer(x, flags=['multi_index'])` | `for idx in ndarray::indices(x.raw_dim())` |
//! | `x -= lr * grad` | `x.scaled_add(-lr, &grad)` (in place, no temporary) |
//! | `np.random.randn(2, 3)` | `Array2::random_using((2, 3), StandardNormal, &mut rng)` (seedable) |
//! | `np.dot(x, W1) + b1` | `x.dot(&w1) + &b1` (the bias broadcasts over rows) |
//! | `np.sum(dy, axis=0)` | `dy.sum_axis(Axis(0))` |
//! | `np.random.choice(train_size, batch_size)` | `rng.random_range(0..train_size)` per row |
//! | `f = lambda w: net.loss(x, t)` (reads `net.W`, changed in place) | a closure that receives the probed `w` |
//!
//! Scalars are generic over [`Float`](ch03_activations::Float) (`f32` or `f64`); the book's
//! numbers are reproduced in `f64`, the precision NumPy uses, and numerical gradients should
//! be taken in `f64` (in `f32` a difference of two losses near 2.3 divided by 2e-4 keeps only
//! about 3 digits).

pub mod gradient;
pub mod labels;
pub mod loss_functions;
pub mod simple_net;
pub mod two_layer_net;

// The Keras catalog, fenced off from the book.
pub mod keras;

pub use gradient::{
    H, gradient_descent, numerical_diff, numerical_gradient, numerical_gradient_2d,
};
pub use labels::{Labels, LossError};
pub use loss_functions::{CROSS_ENTROPY_DELTA, ClassLabel, cross_entropy_error, sum_squared_error};
pub use simple_net::SimpleNet;
pub use two_layer_net::{Grads, TwoLayerNet};
