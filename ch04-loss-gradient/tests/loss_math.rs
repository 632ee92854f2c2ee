//! Relations between the Keras losses that the fixture does not cover directly: the
//! `from_logits` forms equal the probability forms applied to softmax/sigmoid outputs (up to
//! Keras' 1e-7 clipping), and binary label smoothing moves labels towards 1/2.

use ch03_activations::keras::Activation;
use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::Loss;
use ndarray::{Array2, array};
use test_support::{Tol, all_close};

fn logits() -> Array2<f64> {
    array![
        [0.3, -1.2, 2.0, 0.1],
        [-0.5, 0.4, 0.0, 1.5],
        [1.0, 1.0, -2.0, 0.7]
    ]
}

#[test]
fn categorical_from_logits_equals_crossentropy_of_the_softmax() {
    let z = logits();
    let p = Activation::Softmax.forward(&z);
    let t = array![
        [0.0, 0.0, 1.0, 0.0],
        [0.2, 0.3, 0.0, 0.5],
        [1.0, 0.0, 0.0, 0.0]
    ];
    for s in [0.0, 0.1] {
        let from_logits = Loss::CategoricalCrossentropy {
            from_logits: true,
            label_smoothing: s,
        }
        .per_sample(Labels::Dense(t.view()), &z)
        .unwrap();
        let from_probs = Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: s,
        }
        .per_sample(Labels::Dense(t.view()), &p)
        .unwrap();
        assert!(
            all_close(&from_logits, &from_probs, Tol::both(1e-6)),
            "{from_logits} {from_probs}"
        );
    }
    let classes = array![2_usize, 3, 0];
    let sparse_logits = Loss::SparseCategoricalCrossentropy { from_logits: true }
        .per_sample(Labels::Sparse(classes.view()), &z)
        .unwrap();
    let sparse_probs = Loss::SparseCategoricalCrossentropy { from_logits: false }
        .per_sample(Labels::Sparse(classes.view()), &p)
        .unwrap();
    assert!(all_close(&sparse_logits, &sparse_probs, Tol::both(1e-6)));
    // And -ln(softmax) at the label, directly.
    for (i, &c) in classes.iter().enumerate() {
        assert!((sparse_logits[i] + p[[i, c]].ln()).abs() < 1e-12);
    }
}

#[test]
fn binary_from_logits_equals_crossentropy_of_the_sigmoid() {
    let z = logits();
    let p = Activation::Sigmoid.forward(&z);
    let t = array![
        [0.0, 1.0, 1.0, 0.0],
        [1.0, 0.0, 0.5, 1.0],
        [0.0, 0.0, 1.0, 1.0]
    ];
    for s in [0.0, 0.2] {
        let a = Loss::BinaryCrossentropy {
            from_logits: true,
            label_smoothing: s,
        }
        .per_sample(Labels::Dense(t.view()), &z)
        .unwrap();
        let b = Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: s,
        }
        .per_sample(Labels::Dense(t.view()), &p)
        .unwrap();
        assert!(all_close(&a, &b, Tol::both(1e-6)), "{a} {b}");
    }
    // Large logits stay finite and exact: z = 800 with t = 0 costs 800.
    let big = array![[800.0], [-800.0]];
    let t = array![[0.0], [0.0]];
    let l = Loss::BinaryCrossentropy {
        from_logits: true,
        label_smoothing: 0.0,
    }
    .per_sample(Labels::Dense(t.view()), &big)
    .unwrap();
    assert_eq!(l.to_vec(), vec![800.0, 0.0]);
}

#[test]
fn binary_label_smoothing_pulls_labels_towards_one_half() {
    // With s = 0.2, t = 1 becomes 0.9 and t = 0 becomes 0.1 (t (1 - s) + s / 2).
    let p = array![[0.7], [0.7]];
    let t = array![[1.0], [0.0]];
    let smoothed = Loss::BinaryCrossentropy {
        from_logits: false,
        label_smoothing: 0.2,
    }
    .per_sample(Labels::Dense(t.view()), &p)
    .unwrap();
    let by_hand = array![[0.9], [0.1]];
    let plain = Loss::BinaryCrossentropy {
        from_logits: false,
        label_smoothing: 0.0,
    }
    .per_sample(Labels::Dense(by_hand.view()), &p)
    .unwrap();
    assert!(
        all_close(&smoothed, &plain, Tol::both(1e-15)),
        "{smoothed} {plain}"
    );
}

#[test]
fn huber_delta_moves_the_switch_from_squared_to_absolute_error() {
    let t = array![[0.0_f64, 0.0]];
    let p = array![[1.5, -0.5]];
    let l = |delta: f64| -> f64 {
        Loss::Huber { delta }
            .per_sample(Labels::Dense(t.view()), &p)
            .unwrap()[0]
    };
    // delta 2: both quadratic, (1.125 + 0.125) / 2.
    assert!((l(2.0) - 0.625).abs() < 1e-15);
    // delta 1: 1.5 is linear (1.5 - 0.5), 0.5 quadratic (0.125).
    assert!((l(1.0) - 0.5625).abs() < 1e-15);
}
