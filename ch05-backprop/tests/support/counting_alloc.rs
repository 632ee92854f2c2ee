//! The counting global allocator of the "a step allocates nothing" tests of ch05 and ch06
//! (ch06 includes this file with `#[path]`, so it is written once).
//!
//! # What is counted, and why this way
//!
//! A training step runs on the test's thread and, for its big matrix products (and ch06's
//! Adam update), partly on the helper thread of `speed::parallel`. Which thread runs
//! a half is decided at run time: the helper when it is free and scheduled in time, else the
//! calling thread itself (always with `DLFS_THREADS=1`, and often on a busy machine). These
//! tests used to count the test's thread only, so the count depended on that choice: a ch06
//! step made 8 allocations when the helper took its share and 10 when it did not, and the
//! test flaked. Here every allocation of *both* threads goes into one counter, so the count
//! is that of the work, whoever did it:
//!
//! * the test's thread is marked as counted by [`start`], and the helper thread too, through
//!   [`parallel::run_on_helper`] (which always reaches that thread, or finds there is none);
//! * no other thread is marked: the test harness's threads never are, and [`start`] makes the
//!   tests of one binary run one at a time (a lock held for the whole test), so the helper
//!   works for nobody else while a test measures.
//!
//! What remains besides the code under test is matrixmultiply's packing buffer: one
//! allocation per call of its `gemm` (`make_packing_buffer`, matrixmultiply 0.3.11; ndarray's
//! `general_mat_mul` is one call), which offers no way to pass a buffer in. [`gemm_calls`]
//! says how many calls a product makes (two when `matmul_into` cuts it in two, whichever
//! threads run the halves), so a test can demand exactly that many allocations and no more:
//! one allocation of the code's own per step is caught.

use speed::matmul::SPLIT_MIN_FLOPS;
use speed::parallel;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Counts the allocations and reallocations of the marked threads.
pub struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread's allocations count (the test's thread and the helper).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn record() {
    // `try_with`: a thread being torn down has no thread-locals left, and does not count.
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A test's turn to measure: see [`start`].
pub struct Turn {
    _serial: MutexGuard<'static, ()>,
}

impl Drop for Turn {
    /// Unmarks the test's thread before the next test may start: once the test function has
    /// returned, its thread still allocates (the harness reports the result from it).
    fn drop(&mut self) {
        COUNTED.with(|c| c.set(false));
    }
}

/// Begins a test: waits for the other tests of this binary to finish, then marks this thread
/// and the helper thread as counted. Keep the returned [`Turn`] for the whole test.
pub fn start() -> Turn {
    static SERIAL: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next test still runs (and reports for itself).
    let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    COUNTED.with(|c| c.set(true));
    parallel::run_on_helper(|| COUNTED.with(|c| c.set(true)));
    Turn { _serial: serial }
}

/// How many allocations `f` and the helper's share of its work make.
pub fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

/// How many matrixmultiply calls `matmul_into` makes for `(m, k) x (k, n)`: two when it cuts
/// the product in two (see `speed::matmul`), else one.
pub fn gemm_calls(m: usize, k: usize, n: usize) -> usize {
    if 2 * m * k * n < SPLIT_MIN_FLOPS {
        1
    } else {
        2
    }
}
