//! Training curves: what a Keras `History` recorded, one chart per quantity, as PNG.
//!
//! [`plot_history`] draws what the TensorFlow tutorials draw with matplotlib after `fit`: for
//! `loss` and then each metric, the training value and, when the run was validated, the `val_`
//! value, per epoch (counted from 1, as Keras prints them). [`history_panels`] decides which
//! series share a chart, from their names alone.
//!
//! The history comes as plain data (epoch numbers and named series) so that this crate knows no
//! model library. With keras-lite:
//!
//! ```text
//! let series: Vec<(&str, &[f64])> = history.series().collect();
//! plot::training::plot_history(&path, &history.epoch, &series)?;
//! ```

use crate::{Area, DrawResult, PALETTE, PlotError, padded_range, register_fonts};
use plotters::prelude::*;
use std::path::Path;

/// The charts to draw for the series named `keys`, in order: `loss` first, then the other
/// quantities in the order given, each paired with its `val_` series when there is one:
/// `["accuracy", "loss", "val_loss", "val_accuracy"]` gives
/// `[("loss", Some("val_loss")), ("accuracy", Some("val_accuracy"))]`.
///
/// A `val_x` without an `x` gets a chart of its own.
pub fn history_panels<'a>(keys: &[&'a str]) -> Vec<(&'a str, Option<&'a str>)> {
    let mut bases: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| {
            k.strip_prefix("val_")
                .is_none_or(|base| !keys.contains(&base))
        })
        .collect();
    // loss first, as Keras logs it (a stable sort keeps the others in order)
    bases.sort_by_key(|k| *k != "loss");
    bases
        .into_iter()
        .map(|base| {
            let val = keys
                .iter()
                .copied()
                .find(|k| k.strip_prefix("val_") == Some(base));
            (base, val)
        })
        .collect()
}

/// Draws a training history to `path` (PNG): one chart per quantity of [`history_panels`],
/// side by side (560 x 440 pixels each), training in blue and validation in orange, with a dot
/// at each epoch.
///
/// - `epochs`: the epochs run, 0-based as Keras' `History.epoch` (drawn from 1, as Keras
///   prints them);
/// - `series`: `(name, one value per epoch)`, as Keras' `History.history`. A `val_` series
///   may be shorter (`validation_freq > 1`): it is drawn at the last epochs.
///
/// Errors: no epochs or no series (nothing to draw), or the file cannot be written.
pub fn plot_history(
    path: &Path,
    epochs: &[usize],
    series: &[(&str, &[f64])],
) -> Result<(), PlotError> {
    let keys: Vec<&str> = series.iter().map(|(k, _)| *k).collect();
    let panels = history_panels(&keys);
    if panels.is_empty() || epochs.is_empty() {
        return Err(PlotError::new(
            path,
            "the history has no epochs to draw; plot what fit returned after at least one epoch",
        ));
    }
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let (w, h) = (560u32, 440u32);
    let root = BitMapBackend::new(path, (w * panels.len() as u32, h)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let areas = root.split_evenly((1, panels.len()));
    let values = |key: &str| series.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    for ((base, val), area) in panels.iter().zip(areas.iter()) {
        let curves = [("Training", Some(*base)), ("Validation", *val)]
            .into_iter()
            .filter_map(|(label, key)| Some((label, values(key?)?)));
        draw_history_panel(area, epochs, base, curves).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// A Keras name as a title: `val_loss` -> `Val loss`, `accuracy` -> `Accuracy`.
fn title_case(name: &str) -> String {
    let s = name.replace('_', " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// One chart: the quantity `base` per epoch, one curve per `(label, values)`.
fn draw_history_panel<'a>(
    area: &Area<'_>,
    epochs: &[usize],
    base: &str,
    curves: impl Iterator<Item = (&'a str, &'a [f64])>,
) -> DrawResult {
    // Keras counts epochs from 1 in its output; History.epoch is 0-based.
    let xs: Vec<f64> = epochs.iter().map(|&e| e as f64 + 1.0).collect();
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (label, values) in curves {
        // A val_ series can be shorter (validation_freq > 1): it belongs to the last epochs
        // validated, which History does not record; align it to the end when shorter.
        let offset = xs.len().saturating_sub(values.len());
        let points = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (xs[(offset + i).min(xs.len() - 1)], v))
            .collect();
        series.push((format!("{label} {}", base.replace('_', " ")), points));
    }
    let (x0, x1) = if xs.len() == 1 {
        (xs[0] - 0.5, xs[0] + 0.5)
    } else {
        (xs[0] - 0.2, xs[xs.len() - 1] + 0.2)
    };
    let (y0, y1) = padded_range(series.iter().flat_map(|(_, p)| p.iter().map(|q| q.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(title_case(base), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let n = xs.len();
    chart
        .configure_mesh()
        .x_labels(n.min(12) + 2)
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-9 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        })
        .y_labels(8)
        .y_label_formatter(&|y| format!("{y:.3}"))
        .x_desc("Epoch")
        .y_desc(base.replace('_', " "))
        .label_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    // The legend goes where the curves are not: down when they rise (accuracies), up when
    // they fall (losses).
    let rising = series
        .first()
        .and_then(|(_, p)| Some(p.last()?.1 > p.first()?.1))
        .unwrap_or(false);
    for (i, (label, points)) in series.into_iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let finite: Vec<(f64, f64)> = points.into_iter().filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(finite.clone(), color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(
            finite
                .into_iter()
                .map(|p| Circle::new(p, 4, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(if rising {
            SeriesLabelPosition::LowerRight
        } else {
            SeriesLabelPosition::UpperRight
        })
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png_size;

    /// `keys` recorded over `epochs` epochs: key j at epoch e is 1 / (e + j + 1).
    fn history(
        keys: &[&'static str],
        epochs: usize,
    ) -> (Vec<usize>, Vec<(&'static str, Vec<f64>)>) {
        let series = keys
            .iter()
            .enumerate()
            .map(|(j, k)| (*k, (0..epochs).map(|e| 1.0 / (e + j + 1) as f64).collect()))
            .collect();
        ((0..epochs).collect(), series)
    }

    fn borrowed<'a>(series: &'a [(&'a str, Vec<f64>)]) -> Vec<(&'a str, &'a [f64])> {
        series.iter().map(|(k, v)| (*k, v.as_slice())).collect()
    }

    #[test]
    fn panels_pair_each_quantity_with_its_validation() {
        assert_eq!(
            history_panels(&["accuracy", "loss", "val_loss", "val_accuracy"]),
            vec![
                ("loss", Some("val_loss")),
                ("accuracy", Some("val_accuracy"))
            ]
        );
        assert_eq!(
            history_panels(&["loss", "mae"]),
            vec![("loss", None), ("mae", None)]
        );
        // loss first whatever its place; the others keep their order; a lone val_ series
        // (no training series of that name) is a quantity of its own
        assert_eq!(
            history_panels(&["mae", "val_mae", "val_auc", "loss", "accuracy"]),
            vec![
                ("loss", None),
                ("mae", Some("val_mae")),
                ("val_auc", None),
                ("accuracy", None)
            ]
        );
        assert!(history_panels(&[]).is_empty());
    }

    #[test]
    fn history_png_has_one_panel_per_quantity() {
        let path = std::env::temp_dir().join(format!("plot-history-{}.png", std::process::id()));
        let (epochs, series) = history(&["loss", "accuracy", "val_loss", "val_accuracy"], 5);
        plot_history(&path, &epochs, &borrowed(&series)).unwrap();
        assert_eq!(png_size(&path), (2 * 560, 440));
        let (epochs, series) = history(&["loss"], 1);
        plot_history(&path, &epochs, &borrowed(&series)).unwrap();
        assert_eq!(png_size(&path), (560, 440));
        // a validation series shorter than the epochs (validation_freq = 2) still draws
        let (epochs, mut series) = history(&["loss", "val_loss"], 4);
        series[1].1.truncate(2);
        plot_history(&path, &epochs, &borrowed(&series)).unwrap();
        assert_eq!(png_size(&path), (560, 440));
        std::fs::remove_file(&path).unwrap();
        let err = plot_history(&path, &[], &[]).unwrap_err().to_string();
        assert!(err.contains("no epochs"), "{err}");
        assert!(plot_history(&path, &[0], &[]).is_err());
        assert!(!path.exists());
    }
}
