//! The image layers inside models: Keras' summary, saving and loading in Keras' layout, and the
//! errors a user meets (a missing channel axis, channels_first, windows that do not fit).

mod common;

use common::temp_path;
use keras_lite::layers::{
    AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling2D,
    MaxPooling2D, Reshape,
};
use keras_lite::{FitOptions, PredictOptions, Sequential};
use ndarray::{Array1, Array4};

fn quiet() -> PredictOptions {
    PredictOptions {
        verbose: 0,
        ..Default::default()
    }
}

/// 48 images 8x8x1 of 3 classes: a bright row at a class-dependent height.
fn bars() -> (Array4<f32>, Array1<u8>) {
    let y = Array1::from_shape_fn(48, |i| (i % 3) as u8);
    let x = Array4::from_shape_fn((48, 8, 8, 1), |(i, r, c, _)| {
        let noise = ((i * 31 + r * 7 + c * 13) % 17) as f32 / 40.0;
        noise + if r == 1 + 2 * (i % 3) { 1.0 } else { 0.0 }
    });
    (x, y)
}

fn every_layer(seed: u64) -> Sequential {
    keras_lite::backend::set_random_seed(seed);
    Sequential::new(vec![
        Conv2D::new(4, 3)
            .padding("same")
            .activation("relu")
            .input_shape(&[8, 8, 1])
            .into(),
        BatchNormalization::new().into(),
        MaxPooling2D::new(2).into(),
        Conv2D::new(6, (2, 3)).strides((1, 2)).into(),
        AveragePooling2D::new(2).strides(1).padding("same").into(),
        Dropout::new(0.1).into(),
        Reshape::new(&[1, 3, 6]).into(),
        GlobalAveragePooling2D::new().into(),
        Dense::new(3).activation("softmax").into(),
    ])
}

#[test]
fn summary_has_keras_shapes_and_counts() {
    keras_lite::backend::clear_session();
    let mut m = every_layer(1);
    let text = m.summary_string().unwrap();
    for line in [
        "conv2d (Conv2D)              (None, 8, 8, 4)           40",
        "batch_normalization (BatchNo (None, 8, 8, 4)           16",
        "max_pooling2d (MaxPooling2D) (None, 4, 4, 4)           0",
        "conv2d_1 (Conv2D)            (None, 3, 1, 6)           150",
        "average_pooling2d (AveragePo (None, 3, 1, 6)           0",
        "reshape (Reshape)            (None, 1, 3, 6)           0",
        "global_average_pooling2d (Gl (None, 6)                 0",
        "dense (Dense)                (None, 3)                 21",
        "Total params: 227",
        "Non-trainable params: 8",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
}

#[test]
fn a_cnn_learns_and_saves_in_keras_layout() {
    let (x, y) = bars();
    let mut m = every_layer(2);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let h = m
        .fit(
            &x,
            &y,
            FitOptions {
                epochs: 30,
                batch_size: 16,
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    let loss = &h["loss"];
    assert!(loss[29] < 0.5 * loss[0], "loss {loss:?}");

    // Weights: Keras' names and kernel layout (KH, KW, C_in, C_out).
    let path = temp_path("cnn.weights.safetensors");
    m.save_weights(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert_eq!(st.tensor("conv2d/kernel").unwrap().shape(), [3, 3, 1, 4]);
    assert_eq!(st.tensor("conv2d_1/kernel").unwrap().shape(), [2, 3, 4, 6]);
    assert_eq!(st.tensor("conv2d_1/bias").unwrap().shape(), [6]);
    assert_eq!(
        st.tensor("batch_normalization/moving_variance")
            .unwrap()
            .shape(),
        [4]
    );
    let w = m.get_weights().unwrap();
    assert_eq!(w[0].shape(), [3, 3, 1, 4]);

    // Another model of the same architecture predicts the same after loading.
    let mut other = every_layer(3);
    assert_ne!(
        other.predict(&x, quiet()).unwrap(),
        m.predict(&x, quiet()).unwrap()
    );
    other.load_weights(&path).unwrap();
    assert_eq!(
        other.predict(&x, quiet()).unwrap(),
        m.predict(&x, quiet()).unwrap()
    );

    // The whole model, from its config alone.
    let dir = temp_path("cnn_model");
    m.save(&dir).unwrap();
    let mut loaded = keras_lite::model_io::load_model(&dir).unwrap();
    assert_eq!(
        loaded.predict(&x, quiet()).unwrap(),
        m.predict(&x, quiet()).unwrap()
    );
    assert_eq!(
        loaded.summary_string().unwrap(),
        m.summary_string().unwrap()
    );
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn set_weights_takes_keras_layout_and_checks_it() {
    let mut m = Sequential::new(vec![
        Conv2D::new(2, (2, 3)).input_shape(&[4, 5, 3]).into(),
        Flatten::new().into(),
    ]);
    let mut w = m.get_weights().unwrap();
    assert_eq!(w[0].shape(), [2, 3, 3, 2]);
    w[0].iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
    m.set_weights(&w).unwrap();
    assert_eq!(m.get_weights().unwrap(), w);
    // A kernel in another memory order (a transposed view) is read by its logical indices.
    let other_order = Array4::from_shape_fn((2, 3, 2, 3), |(a, b, c, d)| {
        (a * 100 + b * 10 + c + d * 7) as f32
    })
    .permuted_axes([0, 1, 3, 2])
    .into_dyn();
    m.set_weights(&[other_order.clone(), w[1].clone()]).unwrap();
    assert_eq!(m.get_weights().unwrap()[0], other_order);
    let wrong = vec![ndarray::ArrayD::zeros(vec![3, 2, 3, 2]), w[1].clone()];
    let e = m.set_weights(&wrong).unwrap_err().to_string();
    assert!(e.contains("[2, 3, 3, 2]"), "{e}");
    // A kernel of ones over an image of ones: every output is kh*kw*c_in.
    let ones = vec![ndarray::ArrayD::ones(vec![2, 3, 3, 2]), w[1].mapv(|_| 0.0)];
    m.set_weights(&ones).unwrap();
    let y = m
        .predict(&Array4::<f32>::ones((1, 4, 5, 3)), quiet())
        .unwrap();
    assert_eq!(y.dim(), (1, 3 * 3 * 2));
    assert!(y.iter().all(|&v| v == 18.0), "{y}");
}

#[test]
fn images_without_a_channel_axis_get_a_clear_error() {
    let mut m = Sequential::new(vec![
        Conv2D::new(2, 3).input_shape(&[8, 8, 1]).into(),
        Flatten::new().into(),
        Dense::new(2).into(),
    ]);
    m.compile("sgd", "mse", keras_lite::NO_METRICS).unwrap();
    let x = ndarray::Array3::<f32>::zeros((4, 8, 8));
    let e = m.predict(&x, quiet()).unwrap_err().to_string();
    assert!(e.contains("channel axis") && e.contains("(4, 8, 8)"), "{e}");
    // A Conv2D declared on 2-D samples says the same.
    let mut m = Sequential::new(vec![Conv2D::new(2, 3).input_shape(&[8, 8]).into()]);
    let e = m.summary_string().unwrap_err().to_string();
    assert!(e.contains("input_shape(&[8, 8, 1])"), "{e}");
}

#[test]
fn bad_configurations_name_the_layer() {
    let check = |layer: keras_lite::layers::Layer, needle: &str| {
        let mut m = Sequential::new(vec![layer]);
        let e = m.summary_string().unwrap_err().to_string();
        assert!(e.contains(needle), "{needle:?} not in {e}");
    };
    check(
        Conv2D::new(2, 3)
            .data_format("channels_first")
            .input_shape(&[1, 8, 8])
            .into(),
        "channels_last",
    );
    check(
        Conv2D::new(2, 9).name("big").input_shape(&[8, 8, 1]).into(),
        "\"big\"",
    );
    check(
        Conv2D::new(2, 3)
            .padding("sam")
            .input_shape(&[8, 8, 1])
            .into(),
        "valid, same",
    );
    check(
        Conv2D::new(0, 3).input_shape(&[8, 8, 1]).into(),
        "0 filters",
    );
    check(
        Conv2D::new(2, 3).strides(0).input_shape(&[8, 8, 1]).into(),
        "at least 1",
    );
    check(
        MaxPooling2D::new(3)
            .name("p")
            .input_shape(&[2, 2, 1])
            .into(),
        "\"p\"",
    );
    check(
        Reshape::new(&[5, 5]).input_shape(&[8, 8, 1]).into(),
        "64 values",
    );
    check(
        Conv2D::new(usize::MAX, 3).input_shape(&[8, 8, 1]).into(),
        "too large",
    );
}
