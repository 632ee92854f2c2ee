//! Sizes checked before anything is allocated.
//!
//! When a model is built (by `compile`, `fit`, `summary`, `load_model`, ...) every layer's
//! output shape and weight count is computed with checked arithmetic and compared with one
//! explicit bound, [`max_elements`]: the values of one sample's output of any layer, of one
//! layer's weights, and of all the model's weights together must each stay within it. A
//! layer that would not is an error naming the layer and the size, raised before any weight
//! exists, so `Dense::new(1 << 44)` or a `config.json` asking for `"units": 1099511627776`
//! cannot make the process allocate terabytes and be killed (an allocation failure aborts;
//! no `Result` or `catch_unwind` can report it).
//!
//! The default, [`DEFAULT_MAX_ELEMENTS`] = 2^31 values, is 8 GiB of `float32` weights (Adam
//! keeps two more arrays of each): far above any model this library trains, far below what
//! `usize` arithmetic or the address space would let through. A program that knows its
//! memory, or loads models from untrusted places, sets its own with [`set_max_elements`]
//! (per thread, like [`crate::backend::set_random_seed`]).
//!
//! ```
//! use keras_lite::{Sequential, layers::{Dense, Flatten}};
//! let mut model = Sequential::new(vec![
//!     Flatten::new().input_shape(&[28, 28]).into(),
//!     Dense::new(1 << 44).into(),
//! ]);
//! let err = model.summary_string().unwrap_err().to_string();
//! assert!(err.contains("\"dense\" (Dense)") && err.contains("17,592,186,044,416 values"), "{err}");
//! ```

use crate::error::{KerasError, Result};
use crate::layers::Layer;
use std::cell::Cell;

/// The bound on values per array unless [`set_max_elements`] changes it: 2^31.
pub const DEFAULT_MAX_ELEMENTS: usize = 1 << 31;

thread_local! {
    static MAX_ELEMENTS: Cell<usize> = const { Cell::new(DEFAULT_MAX_ELEMENTS) };
}

/// The most values one sample's output of a layer, one layer's weights, or all the weights of
/// a model may hold (on this thread).
pub fn max_elements() -> usize {
    MAX_ELEMENTS.with(Cell::get)
}

/// Sets [`max_elements`] for the models built on this thread from now on (at least 1).
pub fn set_max_elements(n: usize) {
    MAX_ELEMENTS.with(|m| m.set(n.max(1)));
}

/// The number of values of an array of `shape`, or `None` if it overflows `usize`.
pub fn elements(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))
}

/// `1234567` -> `1,234,567`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn too_large(what: &str, count: Option<usize>) -> KerasError {
    let max = max_elements();
    let count = match count {
        Some(n) => format!("{} values", grouped(n)),
        None => "more values than a 64-bit count can hold".to_string(),
    };
    KerasError::InvalidArgument(format!(
        "{what} would hold {count}, over keras-lite's limit of {} values per array ({} bytes \
         of float32); use fewer units or a smaller input, or raise the limit with \
         keras_lite::sizes::set_max_elements",
        grouped(max),
        grouped(max.saturating_mul(4))
    ))
}

/// Checks `count` (None: it overflowed) against [`max_elements`]; `what` names the array.
pub(crate) fn check(what: impl FnOnce() -> String, count: Option<usize>) -> Result<usize> {
    match count {
        Some(n) if n <= max_elements() => Ok(n),
        _ => Err(too_large(&what(), count)),
    }
}

/// Checks one sample of the model's input (`shape` without the batch axis).
pub(crate) fn check_input(shape: &[usize]) -> Result<usize> {
    check(
        || {
            format!(
                "one input sample of shape {}",
                crate::error::shape_str(shape)
            )
        },
        elements(shape),
    )
}

/// Checks a layer: its output for one sample (`output`) and its weights (`params`, saturated
/// at `usize::MAX` on overflow) for an input of `input` values per sample.
pub(crate) fn check_layer(layer: &Layer, output: &[usize], params: usize) -> Result<()> {
    let name = || format!("layer {:?} ({})", layer.name(), layer.class_name());
    check(
        || {
            let shape = crate::summary::shape_with_batch(output);
            format!("{}'s output {shape}", name())
        },
        elements(output),
    )?;
    check(
        || format!("{}'s weights", name()),
        (params != usize::MAX).then_some(params),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_overflow_to_none_and_group_their_digits() {
        assert_eq!(elements(&[2, 3, 4]), Some(24));
        assert_eq!(elements(&[]), Some(1));
        assert_eq!(elements(&[1 << 32, 1 << 32]), None);
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(12), "12");
        assert_eq!(grouped(123_456), "123,456");
    }

    #[test]
    fn the_limit_is_per_thread_and_checked() {
        set_max_elements(100);
        assert_eq!(check(|| "x".into(), Some(100)).unwrap(), 100);
        let err = check(|| "layer \"d\" (Dense)'s weights".into(), Some(101))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("layer \"d\" (Dense)'s weights would hold 101 values"),
            "{err}"
        );
        assert!(err.contains("limit of 100 values"), "{err}");
        let err = check(|| "x".into(), None).unwrap_err().to_string();
        assert!(err.contains("more values than a 64-bit count"), "{err}");
        std::thread::spawn(|| assert_eq!(max_elements(), DEFAULT_MAX_ELEMENTS))
            .join()
            .unwrap();
        set_max_elements(DEFAULT_MAX_ELEMENTS);
    }
}
