//! Parsing Keras names, the error for an unknown one, and Keras 2's own documented examples.

use ch03_activations::keras::{Activation, UnknownActivation};
use ndarray::{Array2, array};

#[test]
fn every_keras_name_parses_and_prints_back() {
    for name in Activation::NAMES {
        let act: Activation = name.parse().unwrap();
        assert_eq!(act.name(), name);
        assert_eq!(act.to_string(), name, "defaults print as the bare name");
    }
    assert_eq!(Activation::all().count(), 16);
    assert_eq!(Activation::all().filter(|a| !a.is_elementwise()).count(), 1);
}

#[test]
fn silu_is_swish() {
    assert_eq!("silu".parse::<Activation>().unwrap(), Activation::Swish);
}

#[test]
fn defaults_are_keras_defaults() {
    let parse = |s: &str| s.parse::<Activation>().unwrap();
    assert_eq!(
        parse("relu"),
        Activation::Relu {
            alpha: 0.0,
            max_value: None,
            threshold: 0.0
        }
    );
    assert_eq!(parse("elu"), Activation::Elu { alpha: 1.0 });
    assert_eq!(parse("leaky_relu"), Activation::LeakyRelu { alpha: 0.2 });
    assert_eq!(parse("gelu"), Activation::Gelu { approximate: false });
}

#[test]
fn an_unknown_name_lists_the_valid_ones() {
    let err: UnknownActivation = "Relu".parse::<Activation>().unwrap_err();
    assert_eq!(err.name, "Relu");
    let msg = err.to_string();
    assert!(msg.contains("unknown activation \"Relu\""), "{msg}");
    for name in Activation::NAMES {
        assert!(msg.contains(name), "{name} missing from: {msg}");
    }
    assert!(msg.contains("silu"), "{msg}");
    assert!("".parse::<Activation>().is_err());
    assert!(" relu".parse::<Activation>().is_err());
}

#[test]
fn display_shows_non_default_hyper_parameters() {
    let r = Activation::Relu {
        alpha: 0.1,
        max_value: Some(6.0),
        threshold: 0.5,
    };
    assert_eq!(r.to_string(), "relu(alpha=0.1, max_value=6, threshold=0.5)");
    assert_eq!(Activation::Elu { alpha: 0.5 }.to_string(), "elu(alpha=0.5)");
    assert_eq!(
        Activation::Gelu { approximate: true }.to_string(),
        "gelu(approximate=true)"
    );
}

fn row(v: &[f32]) -> Array2<f32> {
    Array2::from_shape_vec((1, v.len()), v.to_vec()).unwrap()
}

#[test]
fn keras_relu_docstring_examples() {
    // tf_keras/activations.py, relu's docstring:
    // >>> foo = tf.constant([-10, -5, 0.0, 5, 10], dtype = tf.float32)
    let foo = row(&[-10.0, -5.0, 0.0, 5.0, 10.0]);
    let relu = |alpha, max_value, threshold| Activation::Relu {
        alpha,
        max_value,
        threshold,
    };
    // >>> tf.keras.activations.relu(foo).numpy()  ->  [ 0.,  0.,  0.,  5., 10.]
    assert_eq!(
        relu(0.0, None, 0.0).forward(&foo),
        row(&[0.0, 0.0, 0.0, 5.0, 10.0])
    );
    // alpha=0.5  ->  [-5. , -2.5,  0. ,  5. , 10. ]
    assert_eq!(
        relu(0.5, None, 0.0).forward(&foo),
        row(&[-5.0, -2.5, 0.0, 5.0, 10.0])
    );
    // max_value=5.  ->  [0., 0., 0., 5., 5.]
    assert_eq!(
        relu(0.0, Some(5.0), 0.0).forward(&foo),
        row(&[0.0, 0.0, 0.0, 5.0, 5.0])
    );
    // threshold=5.  ->  [-0., -0.,  0.,  0., 10.]
    assert_eq!(
        relu(0.0, None, 5.0).forward(&foo),
        row(&[0.0, 0.0, 0.0, 0.0, 10.0])
    );
}

#[test]
fn keras_relu_gradients_follow_the_ops_keras_chains() {
    let d = |a: Activation, x: f64| a.derivative(x);
    // max_value = 6 with no threshold is tf.nn.relu6: gradient 0 at 6
    let capped6 = Activation::Relu {
        alpha: 0.0,
        max_value: Some(6.0),
        threshold: 0.0,
    };
    assert_eq!(d(capped6, 6.0), 0.0);
    assert_eq!(d(capped6, 5.9), 1.0);
    // any other cap is clip_by_value, which passes the gradient at the cap itself
    let capped5 = Activation::Relu {
        alpha: 0.0,
        max_value: Some(5.0),
        threshold: 0.0,
    };
    assert_eq!(d(capped5, 5.0), 1.0);
    assert_eq!(d(capped5, 5.1), 0.0);
    // alpha below the threshold, the threshold itself belonging to neither side
    let thr = Activation::Relu {
        alpha: 0.25,
        max_value: None,
        threshold: 1.0,
    };
    assert_eq!(d(thr, 0.5), 0.25);
    assert_eq!(d(thr, 1.0), 0.0);
    assert_eq!(d(thr, 1.5), 1.0);
    assert_eq!(thr.value(0.0), -0.25);
    // without a cap, Keras 2 keeps x between a negative threshold and 0
    let neg = Activation::Relu {
        alpha: 0.0,
        max_value: None,
        threshold: -1.0,
    };
    assert_eq!(neg.value(-0.5), -0.5);
    assert_eq!(neg.value(-1.5), 0.0);
}

#[test]
fn keras_docstring_examples_for_the_smooth_activations() {
    // Values printed in tf_keras/activations.py's docstrings (float32, 8 digits).
    let x = row(&[-3.0, -1.0, 0.0, 1.0, 3.0]);
    let close = |act: Activation, want: &[f32]| {
        let y = act.forward(&x);
        for (g, w) in y.iter().zip(want) {
            assert!(
                (g - w).abs() <= 2e-7 * w.abs().max(1.0),
                "{act}: {y} vs {want:?}"
            );
        }
    };
    close(
        Activation::Gelu { approximate: false },
        &[-0.00404951, -0.15865529, 0.0, 0.8413447, 2.9959507],
    );
    close(
        Activation::Gelu { approximate: true },
        &[-0.00363752, -0.15880796, 0.0, 0.841192, 2.9963627],
    );
    close(Activation::HardSigmoid, &[0.0, 0.3, 0.5, 0.7, 1.0]);
    close(
        Activation::Tanh,
        &[-0.9950547, -0.7615942, 0.0, 0.7615942, 0.9950547],
    );
    close(
        Activation::Exponential,
        &[0.04978707, 0.36787945, 1.0, 2.7182817, 20.085537],
    );
    let x4 = row(&[-3.0, -1.0, 0.0, 1.0]);
    let mish = Activation::Mish.forward(&x4);
    for (g, w) in mish
        .iter()
        .zip([-0.14564745f32, -0.30340144, 0.0, 0.86509836])
    {
        assert!((g - w).abs() <= 2e-7, "mish: {mish}");
    }
}

#[test]
#[should_panic(expected = "softmax is not element-wise")]
fn softmax_has_no_scalar_value() {
    Activation::Softmax.value(1.0f32);
}

#[test]
#[should_panic(expected = "has shape [2, 3] but x has shape [1, 3]")]
fn mismatched_buffers_are_a_programmer_error() {
    let x = array![[1.0f32, 2.0, 3.0]];
    let mut y = Array2::<f32>::zeros((2, 3));
    Activation::Sigmoid.forward_into(&x, &mut y);
}

#[test]
fn hyper_parameters_are_validated() {
    for act in Activation::all() {
        assert_eq!(act.validate(), Ok(()), "{act}");
    }
    let relu = |alpha, max_value, threshold| Activation::Relu {
        alpha,
        max_value,
        threshold,
    };
    assert!(relu(0.1, Some(6.0), -1.0).validate().is_ok());
    let e = relu(-0.1, None, 0.0).validate().unwrap_err();
    assert!(e.problem.contains("alpha"), "{e}");
    assert!(e.to_string().contains("relu(alpha=-0.1"), "{e}");
    assert!(relu(0.0, Some(-2.0), 0.0).validate().is_err());
    assert!(relu(0.0, Some(f64::INFINITY), 0.0).validate().is_err());
    assert!(relu(0.0, None, f64::NAN).validate().is_err());
    assert!(
        Activation::Elu {
            alpha: f64::INFINITY
        }
        .validate()
        .is_err()
    );
}
