//! The IDX reader on tiny files written here: round trips of every element type and several
//! ranks, plain and gzip (decided by content, not name), and every corrupt case, each with
//! its own error variant carrying the path and expected-versus-found.

mod common;

use common::gzip;
use datasets::DatasetError;
use datasets::idx::{self, IdxData, IdxType};
use ndarray::{Array, Array1, Array3, ArrayD, IxDyn, array};
use std::path::{Path, PathBuf};

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn u8_images_round_trip_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let images = Array3::from_shape_fn((4, 3, 2), |(i, r, c)| (i * 60 + r * 10 + c) as u8);
    for gz in [false, true] {
        let p = dir.path().join(format!("images-{gz}"));
        idx::write(&p, &images, gz).unwrap();
        let raw = std::fs::read(&p).unwrap();
        assert_eq!(
            raw[..2] == idx::GZIP_MAGIC,
            gz,
            "gzip written only when asked"
        );
        assert_eq!(idx::read_images(&p).unwrap(), images);
        let data = idx::read(&p).unwrap();
        assert_eq!(data.dtype(), IdxType::U8);
        assert_eq!(data.shape(), &[4, 3, 2]);
        assert_eq!(data.min_max(), Some((0.0, 201.0)));
    }
}

#[test]
fn header_is_big_endian_as_the_format_defines() {
    // The training images' header: 60000 = 0x0000ea60 images of 28 = 0x1c rows and columns.
    let a = Array3::<u8>::zeros((60000, 1, 28));
    let bytes = idx::encode(&a).unwrap();
    assert_eq!(
        &bytes[..16],
        &[0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 1, 0, 0, 0, 0x1c]
    );
    assert_eq!(bytes.len(), 16 + 60000 * 28);
}

#[test]
fn every_element_type_round_trips_big_endian() {
    let i8s = array![-128i8, -1, 0, 127].into_dyn();
    let i16s = array![[-32768i16, 1], [258, 32767]].into_dyn();
    let i32s = array![i32::MIN, -2, 0x0102_0304, i32::MAX].into_dyn();
    let f32s = array![[[1.5f32, -0.25]], [[f32::MAX, 0.0]]].into_dyn();
    let f64s = array![std::f64::consts::PI, -1e300].into_dyn();
    assert_eq!(&idx::encode(&i16s).unwrap()[12..14], &[0x80, 0x00]); // -32768, big-endian
    assert_eq!(&idx::encode(&i32s).unwrap()[8 + 8..8 + 12], &[1, 2, 3, 4]);
    let cases = [
        (idx::encode(&i8s).unwrap(), IdxData::I8(i8s.clone()), 0x09),
        (
            idx::encode(&i16s).unwrap(),
            IdxData::I16(i16s.clone()),
            0x0B,
        ),
        (
            idx::encode(&i32s).unwrap(),
            IdxData::I32(i32s.clone()),
            0x0C,
        ),
        (
            idx::encode(&f32s).unwrap(),
            IdxData::F32(f32s.clone()),
            0x0D,
        ),
        (
            idx::encode(&f64s).unwrap(),
            IdxData::F64(f64s.clone()),
            0x0E,
        ),
    ];
    for (bytes, expected, code) in cases {
        assert_eq!(bytes[2], code);
        assert_eq!(idx::decode(&bytes, "mem").unwrap(), expected);
        assert_eq!(idx::decode(&gzip(&bytes), "mem.gz").unwrap(), expected);
    }
}

#[test]
fn any_rank_reads_including_zero_and_five() {
    let scalar = ArrayD::from_elem(IxDyn(&[]), 42u8);
    assert_eq!(idx::encode(&scalar).unwrap(), vec![0, 0, 8, 0, 42]);
    assert_eq!(
        idx::decode(&idx::encode(&scalar).unwrap(), "s").unwrap(),
        IdxData::U8(scalar)
    );
    let five = Array::from_shape_fn(IxDyn(&[2, 1, 3, 1, 2]), |ix| {
        (ix[0] * 6 + ix[2] * 2 + ix[4]) as u8
    });
    let back = idx::decode(&idx::encode(&five).unwrap(), "r5").unwrap();
    assert_eq!(back.shape(), &[2, 1, 3, 1, 2]);
    assert_eq!(back, IdxData::U8(five));
    // An empty dimension is a valid, empty array.
    let empty = Array3::<u8>::zeros((0, 28, 28));
    assert_eq!(
        idx::decode(&idx::encode(&empty).unwrap(), "e")
            .unwrap()
            .shape(),
        &[0, 28, 28]
    );
}

#[test]
fn gzip_is_decided_by_magic_bytes_not_by_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let labels = Array1::from(vec![3u8, 1, 4, 1, 5]);
    let bytes = idx::encode(&labels).unwrap();
    // Compressed content under a plain name, plain content under a .gz name.
    let a = write_bytes(dir.path(), "labels-idx1-ubyte", &gzip(&bytes));
    let b = write_bytes(dir.path(), "labels-idx1-ubyte.gz", &bytes);
    assert_eq!(idx::read_labels(&a).unwrap(), labels);
    assert_eq!(idx::read_labels(&b).unwrap(), labels);
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope.gz");
    match idx::read(&p) {
        Err(DatasetError::Io { path, source }) => {
            assert_eq!(path, p);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
}

#[test]
fn bad_magic_reports_the_four_bytes_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_bytes(dir.path(), "x", b"PK\x03\x04rest of a zip");
    match idx::read(&p) {
        Err(DatasetError::BadMagic { path, found }) => {
            assert_eq!(path, p);
            assert_eq!(found, *b"PK\x03\x04");
        }
        other => panic!("expected BadMagic, got {other:?}"),
    }
    // Only the first two bytes must be zero; `00 01` is already wrong.
    assert!(matches!(
        idx::decode(&[0, 1, 8, 1, 0, 0, 0, 0], "m"),
        Err(DatasetError::BadMagic {
            found: [0, 1, 8, 1],
            ..
        })
    ));
}

#[test]
fn unknown_element_type_reports_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_bytes(dir.path(), "x", &[0, 0, 0x0A, 1, 0, 0, 0, 0]);
    match idx::read(&p) {
        Err(DatasetError::UnknownType { path, found }) => {
            assert_eq!(path, p);
            assert_eq!(found, 0x0A);
        }
        other => panic!("expected UnknownType, got {other:?}"),
    }
}

#[test]
fn truncated_header_reports_expected_and_found_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Cut inside the magic number.
    let p = write_bytes(dir.path(), "a", &[0, 0, 8]);
    match idx::read(&p) {
        Err(DatasetError::TruncatedHeader {
            path,
            expected,
            found,
        }) => {
            assert_eq!((path, expected, found), (p, 4, 3));
        }
        other => panic!("expected TruncatedHeader, got {other:?}"),
    }
    // Rank 3 needs 4 + 12 header bytes; give 4 + 9.
    let p = write_bytes(dir.path(), "b", &[0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0]);
    match idx::read(&p) {
        Err(DatasetError::TruncatedHeader {
            path,
            expected,
            found,
        }) => {
            assert_eq!((path, expected, found), (p, 16, 13));
        }
        other => panic!("expected TruncatedHeader, got {other:?}"),
    }
    // An empty file.
    let p = write_bytes(dir.path(), "c", &[]);
    assert!(matches!(
        idx::read(&p),
        Err(DatasetError::TruncatedHeader {
            expected: 4,
            found: 0,
            ..
        })
    ));
}

#[test]
fn truncated_data_reports_declared_and_present_bytes_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let full = idx::encode(&Array3::<u8>::ones((2, 28, 28))).unwrap();
    let cut = &full[..full.len() - 100];
    for (name, bytes) in [("plain", cut.to_vec()), ("gz", gzip(cut))] {
        let p = write_bytes(dir.path(), name, &bytes);
        match idx::read(&p) {
            Err(DatasetError::Truncated {
                path,
                shape,
                expected,
                found,
            }) => {
                assert_eq!(path, p);
                assert_eq!(shape, vec![2, 28, 28]);
                assert_eq!(expected, 2 * 28 * 28);
                assert_eq!(found, 2 * 28 * 28 - 100);
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
    }
    // Multi-byte types count bytes, not elements: 3 f32 declared, 11 bytes present.
    let mut f = idx::encode(&array![1f32, 2., 3.]).unwrap();
    f.pop();
    assert!(matches!(
        idx::decode(&f, "f"),
        Err(DatasetError::Truncated {
            expected: 12,
            found: 11,
            ..
        })
    ));
}

#[test]
fn bytes_past_the_declared_size_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = idx::encode(&array![1u8, 2, 3]).unwrap();
    bytes.extend_from_slice(&[9, 9]);
    let p = write_bytes(dir.path(), "long", &bytes);
    match idx::read(&p) {
        Err(DatasetError::TrailingBytes {
            path,
            shape,
            expected,
            found,
        }) => {
            assert_eq!(path, p);
            assert_eq!(shape, vec![3]);
            assert_eq!(expected, 3);
            assert!(found > expected);
        }
        other => panic!("expected TrailingBytes, got {other:?}"),
    }
}

#[test]
fn a_huge_declared_size_is_an_error_not_an_allocation() {
    // 4 billion x 4 billion x 4 billion u8 overflows usize: SizeOverflow.
    let h = [
        0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    assert!(matches!(
        idx::decode(&h, "huge"),
        Err(DatasetError::SizeOverflow { ref shape, .. }) if shape == &vec![u32::MAX as usize; 3]
    ));
    // 4 billion f64 fits in usize but the file holds 1 byte: Truncated, found 1.
    let mut h = vec![0, 0, 0x0E, 1, 0xff, 0xff, 0xff, 0xff];
    h.push(7);
    assert!(matches!(
        idx::decode(&h, "big"),
        Err(DatasetError::Truncated { expected, found: 1, .. }) if expected == u64::from(u32::MAX) * 8
    ));
}

#[test]
fn a_zero_size_next_to_huge_ones_is_an_error_not_a_panic() {
    // Issue 13: 0 x 4G x 4G declares no data, but ndarray refuses such a shape (the product
    // of the non-zero sizes overflows isize); this used to panic in `from_shape_vec`.
    let h = [
        0, 0, 8, 3, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    for bytes in [h.to_vec(), gzip(&h)] {
        let err = idx::decode(&bytes, "zero-next-to-huge").unwrap_err();
        assert!(
            matches!(err, DatasetError::SizeOverflow { ref shape, .. } if shape == &[0, u32::MAX as usize, u32::MAX as usize]),
            "{err:?}"
        );
        assert!(err.to_string().contains("too large to be real"), "{err}");
    }
    // 0 x 4G of f64 is a valid empty array (4G * 8 bytes fits in isize): read, not refused.
    let ok = [0, 0, 0x0E, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
    assert_eq!(
        idx::decode(&ok, "empty").unwrap().shape(),
        &[0, u32::MAX as usize]
    );
}

#[test]
fn an_axis_of_2_pow_32_or_more_cannot_be_encoded_or_written() {
    // No elements, so nothing big is allocated; the format still cannot express the size.
    let wide = ndarray::Array2::<u8>::zeros((1 << 32, 0));
    let err = idx::encode(&wide).unwrap_err();
    assert!(
        matches!(err, DatasetError::NotEncodable { ref shape, .. } if shape == &[1 << 32, 0]),
        "{err:?}"
    );
    assert!(err.to_string().contains("4294967296"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.idx");
    assert!(matches!(
        idx::write(&p, &wide, false),
        Err(DatasetError::NotEncodable { .. })
    ));
    assert!(common::entries(dir.path()).is_empty(), "nothing written");
}

#[test]
fn a_gzip_stream_declaring_more_than_can_be_allocated_says_how_much() {
    // 2^30 x 2^30 x 4 bytes (4.6 EB) fits in isize, so only the allocation can refuse it. The
    // stream really holds more than the 64 MiB read before the whole size is reserved:
    // 65 gzip members of 1 MiB of zeros each (MultiGzDecoder reads them as one stream).
    let mut bytes = gzip(&[0, 0, 8, 3, 0x40, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 4]);
    let mib = gzip(&vec![0u8; 1 << 20]);
    for _ in 0..65 {
        bytes.extend_from_slice(&mib);
    }
    let err = idx::decode(&bytes, "huge.gz").unwrap_err();
    assert!(
        matches!(err, DatasetError::TooLarge { bytes, .. } if bytes == 1 << 62),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("declares 1073741824x1073741824x4 of u8 = 4.6 EB")
            && msg.contains("could not be allocated"),
        "{msg}"
    );
    assert!(!msg.contains("corrupt gzip"), "{msg}");
}

#[test]
fn corrupt_gzip_stream_is_a_gzip_error() {
    let dir = tempfile::tempdir().unwrap();
    let gz = gzip(&idx::encode(&Array3::<u8>::from_elem((3, 28, 28), 7)).unwrap());
    // Cut the compressed stream in half, and separately flip bytes in its body.
    let p = write_bytes(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    match idx::read(&p) {
        Err(DatasetError::Gzip { path, .. }) => assert_eq!(path, p),
        other => panic!("expected Gzip, got {other:?}"),
    }
    let mut bad = gz.clone();
    for b in &mut bad[12..20] {
        *b ^= 0xff;
    }
    let p = write_bytes(dir.path(), "flipped.gz", &bad);
    assert!(matches!(idx::read(&p), Err(DatasetError::Gzip { .. })));
}

#[test]
fn wrong_type_and_wrong_rank_name_expected_and_found() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("floats");
    idx::write(&p, &Array3::<f32>::zeros((1, 28, 28)), false).unwrap();
    match idx::read_images(&p) {
        Err(DatasetError::WrongType {
            path,
            expected,
            found,
        }) => {
            assert_eq!((path, expected, found), (p.clone(), "u8", "f32"));
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    let p = dir.path().join("labels-as-images");
    idx::write(&p, &array![1u8, 2, 3], true).unwrap();
    match idx::read_images(&p) {
        Err(DatasetError::WrongRank {
            path,
            expected,
            found,
            shape,
        }) => {
            assert_eq!((path, expected, found, shape), (p.clone(), 3, 1, vec![3]));
        }
        other => panic!("expected WrongRank, got {other:?}"),
    }
    match idx::read_labels(dir.path().join("floats")) {
        Err(DatasetError::WrongType { .. }) => {}
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn error_messages_name_the_file_and_the_numbers() {
    let msg = idx::decode(&[0, 0, 8, 1, 0, 0, 0, 5, 1, 2], "labels.gz")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("labels.gz"), "{msg}");
    assert!(
        msg.contains("declares 5") && msg.contains("found only 2"),
        "{msg}"
    );
}
