//! Section 3.6: recognizing handwritten digits with weights someone else learned.
//!
//! The book's `neuralnet_mnist.py` loads `sample_weight.pkl`, a 784-50-100-10 network with
//! sigmoid hidden layers and a softmax output, and classifies the 10,000 test images one at
//! a time; `neuralnet_mnist_batch.py` does the same 100 images at a time (3.6.3), where one
//! matrix product replaces 100 vector-matrix products:
//!
//! ```text
//! x (N, 784) -> sigmoid(x W1 + b1) (N, 50) -> sigmoid(. W2 + b2) (N, 100) -> softmax(. W3 + b3) (N, 10)
//! ```
//!
//! This repository ships such weights, learned on Fashion-MNIST, as
//! `testdata/sample_weight.safetensors` (six float32 tensors `W1`, `b1`, `W2`, `b2`, `W3`,
//! `b3`; see `testdata/README.md` for the command that trains them, bit for bit).
//! [`load_network`] reads them into section 3.4's [`Network`]; [`predict`] and
//! [`predict_one`] are the book's `predict` for a batch and for one image.
//!
//! ```
//! use ch03_activations::neuralnet::Network;
//! use ch03_activations::neuralnet_mnist::{predict, predict_one};
//! use ndarray::{Array1, Array2, array};
//!
//! // A 2-3-2-2 network, every weight 0: each output is softmax([0, 0]) = [0.5, 0.5].
//! let net = Network::<f64> {
//!     w1: Array2::zeros((2, 3)), b1: Array1::zeros(3),
//!     w2: Array2::zeros((3, 2)), b2: Array1::zeros(2),
//!     w3: Array2::zeros((2, 2)), b3: Array1::zeros(2),
//! };
//! let y = predict(&net, &array![[1.0, 0.5], [0.0, 2.0]]);
//! assert_eq!(y, array![[0.5, 0.5], [0.5, 0.5]]);
//! assert_eq!(predict_one(&net, &array![1.0, 0.5]), array![0.5, 0.5]);
//! ```

use crate::neuralnet::Network;
use crate::{Float, sigmoid, softmax};
use ndarray::{Array1, Array2, ArrayRef1, ArrayRef2};
use safetensors::tensor::{Dtype, SafeTensors};
use std::path::Path;

/// The tensor names of a weights file, in the order of the layers.
pub const TENSOR_NAMES: [&str; 6] = ["W1", "b1", "W2", "b2", "W3", "b3"];

/// A weights file that cannot be read as a 3-layer network; the message names the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct WeightsError {
    /// The file.
    pub path: String,
    /// What is wrong, and what to do.
    pub message: String,
}

/// Reads a 3-layer network from a safetensors file holding float32 or float64 tensors `W1`
/// (n, h1), `b1` (h1,), `W2` (h1, h2), `b2` (h2,), `W3` (h2, k), `b3` (k,) (the book's
/// `init_network()` of 3.6.2, which unpickles `sample_weight.pkl`).
///
/// Errors: the file is missing or is not safetensors, a tensor is missing or has another
/// dtype, or the shapes do not chain.
pub fn load_network<A: Float>(path: impl AsRef<Path>) -> Result<Network<A>, WeightsError> {
    let path = path.as_ref();
    let err = |message: String| WeightsError {
        path: path.display().to_string(),
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| {
        err(format!(
            "cannot read it ({e}); run from the repository root, or give the path of \
             testdata/sample_weight.safetensors"
        ))
    })?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| {
        err(format!(
            "not a safetensors file ({e}); it is damaged or truncated: check it out again"
        ))
    })?;
    let mut tensors: Vec<(Vec<usize>, Vec<A>)> = Vec::with_capacity(TENSOR_NAMES.len());
    for name in TENSOR_NAMES {
        let view = file.tensor(name).map_err(|_| {
            err(format!(
                "it has no tensor {name:?}; a 3-layer network needs {TENSOR_NAMES:?}"
            ))
        })?;
        let values: Vec<A> = match view.dtype() {
            Dtype::F32 => view
                .data()
                .chunks_exact(4)
                .map(|b| A::of(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
                .collect(),
            Dtype::F64 => view
                .data()
                .chunks_exact(8)
                .map(|b| A::of(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                .collect(),
            other => {
                return Err(err(format!(
                    "tensor {name:?} has dtype {other:?}; store float32 or float64"
                )));
            }
        };
        tensors.push((view.shape().to_vec(), values));
    }
    let shapes: Vec<&[usize]> = tensors.iter().map(|(s, _)| s.as_slice()).collect();
    let chained = match shapes.as_slice() {
        [[n, h1], [b1], [h1b, h2], [b2], [h2b, k], [b3]] => {
            *n > 0 && h1 == b1 && h1 == h1b && h2 == b2 && h2 == h2b && k == b3
        }
        _ => false,
    };
    if !chained {
        return Err(err(format!(
            "the shapes {shapes:?} of {TENSOR_NAMES:?} do not chain; expected W1 (n, h1), b1 \
             (h1,), W2 (h1, h2), b2 (h2,), W3 (h2, k), b3 (k,)"
        )));
    }
    let mut it = tensors
        .into_iter()
        .map(|(shape, values)| (shape, Array1::from(values)));
    let mut matrix = || {
        let (shape, v) = it.next().expect("six tensors");
        let v = if shape.len() == 2 {
            v.into_shape_with_order((shape[0], shape[1]))
        } else {
            v.into_shape_with_order((1, shape[0]))
        };
        v.expect("shape checked")
    };
    let (w1, b1) = (matrix(), matrix());
    let (w2, b2) = (matrix(), matrix());
    let (w3, b3) = (matrix(), matrix());
    let row = |b: Array2<A>| b.remove_axis(ndarray::Axis(0));
    Ok(Network {
        w1,
        b1: row(b1),
        w2,
        b2: row(b2),
        w3,
        b3: row(b3),
    })
}

/// The book's `predict` for a batch: `softmax(sigmoid(sigmoid(x W1 + b1) W2 + b2) W3 + b3)`,
/// x (N, n) -> y (N, k), each row a probability distribution over the classes.
///
/// # Panics
/// If `x` does not have one column per row of `W1`.
pub fn predict<A: Float>(network: &Network<A>, x: &ArrayRef2<A>) -> Array2<A> {
    let z1 = sigmoid(&(x.dot(&network.w1) + &network.b1));
    let z2 = sigmoid(&(z1.dot(&network.w2) + &network.b2));
    softmax(&(z2.dot(&network.w3) + &network.b3))
}

/// The book's `predict` for one image, as `neuralnet_mnist.py` calls it: x (n,) -> y (k,),
/// three vector-matrix products.
///
/// # Panics
/// If `x` does not have one value per row of `W1`.
pub fn predict_one<A: Float>(network: &Network<A>, x: &ArrayRef1<A>) -> Array1<A> {
    let z1 = sigmoid(&(x.dot(&network.w1) + &network.b1));
    let z2 = sigmoid(&(z1.dot(&network.w2) + &network.b2));
    softmax(&(z2.dot(&network.w3) + &network.b3))
}

/// `np.argmax`, as the book's script calls it: the workspace's one [`argmax`](crate::argmax())
/// (first on ties, NaN skipped).
pub use crate::argmax::argmax;
