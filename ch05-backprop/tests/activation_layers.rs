//! Gradient checks of `ActivationLayer` for every ch03 (Keras) activation, with default and
//! non-default hyper-parameters, in f64, inputs kept away from each activation's kinks.

use ch03_activations::keras::Activation;
use ch05_backprop::gradient_check::{LayerObjective, check};
use ch05_backprop::{ActivationLayer, Layer, Mode, Relu, Sigmoid};
use proptest::prelude::*;
use test_support::strategies::matrix;

const TOL: f64 = 1e-6;

/// Every activation to check: Keras' defaults, and the hyper-parameters that move the kinks.
fn activations() -> Vec<Activation> {
    let mut all: Vec<Activation> = Activation::all().collect();
    all.extend([
        Activation::Relu {
            alpha: 0.1,
            max_value: Some(2.5),
            threshold: 0.5,
        },
        Activation::Elu { alpha: 0.5 },
        Activation::LeakyRelu { alpha: 0.3 },
        Activation::Gelu { approximate: true },
    ]);
    all
}

/// Where `f` or `f'` has a kink: the gradient check keeps away from these.
fn kinks(a: &Activation) -> Vec<f64> {
    match *a {
        Activation::Relu {
            max_value,
            threshold,
            ..
        } => {
            let mut k = vec![0.0, threshold];
            k.extend(max_value);
            k
        }
        Activation::Relu6 => vec![0.0, 6.0],
        Activation::HardSigmoid => vec![-2.5, 2.5],
        Activation::Elu { .. } | Activation::Selu | Activation::LeakyRelu { .. } => vec![0.0],
        // x / (1 + |x|): f' = 1 / (1 + |x|)^2 has a kink at 0, so f is not smooth there
        Activation::Softsign => vec![0.0],
        _ => vec![],
    }
}

fn away_from(x: f64, kinks: &[f64], margin: f64) -> f64 {
    let mut x = x;
    for &k in kinks {
        if (x - k).abs() < margin {
            x = if x >= k { k + margin } else { k - margin };
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_activation_layer_passes_the_gradient_check(
        (x, dout) in (1usize..5, 1usize..6).prop_flat_map(|(n, d)| (matrix(n, d, -4.0, 7.0), matrix(n, d, -2.0, 2.0)))
    ) {
        for activation in activations() {
            let k = kinks(&activation);
            let x = x.mapv(|v| away_from(v, &k, 0.1));
            let mut objective = LayerObjective::new(ActivationLayer::new(activation), x, dout.clone());
            let report = check(&mut objective);
            prop_assert!(report.ensure_below(TOL).is_ok(), "{:?}\n{}", activation, report);
        }
    }

    // The book's two layers and the general one agree where they overlap.
    #[test]
    fn relu_and_sigmoid_layers_match_their_activation_layers(
        (x, dout) in (1usize..5, 1usize..6).prop_flat_map(|(n, d)| (matrix(n, d, -4.0, 4.0), matrix(n, d, -2.0, 2.0)))
    ) {
        let relu: Activation = "relu".parse().unwrap();
        let mut a = ActivationLayer::new(relu);
        let mut b = Relu::new();
        prop_assert_eq!(a.forward(&x, Mode::Train), b.forward(&x, Mode::Train));
        prop_assert_eq!(a.backward(&dout), Layer::<f64>::backward(&mut b, &dout));
        let mut a = ActivationLayer::new(Activation::Sigmoid);
        let mut b = Sigmoid::new();
        // One kernel (ch03's sigmoid_scalar and sigmoid_grad_from_y): equal to the last bit.
        prop_assert_eq!(a.forward(&x, Mode::Train), b.forward(&x, Mode::Train));
        prop_assert_eq!(a.backward(&dout), b.backward(&dout));
    }
}

#[test]
fn every_keras_activation_is_checked() {
    let checked: Vec<&str> = activations().iter().map(|a| a.name()).collect();
    for name in Activation::NAMES {
        assert!(checked.contains(&name), "no gradient check for {name}");
    }
}
