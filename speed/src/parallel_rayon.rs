//! Two cores for one training step through rayon: [`join`] is `rayon::join` (the `rayon` and
//! `threading` bench variants; see the crate docs).
//!
//! Same contract as the spinning helper's module: `join(a, b)` returns `(a(), b())`, results
//! never depend on which thread ran what, and `DLFS_THREADS=1` runs both on the calling thread.
//! rayon runs both closures on its pool when called from outside it (the caller waits), and
//! `b` on another worker only when one steals it.
//!
//! ```
//! use speed::parallel::join;
//!
//! let v = vec![1, 2, 3, 4, 5, 6];
//! let (left, right) = v.split_at(3);
//! let (a, b) = join(|| left.iter().sum::<i32>(), || right.iter().sum::<i32>());
//! assert_eq!((a, b), (6, 15));
//! ```

use std::sync::OnceLock;

/// Whether `join` can run its closures on other cores: a second core exists and
/// `DLFS_THREADS=1` is not set.
pub fn helper_available() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let switched_off = std::env::var("DLFS_THREADS").is_ok_and(|v| v.trim() == "1");
        cores >= 2 && !switched_off && rayon::current_num_threads() >= 2
    })
}

/// Runs `a` and `b` at the same time on rayon's pool and returns `(a(), b())`; both on this
/// thread when [`helper_available`] is false.
pub fn join<RA, RB>(a: impl FnOnce() -> RA + Send, b: impl FnOnce() -> RB + Send) -> (RA, RB)
where
    RA: Send,
    RB: Send,
{
    if helper_available() {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// Runs `f` on every thread of rayon's pool (the threads `join` hands work to), waiting as long
/// as it takes, and returns the first result; `None` without running `f` when there is no pool
/// in use (one core, `DLFS_THREADS=1`). For setting those threads up, e.g. a thread-local that
/// the allocation tests use. Must not be called from inside a `join`.
pub fn run_on_helper<R: Send>(f: impl Fn() -> R + Sync) -> Option<R> {
    if !helper_available() {
        return None;
    }
    rayon::broadcast(|_| f()).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_results_come_back_and_b_may_borrow() {
        let data: Vec<u64> = (1..=1000).collect();
        let (lo, hi) = data.split_at(500);
        for _ in 0..1000 {
            let (a, b) = join(|| lo.iter().sum::<u64>(), || hi.iter().sum::<u64>());
            assert_eq!((a, b), (125_250, 375_250));
        }
    }

    #[test]
    fn a_panic_in_b_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| join(|| 1, || -> i32 { panic!("b failed") }));
        assert!(caught.is_err());
        assert_eq!(join(|| 2, || 3), (2, 3));
    }
}
