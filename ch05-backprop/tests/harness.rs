//! The gradient check must be able to fail: deliberately wrong backward passes are rejected,
//! and the report names the parameter that is wrong.

use ch05_backprop::gradient_check::{
    Differentiable, LayerObjective, central_difference, check, compare,
};
use ch05_backprop::{Affine, Layer, Mode, ParamMut};
use ndarray::{Array2, ArrayRef2, array};

const TOL: f64 = 1e-6;

/// A sigmoid whose backward forgets the `(1 - y)` factor: `dx = dout * y`.
#[derive(Default)]
struct SigmoidMissingFactor {
    y: Array2<f64>,
}

impl Layer<f64> for SigmoidMissingFactor {
    fn forward_into(&mut self, x: &ArrayRef2<f64>, _mode: Mode, out: &mut Array2<f64>) {
        self.y = x.mapv(|v| 1.0 / (1.0 + (-v).exp()));
        *out = self.y.clone();
    }
    fn backward_into(&mut self, dout: &ArrayRef2<f64>, dx: &mut Array2<f64>) {
        *dx = dout.to_owned() * &self.y;
    }
}

/// An Affine layer whose bias gradient is averaged over the batch instead of summed.
struct AffineMeanBias(Affine<f64>);

impl Layer<f64> for AffineMeanBias {
    fn forward_into(&mut self, x: &ArrayRef2<f64>, mode: Mode, out: &mut Array2<f64>) {
        self.0.forward_into(x, mode, out);
    }
    fn backward_into(&mut self, dout: &ArrayRef2<f64>, dx: &mut Array2<f64>) {
        self.0.backward_into(dout, dx);
        let n = dout.nrows() as f64;
        self.0.db.mapv_inplace(|v| v / n);
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.0.for_each_param(f);
    }
}

/// An Affine layer whose dW is computed from the wrong product, `x^T dout` transposed back
/// and forth into `(dout^T x)^T` but scaled by 1.001: a small error the check must still see.
struct AffineSlightlyOff(Affine<f64>);

impl Layer<f64> for AffineSlightlyOff {
    fn forward_into(&mut self, x: &ArrayRef2<f64>, mode: Mode, out: &mut Array2<f64>) {
        self.0.forward_into(x, mode, out);
    }
    fn backward_into(&mut self, dout: &ArrayRef2<f64>, dx: &mut Array2<f64>) {
        self.0.backward_into(dout, dx);
        self.0.dw.mapv_inplace(|v| v * 1.001);
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.0.for_each_param(f);
    }
}

fn x() -> Array2<f64> {
    array![[0.3, -1.2, 0.7], [2.0, 0.5, -0.4]]
}

#[test]
fn a_sigmoid_backward_missing_a_factor_is_rejected() {
    let dout = array![[1.0, -0.5, 0.3], [0.25, 2.0, -1.0]];
    let report = check(&mut LayerObjective::new(
        SigmoidMissingFactor::default(),
        x(),
        dout,
    ));
    assert!(report.ensure_below(TOL).is_err());
    assert!(report.errors[0].max_rel_error > 0.1, "{report}");
}

#[test]
fn a_wrong_bias_gradient_is_rejected_and_named() {
    let affine = Affine::new(
        array![[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]],
        array![0.1, -0.1],
    )
    .unwrap();
    let dout = array![[1.0, -0.5], [0.25, 2.0]];
    let report = check(&mut LayerObjective::new(AffineMeanBias(affine), x(), dout));
    let names: Vec<&str> = report.errors.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["x", "W", "b"]);
    assert!(report.errors[0].max_rel_error < TOL, "{report}");
    assert!(report.errors[1].max_rel_error < TOL, "{report}");
    assert!(report.errors[2].max_rel_error > 0.4, "{report}"); // off by a factor of 2
    let message = report.ensure_below(TOL).unwrap_err();
    assert!(message.contains("b "), "{message}");
}

#[test]
fn even_a_tenth_of_a_percent_is_rejected() {
    let affine = Affine::new(
        array![[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]],
        array![0.1, -0.1],
    )
    .unwrap();
    let dout = array![[1.0, -0.5], [0.25, 2.0]];
    let report = check(&mut LayerObjective::new(
        AffineSlightlyOff(affine),
        x(),
        dout,
    ));
    assert!(report.errors[1].max_rel_error > 5e-4, "{report}");
    assert!(report.ensure_below(TOL).is_err());
}

/// A loss gradient that forgets Keras' 1/N: right for a batch of 1, wrong for more.
struct MseWithoutMean {
    p: Array2<f64>,
    t: Array2<f64>,
    grad: Array2<f64>,
}

impl Differentiable for MseWithoutMean {
    fn value(&mut self) -> f64 {
        let n = self.p.nrows() as f64;
        (&self.p - &self.t).mapv(|e| e * e).sum() / n
    }
    fn value_and_gradient(&mut self) -> f64 {
        self.grad = (&self.p - &self.t) * 2.0;
        self.value()
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            name: "y_pred",
            value: self.p.view_mut().into_dyn(),
            grad: self.grad.view_mut().into_dyn(),
        });
    }
}

#[test]
fn a_loss_gradient_missing_the_batch_mean_is_rejected() {
    let t = array![[1.0], [0.0], [2.0]];
    let mut m = MseWithoutMean {
        p: array![[0.5], [0.5], [0.5]],
        t: t.clone(),
        grad: Array2::zeros((0, 0)),
    };
    let report = check(&mut m);
    assert!(report.worst() > 0.5, "{report}"); // off by a factor of 3
    // the same code is right for one sample: the check does not reject correct gradients
    let mut one = MseWithoutMean {
        p: array![[0.5]],
        t: array![[1.0]],
        grad: Array2::zeros((0, 0)),
    };
    assert!(check(&mut one).ensure_below(TOL).is_ok());
}

#[test]
fn nan_gradients_fail_and_mismatched_shapes_fail() {
    let e = compare("w", &[1.0, f64::NAN], &[1.0, 2.0]);
    assert!(e.max_rel_error.is_infinite());
    let e = compare("w", &[1.0], &[1.0, 2.0]);
    assert!(e.max_rel_error.is_infinite());
    assert!(e.name.contains("backprop gave 1 values for 2"));
}

#[test]
fn the_numerical_derivative_beats_the_books_difference_near_a_pole() {
    // d/dx ln x at x = 0.02: the book's h = 1e-4 central difference is off by h^2/(3 x^3) ~ 4e-4
    let x = 0.02_f64;
    let h = 1e-4;
    let book = ((x + h).ln() - (x - h).ln()) / (2.0 * h);
    assert!((book - 50.0).abs() > 1e-4);
    let (d, err) = central_difference(1e-3, |dx| (x + dx).ln());
    assert!((d - 50.0).abs() < 1e-9, "{d}");
    assert!(err < 1e-8, "error bound {err}");
}
