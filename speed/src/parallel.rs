//! Two cores for one training step: [`join`] runs two closures at the same time.
//!
//! It is here because a batch-32 training step is too short for a general thread pool (the
//! `join` bench in `benches/` measures that claim against rayon and matrixmultiply's threads). The step's big pieces (`x W` of the first layer, `x^T dout` in
//! its backward, the optimizer's update of its kernel) take 50 to 120 us each, and handing
//! half of one to a sleeping thread costs about as much as it saves (a futex wake-up is 5 to
//! 50 us on a virtual machine). So one helper thread is started on first use and *spins*
//! while a step is running: handing it work and getting it back costs about a microsecond.
//! After [`IDLE_AFTER`] without work it sleeps, so an idle program burns no CPU.
//!
//! `join(a, b)` runs `a` on the calling thread and `b` on the helper, and returns when both
//! are done, so `b` may borrow from the caller's stack (like `std::thread::scope`). When the
//! helper is busy (another thread is joining, or `join` is called from inside `b`) or there
//! is no second core, `b` simply runs after `a` on the calling thread: results never depend
//! on whether the helper was used. The same happens when the helper has not started `b` by
//! the time `a` is done: on a busy machine the helper may not get a core for milliseconds,
//! and waiting for it would make two threads slower than one.
//!
//! Set `DLFS_THREADS=1` in the environment to switch the helper off (one core, no spinning).
//!
//! ```
//! use speed::parallel::join;
//!
//! let v = vec![1, 2, 3, 4, 5, 6];
//! let (left, right) = v.split_at(3);
//! let (a, b) = join(|| left.iter().sum::<i32>(), || right.iter().sum::<i32>());
//! assert_eq!((a, b), (6, 15));
//! ```

use std::any::Any;
use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How long the helper keeps spinning for more work before it sleeps.
pub const IDLE_AFTER: Duration = Duration::from_millis(2);

// The helper's state machine: the caller moves IDLE -> READY; the helper READY -> RUNNING ->
// DONE; the caller DONE -> IDLE. If the helper has not started `b` by the time `a` is done
// (it was not scheduled: the machine is busy), the caller takes `b` back, READY -> IDLE, and
// runs it itself rather than wait.
const IDLE: u8 = 0;
const READY: u8 = 1;
const RUNNING: u8 = 2;
const DONE: u8 = 3;

/// A borrowed `FnMut` with its lifetime erased; `join` keeps the closure alive until DONE.
type Job = *mut (dyn FnMut() + Send);

struct Helper {
    /// Taken by the one caller that owns the helper for the length of a `join`.
    busy: AtomicBool,
    state: AtomicU8,
    job: UnsafeCell<Option<Job>>,
    panic: UnsafeCell<Option<Box<dyn Any + Send>>>,
    thread: OnceLock<Thread>,
}

// SAFETY: `job` and `panic` are only touched by the caller that holds `busy` and, between its
// READY and the helper's DONE (Release/Acquire on `state`), only by the helper thread.
unsafe impl Sync for Helper {}

impl Helper {
    /// Takes the helper for one caller (false when another caller has it).
    fn try_claim(&self) -> bool {
        self.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Hands `job` to the helper thread (the caller holds `busy`).
    ///
    /// # Safety
    /// The closure behind `job` must stay alive until [`Helper::wait_done`] returned or the
    /// caller took the job back (READY -> IDLE).
    unsafe fn hand_over(&self, job: Job) {
        unsafe { *self.job.get() = Some(job) };
        self.state.store(READY, Ordering::Release);
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }

    /// Waits until the helper has run the job; returns its panic, if any.
    fn wait_done(&self) -> Option<Box<dyn Any + Send>> {
        spin_until(|| self.state.load(Ordering::Acquire) == DONE, None);
        // SAFETY: after DONE (Acquire) the helper no longer touches `panic`.
        unsafe { (*self.panic.get()).take() }
    }

    /// Gives the helper back for the next caller.
    fn release(&self) {
        self.state.store(IDLE, Ordering::Relaxed);
        self.busy.store(false, Ordering::Release);
    }
}

static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();

/// Whether `join` can run its second closure on another core: a second core exists, the
/// helper thread started, and `DLFS_THREADS=1` is not set.
pub fn helper_available() -> bool {
    helper().is_some()
}

fn helper() -> Option<&'static Helper> {
    *HELPER.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let switched_off = std::env::var("DLFS_THREADS").is_ok_and(|v| v.trim() == "1");
        if cores < 2 || switched_off {
            return None;
        }
        // Leaked on purpose: the helper lives as long as the process.
        let helper: &'static Helper = Box::leak(Box::new(Helper {
            busy: AtomicBool::new(false),
            state: AtomicU8::new(IDLE),
            job: UnsafeCell::new(None),
            panic: UnsafeCell::new(None),
            thread: OnceLock::new(),
        }));
        let handle = thread::Builder::new()
            .name("dlfs-helper".into())
            .spawn(move || helper_loop(helper))
            .ok()?;
        helper.thread.set(handle.thread().clone()).ok()?;
        Some(helper)
    })
}

/// Spins while `done()` is false, yielding the core now and then: if the two threads ever
/// share one core (a busy machine), the one waiting must let the other run.
fn spin_until(mut done: impl FnMut() -> bool, give_up_after: Option<Duration>) -> bool {
    let start = Instant::now();
    let mut spins = 0u32;
    while !done() {
        spins = spins.wrapping_add(1);
        if spins.is_multiple_of(64) {
            if give_up_after.is_some_and(|limit| start.elapsed() > limit) {
                return false;
            }
            thread::yield_now();
        }
        std::hint::spin_loop();
    }
    true
}

fn helper_loop(helper: &'static Helper) {
    let ready = || helper.state.load(Ordering::Acquire) == READY;
    loop {
        if !spin_until(ready, Some(IDLE_AFTER)) {
            // `join` unparks after READY; a wake-up that finds nothing just spins again.
            thread::park();
            continue;
        }
        let claimed =
            helper
                .state
                .compare_exchange(READY, RUNNING, Ordering::Acquire, Ordering::Relaxed);
        if claimed.is_err() {
            continue; // the caller took the job back
        }
        // SAFETY: the caller wrote `job` before storing READY (Release), and keeps the
        // closure alive until it sees DONE.
        let job = unsafe { (*helper.job.get()).take() };
        if let Some(job) = job
            && let Err(payload) = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }))
        {
            unsafe { *helper.panic.get() = Some(payload) };
        }
        helper.state.store(DONE, Ordering::Release);
    }
}

/// Runs `a` on this thread and `b` on the helper thread at the same time, and returns
/// `(a(), b())`. A panic in either is resumed here, after both have finished.
pub fn join<RA, RB>(a: impl FnOnce() -> RA, b: impl FnOnce() -> RB + Send) -> (RA, RB)
where
    RB: Send,
{
    let claimed = helper().filter(|h| h.try_claim());
    let Some(helper) = claimed else {
        return (a(), b());
    };

    let mut b = Some(b);
    let mut result_b = None;
    let mut call_b = || result_b = Some(b.take().expect("the helper calls b once")());
    let borrowed: &mut (dyn FnMut() + Send) = &mut call_b;
    // SAFETY: erasing the lifetime is sound because this function does not return (or
    // unwind) before the helper has stored DONE, after which it never touches the job again.
    let job: Job = unsafe { std::mem::transmute::<&mut (dyn FnMut() + Send), Job>(borrowed) };
    unsafe { helper.hand_over(job) };

    let result_a = catch_unwind(AssertUnwindSafe(a));
    let taken_back = helper
        .state
        .compare_exchange(READY, IDLE, Ordering::Acquire, Ordering::Acquire)
        .is_ok();
    let mut panic_b = None;
    if taken_back {
        // SAFETY: the helper never got the job (it only takes it after READY -> RUNNING).
        unsafe { *helper.job.get() = None };
        // SAFETY: `call_b` is alive (it is a local of this frame) and nobody else holds it.
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() })) {
            panic_b = Some(payload);
        }
    } else {
        panic_b = helper.wait_done();
    }
    helper.release();

    let result_a = result_a.unwrap_or_else(|payload| resume_unwind(payload));
    if let Some(payload) = panic_b {
        resume_unwind(payload);
    }
    (result_a, result_b.expect("b ran to completion"))
}

/// Runs `f` on the helper thread, waiting for it as long as it takes, and returns `f()`; or
/// returns `None` without running `f` when there is no helper (one core, `DLFS_THREADS=1`).
///
/// Unlike [`join`], which runs `b` itself rather than wait, this always reaches the thread
/// [`join`] hands its `b` to. It is for setting that thread up, e.g. a thread-local that the
/// allocation tests use to count what the helper allocates for a training step. Must not be
/// called from inside a `join` (the helper would be waiting for itself).
pub fn run_on_helper<R: Send>(f: impl FnOnce() -> R + Send) -> Option<R> {
    let helper = helper()?;
    spin_until(|| helper.try_claim(), None);
    let mut f = Some(f);
    let mut result = None;
    let mut call = || result = Some(f.take().expect("the helper calls f once")());
    let borrowed: &mut (dyn FnMut() + Send) = &mut call;
    // SAFETY: as in `join`: this function returns only after the helper stored DONE.
    let job: Job = unsafe { std::mem::transmute::<&mut (dyn FnMut() + Send), Job>(borrowed) };
    unsafe { helper.hand_over(job) };
    let panic = helper.wait_done();
    helper.release();
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn both_results_come_back_and_b_may_borrow() {
        let data: Vec<u64> = (1..=1000).collect();
        let (lo, hi) = data.split_at(500);
        for _ in 0..1000 {
            let (a, b) = join(|| lo.iter().sum::<u64>(), || hi.iter().sum::<u64>());
            assert_eq!(a + b, 500_500);
            assert_eq!(a, 125_250);
        }
    }

    #[test]
    fn b_runs_on_another_thread_when_the_helper_is_free() {
        if !helper_available() {
            return; // one core, or DLFS_THREADS=1: b runs here, checked by the other tests
        }
        let here = thread::current().id();
        // Another test may hold the helper for a while; a try within 5 s must get it.
        let start = Instant::now();
        // (`a` sleeps so that the helper starts `b` before the caller would take it back.)
        let slow_a = || thread::sleep(Duration::from_millis(1));
        let elsewhere = std::iter::repeat_with(|| join(slow_a, || thread::current().id()).1)
            .take_while(|_| start.elapsed() < Duration::from_secs(5))
            .any(|id| id != here);
        assert!(elsewhere, "b never ran on the helper thread");
    }

    #[test]
    fn run_on_helper_runs_on_the_helper_or_not_at_all() {
        let here = thread::current().id();
        match run_on_helper(|| thread::current().id()) {
            Some(there) => {
                assert!(helper_available());
                assert_ne!(there, here);
                // Always the same thread: the one `join` hands `b` to.
                assert_eq!(run_on_helper(|| thread::current().id()), Some(there));
            }
            None => assert!(!helper_available()),
        }
    }

    #[test]
    fn a_panic_in_b_reaches_the_caller_and_the_helper_survives() {
        let caught = catch_unwind(|| join(|| 1, || -> i32 { panic!("b failed") }));
        let payload = caught.expect_err("the panic in b must be resumed");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"b failed"));
        assert_eq!(join(|| 2, || 3), (2, 3));
    }

    #[test]
    fn a_panic_in_a_waits_for_a_running_b() {
        // `b` borrows from the caller's frame, so join must never unwind while `b` runs.
        // (If the helper was busy or not yet started, `b` may not run at all: also fine.)
        for _ in 0..20 {
            let started = AtomicUsize::new(0);
            let finished = AtomicUsize::new(0);
            let caught = catch_unwind(AssertUnwindSafe(|| {
                join(
                    || {
                        thread::sleep(Duration::from_millis(1));
                        panic!("a failed")
                    },
                    || {
                        started.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(5));
                        finished.fetch_add(1, Ordering::SeqCst);
                    },
                )
            }));
            assert!(caught.is_err());
            assert_eq!(
                started.load(Ordering::SeqCst),
                finished.load(Ordering::SeqCst),
                "join unwound while b was still running"
            );
        }
    }

    #[test]
    fn nested_and_concurrent_joins_fall_back_to_running_inline() {
        let total = AtomicUsize::new(0);
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let (x, (y, z)) = join(|| 1, || join(|| 2, || 3));
                        total.fetch_add(x + y + z, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 4 * 200 * 6);
    }
}
