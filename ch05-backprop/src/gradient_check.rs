//! Gradient checks (book 5.7.3): is backprop's gradient the true derivative?
//!
//! Backprop is fast but easy to get wrong; the numerical gradient of chapter 4 is slow but
//! hard to get wrong. A gradient check computes both and compares them, array by array.
//!
//! Anything with parameters and a scalar objective can be checked: it implements
//! [`Differentiable`]. Adapters make one from a [`Layer`] ([`LayerObjective`]: the objective
//! `f = sum(layer(x) * dout)` for a fixed random `dout`, whose gradient is exactly what
//! `backward(dout)` returns) and from a ch04 [`Loss`] ([`LossObjective`]: the reduced loss as a
//! function of the prediction). [`check`] then reports, per array, the worst relative error:
//!
//! ```text
//! rel_k = |a_k - n_k| / max(|a_k|, |n_k|, REL_FLOOR)        a = backprop, n = numerical
//! ```
//!
//! The numerical derivative is a central difference in f64. The book's two-point form
//! `(f(x+h) - f(x-h)) / 2h` with `h = 1e-4` (ch04's `numerical_gradient`) is accurate to about
//! 1e-8, fine for the book's `gradient_check` printout but too coarse to prove agreement to
//! 1e-6 in relative terms: its error is `h^2 f'''(x) / 6`, and `f'''` is large near the poles
//! of `log p` and `1 / p` that every cross-entropy has. The harness therefore takes the same
//! central difference at shrinking steps and extrapolates to `h -> 0` (Richardson
//! extrapolation, in Ridders' adaptive form, as in Numerical Recipes' `dfridr`):
//!
//! ```text
//! D(h)   = (f(x+h) - f(x-h)) / 2h                 = f'(x) + c1 h^2 + c2 h^4 + ...
//! D(h/c) for c = 1.4, 1.4^2, ...; combining D(h) and D(h/c) cancels the h^2 term, and so on,
//! stopping when the estimates stop improving; the spread of the last ones is the error bound.
//! h0     = 0.01 max(|x|, 0.1)
//! ```
//!
//! The estimate is typically good to 1e-12 or better, far below the 1e-6 tolerance, while a
//! wrong backward (a missing factor, a transposed product, a dropped term) shows up as an
//! error of order 1. Keep inputs more than `h0` away from kinks (ReLU at 0, clipping bounds),
//! where no derivative exists.
//!
//! ```
//! use ch05_backprop::gradient_check::{LayerObjective, check};
//! use ch05_backprop::Sigmoid;
//! use ndarray::array;
//!
//! let x = array![[0.3, -1.2], [2.0, 0.5]];
//! let dout = array![[1.0, -0.5], [0.25, 2.0]];
//! let mut objective = LayerObjective::new(Sigmoid::new(), x, dout);
//! let report = check(&mut objective);
//! assert!(report.worst() < 1e-9, "{report}");
//! ```

use crate::layer::{Layer, Mode, ParamMut};
use ch04_loss_gradient::keras::Loss;
use ch04_loss_gradient::{Labels, LossError};
use ndarray::{Array1, Array2, ArrayViewMutD, Zip};
use std::fmt;

/// The relative first step of the central differences: `h0 = STEP * max(|x|, 0.1)`.
pub const STEP: f64 = 1e-2;

/// The first step used at `x`: [`STEP`] times `|x|`, but at least `STEP * 0.1`.
pub fn step_for(x: f64) -> f64 {
    STEP * x.abs().max(0.1)
}

/// Below this magnitude a gradient element is compared in absolute terms, so that elements
/// that are (nearly) zero do not turn rounding noise into huge relative errors.
pub const REL_FLOOR: f64 = 1e-4;

/// A scalar function of some parameter arrays, with an analytic gradient to be checked.
pub trait Differentiable {
    /// The objective at the current parameter values.
    fn value(&mut self) -> f64;

    /// The objective, leaving the analytic (backprop) gradient in every parameter's `grad`.
    fn value_and_gradient(&mut self) -> f64;

    /// Visits every parameter (value and gradient), always in the same order.
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>));
}

/// How far backprop's gradient is from the numerical one for one parameter array.
#[derive(Debug, Clone, PartialEq)]
pub struct GradError {
    /// The parameter's name (`"x"` for a layer's input).
    pub name: String,
    /// The number of elements compared.
    pub len: usize,
    /// `max_k |a_k - n_k| / max(|a_k|, |n_k|, REL_FLOOR)`; infinite if the shapes differ.
    pub max_rel_error: f64,
    /// `max_k |a_k - n_k|`.
    pub max_abs_error: f64,
    /// `mean_k |a_k - n_k|`, what the book's `gradient_check.py` prints.
    pub mean_abs_diff: f64,
    /// The flat (row-major) index of the element with the largest relative error.
    pub worst_index: usize,
    /// The largest error bound the numerical differentiation gave for itself (0 if the
    /// numerical gradient came from elsewhere).
    pub numerical_error: f64,
}

/// The result of a gradient check: one [`GradError`] per parameter, in visiting order.
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheck {
    pub errors: Vec<GradError>,
}

impl GradCheck {
    /// The largest relative error over all parameters (0 if there are none).
    pub fn worst(&self) -> f64 {
        self.errors
            .iter()
            .map(|e| e.max_rel_error)
            .fold(0.0, f64::max)
    }

    /// `Ok` if every parameter's worst relative error is below `tolerance` (NaN fails),
    /// otherwise an error message listing the report.
    pub fn ensure_below(&self, tolerance: f64) -> Result<(), String> {
        if self.errors.iter().all(|e| e.max_rel_error < tolerance) {
            Ok(())
        } else {
            Err(format!(
                "gradient check failed (tolerance {tolerance:e}):\n{self}"
            ))
        }
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<8} {:>8} {:>14} {:>14} {:>14} {:>14}",
            "param", "size", "max rel err", "max abs err", "mean abs diff", "num. err bound"
        )?;
        for e in &self.errors {
            writeln!(
                f,
                "{:<8} {:>8} {:>14.3e} {:>14.3e} {:>14.3e} {:>14.3e}",
                e.name, e.len, e.max_rel_error, e.max_abs_error, e.mean_abs_diff, e.numerical_error
            )?;
        }
        Ok(())
    }
}

/// Compares an analytic gradient with a numerical one, element by element (same order).
pub fn compare(name: &str, analytic: &[f64], numerical: &[f64]) -> GradError {
    if analytic.len() != numerical.len() {
        return GradError {
            name: format!(
                "{name} (backprop gave {} values for {})",
                analytic.len(),
                numerical.len()
            ),
            len: numerical.len(),
            max_rel_error: f64::INFINITY,
            max_abs_error: f64::INFINITY,
            mean_abs_diff: f64::INFINITY,
            worst_index: 0,
            numerical_error: 0.0,
        };
    }
    let mut e = GradError {
        name: name.to_string(),
        len: analytic.len(),
        max_rel_error: 0.0,
        max_abs_error: 0.0,
        mean_abs_diff: 0.0,
        worst_index: 0,
        numerical_error: 0.0,
    };
    for (k, (&a, &n)) in analytic.iter().zip(numerical).enumerate() {
        let abs = (a - n).abs();
        let rel = abs / a.abs().max(n.abs()).max(REL_FLOOR);
        // A NaN must fail a check, never pass it: it counts as an infinite error.
        let rel = if rel.is_nan() { f64::INFINITY } else { rel };
        if rel > e.max_rel_error {
            e.max_rel_error = rel;
            e.worst_index = k;
        }
        e.max_abs_error = e.max_abs_error.max(abs);
        e.mean_abs_diff += abs;
    }
    if e.len > 0 {
        e.mean_abs_diff /= e.len as f64;
    }
    e
}

/// `f'(x)` by central differences extrapolated to step 0 (Ridders' method), with an
/// estimate of its own error: returns `(derivative, error)`. `f(d)` evaluates the function at
/// `x + d`; `h0` is the first (largest) step.
///
/// ```
/// use ch05_backprop::gradient_check::central_difference;
/// let x = 0.05_f64; // near the pole of ln: the book's h = 1e-4 difference is off by 1e-5
/// let (d, err) = central_difference(1e-3, |dx| (x + dx).ln());
/// assert!((d - 1.0 / x).abs() < 1e-10 && err < 1e-9);
/// ```
pub fn central_difference(h0: f64, mut f: impl FnMut(f64) -> f64) -> (f64, f64) {
    const SHRINK: f64 = 1.4;
    const SHRINK2: f64 = SHRINK * SHRINK;
    const ROUNDS: usize = 10;
    // tableau[j][i]: the estimate from step h0 / SHRINK^i after j rounds of extrapolation
    let mut tableau = [[0.0f64; ROUNDS]; ROUNDS];
    let mut h = h0;
    tableau[0][0] = (f(h) - f(-h)) / (2.0 * h);
    let (mut best, mut err) = (tableau[0][0], f64::INFINITY);
    for i in 1..ROUNDS {
        h /= SHRINK;
        tableau[0][i] = (f(h) - f(-h)) / (2.0 * h);
        let mut factor = SHRINK2;
        for j in 1..=i {
            // cancel the next even power of h between two neighbouring estimates
            tableau[j][i] = (tableau[j - 1][i] * factor - tableau[j - 1][i - 1]) / (factor - 1.0);
            factor *= SHRINK2;
            let e = (tableau[j][i] - tableau[j - 1][i])
                .abs()
                .max((tableau[j][i] - tableau[j - 1][i - 1]).abs());
            if e <= err {
                err = e;
                best = tableau[j][i];
            }
        }
        // rounding has started to win over truncation: smaller steps only get worse
        if (tableau[i][i] - tableau[i - 1][i - 1]).abs() >= 2.0 * err {
            break;
        }
    }
    (best, err)
}

/// Sets element `k` (row-major) of parameter number `p` to `v`, returning the old value.
fn set_element<M: Differentiable + ?Sized>(m: &mut M, p: usize, k: usize, v: f64) -> f64 {
    let mut index = 0;
    let mut old = f64::NAN;
    m.for_each_param(&mut |pm| {
        if index == p {
            let slot = element_mut(pm.value, k);
            old = *slot;
            *slot = v;
        }
        index += 1;
    });
    old
}

/// Element `k` (row-major) of parameter number `p`.
fn get_element<M: Differentiable + ?Sized>(m: &mut M, p: usize, k: usize) -> f64 {
    let mut index = 0;
    let mut value = f64::NAN;
    m.for_each_param(&mut |pm| {
        if index == p {
            value = *element_mut(pm.value, k);
        }
        index += 1;
    });
    value
}

fn element_mut(value: ArrayViewMutD<'_, f64>, k: usize) -> &mut f64 {
    if value.is_standard_layout() {
        &mut value.into_slice().expect("standard layout is contiguous")[k]
    } else {
        value
            .into_iter()
            .nth(k)
            .expect("flat index inside the array")
    }
}

/// Runs a gradient check: backprop once, then the central difference of every element of
/// every parameter, and the comparison per parameter.
pub fn check<M: Differentiable + ?Sized>(m: &mut M) -> GradCheck {
    m.value_and_gradient();
    let mut analytic: Vec<(String, Vec<f64>)> = Vec::new();
    m.for_each_param(&mut |pm| {
        analytic.push((pm.name.to_string(), pm.grad.iter().copied().collect()));
    });
    let mut sizes = Vec::new();
    m.for_each_param(&mut |pm| sizes.push(pm.value.len()));

    let mut errors = Vec::new();
    for (p, (name, a)) in analytic.iter().enumerate() {
        let mut numerical_error = 0.0f64;
        let numerical: Vec<f64> = (0..sizes[p])
            .map(|k| {
                let x0 = get_element(m, p, k);
                let (d, err) = central_difference(step_for(x0), |delta| {
                    set_element(m, p, k, x0 + delta);
                    m.value()
                });
                set_element(m, p, k, x0);
                numerical_error = numerical_error.max(err);
                d
            })
            .collect();
        let mut e = compare(name, a, &numerical);
        e.numerical_error = numerical_error;
        errors.push(e);
    }
    GradCheck { errors }
}

/// A layer under test: `f(x, params) = sum(layer.forward(x) * dout)`.
///
/// Its gradient with respect to `x` is `backward(dout)` and with respect to each parameter
/// the gradient `backward` leaves: the objective makes a layer's vector-Jacobian product the
/// gradient of a scalar. Parameters checked: `"x"` (unless switched off), then the layer's own.
pub struct LayerObjective<L> {
    pub layer: L,
    /// The input, shape (N, D_in).
    pub x: Array2<f64>,
    /// The fixed upstream gradient, shape (N, D_out).
    pub dout: Array2<f64>,
    /// Whether `x` is checked (off for an `Affine` whose `dx` is switched off).
    pub check_input: bool,
    dx: Array2<f64>,
    out: Array2<f64>,
}

impl<L: Layer<f64>> LayerObjective<L> {
    /// The objective `sum(layer(x) * dout)`.
    pub fn new(layer: L, x: Array2<f64>, dout: Array2<f64>) -> Self {
        LayerObjective {
            layer,
            x,
            dout,
            check_input: true,
            dx: Array2::zeros((0, 0)),
            out: Array2::zeros((0, 0)),
        }
    }
}

impl<L: Layer<f64>> Differentiable for LayerObjective<L> {
    fn value(&mut self) -> f64 {
        self.layer.forward_into(&self.x, Mode::Train, &mut self.out);
        assert_eq!(
            self.out.dim(),
            self.dout.dim(),
            "LayerObjective: dout must have the shape of the layer's output"
        );
        Zip::from(&self.out)
            .and(&self.dout)
            .fold(0.0, |acc, &o, &g| acc + o * g)
    }

    fn value_and_gradient(&mut self) -> f64 {
        let v = self.value();
        self.layer.backward_into(&self.dout, &mut self.dx);
        v
    }

    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        if self.check_input {
            f(ParamMut {
                name: "x",
                value: self.x.view_mut().into_dyn(),
                grad: self.dx.view_mut().into_dyn(),
            });
        }
        self.layer.for_each_param(f);
    }
}

/// A ch04 loss as a function of the prediction: `f(y_pred) = loss.compute(y_true, y_pred, w)`,
/// its gradient by [`loss_gradient`](fn@crate::keras::loss_gradient). The one parameter checked is `"y_pred"`.
pub struct LossObjective<'a> {
    pub loss: Loss,
    pub y_true: Labels<'a, f64>,
    /// The prediction, shape (N, D).
    pub y_pred: Array2<f64>,
    pub sample_weight: Option<Array1<f64>>,
    grad: Array2<f64>,
}

impl<'a> LossObjective<'a> {
    /// The objective, after checking once that the loss accepts these labels and weights.
    pub fn new(
        loss: Loss,
        y_true: Labels<'a, f64>,
        y_pred: Array2<f64>,
        sample_weight: Option<Array1<f64>>,
    ) -> Result<Self, LossError> {
        loss.compute(y_true, &y_pred, sample_weight.as_deref())?;
        Ok(LossObjective {
            loss,
            y_true,
            y_pred,
            sample_weight,
            grad: Array2::zeros((0, 0)),
        })
    }
}

impl Differentiable for LossObjective<'_> {
    fn value(&mut self) -> f64 {
        self.loss
            .compute(self.y_true, &self.y_pred, self.sample_weight.as_deref())
            .expect("checked in LossObjective::new")
    }

    fn value_and_gradient(&mut self) -> f64 {
        crate::keras::loss_gradient(
            &self.loss,
            self.y_true,
            &self.y_pred,
            self.sample_weight.as_deref(),
            &mut self.grad,
        )
        .expect("checked in LossObjective::new");
        self.value()
    }

    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            name: "y_pred",
            value: self.y_pred.view_mut().into_dyn(),
            grad: self.grad.view_mut().into_dyn(),
        });
    }
}

/// The mean absolute difference `np.average(np.abs(a - b))` that the book's
/// `gradient_check.py` prints per parameter (NaN for empty or mismatched arrays).
///
/// ```
/// use ch05_backprop::gradient_check::mean_abs_diff;
/// use ndarray::array;
/// assert_eq!(mean_abs_diff(&array![1.0, 2.0], &array![1.5, 1.0]), 0.75);
/// ```
pub fn mean_abs_diff<D: ndarray::Dimension>(
    a: &ndarray::ArrayRef<f64, D>,
    b: &ndarray::ArrayRef<f64, D>,
) -> f64 {
    if a.shape() != b.shape() || a.is_empty() {
        return f64::NAN;
    }
    Zip::from(a)
        .and(b)
        .fold(0.0, |acc, &x, &y| acc + (x - y).abs())
        / a.len() as f64
}

/// A float as the book's Python 2 prints it (`str(x)`, that is `'%.12g' % x`): 12
/// significant digits, trailing zeros dropped, exponent form below 1e-4 or from 1e12, with a
/// sign and at least two exponent digits. The book's `b1:9.70418809871e-13` has this form.
///
/// ```
/// use ch05_backprop::gradient_check::book_float;
/// assert_eq!(book_float(9.704188098712345e-13), "9.70418809871e-13");
/// assert_eq!(book_float(1.19459997450012e-10), "1.1945999745e-10");
/// assert_eq!(book_float(0.5), "0.5");
/// assert_eq!(book_float(2.0), "2.0");
/// ```
pub fn book_float(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}").to_lowercase();
    }
    if x == 0.0 {
        return "0.0".to_string();
    }
    let sci = format!("{x:.11e}"); // 12 significant digits, e.g. 9.70418809871e-13
    let (mantissa, exp) = sci.split_once('e').expect("{:e} always has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if !(-4..12).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exp.abs())
    } else {
        let decimals = usize::try_from(11 - exp).unwrap_or(0);
        let fixed = trim(&format!("{x:.decimals$}"));
        // Python's str() of a whole float keeps one decimal: 2.0
        if fixed.contains('.') {
            fixed
        } else {
            format!("{fixed}.0")
        }
    }
}
