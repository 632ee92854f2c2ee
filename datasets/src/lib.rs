//! Fashion-MNIST and MNIST in Keras' shape, read from local IDX files first.
//!
//! This crate mirrors `keras.datasets.fashion_mnist.load_data()` and
//! `keras.datasets.mnist.load_data()`: the same return shape, the same class order, the same
//! cache folder, so the TensorFlow tutorial's first lines read almost the same in Rust:
//!
//! ```python
//! fashion_mnist = tf.keras.datasets.fashion_mnist
//! (train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
//! ```
//!
//! ```no_run
//! use datasets::fashion_mnist::{self, CLASS_NAMES};
//!
//! let ((train_images, train_labels), (test_images, test_labels)) = fashion_mnist::load_data()?;
//! assert_eq!(train_images.shape(), &[60000, 28, 28]); // Array3<u8>, pixels 0..=255
//! assert_eq!(test_labels.len(), 10000);               // Array1<u8>, classes 0..10
//! println!("{}", CLASS_NAMES[usize::from(train_labels[0])]); // "Ankle boot"
//! # let _ = (test_images,);
//! # Ok::<(), datasets::DatasetError>(())
//! ```
//!
//! The same call on four tiny files written on the spot (this one runs as a doctest; the
//! tests build their data the same way, so none of them needs the real data set):
//!
//! ```
//! use datasets::{fashion_mnist, idx};
//! use ndarray::{Array1, Array3};
//!
//! let dir = tempfile::tempdir()?;
//! let images = Array3::<u8>::from_shape_fn((2, 28, 28), |(n, r, c)| (n + r + c) as u8);
//! let labels = Array1::from(vec![9u8, 0]);
//! for split in ["train", "t10k"] {
//!     idx::write(dir.path().join(format!("{split}-images-idx3-ubyte.gz")), &images, true)?;
//!     idx::write(dir.path().join(format!("{split}-labels-idx1-ubyte.gz")), &labels, true)?;
//! }
//! let ((x_train, y_train), (x_test, _)) = fashion_mnist::load_data_from(dir.path())?;
//! assert_eq!(x_train, images);
//! assert_eq!(x_test.shape(), &[2, 28, 28]);
//! assert_eq!(fashion_mnist::CLASS_NAMES[usize::from(y_train[0])], "Ankle boot");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where the files are looked for
//!
//! In order, the first place holding all four files wins ([`search`] has the details):
//!
//! | # | Fashion-MNIST | MNIST |
//! |---|---|---|
//! | 1 | `$FASHION_MNIST_DIR` | `$MNIST_DIR` |
//! | 2 | `~/.keras/datasets/fashion-mnist` (Keras' own cache; `$KERAS_HOME` replaces `~/.keras`) | `~/.keras/datasets/mnist` |
//! | 3 | `/usr/share/datasets/fashion-mnist` (Debian: `apt-get install dataset-fashion-mnist`) | none |
//! | 4 | feature `download` (default): Keras' mirror, or `$FASHION_MNIST_MIRROR`, into place 2, checked by SHA-256, written atomically | none: Keras' mirror has only `mnist.npz` |
//!
//! Each file may be gzip-compressed (`NAME.gz`, as distributed) or not (`NAME`); the reader
//! decides by the magic bytes. Tests and programs that must not depend on the environment
//! build a [`SearchPaths`] themselves and call `load_data_with`.
//!
//! # Errors
//!
//! Every failure is a [`DatasetError`] naming the file, what was expected and what was found:
//! a bad magic number, an unknown element type, the wrong rank or image size, a file cut short
//! or with bytes past its declared size, a label outside `0..10`, image and label counts that
//! differ, a bad CSV row (by line number), a failed download or checksum, a file declaring more
//! memory than can be allocated, a failed write (the previous file is then unchanged), and a
//! `$FASHION_MNIST_DIR` naming a folder without the files. When no place has the
//! files, [`DatasetError::NotFound`] lists every place tried, in order, and the three ways to
//! fix it: set the environment variable, install the files (Debian's package), or allow the
//! download.
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`fashion_mnist`] | `load_data()`, `load_data_from(dir)`, `CLASS_NAMES` |
//! | [`mnist`] | the same for the handwritten digits |
//! | [`idx`] | the IDX format: read (plain or gzip, any type and rank), encode, write |
//! | [`csv`] | the `label,pixel1,...,pixel784` CSV layout: read and write |
//! | [`search`] | the search order, [`Dataset`] and [`SearchPaths`] |
//! | `download` | the verified, atomic download (feature `download`) |
//! | [`atomic_write`] | how every writer replaces a file: temporary file, sync, rename |
//! | [`error`] | [`DatasetError`] |
//!
//! The `inspect` example prints what a file holds and draws the tutorial's first figure:
//! `cargo run -p datasets --example inspect -- /usr/share/datasets/fashion-mnist/*.gz --png grid.png`.

pub mod atomic_write;
pub mod csv;
pub mod error;
pub mod fashion_mnist;
pub mod idx;
pub mod mnist;
pub mod search;

#[cfg(feature = "download")]
pub mod download;

pub use error::{DatasetError, Tried};
pub use search::{DataFile, Dataset, SearchPaths};

use ndarray::{Array1, Array3};

/// One split of an image data set: images `(n, rows, cols)` and labels `(n,)`.
pub type Split = (Array3<u8>, Array1<u8>);

/// What `load_data` returns, as in Keras: `((x_train, y_train), (x_test, y_test))`.
pub type TrainTest = (Split, Split);
