//! Every Keras optimizer against TensorFlow's 12-step trajectories in the parity fixture
//! (`testdata/keras2_parity.json`, made by tf_keras 2.21 in float32): the weights after each
//! step, for the fixture's gradients and for the same gradients times 1e-4 (where epsilon's
//! placement decides the answer). Tolerance as the fixture's README states: 1e-5 relative
//! plus 1e-6 absolute.

use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::keras::*;
use ndarray::{Array1, ArrayD};
use serde_json::Value;
use test_support::{Tol, fixture};

/// The fixture README's tolerance for optimizer steps.
const OPTIMIZER: Tol = Tol {
    rel: 1e-5,
    abs: 1e-6,
};

fn f32s(v: &Value) -> Vec<f32> {
    fixture::vec_f32(v, "a list of numbers").unwrap()
}

fn num(config: &Value, key: &str) -> f64 {
    fixture::number(&config[key], &format!("config.{key}")).unwrap()
}

/// Builds the optimizer the fixture names, from its class and config, through the public
/// constructors (so the constructors' argument order is checked too).
fn build(class: &str, c: &Value) -> Box<dyn Optimizer<f32>> {
    let lr = num(c, "learning_rate");
    match class {
        "SGD" => {
            Box::new(SGD::new(lr, num(c, "momentum"), c["nesterov"].as_bool().unwrap()).unwrap())
        }
        "RMSprop" => Box::new(
            RMSprop::new(lr, num(c, "rho"), num(c, "momentum"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap()
                .with_centered(c["centered"].as_bool().unwrap()),
        ),
        "Adagrad" => Box::new(
            Adagrad::new(lr, num(c, "initial_accumulator_value"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap(),
        ),
        "Adadelta" => Box::new(
            Adadelta::new(lr, num(c, "rho"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap(),
        ),
        "Adam" => Box::new(
            Adam::new(lr, num(c, "beta_1"), num(c, "beta_2"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap()
                .with_amsgrad(c["amsgrad"].as_bool().unwrap()),
        ),
        "Adamax" => Box::new(
            Adamax::new(lr, num(c, "beta_1"), num(c, "beta_2"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap(),
        ),
        "Nadam" => Box::new(
            Nadam::new(lr, num(c, "beta_1"), num(c, "beta_2"))
                .unwrap()
                .with_epsilon(num(c, "epsilon"))
                .unwrap(),
        ),
        "Ftrl" => Box::new(
            Ftrl::new(lr)
                .unwrap()
                .with_learning_rate_power(num(c, "learning_rate_power"))
                .unwrap()
                .with_initial_accumulator_value(num(c, "initial_accumulator_value"))
                .unwrap()
                .with_regularization(
                    num(c, "l1_regularization_strength"),
                    num(c, "l2_regularization_strength"),
                    num(c, "l2_shrinkage_regularization_strength"),
                )
                .unwrap()
                .with_beta(num(c, "beta"))
                .unwrap(),
        ),
        "AdamW" => Box::new(
            AdamW::new(
                lr,
                num(c, "weight_decay"),
                num(c, "beta_1"),
                num(c, "beta_2"),
            )
            .unwrap()
            .with_epsilon(num(c, "epsilon"))
            .unwrap()
            .with_amsgrad(c["amsgrad"].as_bool().unwrap()),
        ),
        other => panic!("the fixture has an optimizer class this test does not know: {other}"),
    }
}

/// Runs the 12 steps and returns (worst error / tolerance, worst absolute error, ulps apart).
fn run(
    opt: &mut dyn Optimizer<f32>,
    w0: &[f32],
    grads: &Value,
    expected: &Value,
) -> (f64, f64, u32) {
    let mut w = Array1::from(w0.to_vec()).into_dyn();
    let (mut worst_ratio, mut worst_abs, mut worst_ulps) = (0.0f64, 0.0f64, 0u32);
    let grads = grads.as_array().unwrap();
    let expected = expected.as_array().unwrap();
    assert_eq!(grads.len(), 12);
    assert_eq!(expected.len(), grads.len());
    for (g, want) in grads.iter().zip(expected) {
        let mut g: ArrayD<f32> = Array1::from(f32s(g)).into_dyn();
        opt.update(vec![ParamMut {
            name: "w",
            value: w.view_mut(),
            grad: g.view_mut(),
        }]);
        for (&got, &want) in w.iter().zip(&f32s(want)) {
            let err = (got as f64 - want as f64).abs();
            let tol = OPTIMIZER.bound(want as f64);
            worst_ratio = worst_ratio.max(err / tol);
            worst_abs = worst_abs.max(err);
            worst_ulps = worst_ulps
                .max((got.to_bits() as i64 - want.to_bits() as i64).unsigned_abs() as u32);
        }
    }
    (worst_ratio, worst_abs, worst_ulps)
}

#[test]
fn every_keras_optimizer_matches_tensorflow_trajectories() {
    let fx = fixture::keras2_parity();
    let o = &fx["optimizers"];
    let w0 = f32s(&o["w0"]);
    let by_name = o["by_name"].as_object().unwrap();
    assert!(
        by_name.len() >= 13,
        "the fixture lists {} optimizers",
        by_name.len()
    );
    let mut failures = Vec::new();
    for (key, case) in by_name {
        let class = case["class"].as_str().unwrap();
        for (grads, expected) in [
            ("grads", "weights_after_each_step"),
            ("grads_small", "weights_after_each_step_small"),
        ] {
            let mut opt = build(class, &case["config"]);
            let (ratio, abs, ulps) = run(opt.as_mut(), &w0, &o[grads], &case[expected]);
            println!(
                "{key:28} {expected:32} max |err| {abs:.3e}, {ulps} ulp, {ratio:.3} of tolerance"
            );
            if ratio > 1.0 {
                failures.push(format!(
                    "{key} ({expected}): max |err| {abs:.3e} ({ratio:.1}x tolerance)"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "trajectories off:\n{}",
        failures.join("\n")
    );
}

#[test]
fn names_parse_to_keras_defaults() {
    for name in OptimizerName::ALL {
        let opt = optimizer_from_name::<f32>(name.as_str()).unwrap();
        let expected_lr = match name {
            OptimizerName::Sgd => 0.01,
            _ => 0.001,
        };
        assert_eq!(opt.learning_rate(), expected_lr, "{name}");
        assert_eq!(opt.name().to_ascii_lowercase(), name.as_str());
        // Case-insensitive, as Keras.
        assert_eq!(opt.name().parse::<OptimizerName>().unwrap(), name);
    }
    let err = optimizer_from_name::<f64>("adamm")
        .err()
        .unwrap()
        .to_string();
    for name in OptimizerName::ALL {
        assert!(err.contains(name.as_str()), "{err}");
    }
    assert!(err.contains("'adamm'"), "{err}");
}
