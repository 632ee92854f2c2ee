//! The search order, through a fake environment (a map: HOME, KERAS_HOME, FASHION_MNIST_DIR),
//! so no test mutates the process environment: `$FASHION_MNIST_DIR`, then Keras' cache under
//! a temporary home, then the system folder; the first complete place wins, incomplete ones
//! are noted and skipped, corrupt ones are errors, and a total miss lists every place and the
//! three fixes.

mod common;

use common::write_tiny_dataset;
use datasets::{DatasetError, SearchPaths, fashion_mnist, mnist};
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;

fn env(vars: &[(&str, &Path)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.as_os_str().to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

/// The search paths from a fake environment, with the system folder replaced by `system` and
/// downloads off (these tests never touch the network).
fn paths(vars: &[(&str, &Path)], system: &Path) -> SearchPaths {
    SearchPaths {
        system_dir: Some(system.to_path_buf()),
        download_base_url: None,
        ..fashion_mnist::DATASET.search_paths_from(env(vars))
    }
}

#[test]
fn search_paths_follow_the_environment() {
    let p = fashion_mnist::DATASET.search_paths_from(env(&[
        ("FASHION_MNIST_DIR", Path::new("/data/fm")),
        ("HOME", Path::new("/home/ada")),
    ]));
    assert_eq!(p.env_dir.as_deref(), Some(Path::new("/data/fm")));
    assert_eq!(
        p.keras_cache.as_deref(),
        Some(Path::new("/home/ada/.keras/datasets/fashion-mnist"))
    );
    assert_eq!(
        p.system_dir.as_deref(),
        Some(Path::new("/usr/share/datasets/fashion-mnist"))
    );
    if cfg!(feature = "download") {
        assert_eq!(
            p.download_base_url.as_deref(),
            Some(fashion_mnist::KERAS_MIRROR)
        );
    } else {
        assert_eq!(p.download_base_url, None);
    }

    // KERAS_HOME replaces ~/.keras, as in Keras; an empty variable counts as unset.
    let p = fashion_mnist::DATASET.search_paths_from(env(&[
        ("FASHION_MNIST_DIR", Path::new("")),
        ("HOME", Path::new("/home/ada")),
        ("KERAS_HOME", Path::new("/opt/keras")),
    ]));
    assert_eq!(p.env_dir, None);
    assert_eq!(
        p.keras_cache.as_deref(),
        Some(Path::new("/opt/keras/datasets/fashion-mnist"))
    );

    // MNIST: its own variable and cache folder, no system folder, no download.
    let p = mnist::DATASET.search_paths_from(env(&[
        ("MNIST_DIR", Path::new("/data/digits")),
        ("HOME", Path::new("/home/ada")),
    ]));
    assert_eq!(p.env_dir.as_deref(), Some(Path::new("/data/digits")));
    assert_eq!(
        p.keras_cache.as_deref(),
        Some(Path::new("/home/ada/.keras/datasets/mnist"))
    );
    assert_eq!((p.system_dir, p.download_base_url), (None, None));
}

#[cfg(feature = "download")]
#[test]
fn the_mirror_can_be_overridden_by_its_variable() {
    let p = fashion_mnist::DATASET.search_paths_from(env(&[(
        "FASHION_MNIST_MIRROR",
        Path::new("http://127.0.0.1:9/m/"),
    )]));
    assert_eq!(
        p.download_base_url.as_deref(),
        Some("http://127.0.0.1:9/m/")
    );
}

#[test]
fn the_environment_variable_comes_first_then_the_keras_cache_then_the_system_folder() {
    let root = tempfile::tempdir().unwrap();
    let env_dir = root.path().join("env");
    let home = root.path().join("home");
    let cache = home.join(".keras/datasets/fashion-mnist");
    let system = root.path().join("usr-share");
    // Three different tiny data sets, told apart by their training image count.
    let from_env = write_tiny_dataset(&env_dir, true);
    let from_cache = {
        write_tiny_dataset(&cache, false);
        let extra = common::tiny_split(7, 5);
        datasets::idx::write(cache.join("train-images-idx3-ubyte"), &extra.0, false).unwrap();
        datasets::idx::write(cache.join("train-labels-idx1-ubyte"), &extra.1, false).unwrap();
        fashion_mnist::load_data_from(&cache).unwrap()
    };
    let from_system = {
        write_tiny_dataset(&system, true);
        let extra = common::tiny_split(9, 3);
        datasets::idx::write(system.join("train-images-idx3-ubyte.gz"), &extra.0, true).unwrap();
        datasets::idx::write(system.join("train-labels-idx1-ubyte.gz"), &extra.1, true).unwrap();
        fashion_mnist::load_data_from(&system).unwrap()
    };
    assert_ne!(from_env, from_cache);
    assert_ne!(from_cache, from_system);

    let all = paths(&[("FASHION_MNIST_DIR", &env_dir), ("HOME", &home)], &system);
    assert_eq!(fashion_mnist::load_data_with(&all).unwrap(), from_env);

    let no_env = paths(&[("HOME", &home)], &system);
    assert_eq!(fashion_mnist::load_data_with(&no_env).unwrap(), from_cache);

    let other_home = root.path().join("empty-home");
    let only_system = paths(&[("HOME", &other_home)], &system);
    assert_eq!(
        fashion_mnist::load_data_with(&only_system).unwrap(),
        from_system
    );
}

#[test]
fn an_incomplete_cache_is_skipped_and_a_corrupt_place_is_an_error() {
    let root = tempfile::tempdir().unwrap();
    let env_dir = root.path().join("env");
    let home = root.path().join("home");
    let system = root.path().join("system");
    let cache = home.join(".keras/datasets/fashion-mnist");
    write_tiny_dataset(&cache, true);
    std::fs::remove_file(cache.join("train-images-idx3-ubyte.gz")).unwrap();
    let expected = write_tiny_dataset(&system, true);
    let p = paths(&[("HOME", &home)], &system);
    assert_eq!(fashion_mnist::load_data_with(&p).unwrap(), expected);

    // A complete but corrupt first place is reported, not silently passed over.
    write_tiny_dataset(&env_dir, true);
    std::fs::write(env_dir.join("t10k-labels-idx1-ubyte.gz"), b"not idx").unwrap();
    let p = paths(&[("FASHION_MNIST_DIR", &env_dir), ("HOME", &home)], &system);
    match fashion_mnist::load_data_with(&p) {
        Err(DatasetError::BadMagic { path, .. }) => {
            assert_eq!(path, env_dir.join("t10k-labels-idx1-ubyte.gz"))
        }
        other => panic!("expected BadMagic, got {other:?}"),
    }
}

#[test]
fn a_set_variable_naming_a_missing_empty_or_incomplete_folder_is_an_error() {
    // Issue 13: these used to load the data from the Keras cache without a word.
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("home");
    write_tiny_dataset(&home.join(".keras/datasets/fashion-mnist"), true);
    let missing = root.path().join("no-such-folder");
    let empty = root.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let incomplete = root.path().join("incomplete");
    write_tiny_dataset(&incomplete, false);
    std::fs::remove_file(incomplete.join("t10k-labels-idx1-ubyte")).unwrap();
    let a_file = root.path().join("a-file");
    std::fs::write(&a_file, b"x").unwrap();
    for (dir, problem) in [
        (&missing, "no such directory"),
        (&a_file, "no such directory"),
        (
            &empty,
            "missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
             t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz",
        ),
        (&incomplete, "missing t10k-labels-idx1-ubyte.gz"),
    ] {
        let p = paths(
            &[("FASHION_MNIST_DIR", dir), ("HOME", &home)],
            &root.path().join("none"),
        );
        let err = fashion_mnist::load_data_with(&p).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(&err, DatasetError::EnvDirUnusable { var: "FASHION_MNIST_DIR", dir: d, problem: pr, .. }
                if d == dir && pr == problem),
            "{err:?}"
        );
        assert!(
            msg.starts_with(&format!(
                "$FASHION_MNIST_DIR is set to {}, but {problem} there",
                dir.display()
            )) && msg.contains("Put the four files there (train-images-idx3-ubyte.gz, ")
                && msg.contains("or unset FASHION_MNIST_DIR"),
            "{msg}"
        );
    }
    // MNIST's variable too.
    let p = SearchPaths {
        env_dir: Some(empty),
        ..SearchPaths::default()
    };
    let err = mnist::load_data_with(&p).unwrap_err();
    assert!(err.to_string().starts_with("$MNIST_DIR is set to"), "{err}");
}

#[test]
fn when_nothing_has_the_files_the_error_lists_every_place_and_three_fixes() {
    let root = tempfile::tempdir().unwrap();
    let env_dir = root.path().join("env");
    let home = root.path().join("home");
    std::fs::create_dir_all(&env_dir).unwrap();
    std::fs::write(env_dir.join("train-images-idx3-ubyte.gz"), b"").unwrap();
    // An incomplete system folder (the variable is unset: a folder it names must be complete).
    let system = env_dir;
    let p = paths(&[("HOME", &home)], &system);
    let err = fashion_mnist::load_data_with(&p).unwrap_err();
    let DatasetError::NotFound {
        dataset,
        tried,
        fixes,
    } = &err
    else {
        panic!("expected NotFound, got {err:?}");
    };
    assert_eq!(*dataset, "Fashion-MNIST");
    let places: Vec<&str> = tried.iter().map(|t| t.place.as_str()).collect();
    assert_eq!(places.len(), 4, "{places:?}");
    assert_eq!(places[0], "$FASHION_MNIST_DIR");
    assert_eq!(tried[0].outcome, "not set");
    assert!(
        places[1].starts_with("Keras cache")
            && places[1].ends_with(".keras/datasets/fashion-mnist")
    );
    assert!(places[2].starts_with("system folder") && places[2].contains("env"));
    assert_eq!(places[3], "download");
    assert_eq!(tried[1].outcome, "no such directory");
    assert_eq!(
        tried[2].outcome,
        "missing train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz"
    );
    assert_eq!(fixes.len(), 3);
    assert!(fixes[0].contains("set FASHION_MNIST_DIR"));
    assert!(fixes[1].contains("apt-get install dataset-fashion-mnist"));
    assert!(fixes[2].contains("download"));
    let msg = err.to_string();
    for t in tried {
        assert!(msg.contains(&t.place), "{msg}");
    }
    assert!(
        msg.contains("1. ") && msg.contains("2. ") && msg.contains("3. "),
        "{msg}"
    );
}

#[test]
fn unset_places_are_listed_as_not_set() {
    let err = fashion_mnist::load_data_with(&SearchPaths::default()).unwrap_err();
    let DatasetError::NotFound { tried, .. } = err else {
        panic!("expected NotFound");
    };
    let outcomes: Vec<&str> = tried.iter().map(|t| t.outcome.as_str()).collect();
    assert_eq!(&outcomes[..3], &["not set"; 3]);
}

#[test]
fn mnist_says_how_to_get_the_files_since_it_does_not_download() {
    let err = mnist::load_data_with(&SearchPaths::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("MNIST not found"), "{msg}");
    assert!(
        msg.contains("MNIST_DIR") && msg.contains("~/.keras/datasets/mnist"),
        "{msg}"
    );
    assert!(msg.contains("mnist.npz"), "{msg}");
    // MNIST has no system folder, so none is listed as a place tried.
    let DatasetError::NotFound { tried, fixes, .. } = err else {
        panic!("expected NotFound");
    };
    assert_eq!(tried.len(), 3);
    assert!(!msg.contains("system folder"), "{msg}");
    assert_eq!(fixes.len(), 3);
}
