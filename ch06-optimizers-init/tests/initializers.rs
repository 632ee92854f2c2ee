//! Initializer samples of a 784x128 kernel have the mean, standard deviation and bounds they
//! promise; the same seed gives the same weights; names parse; bad shapes are errors.

use ch06_optimizers_init::initializers::*;
use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::ArrayD;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const SHAPE: [usize; 2] = [784, 128];

fn stats(w: &ArrayD<f64>) -> (f64, f64, f64) {
    let n = w.len() as f64;
    let mean = w.sum() / n;
    let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let max_abs = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    (mean, var.sqrt(), max_abs)
}

/// What each named initializer promises for a [784, 128] kernel: (name, mean, std, bound)
/// with bound the largest |w| it may produce (infinite for plain normals).
fn promises() -> Vec<(&'static str, f64, f64, f64)> {
    let (fin, fout) = (784.0f64, 128.0f64);
    let avg = (fin + fout) / 2.0;
    let unif = |s: f64| ((3.0 * s).sqrt(), s.sqrt());
    let tn = |s: f64| (s.sqrt(), 2.0 * s.sqrt() / TRUNCATED_NORMAL_STD);
    let (gu_lim, gu_std) = unif(1.0 / avg);
    let (hu_lim, hu_std) = unif(2.0 / fin);
    let (lu_lim, lu_std) = unif(1.0 / fin);
    let (gn_std, gn_lim) = tn(1.0 / avg);
    let (hn_std, hn_lim) = tn(2.0 / fin);
    let (ln_std, ln_lim) = tn(1.0 / fin);
    vec![
        ("glorot_uniform", 0.0, gu_std, gu_lim),
        ("he_uniform", 0.0, hu_std, hu_lim),
        ("lecun_uniform", 0.0, lu_std, lu_lim),
        ("glorot_normal", 0.0, gn_std, gn_lim),
        ("he_normal", 0.0, hn_std, hn_lim),
        ("lecun_normal", 0.0, ln_std, ln_lim),
        ("variance_scaling", 0.0, ln_std, ln_lim),
        ("random_normal", 0.0, 0.05, f64::INFINITY),
        ("random_uniform", 0.0, 0.1 / 12f64.sqrt(), 0.05),
        ("truncated_normal", 0.0, 0.05 * TRUNCATED_NORMAL_STD, 0.1),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    #[test]
    fn kernels_have_the_promised_mean_std_and_bounds(seed in any::<u64>()) {
        let n = (SHAPE[0] * SHAPE[1]) as f64;
        for (name, mean, std, bound) in promises() {
            let init: Initializer = name.parse().unwrap();
            let w = init.sample_seeded::<f64>(&SHAPE, seed).unwrap();
            let (m, s, max_abs) = stats(&w);
            prop_assert!((m - mean).abs() < 5.0 * std / n.sqrt(), "{name}: mean {m}");
            prop_assert!((s / std - 1.0).abs() < 0.02, "{name}: std {s}, promised {std}");
            prop_assert!(max_abs <= bound, "{name}: |w| reached {max_abs} > {bound}");
            // Bounded draws do approach their bound (the range is not accidentally narrower).
            if bound.is_finite() {
                prop_assert!(max_abs > 0.95 * bound, "{name}: max {max_abs} of {bound}");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_weights(seed in any::<u64>()) {
        for name in Initializer::NAMES {
            let init: Initializer = name.parse().unwrap();
            let a = init.sample_seeded::<f32>(&[20, 30], seed).unwrap();
            let b = init.sample_seeded::<f32>(&[20, 30], seed).unwrap();
            prop_assert_eq!(&a, &b);
            if !matches!(init, Initializer::Zeros | Initializer::Ones | Initializer::Constant(_) | Initializer::Identity { .. }) {
                let c = init.sample_seeded::<f32>(&[20, 30], seed.wrapping_add(1)).unwrap();
                prop_assert_ne!(&a, &c, "{} ignores its seed", name);
            }
        }
    }
}

#[test]
fn constants_and_identity() {
    let z = Initializer::Zeros.sample_seeded::<f32>(&[3, 4], 0).unwrap();
    assert!(z.iter().all(|&x| x == 0.0));
    let o: Initializer = "ones".parse().unwrap();
    assert!(
        o.sample_seeded::<f32>(&[5], 0)
            .unwrap()
            .iter()
            .all(|&x| x == 1.0)
    );
    let c = Initializer::Constant(0.3)
        .sample_seeded::<f64>(&[2, 2], 0)
        .unwrap();
    assert!(c.iter().all(|&x| x == 0.3));
    let eye = Initializer::Identity { gain: 2.0 }
        .sample_seeded::<f64>(&[3, 4], 0)
        .unwrap();
    for ((i, j), &x) in eye
        .clone()
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap()
        .indexed_iter()
    {
        assert_eq!(x, if i == j { 2.0 } else { 0.0 });
    }
}

#[test]
fn orthogonal_has_orthonormal_columns_or_rows() {
    for (rows, cols) in [(64, 16), (16, 64), (32, 32)] {
        let q = Initializer::Orthogonal { gain: 1.0 }
            .sample_seeded::<f64>(&[rows, cols], 7)
            .unwrap()
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap();
        // Q^T Q = I (tall) or Q Q^T = I (wide).
        let gram = if rows >= cols {
            q.t().dot(&q)
        } else {
            q.dot(&q.t())
        };
        for ((i, j), &x) in gram.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!(
                (x - want).abs() < 1e-10,
                "{rows}x{cols}: gram[{i},{j}] = {x}"
            );
        }
    }
    // Gain scales it; 4-D kernels are flattened to [prod(leading), last].
    let q = Initializer::Orthogonal { gain: 3.0 }
        .sample_seeded::<f64>(&[3, 3, 4, 8], 1)
        .unwrap();
    let q = q.into_shape_with_order((36, 8)).unwrap();
    let gram = q.t().dot(&q);
    assert!((gram[[0, 0]] - 9.0).abs() < 1e-9 && gram[[0, 1]].abs() < 1e-9);
}

#[test]
fn fans_follow_keras() {
    assert_eq!(compute_fans(&[784, 128]), (784.0, 128.0));
    assert_eq!(compute_fans(&[10]), (10.0, 10.0));
    assert_eq!(compute_fans(&[3, 3, 16, 32]), (144.0, 288.0));
    assert_eq!(compute_fans(&[]), (1.0, 1.0));
}

#[test]
fn errors_name_the_problem() {
    let err = "glorot".parse::<Initializer>().unwrap_err().to_string();
    assert!(
        err.contains("'glorot'") && err.contains("glorot_uniform") && err.contains("he_normal"),
        "{err}"
    );
    // CamelCase class names and Keras' short aliases parse.
    assert_eq!(
        "GlorotUniform".parse::<Initializer>().unwrap(),
        Initializer::glorot_uniform()
    );
    assert_eq!(
        "uniform".parse::<Initializer>().unwrap(),
        Initializer::RandomUniform {
            minval: -0.05,
            maxval: 0.05
        }
    );
    let err = Initializer::Identity { gain: 1.0 }
        .sample_seeded::<f32>(&[2, 2, 2], 0)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Identity cannot fill shape [2, 2, 2]: exactly 2 dimensions"
    );
    assert!(
        Initializer::Orthogonal { gain: 1.0 }
            .sample_seeded::<f32>(&[5], 0)
            .is_err()
    );
    let bad = Initializer::RandomNormal {
        mean: 0.0,
        stddev: -1.0,
    };
    assert_eq!(
        bad.sample_seeded::<f32>(&[2], 0).unwrap_err().to_string(),
        "RandomNormal: stddev = -1 is invalid; it must be >= 0"
    );
}

#[test]
fn the_books_weight_init_std() {
    assert_eq!("He".parse::<WeightInitStd>().unwrap(), WeightInitStd::He);
    assert_eq!(
        "sigmoid".parse::<WeightInitStd>().unwrap(),
        WeightInitStd::Xavier
    );
    assert_eq!(
        "0.01".parse::<WeightInitStd>().unwrap(),
        WeightInitStd::Std(0.01)
    );
    assert!("-1".parse::<WeightInitStd>().is_err());
    let err = "kaiming".parse::<WeightInitStd>().unwrap_err().to_string();
    assert!(err.contains("relu, he, sigmoid, xavier"), "{err}");
    let mut rng = StdRng::seed_from_u64(3);
    let w = WeightInitStd::He
        .weights::<f64, _>(784, 128, &mut rng)
        .into_dyn();
    let (m, s, _) = stats(&w);
    let want = (2.0f64 / 784.0).sqrt();
    assert!(m.abs() < 5.0 * want / (784.0f64 * 128.0).sqrt());
    assert!((s / want - 1.0).abs() < 0.02, "std {s} vs {want}");
}
