//! The counting global allocator of the "a step allocates nothing" tests.
//!
//! A test binary installs it with one line, then measures:
//!
//! ```standalone_crate
//! use test_support::alloc::{Counting, allocations, start};
//!
//! #[global_allocator]
//! static GLOBAL: Counting = Counting;
//!
//! fn main() {
//!     let _turn = start(); // in each test: one test measures at a time
//!     let mut buffer = vec![0.0_f32; 8];
//!     assert_eq!(allocations(|| buffer.iter_mut().for_each(|v| *v += 1.0)), 0);
//!     assert_eq!(allocations(|| drop(std::hint::black_box(vec![0_u8; 8]))), 1);
//! }
//! ```
//!
//! # What is counted, and why this way
//!
//! A training step runs on the test's thread and, for its big matrix products (and ch06's
//! Adam update), partly on the helper thread of `speed::parallel`. Which thread runs
//! a half is decided at run time: the helper when it is free and scheduled in time, else the
//! calling thread itself (always with `DLFS_THREADS=1`, and often on a busy machine). Counting
//! the test's thread only made the count depend on that choice: a ch06 step made 8
//! allocations when the helper took its share and 10 when it did not, and the test flaked.
//! Here every allocation of *the marked threads* goes into one counter, so the count is that
//! of the work, whoever did it:
//!
//! * the test's thread is marked by [`start`]; any other thread that works for the test marks
//!   itself with [`count_this_thread`]. ch05's helper is marked by handing it that function:
//!   `speed::parallel::run_on_helper(count_this_thread)` (which always reaches that
//!   thread, or finds there is none). This crate knows no chapter, so the test does it;
//! * no other thread is marked: the test harness's threads never are, and [`start`] makes the
//!   tests of one binary run one at a time (a lock held for the whole test), so the helper
//!   works for nobody else while a test measures;
//! * [`count_every_thread`] counts every thread of the process instead, for a binary of a
//!   single test that must not miss a thread it does not know about.
//!
//! What remains besides the code under test is matrixmultiply's packing buffer: one
//! allocation per call of its `gemm` (`make_packing_buffer`, matrixmultiply 0.3.11; ndarray's
//! `general_mat_mul` is one call), which offers no way to pass a buffer in. [`gemm_calls`]
//! says how many calls a product makes (two when ch05's `matmul_into` cuts it in two,
//! whichever threads run the halves), so a test can demand exactly that many allocations and
//! no more: one allocation of the code's own per step is caught.
//!
//! A test that wants to know *where* an allocation comes from installs an [`Observer`] with
//! [`set_observer`]: it sees every counted allocation, and its own allocations (a backtrace
//! being formatted) are neither counted nor observed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

/// The global allocator: forwards to the system allocator and counts the allocations and
/// reallocations of the marked threads (frees are not counted).
pub struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static EVERY_THREAD: AtomicBool = AtomicBool::new(false);

/// Called with each counted allocation: what was called (`alloc`, `alloc_zeroed`, `realloc`)
/// and how many bytes were asked for.
pub type Observer = fn(kind: &'static str, size: usize);

static OBSERVER: OnceLock<Observer> = OnceLock::new();

thread_local! {
    /// Whether this thread's allocations count (the test's thread and the helper).
    static COUNTED: Cell<bool> = const { Cell::new(false) };
    /// Set while the observer runs on this thread: what it allocates is its own.
    static OBSERVING: Cell<bool> = const { Cell::new(false) };
}

fn record(kind: &'static str, size: usize) {
    // `try_with`: a thread being torn down has no thread-locals left; it counts only when
    // every thread does.
    let counted =
        EVERY_THREAD.load(Ordering::Relaxed) || COUNTED.try_with(Cell::get).unwrap_or(false);
    if !counted || OBSERVING.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    if let Some(observe) = OBSERVER.get() {
        OBSERVING.with(|o| o.set(true));
        observe(kind, size);
        OBSERVING.with(|o| o.set(false));
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; counting only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record("alloc", layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record("alloc_zeroed", layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record("realloc", new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

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
/// as counted. Keep the returned [`Turn`] for the whole test; mark the threads that work for
/// the test with [`count_this_thread`].
pub fn start() -> Turn {
    static SERIAL: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next test still runs (and reports for itself).
    let serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    COUNTED.with(|c| c.set(true));
    Turn { _serial: serial }
}

/// Marks the calling thread as counted, for good: give it to the helper thread that works for
/// the test, e.g. `speed::parallel::run_on_helper(count_this_thread)`.
pub fn count_this_thread() {
    COUNTED.with(|c| c.set(true));
}

/// From now on every thread of the process counts, marked or not: for a test binary holding a
/// single test, which must not miss the allocations of a thread it does not know about.
pub fn count_every_thread() {
    EVERY_THREAD.store(true, Ordering::SeqCst);
}

/// Installs the observer of every counted allocation; a second call is an error naming the
/// first (one observer per test binary).
pub fn set_observer(observer: Observer) -> Result<(), String> {
    OBSERVER
        .set(observer)
        .map_err(|_| "an allocation observer is already installed in this test binary".into())
}

/// The number of counted allocations so far, for a test that reads it at two points (a
/// callback at the start and at the end of a batch).
pub fn count() -> usize {
    ALLOCATIONS.load(Ordering::SeqCst)
}

/// How many allocations `f` makes on the counted threads (the helper's share of its work
/// included).
pub fn allocations(f: impl FnOnce()) -> usize {
    let before = count();
    f();
    count() - before
}

/// How many matrixmultiply calls (so packing buffers) ch05's `matmul_into` makes for the
/// product `(m, k) x (k, n)`: two when its `2 m k n` flops reach `split_min_flops` (pass
/// `speed::matmul::SPLIT_MIN_FLOPS`) and it cuts the product in two, else one.
pub fn gemm_calls(split_min_flops: usize, m: usize, k: usize, n: usize) -> usize {
    if 2 * m * k * n < split_min_flops {
        1
    } else {
        2
    }
}
