//! [`DatasetError`]: every way loading a data set can fail, each naming the file, what was
//! expected, what was found, and (where there is one) the fix.

use std::fmt;
use std::path::PathBuf;

/// One place [`crate::SearchPaths`] looked for a data set, and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    /// Where it looked, e.g. `$FASHION_MNIST_DIR (/data/fm)` or a download URL.
    pub place: String,
    /// Why that place did not provide the files (`not set`, `missing train-images-idx3-ubyte.gz`, ...).
    pub outcome: String,
}

impl fmt::Display for Tried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.outcome)
    }
}

/// Everything that can go wrong reading IDX or CSV files, finding a data set or downloading it.
///
/// Every variant that concerns a file carries its `path`; every check carries what was expected
/// and what was found, so the message alone says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file could not be opened or read (missing, permissions, I/O error).
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file could not be written (a read-only or missing folder, a full disk, ...); the
    /// previous file at `path`, if any, is unchanged.
    #[error("cannot write {path}: {source}; the previous file, if any, is unchanged")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The file declares more data than this machine could allocate.
    #[error(
        "{path}: declares {} of {dtype} = {}, which could not be allocated (out of memory); free memory, raise the memory limit, or check that this is the right file",
        shape_text(.shape), human_bytes(*.bytes)
    )]
    TooLarge {
        path: PathBuf,
        shape: Vec<usize>,
        dtype: &'static str,
        bytes: u64,
    },

    /// An array the IDX format cannot hold (more than 255 dimensions, a size of 2^32 or more).
    #[error("cannot encode an array of shape {shape:?} as IDX: {reason}")]
    NotEncodable { shape: Vec<usize>, reason: String },

    /// The file starts with the gzip magic bytes `1f 8b` but its stream is corrupt or cut short.
    #[error("{path}: corrupt gzip stream ({source}); download the file again")]
    Gzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The first two bytes of an IDX file must be zero (`00 00 type rank`).
    #[error(
        "{path}: not an IDX file: expected magic bytes 00 00 <type> <rank>, found {found:02x?}"
    )]
    BadMagic { path: PathBuf, found: [u8; 4] },

    /// The third magic byte names an element type the IDX format does not define.
    #[error(
        "{path}: unknown IDX element type 0x{found:02x} (expected one of 08 u8, 09 i8, 0b i16, 0c i32, 0d f32, 0e f64)"
    )]
    UnknownType { path: PathBuf, found: u8 },

    /// The file holds a different element type than the caller asked for.
    #[error("{path}: expected IDX elements of type {expected}, found {found}")]
    WrongType {
        path: PathBuf,
        expected: &'static str,
        found: &'static str,
    },

    /// The file has a different number of dimensions than expected (images 3, labels 1).
    #[error(
        "{path}: expected an IDX file of rank {expected}, found rank {found} (shape {shape:?})"
    )]
    WrongRank {
        path: PathBuf,
        expected: usize,
        found: usize,
        shape: Vec<usize>,
    },

    /// The dimensions are not those of the data set (e.g. images must be 28x28).
    #[error("{path}: expected shape {expected}, found {found:?}")]
    WrongShape {
        path: PathBuf,
        expected: String,
        found: Vec<usize>,
    },

    /// The file ends inside the header (magic number and dimension sizes).
    #[error(
        "{path}: truncated IDX header: expected {expected} header bytes, found {found}; the file is cut short, download it again"
    )]
    TruncatedHeader {
        path: PathBuf,
        expected: usize,
        found: usize,
    },

    /// The declared sizes multiply past what this machine can address.
    #[error("{path}: declared shape {shape:?} is too large to be real")]
    SizeOverflow { path: PathBuf, shape: Vec<usize> },

    /// Fewer data bytes than the header declares: the file was cut short.
    #[error(
        "{path}: truncated: shape {shape:?} declares {expected} data bytes, found only {found}; download the file again"
    )]
    Truncated {
        path: PathBuf,
        shape: Vec<usize>,
        expected: u64,
        found: u64,
    },

    /// More data bytes than the header declares: this is not the file it claims to be.
    #[error(
        "{path}: shape {shape:?} declares {expected} data bytes, but more follow (at least {found}); the header does not match the data"
    )]
    TrailingBytes {
        path: PathBuf,
        shape: Vec<usize>,
        expected: u64,
        found: u64,
    },

    /// A class label outside `0..classes`.
    #[error("{path}: label #{index} is {label}, expected a class in 0..{classes}")]
    LabelOutOfRange {
        path: PathBuf,
        index: usize,
        label: u8,
        classes: usize,
    },

    /// The images file and the labels file disagree on the number of examples.
    #[error(
        "{images_path} has {images} images but {labels_path} has {labels} labels; they must be the same split"
    )]
    CountMismatch {
        images_path: PathBuf,
        labels_path: PathBuf,
        images: usize,
        labels: usize,
    },

    /// A CSV row could not be read (wrong field count, not a number, out of range).
    #[error("{path}: line {line}: {message}")]
    CsvRow {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// The CSV header is not `label,pixel1,...,pixelN`.
    #[error("{path}: line 1: expected header {expected}, found {found}")]
    CsvHeader {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// `csv::write` refused data its reader would reject (nothing was written).
    #[error("cannot write {path}: {message}")]
    CsvWrite { path: PathBuf, message: String },

    /// A download failed (network, HTTP status, or disk).
    #[error("download of {url} failed: {message}")]
    Download { url: String, message: String },

    /// A downloaded file's SHA-256 is not the published one; nothing was kept.
    #[error(
        "download of {url}: SHA-256 mismatch (expected {expected}, found {found}); the file was discarded"
    )]
    ChecksumMismatch {
        url: String,
        expected: String,
        found: String,
    },

    /// The data set's environment variable names a folder that is missing or lacks files.
    #[error(
        "${var} is set to {}, but {problem} there. Put the four files there ({}, each gzip-compressed or not), or unset {var} to use Keras' cache, the system folder or the download",
        .dir.display(), .files.join(", ")
    )]
    EnvDirUnusable {
        /// e.g. `FASHION_MNIST_DIR`.
        var: &'static str,
        dir: PathBuf,
        /// `no such directory`, or `missing NAME.gz, ...`.
        problem: String,
        /// The four file names expected there.
        files: Vec<String>,
    },

    /// No place in the search order had the data set.
    #[error("{}", not_found_message(.dataset, .tried, .fixes))]
    NotFound {
        /// `Fashion-MNIST` or `MNIST`.
        dataset: &'static str,
        /// Every place looked at, in order, with why it was not used.
        tried: Vec<Tried>,
        /// The ways to fix it, one sentence each.
        fixes: Vec<String>,
    },
}

/// A shape as `60000x28x28` (`a scalar` for rank 0).
pub fn shape_text(shape: &[usize]) -> String {
    if shape.is_empty() {
        return "a scalar".into();
    }
    shape
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// A byte count for people: `47.0 MB`, `2.5 GB` (powers of 1000, as `ls -h --si`).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut v = bytes as f64 / 1000.0;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn not_found_message(dataset: &str, tried: &[Tried], fixes: &[String]) -> String {
    let mut s = format!("{dataset} not found. Looked in, in order:");
    for t in tried {
        s.push_str(&format!("\n  - {t}"));
    }
    s.push_str("\nTo fix it, do one of:");
    for (i, fix) in fixes.iter().enumerate() {
        s.push_str(&format!("\n  {}. {fix}", i + 1));
    }
    s
}
