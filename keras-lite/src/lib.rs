//! keras-lite: the Keras 2 API (`Sequential`, `compile`, `fit`, `evaluate`, `predict`),
//! assembled from the chapter crates, printing what Keras prints and computing what
//! TensorFlow computes.
//!
//! TensorFlow's beginner tutorial reads the same here (the `fashion_mnist` example runs it on
//! the real data):
//!
//! ```
//! use keras_lite::layers::{Dense, Flatten};
//! use keras_lite::{EvaluateOptions, FitOptions, Sequential};
//! # keras_lite::backend::set_random_seed(0);
//! # let x_train = ndarray::Array3::<f32>::from_shape_fn((64, 28, 28), |(i, r, _)| ((i % 10 == r % 10) as u8) as f32);
//! # let y_train = ndarray::Array1::<u8>::from_shape_fn(64, |i| (i % 10) as u8);
//! # let (x_test, y_test) = (x_train.clone(), y_train.clone());
//! // let ((x_train, y_train), (x_test, y_test)) = datasets::fashion_mnist::load_data()?;
//! // let x_train = x_train.mapv(|p| f32::from(p) / 255.0);   (and x_test)
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[28, 28]).into(),
//!     Dense::new(128).activation("relu").into(),
//!     Dense::new(10).activation("softmax").into(),
//! ]);
//! model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?;
//! model.summary()?;
//! let history = model.fit(&x_train, &y_train, FitOptions { epochs: 5, ..Default::default() })?;
//! let result = model.evaluate(&x_test, &y_test, EvaluateOptions { verbose: 2, ..Default::default() })?;
//! println!("Test accuracy: {:.4}", result["accuracy"]);
//! assert_eq!(history["loss"].len(), 5);
//! # Ok::<(), keras_lite::KerasError>(())
//! ```
//!
//! ```text
//! cargo run -p keras-lite --example fashion_mnist              # the tutorial (dev profile)
//! cargo run --release -p keras-lite --example fashion_mnist    # faster still
//! cargo run --release -p keras-lite --example fashion_mnist_cnn  # the CNN (Conv2D, MaxPooling2D)
//! cargo run --release -p keras-lite --example keras_parity -- testdata/keras2_parity.json
//! ```
//!
//! Images keep Keras' layout: `x` of shape `(N, 28, 28, 1)` (channels_last) for a
//! `Conv2D::new(32, 3).input_shape(&[28, 28, 1])`; data without the channel axis is an error
//! saying how to add it.
//!
//! # Keras (Python) -> keras-lite
//!
//! | Keras | keras-lite |
//! |---|---|
//! | `Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation='relu')])` | `Sequential::new(vec![Flatten::new().input_shape(&[28, 28]).into(), Dense::new(128).activation("relu").into()])` |
//! | `model.compile(optimizer='adam', loss=..., metrics=['accuracy'])` | `model.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])?`, or objects: [`optimizers::Adam`]`::default().learning_rate(1e-3)`, `Loss::...`, `Metric::...` |
//! | `tf.keras.optimizers.RMSprop(learning_rate=1e-3, rho=0.9)` | [`optimizers::RMSprop`]`::default().learning_rate(1e-3).rho(0.9)` (Keras' defaults, one setter per argument) |
//! | `callbacks=[EarlyStopping(patience=2)]` | `FitOptions { callbacks: vec![&mut es], .. }` with `let mut es = `[`callbacks::EarlyStopping`]`::default().patience(2);` |
//! | `Dense(64, kernel_regularizer='l2')`, `regularizers.l1_l2(l1=1e-5, l2=1e-4)` | `Dense::new(64).kernel_regularizer("l2")`, [`regularizers::l1_l2`]`(1e-5, 1e-4)` |
//! | `model.fit(x, y, epochs=5, validation_split=0.2)` | `model.fit(&x, &y, FitOptions { epochs: 5, validation_split: 0.2, ..Default::default() })?` |
//! | `history.history['loss']` | `history["loss"]` |
//! | `model.evaluate(x, y, verbose=2)` | `model.evaluate(&x, &y, EvaluateOptions { verbose: 2, ..Default::default() })?` -> [`Logs`]: `r[1]` or `r["accuracy"]` |
//! | `model.predict(x)` | `model.predict(&x, PredictOptions::default())?` -> `Array2<f32>` |
//! | `Dropout(0.2)`, `BatchNormalization()` | `Dropout::new(0.2).into()`, `BatchNormalization::new().into()` (Keras' defaults; active in `fit`, inference mode in `evaluate`/`predict`) |
//! | `Conv2D(32, 3, activation='relu', input_shape=(28, 28, 1))` | `Conv2D::new(32, 3).activation("relu").input_shape(&[28, 28, 1]).into()` (`.strides((2, 1))`, `.padding("same")`; channels_last) |
//! | `MaxPooling2D(2)`, `AveragePooling2D(3, strides=2, padding='same')`, `GlobalAveragePooling2D()`, `Reshape((7, 7, 16))` | `MaxPooling2D::new(2).into()`, `AveragePooling2D::new(3).strides(2).padding("same").into()`, `GlobalAveragePooling2D::new().into()`, `Reshape::new(&[7, 7, 16]).into()` |
//! | `model.get_weights()`, `set_weights(w)` | the same, `Vec<ArrayD<f32>>` (`[kernel, bias]` per Dense layer, `[gamma, beta, moving_mean, moving_variance]` per BatchNormalization) |
//! | `tf.keras.utils.set_random_seed(42)` | [`backend::set_random_seed`]`(42)` |
//!
//! Data: `x` is any ndarray (`f32`, `f64`, `u8`, ... of any rank) whose axes after the first
//! equal the input shape; `y` holds class indices `(N,)` or rows `(N, units)`. See [`data`].
//! Every mistake (an unknown name, a shape that does not fit, labels outside the classes, NaN
//! in the data, fit before compile, ...) is a [`KerasError`] naming the problem and the fix.
//!
//! # What comes from where
//!
//! keras-lite assembles; the chapter crates compute:
//!
//! | piece | from |
//! |---|---|
//! | activations (`"relu"`, `"softmax"`, ...) and their backward passes | ch03 `keras::Activation`, on the book's kernels `relu_scalar`, `sigmoid_scalar`, `softmax_row_into` |
//! | losses by name, per sample, Keras' reduction | ch04 `keras::Loss`, `keras::reduce` |
//! | `Dense` = `x W + b` and its gradients | ch05 `Affine` (+ ch03 `Activation::forward_into`/`backward_into`) |
//! | the `Activation` layer | ch05 `ActivationLayer` |
//! | loss gradients; softmax + cross-entropy fused from the logits | ch05 `keras::loss_gradient`, `SoftmaxWithLoss` (ch03's softmax and ch04's `cross_entropy_logits_row` kernels) |
//! | `Dropout` (inverted, as Keras) and `BatchNormalization` (per channel on images: the `(N*H*W, C)` view) | ch06 `dropout::Dropout::keras`, `batch_norm::BatchNormalization` |
//! | `Conv2D` = `im2col`, `col W_col + b` and back through `col2im` | ch07 `im2col::{im2col_into, col2im_into}`, `convolution::{conv_forward_rows, conv_backward_rows}` |
//! | `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D` | ch07 `pooling::{max,avg}_pool_{forward,backward}_into` |
//! | every optimizer, by name or object, and Keras' defaults | ch06 `keras::*` and `keras::defaults` (Adam on the book's `book::AdamStep` kernel), driven through `Layer::for_each_param` |
//! | initializers | ch06 `keras::initializers::Initializer` |
//! | `argmax` of the accuracy metrics and of the examples' predicted classes ([`metrics::argmax`]) | ch03 `argmax` |
//!
//! keras-lite itself holds the model (layers, shapes, names), the checked configuration of
//! `compile`, the training loop, metrics, the progress bar, the summary, History and
//! callbacks, regularizers and constraints, and the data checks. It draws nothing: the
//! examples' pictures (the `History` curves, the tutorial's prediction figure) come from the
//! `plot` crate, a dev-dependency, so a program using keras-lite compiles no plotters.
//!
//! # Modules
//!
//! | module | what |
//! |---|---|
//! | [`sequential`] | [`Sequential`]: layers, build, `summary`, `compile`, weights |
//! | [`layers`] | `InputLayer`, `Flatten`, `Dense`, `Activation`, `Dropout`, `BatchNormalization`, `Conv2D`, `MaxPooling2D`, `AveragePooling2D`, `GlobalAveragePooling2D`, `Reshape` |
//! | [`compile`] | what `compile` accepts by name or object, checked once |
//! | [`fit`] | [`FitOptions`] and the one training loop (arrays and a `Sequence` are two batch sources of it) |
//! | [`sequence`] | `Sequence` batch sources and their prefetching workers (`fit_sequence`, ...) |
//! | [`model_io`] | `save`/`load_model`: `config.json` in Keras' layout, through serde types |
//! | [`evaluate`] | `evaluate`, `predict`, `train_on_batch`, `test_on_batch`, `predict_on_batch` |
//! | [`metrics`] | accuracy (resolved as Keras does), top-k, losses as metrics |
//! | [`progress`] | the Keras 2 progress bar, character for character |
//! | [`summary`] | the `model.summary()` table |
//! | [`history`] | [`History`] and [`Logs`] |
//! | [`callbacks`] | the [`callbacks::Callback`] hooks and Keras' callbacks: `EarlyStopping`, `ModelCheckpoint`, `ReduceLROnPlateau`, `CSVLogger`, `LearningRateScheduler`, `TerminateOnNaN` |
//! | [`data`] | what `x` and `y` may be, and their checks |
//! | [`optimizers`] | Keras' optimizers (`SGD`, `RMSprop`, `Adam`, ...) with named setters, lookup by name and from a Keras config, `from_book` |
//! | [`initializers`], [`regularizers`], [`constraints`] | Dense's other arguments |
//! | [`backend`] | layer-name counters, the random seed |
//! | [`sizes`] | the bound every shape and weight count is checked against when a model is built |
//! | [`error`] | [`KerasError`] |
//!
//! # Speed
//!
//! Training runs in `f32` and allocates nothing per step once its buffers exist (the only
//! allocations left are matrixmultiply's packing buffers, one per matrix product; see
//! `tests/no_alloc.rs`): each layer keeps its outputs and gradients, the batch is copied into a
//! kept buffer, and the optimizer updates each parameter in place through a visitor. The
//! first layer with weights, when it is a Dense layer, skips its input gradient, which nothing
//! needs. Softmax with cross-entropy (and sigmoid with binary cross-entropy) trains from the
//! logits, as Keras does, in one fused pass.

pub mod backend;
pub mod callbacks;
pub mod compile;
pub mod constraints;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod fit;
pub mod history;
pub mod initializers;
pub mod layers;
pub mod metrics;
pub mod model_io;
pub mod monitor;
pub mod optimizers;
pub mod progress;
pub mod pyfmt;
pub mod regularizers;
pub mod sequence;
pub mod sequential;
pub mod sizes;
pub mod summary;
mod training;
pub mod weights_io;

pub use compile::{IntoLoss, IntoMetric, IntoOptimizer, MetricArg, NO_METRICS};
pub use error::{KerasError, Result};
pub use evaluate::{EvaluateOptions, PredictOptions};
pub use fit::{FitOptions, ValidationData, ValidationFreq};
pub use history::{History, Logs};
pub use metrics::Metric;
pub use sequential::Sequential;
