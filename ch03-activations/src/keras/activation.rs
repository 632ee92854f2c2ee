//! Every Keras activation, with its derivative, as one value that can be parsed from a name.
//!
//! The book (section 3.2) meets three activations: the step function, the sigmoid and ReLU.
//! Keras offers many more under string names (`Dense(128, activation="relu")`); this module
//! holds all of them as one enum, [`Activation`], so that a layer can be configured from a
//! name and run forward and backward over a batch without knowing which function it holds.
//!
//! Each element-wise activation `f` comes with its derivative `f'`. A backward pass never
//! needs the Jacobian itself, only the vector-Jacobian product `dx = f'(x) * dy`; for softmax,
//! which mixes a row, that product is `dx = y * (dy - sum(dy * y))` per row.
//!
//! Where a function has a kink (ReLU at 0, relu6 at 0 and 6, hard_sigmoid at +-2.5) the
//! derivative follows TensorFlow's gradient, so that training matches Keras step for step:
//!
//! | function | at the kink |
//! |---|---|
//! | relu | `f'(0) = 0` |
//! | relu6 | `f' = 1` only on the open `0 < x < 6` |
//! | leaky_relu | slope `alpha` at 0 |
//! | hard_sigmoid | `f' = 0.2` on the closed `[-2.5, 2.5]` |
//! | elu, selu | the positive branch at 0 (`1`, `scale`) |
//!
//! ```
//! use ch03_activations::keras::Activation;
//! use ndarray::array;
//!
//! let relu: Activation = "relu".parse().unwrap();
//! let x = array![[-1.0f32, 0.0, 2.0]];
//! assert_eq!(relu.forward(&x), array![[0.0, 0.0, 2.0]]);
//! // dx = f'(x) * dy, with relu'(0) = 0 as in TensorFlow
//! let dy = array![[1.0f32, 1.0, 1.0]];
//! assert_eq!(relu.backward(&x, &relu.forward(&x), &dy), array![[0.0, 0.0, 1.0]]);
//! ```

use crate::Float;
use crate::relu::relu_scalar;
use crate::sigmoid::{sigmoid_grad_from_y, sigmoid_scalar as sigmoid};
use crate::softmax::softmax_row_into;
use ndarray::{Array2, ArrayRef2, Zip};
use std::fmt;
use std::str::FromStr;

/// SELU's `alpha` (Klambauer et al. 2017), as TensorFlow writes it.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
/// SELU's `scale` (Klambauer et al. 2017), as TensorFlow writes it.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;
/// `SELU_SCALE * SELU_ALPHA`, the constant TensorFlow's `Selu` kernel uses directly.
const SELU_SCALE_ALPHA: f64 = 1.758_099_340_847_376_859_940_217_520_812_3;
/// `sqrt(2 / pi)`, the constant of GELU's tanh approximation.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// `1 / sqrt(2 pi)`, the peak of the standard normal density (GELU's derivative).
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// An activation function as Keras names it (`"relu".parse::<Activation>()`).
///
/// Hyper-parameters are kept in `f64` and rounded to the array's scalar type when applied.
/// Every variant but [`Activation::Softmax`] is element-wise: `y[i, j] = f(x[i, j])`.
/// The formula and derivative of each are given on the variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `max(x, 0)` generalised as Keras 2 does: slope `alpha` below `threshold`, capped at `max_value`.
    ///
    /// `f(x) = clip(x if x > threshold else 0, 0, max_value) - alpha * max(threshold - x, 0)`
    /// (without `max_value`, no clipping); with `alpha != 0`, no cap and no threshold it is
    /// exactly `leaky_relu`. `f'(x) = 1` where `x > threshold` (and below the cap),
    /// `alpha` where `x < threshold`, `0` at `x = threshold = 0`.
    /// `"relu"` parses to `alpha = 0, max_value = None, threshold = 0`.
    Relu {
        alpha: f64,
        max_value: Option<f64>,
        threshold: f64,
    },
    /// `f(x) = 1 / (1 + exp(-x))`; `f'(x) = f(x) (1 - f(x))` (computed from the output).
    Sigmoid,
    /// `f(x) = tanh(x)`; `f'(x) = 1 - f(x)^2` (computed from the output).
    Tanh,
    /// Row-wise softmax over the last axis (max-shifted):
    /// `y[i, j] = exp(x[i, j] - m_i) / sum_k exp(x[i, k] - m_i)` with `m_i = max_k x[i, k]`.
    /// Its backward pass is `dx = y * (dy - sum_k(dy * y))` per row.
    Softmax,
    /// `f(x) = ln(1 + exp(x))`, switching to `x` above `-(ln(eps) + 2)` (13.94 in f32) and to
    /// `exp(x)` below `ln(eps) + 2` as TensorFlow does; `f'(x) = sigmoid(x)`.
    Softplus,
    /// `f(x) = x / (1 + |x|)`; `f'(x) = 1 / (1 + |x|)^2`.
    Softsign,
    /// `f(x) = x` for `x > 0`, `alpha (exp(x) - 1)` otherwise;
    /// `f'(x) = 1` for `x > 0`, `alpha exp(x)` otherwise (so `alpha` at 0; `1` by default).
    Elu { alpha: f64 },
    /// `f(x) = scale x` for `x >= 0`, `scale alpha (exp(x) - 1)` otherwise, with
    /// [`SELU_ALPHA`] and [`SELU_SCALE`]; `f'(x) = scale` for `x >= 0`, `f(x) + scale alpha` otherwise.
    Selu,
    /// Keras 2: `f(x) = clip(0.2 x + 0.5, 0, 1)`; `f'(x) = 0.2` on the closed `[-2.5, 2.5]`, else 0.
    HardSigmoid,
    /// `f(x) = x`; `f'(x) = 1`. What Keras uses when no activation is given.
    Linear,
    /// `f(x) = exp(x)`; `f'(x) = exp(x)`.
    Exponential,
    /// Also called SiLU: `f(x) = x sigmoid(x)`; `f'(x) = s (1 + x (1 - s))` with `s = sigmoid(x)`.
    Swish,
    /// `f(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt 2))`, the exact form Keras uses by default;
    /// `f'(x) = Phi(x) + x phi(x)` with `phi` the standard normal density.
    /// With `approximate`: `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` and its derivative.
    Gelu { approximate: bool },
    /// `f(x) = min(max(x, 0), 6)`; `f'(x) = 1` on the open `0 < x < 6`, else 0.
    Relu6,
    /// `f(x) = x` for `x > 0`, `alpha x` otherwise; `f'(x) = 1` for `x > 0`, `alpha` otherwise
    /// (`"leaky_relu"` parses to `alpha = 0.2`, TensorFlow's default).
    LeakyRelu { alpha: f64 },
    /// `f(x) = x tanh(softplus(x))`;
    /// `f'(x) = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x)` with `sp = softplus(x)`.
    Mish,
}

/// An activation name that Keras does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown activation {name:?}; valid names are: {valid}")]
pub struct UnknownActivation {
    /// The name as given.
    pub name: String,
    /// Every name that parses, comma-separated (aliases marked `alias (= name)`).
    pub valid: String,
}

/// Hyper-parameters that Keras would reject (or that would give a meaningless function).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid activation {activation}: {problem}")]
pub struct InvalidActivation {
    /// The activation as configured (its `Display`).
    pub activation: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl Activation {
    /// Checks the hyper-parameters, as Keras' layers do when they are built: every number
    /// finite, and for `relu` a non-negative `alpha` (slope) and `max_value` (cap).
    /// Parsed names always pass; call this on values built from user input.
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// let bad = Activation::Relu { alpha: 0.0, max_value: Some(-1.0), threshold: 0.0 };
    /// let err = bad.validate().unwrap_err().to_string();
    /// assert!(err.contains("max_value"), "{err}");
    /// assert!(Activation::LeakyRelu { alpha: f64::NAN }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), InvalidActivation> {
        let fail = |problem: String| {
            Err(InvalidActivation {
                activation: self.to_string(),
                problem,
            })
        };
        let finite = |what: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(format!("{what} must be a finite number, got {v}"))
            }
        };
        let check = match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } => finite("alpha", alpha)
                .and(finite("threshold", threshold))
                .and(max_value.map_or(Ok(()), |m| finite("max_value", m)))
                .and(if alpha < 0.0 {
                    Err(format!(
                        "alpha (the slope below the threshold) must be >= 0, got {alpha}"
                    ))
                } else {
                    Ok(())
                })
                .and(match max_value {
                    Some(m) if m < 0.0 => Err(format!(
                        "max_value must be >= 0 (or None for no cap), got {m}"
                    )),
                    _ => Ok(()),
                }),
            Activation::Elu { alpha } | Activation::LeakyRelu { alpha } => finite("alpha", alpha),
            _ => Ok(()),
        };
        match check {
            Ok(()) => Ok(()),
            Err(problem) => fail(problem),
        }
    }

    /// The canonical Keras names, one per variant, in the order of the enum.
    pub const NAMES: [&'static str; 16] = [
        "relu",
        "sigmoid",
        "tanh",
        "softmax",
        "softplus",
        "softsign",
        "elu",
        "selu",
        "hard_sigmoid",
        "linear",
        "exponential",
        "swish",
        "gelu",
        "relu6",
        "leaky_relu",
        "mish",
    ];

    /// Other names Keras 2 accepts, and the canonical name each stands for.
    pub const ALIASES: [(&'static str, &'static str); 1] = [("silu", "swish")];

    /// Every activation with Keras' default hyper-parameters, in the order of [`Activation::NAMES`].
    pub fn all() -> impl Iterator<Item = Activation> {
        Self::NAMES
            .iter()
            .map(|name| name.parse().expect("every listed name parses"))
    }
}

impl FromStr for Activation {
    type Err = UnknownActivation;

    /// Parses a Keras 2 activation name (`tf.keras.activations.get`) with its default
    /// hyper-parameters. Names are case-sensitive, as in Keras.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let canonical = Self::ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map_or(name, |(_, c)| *c);
        Ok(match canonical {
            "relu" => Activation::Relu {
                alpha: 0.0,
                max_value: None,
                threshold: 0.0,
            },
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax,
            "softplus" => Activation::Softplus,
            "softsign" => Activation::Softsign,
            "elu" => Activation::Elu { alpha: 1.0 },
            "selu" => Activation::Selu,
            "hard_sigmoid" => Activation::HardSigmoid,
            "linear" => Activation::Linear,
            "exponential" => Activation::Exponential,
            "swish" => Activation::Swish,
            "gelu" => Activation::Gelu { approximate: false },
            "relu6" => Activation::Relu6,
            "leaky_relu" => Activation::LeakyRelu { alpha: 0.2 },
            "mish" => Activation::Mish,
            _ => {
                let mut valid = Self::NAMES.join(", ");
                for (alias, c) in Self::ALIASES {
                    valid.push_str(&format!(", {alias} (= {c})"));
                }
                return Err(UnknownActivation {
                    name: name.to_string(),
                    valid,
                });
            }
        })
    }
}

impl fmt::Display for Activation {
    /// The Keras name, with the hyper-parameters when they differ from the defaults
    /// (`relu`, `relu(alpha=0.1, max_value=6, threshold=0)`, `gelu(approximate=true)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } if alpha != 0.0 || max_value.is_some() || threshold != 0.0 => {
                write!(f, "relu(alpha={alpha}, max_value=")?;
                match max_value {
                    Some(m) => write!(f, "{m}")?,
                    None => write!(f, "None")?,
                }
                write!(f, ", threshold={threshold})")
            }
            Activation::Elu { alpha } if alpha != 1.0 => write!(f, "elu(alpha={alpha})"),
            Activation::LeakyRelu { alpha } if alpha != 0.2 => {
                write!(f, "leaky_relu(alpha={alpha})")
            }
            Activation::Gelu { approximate: true } => write!(f, "gelu(approximate=true)"),
            _ => f.write_str(self.name()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scalar formulas. Each mirrors the TensorFlow kernel (or Keras 2 backend code) it stands for,
// including the order of the floating-point operations where that changes the last bit.
// ---------------------------------------------------------------------------------------------

#[inline]
fn tanh_grad_from_y<A: Float>(y: A) -> A {
    A::one() - y * y
}

/// TensorFlow's softplus threshold `ln(eps) + 2` (about -13.94 in f32, -34.04 in f64).
#[inline]
pub fn softplus_threshold<A: Float>() -> A {
    A::epsilon().ln() + A::of(2.0)
}

/// `ln(1 + exp(x))` as TensorFlow computes it, with `threshold` = [`softplus_threshold`]:
/// `x` above `-threshold`, `exp(x)` below `threshold`, `ln_1p(exp(x))` between. Shared with
/// ch04's `log_cosh` loss.
#[inline]
pub fn softplus<A: Float>(x: A, threshold: A) -> A {
    if x > -threshold {
        x // ln(1 + e^x) == x to within eps, and e^x could overflow
    } else if x < threshold {
        x.exp() // ln(1 + e^x) == e^x to within eps
    } else {
        x.exp().ln_1p()
    }
}

#[inline]
fn softsign<A: Float>(x: A) -> A {
    x / (A::one() + x.abs())
}

#[inline]
fn softsign_grad<A: Float>(x: A) -> A {
    let d = A::one() + x.abs();
    A::one() / (d * d)
}

/// `(f(x), f'(x))` of Keras' `elu(x, alpha)`: TensorFlow's `Elu` kernel is `exp(x) - 1`
/// (not `expm1`) for `x < 0`, its gradient `y + 1` computed from that output; Keras 2 then
/// multiplies the non-positive branch by `alpha` (`tf.where(x > 0, elu, alpha * elu)`).
#[inline]
fn elu<A: Float>(x: A, alpha: A) -> (A, A) {
    if x > A::zero() {
        (x, A::one())
    } else {
        let e = x.exp() - A::one();
        let g = if e < A::zero() {
            e + A::one()
        } else {
            A::one()
        };
        (alpha * e, alpha * g)
    }
}

/// `(f(x), f'(x))` of TensorFlow's `Selu` kernel; the gradient is `y + scale*alpha` from the output.
#[inline]
fn selu<A: Float>(x: A) -> (A, A) {
    let scale = A::of(SELU_SCALE);
    if x < A::zero() {
        let y = A::of(SELU_SCALE_ALPHA) * (x.exp() - A::one());
        let g = if y < A::zero() {
            y + A::of(SELU_SCALE_ALPHA)
        } else {
            scale
        };
        (y, g)
    } else {
        (scale * x, scale)
    }
}

/// `0.2 x + 0.5`, before Keras 2's hard_sigmoid clips it to `[0, 1]`.
#[inline]
fn hard_sigmoid_pre<A: Float>(x: A) -> A {
    A::of(0.2) * x + A::of(0.5)
}

#[inline]
fn hard_sigmoid<A: Float>(x: A) -> A {
    hard_sigmoid_pre(x).max(A::zero()).min(A::one())
}

#[inline]
fn hard_sigmoid_grad<A: Float>(x: A) -> A {
    // tf.clip_by_value passes the gradient on the closed interval [min, max].
    let t = hard_sigmoid_pre(x);
    if t >= A::zero() && t <= A::one() {
        A::of(0.2)
    } else {
        A::zero()
    }
}

#[inline]
fn swish<A: Float>(x: A) -> A {
    x * sigmoid(x)
}

/// TensorFlow's hand-written gradient of `tf.nn.silu`: `s (1 + x (1 - s))`.
#[inline]
fn swish_grad<A: Float>(x: A) -> A {
    let s = sigmoid(x);
    s * (A::one() + x * (A::one() - s))
}

/// `erf` in f64 (libm), rounded once to `A`.
#[inline]
fn erf<A: Float>(x: A) -> A {
    A::of(libm::erf(x.as_f64()))
}

#[inline]
fn gelu<A: Float>(x: A, approximate: bool) -> A {
    let half = A::of(0.5);
    if approximate {
        let u = A::of(SQRT_2_OVER_PI) * (x + A::of(0.044715) * x * x * x);
        half * x * (A::one() + u.tanh())
    } else {
        half * x * (A::one() + erf(x / A::of(std::f64::consts::SQRT_2)))
    }
}

#[inline]
fn gelu_grad<A: Float>(x: A, approximate: bool) -> A {
    let half = A::of(0.5);
    if approximate {
        let c = A::of(0.044715);
        let k = A::of(SQRT_2_OVER_PI);
        let t = (k * (x + c * x * x * x)).tanh();
        half * (A::one() + t)
            + half * x * (A::one() - t * t) * k * (A::one() + A::of(3.0) * c * x * x)
    } else {
        // d/dx [x Phi(x)] = Phi(x) + x phi(x)
        let cdf = half * (A::one() + erf(x / A::of(std::f64::consts::SQRT_2)));
        cdf + x * A::of(INV_SQRT_2PI) * (-(half * x * x)).exp()
    }
}

#[inline]
fn relu6<A: Float>(x: A) -> A {
    x.max(A::zero()).min(A::of(6.0))
}

#[inline]
fn relu6_grad<A: Float>(x: A) -> A {
    if x > A::zero() && x < A::of(6.0) {
        A::one()
    } else {
        A::zero()
    }
}

#[inline]
fn leaky_relu<A: Float>(x: A, alpha: A) -> A {
    if x > A::zero() { x } else { alpha * x }
}

#[inline]
fn leaky_relu_grad<A: Float>(x: A, alpha: A) -> A {
    if x > A::zero() { A::one() } else { alpha }
}

#[inline]
fn mish<A: Float>(x: A, threshold: A) -> A {
    x * softplus(x, threshold).tanh()
}

#[inline]
fn mish_grad<A: Float>(x: A, threshold: A) -> A {
    // The chain rule through softplus (whose gradient is sigmoid) and tanh (1 - t^2).
    let t = softplus(x, threshold).tanh();
    t + x * (A::one() - t * t) * sigmoid(x)
}

/// Keras 2's general `relu(x, alpha, max_value, threshold)` with its parameters in `A`.
#[derive(Clone, Copy)]
struct ReluParams<A> {
    alpha: A,
    max_value: Option<A>,
    threshold: A,
    /// `alpha != 0` with no cap and no threshold: Keras calls `tf.nn.leaky_relu`.
    leaky: bool,
    /// `max_value == 6` with no threshold: Keras calls `tf.nn.relu6` (gradient 0 at 6).
    relu6: bool,
}

impl<A: Float> ReluParams<A> {
    fn new(alpha: f64, max_value: Option<f64>, threshold: f64) -> Self {
        ReluParams {
            alpha: A::of(alpha),
            max_value: max_value.map(A::of),
            threshold: A::of(threshold),
            leaky: alpha != 0.0 && max_value.is_none() && threshold == 0.0,
            relu6: threshold == 0.0 && max_value == Some(6.0),
        }
    }

    /// True for plain `max(x, 0)`, the hot path.
    fn is_plain(&self) -> bool {
        self.alpha == A::zero() && self.max_value.is_none() && self.threshold == A::zero()
    }

    /// The same steps as `tf_keras.backend.relu`, in the same order.
    #[inline]
    fn value(&self, x: A) -> A {
        let zero = A::zero();
        if self.leaky {
            return leaky_relu(x, self.alpha);
        }
        let mut y = if self.threshold != zero {
            if x > self.threshold { x } else { zero }
        } else if self.relu6 {
            relu6(x)
        } else {
            relu_scalar(x)
        };
        if let (Some(m), false) = (self.max_value, self.relu6) {
            y = y.max(zero).min(m);
        }
        if self.alpha != zero {
            y = y - self.alpha * (self.threshold - x).max(zero);
        }
        y
    }

    /// The gradient TensorFlow's autodiff takes through [`ReluParams::value`]'s steps.
    #[inline]
    fn derivative(&self, x: A) -> A {
        let zero = A::zero();
        if self.leaky {
            return leaky_relu_grad(x, self.alpha);
        }
        let (pre, mut g) = if self.threshold != zero {
            // x * cast(x > threshold): the cast has no gradient
            if x > self.threshold {
                (x, A::one())
            } else {
                (zero, zero)
            }
        } else if self.relu6 {
            (relu6(x), relu6_grad(x))
        } else if x > zero {
            (x, A::one()) // relu'(0) = 0
        } else {
            (zero, zero)
        };
        if let (Some(m), false) = (self.max_value, self.relu6) {
            // clip_by_value passes the gradient on the closed [0, max_value]
            if !(pre >= zero && pre <= m) {
                g = zero;
            }
        }
        if self.alpha != zero && self.threshold - x > zero {
            g = g + self.alpha;
        }
        g
    }
}

/// `y[i] = f(x[i])` over two equally shaped arrays, one tight loop per `f`.
#[inline]
fn map_into<A: Float>(x: &ArrayRef2<A>, y: &mut ArrayRef2<A>, f: impl Fn(A) -> A) {
    Zip::from(y).and(x).for_each(|y, &x| *y = f(x));
}

/// `dx[i] = dy[i] * g(x[i])`.
#[inline]
fn vjp_into<A: Float>(
    x: &ArrayRef2<A>,
    dy: &ArrayRef2<A>,
    dx: &mut ArrayRef2<A>,
    g: impl Fn(A) -> A,
) {
    Zip::from(dx)
        .and(x)
        .and(dy)
        .for_each(|dx, &x, &dy| *dx = dy * g(x));
}

/// Row-wise max-shifted softmax of `x` into `y` (both (N, D)), allocating nothing: the book's
/// softmax kernel ([`softmax_row_into`]) on each row.
fn softmax_rows_into<A: Float>(x: &ArrayRef2<A>, y: &mut ArrayRef2<A>) {
    Zip::from(y.rows_mut())
        .and(x.rows())
        .for_each(|mut y_row, x_row| {
            softmax_row_into(&x_row, &mut y_row);
        });
}

/// `dx = y * (dy - sum(dy * y))` row by row: the softmax Jacobian `diag(y) - y y^T` applied to `dy`.
fn softmax_rows_backward_into<A: Float>(
    y: &ArrayRef2<A>,
    dy: &ArrayRef2<A>,
    dx: &mut ArrayRef2<A>,
) {
    Zip::from(dx.rows_mut())
        .and(y.rows())
        .and(dy.rows())
        .for_each(|mut dx_row, y_row, dy_row| {
            let dot = Zip::from(&y_row)
                .and(&dy_row)
                .fold(A::zero(), |acc, &y, &dy| acc + y * dy);
            Zip::from(&mut dx_row)
                .and(&y_row)
                .and(&dy_row)
                .for_each(|dx, &y, &dy| *dx = y * (dy - dot));
        });
}

fn assert_same_shape<A>(what: &str, a: &ArrayRef2<A>, b: &ArrayRef2<A>) {
    assert!(
        a.shape() == b.shape(),
        "Activation: {what} has shape {:?} but x has shape {:?}",
        b.shape(),
        a.shape()
    );
}

impl Activation {
    /// The Keras name (`"relu"`, `"softmax"`, ...), without hyper-parameters (see `Display`).
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// assert_eq!("silu".parse::<Activation>().unwrap().name(), "swish");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Relu { .. } => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softmax => "softmax",
            Activation::Softplus => "softplus",
            Activation::Softsign => "softsign",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::HardSigmoid => "hard_sigmoid",
            Activation::Linear => "linear",
            Activation::Exponential => "exponential",
            Activation::Swish => "swish",
            Activation::Gelu { .. } => "gelu",
            Activation::Relu6 => "relu6",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Mish => "mish",
        }
    }

    /// True for every activation except softmax, which mixes a row.
    pub fn is_elementwise(&self) -> bool {
        !matches!(self, Activation::Softmax)
    }

    /// `f(x)` of an element-wise activation. Panics for softmax (not element-wise).
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// assert_eq!(Activation::Sigmoid.value(0.0f64), 0.5);
    /// assert_eq!(Activation::HardSigmoid.value(1.0f32), 0.7);
    /// ```
    pub fn value<A: Float>(&self, x: A) -> A {
        match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } => ReluParams::new(alpha, max_value, threshold).value(x),
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            Activation::Softmax => panic!(
                "softmax is not element-wise: use Activation::forward on a whole row or batch"
            ),
            Activation::Softplus => softplus(x, softplus_threshold()),
            Activation::Softsign => softsign(x),
            Activation::Elu { alpha } => elu(x, A::of(alpha)).0,
            Activation::Selu => selu(x).0,
            Activation::HardSigmoid => hard_sigmoid(x),
            Activation::Linear => x,
            Activation::Exponential => x.exp(),
            Activation::Swish => swish(x),
            Activation::Gelu { approximate } => gelu(x, approximate),
            Activation::Relu6 => relu6(x),
            Activation::LeakyRelu { alpha } => leaky_relu(x, A::of(alpha)),
            Activation::Mish => mish(x, softplus_threshold()),
        }
    }

    /// `f'(x)` of an element-wise activation, with TensorFlow's convention at kinks.
    /// Panics for softmax (its derivative is a Jacobian: use [`Activation::backward`]).
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// assert_eq!(Activation::Sigmoid.derivative(0.0f64), 0.25);
    /// let relu: Activation = "relu".parse().unwrap();
    /// assert_eq!(relu.derivative(0.0f32), 0.0); // TensorFlow: relu'(0) = 0
    /// ```
    pub fn derivative<A: Float>(&self, x: A) -> A {
        match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } => ReluParams::new(alpha, max_value, threshold).derivative(x),
            Activation::Sigmoid => sigmoid_grad_from_y(sigmoid(x)),
            Activation::Tanh => tanh_grad_from_y(x.tanh()),
            Activation::Softmax => panic!(
                "softmax is not element-wise: its derivative is a Jacobian; use Activation::backward"
            ),
            Activation::Softplus => sigmoid(x),
            Activation::Softsign => softsign_grad(x),
            Activation::Elu { alpha } => elu(x, A::of(alpha)).1,
            Activation::Selu => selu(x).1,
            Activation::HardSigmoid => hard_sigmoid_grad(x),
            Activation::Linear => A::one(),
            Activation::Exponential => x.exp(),
            Activation::Swish => swish_grad(x),
            Activation::Gelu { approximate } => gelu_grad(x, approximate),
            Activation::Relu6 => relu6_grad(x),
            Activation::LeakyRelu { alpha } => leaky_relu_grad(x, A::of(alpha)),
            Activation::Mish => mish_grad(x, softplus_threshold()),
        }
    }

    /// `y = f(x)` for a batch `x` of shape (N, D); softmax works row by row. Returns (N, D).
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// use ndarray::array;
    /// let x = array![[-1.0f64, 0.0, 1.0], [1.0, 1.0, 1.0]];
    /// let y = Activation::Softmax.forward(&x);
    /// assert!((y[[0, 2]] - 0.6652409557748219).abs() < 1e-15); // e / (1/e + 1 + e)
    /// assert_eq!(y.row(1).to_vec(), vec![1.0 / 3.0; 3]);
    /// let hs = Activation::HardSigmoid.forward(&x);
    /// assert_eq!(hs.row(0).to_vec(), vec![0.3, 0.5, 0.7]);
    /// ```
    pub fn forward<A: Float>(&self, x: &ArrayRef2<A>) -> Array2<A> {
        let mut y = Array2::zeros(x.raw_dim());
        self.forward_into(x, &mut y);
        y
    }

    /// `y = f(x)` written into `y` (same shape as `x`), allocating nothing.
    ///
    /// Panics if the shapes differ (a bug in the calling layer).
    pub fn forward_into<A: Float>(&self, x: &ArrayRef2<A>, y: &mut ArrayRef2<A>) {
        assert_same_shape("the output y", x, y);
        match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } => {
                let p = ReluParams::<A>::new(alpha, max_value, threshold);
                if p.is_plain() {
                    map_into(x, y, relu_scalar);
                } else {
                    map_into(x, y, |x| p.value(x));
                }
            }
            Activation::Sigmoid => map_into(x, y, sigmoid),
            Activation::Tanh => map_into(x, y, |x| x.tanh()),
            Activation::Softmax => softmax_rows_into(x, y),
            Activation::Softplus => {
                let t = softplus_threshold();
                map_into(x, y, |x| softplus(x, t));
            }
            Activation::Softsign => map_into(x, y, softsign),
            Activation::Elu { alpha } => {
                let a = A::of(alpha);
                map_into(x, y, |x| elu(x, a).0);
            }
            Activation::Selu => map_into(x, y, |x| selu(x).0),
            Activation::HardSigmoid => map_into(x, y, hard_sigmoid),
            Activation::Linear => y.assign(x),
            Activation::Exponential => map_into(x, y, |x| x.exp()),
            Activation::Swish => map_into(x, y, swish),
            Activation::Gelu { approximate } => map_into(x, y, |x| gelu(x, approximate)),
            Activation::Relu6 => map_into(x, y, relu6),
            Activation::LeakyRelu { alpha } => {
                let a = A::of(alpha);
                map_into(x, y, |x| leaky_relu(x, a));
            }
            Activation::Mish => {
                let t = softplus_threshold();
                map_into(x, y, |x| mish(x, t));
            }
        }
    }

    /// The vector-Jacobian product a backward pass needs: `dx = dy * f'(x)` element-wise,
    /// and for softmax `dx = y * (dy - sum(dy * y, row))`. `x` is the input, `y = f(x)`.
    /// All of shape (N, D); returns `dx` of shape (N, D).
    ///
    /// ```
    /// use ch03_activations::keras::Activation;
    /// use ndarray::array;
    /// let x = array![[0.0f64, 0.0]];
    /// let sig = Activation::Sigmoid;
    /// let y = sig.forward(&x); // [[0.5, 0.5]]
    /// // sigmoid'(0) = 0.25, so dx = 0.25 * dy
    /// assert_eq!(sig.backward(&x, &y, &array![[1.0, -2.0]]), array![[0.25, -0.5]]);
    /// // softmax of two equal inputs is [0.5, 0.5]; pushing one output up and the other
    /// // down by the same amount moves the inputs by y (dy - y.dy) = 0.5 * (+-1 - 0)
    /// let sm = Activation::Softmax;
    /// let y = sm.forward(&x);
    /// assert_eq!(sm.backward(&x, &y, &array![[1.0, -1.0]]), array![[0.5, -0.5]]);
    /// ```
    pub fn backward<A: Float>(
        &self,
        x: &ArrayRef2<A>,
        y: &ArrayRef2<A>,
        dy: &ArrayRef2<A>,
    ) -> Array2<A> {
        let mut dx = Array2::zeros(x.raw_dim());
        self.backward_into(x, y, dy, &mut dx);
        dx
    }

    /// Like [`Activation::backward`], written into `dx`, allocating nothing.
    ///
    /// All four arrays have the same shape (N, D); `y` must be `f(x)` as computed by
    /// [`Activation::forward_into`]: sigmoid, tanh, exponential and softmax read their
    /// derivative from the output, as TensorFlow does. Panics if the shapes differ.
    pub fn backward_into<A: Float>(
        &self,
        x: &ArrayRef2<A>,
        y: &ArrayRef2<A>,
        dy: &ArrayRef2<A>,
        dx: &mut ArrayRef2<A>,
    ) {
        assert_same_shape("y", x, y);
        assert_same_shape("dy", x, dy);
        assert_same_shape("dx", x, dx);
        match *self {
            Activation::Relu {
                alpha,
                max_value,
                threshold,
            } => {
                let p = ReluParams::<A>::new(alpha, max_value, threshold);
                if p.is_plain() {
                    let zero = A::zero();
                    Zip::from(dx)
                        .and(x)
                        .and(dy)
                        .for_each(|dx, &x, &dy| *dx = if x > zero { dy } else { zero });
                } else {
                    vjp_into(x, dy, dx, |x| p.derivative(x));
                }
            }
            // From the output: the same arithmetic as derivative(x), without a second exp.
            Activation::Sigmoid => vjp_into(y, dy, dx, sigmoid_grad_from_y),
            Activation::Tanh => vjp_into(y, dy, dx, tanh_grad_from_y),
            Activation::Exponential => vjp_into(y, dy, dx, |y| y),
            Activation::Softmax => softmax_rows_backward_into(y, dy, dx),
            Activation::Softplus => vjp_into(x, dy, dx, sigmoid),
            Activation::Softsign => vjp_into(x, dy, dx, softsign_grad),
            Activation::Elu { alpha } => {
                let a = A::of(alpha);
                vjp_into(x, dy, dx, |x| elu(x, a).1);
            }
            Activation::Selu => vjp_into(x, dy, dx, |x| selu(x).1),
            Activation::HardSigmoid => vjp_into(x, dy, dx, hard_sigmoid_grad),
            Activation::Linear => dx.assign(dy),
            Activation::Swish => vjp_into(x, dy, dx, swish_grad),
            Activation::Gelu { approximate } => vjp_into(x, dy, dx, |x| gelu_grad(x, approximate)),
            Activation::Relu6 => vjp_into(x, dy, dx, relu6_grad),
            Activation::LeakyRelu { alpha } => {
                let a = A::of(alpha);
                vjp_into(x, dy, dx, |x| leaky_relu_grad(x, a));
            }
            Activation::Mish => {
                let t = softplus_threshold();
                vjp_into(x, dy, dx, |x| mish_grad(x, t));
            }
        }
    }
}
