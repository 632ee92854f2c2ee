//! `fashion_mnist::load_data()` reading the real process environment: `$FASHION_MNIST_DIR`
//! first, then `$HOME/.keras/datasets/fashion-mnist` under a temporary home.
//!
//! This file holds a single test, so it runs alone in its own process and changing the
//! environment cannot race another test (`set_var` is `unsafe` in edition 2024 for that reason).

mod common;

use common::write_tiny_dataset;
use datasets::fashion_mnist;

#[test]
fn load_data_reads_the_env_var_then_the_home_keras_cache() {
    let root = tempfile::tempdir().unwrap();
    let env_dir = root.path().join("fm");
    let home = root.path().join("home");
    let from_env = write_tiny_dataset(&env_dir, true);
    let from_home = {
        let cache = home.join(".keras/datasets/fashion-mnist");
        write_tiny_dataset(&cache, false);
        let extra = common::tiny_split(8, 4);
        datasets::idx::write(cache.join("train-images-idx3-ubyte"), &extra.0, false).unwrap();
        datasets::idx::write(cache.join("train-labels-idx1-ubyte"), &extra.1, false).unwrap();
        fashion_mnist::load_data_from(&cache).unwrap()
    };

    // SAFETY: the only test in this process; no other thread reads the environment.
    unsafe {
        std::env::remove_var("KERAS_HOME");
        std::env::set_var("HOME", &home);
        std::env::set_var("FASHION_MNIST_DIR", &env_dir);
    }
    assert_eq!(fashion_mnist::load_data().unwrap(), from_env);

    // SAFETY: as above.
    unsafe { std::env::remove_var("FASHION_MNIST_DIR") };
    assert_eq!(fashion_mnist::load_data().unwrap(), from_home);
    assert_eq!(from_home.0.0.shape(), &[8, 28, 28]);
}
