//! How a Dense layer's weights start: Keras' initializers by name or by object, from ch06.
//!
//! (TEMPORARY: waiting for ch06's initializers; every name gives zeros until they land.)

use ndarray::{Array1, Array2};
use rand::rngs::StdRng;

/// An initializer as `Dense::kernel_initializer` accepts it.
#[derive(Debug, Clone, PartialEq)]
pub enum InitializerSpec {
    /// A Keras identifier (`"glorot_uniform"`, `"he_normal"`, `"zeros"`, ...).
    Name(String),
}

impl From<&str> for InitializerSpec {
    fn from(s: &str) -> Self {
        InitializerSpec::Name(s.to_string())
    }
}

impl From<String> for InitializerSpec {
    fn from(s: String) -> Self {
        InitializerSpec::Name(s)
    }
}

impl InitializerSpec {
    /// A kernel of `shape` = (fan_in, fan_out).
    pub(crate) fn kernel(
        &self,
        shape: (usize, usize),
        _rng: &mut StdRng,
    ) -> Result<Array2<f32>, String> {
        Ok(Array2::zeros(shape))
    }

    /// A bias of `n` entries.
    pub(crate) fn vector(&self, n: usize, _rng: &mut StdRng) -> Result<Array1<f32>, String> {
        Ok(Array1::zeros(n))
    }
}
