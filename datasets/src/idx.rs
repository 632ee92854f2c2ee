//! The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed, any rank.
//!
//! An IDX file is a big-endian header followed by the elements in row-major (C) order:
//!
//! ```text
//! offset  bytes        meaning
//! 0       00 00        magic: always zero
//! 2       1            element type: 08 u8, 09 i8, 0b i16, 0c i32, 0d f32, 0e f64
//! 3       1            rank r (number of dimensions)
//! 4       4 * r        each dimension size, u32 big-endian
//! 4+4r    n * size     the elements, big-endian, n = product of the sizes
//! ```
//!
//! `train-images-idx3-ubyte` is `00 00 08 03`, then 60000, 28, 28, then 47,040,000 bytes.
//! Whether a file is gzip-compressed is decided by its first two bytes (`1f 8b`), never by
//! its name, so `train-images-idx3-ubyte` and `train-images-idx3-ubyte.gz` read the same.
//!
//! Every check (magic number, element type, rank, declared size against the bytes actually
//! present) fails with its own [`DatasetError`] variant carrying the path, the expected value
//! and the found one. The reader never trusts the header to allocate: a file that declares
//! 4 billion images but holds 10 bytes is reported as truncated, not as an out-of-memory abort.
//!
//! ```
//! use datasets::idx;
//! use ndarray::array;
//!
//! let images = array![[[0u8, 255], [128, 7]]]; // one 2x2 image
//! let bytes = idx::encode(&images)?;
//! assert_eq!(&bytes[..4], &[0, 0, 0x08, 3]); // magic: u8, rank 3
//! let back = idx::decode(&bytes, "in-memory")?.into_u8("in-memory")?;
//! assert_eq!(back, images.into_dyn());
//! # Ok::<(), datasets::DatasetError>(())
//! ```

use crate::DatasetError;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use ndarray::{Array1, Array3, ArrayD, ArrayRef, Dimension, IxDyn};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// The first two bytes of every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Element types the IDX format defines, with their type codes (third magic byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxType {
    /// `0x08`, unsigned byte: pixels and labels of (Fashion-)MNIST.
    U8,
    /// `0x09`, signed byte.
    I8,
    /// `0x0B`, 16-bit signed integer.
    I16,
    /// `0x0C`, 32-bit signed integer.
    I32,
    /// `0x0D`, 32-bit float.
    F32,
    /// `0x0E`, 64-bit float.
    F64,
}

impl IdxType {
    /// The type from its code, or `None` for codes the format does not define.
    pub fn from_code(code: u8) -> Option<IdxType> {
        Some(match code {
            0x08 => IdxType::U8,
            0x09 => IdxType::I8,
            0x0B => IdxType::I16,
            0x0C => IdxType::I32,
            0x0D => IdxType::F32,
            0x0E => IdxType::F64,
            _ => return None,
        })
    }

    /// The type code written in the third magic byte.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }

    /// The Rust name of the element type (`u8`, `f32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            IdxType::U8 => "u8",
            IdxType::I8 => "i8",
            IdxType::I16 => "i16",
            IdxType::I32 => "i32",
            IdxType::F32 => "f32",
            IdxType::F64 => "f64",
        }
    }
}

impl std::fmt::Display for IdxType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The contents of an IDX file: an n-dimensional array of one of the format's element types.
#[derive(Debug, Clone, PartialEq)]
pub enum IdxData {
    U8(ArrayD<u8>),
    I8(ArrayD<i8>),
    I16(ArrayD<i16>),
    I32(ArrayD<i32>),
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
}

impl IdxData {
    /// The element type.
    pub fn dtype(&self) -> IdxType {
        match self {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    /// The shape, outermost dimension first (`[60000, 28, 28]` for the training images).
    pub fn shape(&self) -> &[usize] {
        match self {
            IdxData::U8(a) => a.shape(),
            IdxData::I8(a) => a.shape(),
            IdxData::I16(a) => a.shape(),
            IdxData::I32(a) => a.shape(),
            IdxData::F32(a) => a.shape(),
            IdxData::F64(a) => a.shape(),
        }
    }

    /// The smallest and largest element as `f64` (NaNs ignored), or `None` when empty.
    pub fn min_max(&self) -> Option<(f64, f64)> {
        fn fold<T: Copy + Into<f64>>(a: &ArrayD<T>) -> Option<(f64, f64)> {
            a.iter()
                .map(|&v| v.into())
                .filter(|v: &f64| !v.is_nan())
                .fold(None, |acc: Option<(f64, f64)>, v| match acc {
                    None => Some((v, v)),
                    Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
                })
        }
        match self {
            IdxData::U8(a) => fold(a),
            IdxData::I8(a) => fold(a),
            IdxData::I16(a) => fold(a),
            IdxData::I32(a) => fold(a),
            IdxData::F32(a) => fold(a),
            IdxData::F64(a) => fold(a),
        }
    }

    /// The array if its elements are `u8`, else [`DatasetError::WrongType`] naming `path`.
    pub fn into_u8(self, path: impl AsRef<Path>) -> Result<ArrayD<u8>, DatasetError> {
        match self {
            IdxData::U8(a) => Ok(a),
            other => Err(DatasetError::WrongType {
                path: path.as_ref().to_path_buf(),
                expected: IdxType::U8.name(),
                found: other.dtype().name(),
            }),
        }
    }
}

/// A Rust element type that has an IDX type code (used by [`encode`] and [`write()`]).
pub trait IdxElement: Copy {
    /// The IDX element type of `Self`.
    const TYPE: IdxType;
    /// Appends the big-endian bytes of `self`.
    fn put_be(self, out: &mut Vec<u8>);
}

macro_rules! idx_element {
    ($t:ty, $v:ident) => {
        impl IdxElement for $t {
            const TYPE: IdxType = IdxType::$v;
            fn put_be(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
        }
    };
}
idx_element!(u8, U8);
idx_element!(i8, I8);
idx_element!(i16, I16);
idx_element!(i32, I32);
idx_element!(f32, F32);
idx_element!(f64, F64);

/// Reads an IDX file, plain or gzip-compressed (decided by the magic bytes), of any type and rank.
pub fn read(path: impl AsRef<Path>) -> Result<IdxData, DatasetError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_from(BufReader::new(file), path)
}

/// Reads IDX data from any reader; `path` is only used to name the source in errors.
pub fn read_from<R: Read>(mut reader: R, path: impl AsRef<Path>) -> Result<IdxData, DatasetError> {
    let path = path.as_ref();
    // Look at the first two bytes, then put them back in front: gzip or plain.
    let mut head = [0u8; 2];
    let n = read_full(&mut reader, &mut head).map_err(|source| DatasetError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let whole = (&head[..n]).chain(reader);
    if head[..n] == GZIP_MAGIC {
        parse(MultiGzDecoder::new(whole), path, true)
    } else {
        parse(whole, path, false)
    }
}

/// Decodes IDX data held in memory (plain or gzip); `name` labels the source in errors.
///
/// Never panics and never allocates more than the bytes (or their decompression) hold,
/// whatever the header declares.
pub fn decode(bytes: &[u8], name: impl AsRef<Path>) -> Result<IdxData, DatasetError> {
    read_from(bytes, name)
}

/// Reads an IDX file that must hold `u8` images of rank 3: `(count, rows, cols)`.
pub fn read_images(path: impl AsRef<Path>) -> Result<Array3<u8>, DatasetError> {
    let path = path.as_ref();
    let a = read(path)?.into_u8(path)?;
    Ok(into_rank(a, 3, path)?
        .into_dimensionality()
        .expect("rank checked above"))
}

/// Reads an IDX file that must hold `u8` labels of rank 1: `(count,)`.
pub fn read_labels(path: impl AsRef<Path>) -> Result<Array1<u8>, DatasetError> {
    let path = path.as_ref();
    let a = read(path)?.into_u8(path)?;
    Ok(into_rank(a, 1, path)?
        .into_dimensionality()
        .expect("rank checked above"))
}

fn into_rank(a: ArrayD<u8>, rank: usize, path: &Path) -> Result<ArrayD<u8>, DatasetError> {
    if a.ndim() == rank {
        Ok(a)
    } else {
        Err(DatasetError::WrongRank {
            path: path.to_path_buf(),
            expected: rank,
            found: a.ndim(),
            shape: a.shape().to_vec(),
        })
    }
}

/// The IDX bytes of an array (header, then elements in row-major order).
///
/// Fails with [`DatasetError::NotEncodable`] if the array has more than 255 dimensions or a
/// dimension of 2^32 or more (the format cannot express either), and with
/// the same variant if its bytes cannot be allocated.
pub fn encode<T: IdxElement, D: Dimension>(
    array: &ArrayRef<T, D>,
) -> Result<Vec<u8>, DatasetError> {
    let not_encodable = |reason: String| DatasetError::NotEncodable {
        shape: array.shape().to_vec(),
        reason,
    };
    let rank = u8::try_from(array.ndim()).map_err(|_| {
        not_encodable(format!(
            "IDX allows at most 255 dimensions, the array has {}",
            array.ndim()
        ))
    })?;
    let dims = array
        .shape()
        .iter()
        .map(|&d| {
            u32::try_from(d).map_err(|_| {
                not_encodable(format!(
                    "IDX dimension sizes are u32 (at most {}), one is {d}",
                    u32::MAX
                ))
            })
        })
        .collect::<Result<Vec<u32>, _>>()?;
    let bytes = array
        .len()
        .checked_mul(T::TYPE.size())
        .and_then(|b| b.checked_add(4 + 4 * dims.len()))
        .ok_or_else(|| not_encodable("its size in bytes overflows usize".into()))?;
    let mut out = Vec::new();
    out.try_reserve_exact(bytes).map_err(|_| {
        not_encodable(format!(
            "its {} could not be allocated (out of memory)",
            crate::error::human_bytes(bytes as u64)
        ))
    })?;
    out.extend_from_slice(&[0, 0, T::TYPE.code(), rank]);
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    // `iter` walks in logical (row-major) order whatever the memory layout.
    for &v in array.iter() {
        v.put_be(&mut out);
    }
    Ok(out)
}

/// Writes an array as an IDX file, gzip-compressed when `gzip` is true (as the `.gz` files
/// Keras downloads are).
///
/// The bytes go to a new temporary file beside `path` (created exclusively, with a random
/// name), which is synced and then renamed over `path`: a full disk, a crash or a killed
/// process leaves the previous file as it was (see [`crate::atomic_write`]).
pub fn write<T: IdxElement, D: Dimension>(
    path: impl AsRef<Path>,
    array: &ArrayRef<T, D>,
    gzip: bool,
) -> Result<(), DatasetError> {
    let path = path.as_ref();
    let bytes = encode(array)?;
    crate::atomic_write::write_with(path, |file| {
        if gzip {
            let mut enc = GzEncoder::new(file, Compression::default());
            enc.write_all(&bytes)?;
            enc.finish()?;
        } else {
            file.write_all(&bytes)?;
        }
        Ok(())
    })
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match reader.read(&mut buf[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

fn parse<R: Read>(mut reader: R, path: &Path, gzip: bool) -> Result<IdxData, DatasetError> {
    let read_err = |source: std::io::Error| {
        if gzip {
            DatasetError::Gzip {
                path: path.to_path_buf(),
                source,
            }
        } else {
            DatasetError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    };

    let mut magic = [0u8; 4];
    let n = read_full(&mut reader, &mut magic).map_err(read_err)?;
    if n < 4 {
        return Err(DatasetError::TruncatedHeader {
            path: path.to_path_buf(),
            expected: 4,
            found: n,
        });
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(DatasetError::BadMagic {
            path: path.to_path_buf(),
            found: magic,
        });
    }
    let dtype = IdxType::from_code(magic[2]).ok_or(DatasetError::UnknownType {
        path: path.to_path_buf(),
        found: magic[2],
    })?;
    let rank = usize::from(magic[3]);

    let mut dims_bytes = vec![0u8; 4 * rank];
    let n = read_full(&mut reader, &mut dims_bytes).map_err(read_err)?;
    if n < dims_bytes.len() {
        return Err(DatasetError::TruncatedHeader {
            path: path.to_path_buf(),
            expected: 4 + 4 * rank,
            found: 4 + n,
        });
    }
    let shape: Vec<usize> = dims_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();

    // Declared size in bytes, checked: the header is untrusted input. ndarray also requires
    // the product of the non-zero sizes to fit in `isize` (a zero next to huge sizes is an
    // empty array it still refuses), so that product is checked too.
    let overflow = || DatasetError::SizeOverflow {
        path: path.to_path_buf(),
        shape: shape.clone(),
    };
    let nonzero_bytes = shape
        .iter()
        .filter(|&&d| d != 0)
        .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(overflow)?;
    let expected = if shape.contains(&0) { 0 } else { nonzero_bytes };
    let count = expected / dtype.size();

    // Read at most one byte more than declared, to detect trailing data without reading a
    // whole unexpected stream. Up to 64 MiB is reserved at once; beyond that the declared size
    // is reserved (fallibly) only once the stream has shown it holds more than 64 MiB, so a
    // short file declaring gigabytes allocates at most 64 MiB, and a real one too big for this
    // machine says so instead of failing inside the gzip decoder.
    let too_large = || DatasetError::TooLarge {
        path: path.to_path_buf(),
        shape: shape.clone(),
        dtype: dtype.name(),
        bytes: expected as u64,
    };
    let first = expected.min(64 << 20);
    let mut data = Vec::new();
    data.try_reserve_exact(first + 1).map_err(|_| too_large())?;
    (&mut reader)
        .take(first as u64 + 1)
        .read_to_end(&mut data)
        .map_err(read_err)?;
    if data.len() > first && expected > first {
        data.try_reserve_exact(expected + 1 - data.len())
            .map_err(|_| too_large())?;
        (&mut reader)
            .take((expected + 1 - data.len()) as u64)
            .read_to_end(&mut data)
            .map_err(read_err)?;
    }
    if data.len() < expected {
        return Err(DatasetError::Truncated {
            path: path.to_path_buf(),
            shape,
            expected: expected as u64,
            found: data.len() as u64,
        });
    }
    if data.len() > expected {
        return Err(DatasetError::TrailingBytes {
            path: path.to_path_buf(),
            shape,
            expected: expected as u64,
            found: data.len() as u64,
        });
    }

    let dim = IxDyn(&shape);
    // Cannot fail after the checks above; reported rather than unwrapped all the same.
    let shape_err = |_| overflow();
    macro_rules! build {
        ($variant:ident, $t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            let mut v: Vec<$t> = Vec::new();
            v.try_reserve_exact(count).map_err(|_| too_large())?;
            v.extend(
                data.chunks_exact(N)
                    .map(|c| <$t>::from_be_bytes(c.try_into().expect("chunk of N bytes"))),
            );
            IdxData::$variant(ArrayD::from_shape_vec(dim, v).map_err(shape_err)?)
        }};
    }
    debug_assert_eq!(data.len(), count * dtype.size());
    Ok(match dtype {
        IdxType::U8 => IdxData::U8(ArrayD::from_shape_vec(dim, data).map_err(shape_err)?),
        IdxType::I8 => build!(I8, i8),
        IdxType::I16 => build!(I16, i16),
        IdxType::I32 => build!(I32, i32),
        IdxType::F32 => build!(F32, f32),
        IdxType::F64 => build!(F64, f64),
    })
}
