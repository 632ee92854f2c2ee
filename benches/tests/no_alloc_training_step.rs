//! A training step of the tutorial model through keras-lite allocates nothing.
//!
//! The model is the tutorial's (Flatten(28x28), Dense(128, relu), Dense(10, softmax); Adam;
//! sparse categorical cross-entropy; accuracy), trained by `fit` on a small synthetic set.
//! A counting `#[global_allocator]` (`test_support::alloc`'s) counts every allocation and
//! reallocation; a callback reads the count at the start of every batch, so the difference
//! between two consecutive batches is everything `fit` did for one whole step: loading the batch, forward, loss, backward,
//! optimizer update, the metrics, the progress bar and the callbacks themselves.
//! After a few warm-up steps (buffers get their shapes, optimizer slots are created) every
//! further step must allocate nothing.
//!
//! When a step does allocate, the test fails with the backtraces of the first allocations of
//! the steady state, so that the place to fix is named.
//!
//! The counter is global: it counts every thread, so a step's allocations are counted
//! whichever thread makes them. That matters: half of the first layer's matrix products and
//! of Adam's update run on `speed::parallel`'s helper thread when it is free and
//! scheduled in time, and on the calling thread otherwise (always with `DLFS_THREADS=1`, often
//! on a busy machine); a per-thread count would change with that choice. Each allocation is
//! sorted by its backtrace, not by its thread, so the verdict does not depend on it either.
//! This file holds a single test on purpose: another test running in parallel would add its
//! allocations to the global counter. For the same reason the helper thread is started (and
//! has run a first job) before anything is measured: on a busy machine a lazily started
//! helper's own start-up (its thread name, its stack guard) landed in a measured step.

use std::backtrace::Backtrace;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use benches::{synthetic, tutorial_model};
use keras_lite::callbacks::Callback;
use keras_lite::{FitOptions, Logs, Sequential};
use test_support::alloc::{Counting, count, count_every_thread, set_observer};

/// While `TRACE` is on (the steady state of a training run), [`observe`] captures each
/// counted allocation's backtrace and sorts it: matrixmultiply's packing buffer (see below) or
/// anything else, keeping the first few of the latter to print.
static TRACE: AtomicBool = AtomicBool::new(false);
/// Steady-state allocations made by `matrixmultiply::gemm::make_packing_buffer`.
static PACKING: AtomicU64 = AtomicU64::new(0);
/// Steady-state allocations made by anything else: what this test forbids.
static OTHER: AtomicU64 = AtomicU64::new(0);
static TRACES: Mutex<Vec<String>> = Mutex::new(Vec::new());
const MAX_TRACES: usize = 6;

/// The frames that mark matrixmultiply's per-call packing buffer.
///
/// matrixmultiply 0.3 (under ndarray's `general_mat_mul`) allocates one buffer per call to pack
/// blocks of A and B for its kernel, and offers no way to pass one in. That is the only
/// allocation a training step is allowed to make here; the test reports how many there are.
/// `make_packing_buffer` is the allocating function; it is inlined into `gemm_loop`, whose only
/// allocation it is, and without debug info for dependencies only `gemm_loop` is named.
const PACKING_FRAMES: [&str; 2] = [
    "matrixmultiply::gemm::make_packing_buffer",
    "matrixmultiply::gemm::gemm_loop",
];

/// The allocator's observer: sees every counted allocation (its own allocations, formatting
/// the backtrace, are neither counted nor observed).
fn observe(kind: &'static str, size: usize) {
    if !TRACE.load(Ordering::Relaxed) {
        return;
    }
    let trace = Backtrace::force_capture().to_string();
    if PACKING_FRAMES.iter().any(|f| trace.contains(f)) {
        PACKING.fetch_add(1, Ordering::Relaxed);
    } else {
        OTHER.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut traces) = TRACES.lock()
            && traces.len() < MAX_TRACES
        {
            traces.push(format!("{kind} of {size} bytes at:\n{}", trim(&trace)));
        }
    }
}

/// The frames of a backtrace from the allocating call up to `fit`: the frames of the capture
/// itself, of [`observe`] and of the allocator (up to the last `test_support::alloc` frame)
/// are left out, and so are the standard library's when their full paths are known (with
/// line-tables-only debug info, inlined frames carry short names only).
fn trim(trace: &str) -> String {
    let names: Vec<&str> = trace
        .lines()
        .filter_map(|line| line.trim_start().split_once(": ").map(|(_, name)| name))
        .filter(|name| !name.starts_with("at "))
        .collect();
    let after_allocator = names
        .iter()
        .rposition(|name| name.contains("test_support::alloc"))
        .map_or(0, |i| i + 1);
    let mut out = Vec::new();
    for name in names.into_iter().skip(after_allocator) {
        if ["std::", "core::", "alloc::", "<alloc::", "__rustc"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        out.push(format!("    {name}"));
        if name.contains("fit::<impl") {
            break;
        }
    }
    out.join("\n")
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What one training step allocated: in all, and (in the steady state) by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Step {
    all: u64,
    packing: u64,
    other: u64,
}

fn counters() -> Step {
    Step {
        all: count() as u64,
        packing: PACKING.load(Ordering::SeqCst),
        other: OTHER.load(Ordering::SeqCst),
    }
}

/// Reads the counters at the start of every batch; `steps[k]` is what step `k` (from batch
/// `k`'s start to batch `k + 1`'s) allocated. From batch `warm_up` on, allocations are traced.
struct StepAllocations {
    last: Option<Step>,
    steps: Vec<Step>,
    warm_up: usize,
}

impl Callback for StepAllocations {
    fn on_train_batch_begin(
        &mut self,
        _model: &mut Sequential,
        batch: usize,
    ) -> keras_lite::Result<()> {
        let now = counters();
        if let Some(last) = self.last {
            // `steps` was given its capacity up front: this push does not allocate.
            self.steps.push(Step {
                all: now.all - last.all,
                packing: now.packing - last.packing,
                other: now.other - last.other,
            });
        }
        if batch == self.warm_up {
            TRACE.store(true, Ordering::SeqCst);
        }
        self.last = Some(counters());
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        _model: &mut Sequential,
        _epoch: usize,
        _logs: &mut Logs,
    ) -> keras_lite::Result<()> {
        // Per-epoch work (history, the progress bar's last line) may allocate.
        TRACE.store(false, Ordering::SeqCst);
        self.last = None;
        Ok(())
    }
}

/// A callback that allocates at the end of every batch: the test's own check must catch it.
struct AllocatesPerBatch(Option<Box<usize>>);

impl Callback for AllocatesPerBatch {
    fn on_train_batch_end(
        &mut self,
        _model: &mut Sequential,
        batch: usize,
        _logs: &Logs,
    ) -> keras_lite::Result<()> {
        self.0 = Some(std::hint::black_box(Box::new(batch)));
        Ok(())
    }
}

/// Trains the tutorial model for one epoch of `STEPS` batches and returns what each step
/// after the warm-up allocated, with the traces of the first forbidden allocations.
fn steady_state_allocations(
    verbose: u8,
    extra: Option<&mut dyn Callback>,
) -> (Vec<Step>, Vec<String>) {
    const BATCH: usize = 32;
    const STEPS: usize = 24;
    const WARM_UP: usize = 3;
    let (x, y) = synthetic(BATCH * STEPS);
    let mut model = tutorial_model();
    let mut counter = StepAllocations {
        last: None,
        steps: Vec::with_capacity(STEPS),
        warm_up: WARM_UP,
    };
    TRACES.lock().unwrap().clear();
    model
        .fit(
            &x,
            &y,
            FitOptions {
                batch_size: BATCH,
                epochs: 1,
                verbose,
                callbacks: match extra {
                    Some(cb) => vec![&mut counter, cb],
                    None => vec![&mut counter],
                },
                ..FitOptions::default()
            },
        )
        .expect("fit on valid data");
    TRACE.store(false, Ordering::SeqCst);
    // STEPS batches give STEPS - 1 complete intervals between batch starts.
    assert_eq!(
        counter.steps.len(),
        STEPS - 1,
        "the callback saw every batch"
    );
    let traces = std::mem::take(&mut *TRACES.lock().unwrap());
    (counter.steps[WARM_UP..].to_vec(), traces)
}

#[test]
fn a_training_step_of_the_tutorial_model_allocates_nothing_but_matmul_packing_buffers() {
    // Returns once the helper thread (if any) is up and has run this job.
    speed::parallel::run_on_helper(|| ());
    // Every thread counts (this binary holds this one test), each allocation traced once
    // the steady state begins.
    count_every_thread();
    set_observer(observe).expect("the only observer of this binary");
    // The check itself can fail: a callback that allocates once per batch is caught, and named.
    let (steps, traces) = steady_state_allocations(0, Some(&mut AllocatesPerBatch(None)));
    assert!(
        steps.iter().all(|s| s.other == 1),
        "the planted allocation was not seen: {steps:?}; the other allocations were:\n{}",
        traces.join("\n---\n")
    );
    // (Named by the callback's method: with line-tables-only debug info, an inlined frame is
    // named without its type.)
    assert!(
        traces[0].contains("on_train_batch_end"),
        "the trace does not name it:\n{}",
        traces[0]
    );
    println!("a planted allocation is reported as:\n{}\n", traces[0]);

    // verbose 0 (silent), 1 (the tutorial's progress bar) and 2 (one line per epoch).
    for verbose in [0, 1, 2] {
        let (steps, traces) = steady_state_allocations(verbose, None);
        let other: u64 = steps.iter().map(|s| s.other).sum();
        let packing: Vec<u64> = steps.iter().map(|s| s.packing).collect();
        println!(
            "verbose={verbose}: {} steady-state steps; allocations per step: {:?}, \
             of which matrixmultiply packing buffers: {packing:?}",
            steps.len(),
            steps.iter().map(|s| s.all).collect::<Vec<_>>()
        );
        // Every traced allocation was sorted into one of the two kinds.
        assert!(
            steps.iter().all(|s| s.all == s.packing + s.other),
            "untraced allocations: {steps:?}"
        );
        assert!(
            other == 0,
            "verbose={verbose}: {} steady-state training steps made {other} allocations besides \
             matrixmultiply's packing buffers (per step: {:?}); the first ones were:\n\n{}",
            steps.len(),
            steps.iter().map(|s| s.other).collect::<Vec<_>>(),
            traces.join("\n---\n")
        );
    }
}
