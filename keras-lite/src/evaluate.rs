//! `evaluate`, `predict`, and the single-batch `train_on_batch`, `test_on_batch`,
//! `predict_on_batch`.

use crate::callbacks::Callback;
use crate::data::{Inputs, Targets};
use crate::error::{KerasError, Result};
use crate::history::Logs;
use crate::progress::Progbar;
use crate::sequential::Sequential;
use crate::training::num_batches;
use ndarray::{Array2, ArrayView1, s};

/// The arguments of `evaluate` besides `x` and `y`, with Keras' defaults.
pub struct EvaluateOptions<'a> {
    /// Samples per batch (32).
    pub batch_size: usize,
    /// 0 silent, 1 progress bar, 2 one line (1).
    pub verbose: u8,
    /// Weight of each sample in the loss.
    pub sample_weight: Option<ArrayView1<'a, f32>>,
    /// Evaluate only the first `steps` batches.
    pub steps: Option<usize>,
    /// Called at the start and end, and after each batch.
    pub callbacks: Vec<&'a mut dyn Callback>,
    /// Show the result as a dict (`{'loss': .., 'accuracy': ..}`) rather than a list; the
    /// returned [`Logs`] can be read both ways (`result[1]`, `result["accuracy"]`) either way.
    pub return_dict: bool,
}

impl Default for EvaluateOptions<'_> {
    fn default() -> Self {
        EvaluateOptions {
            batch_size: 32,
            verbose: 1,
            sample_weight: None,
            steps: None,
            callbacks: Vec::new(),
            return_dict: false,
        }
    }
}

/// The arguments of `predict` besides `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredictOptions {
    /// Samples per batch (32).
    pub batch_size: usize,
    /// 0 silent, 1 progress bar, 2 one line (1).
    pub verbose: u8,
    /// Predict only the first `steps` batches.
    pub steps: Option<usize>,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions {
            batch_size: 32,
            verbose: 1,
            steps: None,
        }
    }
}

fn check_batch_and_verbose(batch_size: usize, verbose: u8, steps: Option<usize>) -> Result<()> {
    if batch_size == 0 {
        return Err(KerasError::InvalidArgument(
            "batch_size = 0; give at least 1 (Keras' default is 32)".into(),
        ));
    }
    if verbose > 2 {
        return Err(KerasError::InvalidArgument(format!(
            "verbose = {verbose}; use 0 (silent), 1 (progress bar) or 2 (one line)"
        )));
    }
    if steps == Some(0) {
        return Err(KerasError::InvalidArgument(
            "steps = 0; give at least 1 (or None for all the data)".into(),
        ));
    }
    Ok(())
}

impl Sequential {
    /// The loss and metrics of the model on `x`, `y`, as `[loss, metric...]` (see [`Logs`]).
    pub fn evaluate<X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &X,
        y: &Y,
        mut options: EvaluateOptions<'_>,
    ) -> Result<Logs> {
        if self.compiled.is_none() {
            return Err(KerasError::NotCompiled { call: "evaluate" });
        }
        check_batch_and_verbose(options.batch_size, options.verbose, options.steps)?;
        let (ds, metrics) = self.prepare(x, y, options.sample_weight, "evaluate")?;
        let n = ds.len();
        let total = num_batches(n, options.batch_size);
        let steps = options.steps.map_or(total, |s| s.min(total));
        let mut tracker = Self::tracker(metrics);
        for cb in options.callbacks.iter_mut() {
            cb.on_test_begin(self)?;
        }
        let mut bar = Progbar::stdout(steps, options.verbose);
        let mut logs = Logs::new();
        self.evaluate_dataset(
            &ds,
            0..n,
            options.batch_size,
            Some(steps),
            &mut tracker,
            |step, t| {
                t.write(&mut logs, "");
                bar.update(step, &logs);
            },
        )?;
        let mut result = Logs::new();
        tracker.write(&mut result, "");
        bar.finish(&result);
        for cb in options.callbacks.iter_mut() {
            cb.on_test_end(self, &result)?;
        }
        result.as_dict = options.return_dict;
        Ok(result)
    }

    /// The model's outputs for `x`, stacked: shape (samples, units).
    pub fn predict<X: Inputs + ?Sized>(
        &mut self,
        x: &X,
        options: PredictOptions,
    ) -> Result<Array2<f32>> {
        check_batch_and_verbose(options.batch_size, options.verbose, options.steps)?;
        let rows = self.check_x(x, "predict")?;
        let n = rows.nrows();
        let total = num_batches(n, options.batch_size);
        let steps = options.steps.map_or(total, |s| s.min(total));
        let n_out = (steps * options.batch_size).min(n);
        let mut out = Array2::zeros((n_out, self.output_units()));
        let mut bar = Progbar::stdout(steps, options.verbose);
        let empty = Logs::new();
        for step in 0..steps {
            let start = step * options.batch_size;
            let end = (start + options.batch_size).min(n);
            self.load_x(&rows, start..end);
            self.predict_batch_into(&mut out.slice_mut(s![start..end, ..]));
            bar.update(step + 1, &empty);
        }
        bar.finish(&empty);
        Ok(out)
    }

    /// Copies the rows `range` of `rows` into the batch buffer.
    fn load_x(
        &mut self,
        rows: &ndarray::CowArray<'_, f32, ndarray::Ix2>,
        range: std::ops::Range<usize>,
    ) {
        ch05_backprop::ensure_shape(&mut self.work.x, (range.len(), rows.ncols()));
        self.work.x.assign(&rows.slice(s![range, ..]));
    }

    /// The outputs for `x` as one batch (Keras' `predict_on_batch`).
    pub fn predict_on_batch<X: Inputs + ?Sized>(&mut self, x: &X) -> Result<Array2<f32>> {
        let rows = self.check_x(x, "predict_on_batch")?;
        let n = rows.nrows();
        let mut out = Array2::zeros((n, self.output_units()));
        self.load_x(&rows, 0..n);
        self.predict_batch_into(&mut out.view_mut());
        Ok(out)
    }

    /// One gradient step on all of `x`, `y` as a single batch; returns the loss and metrics
    /// of that batch (computed before the update, as Keras).
    pub fn train_on_batch<X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &X,
        y: &Y,
        sample_weight: Option<ArrayView1<'_, f32>>,
    ) -> Result<Logs> {
        self.one_batch(x, y, sample_weight, true, "train_on_batch")
    }

    /// The loss and metrics of `x`, `y` as a single batch, without training.
    pub fn test_on_batch<X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &X,
        y: &Y,
        sample_weight: Option<ArrayView1<'_, f32>>,
    ) -> Result<Logs> {
        self.one_batch(x, y, sample_weight, false, "test_on_batch")
    }

    fn one_batch<X: Inputs + ?Sized, Y: Targets + ?Sized>(
        &mut self,
        x: &X,
        y: &Y,
        sample_weight: Option<ArrayView1<'_, f32>>,
        train: bool,
        call: &'static str,
    ) -> Result<Logs> {
        if self.compiled.is_none() {
            return Err(KerasError::NotCompiled { call });
        }
        let (ds, metrics) = self.prepare(x, y, sample_weight, call)?;
        let idx: Vec<usize> = (0..ds.len()).collect();
        let mut tracker = Self::tracker(metrics);
        Self::load_batch(&mut self.work, &ds, &idx);
        self.run_batch(
            &mut tracker,
            ds.classes.is_some(),
            ds.weights.is_some(),
            train,
        )?;
        let mut logs = Logs::new();
        tracker.write(&mut logs, "");
        Ok(logs)
    }
}
