//! Names and user input at the boundary of the Keras losses: every alias parses, and bad
//! labels, shapes, weights and hyper-parameters are errors that say what to fix, never panics.

use ch04_loss_gradient::keras::{LOSS_NAMES, Loss};
use ch04_loss_gradient::{Labels, LossError};
use ndarray::{Array1, array};

#[test]
fn keras_names_and_aliases_parse_to_the_same_loss() {
    let same = |a: &str, b: &str| {
        assert_eq!(
            a.parse::<Loss>().unwrap(),
            b.parse::<Loss>().unwrap(),
            "{a} vs {b}"
        )
    };
    same("mse", "mean_squared_error");
    same("MSE", "mean_squared_error");
    same("mae", "mean_absolute_error");
    same("mape", "mean_absolute_percentage_error");
    same("msle", "mean_squared_logarithmic_error");
    same("kld", "kl_divergence");
    same("kullback_leibler_divergence", "kl_divergence");
    same("logcosh", "log_cosh");
    same("huber_loss", "huber");
    same("bce", "binary_crossentropy");
    same("cosine_proximity", "cosine_similarity");
    same("cosine", "cosine_similarity");
    same("CategoricalCrossentropy", "categorical_crossentropy");
    assert_eq!(
        "huber".parse::<Loss>().unwrap(),
        Loss::Huber { delta: 1.0 },
        "Keras' default delta"
    );
    assert_eq!(
        "sparse_categorical_crossentropy".parse::<Loss>().unwrap(),
        Loss::SparseCategoricalCrossentropy { from_logits: false }
    );
}

#[test]
fn every_name_round_trips_through_the_canonical_name() {
    for (name, loss) in LOSS_NAMES {
        let parsed: Loss = name.parse().unwrap();
        assert_eq!(parsed, *loss);
        assert_eq!(loss.name().parse::<Loss>().unwrap(), *loss, "{name}");
        assert_eq!(loss.to_string(), loss.name());
    }
}

#[test]
fn an_unknown_name_lists_the_valid_ones() {
    let err = "mean_square_error".parse::<Loss>().unwrap_err();
    let LossError::UnknownName { name, valid } = &err else {
        panic!("wrong error {err:?}")
    };
    assert_eq!(name, "mean_square_error");
    assert!(valid.contains("mean_squared_error") && valid.contains("mse"));
    assert!(err.to_string().contains("valid names are"));
}

#[test]
fn dense_labels_of_the_wrong_shape_are_an_error() {
    let y_pred = array![[0.1_f64, 0.9], [0.8, 0.2]];
    let y_true = array![[0.0_f64, 1.0, 0.0], [1.0, 0.0, 0.0]];
    let err = Loss::MeanSquaredError
        .per_sample(Labels::Dense(y_true.view()), &y_pred)
        .unwrap_err();
    assert!(matches!(err, LossError::Shape(_)));
    let msg = err.to_string();
    assert!(msg.contains("(2, 3)") && msg.contains("(2, 2)"), "{msg}");
}

#[test]
fn mismatched_row_counts_are_an_error() {
    let y_pred = array![[0.1_f64, 0.9], [0.8, 0.2], [0.5, 0.5]];
    let y_true = array![[0.0_f64, 1.0], [1.0, 0.0]];
    let err = Loss::BinaryCrossentropy {
        from_logits: false,
        label_smoothing: 0.0,
    }
    .per_sample(Labels::Dense(y_true.view()), &y_pred)
    .unwrap_err();
    assert!(err.to_string().contains("3 rows"), "{err}");
    let labels = array![0_usize, 1];
    let err = Loss::SparseCategoricalCrossentropy { from_logits: false }
        .per_sample(Labels::Sparse(labels.view()), &y_pred)
        .unwrap_err();
    assert!(matches!(err, LossError::Shape(_)), "{err}");
    assert!(err.to_string().contains("2 class indices"), "{err}");
}

#[test]
fn a_class_index_out_of_range_is_an_error_naming_the_sample() {
    let y_pred = array![[0.1_f32, 0.9], [0.8, 0.2]];
    let labels = array![1_usize, 2];
    for loss in [
        Loss::SparseCategoricalCrossentropy { from_logits: false },
        Loss::CategoricalCrossentropy {
            from_logits: true,
            label_smoothing: 0.0,
        },
    ] {
        let err = loss
            .per_sample(Labels::Sparse(labels.view()), &y_pred)
            .unwrap_err();
        assert!(matches!(err, LossError::Label(_)));
        let msg = err.to_string();
        assert!(
            msg.contains("label 2 of sample 1") && msg.contains("0..=1"),
            "{msg}"
        );
    }
    // Float labels in a column are checked the same way: whole, non-negative, in range.
    for bad in [2.0_f32, -1.0, 0.5, f32::NAN] {
        let column = array![[1.0_f32], [bad]];
        let err = Loss::SparseCategoricalCrossentropy { from_logits: false }
            .per_sample(Labels::Dense(column.view()), &y_pred)
            .unwrap_err();
        assert!(matches!(err, LossError::Label(_)), "{bad}: {err}");
    }
}

#[test]
fn one_hot_labels_for_the_sparse_loss_point_to_categorical_crossentropy() {
    let y_pred = array![[0.1_f32, 0.9], [0.8, 0.2]];
    let one_hot = array![[0.0_f32, 1.0], [1.0, 0.0]];
    let err = Loss::SparseCategoricalCrossentropy { from_logits: false }
        .per_sample(Labels::Dense(one_hot.view()), &y_pred)
        .unwrap_err();
    assert!(
        err.to_string().contains("categorical_crossentropy"),
        "{err}"
    );
}

#[test]
fn class_indices_for_a_dense_loss_are_an_error() {
    let y_pred = array![[0.1_f32, 0.9], [0.8, 0.2]];
    let labels = array![1_usize, 0];
    let err = Loss::MeanSquaredError
        .per_sample(Labels::Sparse(labels.view()), &y_pred)
        .unwrap_err();
    assert!(matches!(err, LossError::Label(_)));
    assert!(err.to_string().contains("one-hot"), "{err}");
}

#[test]
fn sparse_labels_with_categorical_crossentropy_equal_one_hot_rows() {
    let y_pred = array![[0.2_f64, 0.7, 0.1], [0.5, 0.25, 0.25]];
    let labels = array![1_usize, 2];
    let one_hot = array![[0.0_f64, 1.0, 0.0], [0.0, 0.0, 1.0]];
    for label_smoothing in [0.0, 0.2] {
        let loss = Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing,
        };
        let a = loss
            .per_sample(Labels::Sparse(labels.view()), &y_pred)
            .unwrap();
        let b = loss
            .per_sample(Labels::Dense(one_hot.view()), &y_pred)
            .unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-15);
        }
    }
}

#[test]
fn a_sample_weight_of_the_wrong_length_is_an_error() {
    let y_pred = array![[0.1_f64], [0.8]];
    let y_true = array![[0.0_f64], [1.0]];
    let w = array![1.0_f64, 2.0, 3.0];
    let err = Loss::MeanSquaredError
        .compute(Labels::Dense(y_true.view()), &y_pred, Some(&w))
        .unwrap_err();
    assert!(
        err.to_string().contains("sample_weight has 3 entries"),
        "{err}"
    );
}

#[test]
fn out_of_range_hyper_parameters_are_errors() {
    let y = array![[0.5_f64, 0.5]];
    for loss in [
        Loss::CategoricalCrossentropy {
            from_logits: false,
            label_smoothing: 1.5,
        },
        Loss::BinaryCrossentropy {
            from_logits: false,
            label_smoothing: -0.1,
        },
        Loss::Huber { delta: -1.0 },
        Loss::Huber { delta: f64::NAN },
    ] {
        let err = loss.per_sample(Labels::Dense(y.view()), &y).unwrap_err();
        assert!(matches!(err, LossError::Parameter(_)), "{loss:?}: {err}");
    }
}

#[test]
fn a_prediction_without_columns_or_a_short_buffer_is_an_error() {
    let empty = ndarray::Array2::<f32>::zeros((2, 0));
    let err = Loss::MeanSquaredError
        .per_sample(Labels::Dense(empty.view()), &empty)
        .unwrap_err();
    assert!(err.to_string().contains("no columns"), "{err}");
    let y = array![[0.5_f32], [0.25]];
    let mut out = Array1::zeros(3);
    let err = Loss::MeanSquaredError
        .per_sample_into(Labels::Dense(y.view()), &y, &mut out)
        .unwrap_err();
    assert!(err.to_string().contains("buffer has length 3"), "{err}");
}

#[test]
fn an_empty_batch_reduces_to_zero() {
    let none = Array1::<f32>::zeros(0);
    assert_eq!(ch04_loss_gradient::keras::reduce(&none, None), 0.0);
}
