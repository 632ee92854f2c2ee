//! Fuzzing every reader of outside bytes in keras-lite with proptest (stable Rust): the
//! safetensors weights (`load_weights`), a model's `config.json` (`from_config`, built and
//! compiled as `load_model` does) and a whole saved model folder (`load_model`), each fed
//! arbitrary bytes and mutations of a valid file (bytes flipped, set, inserted, deleted, the
//! file cut short, 8 bytes overwritten by a random little-endian number, which hits the
//! header length and the offsets).
//!
//! Each must return `Ok` or an `Err` with a message: never panic (proptest then prints the
//! input, shrunk) and never abort (sizes are checked before allocating; the size limit is
//! lowered here so that a mutated `"units": 80000` stays quick). A failed weight load must
//! leave the model's weights as they were.
//!
//! A few hundred cases per reader run with the tests; `FUZZ_CASES=100000 cargo test --release
//! -p keras-lite --test fuzz` runs many more.

mod common;

use common::{images, temp_path};
use keras_lite::layers::{BatchNormalization, Dense, Dropout, Flatten};
use keras_lite::{FitOptions, Sequential, model_io};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A model with every kind of layer, trained a little, compiled (so config.json has a
/// training_config); its files are the valid inputs the mutations start from.
fn trained_model() -> Sequential {
    keras_lite::backend::set_random_seed(5);
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(6)
            .activation("relu")
            .kernel_regularizer(keras_lite::regularizers::Regularizer::L2(0.01))
            .into(),
        BatchNormalization::new().into(),
        Dropout::new(0.25).into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    m.compile("adam", "sparse_categorical_crossentropy", &["accuracy"])
        .unwrap();
    let (x, y) = images(16, 1);
    m.fit(
        &x,
        &y,
        FitOptions {
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap();
    m
}

struct Valid {
    weights: Vec<u8>,
    config: Vec<u8>,
}

/// The valid files, made once.
fn valid() -> &'static Valid {
    static VALID: OnceLock<Valid> = OnceLock::new();
    VALID.get_or_init(|| {
        let dir = temp_path("fuzz-valid");
        let _ = std::fs::remove_dir_all(&dir);
        trained_model().save(&dir).unwrap();
        let v = Valid {
            weights: std::fs::read(model_io::weights_path(&dir).unwrap()).unwrap(),
            config: std::fs::read(dir.join(model_io::CONFIG_FILE)).unwrap(),
        };
        std::fs::remove_dir_all(&dir).unwrap();
        v
    })
}

/// One change to a byte string; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    /// 8 bytes at a position replaced by a little-endian number (sizes, offsets).
    Number(usize, u64),
    /// An ASCII digit string at a position (numbers inside JSON).
    Digits(usize, u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let big = prop_oneof![
        any::<u64>(),
        Just(u64::MAX),
        Just(1 << 32),
        Just(1 << 40),
        0u64..100_000
    ];
    prop_oneof![
        (any::<usize>(), 1u8..).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), big.clone()).prop_map(|(i, n)| Mutation::Number(i, n)),
        (any::<usize>(), big).prop_map(|(i, n)| Mutation::Digits(i, n)),
    ]
}

fn mutate(bytes: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for m in mutations {
        let at = |i: usize, b: &Vec<u8>| if b.is_empty() { 0 } else { i % b.len() };
        match m {
            Mutation::Flip(i, x) => {
                let i = at(*i, &b);
                if let Some(v) = b.get_mut(i) {
                    *v ^= x;
                }
            }
            Mutation::Set(i, x) => {
                let i = at(*i, &b);
                if let Some(v) = b.get_mut(i) {
                    *v = *x;
                }
            }
            Mutation::Insert(i, x) => {
                let i = at(*i, &b);
                b.splice(i..i, x.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = at(*i, &b);
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Mutation::Truncate(n) => {
                let n = at(*n, &b);
                b.truncate(n);
            }
            Mutation::Number(i, x) => {
                let i = at(*i, &b);
                for (k, v) in x.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = b.get_mut(i + k) {
                        *slot = *v;
                    }
                }
            }
            Mutation::Digits(i, x) => {
                let i = at(*i, &b);
                let digits = x.to_string();
                let end = (i + digits.len()).min(b.len());
                b.splice(i..end, digits.bytes());
            }
        }
    }
    b
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..6)
}

/// A folder of its own for this thread's cases.
fn scratch(name: &str) -> PathBuf {
    let dir = temp_path(&format!("fuzz-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `load_weights` of `bytes` into a fresh model: Ok, or an Err that changed nothing.
fn load_weights_case(bytes: &[u8], path: &Path) -> Result<(), TestCaseError> {
    std::fs::write(path, bytes).unwrap();
    let mut m = trained_model_fresh();
    let before = m.get_weights().unwrap();
    if let Err(e) = m.load_weights(path) {
        prop_assert!(!e.to_string().is_empty());
        prop_assert_eq!(
            m.get_weights().unwrap(),
            before,
            "a failed load changed the model"
        );
    }
    Ok(())
}

/// A model of `trained_model`'s architecture (untrained: cheap to make per case).
fn trained_model_fresh() -> Sequential {
    let mut m = Sequential::new(vec![
        Flatten::new().input_shape(&[4, 4]).into(),
        Dense::new(6).activation("relu").into(),
        BatchNormalization::new().into(),
        Dropout::new(0.25).into(),
        Dense::new(3).activation("softmax").into(),
    ]);
    m.build(&[4, 4]).unwrap();
    m
}

/// `from_config` of `bytes` (if they are JSON), then what `load_model` does next: build.
fn config_case(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    if let Ok(mut m) = Sequential::from_config(&value) {
        let _ = m.get_weights();
        let _ = m.summary_string();
    }
    Ok(())
}

fn small_limit() {
    keras_lite::sizes::set_max_elements(1 << 20);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn weights_from_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        small_limit();
        load_weights_case(&bytes, &scratch("w-any").join("w.safetensors"))?;
    }

    #[test]
    fn weights_from_mutated_files(m in mutations()) {
        small_limit();
        let bytes = mutate(&valid().weights, &m);
        load_weights_case(&bytes, &scratch("w-mut").join("w.safetensors"))?;
    }

    #[test]
    fn config_from_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        small_limit();
        config_case(&bytes)?;
    }

    #[test]
    fn config_from_mutated_files(m in mutations()) {
        small_limit();
        config_case(&mutate(&valid().config, &m))?;
    }

    #[test]
    fn model_folders_mutated(mc in mutations(), mw in mutations(), which in 0u8..3) {
        small_limit();
        let dir = scratch("folder");
        let v = valid();
        let config = if which != 1 { mutate(&v.config, &mc) } else { v.config.clone() };
        let weights = if which != 0 { mutate(&v.weights, &mw) } else { v.weights.clone() };
        std::fs::write(dir.join(model_io::CONFIG_FILE), &config).unwrap();
        for name in [model_io::WEIGHTS_FILE, model_io::WEIGHTS_FILE_ALT] {
            std::fs::write(dir.join(name), &weights).unwrap();
        }
        if let Err(e) = model_io::load_model(&dir) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn the_unmutated_files_load() {
    // The mutations start from files that load: a failure above is the mutation's doing.
    let dir = scratch("valid-check");
    std::fs::write(dir.join(model_io::CONFIG_FILE), &valid().config).unwrap();
    let name: serde_json::Value = serde_json::from_slice(&valid().config).unwrap();
    let name = name[model_io::WEIGHTS_FILE_KEY]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(dir.join(name), &valid().weights).unwrap();
    let mut loaded = model_io::load_model(&dir).unwrap();
    assert_eq!(
        loaded.get_weights().unwrap(),
        trained_model().get_weights().unwrap()
    );
}
