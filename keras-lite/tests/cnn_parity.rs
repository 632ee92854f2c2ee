//! The image layers against TensorFlow: every Conv2D, pooling and BatchNormalization case of
//! `testdata/keras2_cnn_parity.json` and the small CNN's whole fit, through the same code as
//! `cargo run --example keras_parity -- testdata/keras2_cnn_parity.json`.

// The example's checker itself (not every item of it is used here).
#[allow(dead_code)]
#[path = "../examples/keras_parity/parity.rs"]
mod parity;

use test_support::fixture::KERAS2_CNN_PARITY as FIXTURE;

#[test]
fn keras2_cnn_parity_fixture_within_tolerances() {
    let report = parity::check_file(FIXTURE).expect("the fixture reads and runs");
    let text = report.to_text();
    println!("{text}");
    assert!(report.all_passed(), "items past tolerance:\n{text}");
    let json = test_support::fixture::read(FIXTURE).unwrap();
    // Every case was checked: 4 items per convolution, 2 per pooling case.
    let count = |group: &str| report.items.iter().filter(|i| i.group == group).count();
    assert_eq!(
        count("conv2d"),
        4 * json["conv2d"].as_array().unwrap().len()
    );
    assert_eq!(
        count("pooling"),
        2 * json["pooling"].as_array().unwrap().len()
    );
    assert_eq!(count("bn_images"), 7);
    assert!(count("cnn_fit") >= 10, "{text}");
}

/// The checker can fail: errors planted in a copy of the fixture are caught, each in its own
/// item, and nothing else fails.
#[test]
fn planted_errors_in_image_cases_are_caught() {
    let mut json = test_support::fixture::read(FIXTURE).unwrap();
    let bump = |v: &mut serde_json::Value, by: f64| {
        *v = serde_json::json!(v.as_f64().unwrap() + by);
    };
    bump(&mut json["conv2d"][1]["dkernel"][0][0][0][0], 1e-3);
    bump(&mut json["pooling"][1]["dx"][0][0][0][0], 1e-3);
    bump(&mut json["cnn_fit"]["history"]["loss"][2], 1e-3);
    bump(&mut json["batch_norm_4d"]["moving_variance"][0], 1e-3);
    let report = parity::check(&json).unwrap();
    let failed: Vec<&str> = report.failures().map(|i| i.name.as_str()).collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed[0].starts_with("#1 ") && failed[0].ends_with("dkernel"));
    assert!(failed[1].starts_with("#1 MaxPooling2D") && failed[1].ends_with("dx"));
    assert_eq!(failed[2], "moving_variance");
    assert_eq!(failed[3], "history loss");
}
