//! The base settings every Keras optimizer shares: clipping, weight decay, schedules, the
//! step counter, checked constructors; and a property every optimizer must have: it
//! decreases a convex quadratic.

use ch05_backprop::ParamMut;
use ch06_optimizers_init::keras::schedules::*;
use ch06_optimizers_init::keras::*;
use ch06_optimizers_init::{Optimizer, OptimizerError};
use ndarray::{ArrayD, IxDyn, arr1};
use proptest::prelude::*;
use test_support::{Tol, assert_all_close};

fn p<'a>(name: &'static str, w: &'a mut ArrayD<f64>, g: &'a mut ArrayD<f64>) -> ParamMut<'a, f64> {
    ParamMut {
        name,
        value: w.view_mut(),
        grad: g.view_mut(),
    }
}

fn vec1(v: &[f64]) -> ArrayD<f64> {
    arr1(v).into_dyn()
}

#[test]
fn clipnorm_rescales_each_gradient_to_the_norm() {
    // g = [3, 4] has norm 5; clipnorm 1 makes it [0.6, 0.8]; SGD lr 0.1 moves w by 0.1 g'.
    let mut opt = SGD::<f64>::new(0.1, 0.0, false)
        .unwrap()
        .with_clipnorm(1.0)
        .unwrap();
    let (mut w, mut g) = (vec1(&[0.0, 0.0]), vec1(&[3.0, 4.0]));
    opt.update(vec![p("W", &mut w, &mut g)]);
    assert_all_close("w", &w, [-0.06, -0.08], Tol::abs(1e-12));
    // A gradient already inside the norm is unchanged.
    let (mut w, mut g) = (vec1(&[0.0, 0.0]), vec1(&[0.3, 0.4]));
    opt.update(vec![p("W", &mut w, &mut g)]);
    assert_all_close("w", &w, [-0.03, -0.04], Tol::abs(1e-12));
}

#[test]
fn clipvalue_clamps_each_element() {
    let mut opt = SGD::<f64>::new(1.0, 0.0, false)
        .unwrap()
        .with_clipvalue(0.5)
        .unwrap();
    let (mut w, mut g) = (vec1(&[0.0, 0.0, 0.0]), vec1(&[-2.0, 0.25, 7.0]));
    opt.update(vec![p("W", &mut w, &mut g)]);
    assert_all_close("w", &w, [0.5, -0.25, -0.5], Tol::abs(1e-12));
}

#[test]
fn global_clipnorm_scales_all_gradients_together() {
    // Two parameters with gradients [3] and [4]: the global norm is 5, so with
    // global_clipnorm 1 they become [0.6] and [0.8] (each alone is within 1 only after).
    let mut opt = SGD::<f64>::new(1.0, 0.0, false)
        .unwrap()
        .with_global_clipnorm(1.0)
        .unwrap();
    assert!(opt.needs_global_norm());
    let (mut w1, mut g1) = (vec1(&[0.0]), vec1(&[3.0]));
    let (mut w2, mut g2) = (vec1(&[0.0]), vec1(&[4.0]));
    opt.update(vec![p("W", &mut w1, &mut g1), p("b", &mut w2, &mut g2)]);
    assert_all_close("w1", &w1, [-0.6], Tol::abs(1e-12));
    assert_all_close("w2", &w2, [-0.8], Tol::abs(1e-12));
    // The visitor form: the norm is passed in before begin_step, nothing allocated.
    let (mut w1, mut g1) = (vec1(&[0.0]), vec1(&[3.0]));
    opt.set_global_norm(10.0);
    opt.begin_step();
    opt.update_param(0, p("W", &mut w1, &mut g1));
    assert_all_close("w1", &w1, [-0.3], Tol::abs(1e-12));
}

#[test]
#[should_panic(expected = "set_global_norm")]
fn global_clipnorm_without_the_norm_is_a_loud_bug() {
    let mut opt = SGD::<f64>::default().with_global_clipnorm(1.0).unwrap();
    let (mut w, mut g) = (vec1(&[0.0]), vec1(&[3.0]));
    opt.begin_step();
    opt.update_param(0, p("W", &mut w, &mut g));
}

#[test]
fn only_one_clipping_mode() {
    let err = SGD::<f32>::default()
        .with_clipnorm(1.0)
        .unwrap()
        .with_clipvalue(1.0)
        .unwrap_err();
    assert!(matches!(
        err,
        OptimizerError::ConflictingClipping {
            existing: "clipnorm",
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("only one of clipnorm, clipvalue and global_clipnorm")
    );
    let err = Adam::<f32>::default()
        .with_clipnorm(0.0)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "Adam: clipnorm = 0 is invalid; it must be > 0");
}

#[test]
fn weight_decay_shrinks_weights_before_the_step_and_respects_exclusions() {
    // g = 0: only the decay acts, w <- w - w * wd * lr = w * (1 - 0.5 * 0.1).
    let mut opt = SGD::<f64>::new(0.1, 0.0, false)
        .unwrap()
        .with_weight_decay(0.5)
        .unwrap()
        .exclude_from_weight_decay(&["b"]);
    let (mut w, mut gw) = (vec1(&[2.0, -4.0]), vec1(&[0.0, 0.0]));
    let (mut b, mut gb) = (vec1(&[2.0]), vec1(&[0.0]));
    opt.update(vec![p("W", &mut w, &mut gw), p("b", &mut b, &mut gb)]);
    assert_all_close("w", &w, [1.9, -3.8], Tol::abs(1e-12));
    assert_all_close("b", &b, [2.0], Tol::abs(1e-12));
}

#[test]
fn schedules_follow_their_formulas() {
    let e = ExponentialDecay::new(0.1, 10, 0.5, true).unwrap();
    assert_eq!(e.at(9), 0.1);
    assert_eq!(e.at(10), 0.05);
    let i = InverseTimeDecay::new(1.0, 2, 0.5, false).unwrap();
    assert!((i.at(4) - 1.0 / (1.0 + 0.5 * 2.0)).abs() < 1e-15);
    let i = InverseTimeDecay::new(1.0, 2, 0.5, true).unwrap();
    assert!((i.at(3) - 1.0 / 1.5).abs() < 1e-15);
    let pc = PiecewiseConstantDecay::new(vec![10, 20], vec![1.0, 0.5, 0.1]).unwrap();
    assert_eq!(
        [pc.at(0), pc.at(10), pc.at(11), pc.at(20), pc.at(21)],
        [1.0, 1.0, 0.5, 0.5, 0.1]
    );
    let c = CosineDecay::new(1.0, 100, 0.1).unwrap();
    assert!((c.at(0) - 1.0).abs() < 1e-15);
    assert!((c.at(50) - (0.9 * 0.5 + 0.1)).abs() < 1e-12);
    assert!((c.at(100) - 0.1).abs() < 1e-12);
    assert!((c.at(1000) - 0.1).abs() < 1e-12);
    let w = CosineDecay::new(0.0, 100, 0.0)
        .unwrap()
        .with_warmup(1.0, 10)
        .unwrap();
    assert!((w.at(5) - 0.5).abs() < 1e-15);
    assert!((w.at(10) - 1.0).abs() < 1e-15);
    assert!((w.at(60) - 0.5).abs() < 1e-12);
    let pd = PolynomialDecay::new(1.0, 10, 0.0, 2.0, false).unwrap();
    assert!((pd.at(5) - 0.25).abs() < 1e-15);
    assert_eq!(pd.at(20), 0.0);
}

#[test]
fn schedule_errors_name_the_setting() {
    let err = ExponentialDecay::new(0.1, 0, 0.5, false)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "ExponentialDecay: decay_steps = 0 is invalid; it must be > 0"
    );
    let err = PiecewiseConstantDecay::new(vec![10], vec![1.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("one more element than boundaries"), "{err}");
    let err = PiecewiseConstantDecay::new(vec![10, 5], vec![1.0, 0.5, 0.1]).unwrap_err();
    assert!(err.to_string().contains("strictly increasing"));
    assert!(CosineDecay::new(0.1, 10, 1.5).is_err());
}

#[test]
fn an_optimizer_evaluates_its_schedule_at_the_step_counter() {
    // SGD with lr = 1 * 0.5^step (step = completed steps): with g = 1 each step moves w by
    // the rate of that step, 1, 0.5, 0.25.
    let sched = ExponentialDecay::new(1.0, 1, 0.5, false).unwrap();
    let mut opt = SGD::<f64>::new(1.0, 0.0, false)
        .unwrap()
        .with_schedule(sched);
    let mut w = vec1(&[0.0]);
    let mut moves = Vec::new();
    for _ in 0..3 {
        assert_eq!(opt.learning_rate(), 0.5f64.powi(opt.iterations() as i32));
        let before = w[IxDyn(&[0])];
        let mut g = vec1(&[1.0]);
        opt.update(vec![p("W", &mut w, &mut g)]);
        moves.push(before - w[IxDyn(&[0])]);
    }
    assert_eq!(moves, vec![1.0, 0.5, 0.25]);
    assert_eq!(opt.iterations(), 3);
    // set_learning_rate replaces the schedule by a constant.
    opt.set_learning_rate(0.01).unwrap();
    assert_eq!(opt.learning_rate(), 0.01);
    // NaN, infinite and negative rates are refused and change nothing.
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.5] {
        let err = opt.set_learning_rate(bad).unwrap_err().to_string();
        assert!(
            err.contains("learning_rate") && err.contains("finite and >= 0"),
            "{err}"
        );
        assert_eq!(opt.learning_rate(), 0.01);
    }
}

#[test]
fn invalid_settings_are_errors_naming_setting_and_range() {
    let cases: Vec<(Result<(), OptimizerError>, &str)> = vec![
        (
            SGD::<f32>::new(-0.1, 0.0, false).map(drop),
            "SGD: learning_rate = -0.1 is invalid; it must be >= 0",
        ),
        (
            SGD::<f32>::new(0.1, 1.5, false).map(drop),
            "SGD: momentum = 1.5 is invalid; it must be in [0, 1]",
        ),
        (
            RMSprop::<f32>::new(0.1, 1.0, 0.0).map(drop),
            "RMSprop: rho = 1 is invalid; it must be in [0, 1)",
        ),
        (
            RMSprop::<f32>::default().with_epsilon(0.0).map(drop),
            "RMSprop: epsilon = 0 is invalid; it must be > 0",
        ),
        (
            Adagrad::<f32>::new(0.1, -1.0).map(drop),
            "Adagrad: initial_accumulator_value = -1 is invalid; it must be >= 0",
        ),
        (
            Adadelta::<f32>::new(0.1, -0.1).map(drop),
            "Adadelta: rho = -0.1 is invalid; it must be in [0, 1)",
        ),
        (
            Adam::<f32>::new(0.1, 0.9, 1.0).map(drop),
            "Adam: beta_2 = 1 is invalid; it must be in [0, 1)",
        ),
        (
            Adamax::<f32>::new(f64::NAN, 0.9, 0.999).map(drop),
            "Adamax: learning_rate = NaN is invalid; it must be >= 0",
        ),
        (
            Nadam::<f32>::new(0.1, -0.9, 0.999).map(drop),
            "Nadam: beta_1 = -0.9 is invalid; it must be in [0, 1)",
        ),
        (
            Ftrl::<f32>::new(0.0).map(drop),
            "Ftrl: learning_rate = 0 is invalid; it must be > 0",
        ),
        (
            Ftrl::<f32>::default()
                .with_learning_rate_power(0.5)
                .map(drop),
            "Ftrl: learning_rate_power = 0.5 is invalid; it must be <= 0",
        ),
        (
            AdamW::<f32>::new(0.1, -0.004, 0.9, 0.999).map(drop),
            "AdamW: weight_decay = -0.004 is invalid; it must be >= 0",
        ),
    ];
    for (result, message) in cases {
        assert_eq!(result.unwrap_err().to_string(), message);
    }
}

#[test]
#[should_panic(expected = "changed shape")]
fn reusing_state_for_another_shape_is_a_loud_bug() {
    let mut opt = Adam::<f64>::default();
    let (mut w, mut g) = (vec1(&[0.0, 1.0]), vec1(&[1.0, 1.0]));
    opt.update(vec![p("W", &mut w, &mut g)]);
    let (mut w, mut g) = (vec1(&[0.0]), vec1(&[1.0]));
    opt.update(vec![p("W", &mut w, &mut g)]);
}

/// Every Keras optimizer (defaults, learning rates raised where Keras' default barely moves
/// in 200 steps) and every variant the fixture exercises.
fn all_optimizers() -> Vec<Box<dyn Optimizer<f64>>> {
    vec![
        Box::new(SGD::default()),
        Box::new(SGD::new(0.01, 0.9, false).unwrap()),
        Box::new(SGD::new(0.01, 0.9, true).unwrap()),
        Box::new(RMSprop::default()),
        Box::new(RMSprop::new(0.001, 0.9, 0.5).unwrap().with_centered(true)),
        Box::new(Adagrad::new(0.01, 0.1).unwrap()),
        Box::new(Adadelta::new(1.0, 0.95).unwrap()),
        Box::new(Adam::default()),
        Box::new(Adam::default().with_amsgrad(true)),
        Box::new(Adamax::default()),
        Box::new(Nadam::default()),
        Box::new(Ftrl::new(0.01).unwrap()),
        Box::new(AdamW::default()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// f(w) = 1/2 sum a_i (w_i - c_i)^2 with a_i in [0.1, 10]: after 200 steps from a random
    /// start every optimizer has lowered f.
    #[test]
    fn every_optimizer_decreases_a_convex_quadratic(
        start in proptest::collection::vec(-3.0f64..3.0, 6),
        center in proptest::collection::vec(-1.0f64..1.0, 6),
        curvature in proptest::collection::vec(0.1f64..10.0, 6),
    ) {
        let f = |w: &ArrayD<f64>| -> f64 {
            w.iter().zip(&center).zip(&curvature).map(|((w, c), a)| 0.5 * a * (w - c).powi(2)).sum()
        };
        for mut opt in all_optimizers() {
            let mut w = vec1(&start);
            let f0 = f(&w);
            prop_assume!(f0 > 1e-3);
            let mut g = vec1(&start);
            for _ in 0..200 {
                for (i, gi) in g.iter_mut().enumerate() {
                    *gi = curvature[i] * (w[IxDyn(&[i])] - center[i]);
                }
                opt.update(vec![p("W", &mut w, &mut g)]);
            }
            let f1 = f(&w);
            prop_assert!(f1 < f0, "{} did not decrease f: {} -> {}", opt.name(), f0, f1);
        }
    }
}
