//! The download path against a small HTTP server started here on 127.0.0.1 (no other network):
//! a good file is verified, cached in Keras' folder and not fetched again; a bad checksum, a
//! missing file (404) or a cut connection is rejected and leaves nothing behind, not even a
//! temporary file.
#![cfg(feature = "download")]

mod common;

use common::{Reply, Server, entries, write_tiny_dataset};
use datasets::download::{fetch_verified, join_url, sha256_hex};
use datasets::{DataFile, Dataset, DatasetError, SearchPaths, fashion_mnist};
use std::collections::HashMap;
use std::net::TcpListener;

/// The four tiny `.gz` files as bytes, keyed by file name, and what they hold.
fn tiny_files() -> (HashMap<String, Vec<u8>>, datasets::TrainTest) {
    let dir = tempfile::tempdir().unwrap();
    let data = write_tiny_dataset(dir.path(), true);
    let files = entries(dir.path())
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(dir.path().join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    (files, data)
}

fn routes(prefix: &str, files: &HashMap<String, Vec<u8>>) -> HashMap<String, Reply> {
    files
        .iter()
        .map(|(n, b)| (format!("{prefix}{n}"), Reply::Body(b.clone())))
        .collect()
}

/// Fashion-MNIST's description with the checksums of the tiny files instead of the real ones.
fn tiny_dataset(files: &HashMap<String, Vec<u8>>) -> Dataset {
    let mut d = fashion_mnist::DATASET;
    d.files = d.files.map(|f| DataFile {
        name: f.name,
        sha256: Box::leak(sha256_hex(&files[&f.gz_name()]).into_boxed_str()),
    });
    d
}

#[test]
fn sha256_and_url_helpers() {
    // `printf abc | sha256sum`
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(join_url("http://h/a/", "f.gz"), "http://h/a/f.gz");
    assert_eq!(join_url("http://h/a", "f.gz"), "http://h/a/f.gz");
}

#[test]
fn a_good_download_is_verified_cached_and_then_reused() {
    let (files, expected) = tiny_files();
    let server = Server::start(routes("/mirror/", &files));
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".keras/datasets/fashion-mnist");
    let dataset = tiny_dataset(&files);
    let paths = SearchPaths {
        keras_cache: Some(cache.clone()),
        download_base_url: Some(server.url("/mirror/")),
        ..SearchPaths::default()
    };

    assert_eq!(dataset.load_data_with(&paths).unwrap(), expected);
    assert_eq!(server.hits(), 4);
    // Exactly the four files, byte for byte, and no temporary file left over.
    let mut names: Vec<String> = files.keys().cloned().collect();
    names.sort();
    assert_eq!(entries(&cache), names);
    for (name, bytes) in &files {
        assert_eq!(&std::fs::read(cache.join(name)).unwrap(), bytes);
    }

    // The second load finds them in the cache: no new request.
    assert_eq!(dataset.load_data_with(&paths).unwrap(), expected);
    assert_eq!(server.hits(), 4);

    // With one file lost, only that one is fetched again.
    std::fs::remove_file(cache.join("t10k-images-idx3-ubyte.gz")).unwrap();
    assert_eq!(dataset.load_data_with(&paths).unwrap(), expected);
    assert_eq!(server.hits(), 5);
}

#[test]
fn a_bad_checksum_is_rejected_and_leaves_no_file() {
    let (files, _) = tiny_files();
    let server = Server::start(routes("/", &files));
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("train-labels-idx1-ubyte.gz");
    let url = server.url("/train-labels-idx1-ubyte.gz");
    let wrong = "0".repeat(64);
    match fetch_verified(&url, &dest, &wrong) {
        Err(DatasetError::ChecksumMismatch {
            url: u,
            expected,
            found,
        }) => {
            assert_eq!(u, url);
            assert_eq!(expected, wrong);
            assert_eq!(found, sha256_hex(&files["train-labels-idx1-ubyte.gz"]));
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    assert_eq!(entries(dir.path()), Vec::<String>::new());

    // Through load_data_with: the real Fashion-MNIST checksums do not match the tiny files,
    // so the first download is refused, nothing is cached, and the error says why.
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join(".keras/datasets/fashion-mnist");
    let paths = SearchPaths {
        keras_cache: Some(cache.clone()),
        download_base_url: Some(server.url("/")),
        ..SearchPaths::default()
    };
    let err = fashion_mnist::load_data_with(&paths).unwrap_err();
    let DatasetError::NotFound { tried, fixes, .. } = &err else {
        panic!("expected NotFound, got {err:?}");
    };
    let last = tried.last().unwrap();
    assert!(
        last.place.starts_with("download from http://127.0.0.1:"),
        "{last}"
    );
    assert!(last.outcome.contains("SHA-256 mismatch"), "{last}");
    assert!(
        last.outcome
            .contains(fashion_mnist::DATASET.files[0].sha256),
        "{last}"
    );
    assert_eq!(fixes.len(), 3);
    // Not even the folders it created for the download are left.
    assert!(!home.path().join(".keras").exists());
}

#[test]
fn a_missing_file_or_a_cut_connection_leaves_nothing_behind() {
    let body = vec![7u8; 1000];
    let sha = sha256_hex(&body);
    let mut r = HashMap::new();
    r.insert(
        "/cut.gz".to_string(),
        Reply::Cut(body[..10].to_vec(), body.len()),
    );
    let server = Server::start(r);
    let dir = tempfile::tempdir().unwrap();

    let url = server.url("/absent.gz");
    match fetch_verified(&url, &dir.path().join("absent.gz"), &sha) {
        Err(DatasetError::Download { url: u, message }) => {
            assert_eq!(u, url);
            assert!(message.contains("404"), "{message}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
    assert!(matches!(
        fetch_verified(&server.url("/cut.gz"), &dir.path().join("cut.gz"), &sha),
        Err(DatasetError::Download { .. })
    ));
    assert_eq!(entries(dir.path()), Vec::<String>::new());
}

#[test]
fn an_unreachable_mirror_is_reported_with_the_fixes() {
    // A port that was just free: connection refused, quickly and locally.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let home = tempfile::tempdir().unwrap();
    let paths = SearchPaths {
        keras_cache: Some(home.path().join("cache")),
        download_base_url: Some(format!("http://127.0.0.1:{port}/")),
        ..SearchPaths::default()
    };
    let msg = fashion_mnist::load_data_with(&paths)
        .unwrap_err()
        .to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains("allow the download"), "{msg}");
    assert!(!home.path().join("cache").exists());
    assert_eq!(entries(home.path()), Vec::<String>::new());
}
