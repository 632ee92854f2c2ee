//! Keras' weight initializers (`tf.keras.initializers`), seedable and parsed from Keras names.
//!
//! Fans of a shape (Keras' `_compute_fans`): a kernel `[in, out]` has `fan_in = in`,
//! `fan_out = out`; a vector `[n]` has both `n`; a convolution kernel `[..., in, out]`
//! multiplies both by the receptive field (the product of the leading dimensions).
//!
//! [`Initializer::VarianceScaling`] is the family behind the named ones: with
//! `s = scale / max(1, fan)` (fan = fan_in, fan_out or their mean),
//!
//! | distribution | draws | std of the draws |
//! |---|---|---|
//! | `TruncatedNormal` | normal with `sigma = sqrt(s) / 0.87962566103423978`, redrawn beyond 2 sigma | `sqrt(s)` |
//! | `UntruncatedNormal` | normal with `sigma = sqrt(s)` | `sqrt(s)` |
//! | `Uniform` | uniform on `[-sqrt(3 s), sqrt(3 s)]` | `sqrt(s)` |
//!
//! | Keras name | scale, mode, distribution | std for a `[in, out]` kernel |
//! |---|---|---|
//! | `glorot_uniform` (Keras' Dense default) | 1, fan_avg, uniform | `sqrt(2 / (in + out))` |
//! | `glorot_normal` | 1, fan_avg, truncated normal | `sqrt(2 / (in + out))` |
//! | `he_normal`, `he_uniform` | 2, fan_in | `sqrt(2 / in)` (the book's "He") |
//! | `lecun_normal`, `lecun_uniform` | 1, fan_in | `sqrt(1 / in)` (the book's "Xavier") |
//!
//! ```
//! use ch06_optimizers_init::keras::initializers::Initializer;
//! let init: Initializer = "he_normal".parse().unwrap();
//! let w = init.sample_seeded::<f32>(&[784, 128], 42).unwrap();
//! assert_eq!(w.shape(), &[784, 128]);
//! // The same seed gives the same weights:
//! assert_eq!(w, init.sample_seeded::<f32>(&[784, 128], 42).unwrap());
//! // sigma = sqrt(2/784)/0.8796 and nothing beyond 2 sigma:
//! let sigma = (2.0f32 / 784.0).sqrt() / 0.879_625_66;
//! assert!(w.iter().all(|x| x.abs() <= 2.0 * sigma));
//! ```

use ch03_activations::Float;
use ndarray::{Array2, ArrayD, IxDyn};
use ndarray_rand::RandomExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal, Uniform};
use std::str::FromStr;

/// The standard deviation of a standard normal truncated to [-2, 2]: dividing by it makes a
/// truncated normal's std equal the requested one.
pub const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// Which fan `VarianceScaling` divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
    FanAvg,
}

/// Which distribution `VarianceScaling` draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalingDistribution {
    /// Normal cut at 2 sigma (values beyond are redrawn); Keras' `"truncated_normal"`
    /// (also `"normal"`).
    TruncatedNormal,
    /// Plain normal; Keras' `"untruncated_normal"`.
    UntruncatedNormal,
    /// Uniform on `[-limit, limit]`; Keras' `"uniform"`.
    Uniform,
}

/// A rule to fill a new weight array. Sampling is deterministic given a seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// All 0 (Keras' default for biases).
    Zeros,
    /// All 1.
    Ones,
    /// All `value`.
    Constant(f64),
    /// Normal draws, `RandomNormal(mean=0.0, stddev=0.05)`.
    RandomNormal { mean: f64, stddev: f64 },
    /// Uniform draws on `[minval, maxval)`, `RandomUniform(minval=-0.05, maxval=0.05)`.
    RandomUniform { minval: f64, maxval: f64 },
    /// Normal draws redrawn beyond `mean +- 2 stddev`, `TruncatedNormal(mean=0.0, stddev=0.05)`.
    TruncatedNormal { mean: f64, stddev: f64 },
    /// Draws whose variance is `scale / fan` (see the module table).
    VarianceScaling {
        scale: f64,
        mode: FanMode,
        distribution: ScalingDistribution,
    },
    /// A random orthogonal matrix (QR of a normal matrix, signs fixed so R's diagonal is
    /// positive) times `gain`; needs at least 2 dimensions (`[prod(leading), last]`).
    Orthogonal { gain: f64 },
    /// `gain` times the identity; 2-D only.
    Identity { gain: f64 },
}

/// An unknown initializer name, an invalid setting, or a shape the initializer cannot fill.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InitError {
    #[error("unknown initializer '{name}'; valid names are: {valid}")]
    UnknownName { name: String, valid: String },
    #[error("{initializer}: {setting} = {} is invalid; it must be {valid}", show(*.value))]
    InvalidSetting {
        initializer: &'static str,
        setting: &'static str,
        value: f64,
        valid: &'static str,
    },
    #[error("{initializer} cannot fill shape {shape:?}: {need}")]
    UnsupportedShape {
        initializer: &'static str,
        shape: Vec<usize>,
        need: &'static str,
    },
}

/// A setting as people write it: `1e308` rather than its 309 digits, `-1` as `-1`.
fn show(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-6..1e16).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// `(fan_in, fan_out)` of a weight shape, as Keras computes them.
pub fn compute_fans(shape: &[usize]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        n => {
            let receptive: usize = shape[..n - 2].iter().product();
            (
                (shape[n - 2] * receptive) as f64,
                (shape[n - 1] * receptive) as f64,
            )
        }
    }
}

/// The valid range of a setting that is itself a weight value (a constant, a mean, a gain).
const IN_RANGE: &str =
    "finite in the weights' float type (f32: magnitude at most 3.4e38; f64: at most 1.8e308)";

fn check(
    initializer: &'static str,
    setting: &'static str,
    value: f64,
    valid: &'static str,
    ok: bool,
) -> Result<(), InitError> {
    if value.is_finite() && ok {
        Ok(())
    } else {
        Err(InitError::InvalidSetting {
            initializer,
            setting,
            value,
            valid,
        })
    }
}

impl Initializer {
    /// Every Keras name [`Initializer::from_str`] accepts (snake_case; the CamelCase class
    /// names are accepted too).
    pub const NAMES: [&'static str; 15] = [
        "glorot_uniform",
        "glorot_normal",
        "he_normal",
        "he_uniform",
        "lecun_normal",
        "lecun_uniform",
        "random_normal",
        "random_uniform",
        "truncated_normal",
        "zeros",
        "ones",
        "constant",
        "orthogonal",
        "identity",
        "variance_scaling",
    ];

    /// `GlorotUniform()`: uniform on `+-sqrt(6 / (fan_in + fan_out))` (Xavier Glorot).
    pub fn glorot_uniform() -> Self {
        Self::vs(1.0, FanMode::FanAvg, ScalingDistribution::Uniform)
    }
    /// `GlorotNormal()`: truncated normal with std `sqrt(2 / (fan_in + fan_out))`.
    pub fn glorot_normal() -> Self {
        Self::vs(1.0, FanMode::FanAvg, ScalingDistribution::TruncatedNormal)
    }
    /// `HeNormal()`: truncated normal with std `sqrt(2 / fan_in)` (Kaiming He, for ReLU).
    pub fn he_normal() -> Self {
        Self::vs(2.0, FanMode::FanIn, ScalingDistribution::TruncatedNormal)
    }
    /// `HeUniform()`: uniform on `+-sqrt(6 / fan_in)`.
    pub fn he_uniform() -> Self {
        Self::vs(2.0, FanMode::FanIn, ScalingDistribution::Uniform)
    }
    /// `LecunNormal()`: truncated normal with std `sqrt(1 / fan_in)`.
    pub fn lecun_normal() -> Self {
        Self::vs(1.0, FanMode::FanIn, ScalingDistribution::TruncatedNormal)
    }
    /// `LecunUniform()`: uniform on `+-sqrt(3 / fan_in)`.
    pub fn lecun_uniform() -> Self {
        Self::vs(1.0, FanMode::FanIn, ScalingDistribution::Uniform)
    }

    fn vs(scale: f64, mode: FanMode, distribution: ScalingDistribution) -> Self {
        Initializer::VarianceScaling {
            scale,
            mode,
            distribution,
        }
    }

    /// Keras' class name (`"GlorotUniform"`).
    pub fn class_name(&self) -> &'static str {
        match self {
            Initializer::Zeros => "Zeros",
            Initializer::Ones => "Ones",
            Initializer::Constant(_) => "Constant",
            Initializer::RandomNormal { .. } => "RandomNormal",
            Initializer::RandomUniform { .. } => "RandomUniform",
            Initializer::TruncatedNormal { .. } => "TruncatedNormal",
            Initializer::VarianceScaling { .. } => "VarianceScaling",
            Initializer::Orthogonal { .. } => "Orthogonal",
            Initializer::Identity { .. } => "Identity",
        }
    }

    /// Checks the settings of a hand-built (or loaded) initializer for `f64` weights:
    /// finite values, stddev >= 0, minval <= maxval, scale > 0, and every value it can draw
    /// finite ([`Initializer::validate_for`] with `f64`).
    pub fn validate(&self) -> Result<(), InitError> {
        self.validate_for::<f64>()
    }

    /// Checks the settings for weights of type `A`: each must be finite, and so must every
    /// value the initializer can draw, in `A` (`Constant(1e39)` is infinite in `f32`) and in
    /// the `f64` arithmetic of the draw (`RandomUniform(-1e308, 1e308)` has an infinite
    /// range). Normal draws are bounded at 10 standard deviations from the mean (a draw
    /// beyond that has probability below 1e-23); truncated ones at 2.
    pub fn validate_for<A: Float>(&self) -> Result<(), InitError> {
        let n = self.class_name();
        let fits = |x: f64| x.is_finite() && A::of(x).is_finite();
        match *self {
            Initializer::Zeros | Initializer::Ones => Ok(()),
            Initializer::Constant(v) => check(n, "value", v, IN_RANGE, fits(v)),
            Initializer::RandomNormal { mean, stddev }
            | Initializer::TruncatedNormal { mean, stddev } => {
                check(n, "mean", mean, IN_RANGE, fits(mean))?;
                let (reach, valid) = if matches!(self, Initializer::TruncatedNormal { .. }) {
                    (
                        2.0,
                        ">= 0, with mean +- 2 stddev finite in the weights' float type (f32: magnitude at most 3.4e38)",
                    )
                } else {
                    (
                        10.0,
                        ">= 0, with mean +- 10 stddev finite in the weights' float type (f32: magnitude at most 3.4e38)",
                    )
                };
                check(
                    n,
                    "stddev",
                    stddev,
                    valid,
                    stddev >= 0.0 && fits(mean.abs() + reach * stddev),
                )
            }
            Initializer::RandomUniform { minval, maxval } => {
                check(n, "minval", minval, IN_RANGE, fits(minval))?;
                check(
                    n,
                    "maxval",
                    maxval,
                    ">= minval, finite in the weights' float type (f32: magnitude at most 3.4e38), with maxval - minval finite (at most 1.8e308)",
                    maxval >= minval && fits(maxval) && (maxval - minval).is_finite(),
                )
            }
            Initializer::VarianceScaling { scale, .. } => check(
                n,
                "scale",
                scale,
                "> 0, with 10 sqrt(scale) finite in the weights' float type (f32: scale at most 1e75; f64: at most 5.9e307)",
                scale > 0.0 && (3.0 * scale).is_finite() && fits(10.0 * scale.sqrt()),
            ),
            Initializer::Orthogonal { gain } | Initializer::Identity { gain } => {
                check(n, "gain", gain, IN_RANGE, fits(gain))
            }
        }
    }

    /// An array of `shape` drawn with `rng`.
    ///
    /// Errors for invalid settings (see [`Initializer::validate_for`]), an `Orthogonal` of
    /// fewer than 2 dimensions and an `Identity` that is not 2-D.
    pub fn sample<A: Float, R: Rng + ?Sized>(
        &self,
        shape: &[usize],
        rng: &mut R,
    ) -> Result<ArrayD<A>, InitError> {
        self.validate_for::<A>()?;
        let dim = IxDyn(shape);
        let f = |x: f64| A::of(x);
        Ok(match *self {
            Initializer::Zeros => ArrayD::zeros(dim),
            Initializer::Ones => ArrayD::ones(dim),
            Initializer::Constant(v) => ArrayD::from_elem(dim, f(v)),
            Initializer::RandomNormal { mean, stddev } => {
                let normal = Normal::new(mean, stddev).expect("stddev checked >= 0");
                ArrayD::<f64>::random_using(dim, normal, rng).mapv(f)
            }
            Initializer::RandomUniform { minval, maxval } => {
                if minval == maxval {
                    ArrayD::from_elem(dim, f(minval))
                } else {
                    let uniform = Uniform::new(minval, maxval).expect("minval < maxval");
                    ArrayD::<f64>::random_using(dim, uniform, rng).mapv(f)
                }
            }
            Initializer::TruncatedNormal { mean, stddev } => {
                truncated_normal(dim, mean, stddev, rng).mapv(f)
            }
            Initializer::VarianceScaling {
                scale,
                mode,
                distribution,
            } => {
                let (fan_in, fan_out) = compute_fans(shape);
                let fan = match mode {
                    FanMode::FanIn => fan_in,
                    FanMode::FanOut => fan_out,
                    FanMode::FanAvg => (fan_in + fan_out) / 2.0,
                };
                let s = scale / fan.max(1.0);
                match distribution {
                    ScalingDistribution::TruncatedNormal => {
                        truncated_normal(dim, 0.0, s.sqrt() / TRUNCATED_NORMAL_STD, rng).mapv(f)
                    }
                    ScalingDistribution::UntruncatedNormal => {
                        let normal = Normal::new(0.0, s.sqrt()).expect("s > 0");
                        ArrayD::<f64>::random_using(dim, normal, rng).mapv(f)
                    }
                    ScalingDistribution::Uniform => {
                        let limit = (3.0 * s).sqrt();
                        let uniform = Uniform::new_inclusive(-limit, limit).expect("limit > 0");
                        ArrayD::<f64>::random_using(dim, uniform, rng).mapv(f)
                    }
                }
            }
            Initializer::Orthogonal { gain } => {
                if shape.len() < 2 {
                    return Err(InitError::UnsupportedShape {
                        initializer: "Orthogonal",
                        shape: shape.to_vec(),
                        need: "at least 2 dimensions",
                    });
                }
                let cols = shape[shape.len() - 1];
                let rows: usize = shape[..shape.len() - 1].iter().product();
                let q = orthogonal(rows, cols, rng);
                // `iter` walks in logical (row-major) order whatever q's memory layout.
                ArrayD::from_shape_vec(dim, q.iter().map(|&x| f(gain * x)).collect())
                    .expect("rows * cols elements")
            }
            Initializer::Identity { gain } => {
                if shape.len() != 2 {
                    return Err(InitError::UnsupportedShape {
                        initializer: "Identity",
                        shape: shape.to_vec(),
                        need: "exactly 2 dimensions",
                    });
                }
                let mut eye = ArrayD::zeros(dim);
                for i in 0..shape[0].min(shape[1]) {
                    eye[[i, i]] = f(gain);
                }
                eye
            }
        })
    }

    /// [`Initializer::sample`] with a fresh generator seeded by `seed` (Keras' `seed=`): the
    /// same seed gives the same array.
    pub fn sample_seeded<A: Float>(
        &self,
        shape: &[usize],
        seed: u64,
    ) -> Result<ArrayD<A>, InitError> {
        self.sample(shape, &mut StdRng::seed_from_u64(seed))
    }

    /// A `[n_in, n_out]` kernel (Dense's layout).
    pub fn kernel<A: Float, R: Rng + ?Sized>(
        &self,
        n_in: usize,
        n_out: usize,
        rng: &mut R,
    ) -> Result<Array2<A>, InitError> {
        Ok(self
            .sample(&[n_in, n_out], rng)?
            .into_dimensionality()
            .expect("2-D shape"))
    }
}

/// Normal draws with the given mean and std, redrawing any beyond 2 std (TensorFlow's
/// `truncated_normal`).
fn truncated_normal<R: Rng + ?Sized>(
    dim: IxDyn,
    mean: f64,
    stddev: f64,
    rng: &mut R,
) -> ArrayD<f64> {
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    ArrayD::from_shape_simple_fn(dim, || {
        loop {
            let z: f64 = normal.sample(rng);
            if z.abs() <= 2.0 {
                return mean + stddev * z;
            }
        }
    })
}

/// A `rows x cols` matrix with orthonormal columns (rows >= cols) or rows (rows < cols):
/// modified Gram-Schmidt (twice, for accuracy) on a normal matrix, which yields the Q of a QR
/// with positive diagonal R, as Keras' `q * sign(diag(r))`.
fn orthogonal<R: Rng + ?Sized>(rows: usize, cols: usize, rng: &mut R) -> Array2<f64> {
    let (tall, short) = (rows.max(cols), rows.min(cols));
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    let mut a = Array2::<f64>::random_using((tall, short), normal, rng);
    for j in 0..short {
        for _pass in 0..2 {
            for k in 0..j {
                let dot = a.column(j).dot(&a.column(k));
                let qk = a.column(k).to_owned();
                a.column_mut(j).scaled_add(-dot, &qk);
            }
        }
        let norm = a.column(j).dot(&a.column(j)).sqrt();
        a.column_mut(j).mapv_inplace(|x| x / norm);
    }
    if rows < cols { a.reversed_axes() } else { a }
}

impl FromStr for Initializer {
    type Err = InitError;

    /// Keras' names with default settings: `glorot_uniform`, `he_normal`, ... (see
    /// [`Initializer::NAMES`]), the CamelCase class names (`GlorotUniform`), and Keras' short
    /// aliases `normal`, `uniform`, `zero`, `one`.
    fn from_str(s: &str) -> Result<Self, InitError> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Ok(match key.as_str() {
            "glorotuniform" | "xavieruniform" => Self::glorot_uniform(),
            "glorotnormal" | "xaviernormal" => Self::glorot_normal(),
            "henormal" => Self::he_normal(),
            "heuniform" => Self::he_uniform(),
            "lecunnormal" => Self::lecun_normal(),
            "lecununiform" => Self::lecun_uniform(),
            "randomnormal" | "normal" => Initializer::RandomNormal {
                mean: 0.0,
                stddev: 0.05,
            },
            "randomuniform" | "uniform" => Initializer::RandomUniform {
                minval: -0.05,
                maxval: 0.05,
            },
            "truncatednormal" => Initializer::TruncatedNormal {
                mean: 0.0,
                stddev: 0.05,
            },
            "zeros" | "zero" => Initializer::Zeros,
            "ones" | "one" => Initializer::Ones,
            "constant" => Initializer::Constant(0.0),
            "orthogonal" => Initializer::Orthogonal { gain: 1.0 },
            "identity" => Initializer::Identity { gain: 1.0 },
            "variancescaling" => {
                Self::vs(1.0, FanMode::FanIn, ScalingDistribution::TruncatedNormal)
            }
            _ => {
                return Err(InitError::UnknownName {
                    name: s.to_string(),
                    valid: Self::NAMES.join(", "),
                });
            }
        })
    }
}
