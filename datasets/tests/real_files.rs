//! The one test on the real Fashion-MNIST files (`/usr/share/datasets/fashion-mnist`, or the
//! rest of the search order without downloading). Where they are absent it says so and
//! passes, unless `REQUIRE_FASHION_MNIST=1` is set (as CI sets it), where absence fails it.

use datasets::fashion_mnist;

#[test]
fn real_fashion_mnist_has_60000_and_10000_images_balanced_over_ten_classes() {
    // Never download from a test: only local places are looked at.
    let paths = datasets::SearchPaths {
        download_base_url: None,
        ..fashion_mnist::search_paths()
    };
    let required = std::env::var("REQUIRE_FASHION_MNIST").is_ok_and(|v| v == "1");
    let ((x_train, y_train), (x_test, y_test)) = match fashion_mnist::load_data_with(&paths) {
        Ok(data) => data,
        Err(e @ datasets::DatasetError::NotFound { .. }) if !required => {
            // Written to the real stderr, past the test harness's capture, so it shows in
            // a plain `cargo test`.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "real_files: the real Fashion-MNIST files are absent, so this check is not run \
                 (set REQUIRE_FASHION_MNIST=1 to make that a failure):\n{e}"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(x_train.shape(), &[60000, 28, 28]);
    assert_eq!(y_train.shape(), &[60000]);
    assert_eq!(x_test.shape(), &[10000, 28, 28]);
    assert_eq!(y_test.shape(), &[10000]);
    for (labels, per_class) in [(&y_train, 6000), (&y_test, 1000)] {
        let mut counts = [0usize; 10];
        for &l in labels {
            counts[usize::from(l)] += 1;
        }
        assert_eq!(counts, [per_class; 10]);
    }
    // Pixels use the whole byte range (a sign the bytes were not mangled, e.g. by a missed gunzip).
    let pixels = x_train.as_slice().expect("a fresh array is contiguous");
    // (`contains` on a byte slice is std's optimized search, quick even in a debug build.)
    assert!(pixels.contains(&255) && pixels.contains(&0));
}
