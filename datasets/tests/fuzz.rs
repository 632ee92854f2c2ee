//! Fuzzing the readers of outside bytes: IDX (plain and gzip) and CSV, with proptest (stable
//! Rust has no cargo-fuzz), over arbitrary bytes and over mutations of valid files (bit flips,
//! byte edits, insertions, deletions, truncations, and header edits that declare other sizes).
//!
//! The property: the reader never panics, returns `Ok` with a consistent array, or an `Err`
//! whose message names the input. A panic would be caught and reported by proptest, but a
//! memory abort would not (it kills the process): that is why the readers check every size
//! read from a file before allocating, and why an abort here is a failure too.
//!
//! A few hundred inputs per test in the normal run; `FUZZ_CASES=100000 cargo test -p datasets
//! --test fuzz` runs that many per test. A failing input is printed in hex (`Bytes(...)`),
//! shrunk by proptest to a small one, and saved in `fuzz.proptest-regressions` to be rerun.

use datasets::{csv, idx};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::io::Write;

/// The name the inputs are read under; every error must mention it.
const NAME: &str = "fuzz-input";

/// Cases per test: `$FUZZ_CASES`, or a few hundred.
fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    ProptestConfig {
        cases,
        // Shrinking a failure (not the search) gets a generous budget.
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

/// Input bytes, shown in hex when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes: ", self.0.len())?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// One edit of a file.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    Insert {
        at: usize,
        value: u8,
    },
    Delete {
        at: usize,
    },
    Truncate {
        to: usize,
    },
    /// Sets a 4-byte big-endian word of the IDX header (the dimension sizes start at 4).
    SetHeaderWord {
        word: usize,
        value: u32,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let size = prop_oneof![
        Just(0u32),
        Just(1),
        0u32..64,
        Just(u32::MAX),
        Just(0x8000_0000),
        any::<u32>()
    ];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::Insert { at, value }),
        any::<usize>().prop_map(|at| Mutation::Delete { at }),
        any::<usize>().prop_map(|to| Mutation::Truncate { to }),
        (0usize..6, size).prop_map(|(word, value)| Mutation::SetHeaderWord { word, value }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len();
    match *m {
        Mutation::FlipBit { at, bit } if n > 0 => bytes[at % n] ^= 1 << bit,
        Mutation::SetByte { at, value } if n > 0 => bytes[at % n] = value,
        Mutation::Insert { at, value } => bytes.insert(at % (n + 1), value),
        Mutation::Delete { at } if n > 0 => {
            bytes.remove(at % n);
        }
        Mutation::Truncate { to } => bytes.truncate(to % (n + 1)),
        Mutation::SetHeaderWord { word, value } => {
            let at = 4 * word;
            if at + 4 <= n {
                bytes[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
        }
        _ => {}
    }
}

/// A valid IDX file: any of the six element types, rank 0 to 4, sizes 0 to 5, any data.
fn valid_idx() -> impl Strategy<Value = Vec<u8>> {
    let types = [0x08u8, 0x09, 0x0B, 0x0C, 0x0D, 0x0E];
    (0..types.len(), prop::collection::vec(0usize..6, 0..5)).prop_flat_map(move |(t, dims)| {
        let code = types[t];
        let size = match code {
            0x08 | 0x09 => 1,
            0x0B => 2,
            0x0C | 0x0D => 4,
            _ => 8,
        };
        let count: usize = dims.iter().product();
        prop::collection::vec(any::<u8>(), count * size).prop_map(move |data| {
            let mut bytes = vec![0, 0, code, dims.len() as u8];
            for &d in &dims {
                bytes.extend_from_slice(&(d as u32).to_be_bytes());
            }
            bytes.extend_from_slice(&data);
            bytes
        })
    })
}

/// A valid CSV file: `side x side` images (side 1 to 4), 0 to 5 rows, labels 0..10.
fn valid_csv() -> impl Strategy<Value = Vec<u8>> {
    (1usize..5, 0usize..6).prop_flat_map(|(side, rows)| {
        prop::collection::vec(
            (0u8..10, prop::collection::vec(any::<u8>(), side * side)),
            rows,
        )
        .prop_map(move |rows| {
            let mut text = csv::header(side * side).join(",");
            text.push('\n');
            for (label, pixels) in rows {
                text.push_str(&label.to_string());
                for p in pixels {
                    text.push_str(&format!(",{p}"));
                }
                text.push('\n');
            }
            text.into_bytes()
        })
    })
}

fn mutated(valid: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Bytes> {
    (valid, prop::collection::vec(mutation(), 1..5)).prop_map(|(mut bytes, edits)| {
        for m in &edits {
            apply(&mut bytes, m);
        }
        Bytes(bytes)
    })
}

fn arbitrary_bytes() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        // A plausible IDX start followed by anything.
        (0u8..16, 0u8..6, prop::collection::vec(any::<u8>(), 0..64)).prop_map(|(t, r, rest)| {
            let mut b = vec![0, 0, t, r];
            b.extend(rest);
            b
        }),
        prop::collection::vec(any::<u8>(), 0..512),
    ]
    .prop_map(Bytes)
}

/// The IDX property: no panic; `Ok` holds as many elements as its shape says; `Err` names
/// the input.
fn check_idx(bytes: &[u8]) -> Result<(), TestCaseError> {
    match idx::decode(bytes, NAME) {
        Ok(data) => {
            let count: usize = data.shape().iter().product();
            let body = count * data.dtype().size();
            let header = 4 + 4 * data.shape().len();
            // Plain input: the bytes are exactly header + body.
            if bytes.get(..2) != Some(&idx::GZIP_MAGIC[..]) {
                prop_assert_eq!(bytes.len(), header + body);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(
                msg.contains(NAME),
                "the error does not name the input: {}",
                msg
            );
        }
    }
    Ok(())
}

/// The CSV property, through a file (the reader takes a path).
fn check_csv(bytes: &[u8], path: &std::path::Path) -> Result<(), TestCaseError> {
    std::fs::write(path, bytes).unwrap();
    match csv::read(path) {
        Ok((images, labels)) => {
            prop_assert_eq!(images.shape()[0], labels.len());
            prop_assert_eq!(images.shape()[1], images.shape()[2]);
            prop_assert!(labels.iter().all(|&l| usize::from(l) < csv::CLASSES));
        }
        Err(e) => {
            let msg = e.to_string();
            let name = path.display().to_string();
            prop_assert!(
                msg.contains(&name),
                "the error does not name the file: {}",
                msg
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn idx_plain_arbitrary_bytes(input in arbitrary_bytes()) {
        check_idx(&input.0)?;
    }

    #[test]
    fn idx_plain_mutated_files(input in mutated(valid_idx())) {
        check_idx(&input.0)?;
    }

    /// Mutated IDX bytes, then compressed: the IDX checks behind the gzip decoder.
    #[test]
    fn idx_gzip_of_mutated_files(input in mutated(valid_idx())) {
        check_idx(&gzip(&input.0))?;
    }

    /// Valid IDX bytes compressed, then the compressed stream mutated: the gzip decoder's
    /// own errors (bad CRC, cut stream, bad headers).
    #[test]
    fn idx_gzip_mutated_streams(input in mutated(valid_idx().prop_map(|b| gzip(&b)))) {
        check_idx(&input.0)?;
    }

    #[test]
    fn csv_arbitrary_and_mutated_files(
        input in prop_oneof![arbitrary_bytes(), mutated(valid_csv())]
    ) {
        thread_local! {
            // One folder for all cases of this run (removed when the test's thread ends).
            static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
        }
        DIR.with(|dir| check_csv(&input.0, &dir.path().join("fuzz.csv")))?;
    }
}

/// The mutators do produce what they claim: a valid file passes, an edited one mostly fails.
#[test]
fn the_generators_make_valid_files_and_the_mutations_break_them() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut ok, mut broken) = (0, 0);
    for _ in 0..200 {
        let valid = valid_idx().new_tree(&mut runner).unwrap().current();
        assert!(
            idx::decode(&valid, NAME).is_ok(),
            "{:?}",
            Bytes(valid.clone())
        );
        assert!(idx::decode(&gzip(&valid), NAME).is_ok());
        let input = mutated(Just(valid))
            .new_tree(&mut runner)
            .unwrap()
            .current();
        match idx::decode(&input.0, NAME) {
            Ok(_) => ok += 1,
            Err(_) => broken += 1,
        }
    }
    assert!(broken > 100 && ok > 0, "{broken} broken, {ok} still valid");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("valid.csv");
    for _ in 0..50 {
        let valid = valid_csv().new_tree(&mut runner).unwrap().current();
        std::fs::write(&path, &valid).unwrap();
        assert!(
            csv::read(&path).is_ok(),
            "{}",
            String::from_utf8_lossy(&valid)
        );
    }
}
