//! Section 3.6's scripts (`neuralnet_mnist.py`, `neuralnet_mnist_batch.py`) on the weights
//! this repository ships: they load, they give probability distributions, batches give the
//! very predictions of one image at a time (the book's point in 3.6.3: same accuracy), and on
//! Fashion-MNIST the accuracy is the one `BOOK.md` reports. Damaged files are errors.

use ch03_activations::neuralnet::Network;
use ch03_activations::neuralnet_mnist::{TENSOR_NAMES, argmax, load_network, predict, predict_one};
use ndarray::{Array2, Axis};
use safetensors::tensor::{Dtype, TensorView};
use std::io::Write;
use std::path::PathBuf;

fn shipped() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/sample_weight.safetensors")
}

/// Some inputs in [0, 1] without the data set: a fixed pattern.
fn images(n: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, 784), |(i, j)| ((i * 31 + j * 7) % 256) as f32 / 255.0)
}

#[test]
fn shipped_weights_are_the_books_784_50_100_10_shapes() {
    let net: Network<f32> = load_network(shipped()).unwrap();
    assert_eq!(net.w1.dim(), (784, 50));
    assert_eq!(net.b1.len(), 50);
    assert_eq!(net.w2.dim(), (50, 100));
    assert_eq!(net.b2.len(), 100);
    assert_eq!(net.w3.dim(), (100, 10));
    assert_eq!(net.b3.len(), 10);
    // f64 reads the same float32 numbers, widened exactly
    let wide: Network<f64> = load_network(shipped()).unwrap();
    assert!(
        net.w2
            .iter()
            .zip(&wide.w2)
            .all(|(&a, &b)| f64::from(a) == b)
    );
}

#[test]
fn a_batch_predicts_what_one_image_at_a_time_predicts() {
    let net: Network<f32> = load_network(shipped()).unwrap();
    let x = images(100);
    let y = predict(&net, &x);
    assert_eq!(y.dim(), (100, 10));
    for (row, x_i) in y.rows().into_iter().zip(x.rows()) {
        assert!((row.sum() - 1.0).abs() < 1e-5, "softmax rows sum to 1");
        let one = predict_one(&net, &x_i);
        assert_eq!(argmax(row), argmax(&one));
        for (a, b) in row.iter().zip(&one) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}

#[test]
fn neuralnet_mnist_accuracy_on_fashion_mnist() {
    let required = std::env::var("REQUIRE_FASHION_MNIST").is_ok_and(|v| v == "1");
    let (_, (x_test, t_test)) = match datasets::fashion_mnist::load_data() {
        Ok(d) => d,
        Err(e) if !required => {
            eprintln!(
                "skipped: Fashion-MNIST not found ({e}); set REQUIRE_FASHION_MNIST=1 to fail"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let x = x_test
        .mapv(|p| f32::from(p) / 255.0)
        .into_shape_with_order((10_000, 784))
        .unwrap();
    let net: Network<f32> = load_network(shipped()).unwrap();
    let mut batched = 0;
    for (xb, tb) in x
        .axis_chunks_iter(Axis(0), 100)
        .zip(t_test.axis_chunks_iter(Axis(0), 100))
    {
        let y = predict(&net, &xb);
        batched += y
            .rows()
            .into_iter()
            .zip(&tb)
            .filter(|(y, t)| argmax(y) == usize::from(**t))
            .count();
    }
    let single = x
        .rows()
        .into_iter()
        .zip(&t_test)
        .filter(|(x, t)| argmax(predict_one(&net, x)) == usize::from(**t))
        .count();
    assert_eq!(batched, single);
    // The book prints Accuracy:0.9352 for its weights on MNIST; these print 0.8705.
    assert_eq!(
        format!("Accuracy:{:?}", batched as f64 / 10_000.0),
        "Accuracy:0.8705"
    );
}

fn write_temp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(bytes).unwrap();
    f
}

fn file_of(tensors: &[(&str, Dtype, Vec<usize>)]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, d, s)| vec![0u8; s.iter().product::<usize>() * d.bitsize() / 8])
        .collect();
    let views: Vec<(&str, TensorView<'_>)> = tensors
        .iter()
        .zip(&data)
        .map(|((n, d, s), b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize(views, None).unwrap()
}

#[test]
fn damaged_or_wrong_files_are_errors_that_say_what_is_wrong() {
    let good: Vec<(&str, Dtype, Vec<usize>)> = vec![
        ("W1", Dtype::F32, vec![4, 3]),
        ("b1", Dtype::F32, vec![3]),
        ("W2", Dtype::F32, vec![3, 2]),
        ("b2", Dtype::F32, vec![2]),
        ("W3", Dtype::F32, vec![2, 2]),
        ("b3", Dtype::F32, vec![2]),
    ];
    let f = write_temp(&file_of(&good));
    let net: Network<f64> = load_network(f.path()).unwrap();
    assert_eq!(net.w1.dim(), (4, 3));

    let missing = load_network::<f32>("no/such/file.safetensors").unwrap_err();
    assert!(missing.message.contains("cannot read"), "{missing}");

    let bytes = std::fs::read(shipped()).unwrap();
    let truncated = write_temp(&bytes[..bytes.len() / 2]);
    let e = load_network::<f32>(truncated.path()).unwrap_err();
    assert!(e.message.contains("not a safetensors file"), "{e}");

    let without_b3 = write_temp(&file_of(&good[..5]));
    let e = load_network::<f32>(without_b3.path()).unwrap_err();
    assert!(e.message.contains("\"b3\""), "{e}");

    let mut f16 = good.clone();
    f16[2].1 = Dtype::F16;
    let e = load_network::<f32>(write_temp(&file_of(&f16)).path()).unwrap_err();
    assert!(e.message.contains("dtype F16"), "{e}");

    let mut unchained = good.clone();
    unchained[2].2 = vec![5, 2];
    let e = load_network::<f32>(write_temp(&file_of(&unchained)).path()).unwrap_err();
    assert!(e.message.contains("do not chain"), "{e}");
    assert_eq!(TENSOR_NAMES.len(), good.len());
}
