//! The TensorFlow parity fixture, checked through keras-lite's own lookups and API
//! (the same code as `cargo run --example keras_parity -- FILE`).

// The example's checker itself (not every item of it is used here).
#[allow(dead_code)]
#[path = "../examples/keras_parity/parity.rs"]
mod parity;

use test_support::fixture::KERAS2_PARITY as FIXTURE;

#[test]
fn keras2_parity_fixture_within_tolerances() {
    let report = parity::check_file(FIXTURE).expect("the fixture reads and runs");
    let text = report.to_text();
    println!("{text}");
    assert!(report.all_passed(), "items past tolerance:\n{text}");
    // Every group of the fixture was checked.
    for group in [
        "activations",
        "act_edge",
        "losses",
        "loss_edge",
        "optimizers",
        "fit",
    ] {
        assert!(
            report.items.iter().any(|i| i.group == group),
            "no {group} items"
        );
    }
}

/// The checker can fail: small errors planted in a copy of the fixture are caught, each in its
/// own item, and nothing else fails.
#[test]
fn planted_errors_are_caught() {
    let mut json = test_support::fixture::read(FIXTURE).unwrap();
    let bump = |v: &mut serde_json::Value, by: f64| {
        *v = serde_json::json!(v.as_f64().unwrap() + by);
    };
    bump(&mut json["fit"]["history"]["loss"][0], 1e-3);
    bump(
        &mut json["optimizers"]["by_name"]["adam"]["weights_after_each_step"][5][0],
        1e-4,
    );
    bump(&mut json["activations"]["by_name"]["relu"]["y"][3], 1e-5);
    let mean = json["losses"]["mean_squared_error"]["mean"]
        .as_f64()
        .unwrap();
    bump(
        &mut json["losses"]["mean_squared_error"]["mean"],
        mean * 1e-5,
    );
    let report = parity::check(&json).unwrap();
    let failed: Vec<&str> = report.failures().map(|i| i.name.as_str()).collect();
    assert_eq!(
        failed,
        [
            "relu y",
            "mean_squared_error mean",
            "adam (Adam) 12 steps",
            "history loss"
        ],
        "{}",
        report.to_text()
    );
    let loss = report
        .items
        .iter()
        .find(|i| i.name == "history loss")
        .unwrap();
    assert!((loss.max_abs - 1e-3).abs() < 1e-5, "{}", loss.max_abs);
}

/// A file that is not a fixture is an error that says so, not a pass.
#[test]
fn not_a_fixture() {
    let e = parity::check(&serde_json::json!({"hello": 1})).unwrap_err();
    assert!(e.to_string().contains("parity file"), "{e}");
    let e = parity::check_file("/nonexistent/fixture.json").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/fixture.json"), "{e}");
}
