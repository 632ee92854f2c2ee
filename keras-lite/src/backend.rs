//! Process state Keras keeps in its backend: layer-name counters and the random generator.
//!
//! Both are per thread here (Keras' are per process), so that tests running in parallel each
//! see `dense`, `dense_1`, ... from the start; in a single-threaded program the two agree.

use rand::SeedableRng;
use rand::rngs::StdRng;
use std::cell::RefCell;
use std::collections::HashMap;

thread_local! {
    static NAME_COUNTS: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
    static RNG: RefCell<Option<StdRng>> = const { RefCell::new(None) };
}

/// `prefix` the first time, then `prefix_1`, `prefix_2`, ... (Keras' `unique_object_name`).
pub(crate) fn unique_name(prefix: &str) -> String {
    NAME_COUNTS.with(|c| {
        let mut c = c.borrow_mut();
        let n = c.entry(prefix.to_string()).or_insert(0);
        let name = if *n == 0 {
            prefix.to_string()
        } else {
            format!("{prefix}_{n}")
        };
        *n += 1;
        name
    })
}

/// Keras' `tf.keras.backend.clear_session()`: the next layers are named `dense`, ... again.
pub fn clear_session() {
    NAME_COUNTS.with(|c| c.borrow_mut().clear());
}

/// Keras' `tf.keras.utils.set_random_seed(seed)`: makes weight initialization and shuffling
/// reproducible from here on (on this thread). Without it they are seeded from the OS.
pub fn set_random_seed(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = Some(StdRng::seed_from_u64(seed)));
}

/// A new generator drawn from the backend's (so that each model gets its own stream).
pub(crate) fn fork_rng() -> StdRng {
    RNG.with(|r| {
        let mut r = r.borrow_mut();
        let parent = r.get_or_insert_with(StdRng::from_os_rng);
        StdRng::from_rng(parent)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn names_count_per_prefix() {
        clear_session();
        assert_eq!(unique_name("dense"), "dense");
        assert_eq!(unique_name("dense"), "dense_1");
        assert_eq!(unique_name("flatten"), "flatten");
        assert_eq!(unique_name("dense"), "dense_2");
        clear_session();
        assert_eq!(unique_name("dense"), "dense");
    }

    #[test]
    fn seed_makes_streams_reproducible() {
        set_random_seed(3);
        let a: u64 = fork_rng().random();
        set_random_seed(3);
        let b: u64 = fork_rng().random();
        assert_eq!(a, b);
    }
}
