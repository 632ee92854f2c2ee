//! save_weights / load_weights and whole-model save / load_model, on trained models.

mod common;

use common::{classifier, images, temp_path};
use keras_lite::constraints::Constraint;
use keras_lite::layers::{Dense, Flatten, InputLayer};
use keras_lite::model_io::{self, CONFIG_FILE, WEIGHTS_FILE};
use keras_lite::regularizers::Regularizer;
use keras_lite::{EvaluateOptions, FitOptions, KerasError, PredictOptions, Sequential};

fn trained(seed: u64) -> Sequential {
    let (x, y) = images(96, 1);
    let mut m = classifier(seed);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    m.fit(
        &x,
        &y,
        FitOptions {
            epochs: 2,
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap();
    m
}

fn quiet() -> PredictOptions {
    PredictOptions {
        verbose: 0,
        ..Default::default()
    }
}

#[test]
fn weights_round_trip_gives_identical_predictions() {
    let (x, _) = images(40, 2);
    let mut a = trained(3);
    let path = temp_path("round.weights.safetensors");
    a.save_weights(&path).unwrap();

    // A new model of the same architecture, other initial weights (and other automatic names).
    let mut b = classifier(99);
    assert_ne!(
        b.predict(&x, quiet()).unwrap(),
        a.predict(&x, quiet()).unwrap()
    );
    b.load_weights(&path).unwrap();
    assert_eq!(b.get_weights().unwrap(), a.get_weights().unwrap());
    assert_eq!(
        b.predict(&x, quiet()).unwrap(),
        a.predict(&x, quiet()).unwrap()
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn tensors_are_named_like_keras_and_hold_float32_in_layer_shape() {
    keras_lite::backend::clear_session();
    let mut a = trained(4);
    let path = temp_path("names.weights.safetensors");
    a.save_weights(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<(String, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            assert_eq!(v.dtype(), safetensors::Dtype::F32);
            (n, v.shape().to_vec())
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            ("dense/bias".to_string(), vec![8]),
            ("dense/kernel".to_string(), vec![16, 8]),
            ("dense_1/bias".to_string(), vec![3]),
            ("dense_1/kernel".to_string(), vec![8, 3]),
        ]
    );
    // The kernel's bytes are the model's weights, row-major little-endian float32.
    let k = st.tensor("dense/kernel").unwrap();
    let w = &a.get_weights().unwrap()[0];
    let first = f32::from_le_bytes(k.data()[..4].try_into().unwrap());
    assert_eq!(first, w[[0, 0]]);
    let second = f32::from_le_bytes(k.data()[4..8].try_into().unwrap());
    assert_eq!(second, w[[0, 1]]);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn another_architecture_is_an_error_naming_the_first_mismatch_and_changes_nothing() {
    let mut a = trained(5);
    let path = temp_path("arch.weights.safetensors");
    a.save_weights(&path).unwrap();

    let mut wider = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(9).activation("relu").into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    let before = wider.get_weights().unwrap();
    let err = wider.load_weights(&path).unwrap_err();
    assert!(matches!(err, KerasError::Weights(_)));
    let msg = err.to_string();
    assert!(
        msg.contains("kernel has shape (16, 9) in the model")
            && msg.contains("has shape (16, 8) in the file"),
        "{msg}"
    );
    assert_eq!(
        wider.get_weights().unwrap(),
        before,
        "a failed load changed weights"
    );

    let mut deeper = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").into(),
        Dense::new(3).activation("relu").into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    let msg = deeper.load_weights(&path).unwrap_err().to_string();
    assert!(
        msg.contains("#3") && msg.contains("no counterpart"),
        "{msg}"
    );

    let mut no_bias = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(8).activation("relu").use_bias(false).into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    let msg = no_bias.load_weights(&path).unwrap_err().to_string();
    assert!(
        msg.contains("weights [kernel] in the model") && msg.contains("[kernel, bias] in the file"),
        "{msg}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn corrupt_or_truncated_files_are_errors_and_change_nothing() {
    let mut a = trained(6);
    let path = temp_path("corrupt.weights.safetensors");
    a.save_weights(&path).unwrap();
    let good = std::fs::read(&path).unwrap();
    let mut b = classifier(7);
    let before = b.get_weights().unwrap();

    let bad = temp_path("corrupt-variant.safetensors");
    let mut variants: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated header", good[..6].to_vec()),
        ("truncated data", good[..good.len() - 9].to_vec()),
        ("half", good[..good.len() / 2].to_vec()),
        (
            "not safetensors",
            b"PK\x03\x04 a zip file, not weights".to_vec(),
        ),
    ];
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 5] ^= 0x40; // inside the last tensor's numbers
    variants.push(("flipped bit", flipped));
    let mut garbled = good.clone();
    garbled[12] = b'#'; // inside the JSON header
    variants.push(("garbled header", garbled));
    for (what, bytes) in variants {
        std::fs::write(&bad, &bytes).unwrap();
        let err = b.load_weights(&bad).unwrap_err().to_string();
        assert!(
            err.contains("corrupt") || err.contains("damaged"),
            "{what}: {err}"
        );
        assert_eq!(
            b.get_weights().unwrap(),
            before,
            "{what} changed the weights"
        );
    }
    let missing = b
        .load_weights(temp_path("does-not-exist.safetensors"))
        .unwrap_err();
    assert!(matches!(missing, KerasError::Io { .. }), "{missing}");
    std::fs::remove_file(&path).unwrap();
    std::fs::remove_file(&bad).unwrap();
}

#[test]
fn saving_replaces_the_file_atomically_and_leaves_no_temporary() {
    let mut a = trained(8);
    let dir = temp_path("atomic-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.safetensors");
    std::fs::write(&path, b"an old, shorter file").unwrap();
    a.save_weights(&path).unwrap();
    let entries: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries, ["w.safetensors"]);
    let mut b = classifier(9);
    b.load_weights(&path).unwrap();
    assert_eq!(b.get_weights().unwrap(), a.get_weights().unwrap());
    // Saving onto a directory is refused, and the directory is left alone.
    let err = a.save_weights(&dir).unwrap_err().to_string();
    assert!(err.contains("is a directory"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unbuilt_model_cannot_save_and_says_why() {
    let mut m = Sequential::new(vec![Dense::new(3).into()]);
    let err = m
        .save_weights(temp_path("unbuilt.safetensors"))
        .unwrap_err();
    assert!(matches!(err, KerasError::NotBuilt { .. }), "{err}");
}

#[test]
fn whole_model_round_trip_without_the_code_that_built_it() {
    let (x, y) = images(50, 10);
    let mut a = trained(11);
    let dir = temp_path("whole-model");
    a.save(&dir).unwrap();
    assert!(dir.join(CONFIG_FILE).is_file() && dir.join(WEIGHTS_FILE).is_file());

    let mut b = model_io::load_model(&dir).unwrap();
    assert_eq!(b.summary_string().unwrap(), a.summary_string().unwrap());
    assert_eq!(
        b.predict(&x, quiet()).unwrap(),
        a.predict(&x, quiet()).unwrap()
    );
    let eval = |m: &mut Sequential| {
        m.evaluate(
            &x,
            &y,
            EvaluateOptions {
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap()
    };
    assert_eq!(
        eval(&mut b),
        eval(&mut a),
        "the loaded model is compiled as the saved one"
    );
    // It can go on training.
    b.fit(
        &x,
        &y,
        FitOptions {
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap();

    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    assert_eq!(config["class_name"], "Sequential");
    let layers = config["config"]["layers"].as_array().unwrap();
    assert_eq!(layers[0]["class_name"], "Flatten");
    assert_eq!(
        layers[0]["config"]["batch_input_shape"],
        serde_json::json!([null, 4, 4])
    );
    assert_eq!(layers[1]["config"]["units"], 8);
    assert_eq!(layers[1]["config"]["activation"], "relu");
    assert_eq!(
        config["training_config"]["loss"],
        "sparse_categorical_crossentropy"
    );
    assert_eq!(
        config["training_config"]["optimizer_config"]["class_name"],
        "Adam"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn configuration_keeps_regularizers_constraints_and_names() {
    let mut a = Sequential::named(
        "my_model",
        vec![
            InputLayer::new(&[5]).into(),
            Dense::new(4)
                .name("hidden")
                .activation("tanh")
                .kernel_regularizer(Regularizer::L1L2 { l1: 0.01, l2: 0.02 })
                .bias_regularizer(Regularizer::L2(0.5))
                .activity_regularizer(Regularizer::L1(0.1))
                .kernel_constraint(Constraint::MaxNorm {
                    max_value: 1.5,
                    axis: 0,
                })
                .bias_constraint(Constraint::NonNeg)
                .into(),
            Dense::new(1).name("out").into(),
        ],
    );
    a.compile("sgd", "mse", &["mae"]).unwrap();
    let json = a.to_json().unwrap();
    let config: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut b = Sequential::from_config(&config).unwrap();
    assert_eq!(b.name(), "my_model");
    assert_eq!(b.to_json().unwrap(), json, "configuration round trip");
    let names: Vec<&str> = b.layers().iter().map(|l| l.name()).collect();
    assert_eq!(names[1..], ["hidden", "out"]);
    assert_eq!(b.count_params().unwrap(), 5 * 4 + 4 + 4 + 1);
}

#[test]
fn a_damaged_or_foreign_config_is_an_error() {
    let dir = temp_path("bad-config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(CONFIG_FILE),
        "{\"class_name\": \"Sequential\", \"config\": ",
    )
    .unwrap();
    let err = model_io::load_model(&dir).unwrap_err().to_string();
    assert!(err.contains("not valid JSON"), "{err}");
    std::fs::write(
        dir.join(CONFIG_FILE),
        r#"{"class_name": "Functional", "config": {}}"#,
    )
    .unwrap();
    let err = model_io::load_model(&dir).unwrap_err().to_string();
    assert!(err.contains("Sequential models only"), "{err}");
    let err = model_io::load_model(temp_path("no-such-model")).unwrap_err();
    assert!(matches!(err, KerasError::Io { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn saving_over_a_model_alternates_weights_files_and_deletes_the_old_one_last() {
    let dir = temp_path("resave");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let mut a = trained(21);
    let mut b = trained(22);
    let wa = a.get_weights().unwrap();
    let wb = b.get_weights().unwrap();
    assert_ne!(wa, wb);
    a.save(&dir).unwrap();
    assert_eq!(
        names_in(&dir),
        ["config.json", "model.weights.safetensors", "notes.txt"]
    );
    b.save(&dir).unwrap();
    assert_eq!(
        names_in(&dir),
        ["config.json", "model.weights.2.safetensors", "notes.txt"]
    );
    assert_eq!(
        model_io::weights_path(&dir).unwrap(),
        dir.join("model.weights.2.safetensors")
    );
    assert_eq!(
        model_io::load_model(&dir).unwrap().get_weights().unwrap(),
        wb
    );
    a.save(&dir).unwrap();
    assert_eq!(
        names_in(&dir),
        ["config.json", "model.weights.safetensors", "notes.txt"]
    );
    assert_eq!(
        model_io::load_model(&dir).unwrap().get_weights().unwrap(),
        wa
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );

    // A folder saved before config.json named its weights still loads.
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    config.as_object_mut().unwrap().remove("weights_file");
    std::fs::write(dir.join(CONFIG_FILE), config.to_string()).unwrap();
    assert_eq!(
        model_io::load_model(&dir).unwrap().get_weights().unwrap(),
        wa
    );
    // A weights file named outside the folder is refused.
    for bad in [
        serde_json::json!("../x.safetensors"),
        serde_json::json!("/etc/passwd"),
        serde_json::json!(".."),
        serde_json::json!(3),
    ] {
        config["weights_file"] = bad.clone();
        std::fs::write(dir.join(CONFIG_FILE), config.to_string()).unwrap();
        let e = model_io::load_model(&dir).unwrap_err().to_string();
        assert!(
            e.contains("not the name of a file in the same folder"),
            "{bad}: {e}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
