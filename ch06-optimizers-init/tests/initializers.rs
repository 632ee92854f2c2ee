//! Initializer samples of a 784x128 kernel have the mean, standard deviation and bounds they
//! promise; the same seed gives the same weights; names parse; bad shapes are errors.

use ch06_optimizers_init::keras::initializers::*;
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
    let msg = bad.sample_seeded::<f32>(&[2], 0).unwrap_err().to_string();
    assert!(
        msg.starts_with("RandomNormal: stddev = -1 is invalid; it must be >= 0"),
        "{msg}"
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

/// Issue 13: finite but huge settings (reachable from a saved model's config.json) panicked
/// in rand's `Uniform::new` (an infinite range) or gave infinite f32 weights; each is now an
/// error naming the setting and its valid range.
#[test]
fn huge_or_nan_settings_are_errors_naming_the_setting_and_the_range() {
    use Initializer::*;
    let vs = |scale| VarianceScaling {
        scale,
        mode: FanMode::FanIn,
        distribution: ScalingDistribution::Uniform,
    };
    let cases = [
        (
            RandomUniform {
                minval: -1e308,
                maxval: 1e308,
            },
            "RandomUniform: minval = -1e308 is invalid",
            "f32: magnitude at most 3.4e38",
        ),
        (
            vs(1e308),
            "VarianceScaling: scale = 1e308 is invalid",
            "10 sqrt(scale) finite",
        ),
        (
            Constant(1e39),
            "Constant: value = 1e39 is invalid",
            "f32: magnitude at most 3.4e38",
        ),
        (
            RandomNormal {
                mean: f64::NAN,
                stddev: 1.0,
            },
            "RandomNormal: mean = NaN",
            "finite",
        ),
        (
            TruncatedNormal {
                mean: 0.0,
                stddev: 2e38,
            },
            "TruncatedNormal: stddev = 2e38 is invalid",
            "mean +- 2 stddev finite",
        ),
        (
            Orthogonal {
                gain: f64::INFINITY,
            },
            "Orthogonal: gain = inf",
            "finite",
        ),
        (vs(f64::NAN), "VarianceScaling: scale = NaN", "> 0"),
    ];
    for (init, starts, names_range) in cases {
        let err = init
            .sample_seeded::<f32>(&[4, 3], 0)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with(starts), "{err}");
        assert!(err.contains(names_range), "{err}");
    }
    // In f64 both bounds are representable, but not their difference.
    let err = RandomUniform {
        minval: -1e308,
        maxval: 1e308,
    }
    .sample_seeded::<f64>(&[2], 0)
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("RandomUniform: maxval = 1e308 is invalid")
            && err.contains("maxval - minval finite"),
        "{err}"
    );
    // Constant(1e39) and a scale of 1e70 are fine for f64 weights, not for f32 ones.
    assert!(Constant(1e39).sample_seeded::<f64>(&[2], 0).is_ok());
    assert!(vs(1e70).sample_seeded::<f64>(&[2, 2], 0).is_ok());
    assert!(vs(1e70).sample_seeded::<f32>(&[2, 2], 0).is_ok());
    assert!(vs(1e78).sample_seeded::<f32>(&[2, 2], 0).is_err());
    assert!(vs(1e78).validate().is_ok(), "validate() is for f64 weights");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any settings at all, from tiny to huge, NaN and infinite: sampling never panics, and
    /// what it returns is finite.
    #[test]
    fn any_settings_give_finite_weights_or_an_error(
        a in prop_oneof![any::<f64>(), -1e40..1e40f64, Just(1e308), Just(-1e308), Just(5e-324)],
        b in prop_oneof![any::<f64>(), -1e40..1e40f64, Just(1e308), Just(f64::MAX), Just(0.0)],
        kind in 0usize..9,
        seed in any::<u64>(),
    ) {
        let dist = [
            ScalingDistribution::TruncatedNormal,
            ScalingDistribution::UntruncatedNormal,
            ScalingDistribution::Uniform,
        ];
        let init = match kind {
            0 => Initializer::Constant(a),
            1 => Initializer::RandomNormal { mean: a, stddev: b },
            2 => Initializer::TruncatedNormal { mean: a, stddev: b },
            3 => Initializer::RandomUniform { minval: a, maxval: b },
            4..=6 => Initializer::VarianceScaling {
                scale: b,
                mode: FanMode::FanAvg,
                distribution: dist[kind - 4],
            },
            7 => Initializer::Orthogonal { gain: a },
            _ => Initializer::Identity { gain: a },
        };
        if let Ok(w) = init.sample_seeded::<f32>(&[3, 2], seed) {
            prop_assert!(w.iter().all(|x| x.is_finite()), "{init:?} gave {w}");
        }
        if let Ok(w) = init.sample_seeded::<f64>(&[3, 2], seed) {
            prop_assert!(w.iter().all(|x| x.is_finite()), "{init:?} gave {w}");
        }
    }
}
