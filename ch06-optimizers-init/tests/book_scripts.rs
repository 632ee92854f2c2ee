//! The core of chapter 6's example scripts on tiny settings: the book's
//! `numerical_gradient` of `MultiLayerNet` / `MultiLayerNetExtend` (what
//! `batch_norm_gradient_check.py` compares with backprop), by the book's names.

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::mean_abs_diff;
use ch06_optimizers_init::multi_layer_net::NetConfig;
use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn data(n: usize, d: usize, classes: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_simple_fn((n, d), || rng.random_range(0.0..1.0));
    let t = (0..n).map(|_| rng.random_range(0..classes)).collect();
    (x, t)
}

#[test]
fn numerical_gradient_matches_backprop_by_the_books_names() {
    let (x, t) = data(4, 12, 3, 1);
    for use_batchnorm in [false, true] {
        let mut config = NetConfig::new(12, vec![8, 6], 3);
        config.activation = "sigmoid".parse().unwrap();
        config.weight_init_std = WeightInitStd::Xavier;
        config.weight_decay_lambda = 0.1;
        config.use_batchnorm = use_batchnorm;
        let mut net = config.build::<f64>(3).unwrap();
        net.gradient(&x, Labels::Sparse(t.view())).unwrap();
        let backprop = net.grads();
        let numerical = net
            .numerical_gradient(&x, Labels::Sparse(t.view()))
            .unwrap();
        let names: Vec<&str> = numerical.iter().map(|(n, _)| n.as_str()).collect();
        let expected: &[&str] = if use_batchnorm {
            &[
                "W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3",
            ]
        } else {
            &["W1", "b1", "W2", "b2", "W3", "b3"]
        };
        assert_eq!(names, expected);
        for ((key, b), (_, n)) in backprop.iter().zip(&numerical) {
            let diff = mean_abs_diff(b, n);
            // central differences with h = 1e-4 are good to about h^2 = 1e-8
            assert!(diff < 1e-8, "{key} (batchnorm {use_batchnorm}): {diff}");
            assert!(
                b.iter().any(|v| *v != 0.0),
                "{key}: an all-zero gradient checks nothing"
            );
        }
        // the probing put every parameter back exactly
        assert_eq!(net.grads().len(), expected.len());
        let again = net
            .numerical_gradient(&x, Labels::Sparse(t.view()))
            .unwrap();
        for ((_, a), (_, b)) in numerical.iter().zip(&again) {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn batch_norm_gradient_check_of_one_sample_sees_zero_before_the_normalization() {
    // The book's batch_norm_gradient_check.py uses x_train[:1]: a batch of one normalizes
    // to zero, so the first layers' gradients are exactly 0 both ways.
    let (x, t) = data(1, 12, 3, 2);
    let mut config = NetConfig::new(12, vec![8, 8], 3);
    config.use_batchnorm = true;
    let mut net = config.build::<f64>(0).unwrap();
    net.gradient(&x, Labels::Sparse(t.view())).unwrap();
    let backprop = net.grads();
    let numerical = net
        .numerical_gradient(&x, Labels::Sparse(t.view()))
        .unwrap();
    for ((key, b), (_, n)) in backprop.iter().zip(&numerical).take(3) {
        assert!(b.iter().all(|v| *v == 0.0), "{key} backprop");
        assert!(n.iter().all(|v| *v == 0.0), "{key} numerical");
    }
}

#[test]
fn shuffle_dataset_keeps_each_label_with_its_sample_in_any_shape() {
    use ch06_optimizers_init::util::shuffle_dataset;
    use ndarray::Array4;
    // (N, C, H, W) images, as the book's x[permutation,:,:,:]
    let x = Array4::from_shape_fn((6, 1, 2, 2), |(n, _, i, j)| (n * 10 + i * 2 + j) as f32);
    let t: Array1<usize> = (0..6).collect();
    let (xs, ts) = shuffle_dataset(&x, &t, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_ne!(ts, t, "seed 5 moves something");
    for (n, &label) in ts.iter().enumerate() {
        assert_eq!(xs[[n, 0, 1, 1]], (label * 10 + 3) as f32);
    }
    let (_, again) = shuffle_dataset(&x, &t, &mut StdRng::seed_from_u64(5)).unwrap();
    assert_eq!(again, ts, "the same seed, the same order");
    let e = shuffle_dataset(
        &x,
        &t.slice(ndarray::s![..5]).to_owned(),
        &mut StdRng::seed_from_u64(5),
    );
    assert!(
        e.unwrap_err()
            .to_string()
            .contains("5 labels for 6 samples")
    );
}
