//! The common CSV layout of MNIST-like data sets (as on Kaggle): a header
//! `label,pixel1,pixel2,...,pixel784`, then one image per line, its label first and then its
//! pixels in row-major order.
//!
//! ```text
//! label,pixel1,pixel2,...,pixel784
//! 9,0,0,0,...,0
//! ```
//!
//! [`write()`] and [`read()`] round-trip exactly. [`read()`] works out the image side from the header
//! (784 pixels are 28x28; the count must be a square) and reports every bad row by its line
//! number in the file (the header is line 1): a wrong number of fields, a value that is not an
//! integer in `0..=255`, a label outside `0..10`.
//!
//! ```
//! use ndarray::{Array1, Array3};
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("tiny.csv");
//! let images = Array3::from_shape_fn((3, 2, 2), |(n, r, c)| (n * 4 + r * 2 + c) as u8);
//! let labels = Array1::from(vec![0u8, 9, 4]);
//! datasets::csv::write(&path, &images, &labels)?;
//! assert!(std::fs::read_to_string(&path)?.starts_with("label,pixel1,pixel2,pixel3,pixel4\n0,0,1,2,3\n"));
//! assert_eq!(datasets::csv::read(&path)?, (images, labels));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{DatasetError, Split};
use ndarray::{Array1, Array3, ArrayRef1, ArrayRef3};
use std::path::Path;

/// Number of classes a label must stay below (MNIST and Fashion-MNIST both have ten).
pub const CLASSES: usize = 10;

/// The header for images of `pixels` pixels: `label,pixel1,...,pixel{pixels}`.
pub fn header(pixels: usize) -> Vec<String> {
    std::iter::once("label".to_string())
        .chain((1..=pixels).map(|i| format!("pixel{i}")))
        .collect()
}

/// Writes images `(n, side, side)` and labels `(n,)` in `0..10` as CSV with the header
/// `label,pixel1,...,pixel{side*side}`, one image per line.
///
/// Refuses, before writing anything, what [`read()`] would reject: images that are not square
/// (the layout stores only the pixel count), with no pixels, or a label outside `0..10`.
/// The file is replaced atomically (see [`crate::atomic_write`]): on any failure the previous
/// file, if any, is unchanged.
pub fn write(
    path: impl AsRef<Path>,
    images: &ArrayRef3<u8>,
    labels: &ArrayRef1<u8>,
) -> Result<(), DatasetError> {
    let path = path.as_ref();
    let (n, rows, cols) = images.dim();
    if n != labels.len() {
        return Err(DatasetError::CountMismatch {
            images_path: path.to_path_buf(),
            labels_path: path.to_path_buf(),
            images: n,
            labels: labels.len(),
        });
    }
    if rows != cols || rows == 0 {
        return Err(DatasetError::CsvWrite {
            path: path.to_path_buf(),
            message: format!(
                "images are {rows}x{cols}, but this CSV layout holds square images of at least \
                 one pixel (side x side, e.g. 28x28): its reader could not read them back; \
                 nothing was written"
            ),
        });
    }
    if let Some(index) = labels.iter().position(|&l| usize::from(l) >= CLASSES) {
        return Err(DatasetError::CsvWrite {
            path: path.to_path_buf(),
            message: format!(
                "label #{index} is {}, expected a class in 0..{CLASSES} (its reader rejects it); \
                 nothing was written",
                labels[index]
            ),
        });
    }
    let pixels = rows * cols;
    crate::atomic_write::write_with(path, |file| {
        let mut w = ::csv::Writer::from_writer(file);
        w.write_record(header(pixels))?;
        // The 256 decimal spellings of a byte, made once.
        let digits: Vec<String> = (0..=255u8).map(|v| v.to_string()).collect();
        let mut record: Vec<&str> = Vec::with_capacity(pixels + 1);
        for (image, &label) in images.outer_iter().zip(labels.iter()) {
            record.clear();
            record.push(&digits[usize::from(label)]);
            record.extend(image.iter().map(|&p| digits[usize::from(p)].as_str()));
            w.write_record(&record)?;
        }
        w.flush()
    })
}

/// Reads a CSV file in the `label,pixel1,...,pixelN` layout into images `(n, side, side)` and
/// labels `(n,)`, with `N = side * side`.
pub fn read(path: impl AsRef<Path>) -> Result<Split, DatasetError> {
    let path = path.as_ref();
    let row_err = |line: u64, message: String| DatasetError::CsvRow {
        path: path.to_path_buf(),
        line,
        message,
    };
    let csv_err = |e: ::csv::Error| match e.position() {
        Some(pos) => row_err(pos.line(), e.to_string()),
        None => match e.into_kind() {
            ::csv::ErrorKind::Io(source) => DatasetError::Io {
                path: path.to_path_buf(),
                source,
            },
            kind => row_err(0, format!("{kind:?}")),
        },
    };
    // Headers and field counts are checked here, to report them with their line numbers.
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(csv_err)?;
    let mut records = reader.byte_records();

    let header_row = records.next().transpose().map_err(csv_err)?;
    let found: Vec<String> = header_row
        .iter()
        .flat_map(|r| r.iter())
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let pixels = found.len().saturating_sub(1);
    let side = (pixels as f64).sqrt().round() as usize;
    let expected = header(pixels);
    if found.len() < 2 || side * side != pixels || found != expected {
        let shown = if found.len() > 4 {
            format!("{},...,{}", found[..3].join(","), found[found.len() - 1])
        } else {
            found.join(",")
        };
        return Err(DatasetError::CsvHeader {
            path: path.to_path_buf(),
            expected: "label,pixel1,...,pixelN with N a square number of pixels (784 = 28x28)"
                .into(),
            found: if shown.is_empty() {
                "an empty file".into()
            } else {
                shown
            },
        });
    }

    let mut labels = Vec::new();
    let mut data = Vec::new();
    for record in records {
        let record = record.map_err(csv_err)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != pixels + 1 {
            return Err(row_err(
                line,
                format!(
                    "expected {} fields (label and {pixels} pixels), found {}",
                    pixels + 1,
                    record.len()
                ),
            ));
        }
        for (i, field) in record.iter().enumerate() {
            let column = if i == 0 {
                "label".to_string()
            } else {
                format!("pixel{i}")
            };
            let v = parse_u8(field).ok_or_else(|| {
                row_err(
                    line,
                    format!(
                        "{column} is {:?}, expected an integer in 0..=255",
                        String::from_utf8_lossy(field)
                    ),
                )
            })?;
            if i == 0 {
                if usize::from(v) >= CLASSES {
                    return Err(row_err(
                        line,
                        format!("label is {v}, expected a class in 0..{CLASSES}"),
                    ));
                }
                labels.push(v);
            } else {
                data.push(v);
            }
        }
    }
    let n = labels.len();
    let images = Array3::from_shape_vec((n, side, side), data)
        .expect("every row checked to hold side^2 pixels");
    Ok((images, Array1::from(labels)))
}

/// A decimal integer in `0..=255`, allowing surrounding spaces.
fn parse_u8(field: &[u8]) -> Option<u8> {
    std::str::from_utf8(field).ok()?.trim().parse().ok()
}
