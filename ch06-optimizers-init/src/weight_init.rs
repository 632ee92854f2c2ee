//! The book's weight initialization (section 6.2): `weight_init_std` of `MultiLayerNet`.
//!
//! ```text
//! scale = sqrt(2 / n_in)   for 'relu' or 'he'        (He: keeps ReLU activations spread)
//! scale = sqrt(1 / n_in)   for 'sigmoid' or 'xavier' (Xavier: keeps sigmoid/tanh spread)
//! scale = the number       otherwise (the book's 0.01 or 1)
//! W = scale * randn(n_in, n_out);  b = zeros(n_out)
//! ```
//!
//! (The book's "Xavier" is `sqrt(1/n_in)`, which Keras calls LeCun; Keras' Glorot uses
//! `sqrt(2/(n_in + n_out))`.)
//!
//! ```
//! use ch06_optimizers_init::weight_init::WeightInitStd;
//! let he: WeightInitStd = "relu".parse().unwrap();
//! assert_eq!(he.scale(50), (2.0f64 / 50.0).sqrt());
//! let fixed: WeightInitStd = "0.01".parse().unwrap();
//! assert_eq!(fixed.scale(784), 0.01);
//! ```

use crate::keras::initializers::InitError;
use ch03_activations::Float;
use ndarray::Array2;
use ndarray_rand::RandomExt;
use rand::Rng;
use rand_distr::StandardNormal;
use std::str::FromStr;

/// The book's `weight_init_std` argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightInitStd {
    /// `'relu'` or `'he'`: `sqrt(2 / n_in)`.
    He,
    /// `'sigmoid'` or `'xavier'`: `sqrt(1 / n_in)`.
    Xavier,
    /// A fixed standard deviation.
    Std(f64),
}

impl WeightInitStd {
    /// The standard deviation for a layer with `n_in` inputs (the previous layer's size).
    pub fn scale(&self, n_in: usize) -> f64 {
        match *self {
            WeightInitStd::He => (2.0 / n_in as f64).sqrt(),
            WeightInitStd::Xavier => (1.0 / n_in as f64).sqrt(),
            WeightInitStd::Std(s) => s,
        }
    }

    /// `scale(n_in) * randn(n_in, n_out)`: an `(n_in, n_out)` weight matrix.
    pub fn weights<A: Float, R: Rng + ?Sized>(
        &self,
        n_in: usize,
        n_out: usize,
        rng: &mut R,
    ) -> Array2<A> {
        let scale = self.scale(n_in);
        Array2::<f64>::random_using((n_in, n_out), StandardNormal, rng).mapv(|z| A::of(scale * z))
    }
}

impl FromStr for WeightInitStd {
    type Err = InitError;

    /// `"relu"`/`"he"`, `"sigmoid"`/`"xavier"` (case-insensitive), or a non-negative number.
    fn from_str(s: &str) -> Result<Self, InitError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "relu" | "he" => Ok(WeightInitStd::He),
            "sigmoid" | "xavier" => Ok(WeightInitStd::Xavier),
            other => match other.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(WeightInitStd::Std(x)),
                Ok(x) => Err(InitError::InvalidSetting {
                    initializer: "weight_init_std",
                    setting: "weight_init_std",
                    value: x,
                    valid: "a finite number >= 0",
                }),
                Err(_) => Err(InitError::UnknownName {
                    name: s.to_string(),
                    valid: "relu, he, sigmoid, xavier, or a number such as 0.01".to_string(),
                }),
            },
        }
    }
}
