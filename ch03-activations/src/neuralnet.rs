//! Section 3.4: a three-layer network's forward pass, by hand.
//!
//! Two inputs, hidden layers of 3 and 2 sigmoid units, and 2 identity outputs, with the
//! book's fixed weights (no learning yet: that is chapter 4). Each layer is one matrix
//! product plus a bias, `a = x W + b`, then an activation `z = h(a)`:
//!
//! ```text
//! x (2,) -> a1 = x W1 + b1 (3,) -> z1 = sigmoid(a1) -> a2 = z1 W2 + b2 (2,) -> z2 = sigmoid(a2)
//!        -> a3 = z2 W3 + b3 (2,) -> y = identity(a3)
//! ```
//!
//! ```
//! use ch03_activations::neuralnet::{forward, init_network};
//! use ndarray::array;
//! let network = init_network::<f64>();
//! let y = forward(&network, &array![1.0, 0.5]);
//! // the book prints [ 0.31682708  0.69627909]
//! assert!((y[0] - 0.31682708).abs() < 1e-8 && (y[1] - 0.69627909).abs() < 1e-8);
//! ```

use crate::{Float, identity_function, sigmoid};
use ndarray::{Array1, Array2, ArrayRef1, array};

/// The weights and biases of a 3-layer network (the book keeps them in a dict,
/// `network['W1']`, ...). Section 3.4's shapes: `w1` (2, 3), `b1` (3,), `w2` (3, 2),
/// `b2` (2,), `w3` (2, 2), `b3` (2,); section 3.6's ([`crate::neuralnet_mnist`]): (784, 50),
/// (50,), (50, 100), (100,), (100, 10), (10,).
#[derive(Debug, Clone, PartialEq)]
pub struct Network<A> {
    pub w1: Array2<A>,
    pub b1: Array1<A>,
    pub w2: Array2<A>,
    pub b2: Array1<A>,
    pub w3: Array2<A>,
    pub b3: Array1<A>,
}

/// The book's `init_network()`: the fixed weights of section 3.4.3.
pub fn init_network<A: Float>() -> Network<A> {
    let m = |rows: Array2<f64>| rows.mapv(A::of);
    let v = |vals: Array1<f64>| vals.mapv(A::of);
    Network {
        w1: m(array![[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        b1: v(array![0.1, 0.2, 0.3]),
        w2: m(array![[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        b2: v(array![0.1, 0.2]),
        w3: m(array![[0.1, 0.3], [0.2, 0.4]]),
        b3: v(array![0.1, 0.2]),
    }
}

/// The book's `forward(network, x)`: input `x` of shape (2,) to output `y` of shape (2,),
/// `y = identity(sigmoid(sigmoid(x W1 + b1) W2 + b2) W3 + b3)`.
pub fn forward<A: Float>(network: &Network<A>, x: &ArrayRef1<A>) -> Array1<A> {
    let Network {
        w1,
        b1,
        w2,
        b2,
        w3,
        b3,
    } = network;
    let a1 = x.dot(w1) + b1;
    let z1 = sigmoid(&a1);
    let a2 = z1.dot(w2) + b2;
    let z2 = sigmoid(&a2);
    let a3 = z2.dot(w3) + b3;
    identity_function(&a3)
}
