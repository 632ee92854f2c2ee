//! Parity with TensorFlow: checks keras-lite against a fixture computed by `tf_keras`.
//!
//! The fixture format is described in `testdata/README.md` (files made by
//! `testdata/make_parity.py` with any seed); the JSON is read by `test_support::fixture`, the
//! one reader of the fixtures, which the chapters' parity tests use too. This module belongs to
//! the `keras_parity` example; keras-lite's `tests/parity.rs` and `tests/cnn_parity.rs` include
//! it, so the test checks what the example prints. Everything is looked up the way a user would: activations by their Keras
//! names, losses through `compile`'s loss lookup, optimizers from their Keras config, and the
//! whole `fit` through `Sequential`, `set_weights`, `compile`, `fit`, `evaluate` and `predict`.
//!
//! Each item reports its worst absolute and relative error and passes when every element
//! satisfies `|actual - expected| <= abs + rel * |expected|`, with the fixture README's
//! tolerances ([`ACTIVATION`], [`ACTIVATION_GRAD`], [`LOSS`], [`OPTIMIZER`], [`FIT`]).
//!
//! ```text
//! let report = parity::check_file("testdata/keras2_parity.json")?;
//! report.print();
//! assert!(report.all_passed());
//! ```

use ch03_activations::keras::Activation as ActivationFn;
use ch04_loss_gradient::Labels;
use ch04_loss_gradient::keras::{Loss, reduce};
use ch05_backprop::ParamMut;
use keras_lite::compile::IntoLoss;
use keras_lite::layers::{Dense, InputLayer};
use keras_lite::{EvaluateOptions, FitOptions, PredictOptions, Sequential, optimizers};
use ndarray::{Array1, Array2, ArrayD, IxDyn};
use serde_json::Value;
use test_support::fixture::{FixtureError, array_f32, field, matrix_f32, number, vec_f64};

// The same file whether this module is the example's (`main.rs`) or a test's (`#[path]`).
#[path = "parity/cnn.rs"]
mod cnn;

/// A fixture's error or keras-lite's: either is reported as it is.
pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// An element passes when `|actual - expected| <= abs + rel * |expected|`: the workspace's one
/// closeness rule, `test_support::Tol`.
pub type Tolerance = test_support::Tol;

/// Activations: about 1e-6 relative plus 1e-7 absolute.
pub const ACTIVATION: Tolerance = Tolerance {
    abs: 1e-7,
    rel: 1e-6,
};
/// Activation derivatives: 1e-6 absolute more than the values.
pub const ACTIVATION_GRAD: Tolerance = Tolerance {
    abs: 1e-7 + 1e-6,
    rel: 1e-6,
};
/// Losses: about 1e-6 relative plus 1e-7 absolute.
pub const LOSS: Tolerance = Tolerance {
    abs: 1e-7,
    rel: 1e-6,
};
/// Optimizer steps: 1e-5 relative plus 1e-6 absolute.
pub const OPTIMIZER: Tolerance = Tolerance {
    abs: 1e-6,
    rel: 1e-5,
};
/// Convolution, pooling and BatchNormalization on images, values and gradients: 1e-5
/// relative plus 1e-5 absolute (sums of a few hundred float32 products, added in another
/// order than oneDNN adds them).
pub const IMAGE: Tolerance = Tolerance {
    abs: 1e-5,
    rel: 1e-5,
};
/// The whole fit: 1e-4.
pub const FIT: Tolerance = Tolerance {
    abs: 1e-4,
    rel: 0.0,
};

/// The comparison of one item (an activation's values, a loss's per-sample values, ...).
#[derive(Debug, Clone)]
pub struct ItemResult {
    /// `activations`, `losses`, `optimizers`, `fit`, ...
    pub group: &'static str,
    /// What was compared (`relu y`, `adam weights`, `history loss`).
    pub name: String,
    /// Number of values compared.
    pub count: usize,
    /// Worst `|actual - expected|`.
    pub max_abs: f64,
    /// Worst `|actual - expected| / |expected|` (over nonzero expected values).
    pub max_rel: f64,
    pub tolerance: Tolerance,
    pub passed: bool,
}

/// All the items of one fixture.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub items: Vec<ItemResult>,
}

impl Report {
    /// True when every item is within its tolerance.
    pub fn all_passed(&self) -> bool {
        self.items.iter().all(|i| i.passed)
    }

    /// The items past their tolerance.
    pub fn failures(&self) -> impl Iterator<Item = &ItemResult> {
        self.items.iter().filter(|i| !i.passed)
    }

    /// One line per item: group, name, count, worst errors, tolerance, verdict.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{:<12} {:<58} {:>5} {:>10} {:>10}  {}\n",
            "group", "item", "n", "max abs", "max rel", "result"
        );
        for i in &self.items {
            s.push_str(&format!(
                "{:<12} {:<58} {:>5} {:>10.3e} {:>10.3e}  {}\n",
                i.group,
                i.name,
                i.count,
                i.max_abs,
                i.max_rel,
                if i.passed {
                    "ok".to_string()
                } else {
                    format!(
                        "FAIL (tolerance {:.0e} abs + {:.0e} rel)",
                        i.tolerance.abs, i.tolerance.rel
                    )
                }
            ));
        }
        let failed = self.failures().count();
        s.push_str(&format!(
            "{} items, {} within tolerance, {} past it\n",
            self.items.len(),
            self.items.len() - failed,
            failed
        ));
        s
    }

    /// Prints [`Report::to_text`].
    pub fn print(&self) {
        print!("{}", self.to_text());
    }

    fn push(
        &mut self,
        group: &'static str,
        name: String,
        actual: &[f64],
        expected: &[f64],
        tol: Tolerance,
    ) {
        self.items.push(compare(group, name, actual, expected, tol));
    }
}

/// Compares two sequences of values element by element.
pub fn compare(
    group: &'static str,
    name: String,
    actual: &[f64],
    expected: &[f64],
    tolerance: Tolerance,
) -> ItemResult {
    let mut max_abs = 0.0f64;
    let mut max_rel = 0.0f64;
    let mut passed = actual.len() == expected.len();
    for (&a, &e) in actual.iter().zip(expected) {
        if a == e {
            continue; // also equal infinities
        }
        let abs = (a - e).abs();
        if abs.is_nan() {
            max_abs = f64::NAN;
            max_rel = f64::NAN;
            passed = false;
            continue;
        }
        max_abs = max_abs.max(abs);
        if e != 0.0 {
            max_rel = max_rel.max(abs / e.abs());
        }
        if abs > tolerance.bound(e) {
            passed = false;
        }
    }
    ItemResult {
        group,
        name: if actual.len() == expected.len() {
            name
        } else {
            format!(
                "{name} (got {} values, expected {})",
                actual.len(),
                expected.len()
            )
        },
        count: expected.len(),
        max_abs,
        max_rel,
        tolerance,
        passed,
    }
}

fn fixture_err(msg: impl Into<String>) -> Box<dyn std::error::Error> {
    Box::new(FixtureError(msg.into()))
}

fn widen(a: impl IntoIterator<Item = f32>) -> Vec<f64> {
    a.into_iter().map(|v| v as f64).collect()
}

/// Reads and checks a fixture file.
pub fn check_file(path: impl AsRef<std::path::Path>) -> Result<Report> {
    check(&test_support::fixture::read(path)?)
}

/// Checks a parsed fixture: every group it contains.
pub fn check(fixture: &Value) -> Result<Report> {
    let mut report = Report::default();
    if let Some(a) = fixture.get("activations") {
        check_activations(a, "activations", &mut report)?;
    }
    if let Some(a) = fixture.get("activations_edge") {
        check_activations(a, "act_edge", &mut report)?;
    }
    if let Some(l) = fixture.get("losses") {
        check_losses(l, &mut report)?;
    }
    if let Some(l) = fixture.get("losses_edge") {
        check_losses_edge(l, &mut report)?;
    }
    if let Some(o) = fixture.get("optimizers") {
        check_optimizers(o, &mut report)?;
    }
    if let Some(f) = fixture.get("fit") {
        check_fit(f, &mut report)?;
    }
    cnn::check(fixture, &mut report)?;
    if report.items.is_empty() {
        return Err(fixture_err(
            "fixture: none of activations, losses, optimizers, fit, conv2d, pooling, cnn_fit \
             found; is this a parity file?",
        ));
    }
    Ok(report)
}

/// An activation by its Keras name, as `Dense::activation("name")` resolves it.
fn activation(name: &str) -> Result<ActivationFn> {
    Ok(keras_lite::layers::ActivationSpec::from(name).resolve()?)
}

fn check_activations(a: &Value, group: &'static str, report: &mut Report) -> Result<()> {
    let x = matrix_f32(field(a, "x", group)?, group)?;
    let by_name = field(a, "by_name", group)?
        .as_object()
        .ok_or_else(|| fixture_err(format!("fixture: {group}.by_name should be an object")))?;
    for (name, entry) in by_name {
        let at = format!("{group}.{name}");
        let f = activation(name)?;
        if let (Some(x2d), Some(y2d)) = (entry.get("x2d"), entry.get("y2d")) {
            let x2 = matrix_f32(x2d, &at)?;
            let y = f.forward(&x2);
            report.push(
                group,
                format!("{name} y (rows)"),
                &widen(y),
                &vec_f64(y2d, &at)?,
                ACTIVATION,
            );
        }
        if let Some(expected) = entry.get("y") {
            let y = f.forward(&x);
            report.push(
                group,
                format!("{name} y"),
                &widen(y.iter().copied()),
                &vec_f64(expected, &at)?,
                ACTIVATION,
            );
        }
        if let Some(expected) = entry.get("dy_dx") {
            // The gradient of sum(f(x)): the backward pass with dy = 1.
            let y = f.forward(&x);
            let dx = f.backward(&x, &y, &Array2::ones(x.raw_dim()));
            report.push(
                group,
                format!("{name} dy/dx"),
                &widen(dx),
                &vec_f64(expected, &at)?,
                ACTIVATION_GRAD,
            );
        }
    }
    Ok(())
}

/// A fixture loss key: a Keras name, or `NAME_from_logits`, or `NAME_label_smoothing_S`.
fn loss_for_key(key: &str) -> Result<Loss> {
    if let Some(base) = key.strip_suffix("_from_logits") {
        return Ok(match base.into_loss()? {
            Loss::CategoricalCrossentropy {
                label_smoothing, ..
            } => Loss::CategoricalCrossentropy {
                from_logits: true,
                label_smoothing,
            },
            Loss::SparseCategoricalCrossentropy { .. } => {
                Loss::SparseCategoricalCrossentropy { from_logits: true }
            }
            Loss::BinaryCrossentropy {
                label_smoothing, ..
            } => Loss::BinaryCrossentropy {
                from_logits: true,
                label_smoothing,
            },
            other => {
                return Err(fixture_err(format!(
                    "fixture: {} has no from_logits form",
                    other.name()
                )));
            }
        });
    }
    if let Some((base, s)) = key.split_once("_label_smoothing_") {
        let s: f64 = s
            .parse()
            .map_err(|_| fixture_err(format!("fixture: bad label smoothing in {key:?}")))?;
        let loss = match base.into_loss()? {
            Loss::CategoricalCrossentropy { from_logits, .. } => Loss::CategoricalCrossentropy {
                from_logits,
                label_smoothing: s,
            },
            Loss::BinaryCrossentropy { from_logits, .. } => Loss::BinaryCrossentropy {
                from_logits,
                label_smoothing: s,
            },
            other => {
                return Err(fixture_err(format!(
                    "fixture: {} has no label smoothing",
                    other.name()
                )));
            }
        };
        return Ok(loss.into_loss()?);
    }
    Ok(key.into_loss()?)
}

/// Per-sample losses through ch04, with labels as the loss expects them.
fn per_sample(loss: Loss, y_true: &Value, y_pred: &Value, at: &str) -> Result<Array1<f32>> {
    let p = matrix_f32(y_pred, at)?;
    let t = array_f32(y_true, at)?;
    let out = if t.ndim() == 1 {
        let classes: Vec<usize> = t.iter().map(|&v| v as usize).collect();
        let classes = Array1::from(classes);
        loss.per_sample(Labels::Sparse(classes.view()), &p)?
    } else {
        let t = t
            .into_dimensionality::<ndarray::Ix2>()
            .map_err(|e| fixture_err(format!("{at}: {e}")))?;
        loss.per_sample(Labels::Dense(t.view()), &p)?
    };
    Ok(out)
}

fn check_losses(l: &Value, report: &mut Report) -> Result<()> {
    let map = l
        .as_object()
        .ok_or_else(|| fixture_err("fixture: losses should be an object"))?;
    for (key, entry) in map {
        let at = format!("losses.{key}");
        let loss = loss_for_key(key)?;
        let ps = per_sample(
            loss,
            field(entry, "y_true", &at)?,
            field(entry, "y_pred", &at)?,
            &at,
        )?;
        report.push(
            "losses",
            format!("{key} per sample"),
            &widen(ps.iter().copied()),
            &vec_f64(field(entry, "per_sample", &at)?, &at)?,
            LOSS,
        );
        if let Some(mean) = entry.get("mean") {
            let m = reduce(&ps, None);
            report.push(
                "losses",
                format!("{key} mean"),
                &[m as f64],
                &[number(mean, &at)?],
                LOSS,
            );
        }
        if let (Some(w), Some(wm)) = (entry.get("sample_weight"), entry.get("weighted_mean")) {
            let w = Array1::from(
                vec_f64(w, &at)?
                    .into_iter()
                    .map(|v| v as f32)
                    .collect::<Vec<_>>(),
            );
            let m = reduce(&ps, Some(&w));
            report.push(
                "losses",
                format!("{key} weighted mean"),
                &[m as f64],
                &[number(wm, &at)?],
                LOSS,
            );
        }
    }
    Ok(())
}

fn check_losses_edge(l: &Value, report: &mut Report) -> Result<()> {
    let list = l
        .as_array()
        .ok_or_else(|| fixture_err("fixture: losses_edge should be a list"))?;
    for (i, entry) in list.iter().enumerate() {
        let at = format!("losses_edge[{i}]");
        let name = field(entry, "name", &at)?
            .as_str()
            .ok_or_else(|| fixture_err(format!("fixture: {at}.name should be a string")))?;
        let loss = loss_for_key(name)?;
        let ps = per_sample(
            loss,
            field(entry, "y_true", &at)?,
            field(entry, "y_pred", &at)?,
            &at,
        )?;
        report.push(
            "loss_edge",
            format!("[{i}] {name}"),
            &widen(ps.iter().copied()),
            &vec_f64(field(entry, "per_sample", &at)?, &at)?,
            LOSS,
        );
    }
    Ok(())
}

/// Runs an optimizer over the gradients, one step each, from `w0`; the weights after each step.
fn trajectory(class: &str, config: &Value, w0: &[f64], grads: &[Vec<f64>]) -> Result<Vec<f64>> {
    let mut opt = optimizers::from_config(class, config)?;
    let mut w = ArrayD::from_shape_vec(IxDyn(&[w0.len()]), w0.iter().map(|&v| v as f32).collect())
        .expect("1-D");
    let mut out = Vec::new();
    for g in grads {
        let mut grad =
            ArrayD::from_shape_vec(IxDyn(&[g.len()]), g.iter().map(|&v| v as f32).collect())
                .map_err(|e| fixture_err(format!("fixture: gradient: {e}")))?;
        if grad.len() != w.len() {
            return Err(fixture_err(
                "fixture: a gradient does not have the length of w0",
            ));
        }
        opt.update(vec![ParamMut {
            name: "w",
            value: w.view_mut(),
            grad: grad.view_mut(),
        }]);
        out.extend(w.iter().map(|&v| v as f64));
    }
    Ok(out)
}

fn check_optimizers(o: &Value, report: &mut Report) -> Result<()> {
    let w0 = vec_f64(field(o, "w0", "optimizers")?, "optimizers.w0")?;
    let rows = |key: &str| -> Result<Vec<Vec<f64>>> {
        field(o, key, "optimizers")?
            .as_array()
            .ok_or_else(|| fixture_err(format!("fixture: optimizers.{key} should be a list")))?
            .iter()
            .map(|g| vec_f64(g, key))
            .collect::<std::result::Result<_, _>>()
            .map_err(Into::into)
    };
    let grads = rows("grads")?;
    let grads_small = o
        .get("grads_small")
        .map(|_| rows("grads_small"))
        .transpose()?;
    let by_name = field(o, "by_name", "optimizers")?
        .as_object()
        .ok_or_else(|| fixture_err("fixture: optimizers.by_name should be an object"))?;
    for (key, entry) in by_name {
        let at = format!("optimizers.{key}");
        let class = field(entry, "class", &at)?
            .as_str()
            .ok_or_else(|| fixture_err(format!("fixture: {at}.class should be a string")))?;
        let config = field(entry, "config", &at)?;
        let expected = vec_f64(field(entry, "weights_after_each_step", &at)?, &at)?;
        let actual = trajectory(class, config, &w0, &grads)?;
        report.push(
            "optimizers",
            format!("{key} ({class}) 12 steps"),
            &actual,
            &expected,
            OPTIMIZER,
        );
        if let (Some(gs), Some(exp)) = (&grads_small, entry.get("weights_after_each_step_small")) {
            let actual = trajectory(class, config, &w0, gs)?;
            report.push(
                "optimizers",
                format!("{key} ({class}) 12 tiny steps"),
                &actual,
                &vec_f64(exp, &at)?,
                OPTIMIZER,
            );
        }
    }
    Ok(())
}

/// Builds the fixture's model, trains it as TensorFlow did, and compares everything.
fn check_fit(f: &Value, report: &mut Report) -> Result<()> {
    let at = "fit";
    let x = matrix_f32(field(f, "x", at)?, "fit.x")?;
    let y = Array1::from(
        vec_f64(field(f, "y", at)?, "fit.y")?
            .into_iter()
            .map(|v| v as f32)
            .collect::<Vec<_>>(),
    );
    let mut layers = vec![InputLayer::new(&[x.ncols()]).into()];
    for l in field(f, "layers", at)?
        .as_array()
        .ok_or_else(|| fixture_err("fixture: fit.layers should be a list"))?
    {
        let units = number(field(l, "units", "fit.layers")?, "units")? as usize;
        let mut d = Dense::new(units);
        if let Some(a) = l.get("activation").and_then(Value::as_str) {
            d = d.activation(a);
        }
        layers.push(d.into());
    }
    let model = Sequential::new(layers);
    run_fit(f, model, &x.into_dyn(), &y, at, report)
}

/// Sets the fixture's initial weights on `model`, compiles and trains it as TensorFlow did,
/// and compares the history, the final weights, `evaluate` and `predict` (group `at`).
fn run_fit(
    f: &Value,
    mut model: Sequential,
    x: &ArrayD<f32>,
    y: &Array1<f32>,
    at: &'static str,
    report: &mut Report,
) -> Result<()> {
    let weights: Vec<ArrayD<f32>> = field(f, "initial_weights", at)?
        .as_array()
        .ok_or_else(|| fixture_err("fixture: fit.initial_weights should be a list"))?
        .iter()
        .map(|w| array_f32(w, "fit.initial_weights"))
        .collect::<std::result::Result<_, _>>()?;
    model.set_weights(&weights)?;

    let opt = field(f, "optimizer", at)?;
    let opt_name = field(opt, "name", "fit.optimizer")?
        .as_str()
        .ok_or_else(|| fixture_err("fixture: fit.optimizer.name should be a string"))?;
    let optimizer = optimizers::from_config(opt_name, opt)?;
    let loss = field(f, "loss", at)?
        .as_str()
        .ok_or_else(|| fixture_err("fixture: fit.loss should be a string"))?;
    let history = field(f, "history", at)?
        .as_object()
        .ok_or_else(|| fixture_err("fixture: fit.history should be an object"))?;
    // The metrics are the history keys besides the loss and the val_ ones.
    let metrics: Vec<&str> = history
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "loss" && !k.starts_with("val_"))
        .collect();
    model.compile(optimizer, loss, &metrics)?;
    let options = FitOptions {
        batch_size: number(field(f, "batch_size", at)?, "batch_size")? as usize,
        epochs: number(field(f, "epochs", at)?, "epochs")? as usize,
        verbose: 0,
        shuffle: f.get("shuffle").and_then(Value::as_bool).unwrap_or(true),
        validation_split: f
            .get("validation_split")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        ..Default::default()
    };
    let h = model.fit(x, y, options)?;
    for (key, expected) in history {
        let actual = h.get(key).map(<[f64]>::to_vec).unwrap_or_default();
        report.push(
            at,
            format!("history {key}"),
            &actual,
            &vec_f64(expected, key)?,
            FIT,
        );
    }
    let final_weights = field(f, "final_weights", at)?
        .as_array()
        .ok_or_else(|| fixture_err("fixture: fit.final_weights should be a list"))?;
    let got = model.get_weights()?;
    for (i, (w, e)) in got.iter().zip(final_weights).enumerate() {
        let kind = if i % 2 == 0 { "kernel" } else { "bias" };
        report.push(
            at,
            format!("final weights {} {kind}", i / 2),
            &widen(w.iter().copied()),
            &vec_f64(e, "final_weights")?,
            FIT,
        );
    }
    if got.len() != final_weights.len() {
        return Err(fixture_err(format!(
            "fixture: {} final weight arrays but the model has {}",
            final_weights.len(),
            got.len()
        )));
    }
    if let Some(ev) = f.get("evaluate_all").and_then(Value::as_object) {
        let result = model.evaluate(
            x,
            y,
            EvaluateOptions {
                verbose: 0,
                ..Default::default()
            },
        )?;
        for (key, expected) in ev {
            let actual = result.get(key).map(|v| vec![v]).unwrap_or_default();
            report.push(
                at,
                format!("evaluate {key}"),
                &actual,
                &[number(expected, key)?],
                FIT,
            );
        }
    }
    if let Some(p) = f.get("predict_first_3") {
        let expected = matrix_f32(p, "predict_first_3")?;
        let rows = expected.nrows().min(x.shape()[0]);
        let pred = model.predict(
            &x.slice_axis(ndarray::Axis(0), ndarray::Slice::from(..rows)),
            PredictOptions {
                verbose: 0,
                ..Default::default()
            },
        )?;
        report.push(
            at,
            format!("predict first {rows}"),
            &widen(pred.iter().copied()),
            &widen(expected.iter().copied()),
            FIT,
        );
    }
    Ok(())
}
