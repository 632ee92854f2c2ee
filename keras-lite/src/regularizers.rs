//! Weight penalties added to the loss: Keras' `L1`, `L2` and `L1L2`.
//!
//! ```text
//! L1(l):      penalty = l * sum |w|      gradient l * sign(w)
//! L2(l):      penalty = l * sum w^2      gradient 2 l w       (no 1/2, as in Keras)
//! L1L2(a, b): both
//! ```
//!
//! A Dense layer's `kernel_regularizer` and `bias_regularizer` penalize its weights; its
//! `activity_regularizer` penalizes its output, divided by the batch size. The penalties are
//! part of the loss that `fit` reports and minimises.
//!
//! | tf_keras 2.21 | keras-lite |
//! |---|---|
//! | `kernel_regularizer="l1"`, `"l2"`, `"l1_l2"` | `.kernel_regularizer("l1")`, ... (factor 0.01; `"l1_l2"` is 0.01 and 0.01) |
//! | `regularizers.l1(0.001)`, `L1(0.001)` | [`l1`]`(0.001)` (Keras' default factor [`DEFAULT_FACTOR`]) |
//! | `regularizers.l2(0.001)`, `L2(0.001)` | [`l2`]`(0.001)` |
//! | `regularizers.l1_l2(l1=1e-5, l2=1e-4)`, `L1L2(l1=1e-5, l2=1e-4)` | [`l1_l2`]`(1e-5, 1e-4)` |
//!
//! Keras' functions `l1()`, `l2()`, `l1_l2()` default to 0.01 each; its class `L1L2()` defaults
//! to 0 and 0 (so the string `"L1L2"` names a zero penalty, as in tf_keras). Rust has no
//! default arguments: the string names give the defaults, the functions take the factors.
//!
//! ```
//! use keras_lite::layers::Dense;
//! use keras_lite::regularizers::{l1_l2, l2};
//! let a = Dense::new(64).kernel_regularizer("l2").bias_regularizer(l2(1e-4));
//! let b = Dense::new(64).kernel_regularizer(l1_l2(1e-5, 1e-4));
//! // An unknown name is an error listing the valid ones when the model is built.
//! let mut m = keras_lite::Sequential::new(vec![Dense::new(2).input_shape(&[3])
//!     .kernel_regularizer("l3").into()]);
//! let e = m.compile("sgd", "mse", keras_lite::NO_METRICS).and_then(|_| m.summary()).unwrap_err();
//! assert!(e.to_string().contains("l1_l2"), "{e}");
//! ```

use crate::error::{KerasError, Result};
use ndarray::{ArrayRef, Dimension, Zip};

/// The factor of Keras' `l1()`, `l2()`, `l1_l2()` and of the names `"l1"`, `"l2"`, `"l1_l2"`.
pub const DEFAULT_FACTOR: f64 = 0.01;

/// Keras' `regularizers.l1(l1)`: `l1 * sum |w|`.
pub fn l1(l1: f64) -> Regularizer {
    Regularizer::L1(l1)
}

/// Keras' `regularizers.l2(l2)`: `l2 * sum w^2`.
pub fn l2(l2: f64) -> Regularizer {
    Regularizer::L2(l2)
}

/// Keras' `regularizers.l1_l2(l1, l2)`: `l1 * sum |w| + l2 * sum w^2`.
pub fn l1_l2(l1: f64, l2: f64) -> Regularizer {
    Regularizer::L1L2 { l1, l2 }
}

/// A weight penalty (Keras' `tf.keras.regularizers`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Regularizer {
    /// `l * sum |w|`.
    L1(f64),
    /// `l * sum w^2`.
    L2(f64),
    /// `l1 * sum |w| + l2 * sum w^2`.
    L1L2 { l1: f64, l2: f64 },
}

impl Regularizer {
    /// Keras' string identifiers, as tf_keras' `regularizers.get` reads them: `"l1"`, `"l2"`,
    /// `"l1_l2"` with the factor [`DEFAULT_FACTOR`], and the class names `"L1"`, `"L2"` (also
    /// 0.01) and `"L1L2"` (the class' defaults, 0 and 0).
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "l1" | "L1" => Ok(l1(DEFAULT_FACTOR)),
            "l2" | "L2" => Ok(l2(DEFAULT_FACTOR)),
            "l1_l2" => Ok(l1_l2(DEFAULT_FACTOR, DEFAULT_FACTOR)),
            "L1L2" => Ok(l1_l2(0.0, 0.0)),
            _ => Err(KerasError::UnknownName {
                kind: "regularizer",
                name: name.to_string(),
                valid: "l1, l2, l1_l2 (or the classes L1, L2, L1L2)".into(),
            }),
        }
    }

    /// Checks that the factors are finite and non-negative.
    pub fn validate(&self) -> Result<()> {
        let (l1, l2) = self.factors();
        if !(l1.is_finite() && l2.is_finite() && l1 >= 0.0 && l2 >= 0.0) {
            return Err(KerasError::InvalidArgument(format!(
                "regularizer {self:?}: factors must be finite and >= 0 (e.g. L2(0.01))"
            )));
        }
        Ok(())
    }

    fn factors(&self) -> (f64, f64) {
        match *self {
            Regularizer::L1(l) => (l, 0.0),
            Regularizer::L2(l) => (0.0, l),
            Regularizer::L1L2 { l1, l2 } => (l1, l2),
        }
    }

    /// The penalty of `w`: `l1 * sum |w| + l2 * sum w^2`.
    pub fn penalty<D: Dimension>(&self, w: &ArrayRef<f32, D>) -> f64 {
        let (l1, l2) = self.factors();
        let (mut abs, mut sq) = (0.0f64, 0.0f64);
        for &v in w.iter() {
            abs += v.abs() as f64;
            sq += (v as f64) * (v as f64);
        }
        l1 * abs + l2 * sq
    }

    /// Adds `scale * d(penalty)/dw` to `grad`: `scale * (l1 sign(w) + 2 l2 w)`.
    pub fn add_gradient<D: Dimension>(
        &self,
        w: &ArrayRef<f32, D>,
        grad: &mut ArrayRef<f32, D>,
        scale: f32,
    ) {
        let (l1, l2) = self.factors();
        let (a, b) = (scale * l1 as f32, scale * 2.0 * l2 as f32);
        Zip::from(grad).and(w).for_each(|g, &v| {
            // TensorFlow's sign(0) = 0.
            let s = if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                0.0
            };
            *g += a * s + b * v;
        });
    }
}

/// A regularizer as `Dense::kernel_regularizer` (and the other regularizer arguments) accepts
/// it: a Keras name (`"l2"`) or a [`Regularizer`] (`l2(1e-4)`).
#[derive(Debug, Clone, PartialEq)]
pub enum RegularizerSpec {
    /// A Keras identifier, resolved by [`Regularizer::from_name`].
    Name(String),
    /// A regularizer with its factors.
    Object(Regularizer),
}

impl RegularizerSpec {
    /// The regularizer (an unknown name is an error listing the valid ones).
    pub fn resolve(&self) -> Result<Regularizer> {
        match self {
            RegularizerSpec::Name(n) => Regularizer::from_name(n),
            RegularizerSpec::Object(r) => Ok(*r),
        }
    }
}

impl From<&str> for RegularizerSpec {
    fn from(s: &str) -> Self {
        RegularizerSpec::Name(s.to_string())
    }
}

impl From<String> for RegularizerSpec {
    fn from(s: String) -> Self {
        RegularizerSpec::Name(s)
    }
}

impl From<Regularizer> for RegularizerSpec {
    fn from(r: Regularizer) -> Self {
        RegularizerSpec::Object(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn penalty_and_gradient_agree_with_central_differences() {
        let r = Regularizer::L1L2 { l1: 0.3, l2: 0.2 };
        let w = array![[0.5f32, -1.5], [2.0, 0.25]];
        assert!((r.penalty(&w) - (0.3 * 4.25 + 0.2 * (0.25 + 2.25 + 4.0 + 0.0625))).abs() < 1e-9);
        let mut g = ndarray::Array2::<f32>::zeros((2, 2));
        r.add_gradient(&w, &mut g, 1.0);
        let h = 1e-3f32;
        for i in 0..2 {
            for j in 0..2 {
                let (mut wp, mut wm) = (w.clone(), w.clone());
                wp[[i, j]] += h;
                wm[[i, j]] -= h;
                let numeric = (r.penalty(&wp) - r.penalty(&wm)) / (2.0 * h as f64);
                assert!((numeric - g[[i, j]] as f64).abs() < 1e-3, "{i} {j}");
            }
        }
    }

    #[test]
    fn names_and_validation() {
        assert_eq!(Regularizer::from_name("l2").unwrap(), Regularizer::L2(0.01));
        assert!(Regularizer::from_name("l3").is_err());
        assert!(Regularizer::L1(-1.0).validate().is_err());
    }
}
