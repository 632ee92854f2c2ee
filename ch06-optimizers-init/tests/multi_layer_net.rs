//! MultiLayerNet(Extend): whole-network gradient check (with weight decay and batch
//! normalization) against ch05's central differences, the weight-decay loss term, the
//! parameter layout, the Trainer's checks and its bookkeeping.

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::{Differentiable, check};
use ch05_backprop::{Mode, ParamMut};
use ch06_optimizers_init::multi_layer_net::{MultiLayerNet, NetConfig};
use ch06_optimizers_init::trainer::{TrainError, Trainer, TrainerConfig, Verbosity};
use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::{Array1, Array2, array};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

struct NetObjective {
    net: MultiLayerNet<f64>,
    x: Array2<f64>,
    t: Array1<usize>,
}

impl Differentiable for NetObjective {
    fn value(&mut self) -> f64 {
        // Train mode: batch statistics, as in the gradient (no dropout in these nets).
        self.net
            .loss(&self.x, Labels::Sparse(self.t.view()), Mode::Train)
            .unwrap()
    }
    fn value_and_gradient(&mut self) -> f64 {
        self.net
            .gradient(&self.x, Labels::Sparse(self.t.view()))
            .unwrap()
    }
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f64>)) {
        self.net.for_each_param(f);
    }
}

fn data(n: usize, d: usize, classes: usize, seed: u64) -> (Array2<f64>, Array1<usize>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let x = Array2::from_shape_simple_fn((n, d), || rng.random_range(-1.0..1.0));
    let t = (0..n).map(|_| rng.random_range(0..classes)).collect();
    (x, t)
}

#[test]
fn whole_network_gradient_check_with_weight_decay_and_batchnorm() {
    for (activation, use_batchnorm) in [("sigmoid", false), ("tanh", true), ("sigmoid", true)] {
        let mut config = NetConfig::new(5, vec![6, 4], 3);
        config.activation = activation.parse().unwrap();
        config.weight_init_std = WeightInitStd::Xavier;
        config.weight_decay_lambda = 0.1;
        config.use_batchnorm = use_batchnorm;
        let net = config.build::<f64>(3).unwrap();
        let (x, t) = data(4, 5, 3, 11);
        let mut objective = NetObjective { net, x, t };
        let report = check(&mut objective);
        assert_eq!(report.errors.len(), if use_batchnorm { 10 } else { 6 });
        report.ensure_below(1e-6).unwrap();
    }
}

#[test]
fn weight_decay_adds_half_lambda_sum_of_squares() {
    let (x, t) = data(8, 5, 3, 2);
    let mut plain = MultiLayerNet::<f64>::new(
        5,
        vec![7],
        3,
        "relu".parse().unwrap(),
        WeightInitStd::He,
        0.0,
        9,
    )
    .unwrap();
    let mut decayed = MultiLayerNet::<f64>::new(
        5,
        vec![7],
        3,
        "relu".parse().unwrap(),
        WeightInitStd::He,
        0.3,
        9,
    )
    .unwrap();
    let sum_sq: f64 = plain
        .weights()
        .iter()
        .map(|w| w.iter().map(|v| v * v).sum::<f64>())
        .sum();
    let l0 = plain
        .loss(&x, Labels::Sparse(t.view()), Mode::Eval)
        .unwrap();
    let l1 = decayed
        .loss(&x, Labels::Sparse(t.view()), Mode::Eval)
        .unwrap();
    assert!((l1 - l0 - 0.5 * 0.3 * sum_sq).abs() < 1e-12);
}

#[test]
fn parameters_are_visited_in_the_books_order() {
    let mut config = NetConfig::new(784, vec![100, 100], 10);
    config.use_batchnorm = true;
    config.use_dropout = true;
    let mut net = config.build::<f32>(0).unwrap();
    let mut names = Vec::new();
    net.for_each_param(&mut |p| names.push((p.name, p.value.shape().to_vec())));
    let want: Vec<(&str, Vec<usize>)> = vec![
        ("W", vec![784, 100]),
        ("b", vec![100]),
        ("gamma", vec![100]),
        ("beta", vec![100]),
        ("W", vec![100, 100]),
        ("b", vec![100]),
        ("gamma", vec![100]),
        ("beta", vec![100]),
        ("W", vec![100, 10]),
        ("b", vec![10]),
    ];
    assert_eq!(names, want);
    assert_eq!(
        net.param_count(),
        784 * 100 + 100 + 200 + 100 * 100 + 100 + 200 + 1010
    );
}

#[test]
fn he_init_std_in_every_layer() {
    let net = NetConfig::new(784, vec![400, 400], 10)
        .build::<f64>(5)
        .unwrap();
    for (w, n_in) in net.weights().iter().zip([784.0, 400.0, 400.0]) {
        let std = (w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64).sqrt();
        let want = (2.0f64 / n_in).sqrt();
        assert!((std / want - 1.0).abs() < 0.05, "std {std}, want {want}");
    }
}

#[test]
fn bad_configurations_and_data_are_errors() {
    assert!(NetConfig::new(0, vec![10], 2).build::<f32>(0).is_err());
    let mut c = NetConfig::new(2, vec![10], 2);
    c.weight_decay_lambda = -1.0;
    assert!(
        c.build::<f32>(0)
            .unwrap_err()
            .to_string()
            .contains("weight_decay_lambda = -1")
    );
    let mut c = NetConfig::new(2, vec![10], 2);
    c.use_dropout = true;
    c.dropout_ratio = 1.5;
    assert!(c.build::<f32>(0).is_err());

    let mut net = NetConfig::new(2, vec![4], 2).build::<f64>(0).unwrap();
    let x = array![[0.0, 1.0], [1.0, 0.0]];
    let err = net.loss(
        &array![[0.0, 1.0, 2.0]],
        Labels::Sparse(array![0usize].view()),
        Mode::Eval,
    );
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("expected (N >= 1, 2)")
    );
    let t_bad = array![0usize, 5];
    let cfg = TrainerConfig {
        verbose: Verbosity::Silent,
        ..Default::default()
    };
    let err = Trainer::new(
        &mut net,
        x.view(),
        t_bad.view(),
        x.view(),
        t_bad.view(),
        cfg.clone(),
    )
    .err()
    .unwrap();
    assert!(
        matches!(err, TrainError::Data(ref m) if m.contains("label 5")),
        "{err}"
    );
    let t1 = array![0usize];
    let err = Trainer::new(
        &mut net,
        x.view(),
        t1.view(),
        x.view(),
        t1.view(),
        cfg.clone(),
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("2 train samples but 1 labels"),
        "{err}"
    );
    let t = array![0usize, 1];
    let bad_opt = TrainerConfig {
        optimizer: "adadelta".into(),
        ..cfg
    };
    let err = Trainer::new(&mut net, x.view(), t.view(), x.view(), t.view(), bad_opt)
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .contains("sgd, momentum, nesterov, adagrad, rmsprop, adam"),
        "{err}"
    );
}

#[test]
fn trainer_bookkeeping_follows_the_book() {
    // 300 samples, batch 100: 3 iterations per epoch; 4 epochs = 12 iterations, accuracy
    // recorded at iterations 0, 3, 6, 9.
    let (x, t) = data(300, 4, 3, 1);
    let mut net = NetConfig::new(4, vec![8], 3).build::<f64>(0).unwrap();
    let cfg = TrainerConfig {
        epochs: 4,
        verbose: Verbosity::Silent,
        evaluate_sample_num_per_epoch: Some(50),
        ..Default::default()
    };
    let mut trainer = Trainer::new(&mut net, x.view(), t.view(), x.view(), t.view(), cfg).unwrap();
    assert_eq!(trainer.iterations(), (3, 12));
    trainer.train().unwrap();
    assert_eq!(trainer.train_loss_list.len(), 12);
    assert_eq!(trainer.train_acc_list.len(), 4);
    assert!(
        trainer
            .train_acc_list
            .iter()
            .all(|a| (0.0..=1.0).contains(a))
    );
    // Accuracy on the first 50 samples is a multiple of 1/50.
    assert!(
        trainer
            .train_acc_list
            .iter()
            .all(|a| ((a * 50.0).round() - a * 50.0).abs() < 1e-9)
    );
}
