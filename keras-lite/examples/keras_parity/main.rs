//! Checks keras-lite against TensorFlow: reads parity fixtures (the formats of
//! `testdata/README.md`; `testdata/make_parity.py --seed S --out F.json --cnn-out G.json` makes
//! more) and compares every activation, loss, optimizer trajectory and the whole `fit` (or, in
//! a CNN fixture, every Conv2D, pooling and BatchNormalization case and a small CNN's `fit`),
//! each through keras-lite's own name lookup and API. Prints the worst absolute and relative
//! error per item and exits 1 if any item is past the fixture README's tolerances.
//!
//! ```text
//! cargo run --release -p keras-lite --example keras_parity -- testdata/keras2_parity.json \
//!     testdata/keras2_cnn_parity.json
//! ```

use std::process::ExitCode;

mod parity;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("usage: keras_parity FIXTURE.json [MORE.json ...]");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for file in &files {
        println!("== {file}");
        match parity::check_file(file) {
            Ok(report) => {
                report.print();
                failed |= !report.all_passed();
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
