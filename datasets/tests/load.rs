//! `load_data_from(dir)` on tiny four-file data sets written here: shapes and values come back
//! as written, in Keras' `((x_train, y_train), (x_test, y_test))` order, and every
//! data-set-level check (image size, label range, equal counts, missing files) has its error.

mod common;

use common::{tiny_split, write_tiny_dataset};
use datasets::{DatasetError, fashion_mnist, idx, mnist};
use ndarray::{Array1, Array3};

#[test]
fn loads_gzip_files_in_keras_order() {
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = write_tiny_dataset(dir.path(), true);
    let loaded = fashion_mnist::load_data_from(dir.path()).unwrap();
    assert_eq!(loaded, (train, test));
    assert_eq!(loaded.0.0.shape(), &[5, 28, 28]);
    assert_eq!(loaded.1.1.shape(), &[3]);
}

#[test]
fn loads_uncompressed_files_too_and_mnist_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let expected = write_tiny_dataset(dir.path(), false);
    assert_eq!(fashion_mnist::load_data_from(dir.path()).unwrap(), expected);
    assert_eq!(mnist::load_data_from(dir.path()).unwrap(), expected);
}

#[test]
fn class_names_are_the_tutorials() {
    assert_eq!(fashion_mnist::CLASS_NAMES[0], "T-shirt/top");
    assert_eq!(fashion_mnist::CLASS_NAMES[9], "Ankle boot");
    assert_eq!(
        fashion_mnist::CLASS_NAMES.join("|"),
        "T-shirt/top|Trouser|Pullover|Dress|Coat|Sandal|Shirt|Sneaker|Bag|Ankle boot"
    );
    assert_eq!(mnist::CLASS_NAMES.concat(), "0123456789");
}

#[test]
fn images_that_are_not_28x28_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_dataset(dir.path(), true);
    let p = dir.path().join("t10k-images-idx3-ubyte.gz");
    idx::write(&p, &Array3::<u8>::zeros((3, 27, 28)), true).unwrap();
    match fashion_mnist::load_data_from(dir.path()) {
        Err(DatasetError::WrongShape {
            path,
            expected,
            found,
        }) => {
            assert_eq!(path, p);
            assert!(expected.contains("28, 28"), "{expected}");
            assert_eq!(found, vec![3, 27, 28]);
        }
        other => panic!("expected WrongShape, got {other:?}"),
    }
}

#[test]
fn a_label_outside_0_to_9_is_rejected_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_dataset(dir.path(), true);
    let p = dir.path().join("train-labels-idx1-ubyte.gz");
    idx::write(&p, &Array1::from(vec![0u8, 1, 2, 10, 4]), true).unwrap();
    match fashion_mnist::load_data_from(dir.path()) {
        Err(DatasetError::LabelOutOfRange {
            path,
            index,
            label,
            classes,
        }) => {
            assert_eq!((path, index, label, classes), (p, 3, 10, 10));
        }
        other => panic!("expected LabelOutOfRange, got {other:?}"),
    }
}

#[test]
fn image_and_label_counts_must_match() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_dataset(dir.path(), true);
    let labels = dir.path().join("t10k-labels-idx1-ubyte.gz");
    idx::write(&labels, &tiny_split(4, 0).1, true).unwrap();
    match fashion_mnist::load_data_from(dir.path()) {
        Err(DatasetError::CountMismatch {
            images_path,
            labels_path,
            images,
            labels: n,
        }) => {
            assert_eq!(images_path, dir.path().join("t10k-images-idx3-ubyte.gz"));
            assert_eq!(labels_path, labels);
            assert_eq!((images, n), (3, 4));
        }
        other => panic!("expected CountMismatch, got {other:?}"),
    }
}

#[test]
fn swapped_files_fail_on_rank() {
    // Labels where images belong: rank 1 found, 3 expected.
    let dir = tempfile::tempdir().unwrap();
    write_tiny_dataset(dir.path(), true);
    let images = dir.path().join("train-images-idx3-ubyte.gz");
    std::fs::copy(dir.path().join("train-labels-idx1-ubyte.gz"), &images).unwrap();
    assert!(matches!(
        fashion_mnist::load_data_from(dir.path()),
        Err(DatasetError::WrongRank { expected: 3, found: 1, ref path, .. }) if *path == images
    ));
}

#[test]
fn a_missing_file_is_named_with_the_fixes() {
    let dir = tempfile::tempdir().unwrap();
    write_tiny_dataset(dir.path(), true);
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let err = fashion_mnist::load_data_from(dir.path()).unwrap_err();
    let DatasetError::NotFound { tried, fixes, .. } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(tried.len(), 1);
    assert_eq!(tried[0].outcome, "missing t10k-labels-idx1-ubyte.gz");
    assert_eq!(fixes.len(), 3);
    let msg = err.to_string();
    assert!(msg.contains("FASHION_MNIST_DIR"), "{msg}");
    assert!(msg.contains("dataset-fashion-mnist"), "{msg}");
}
