use keras_lite::callbacks::EarlyStopping;
use keras_lite::layers::Dense;
use keras_lite::optimizers::Adam;
use keras_lite::{FitOptions, KerasError, Sequential};
use ndarray::{Array1, Array2};

fn main() -> Result<(), KerasError> {
    // 200 points in the square [-1, 1]^2; the class says whether x0 + x1 > 0.
    let x = Array2::<f32>::from_shape_fn((200, 2), |(i, j)| {
        ((i * (7 + 6 * j) + 3 * j) % 17) as f32 / 8.0 - 1.0
    });
    let y = Array1::<u8>::from_shape_fn(200, |i| u8::from(x[[i, 0]] + x[[i, 1]] > 0.0));

    let mut model = Sequential::new(vec![
        Dense::new(8).activation("relu").input_shape(&[2]).into(),
        Dense::new(2).activation("softmax").into(),
    ]);
    model.compile(
        Adam::default().learning_rate(0.01),
        "sparse_categorical_crossentropy",
        &["accuracy"],
    )?;
    // Keras: model.fit(x, y, epochs=10, validation_split=0.2,
    //                  callbacks=[EarlyStopping(patience=2)])
    let mut early_stopping = EarlyStopping::default().patience(2);
    let history = model.fit(
        &x,
        &y,
        FitOptions {
            epochs: 10,
            validation_split: 0.2,
            callbacks: vec![&mut early_stopping],
            ..Default::default()
        },
    )?;
    println!("val_loss: {:?}", history["val_loss"]);
    Ok(())
}
