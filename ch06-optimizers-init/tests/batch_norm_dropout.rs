//! BatchNormalization's backward against central differences (ch05's harness), its
//! statistics in training and inference; Dropout in both modes and both forms.

use ch05_backprop::gradient_check::{LayerObjective, check};
use ch05_backprop::{Layer, Mode};
use ch06_optimizers_init::batch_norm::BatchNormalization;
use ch06_optimizers_init::dropout::{Dropout, DropoutForm};
use ndarray::{Array2, Axis, array};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    Array2::from_shape_simple_fn((n, d), || rng.random_range(-2.0..2.0))
}

#[test]
fn batch_norm_backward_passes_the_gradient_check() {
    for (n, seed) in [(2usize, 1u64), (5, 2), (16, 3)] {
        for mut bn in [BatchNormalization::book(4), BatchNormalization::keras(4)] {
            // Non-trivial gamma and beta, so their gradients matter too.
            bn.gamma = array![1.5, -0.5, 2.0, 0.7];
            bn.beta = array![0.1, -0.2, 0.3, 0.0];
            let x = random(n, 4, seed);
            let dout = random(n, 4, seed + 100);
            let mut objective = LayerObjective::new(bn, x, dout);
            let report = check(&mut objective);
            report.ensure_below(1e-6).unwrap();
        }
    }
}

#[test]
fn batch_norm_normalizes_the_batch_and_tracks_running_stats() {
    let mut bn = BatchNormalization::<f64>::book(3);
    let x = random(8, 3, 9) * 5.0 + 3.0;
    let out = bn.forward(&x, Mode::Train);
    let mean = out.mean_axis(Axis(0)).unwrap();
    let var = out.var_axis(Axis(0), 0.0);
    for j in 0..3 {
        assert!(mean[j].abs() < 1e-12, "mean {mean}");
        // var(xn) = var / (var + eps): 1 up to eps.
        assert!((var[j] - 1.0).abs() < 1e-6, "var {var}");
    }
    // running = 0.9 * 0 + 0.1 * batch statistic (book: both start at 0)
    let mu = x.mean_axis(Axis(0)).unwrap();
    let v = x.var_axis(Axis(0), 0.0);
    for j in 0..3 {
        assert!((bn.running_mean[j] - 0.1 * mu[j]).abs() < 1e-12);
        assert!((bn.running_var[j] - 0.1 * v[j]).abs() < 1e-12);
    }
    // Inference uses the running statistics.
    let y = bn.forward(&x, Mode::Eval);
    let want = (x[[0, 1]] - bn.running_mean[1]) / (bn.running_var[1] + 1e-6).sqrt();
    assert!((y[[0, 1]] - want).abs() < 1e-12);
    // Keras: moving variance starts at 1 and moves by 1%.
    let mut k = BatchNormalization::<f64>::keras(3);
    k.forward(&x, Mode::Train);
    assert!((k.running_var[0] - (0.99 + 0.01 * v[0])).abs() < 1e-12);
    assert!(BatchNormalization::<f32>::new(3, 1.5, 1e-3, 1.0).is_err());
    let err = BatchNormalization::<f32>::new(3, 0.9, 0.0, 1.0)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "BatchNormalization: epsilon = 0 is invalid; it must be > 0"
    );
}

#[test]
fn book_dropout_masks_in_training_and_scales_at_inference() {
    let x = Array2::<f64>::ones((200, 50));
    let mut d = Dropout::book(0.3, 7).unwrap();
    let out = d.forward(&x, Mode::Train);
    // Every output is 0 or the input; about 30% are dropped.
    assert!(out.iter().all(|&v| v == 0.0 || v == 1.0));
    let kept = out.sum() / out.len() as f64;
    assert!((kept - 0.7).abs() < 0.02, "kept {kept}");
    // backward = dout * mask: the same units are dropped.
    let dout = Array2::from_elem((200, 50), 2.0);
    let dx = d.backward(&dout);
    assert_eq!(dx, &out * 2.0);
    // Inference: x * (1 - ratio), no randomness.
    let eval = d.forward(&x, Mode::Eval);
    assert!(eval.iter().all(|&v| (v - 0.7).abs() < 1e-15));
    // A new training forward draws a new mask.
    let again = d.forward(&x, Mode::Train);
    assert_ne!(again, out);
}

#[test]
fn keras_dropout_is_inverted() {
    let x = Array2::<f32>::ones((100, 100));
    let mut d = Dropout::keras(0.2, 1).unwrap();
    let out = d.forward(&x, Mode::Train);
    let scale = 1.0 / 0.8f32;
    assert!(out.iter().all(|&v| v == 0.0 || v == scale));
    // The expected activation is unchanged by training-time scaling.
    let mean = out.mean().unwrap();
    assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
    let dx = d.backward(&Array2::ones((100, 100)));
    assert_eq!(dx, out);
    assert_eq!(d.forward(&x, Mode::Eval), x);
    // The same seed drops the same units.
    let mut d2 = Dropout::<f32>::new(0.2, DropoutForm::Inverted, 1).unwrap();
    assert_eq!(d2.forward(&x, Mode::Train), out);
    let err = Dropout::<f32>::keras(1.0, 0).unwrap_err().to_string();
    assert!(
        err.contains("ratio = 1 is invalid; it must be in [0, 1)"),
        "{err}"
    );
    // rate 0 keeps everything.
    let mut none = Dropout::<f32>::keras(0.0, 0).unwrap();
    assert_eq!(none.forward(&x, Mode::Train), x);
}
