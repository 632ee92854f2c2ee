//! Batch sources: data that arrives one batch at a time, made on demand (Keras'
//! `keras.utils.Sequence`), and the prefetching that keeps the training loop fed.
//!
//! A [`Sequence`] says how many batches an epoch has ([`Sequence::len`]) and makes batch `i`
//! ([`Sequence::get`]); it may read files, decode, or augment images on the fly. `fit`,
//! `evaluate` and `predict` take one in place of arrays: [`Sequential::fit_sequence`],
//! [`Sequential::evaluate_sequence`], [`Sequential::predict_sequence`].
//!
//! **Prefetching** ([`for_each_batch`], Keras' `OrderedEnqueuer`): `workers` threads make the
//! next batches while the model trains on the current one, at most `max_queue_size` batches
//! ahead, and the loop receives them in order, so the result does not depend on the number of
//! workers. `workers = 0` makes each batch on the training thread when it is needed. Because
//! several threads may call `get` at once, it takes `&self`: a source that draws random
//! numbers (augmentation) should derive them from the batch index and its epoch counter
//! (advanced in [`Sequence::on_epoch_end`]), which also makes runs reproducible.
//!
//! ```
//! use keras_lite::sequence::{ArraySequence, Sequence};
//! use ndarray::{Array2, Array1};
//! let x = Array2::<f32>::zeros((10, 3)).into_dyn();
//! let y = Array1::<f32>::zeros(10).into_dyn();
//! let seq = ArraySequence::new(x, y, 4)?;
//! assert_eq!(seq.len(), 3);                       // 4 + 4 + 2
//! assert_eq!(seq.get(2)?.x.shape(), &[2, 3]);     // the last batch is partial
//! # Ok::<(), keras_lite::KerasError>(())
//! ```

use crate::callbacks::Callback;
use crate::error::{KerasError, Result};
use crate::fit::ValidationFreq;
use crate::history::{History, HistoryParams, Logs};
use crate::progress::Progbar;
use crate::sequential::Sequential;
use crate::training::Tracker;
use ndarray::{Array1, Array2, ArrayD, Axis, Slice, s};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, PoisonError};

/// One batch: inputs `x` (samples first, the model's input shape after), targets `y`
/// (class indices `(B,)` or rows `(B, k)`; ignored by `predict`) and optional per-sample
/// weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub x: ArrayD<f32>,
    pub y: ArrayD<f32>,
    pub sample_weight: Option<Array1<f32>>,
}

impl Batch {
    /// A batch of inputs and targets.
    pub fn new(x: ArrayD<f32>, y: ArrayD<f32>) -> Self {
        Batch {
            x,
            y,
            sample_weight: None,
        }
    }

    /// A batch of inputs only (for `predict`).
    pub fn inputs(x: ArrayD<f32>) -> Self {
        Batch {
            x,
            y: ArrayD::zeros(ndarray::IxDyn(&[0])),
            sample_weight: None,
        }
    }
}

/// Keras' `keras.utils.Sequence`: a source of batches, `len` of them per epoch.
///
/// `Sync` because prefetching threads call [`Sequence::get`] concurrently.
pub trait Sequence: Sync {
    /// The number of batches in one epoch (`__len__`).
    fn len(&self) -> usize;

    /// Batch `index`, `0 <= index < len()` (`__getitem__`). Errors are reported by `fit`.
    fn get(&self, index: usize) -> Result<Batch>;

    /// Called after every training epoch (`on_epoch_end`), e.g. to reshuffle or to advance
    /// the epoch counter an augmentation draws from.
    fn on_epoch_end(&mut self) {}

    /// True when an epoch has no batches.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Arrays served in batches of `batch_size`, in order (the last batch may be partial):
/// what `fit` does with arrays, as a [`Sequence`]. With [`ArraySequence::shuffle`], the
/// samples are reordered after every epoch.
#[derive(Debug, Clone)]
pub struct ArraySequence {
    x: ArrayD<f32>,
    y: ArrayD<f32>,
    batch_size: usize,
    order: Vec<usize>,
    rng: Option<StdRng>,
}

impl ArraySequence {
    /// Batches of `batch_size` samples of `x` and `y` (same number of samples).
    pub fn new(x: ArrayD<f32>, y: ArrayD<f32>, batch_size: usize) -> Result<Self> {
        if batch_size == 0 {
            return Err(KerasError::InvalidArgument(
                "ArraySequence: batch_size = 0; give at least 1".into(),
            ));
        }
        let (nx, ny) = (x.shape().first().copied(), y.shape().first().copied());
        if nx.is_none() || nx != ny {
            return Err(KerasError::LengthMismatch {
                what: "ArraySequence".into(),
                x: nx.unwrap_or(0),
                other_name: "y",
                other: ny.unwrap_or(0),
            });
        }
        let n = nx.unwrap_or(0);
        Ok(ArraySequence {
            x,
            y,
            batch_size,
            order: (0..n).collect(),
            rng: None,
        })
    }

    /// Reorders the samples (with a generator seeded by `seed`) after every epoch.
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.rng = Some(StdRng::seed_from_u64(seed));
        self
    }

    fn samples(&self) -> usize {
        self.order.len()
    }
}

fn take_rows(a: &ArrayD<f32>, idx: &[usize]) -> ArrayD<f32> {
    // Contiguous runs (the unshuffled case) are one slice; otherwise gather row by row.
    if idx.windows(2).all(|w| w[1] == w[0] + 1) && !idx.is_empty() {
        return a
            .slice_axis(Axis(0), Slice::from(idx[0]..idx[idx.len() - 1] + 1))
            .to_owned();
    }
    a.select(Axis(0), idx)
}

impl Sequence for ArraySequence {
    fn len(&self) -> usize {
        self.samples().div_ceil(self.batch_size)
    }

    fn get(&self, index: usize) -> Result<Batch> {
        if index >= self.len() {
            return Err(KerasError::InvalidArgument(format!(
                "ArraySequence: batch {index} asked for, but there are {} batches",
                self.len()
            )));
        }
        let start = index * self.batch_size;
        let end = (start + self.batch_size).min(self.samples());
        let idx = &self.order[start..end];
        Ok(Batch::new(take_rows(&self.x, idx), take_rows(&self.y, idx)))
    }

    fn on_epoch_end(&mut self) {
        if let Some(rng) = self.rng.as_mut() {
            self.order.shuffle(rng);
        }
    }
}

/// How batches are made ahead of the training loop (Keras' `workers`, `max_queue_size`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefetch {
    /// Threads making batches; 0 makes them on the training thread, when needed (1).
    pub workers: usize,
    /// At most this many batches are made ahead of the one in use (10).
    pub max_queue_size: usize,
}

impl Default for Prefetch {
    fn default() -> Self {
        Prefetch {
            workers: 1,
            max_queue_size: 10,
        }
    }
}

/// What the prefetching threads and the training loop share.
struct Queue {
    /// Made batches waiting to be used, by position in the order.
    ready: BTreeMap<usize, Result<Batch>>,
    /// The next position a worker will make.
    next: usize,
    /// Positions `< consumed` have been handed to the loop.
    consumed: usize,
    /// The loop stopped (early stop or error): workers quit.
    stop: bool,
}

/// Calls `f(step, batch)` for the batches `order[0], order[1], ...` of `seq`, in that order,
/// made ahead by `prefetch.workers` threads (Keras' `OrderedEnqueuer`). `f` returns whether to
/// go on (false stops early, e.g. on `model.stop_training`). An error from `seq.get` or from
/// `f` stops everything and is returned; a panic in `seq.get` is turned into an error. A panic
/// in `f` stops the workers and, once they have finished, goes on unwinding from here.
pub fn for_each_batch<S: Sequence + ?Sized>(
    seq: &S,
    order: &[usize],
    prefetch: Prefetch,
    mut f: impl FnMut(usize, Batch) -> Result<bool>,
) -> Result<()> {
    let make = |i: usize| -> Result<Batch> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| seq.get(i))) {
            Ok(r) => r,
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".into());
                Err(KerasError::InvalidArgument(format!(
                    "the batch source panicked making batch {i}: {msg}"
                )))
            }
        }
    };
    if prefetch.workers == 0 {
        for (step, &i) in order.iter().enumerate() {
            if !f(step, make(i)?)? {
                break;
            }
        }
        return Ok(());
    }
    let ahead = prefetch.max_queue_size.max(1);
    let queue = Mutex::new(Queue {
        ready: BTreeMap::new(),
        next: 0,
        consumed: 0,
        stop: false,
    });
    let made = Condvar::new(); // a batch was made (the loop waits on it)
    let room = Condvar::new(); // a batch was taken or the loop stopped (workers wait on it)
    let n = order.len();
    std::thread::scope(|scope| {
        // Tells the workers to stop however the loop ends, a panic in `f` (a callback)
        // included: without it they would wait for room forever and `scope` would never
        // return, so the panic would never surface.
        let _stop = StopWorkers {
            queue: &queue,
            room: &room,
        };
        for _ in 0..prefetch.workers.min(n.max(1)) {
            scope.spawn(|| {
                loop {
                    let pos = {
                        let mut q = queue.lock().expect("the queue lock is never poisoned");
                        while !q.stop && q.next < n && q.next >= q.consumed + ahead {
                            q = room.wait(q).expect("the queue lock is never poisoned");
                        }
                        if q.stop || q.next >= n {
                            return;
                        }
                        q.next += 1;
                        q.next - 1
                    };
                    let batch = make(order[pos]);
                    let mut q = queue.lock().expect("the queue lock is never poisoned");
                    q.ready.insert(pos, batch);
                    made.notify_all();
                }
            });
        }
        (|| {
            for step in 0..n {
                let batch = {
                    let mut q = queue.lock().expect("the queue lock is never poisoned");
                    loop {
                        if let Some(b) = q.ready.remove(&step) {
                            q.consumed = step + 1;
                            room.notify_all();
                            break b;
                        }
                        q = made.wait(q).expect("the queue lock is never poisoned");
                    }
                };
                if !f(step, batch?)? {
                    break;
                }
            }
            Ok(())
        })()
    })
}

/// Stops the prefetching workers when dropped (the loop ended, returned early or unwound).
struct StopWorkers<'a> {
    queue: &'a Mutex<Queue>,
    room: &'a Condvar,
}

impl Drop for StopWorkers<'_> {
    fn drop(&mut self) {
        let mut q = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        q.stop = true;
        drop(q);
        self.room.notify_all();
    }
}

/// The arguments of [`Sequential::fit_sequence`]: Keras' `fit` arguments that apply to a
/// `Sequence`, with Keras' defaults.
pub struct SequenceFitOptions<'a> {
    /// The epoch to stop before (1).
    pub epochs: usize,
    /// 0 silent, 1 progress bar, 2 one line per epoch (1).
    pub verbose: u8,
    /// Called at the start and end of training, epochs and batches.
    pub callbacks: Vec<&'a mut dyn Callback>,
    /// A source of validation batches, evaluated at the end of epochs.
    pub validation_data: Option<&'a dyn Sequence>,
    /// Visit the batches in a new random order every epoch (true). The batches themselves are
    /// what the source makes; shuffle samples across batches in the source.
    pub shuffle: bool,
    /// The epoch to start from (0).
    pub initial_epoch: usize,
    /// Batches per epoch (default: all of them, `len()`); at most `len()`.
    pub steps_per_epoch: Option<usize>,
    /// Validation batches per validation (default: all).
    pub validation_steps: Option<usize>,
    /// When to validate (every epoch).
    pub validation_freq: ValidationFreq,
    /// Batches made ahead (10).
    pub max_queue_size: usize,
    /// Threads making batches (1); 0 makes them on the training thread.
    pub workers: usize,
}

impl Default for SequenceFitOptions<'_> {
    fn default() -> Self {
        SequenceFitOptions {
            epochs: 1,
            verbose: 1,
            callbacks: Vec::new(),
            validation_data: None,
            shuffle: true,
            initial_epoch: 0,
            steps_per_epoch: None,
            validation_steps: None,
            validation_freq: ValidationFreq::Every(1),
            max_queue_size: 10,
            workers: 1,
        }
    }
}

/// The arguments of [`Sequential::evaluate_sequence`] and [`Sequential::predict_sequence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SequenceOptions {
    /// 0 silent, 1 progress bar, 2 one line (1).
    pub verbose: u8,
    /// Use only the first `steps` batches (default: all).
    pub steps: Option<usize>,
    /// Batches made ahead (10).
    pub max_queue_size: usize,
    /// Threads making batches (1).
    pub workers: usize,
}

impl Default for SequenceOptions {
    fn default() -> Self {
        SequenceOptions {
            verbose: 1,
            steps: None,
            max_queue_size: 10,
            workers: 1,
        }
    }
}

fn steps_of(len: usize, steps: Option<usize>, what: &str) -> Result<usize> {
    if len == 0 {
        return Err(KerasError::EmptyData(format!(
            "{what}: the batch source has no batches (len() = 0); it must make at least one"
        )));
    }
    match steps {
        Some(0) => Err(KerasError::InvalidArgument(format!(
            "{what}: steps = 0; give at least 1 (or None for all {len} batches)"
        ))),
        Some(s) if s > len => Err(KerasError::InvalidArgument(format!(
            "{what}: {s} steps asked for but the batch source has only {len} batches per epoch; \
             give at most {len} (or None)"
        ))),
        Some(s) => Ok(s),
        None => Ok(len),
    }
}

impl Sequential {
    /// Trains on one batch from a source: loss, metrics (into `tracker`, created from the
    /// first batch's shapes) and, when `train`, the update.
    fn sequence_step(
        &mut self,
        batch: &Batch,
        tracker: &mut Option<Tracker>,
        train: bool,
        what: &str,
    ) -> Result<()> {
        let (ds, metrics) = self.prepare(
            &batch.x,
            &batch.y,
            batch.sample_weight.as_ref().map(|w| w.view()),
            what,
        )?;
        let tracker = tracker.get_or_insert_with(|| Self::tracker(metrics));
        let idx: Vec<usize> = (0..ds.len()).collect();
        Self::load_batch(&mut self.work, &ds, &idx);
        self.run_batch(tracker, ds.classes.is_some(), ds.weights.is_some(), train)?;
        Ok(())
    }

    /// Evaluates `steps` batches of `seq` into `tracker` (reset first).
    fn run_sequence_eval(
        &mut self,
        seq: &dyn Sequence,
        steps: usize,
        prefetch: Prefetch,
        tracker: &mut Option<Tracker>,
        what: &str,
        mut on_step: impl FnMut(usize, &Tracker),
    ) -> Result<()> {
        if let Some(t) = tracker.as_mut() {
            t.reset();
        }
        let order: Vec<usize> = (0..steps).collect();
        for_each_batch(seq, &order, prefetch, |step, batch| {
            self.sequence_step(
                &batch,
                tracker,
                false,
                &format!("batch {step} of the {what} source"),
            )?;
            on_step(step + 1, tracker.as_ref().expect("made by the first step"));
            Ok(true)
        })
    }

    /// `fit` on a batch source (Keras' `model.fit(sequence, ...)`): each epoch visits
    /// `steps_per_epoch` batches of `x` (all by default), in a new order when `shuffle`, made
    /// ahead by `workers` threads; returns the [`History`].
    ///
    /// Trains exactly as `fit` on arrays does with the same batches (same steps, same loss,
    /// same callbacks and progress output). Errors: fit before compile, an empty source,
    /// batches that do not fit the model (reported with the batch number), invalid options.
    pub fn fit_sequence<S: Sequence + ?Sized>(
        &mut self,
        x: &mut S,
        mut options: SequenceFitOptions<'_>,
    ) -> Result<History> {
        if self.compiled.is_none() {
            return Err(KerasError::NotCompiled { call: "fit" });
        }
        if options.verbose > 2 {
            return Err(KerasError::InvalidArgument(format!(
                "verbose = {}; use 0 (silent), 1 (progress bar) or 2 (one line per epoch)",
                options.verbose
            )));
        }
        if options.initial_epoch > options.epochs {
            return Err(KerasError::InvalidArgument(format!(
                "initial_epoch = {} is past epochs = {}; epochs is the epoch to stop before",
                options.initial_epoch, options.epochs
            )));
        }
        match &options.validation_freq {
            ValidationFreq::Every(0) => {
                return Err(KerasError::InvalidArgument(
                    "validation_freq = 0; give k >= 1 (validate every k epochs)".into(),
                ));
            }
            ValidationFreq::Epochs(l) if l.contains(&0) => {
                return Err(KerasError::InvalidArgument(
                    "validation_freq lists epoch 0; epochs are counted from 1 there".into(),
                ));
            }
            _ => {}
        }
        let steps = steps_of(x.len(), options.steps_per_epoch, "fit")?;
        let val_steps = match options.validation_data {
            Some(v) => Some(steps_of(
                v.len(),
                options.validation_steps,
                "validation_data",
            )?),
            None => None,
        };
        let prefetch = Prefetch {
            workers: options.workers,
            max_queue_size: options.max_queue_size,
        };
        let verbose = options.verbose;
        let epochs = options.epochs;
        let mut history = History {
            params: HistoryParams {
                verbose,
                epochs,
                steps,
            },
            ..History::default()
        };
        let mut tracker: Option<Tracker> = None;
        let mut val_tracker: Option<Tracker> = None;
        let mut order: Vec<usize> = (0..x.len()).collect();
        let mut logs = Logs::new();
        let mut epoch_logs = Logs::new();
        self.stop_training = false;
        for cb in options.callbacks.iter_mut() {
            cb.on_train_begin(self)?;
        }
        for epoch in options.initial_epoch..epochs {
            if verbose > 0 && epochs > 1 {
                println!("Epoch {}/{}", epoch + 1, epochs);
            }
            for cb in options.callbacks.iter_mut() {
                cb.on_epoch_begin(self, epoch)?;
            }
            if let Some(t) = tracker.as_mut() {
                t.reset();
            }
            if options.shuffle {
                order.shuffle(&mut self.rng);
            }
            let mut bar = Progbar::stdout(steps, verbose);
            let callbacks = &mut options.callbacks;
            for_each_batch(&*x, &order[..steps], prefetch, |step, batch| {
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_begin(self, step)?;
                }
                self.sequence_step(
                    &batch,
                    &mut tracker,
                    true,
                    &format!("batch {} of the training source", order[step]),
                )?;
                let t = tracker.as_ref().expect("made by the first step");
                t.write(&mut logs, "");
                bar.update(step + 1, &logs);
                for cb in callbacks.iter_mut() {
                    cb.on_train_batch_end(self, step, &logs)?;
                }
                Ok(!self.stop_training)
            })?;
            epoch_logs.clear();
            if let Some(t) = tracker.as_ref() {
                t.write(&mut epoch_logs, "");
            }
            if let (Some(v), Some(vs)) = (options.validation_data, val_steps)
                && options.validation_freq_due(epoch)
            {
                self.run_sequence_eval(v, vs, prefetch, &mut val_tracker, "validation", |_, _| {})?;
                if let Some(t) = val_tracker.as_ref() {
                    t.write(&mut epoch_logs, "val_");
                }
            }
            x.on_epoch_end();
            // As in `fit`: the callbacks, then History and the epoch's line (tf_keras' order).
            for cb in options.callbacks.iter_mut() {
                cb.on_epoch_end(self, epoch, &mut epoch_logs)?;
            }
            history.record(epoch, &epoch_logs);
            bar.finish(&epoch_logs);
            if self.stop_training {
                break;
            }
        }
        for cb in options.callbacks.iter_mut() {
            cb.on_train_end(self, &epoch_logs)?;
        }
        Ok(history)
    }

    /// `evaluate` on a batch source: `[loss, metrics...]` over its batches (or the first
    /// `steps`), weighted by batch size as `evaluate` on arrays.
    pub fn evaluate_sequence<S: Sequence + ?Sized>(
        &mut self,
        x: &S,
        options: SequenceOptions,
    ) -> Result<Logs> {
        if self.compiled.is_none() {
            return Err(KerasError::NotCompiled { call: "evaluate" });
        }
        let steps = steps_of(x.len(), options.steps, "evaluate")?;
        let prefetch = Prefetch {
            workers: options.workers,
            max_queue_size: options.max_queue_size,
        };
        let mut bar = Progbar::stdout(steps, options.verbose);
        let mut logs = Logs::new();
        let mut tracker = None;
        self.run_sequence_eval(
            &SeqRef(x),
            steps,
            prefetch,
            &mut tracker,
            "evaluation",
            |step, t| {
                t.write(&mut logs, "");
                bar.update(step, &logs);
            },
        )?;
        let mut result = Logs::new();
        if let Some(t) = tracker {
            t.write(&mut result, "");
        }
        bar.finish(&result);
        Ok(result)
    }

    /// `predict` on a batch source: the outputs of its batches (or the first `steps`),
    /// stacked, shape (samples, units). The batches' `y` are ignored.
    pub fn predict_sequence<S: Sequence + ?Sized>(
        &mut self,
        x: &S,
        options: SequenceOptions,
    ) -> Result<Array2<f32>> {
        let steps = steps_of(x.len(), options.steps, "predict")?;
        let prefetch = Prefetch {
            workers: options.workers,
            max_queue_size: options.max_queue_size,
        };
        let mut bar = Progbar::stdout(steps, options.verbose);
        let empty = Logs::new();
        let mut parts: Vec<Array2<f32>> = Vec::with_capacity(steps);
        let order: Vec<usize> = (0..steps).collect();
        for_each_batch(x, &order, prefetch, |step, batch| {
            let out = self.predict_on_batch(&batch.x)?;
            parts.push(out);
            bar.update(step + 1, &empty);
            Ok(true)
        })?;
        bar.finish(&empty);
        let rows: usize = parts.iter().map(|p| p.nrows()).sum();
        let cols = parts.first().map_or(0, |p| p.ncols());
        let mut out = Array2::zeros((rows, cols));
        let mut at = 0;
        for p in parts {
            out.slice_mut(s![at..at + p.nrows(), ..]).assign(&p);
            at += p.nrows();
        }
        Ok(out)
    }
}

/// A `&S` as a `&dyn Sequence` for an unsized `S`.
struct SeqRef<'a, S: ?Sized>(&'a S);

impl<S: Sequence + ?Sized> Sequence for SeqRef<'_, S> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn get(&self, index: usize) -> Result<Batch> {
        self.0.get(index)
    }
}

impl SequenceFitOptions<'_> {
    fn validation_freq_due(&self, epoch: usize) -> bool {
        match &self.validation_freq {
            ValidationFreq::Every(k) => (epoch + 1).is_multiple_of(*k),
            ValidationFreq::Epochs(list) => list.contains(&(epoch + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Batch i is [[i]]; records how many `get`s run at once and the most made ahead.
    struct Probe {
        n: usize,
        running: AtomicUsize,
        max_running: AtomicUsize,
        made: AtomicUsize,
        delay_ms: u64,
        fail_at: Option<usize>,
        panic_at: Option<usize>,
    }

    impl Probe {
        fn new(n: usize) -> Self {
            Probe {
                n,
                running: AtomicUsize::new(0),
                max_running: AtomicUsize::new(0),
                made: AtomicUsize::new(0),
                delay_ms: 0,
                fail_at: None,
                panic_at: None,
            }
        }
    }

    impl Sequence for Probe {
        fn len(&self) -> usize {
            self.n
        }
        fn get(&self, i: usize) -> Result<Batch> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_running.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(self.delay_ms));
            self.running.fetch_sub(1, Ordering::SeqCst);
            self.made.fetch_add(1, Ordering::SeqCst);
            if Some(i) == self.panic_at {
                panic!("bad file {i}");
            }
            if Some(i) == self.fail_at {
                return Err(KerasError::InvalidArgument(format!(
                    "cannot read batch {i}"
                )));
            }
            Ok(Batch::inputs(ndarray::arr2(&[[i as f32]]).into_dyn()))
        }
    }

    fn collect(seq: &Probe, order: &[usize], workers: usize, queue: usize) -> Result<Vec<f32>> {
        let mut got = Vec::new();
        for_each_batch(
            seq,
            order,
            Prefetch {
                workers,
                max_queue_size: queue,
            },
            |step, b| {
                assert_eq!(step, got.len());
                got.push(b.x[[0, 0]]);
                Ok(true)
            },
        )?;
        Ok(got)
    }

    #[test]
    fn batches_arrive_in_order_whatever_the_number_of_workers() {
        let order: Vec<usize> = vec![3, 0, 7, 1, 2, 6, 5, 4];
        let want: Vec<f32> = order.iter().map(|&i| i as f32).collect();
        for workers in [0, 1, 2, 4] {
            let mut seq = Probe::new(8);
            seq.delay_ms = 2;
            assert_eq!(
                collect(&seq, &order, workers, 3).unwrap(),
                want,
                "workers {workers}"
            );
        }
    }

    #[test]
    fn workers_run_in_parallel_and_stay_within_the_queue() {
        let mut seq = Probe::new(12);
        seq.delay_ms = 20;
        let got = collect(&seq, &(0..12).collect::<Vec<_>>(), 3, 5).unwrap();
        assert_eq!(got.len(), 12);
        assert!(
            seq.max_running.load(Ordering::SeqCst) >= 2,
            "no parallelism"
        );
        assert!(seq.max_running.load(Ordering::SeqCst) <= 3);
        // A loop that stops after 2 batches: workers made at most 2 + max_queue_size.
        let seq = Probe::new(50);
        let mut seen = 0;
        for_each_batch(
            &seq,
            &(0..50).collect::<Vec<_>>(),
            Prefetch {
                workers: 2,
                max_queue_size: 4,
            },
            |_, _| {
                seen += 1;
                std::thread::sleep(Duration::from_millis(10));
                Ok(seen < 2)
            },
        )
        .unwrap();
        assert_eq!(seen, 2);
        assert!(
            seq.made.load(Ordering::SeqCst) <= 2 + 4,
            "made {}",
            seq.made.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn errors_and_panics_in_the_source_come_back_as_errors() {
        for workers in [0, 2] {
            let mut seq = Probe::new(6);
            seq.fail_at = Some(3);
            let err = collect(&seq, &(0..6).collect::<Vec<_>>(), workers, 2).unwrap_err();
            assert!(err.to_string().contains("cannot read batch 3"), "{err}");
            let mut seq = Probe::new(6);
            seq.panic_at = Some(2);
            let err = collect(&seq, &(0..6).collect::<Vec<_>>(), workers, 2).unwrap_err();
            assert!(
                err.to_string()
                    .contains("panicked making batch 2: bad file 2"),
                "{err}"
            );
        }
        // An error from the loop itself stops the workers too.
        let seq = Probe::new(30);
        let r = for_each_batch(
            &seq,
            &(0..30).collect::<Vec<_>>(),
            Prefetch::default(),
            |s, _| {
                if s == 1 {
                    Err(KerasError::InvalidArgument("stop".into()))
                } else {
                    Ok(true)
                }
            },
        );
        assert!(r.is_err());
    }

    #[test]
    fn array_sequence_batches_and_shuffles() {
        let x = ndarray::Array::from_shape_fn((5, 2), |(i, j)| (10 * i + j) as f32).into_dyn();
        let y = ndarray::Array::from_shape_fn(5, |i| i as f32).into_dyn();
        let mut seq = ArraySequence::new(x, y, 2).unwrap();
        assert_eq!(seq.len(), 3);
        let b = seq.get(1).unwrap();
        assert_eq!(b.x, ndarray::arr2(&[[20.0, 21.0], [30.0, 31.0]]).into_dyn());
        assert_eq!(b.y, ndarray::arr1(&[2.0, 3.0]).into_dyn());
        assert_eq!(seq.get(2).unwrap().y.len(), 1);
        assert!(seq.get(3).is_err());
        seq = seq.shuffle(7);
        seq.on_epoch_end();
        let mut ys: Vec<f32> = (0..3)
            .flat_map(|i| seq.get(i).unwrap().y.into_iter())
            .collect();
        assert_ne!(
            ys,
            [0.0, 1.0, 2.0, 3.0, 4.0],
            "a shuffle of 5 with seed 7 moved nothing"
        );
        ys.sort_by(f32::total_cmp);
        assert_eq!(ys, [0.0, 1.0, 2.0, 3.0, 4.0]);
        assert!(
            ArraySequence::new(
                ArrayD::zeros(ndarray::IxDyn(&[3, 1])),
                ArrayD::zeros(ndarray::IxDyn(&[2])),
                1
            )
            .is_err()
        );
        assert!(
            ArraySequence::new(
                ArrayD::zeros(ndarray::IxDyn(&[3, 1])),
                ArrayD::zeros(ndarray::IxDyn(&[3])),
                0
            )
            .is_err()
        );
    }
}
