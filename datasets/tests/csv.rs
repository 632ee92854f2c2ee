//! The `label,pixel1,...,pixel784` CSV layout: an exact round trip, and every bad row reported
//! by its line number (the header is line 1).

mod common;

use datasets::{DatasetError, csv};
use std::path::Path;

#[test]
fn round_trip_of_28x28_images() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fashion-mnist_test.csv");
    let (images, labels) = common::tiny_split(12, 9);
    csv::write(&path, &images, &labels).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("label,pixel1,pixel2,"));
    assert!(header.ends_with(",pixel783,pixel784"));
    assert_eq!(header.split(',').count(), 785);
    let first: Vec<u8> = lines
        .next()
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(first[0], labels[0]);
    assert_eq!(
        &first[1..29],
        images.slice(ndarray::s![0, 0, ..]).as_slice().unwrap()
    );
    assert_eq!(text.lines().count(), 13);
    assert_eq!(csv::read(&path).unwrap(), (images, labels));
}

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let p = dir.join("bad.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn row_error(text: &str) -> (u64, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), text);
    match csv::read(&p) {
        Err(DatasetError::CsvRow {
            path,
            line,
            message,
        }) => {
            assert_eq!(path, p);
            (line, message)
        }
        other => panic!("expected CsvRow, got {other:?}"),
    }
}

const HEAD: &str = "label,pixel1,pixel2,pixel3,pixel4\n";

#[test]
fn small_square_images_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), &format!("{HEAD}3,0,1,2,255\n9, 4 ,5,6,7\n"));
    let (images, labels) = csv::read(&p).unwrap();
    assert_eq!(
        images,
        ndarray::array![[[0u8, 1], [2, 255]], [[4, 5], [6, 7]]]
    );
    assert_eq!(labels, ndarray::array![3u8, 9]);
}

#[test]
fn bad_rows_are_reported_by_line_number() {
    let (line, msg) = row_error(&format!("{HEAD}1,0,0,0,0\n2,0,0,0\n"));
    assert_eq!(line, 3);
    assert!(
        msg.contains("expected 5 fields") && msg.contains("found 4"),
        "{msg}"
    );

    let (line, msg) = row_error(&format!("{HEAD}1,0,0,0,0\n2,0,0,0,0\n3,0,x,0,0\n"));
    assert_eq!(line, 4);
    assert!(msg.contains("pixel2") && msg.contains("\"x\""), "{msg}");

    let (line, msg) = row_error(&format!("{HEAD}1,0,0,0,256\n"));
    assert_eq!(line, 2);
    assert!(msg.contains("pixel4 is \"256\""), "{msg}");

    let (line, msg) = row_error(&format!("{HEAD}1,0,0,0,0\n10,0,0,0,0\n"));
    assert_eq!(line, 3);
    assert!(msg.contains("label is 10"), "{msg}");

    let (line, _) = row_error(&format!("{HEAD}-1,0,0,0,0\n"));
    assert_eq!(line, 2);
}

#[test]
fn a_bad_header_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "",
        "label,pixel1,pixel2,pixel3\n0,1,2,3\n", // 3 pixels: not a square
        "label,p1,p2,p3,p4\n0,1,2,3,4\n",
        "0,0,0,0,0\n",
    ] {
        let p = write(dir.path(), text);
        match csv::read(&p) {
            Err(DatasetError::CsvHeader { path, expected, .. }) => {
                assert_eq!(path, p);
                assert!(expected.starts_with("label,pixel1,"));
            }
            other => panic!("expected CsvHeader for {text:?}, got {other:?}"),
        }
    }
}

#[test]
fn writing_mismatched_counts_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (images, _) = common::tiny_split(3, 0);
    let (_, labels) = common::tiny_split(2, 0);
    assert!(matches!(
        csv::write(dir.path().join("x.csv"), &images, &labels),
        Err(DatasetError::CountMismatch {
            images: 3,
            labels: 2,
            ..
        })
    ));
}

/// Issue 13: `csv::write` wrote what its own reader then rejected (2x3 images, label 255).
/// It now refuses before touching the file: the previous one is still there, unchanged.
#[test]
fn writing_what_the_reader_would_reject_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    let (images, labels) = common::tiny_split(3, 0);
    csv::write(&path, &images, &labels).unwrap();
    let before = std::fs::read(&path).unwrap();

    let not_square = ndarray::Array3::<u8>::zeros((3, 2, 3));
    let no_pixels = ndarray::Array3::<u8>::zeros((3, 0, 0));
    let mut bad_label = labels.clone();
    bad_label[1] = 255;
    for (images, labels, says) in [
        (&not_square, &labels, "images are 2x3"),
        (&no_pixels, &labels, "images are 0x0"),
        (
            &images,
            &bad_label,
            "label #1 is 255, expected a class in 0..10",
        ),
    ] {
        let err = csv::write(&path, images, labels).unwrap_err();
        assert!(matches!(err, DatasetError::CsvWrite { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with(&format!("cannot write {}", path.display()))
                && msg.contains(says)
                && msg.contains("nothing was written"),
            "{msg}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(common::entries(dir.path()), ["data.csv"]);
    }
    // Every shape the writer accepts, the reader reads back.
    let (images, labels) = (
        ndarray::Array3::<u8>::from_elem((2, 1, 1), 7),
        labels.slice(ndarray::s![..2]).to_owned(),
    );
    csv::write(&path, &images, &labels).unwrap();
    assert_eq!(csv::read(&path).unwrap(), (images, labels));
}

/// Write errors say "cannot write" (they used to say "cannot read").
#[test]
fn a_failed_write_says_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").unwrap();
    let path = not_a_dir.join("data.csv"); // ENOTDIR: a path under a regular file
    let (images, labels) = common::tiny_split(2, 0);
    let msg = csv::write(&path, &images, &labels).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("cannot write {}", path.display())),
        "{msg}"
    );
    let msg = datasets::idx::write(&path, &labels, true)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(&format!("cannot write {}", path.display())),
        "{msg}"
    );
}
