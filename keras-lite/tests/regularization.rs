//! Regularizers as Keras adds them: the penalties in the loss (checked against the formula
//! computed by hand in f64) and their gradients in the update (checked through ch05's
//! gradient-check harness: backprop's gradient, read from one SGD step with lr = 1, against
//! central differences of the loss `train_on_batch` reports, see `common::ModelObjective`).
//! Constraints after each update, inside `fit` too.

mod common;

use ch05_backprop::gradient_check::{Differentiable, GradCheck, check};
use ch06_optimizers_init::keras::SGD;
use common::ModelObjective;
use keras_lite::constraints::Constraint;
use keras_lite::layers::{Dense, InputLayer};
use keras_lite::regularizers::Regularizer;
use keras_lite::{NO_METRICS, Sequential};
use ndarray::{Array1, Array2, ArrayD, Axis, IxDyn};

const NAMES: [&str; 4] = ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"];

/// Weights with |w| >= 0.1 (away from the kink of L1), mixed signs, fixed.
fn weights(shape: &[usize], salt: usize) -> ArrayD<f32> {
    let n: usize = shape.iter().product();
    let v: Vec<f32> = (0..n)
        .map(|i| {
            let k = (i * 7 + salt * 3) % 11;
            let m = 0.1 + 0.06 * k as f32;
            if (i + salt).is_multiple_of(3) { -m } else { m }
        })
        .collect();
    ArrayD::from_shape_vec(IxDyn(shape), v).unwrap()
}

/// Kernel, bias and activity regularizers of one layer.
type Regs = [Option<Regularizer>; 3];

struct Setup {
    /// (units, activation, regularizers) of the hidden and the output layer.
    layers: [(usize, &'static str, Regs); 2],
    loss: &'static str,
    x: Array2<f32>,
    y: Array2<f32>,
}

fn dense(units: usize, activation: &str, regs: Regs, name: &str) -> Dense {
    let mut d = Dense::new(units).activation(activation).name(name);
    if let Some(r) = regs[0] {
        d = d.kernel_regularizer(r);
    }
    if let Some(r) = regs[1] {
        d = d.bias_regularizer(r);
    }
    if let Some(r) = regs[2] {
        d = d.activity_regularizer(r);
    }
    d
}

fn build(s: &Setup) -> Sequential {
    let [(u1, a1, r1), (u2, a2, r2)] = s.layers;
    let mut m = Sequential::new(vec![
        InputLayer::new(&[s.x.ncols()]).into(),
        dense(u1, a1, r1, "hidden").into(),
        dense(u2, a2, r2, "out").into(),
    ]);
    // SGD with learning rate 1: the update is w -= grad, so the gradient can be read back.
    m.compile(SGD::<f32>::new(1.0, 0.0, false), s.loss, NO_METRICS)
        .unwrap();
    let shapes = m.get_weights().unwrap();
    let w: Vec<ArrayD<f32>> = shapes
        .iter()
        .enumerate()
        .map(|(i, a)| weights(a.shape(), i))
        .collect();
    m.set_weights(&w).unwrap();
    m
}

/// The model's loss over its four weight arrays (see `common::ModelObjective`).
fn objective(model: Sequential, s: &Setup) -> ModelObjective {
    let checked = NAMES.iter().copied().enumerate().collect();
    ModelObjective::new(model, s.x.clone(), s.y.clone(), checked)
}

/// A regression net with every kind of penalty on both layers.
fn regression() -> Setup {
    let x = Array2::from_shape_fn((5, 3), |(i, j)| ((i * 3 + j) as f32 * 0.37).sin());
    let y = Array2::from_shape_fn((5, 2), |(i, j)| ((i + 2 * j) as f32 * 0.5).cos());
    Setup {
        layers: [
            (
                4,
                "tanh",
                [
                    Some(Regularizer::L1L2 { l1: 0.05, l2: 0.1 }),
                    Some(Regularizer::L2(0.2)),
                    Some(Regularizer::L1(0.3)),
                ],
            ),
            (
                2,
                "linear",
                [
                    Some(Regularizer::L1(0.07)),
                    Some(Regularizer::L1(0.04)),
                    Some(Regularizer::L2(0.15)),
                ],
            ),
        ],
        loss: "mse",
        x,
        y,
    }
}

/// A softmax classifier (the fused softmax + cross-entropy path) with penalties.
fn classifier() -> Setup {
    let x = Array2::from_shape_fn((6, 3), |(i, j)| ((i * 5 + j) as f32 * 0.61).cos());
    let y = Array2::from_shape_fn((6, 1), |(i, _)| (i % 3) as f32);
    Setup {
        layers: [
            (
                4,
                "tanh",
                [Some(Regularizer::L2(0.1)), None, Some(Regularizer::L2(0.2))],
            ),
            (
                3,
                "softmax",
                [Some(Regularizer::L1L2 { l1: 0.02, l2: 0.05 }), None, None],
            ),
        ],
        loss: "sparse_categorical_crossentropy",
        x,
        y,
    }
}

fn l1(a: &ArrayD<f64>) -> f64 {
    a.iter().map(|v| v.abs()).sum()
}
fn l2(a: &ArrayD<f64>) -> f64 {
    a.iter().map(|v| v * v).sum()
}
fn pen(r: Regularizer, a: &ArrayD<f64>) -> f64 {
    match r {
        Regularizer::L1(k) => k * l1(a),
        Regularizer::L2(k) => k * l2(a),
        Regularizer::L1L2 { l1: a1, l2: a2 } => a1 * l1(a) + a2 * l2(a),
    }
}

/// The loss Keras minimises, by hand in f64: the data loss (mean over the batch) + weight
/// penalties + activity penalties divided by the batch size.
fn keras_loss(s: &Setup, w: &[ArrayD<f64>]) -> f64 {
    let x = s.x.mapv(f64::from);
    let n = x.nrows() as f64;
    let as2 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<ndarray::Ix2>().unwrap();
    let as1 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<ndarray::Ix1>().unwrap();
    let h = (x.dot(&as2(&w[0])) + as1(&w[1])).mapv(f64::tanh);
    let z = h.dot(&as2(&w[2])) + as1(&w[3]);
    let (data, out) = if s.loss == "mse" {
        let y = s.y.mapv(f64::from);
        ((&z - &y).mapv(|d| d * d).mean().unwrap(), z.clone())
    } else {
        let p = z.map_axis(Axis(1), |row| {
            let m = row.iter().cloned().fold(f64::MIN, f64::max);
            let e: Array1<f64> = row.mapv(|v| (v - m).exp());
            &e / e.sum()
        });
        let p = Array2::from_shape_fn((z.nrows(), z.ncols()), |(i, j)| p[i][j]);
        let ce: f64 = (0..p.nrows())
            .map(|i| -p[[i, s.y[[i, 0]] as usize]].ln())
            .sum::<f64>()
            / n;
        (ce, p)
    };
    let mut total = data;
    let outputs = [h.into_dyn(), out.into_dyn()];
    for (layer, (_, _, regs)) in s.layers.iter().enumerate() {
        if let Some(r) = regs[0] {
            total += pen(r, &w[2 * layer]);
        }
        if let Some(r) = regs[1] {
            total += pen(r, &w[2 * layer + 1]);
        }
        if let Some(r) = regs[2] {
            total += pen(r, &outputs[layer]) / n;
        }
    }
    total
}

fn report(s: &Setup) -> GradCheck {
    let model = build(s);
    check(&mut objective(model, s))
}

#[test]
fn penalties_are_added_to_the_loss_as_keras_adds_them() {
    for s in [regression(), classifier()] {
        let mut m = build(&s);
        let w: Vec<ArrayD<f64>> = m
            .get_weights()
            .unwrap()
            .iter()
            .map(|a| a.mapv(f64::from))
            .collect();
        let want = keras_loss(&s, &w);
        let got = m.test_on_batch(&s.x, &s.y, None).unwrap()["loss"];
        assert!(
            (got - want).abs() < 1e-5 * want.abs(),
            "{}: loss {got} but Keras' formula gives {want}",
            s.loss
        );
        // train_on_batch reports the same loss (before its update).
        let trained = m.train_on_batch(&s.x, &s.y, None).unwrap()["loss"];
        assert!((trained - got).abs() < 1e-6 * got.abs());
    }
}

#[test]
fn penalty_gradients_pass_the_ch05_gradient_check() {
    for s in [regression(), classifier()] {
        let r = report(&s);
        // f32 forward passes limit the central differences to about 5e-5 in absolute terms
        // (a few 1e-3 relative on the smallest elements); a missing factor or a penalty left
        // out of the gradient is an error of order 1e-1 (see the next test).
        r.ensure_below(1e-2)
            .unwrap_or_else(|e| panic!("{}: {e}", s.loss));
        assert_eq!(r.errors.len(), 4);
    }
}

#[test]
fn the_gradient_check_notices_a_gradient_without_its_penalty() {
    // The analytic gradient of a model whose kernel penalty is weaker than the one in the
    // objective must fail the check: the harness is sharp enough to see regularization.
    let s = regression();
    let mut weak = regression();
    weak.layers[0].2[0] = Some(Regularizer::L1L2 { l1: 0.05, l2: 0.05 });
    let mut right = objective(build(&s), &s);
    right.value_and_gradient();
    let wrong = {
        let mut o = objective(build(&weak), &s);
        o.value_and_gradient();
        o.grads
    };
    let numerical = {
        let mut o = objective(build(&s), &s);
        let mut n = Vec::new();
        let mut index = 0;
        let sizes: Vec<usize> = o.weights.iter().map(|p| p.len()).collect();
        for (p, size) in sizes.iter().enumerate() {
            let mut d = Vec::new();
            for k in 0..*size {
                let x0 = o.weights[p].as_slice().unwrap()[k];
                let h = 1e-2 * x0.abs().max(0.1);
                o.weights[p].as_slice_mut().unwrap()[k] = x0 + h;
                let up = o.value();
                o.weights[p].as_slice_mut().unwrap()[k] = x0 - h;
                let down = o.value();
                o.weights[p].as_slice_mut().unwrap()[k] = x0;
                d.push((up - down) / (2.0 * h));
            }
            n.push(d);
            index += 1;
        }
        assert_eq!(index, 4);
        n
    };
    let kernel_right = ch05_backprop::gradient_check::compare(
        "hidden/kernel",
        right.grads[0].as_slice().unwrap(),
        &numerical[0],
    );
    let kernel_wrong = ch05_backprop::gradient_check::compare(
        "hidden/kernel",
        wrong[0].as_slice().unwrap(),
        &numerical[0],
    );
    assert!(kernel_right.max_rel_error < 2e-2, "{kernel_right:?}");
    assert!(kernel_wrong.max_rel_error > 5e-2, "{kernel_wrong:?}");
}

#[test]
fn constraints_hold_after_every_update() {
    let x = Array2::from_shape_fn((8, 3), |(i, j)| ((i * 3 + j) as f32 * 0.9).sin() * 3.0);
    let y = Array2::from_shape_fn((8, 2), |(i, j)| ((i + j) as f32).cos() * 5.0);
    let mut m = Sequential::new(vec![
        InputLayer::new(&[3]).into(),
        Dense::new(4)
            .kernel_constraint(Constraint::MaxNorm {
                max_value: 0.5,
                axis: 0,
            })
            .bias_constraint(Constraint::NonNeg)
            .into(),
        Dense::new(2)
            .kernel_constraint(Constraint::UnitNorm { axis: 0 })
            .into(),
    ]);
    m.compile(SGD::<f32>::new(0.5, 0.0, false), "mse", NO_METRICS)
        .unwrap();
    for _ in 0..5 {
        m.train_on_batch(&x, &y, None).unwrap();
        let w = m.get_weights().unwrap();
        for col in w[0]
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
            .columns()
        {
            let norm = col.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!(norm <= 0.5 + 1e-5, "max_norm: column norm {norm}");
        }
        assert!(w[1].iter().all(|&b| b >= 0.0), "non_neg: {:?}", w[1]);
        for col in w[2]
            .view()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
            .columns()
        {
            let norm = col.iter().map(|v| v * v).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "unit_norm: column norm {norm}");
        }
    }
}

/// Checks every constraint of the model below after each batch `fit` trains.
#[derive(Default)]
struct ConstraintWatcher {
    batches: usize,
    violations: Vec<String>,
}

/// The Euclidean norm of each column (Keras' constraints act on axis 0: per output unit).
fn column_norms(w: &ArrayD<f32>) -> Vec<f32> {
    w.view()
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .columns()
        .into_iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f32>().sqrt())
        .collect()
}

impl keras_lite::callbacks::Callback for ConstraintWatcher {
    fn on_train_batch_end(
        &mut self,
        m: &mut Sequential,
        batch: usize,
        _logs: &keras_lite::Logs,
    ) -> keras_lite::Result<()> {
        self.batches += 1;
        let w = m.get_weights()?;
        let mut bad = |what: &str, ok: bool, detail: String| {
            if !ok {
                self.violations
                    .push(format!("batch {batch}: {what}: {detail}"));
            }
        };
        let n = column_norms(&w[0]);
        bad(
            "max_norm",
            n.iter().all(|&v| v <= 0.5 + 1e-5),
            format!("{n:?}"),
        );
        bad(
            "non_neg",
            w[1].iter().all(|&b| b >= 0.0),
            format!("{:?}", w[1]),
        );
        let n = column_norms(&w[2]);
        bad(
            "unit_norm",
            n.iter().all(|&v| (v - 1.0).abs() < 1e-5),
            format!("{n:?}"),
        );
        let n = column_norms(&w[4]);
        bad(
            "min_max_norm",
            n.iter().all(|&v| (0.8 - 1e-5..=1.2 + 1e-5).contains(&v)),
            format!("{n:?}"),
        );
        Ok(())
    }
}

/// Three Dense layers: max_norm(0.5) kernel and non_neg bias, unit_norm kernel,
/// min_max_norm(0.8, 1.2) kernel; or the same layers without constraints.
fn constrained(with_constraints: bool) -> Sequential {
    let c = |c: Constraint| with_constraints.then_some(c);
    let dense = |units: usize, act: &str, kernel: Option<Constraint>, bias: Option<Constraint>| {
        let mut d = Dense::new(units).activation(act);
        if let Some(k) = kernel {
            d = d.kernel_constraint(k);
        }
        if let Some(b) = bias {
            d = d.bias_constraint(b);
        }
        d.into()
    };
    keras_lite::backend::set_random_seed(21);
    let mut m = Sequential::new(vec![
        InputLayer::new(&[3]).into(),
        dense(
            4,
            "tanh",
            c(Constraint::MaxNorm {
                max_value: 0.5,
                axis: 0,
            }),
            c(Constraint::NonNeg),
        ),
        dense(4, "tanh", c(Constraint::UnitNorm { axis: 0 }), None),
        dense(
            2,
            "linear",
            c(Constraint::MinMaxNorm {
                min_value: 0.8,
                max_value: 1.2,
                rate: 1.0,
                axis: 0,
            }),
            None,
        ),
    ]);
    m.compile(SGD::<f32>::new(0.5, 0.0, false), "mse", NO_METRICS)
        .unwrap();
    m
}

/// Fits `m` for 3 epochs of 3 batches, checking the constraints after every batch.
fn watch_fit(m: &mut Sequential) -> ConstraintWatcher {
    // A large learning rate and targets far from the start, so that unconstrained updates
    // leave the allowed set.
    let x = Array2::from_shape_fn((24, 3), |(i, j)| ((i * 3 + j) as f32 * 0.9).sin() * 3.0);
    let y = Array2::from_shape_fn((24, 2), |(i, j)| ((i + j) as f32).cos() * 8.0 - 2.0);
    let mut watcher = ConstraintWatcher::default();
    m.fit(
        &x,
        &y,
        keras_lite::FitOptions {
            epochs: 3,
            batch_size: 8,
            verbose: 0,
            callbacks: vec![&mut watcher],
            ..Default::default()
        },
    )
    .unwrap();
    watcher
}

#[test]
fn every_constraint_holds_after_every_batch_of_fit() {
    let mut m = constrained(true);
    let before = m.get_weights().unwrap();
    let watcher = watch_fit(&mut m);
    assert_eq!(watcher.batches, 9, "3 batches per epoch, 3 epochs");
    assert!(watcher.violations.is_empty(), "{:#?}", watcher.violations);
    assert_ne!(m.get_weights().unwrap(), before, "the weights did train");
    // The same training without the constraints breaks each of them: the check can fail.
    let watcher = watch_fit(&mut constrained(false));
    for c in ["max_norm", "non_neg", "unit_norm", "min_max_norm"] {
        assert!(
            watcher.violations.iter().any(|v| v.contains(c)),
            "{c} never violated without constraints: {:#?}",
            watcher.violations
        );
    }
}
