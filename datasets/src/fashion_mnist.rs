//! Fashion-MNIST: 70,000 grayscale 28x28 images of clothing in 10 classes, as
//! `keras.datasets.fashion_mnist`.
//!
//! ```python
//! # the TensorFlow tutorial
//! (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
//! ```
//!
//! ```no_run
//! let ((x_train, y_train), (x_test, y_test)) = datasets::fashion_mnist::load_data()?;
//! assert_eq!(x_train.shape(), &[60000, 28, 28]);
//! assert_eq!(y_test.len(), 10000);
//! println!("first label: {}", datasets::fashion_mnist::CLASS_NAMES[usize::from(y_train[0])]);
//! # Ok::<(), datasets::DatasetError>(())
//! ```
//!
//! Where it looks, in order: `$FASHION_MNIST_DIR`, `~/.keras/datasets/fashion-mnist` (or
//! `$KERAS_HOME/datasets/fashion-mnist`), `/usr/share/datasets/fashion-mnist` (Debian's
//! `dataset-fashion-mnist`), then (feature `download`, on by default) a download from Keras'
//! mirror (or `$FASHION_MNIST_MIRROR`) into the Keras cache folder, verified by SHA-256.

use crate::search::{DataFile, Dataset, SearchPaths};
use crate::{DatasetError, TrainTest};
use std::path::Path;

/// The ten classes, indexed by label, as the TensorFlow tutorial names them.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The base URL Keras downloads Fashion-MNIST from.
pub const KERAS_MIRROR: &str = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";

/// Fashion-MNIST's files, checksums, search places and class names.
pub const DATASET: Dataset = Dataset {
    name: "Fashion-MNIST",
    env_var: "FASHION_MNIST_DIR",
    cache_subdir: "fashion-mnist",
    system_dir: Some("/usr/share/datasets/fashion-mnist"),
    system_install: Some("sudo apt-get install dataset-fashion-mnist (Debian, Ubuntu)"),
    mirror: Some(KERAS_MIRROR),
    mirror_env_var: "FASHION_MNIST_MIRROR",
    files: [
        DataFile {
            name: "train-images-idx3-ubyte",
            sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
        },
        DataFile {
            name: "train-labels-idx1-ubyte",
            sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
        },
        DataFile {
            name: "t10k-images-idx3-ubyte",
            sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
        },
        DataFile {
            name: "t10k-labels-idx1-ubyte",
            sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
        },
    ],
    image_shape: [28, 28],
    class_names: &CLASS_NAMES,
    no_download_reason: "",
};

/// `((x_train, y_train), (x_test, y_test))`: images `(60000, 28, 28)` and `(10000, 28, 28)` of
/// `u8` in `0..=255`, labels `(60000,)` and `(10000,)` in `0..10`, from the first place of the
/// search order that has the four files (see the module docs).
pub fn load_data() -> Result<TrainTest, DatasetError> {
    DATASET.load_data()
}

/// The same, from the four files in `dir` only (each `NAME.gz` or `NAME`).
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<TrainTest, DatasetError> {
    DATASET.load_data_from(dir)
}

/// The same, looking in the places of `paths` in order (build them with [`search_paths`] and
/// change what you need, e.g. `download_base_url: None` to never download).
pub fn load_data_with(paths: &SearchPaths) -> Result<TrainTest, DatasetError> {
    DATASET.load_data_with(paths)
}

/// The search order [`load_data`] uses, built from the environment.
pub fn search_paths() -> SearchPaths {
    DATASET.search_paths()
}
