//! SimpleConvNet end to end: backprop against central differences (ch05's harness and the
//! book's own `numerical_gradient`), training through ch06's Trainer, and bad input.

use ch04_loss_gradient::Labels;
use ch05_backprop::gradient_check::{Differentiable, check};
use ch05_backprop::{Mode, ParamMut};
use ch06_optimizers_init::trainer::{Trainer, TrainerConfig, Verbosity};
use ch07_cnn::simple_conv_net::{SimpleConvNet, SimpleConvNetConfig};
use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn small_config() -> SimpleConvNetConfig {
    SimpleConvNetConfig {
        input_dim: (2, 7, 7),
        filter_num: 3,
        filter_size: 3,
        pad: 1,
        stride: 1,
        hidden_size: 5,
        output_size: 4,
        // larger than the book's 0.01 so that activations sit far from ReLU's kink
        weight_init_std: 0.5,
    }
}

fn inputs() -> (Array2<f64>, Array1<usize>) {
    let x = Array2::from_shape_fn((3, 98), |(i, j)| {
        (((i * 98 + j) * 7919 % 101) as f64 / 101.0 - 0.5) * 2.0
    });
    (x, Array1::from(vec![0usize, 3, 2]))
}

struct NetObjective {
    net: SimpleConvNet<f64>,
    x: Array2<f64>,
    t: Array1<usize>,
}

impl Differentiable for NetObjective {
    fn value(&mut self) -> f64 {
        self.net
            .loss(&self.x, Labels::Sparse(self.t.view()), Mode::Eval)
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

#[test]
fn backprop_matches_central_differences_end_to_end() {
    let (x, t) = inputs();
    let net = SimpleConvNet::new(small_config(), &mut StdRng::seed_from_u64(3)).unwrap();
    let mut objective = NetObjective { net, x, t };
    let report = check(&mut objective);
    let names: Vec<&str> = report.errors.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["W1", "b1", "W2", "b2", "W3", "b3"]);
    report.ensure_below(1e-6).unwrap();
}

#[test]
fn the_books_gradient_check_mean_abs_differences_are_tiny() {
    // The book's gradient_check: mean |backprop - numerical_gradient| per parameter.
    let (x, t) = inputs();
    let mut net = SimpleConvNet::<f64>::new(small_config(), &mut StdRng::seed_from_u64(3)).unwrap();
    let numerical = net
        .numerical_gradient(&x, Labels::Sparse(t.view()))
        .unwrap();
    net.gradient(&x, Labels::Sparse(t.view())).unwrap();
    let mut i = 0;
    net.for_each_param(&mut |p| {
        let (name, g) = &numerical[i];
        assert_eq!(*name, p.name);
        let diff = (&p.grad - g).mapv(f64::abs).mean().unwrap();
        assert!(diff < 1e-8, "{name}: {diff:e}");
        i += 1;
    });
    assert_eq!(i, 6);
}

/// Images of 4 classes: the bright 3x3 blob sits in one of the four quadrants.
fn blobs(n: usize, seed: u64) -> (Array2<f32>, Array1<usize>) {
    use rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut x = Array2::zeros((n, 100));
    let t = Array1::from_shape_fn(n, |i| i % 4);
    for i in 0..n {
        let (qy, qx) = (t[i] / 2, t[i] % 2);
        let y0 = qy * 5 + rng.random_range(0..3);
        let x0 = qx * 5 + rng.random_range(0..3);
        for dy in 0..3 {
            for dx in 0..3 {
                x[[i, (y0 + dy) * 10 + x0 + dx]] = 1.0;
            }
        }
        for v in x.row_mut(i).iter_mut() {
            *v += rng.random_range(0.0..0.2);
        }
    }
    (x, t)
}

#[test]
fn trains_with_the_books_trainer() {
    let (x_train, t_train) = blobs(200, 1);
    let (x_test, t_test) = blobs(100, 2);
    let config = SimpleConvNetConfig {
        input_dim: (1, 10, 10),
        filter_num: 4,
        filter_size: 3,
        hidden_size: 16,
        output_size: 4,
        ..Default::default()
    };
    let mut net = SimpleConvNet::<f32>::new(config, &mut StdRng::seed_from_u64(0)).unwrap();
    let trainer_config = TrainerConfig {
        epochs: 15,
        mini_batch_size: 20,
        optimizer: "adam".into(),
        lr: 0.01,
        verbose: Verbosity::Silent,
        ..Default::default()
    };
    let mut trainer = Trainer::new(
        &mut net,
        x_train.view(),
        t_train.view(),
        x_test.view(),
        t_test.view(),
        trainer_config,
    )
    .unwrap();
    let test_acc = trainer.train().unwrap();
    assert!(test_acc > 0.9, "test accuracy {test_acc}");
    assert_eq!(trainer.train_acc_list.len(), 15);
    let first = trainer.train_loss_list[0];
    let last = *trainer.train_loss_list.last().unwrap();
    assert!(last < first / 2.0, "loss {first} -> {last}");
}

#[test]
fn bad_input_and_settings_are_errors() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut net = SimpleConvNet::<f64>::new(small_config(), &mut rng).unwrap();
    let wrong = Array2::zeros((2, 97));
    let t = Array1::from(vec![0usize, 1]);
    let e = net
        .loss(&wrong, Labels::Sparse(t.view()), Mode::Eval)
        .unwrap_err();
    assert!(e.to_string().contains("98"), "{e}");
    assert!(
        net.accuracy_batched(&Array2::zeros((3, 98)), Labels::Sparse(t.view()), 100)
            .is_err()
    );

    let too_big = SimpleConvNetConfig {
        filter_size: 9,
        ..small_config()
    };
    let e = SimpleConvNet::<f64>::new(too_big, &mut rng).unwrap_err();
    assert!(e.to_string().contains("does not fit"), "{e}");
    let negative = SimpleConvNetConfig {
        weight_init_std: -1.0,
        ..small_config()
    };
    assert!(SimpleConvNet::<f64>::new(negative, &mut rng).is_err());
}

#[test]
fn accuracy_in_batches_equals_accuracy_at_once() {
    let (x, t) = blobs(250, 5);
    let config = SimpleConvNetConfig {
        input_dim: (1, 10, 10),
        filter_num: 4,
        filter_size: 3,
        hidden_size: 8,
        output_size: 4,
        weight_init_std: 0.3,
        ..Default::default()
    };
    let mut net = SimpleConvNet::<f32>::new(config, &mut StdRng::seed_from_u64(9)).unwrap();
    let a = net
        .accuracy_batched(&x, Labels::Sparse(t.view()), 100)
        .unwrap();
    let b = net
        .accuracy_batched(&x, Labels::Sparse(t.view()), 250)
        .unwrap();
    let c = net
        .accuracy_batched(&x, Labels::Sparse(t.view()), 7)
        .unwrap();
    assert_eq!((a, a), (b, c));
}

#[test]
fn params_round_trip_through_safetensors_and_bad_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("params.safetensors");
    let mut rng = StdRng::seed_from_u64(4);
    let mut a = SimpleConvNet::<f32>::new(small_config(), &mut rng).unwrap();
    let mut b = SimpleConvNet::<f32>::new(small_config(), &mut rng).unwrap();
    a.save_params(&path).unwrap();
    b.load_params(&path).unwrap();
    let (x, t) = inputs();
    let x = x.mapv(|v| v as f32);
    let la = a.loss(&x, Labels::Sparse(t.view()), Mode::Eval).unwrap();
    let lb = b.loss(&x, Labels::Sparse(t.view()), Mode::Eval).unwrap();
    assert_eq!(la, lb);

    // another network's shapes: an error, and nothing loaded
    let other = SimpleConvNetConfig {
        filter_num: 4,
        ..small_config()
    };
    let mut c = SimpleConvNet::<f32>::new(other, &mut rng).unwrap();
    let before = c.loss(&x, Labels::Sparse(t.view()), Mode::Eval).unwrap();
    let e = c.load_params(&path).unwrap_err();
    assert!(e.to_string().contains("W1"), "{e}");
    assert_eq!(
        c.loss(&x, Labels::Sparse(t.view()), Mode::Eval).unwrap(),
        before
    );

    // a truncated file and a missing file
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert!(
        b.load_params(&path)
            .unwrap_err()
            .to_string()
            .contains("safetensors")
    );
    assert!(b.load_params(&dir.path().join("missing")).is_err());
    // saving into a folder that does not exist is an error, not a panic
    assert!(
        a.save_params(&dir.path().join("no/such/dir/p.safetensors"))
            .is_err()
    );
}
