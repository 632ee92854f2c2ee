//! How a Dense layer's weights start: Keras' initializers by name or by object, from ch06.
//!
//! `Dense::new(10).kernel_initializer("he_normal")` parses the name with ch06's
//! [`Initializer`] (`glorot_uniform`, `glorot_normal`, `he_normal`, `he_uniform`,
//! `lecun_normal`, `lecun_uniform`, `random_normal`, `random_uniform`, `truncated_normal`,
//! `zeros`, `ones`, `orthogonal`, `identity`, ... and the CamelCase class names);
//! `kernel_initializer(Initializer::RandomNormal { mean: 0.0, stddev: 0.1 })` takes a
//! configured one, and [`seeded`] fixes its seed (Keras' `seed=`). Without a seed, draws come
//! from the model's generator (see [`crate::backend::set_random_seed`]).
//!
//! ```
//! use keras_lite::initializers::{Initializer, seeded};
//! use keras_lite::layers::Dense;
//! let d = Dense::new(4).kernel_initializer(seeded(Initializer::he_normal(), 7));
//! # let _ = d;
//! ```

use crate::error::{KerasError, Result};
use ch06_optimizers_init::keras::initializers::InitError;
pub use ch06_optimizers_init::keras::initializers::{FanMode, Initializer, ScalingDistribution};
use ndarray::{Array1, Array2, Ix1};
use rand::rngs::StdRng;

/// An initializer as `Dense::kernel_initializer` accepts it.
#[derive(Debug, Clone, PartialEq)]
pub enum InitializerSpec {
    /// A Keras identifier (`"glorot_uniform"`), resolved when the layer is built.
    Name(String),
    /// A ch06 initializer, with an optional seed of its own.
    Object {
        init: Initializer,
        seed: Option<u64>,
    },
}

/// `init` drawing from its own generator seeded with `seed` (Keras' `GlorotUniform(seed=7)`).
pub fn seeded(init: Initializer, seed: u64) -> InitializerSpec {
    InitializerSpec::Object {
        init,
        seed: Some(seed),
    }
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

impl From<Initializer> for InitializerSpec {
    fn from(init: Initializer) -> Self {
        InitializerSpec::Object { init, seed: None }
    }
}

fn init_error(e: InitError) -> KerasError {
    match e {
        InitError::UnknownName { name, valid } => KerasError::UnknownName {
            kind: "initializer",
            name,
            valid,
        },
        other => KerasError::InvalidArgument(other.to_string()),
    }
}

impl InitializerSpec {
    /// The ch06 initializer and its seed (an unknown name is an error listing the valid ones).
    pub fn resolve(&self) -> Result<(Initializer, Option<u64>)> {
        match self {
            InitializerSpec::Name(n) => Ok((n.parse::<Initializer>().map_err(init_error)?, None)),
            InitializerSpec::Object { init, seed } => Ok((*init, *seed)),
        }
    }

    pub(crate) fn sample(&self, shape: &[usize], rng: &mut StdRng) -> Result<ndarray::ArrayD<f32>> {
        let (init, seed) = self.resolve()?;
        match seed {
            Some(s) => init.sample_seeded::<f32>(shape, s),
            None => init.sample::<f32, _>(shape, rng),
        }
        .map_err(init_error)
    }

    /// A kernel of `shape` = (fan_in, fan_out), Dense's `[in, units]` layout.
    pub(crate) fn kernel(&self, shape: (usize, usize), rng: &mut StdRng) -> Result<Array2<f32>> {
        Ok(self
            .sample(&[shape.0, shape.1], rng)?
            .into_dimensionality()
            .expect("a 2-D shape gives a 2-D array"))
    }

    /// A bias of `n` entries.
    pub(crate) fn vector(&self, n: usize, rng: &mut StdRng) -> Result<Array1<f32>> {
        Ok(self
            .sample(&[n], rng)?
            .into_dimensionality::<Ix1>()
            .expect("a 1-D shape gives a 1-D array"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn names_resolve_through_ch06_and_unknown_names_list_valid_ones() {
        let mut rng = StdRng::seed_from_u64(0);
        let k = InitializerSpec::from("glorot_uniform")
            .kernel((784, 128), &mut rng)
            .unwrap();
        let limit = (6.0f32 / (784.0 + 128.0)).sqrt();
        assert!(k.iter().all(|v| v.abs() <= limit));
        assert!(k.iter().any(|v| v.abs() > 0.5 * limit));
        let e = InitializerSpec::from("glorot_uniformm")
            .kernel((2, 2), &mut rng)
            .unwrap_err();
        assert!(
            matches!(
                e,
                KerasError::UnknownName {
                    kind: "initializer",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("he_normal"));
    }

    #[test]
    fn seeded_initializers_ignore_the_model_generator() {
        let spec = seeded(Initializer::he_normal(), 3);
        let a = spec.kernel((5, 4), &mut StdRng::seed_from_u64(1)).unwrap();
        let b = spec.kernel((5, 4), &mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(a, b);
    }
}
