//! The whole TwoLayerNet: backprop against central differences (the harness, 1e-6 relative)
//! and against ch04's `numerical_gradient` (the book's gradient_check), over random sizes.

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::{Differentiable, check};
use ch05_backprop::{Layer, Mode, ParamMut, TwoLayerNet};
use ndarray::{Array1, Array2, array};
use proptest::prelude::*;
use rand::{SeedableRng, rngs::StdRng};

const TOL: f64 = 1e-6;

/// The net's loss on a fixed batch, as a function of its four parameters.
#[derive(Debug)]
struct NetObjective {
    net: TwoLayerNet<f64>,
    x: Array2<f64>,
    labels: Array1<usize>,
}

impl Differentiable for NetObjective {
    fn value(&mut self) -> f64 {
        self.net
            .loss(&self.x, Labels::Sparse(self.labels.view()))
            .unwrap()
    }
    fn value_and_gradient(&mut self) -> f64 {
        self.net
            .forward_backward(&self.x, Labels::Sparse(self.labels.view()))
            .unwrap()
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.net.for_each_param(f);
    }
}

/// A random net and batch whose hidden pre-activations `x W1 + b1` all stay at least 0.2
/// away from ReLU's kink (b1 is shifted column by column to make it so).
fn net_case() -> impl Strategy<Value = NetObjective> {
    (1usize..5, 1usize..6, 1usize..6, 2usize..5, any::<u64>()).prop_map(
        |(n, input, hidden, output, seed)| {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut net = TwoLayerNet::<f64>::new(input, hidden, output, 1.0, &mut rng).unwrap();
            let x = TwoLayerNet::<f64>::new(n, input, 1, 1.0, &mut rng)
                .unwrap()
                .affine1
                .w;
            let labels = Array1::from_shape_fn(n, |i| (seed as usize / (i + 1)) % output);
            let xw = x.dot(&net.affine1.w);
            for j in 0..hidden {
                let col = xw.column(j);
                net.affine1.b[j] = [0.0, 0.45, -0.45, 0.9, -0.9, 1.35, -1.35, 1.8, -1.8, 2.25]
                    .into_iter()
                    .find(|b| col.iter().all(|v| (v + b).abs() >= 0.2))
                    .expect(
                        "with at most 4 samples one of 10 shifts keeps them all 0.2 away from 0",
                    );
            }
            net.affine2
                .b
                .assign(&Array1::from_shape_fn(output, |k| 0.1 * k as f64));
            NetObjective { net, x, labels }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn the_whole_net_passes_the_gradient_check(mut objective in net_case()) {
        let report = check(&mut objective);
        let names: Vec<&str> = report.errors.iter().map(|e| e.name.as_str()).collect();
        prop_assert_eq!(names, ["W1", "b1", "W2", "b2"]);
        prop_assert!(report.ensure_below(TOL).is_ok(), "{}", report);
    }

    // The book's gradient_check.py: backprop vs ch04's h = 1e-4 central differences.
    #[test]
    fn backprop_agrees_with_ch04s_numerical_gradient(mut objective in net_case()) {
        let t = Labels::Sparse(objective.labels.view());
        let backprop = objective.net.gradient(&objective.x, t).unwrap();
        let numerical = objective.net.numerical_gradient(&objective.x, t).unwrap();
        let mean_abs = |a: &ndarray::ArrayRef<f64, ndarray::IxDyn>, b: &ndarray::ArrayRef<f64, ndarray::IxDyn>| {
            (a - b).mapv(f64::abs).mean().unwrap()
        };
        prop_assert!(mean_abs(&backprop.w1.into_dyn(), &numerical.w1.into_dyn()) < 1e-7);
        prop_assert!(mean_abs(&backprop.b1.into_dyn(), &numerical.b1.into_dyn()) < 1e-7);
        prop_assert!(mean_abs(&backprop.w2.into_dyn(), &numerical.w2.into_dyn()) < 1e-7);
        prop_assert!(mean_abs(&backprop.b2.into_dyn(), &numerical.b2.into_dyn()) < 1e-7);
    }
}

#[test]
fn one_hot_and_index_labels_give_the_same_gradient() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut net = TwoLayerNet::<f64>::new(4, 6, 3, 0.5, &mut rng).unwrap();
    let x = array![[0.1, -0.2, 0.3, 0.9], [1.0, 0.5, -0.5, 0.0]];
    let idx = array![2usize, 0];
    let one_hot = array![[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]];
    let a = net.gradient(&x, Labels::Sparse(idx.view())).unwrap();
    let b = net.gradient(&x, Labels::Dense(one_hot.view())).unwrap();
    assert_eq!(a, b);
}

#[test]
fn sgd_with_backprop_learns_a_separable_problem() {
    // Two clusters, at (+1, +1) and (-1, -1) plus a fixed pattern of offsets.
    let n = 40;
    let x = Array2::from_shape_fn((n, 2), |(i, j)| {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        sign + 0.3 * (((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.5)
    });
    let t = Array1::from_shape_fn(n, |i| i % 2);
    let mut net = TwoLayerNet::<f64>::new(2, 8, 2, 0.1, &mut StdRng::seed_from_u64(0)).unwrap();
    let first = net.loss(&x, Labels::Sparse(t.view())).unwrap();
    for _ in 0..200 {
        net.forward_backward(&x, Labels::Sparse(t.view())).unwrap();
        net.for_each_param(&mut |mut p| p.value.scaled_add(-0.5, &p.grad));
    }
    let last = net.loss(&x, Labels::Sparse(t.view())).unwrap();
    assert!(first > 0.6 && last < 0.01, "loss {first} -> {last}");
    assert_eq!(net.accuracy(&x, Labels::Sparse(t.view())).unwrap(), 1.0);
}

#[test]
fn the_first_affine_layer_skips_its_input_gradient() {
    let mut net = TwoLayerNet::<f32>::new(3, 4, 2, 0.1, &mut StdRng::seed_from_u64(0)).unwrap();
    assert!(!net.affine1.needs_input_grad());
    assert!(net.affine2.needs_input_grad());
    // a layer used alone still gives dx
    net.affine2.forward(&Array2::ones((1, 4)), Mode::Train);
    let dx = net.affine2.backward(&Array2::ones((1, 2)));
    assert_eq!(dx.dim(), (1, 4));
}

#[test]
fn bad_inputs_are_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    assert!(TwoLayerNet::<f64>::new(0, 4, 2, 0.01, &mut rng).is_err());
    assert!(TwoLayerNet::<f64>::new(3, 4, 2, -1.0, &mut rng).is_err());
    let mut net = TwoLayerNet::<f64>::new(3, 4, 2, 0.01, &mut rng).unwrap();
    let err = net
        .loss(
            &Array2::zeros((2, 5)),
            Labels::Sparse(array![0usize, 1].view()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("expected (N, 3)"), "{err}");
    let err = net
        .loss(
            &Array2::zeros((2, 3)),
            Labels::Sparse(array![0usize, 2].view()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("label 2 of sample 1"), "{err}");
    let err = net
        .accuracy(
            &Array2::zeros((2, 3)),
            Labels::Sparse(array![0usize].view()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("1 labels for 2 samples"), "{err}");
    assert!(
        TwoLayerNet::from_params(
            Array2::<f64>::zeros((3, 4)),
            Array1::zeros(4),
            Array2::zeros((5, 2)),
            Array1::zeros(2)
        )
        .is_err()
    );
}
