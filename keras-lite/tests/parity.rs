//! The TensorFlow parity fixture, checked through keras-lite's own lookups and API
//! (the same code as `cargo run --example keras_parity -- FILE`).

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/keras2_parity.json"
);

#[test]
fn keras2_parity_fixture_within_tolerances() {
    let report = keras_lite::parity::check_file(FIXTURE).expect("the fixture reads and runs");
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
