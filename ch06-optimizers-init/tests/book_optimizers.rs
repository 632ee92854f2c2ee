//! The book's optimizers against steps computed by hand (each expected number is the book's
//! formula written out for the given scalars, in f64).

use ch05_backprop::ParamMut;
use ch06_optimizers_init::Optimizer;
use ch06_optimizers_init::book::*;
use ndarray::{ArrayD, arr1};
use test_support::{Tol, assert_all_close};

/// Runs `grads` through `opt` on one parameter starting at `w0`; returns w after each step.
fn trajectory(opt: &mut dyn Optimizer<f64>, w0: &[f64], grads: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut w: ArrayD<f64> = arr1(w0).into_dyn();
    grads
        .iter()
        .map(|g| {
            let mut g = arr1(g).into_dyn();
            opt.update(vec![ParamMut {
                name: "W",
                value: w.view_mut(),
                grad: g.view_mut(),
            }]);
            w.iter().copied().collect()
        })
        .collect()
}

/// The trajectory `got` (parameters after each step) is `want` up to rounding: within
/// `5e-13 * (1 + |want|)`, every step and every parameter.
fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>]) {
    assert_all_close("trajectory", got.concat(), want.concat(), Tol::both(5e-13));
}

#[test]
fn sgd() {
    // p -= 0.1 * g
    let got = trajectory(
        &mut SGD::new(0.1).unwrap(),
        &[1.0, -2.0],
        &[&[0.5, 1.0], &[2.0, -1.0]],
    );
    assert_close(&got, &[vec![0.95, -2.1], vec![0.75, -2.0]]);
    assert_eq!(
        <SGD as Optimizer<f64>>::learning_rate(&SGD::default()),
        0.01
    );
}

#[test]
fn momentum() {
    // lr 0.1, m 0.9, g = 1 then 1: v1 = -0.1, p1 = 0.9; v2 = -0.09 - 0.1 = -0.19, p2 = 0.71
    let got = trajectory(
        &mut Momentum::new(0.1, 0.9).unwrap(),
        &[1.0],
        &[&[1.0], &[1.0]],
    );
    assert_close(&got, &[vec![0.9], vec![0.71]]);
}

#[test]
fn nesterov_in_the_corrected_order() {
    // lr 0.1, m 0.9, g = 1 then 1, v starts at 0.
    // step 1: p += 0.81*0 = 1; p -= 1.9*0.1*1 -> 0.81; v = 0 - 0.1 = -0.1
    // step 2: p += 0.81*(-0.1) -> 0.729; p -= 0.19 -> 0.539; v = -0.09 - 0.1 = -0.19
    let got = trajectory(
        &mut Nesterov::new(0.1, 0.9).unwrap(),
        &[1.0],
        &[&[1.0], &[1.0]],
    );
    assert_close(&got, &[vec![0.81], vec![0.539]]);
}

#[test]
fn adagrad() {
    // lr 0.1, g = 2 then 1: h1 = 4, p1 = 1 - 0.2/(2 + 1e-7); h2 = 5, p2 = p1 - 0.1/(sqrt 5 + 1e-7)
    let p1 = 1.0 - 0.2 / (2.0 + 1e-7);
    let p2 = p1 - 0.1 / (5f64.sqrt() + 1e-7);
    let got = trajectory(&mut AdaGrad::new(0.1).unwrap(), &[1.0], &[&[2.0], &[1.0]]);
    assert_close(&got, &[vec![p1], vec![p2]]);
}

#[test]
fn rmsprop_with_the_books_defaults() {
    // lr 0.01, decay 0.99, g = 2 then 1:
    // h1 = 0.01*4 = 0.04, p1 = 1 - 0.02/(0.2 + 1e-7)
    // h2 = 0.99*0.04 + 0.01*1 = 0.0496, p2 = p1 - 0.01/(sqrt 0.0496 + 1e-7)
    let p1 = 1.0 - 0.02 / (0.2 + 1e-7);
    let p2 = p1 - 0.01 / (0.0496f64.sqrt() + 1e-7);
    let got = trajectory(&mut RMSprop::default(), &[1.0], &[&[2.0], &[1.0]]);
    assert_close(&got, &[vec![p1], vec![p2]]);
}

#[test]
fn adam_counts_steps_once_per_update() {
    // lr 0.001, b1 0.9, b2 0.999, g = 2 then -1.
    // t=1: lr_t = 0.001*sqrt(0.001)/0.1; m = 0.2; v = 0.004; p1 = 1 - lr_t*0.2/(sqrt .004 + 1e-7)
    // t=2: lr_t = 0.001*sqrt(1-0.999^2)/(1-0.81); m = 0.2 + 0.1*(-1-0.2) = 0.08;
    //      v = 0.004 + 0.001*(1 - 0.004) = 0.004996; p2 = p1 - lr_t*0.08/(sqrt v + 1e-7)
    let lr1 = 0.001 * (1.0f64 - 0.999).sqrt() / (1.0 - 0.9);
    let p1 = 1.0 - lr1 * 0.2 / (0.004f64.sqrt() + 1e-7);
    let lr2 = 0.001 * (1.0f64 - 0.999 * 0.999).sqrt() / (1.0 - 0.81);
    let (m2, v2) = (0.2 + 0.1 * (-1.0 - 0.2), 0.004 + 0.001 * (1.0 - 0.004));
    let p2 = p1 - lr2 * m2 / (f64::sqrt(v2) + 1e-7);
    let mut adam = Adam::default();
    // Two parameters in one update: the step counter advances once, not per parameter.
    let mut w1: ArrayD<f64> = arr1(&[1.0]).into_dyn();
    let mut w2: ArrayD<f64> = arr1(&[1.0]).into_dyn();
    for g in [2.0, -1.0] {
        let mut g1 = arr1(&[g]).into_dyn();
        let mut g2 = arr1(&[g]).into_dyn();
        adam.update(vec![
            ParamMut {
                name: "W",
                value: w1.view_mut(),
                grad: g1.view_mut(),
            },
            ParamMut {
                name: "b",
                value: w2.view_mut(),
                grad: g2.view_mut(),
            },
        ]);
        if <Adam<f64> as Optimizer<f64>>::iterations(&adam) == 1 {
            assert!((w1[[0]] - p1).abs() < 1e-15 && (w2[[0]] - p1).abs() < 1e-15);
        }
    }
    assert!((w1[[0]] - p2).abs() < 1e-15, "{} vs {p2}", w1[[0]]);
    assert_eq!(w1, w2);
}

#[test]
fn names_and_errors() {
    for name in ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"] {
        let opt = optimizer_from_name::<f64>(name, 0.05).unwrap();
        assert_eq!(opt.name(), name);
        assert_eq!(opt.learning_rate(), 0.05);
    }
    let err = optimizer_from_name::<f64>("rmsprpo", 0.01)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("'rmsprpo'") && err.contains("rmsprop"),
        "{err}"
    );
    let err = Momentum::<f64>::new(0.01, 1.0).unwrap_err().to_string();
    assert_eq!(
        err,
        "Momentum: momentum = 1 is invalid; it must be in [0, 1)"
    );
    assert!(SGD::new(-1.0).is_err());
}
