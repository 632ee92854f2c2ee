//! MNIST: 70,000 grayscale 28x28 images of handwritten digits, as `keras.datasets.mnist`,
//! read from the four IDX files of the original distribution (the same file names as
//! Fashion-MNIST).
//!
//! ```no_run
//! let ((x_train, y_train), (x_test, y_test)) = datasets::mnist::load_data()?;
//! assert_eq!(x_train.shape(), &[60000, 28, 28]);
//! # Ok::<(), datasets::DatasetError>(())
//! ```
//!
//! Where it looks, in order: `$MNIST_DIR`, then `~/.keras/datasets/mnist` (or
//! `$KERAS_HOME/datasets/mnist`). There is no download and no system folder: Keras' mirror
//! holds MNIST only as one `mnist.npz` archive, which this crate does not read, and Debian has
//! no MNIST package. Put the four files `train-images-idx3-ubyte.gz`,
//! `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz`, `t10k-labels-idx1-ubyte.gz`
//! (from the MNIST database's page or any of its mirrors) in one of those folders.

use crate::search::{DataFile, Dataset, SearchPaths};
use crate::{DatasetError, TrainTest};
use std::path::Path;

/// The ten classes: the digits `"0"` to `"9"`.
pub const CLASS_NAMES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// MNIST's files, search places and class names. The checksums are empty: MNIST is never
/// downloaded by this crate, so they are never used.
pub const DATASET: Dataset = Dataset {
    name: "MNIST",
    env_var: "MNIST_DIR",
    cache_subdir: "mnist",
    system_dir: None,
    system_install: None,
    mirror: None,
    mirror_env_var: "MNIST_MIRROR",
    files: [
        DataFile {
            name: "train-images-idx3-ubyte",
            sha256: "",
        },
        DataFile {
            name: "train-labels-idx1-ubyte",
            sha256: "",
        },
        DataFile {
            name: "t10k-images-idx3-ubyte",
            sha256: "",
        },
        DataFile {
            name: "t10k-labels-idx1-ubyte",
            sha256: "",
        },
    ],
    image_shape: [28, 28],
    class_names: &CLASS_NAMES,
    no_download_reason: "Keras' mirror has MNIST only as mnist.npz, which this crate does not read",
};

/// `((x_train, y_train), (x_test, y_test))`: images `(60000, 28, 28)` and `(10000, 28, 28)` of
/// `u8`, labels in `0..10`, from `$MNIST_DIR` or `~/.keras/datasets/mnist`.
pub fn load_data() -> Result<TrainTest, DatasetError> {
    DATASET.load_data()
}

/// The same, from the four files in `dir` only (each `NAME.gz` or `NAME`).
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<TrainTest, DatasetError> {
    DATASET.load_data_from(dir)
}

/// The same, looking in the places of `paths` in order.
pub fn load_data_with(paths: &SearchPaths) -> Result<TrainTest, DatasetError> {
    DATASET.load_data_with(paths)
}

/// The search order [`load_data`] uses, built from the environment.
pub fn search_paths() -> SearchPaths {
    DATASET.search_paths()
}
