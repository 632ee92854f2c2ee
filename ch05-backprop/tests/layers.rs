//! Gradient checks of the book's layers (Affine, Relu, Sigmoid, SoftmaxWithLoss) over random
//! shapes and values, in f64, against fourth-order central differences.

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::{Differentiable, LayerObjective, check};
use ch05_backprop::{Affine, Layer, Mode, ParamMut, Relu, Sigmoid, SoftmaxWithLoss};
use ndarray::{Array1, Array2, array};
use proptest::prelude::*;
use test_support::strategies::matrix;

const TOL: f64 = 1e-6;

/// A matrix with entries in [-2, -0.05] or [0.05, 2]: at least 50 steps h from ReLU's kink.
fn matrix_off_zero(rows: usize, cols: usize) -> impl Strategy<Value = Array2<f64>> {
    matrix(rows, cols, -2.0, 2.0).prop_map(|m| {
        m.mapv(|v| {
            if v.abs() < 0.05 {
                v.signum() * 0.05 + v
            } else {
                v
            }
        })
    })
}

fn affine_case() -> impl Strategy<Value = (Array2<f64>, Array1<f64>, Array2<f64>, Array2<f64>)> {
    (1usize..5, 1usize..6, 1usize..5).prop_flat_map(|(n, d_in, d_out)| {
        (
            matrix(d_in, d_out, -2.0, 2.0),
            matrix(1, d_out, -2.0, 2.0).prop_map(|m| m.row(0).to_owned()),
            matrix(n, d_in, -2.0, 2.0),
            matrix(n, d_out, -2.0, 2.0),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn affine_gradients_match_central_differences((w, b, x, dout) in affine_case()) {
        let mut objective = LayerObjective::new(Affine::new(w, b).unwrap(), x, dout);
        let report = check(&mut objective);
        prop_assert_eq!(report.errors.len(), 3); // x, W, b
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn affine_without_input_grad_still_fills_dw_and_db((w, b, x, dout) in affine_case()) {
        let mut affine = Affine::new(w, b).unwrap();
        affine.set_needs_input_grad(false);
        let mut objective = LayerObjective::new(affine, x, dout);
        objective.check_input = false;
        let report = check(&mut objective);
        prop_assert_eq!(report.errors.len(), 2); // W, b
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn relu_gradient_matches_away_from_the_kink(
        (x, dout) in (1usize..5, 1usize..7).prop_flat_map(|(n, d)| (matrix_off_zero(n, d), matrix(n, d, -2.0, 2.0)))
    ) {
        let report = check(&mut LayerObjective::new(Relu::new(), x, dout));
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn sigmoid_gradient_matches(
        (x, dout) in (1usize..5, 1usize..7).prop_flat_map(|(n, d)| (matrix(n, d, -2.0, 2.0).prop_map(|m| m * 2.0), matrix(n, d, -2.0, 2.0)))
    ) {
        let report = check(&mut LayerObjective::new(Sigmoid::new(), x, dout));
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn softmax_with_loss_gradient_matches_for_class_indices(
        (z, labels, weights, smoothing) in (1usize..6, 2usize..6).prop_flat_map(|(n, c)| (
            matrix(n, c, -2.0, 2.0).prop_map(|m| m * 2.0),
            prop::collection::vec(0..c, n),
            prop::option::of(prop::collection::vec(0.1..3.0f64, n)),
            prop_oneof![Just(0.0), 0.0..0.3f64],
        ))
    ) {
        let mut objective = SoftmaxObjective {
            layer: SoftmaxWithLoss::with_label_smoothing(smoothing).unwrap(),
            z,
            grad: Array2::zeros((0, 0)),
            dense: None,
            sparse: Array1::from(labels),
            weights: weights.map(Array1::from),
        };
        let report = check(&mut objective);
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    #[test]
    fn softmax_with_loss_gradient_matches_for_dense_targets(
        (z, t, weights, smoothing) in (1usize..6, 2usize..6).prop_flat_map(|(n, c)| (
            matrix(n, c, -2.0, 2.0).prop_map(|m| m * 2.0),
            // any non-negative targets: the gradient y * sum(t) - t holds beyond one-hot rows
            matrix(n, c, -2.0, 2.0).prop_map(|m| m.mapv(f64::abs)),
            prop::option::of(prop::collection::vec(0.1..3.0f64, n)),
            prop_oneof![Just(0.0), 0.0..0.3f64],
        ))
    ) {
        let mut objective = SoftmaxObjective {
            layer: SoftmaxWithLoss::with_label_smoothing(smoothing).unwrap(),
            z,
            grad: Array2::zeros((0, 0)),
            dense: Some(t),
            sparse: Array1::zeros(0),
            weights: weights.map(Array1::from),
        };
        let report = check(&mut objective);
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }
}

/// The fused layer as a function of its logits: the harness checks any `Differentiable`.
struct SoftmaxObjective {
    layer: SoftmaxWithLoss<f64>,
    z: Array2<f64>,
    grad: Array2<f64>,
    dense: Option<Array2<f64>>,
    sparse: Array1<usize>,
    weights: Option<Array1<f64>>,
}

impl Differentiable for SoftmaxObjective {
    fn value(&mut self) -> f64 {
        let labels = match &self.dense {
            Some(t) => Labels::Dense(t.view()),
            None => Labels::Sparse(self.sparse.view()),
        };
        self.layer
            .forward_weighted(&self.z, labels, self.weights.as_deref())
            .unwrap()
    }

    fn value_and_gradient(&mut self) -> f64 {
        let v = self.value();
        self.layer.backward_into(&mut self.grad);
        v
    }

    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        f(ParamMut {
            name: "logits",
            value: self.z.view_mut().into_dyn(),
            grad: self.grad.view_mut().into_dyn(),
        });
    }
}

// The book's printed `(y - t) / batch_size`, checked literally for one-hot labels: both label
// forms give the same loss and the same gradient.
#[test]
fn softmax_with_loss_one_hot_and_indices_agree() {
    let z: Array2<f64> = array![[0.3, 2.9, 4.0], [1.0, -1.0, 0.0]];
    let one_hot = array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
    let idx = array![2usize, 0];
    let mut a = SoftmaxWithLoss::new();
    let mut b = SoftmaxWithLoss::new();
    let la = a.forward(&z, Labels::Dense(one_hot.view())).unwrap();
    let lb = b.forward(&z, Labels::Sparse(idx.view())).unwrap();
    assert!((la - lb).abs() < 1e-15);
    let y = a.output().clone();
    let expected = (&y - &one_hot) / 2.0;
    assert!((a.backward() - &expected).iter().all(|v| v.abs() < 1e-15));
    assert!((b.backward() - &expected).iter().all(|v| v.abs() < 1e-15));
    // softmax rows sum to 1 and the loss is the mean of -log y[label]
    for row in y.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-15);
    }
    let mean_nll = -(y[[0, 2]].ln() + y[[1, 0]].ln()) / 2.0;
    assert!((la - mean_nll).abs() < 1e-14);
}

#[test]
fn softmax_with_loss_survives_huge_logits() {
    // exp(1000) overflows; the max-shift and log-sum-exp keep everything finite.
    let z: Array2<f64> = array![[1000.0, 0.0, -1000.0]];
    let mut last = SoftmaxWithLoss::new();
    let loss = last
        .forward(&z, Labels::Sparse(array![1usize].view()))
        .unwrap();
    assert!((loss - 1000.0).abs() < 1e-9, "loss {loss}");
    assert!(last.backward().iter().all(|v| v.is_finite()));
}

#[test]
fn softmax_with_loss_rejects_bad_labels_with_a_useful_message() {
    let z = Array2::<f32>::zeros((2, 3));
    let mut last = SoftmaxWithLoss::new();
    let err = last
        .forward(&z, Labels::Sparse(array![0usize, 3].view()))
        .unwrap_err();
    assert!(err.to_string().contains("label 3 of sample 1"), "{err}");
    assert!(err.to_string().contains("0..=2"), "{err}");
    let t = Array2::<f32>::zeros((2, 4));
    let err = last.forward(&z, Labels::Dense(t.view())).unwrap_err();
    assert!(err.to_string().contains("(2, 4)"), "{err}");
    let err = last
        .forward(&z, Labels::Sparse(array![0usize].view()))
        .unwrap_err();
    assert!(err.to_string().contains("1 labels for 2 rows"), "{err}");
    let w = array![1.0f32];
    let err = last
        .forward_weighted(&z, Labels::Sparse(array![0usize, 1].view()), Some(&w))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("1 sample weights for a batch of 2"),
        "{err}"
    );
    assert!(SoftmaxWithLoss::<f32>::with_label_smoothing(1.5).is_err());
}

#[test]
fn affine_rejects_a_bias_of_the_wrong_length() {
    let err = Affine::new(Array2::<f64>::zeros((3, 2)), Array1::zeros(3)).unwrap_err();
    assert!(err.to_string().contains("one entry per column"), "{err}");
}

#[test]
fn affine_backward_without_input_grad_leaves_an_empty_dx() {
    let mut affine = Affine::new(array![[1.0f32, 2.0]], array![0.0, 0.0]).unwrap();
    affine.set_needs_input_grad(false);
    affine.forward(&array![[3.0]], Mode::Train);
    let dx = affine.backward(&array![[1.0, 1.0]]);
    assert_eq!(dx.dim(), (0, 0));
    assert_eq!(affine.dw, array![[3.0, 3.0]]);
}

#[test]
fn affine_keeps_its_buffers_across_steps() {
    // allocation-free once shaped: the output, the kept input and dx keep their storage
    let mut affine = Affine::new(Array2::<f64>::ones((4, 3)), Array1::zeros(3)).unwrap();
    let x = Array2::<f64>::ones((5, 4));
    let mut out = Array2::zeros((0, 0));
    let mut dx = Array2::zeros((0, 0));
    affine.forward_into(&x, Mode::Train, &mut out);
    affine.backward_into(&Array2::ones((5, 3)), &mut dx);
    let (p_out, p_dx, p_x, p_dw) = (
        out.as_ptr(),
        dx.as_ptr(),
        affine.cached_input().as_ptr(),
        affine.dw.as_ptr(),
    );
    for _ in 0..3 {
        affine.forward_into(&x, Mode::Train, &mut out);
        affine.backward_into(&Array2::ones((5, 3)), &mut dx);
    }
    assert_eq!(out.as_ptr(), p_out);
    assert_eq!(dx.as_ptr(), p_dx);
    assert_eq!(affine.cached_input().as_ptr(), p_x);
    assert_eq!(affine.dw.as_ptr(), p_dw);
    assert_eq!(out, Array2::from_elem((5, 3), 4.0));
}

#[test]
fn eval_mode_keeps_nothing_and_backward_after_it_panics() {
    let x = array![[1.0, -2.0]];
    let mut affine = Affine::new(array![[1.0], [1.0]], array![0.0]).unwrap();
    assert_eq!(affine.forward(&x, Mode::Eval), array![[-1.0]]);
    assert_eq!(affine.cached_input().dim(), (0, 0)); // nothing copied for inference
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        affine.backward(&array![[1.0]])
    }));
    assert!(result.is_err());
    // the same forward in Train mode makes backward work
    affine.forward(&x, Mode::Train);
    assert_eq!(affine.backward(&array![[1.0]]), array![[1.0, 1.0]]);

    let mut relu = Relu::new();
    let y: Array2<f64> = relu.forward(&x, Mode::Eval);
    assert_eq!(y, array![[1.0, 0.0]]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Layer::<f64>::backward(&mut relu, &array![[1.0, 1.0]])
    }));
    assert!(result.is_err());
    let mut sigmoid = Sigmoid::new();
    assert_eq!(sigmoid.forward(&array![[0.0]], Mode::Eval), array![[0.5]]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sigmoid.backward(&array![[1.0]])
    }));
    assert!(result.is_err());
}
