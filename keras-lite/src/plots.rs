//! Pictures of training: the [`History`] curves and the tutorial's prediction figure, as PNG.
//!
//! - [`plot_history`]: one chart per quantity (`loss`, then each metric), the training value
//!   and, when the run was validated, the `val_` value, per epoch (epochs counted from 1, as
//!   Keras prints them). What the TensorFlow tutorials draw with matplotlib after `fit`.
//! - [`plot_predictions`]: the beginner tutorial's grid (its `plot_image` and
//!   `plot_value_array`): each test image in black on white, captioned
//!   `predicted confidence% (true)` in blue when right and red when wrong, beside a bar chart
//!   of the class probabilities, the predicted bar red and the true one blue.
//!
//! Both draw with plotters through the `plot` crate's helpers (fonts, palette, [`PlotError`]).

use crate::history::History;
use ndarray::{ArrayView2, ArrayView3};
use plot::{PALETTE, PlotError, padded_range, register_fonts};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Blue of a right prediction and of the true class (matplotlib's `"blue"`).
pub const RIGHT: RGBColor = RGBColor(0, 0, 255);
/// Red of a wrong prediction and of the predicted class (matplotlib's `"red"`).
pub const WRONG: RGBColor = RGBColor(255, 0, 0);
/// Grey of the other bars (the tutorial's `"#777777"`).
pub const BAR: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// The quantities of a history in the order to draw them: `loss` first, then the metrics,
/// each with its `val_` series if recorded: `[("loss", Some("val_loss")), ("accuracy", ...)]`.
pub fn history_panels(history: &History) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    let keys: Vec<&str> = history.keys().collect();
    let mut bases: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !k.starts_with("val_") || !keys.contains(&&k[4..]))
        .collect();
    // loss first, as Keras logs it
    bases.sort_by_key(|k| *k != "loss");
    for base in bases {
        let val = format!("val_{base}");
        let val = keys.contains(&val.as_str()).then_some(val);
        out.push((base.to_string(), val));
    }
    out
}

/// Draws `history` to `path` (PNG): one chart per quantity, side by side, training in blue
/// and validation in orange, with a dot at each epoch.
///
/// Errors: an empty history, or the file cannot be written.
pub fn plot_history(history: &History, path: &Path) -> Result<(), PlotError> {
    let panels = history_panels(history);
    if panels.is_empty() || history.epoch.is_empty() {
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
    for ((base, val), area) in panels.iter().zip(areas.iter()) {
        draw_history_panel(area, history, base, val.as_deref()).map_err(|e| err(&e))?;
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

type DrawResult =
    Result<(), DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

fn draw_history_panel(
    area: &Area<'_>,
    history: &History,
    base: &str,
    val: Option<&str>,
) -> DrawResult {
    // Keras counts epochs from 1 in its output; History.epoch is 0-based.
    let xs: Vec<f64> = history.epoch.iter().map(|&e| e as f64 + 1.0).collect();
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (label, key) in [("Training", Some(base)), ("Validation", val)] {
        let Some(key) = key else { continue };
        let Some(values) = history.get(key) else {
            continue;
        };
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

/// The predicted class: ch03's `argmax` (the first maximum; NaN never wins).
fn argmax(row: &[f32]) -> usize {
    ch03_activations::argmax(row)
}

/// The caption of one image: `"Ankle boot 96% (Ankle boot)"` (the tutorial's
/// `"{} {:2.0f}% ({})"`), and whether the prediction is right. A class without a name in
/// `class_names` is written `label 12 (no name)`; no probabilities at all, `no prediction`.
pub fn prediction_caption(
    probabilities: &[f32],
    true_label: usize,
    class_names: &[&str],
) -> (String, bool) {
    let name = |i: usize| {
        class_names
            .get(i)
            .map_or_else(|| format!("label {i} (no name)"), |n| n.to_string())
    };
    if probabilities.is_empty() {
        return (format!("no prediction ({})", name(true_label)), false);
    }
    let predicted = argmax(probabilities);
    let confidence = 100.0 * probabilities[predicted] as f64;
    (
        format!(
            "{} {:2.0}% ({})",
            name(predicted),
            confidence,
            name(true_label)
        ),
        predicted == true_label,
    )
}

/// Draws the tutorial's prediction figure to `path` (PNG): the first `rows * cols` images,
/// each beside the bar chart of its predicted probabilities.
///
/// - `images`: (N, height, width), pixels in [0, 1] (0 white, 1 black, as `plt.cm.binary`;
///   values outside are clipped);
/// - `probabilities`: (N, classes), e.g. `model.predict` of a softmax model;
/// - `labels`: the N true classes; `class_names`: one name per class.
///
/// Errors, naming the fix: fewer than `rows * cols` images, counts that differ, a label
/// outside the classes, a wrong number of class names, or the file cannot be written.
pub fn plot_predictions(
    path: &Path,
    images: ArrayView3<'_, f32>,
    probabilities: ArrayView2<'_, f32>,
    labels: &[usize],
    class_names: &[&str],
    rows: usize,
    cols: usize,
) -> Result<(), PlotError> {
    let n = rows * cols;
    let classes = probabilities.ncols();
    let fail = |msg: String| Err(PlotError::new(path, msg));
    if n == 0 {
        return fail("rows and cols must both be at least 1".into());
    }
    if images.shape()[0] < n || probabilities.nrows() < n || labels.len() < n {
        return fail(format!(
            "a {rows}x{cols} grid needs {n} images, predictions and labels; got {} images, {} \
             predictions, {} labels",
            images.shape()[0],
            probabilities.nrows(),
            labels.len()
        ));
    }
    if class_names.len() != classes || classes == 0 {
        return fail(format!(
            "{} class names for {classes} predicted classes; give one name per output",
            class_names.len()
        ));
    }
    if let Some((i, &l)) = labels[..n].iter().enumerate().find(|(_, l)| **l >= classes) {
        return fail(format!(
            "label {l} of image {i} is not one of the {classes} classes"
        ));
    }
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    // One cell per image: the picture and the bar chart, each `side` pixels square, a caption
    // below. As the tutorial's figsize=(2*2*cols, 2*rows) at 100 dpi, a little larger.
    let side = 180u32;
    let caption = 34u32;
    let title = 44u32;
    let width = 2 * side * cols as u32;
    let height = title + (side + caption) * rows as u32;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, body) = root.split_vertically(title);
    top.draw(&Text::new(
        "Predicted class, confidence (true class): blue right, red wrong".to_string(),
        (12, 12),
        ("sans-serif", 20).into_font(),
    ))
    .map_err(|e| err(&e))?;
    let cells = body.split_evenly((rows, 2 * cols));
    for i in 0..n {
        let probs: Vec<f32> = probabilities.row(i).to_vec();
        let (text, right) = prediction_caption(&probs, labels[i], class_names);
        let image_area = &cells[2 * i];
        let bar_area = &cells[2 * i + 1];
        draw_image(
            image_area,
            images.index_axis(ndarray::Axis(0), i),
            &text,
            right,
            side,
        )
        .map_err(|e| err(&e))?;
        draw_bars(bar_area, &probs, argmax(&probs), labels[i], side).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// One picture in black on white (matplotlib's `plt.cm.binary`) in the top `side` x `side`
/// square of `area`, framed.
fn draw_picture(area: &Area<'_>, img: ArrayView2<'_, f32>, side: u32) -> DrawResult {
    let (h, w) = img.dim();
    let margin = 10i32;
    let box_side = side as i32 - 2 * margin;
    let scale = box_side as f64 / h.max(w).max(1) as f64;
    for ((r, c), &v) in img.indexed_iter() {
        // plt.cm.binary: 0 -> white, 1 -> black
        let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))).round() as u8;
        let x0 = margin + (c as f64 * scale).round() as i32;
        let y0 = margin + (r as f64 * scale).round() as i32;
        let x1 = margin + ((c + 1) as f64 * scale).round() as i32;
        let y1 = margin + ((r + 1) as f64 * scale).round() as i32;
        area.draw(&Rectangle::new(
            [(x0, y0), (x1, y1)],
            RGBColor(g, g, g).filled(),
        ))?;
    }
    area.draw(&Rectangle::new(
        [(margin, margin), (margin + box_side, margin + box_side)],
        BLACK.stroke_width(1),
    ))?;
    Ok(())
}

fn draw_image(
    area: &Area<'_>,
    img: ArrayView2<'_, f32>,
    text: &str,
    right: bool,
    side: u32,
) -> DrawResult {
    draw_picture(area, img, side)?;
    let color = if right { RIGHT } else { WRONG };
    let style = ("sans-serif", 14).into_font().color(&color);
    let (tw, _) = area.estimate_text_size(text, &style)?;
    let x = (side as i32 - tw as i32) / 2;
    // The caption may be wider than the picture: it then runs into the bar chart's margin,
    // as in the tutorial's figure.
    area.draw(&Text::new(
        text.to_string(),
        (x.max(2), side as i32 + 4),
        style,
    ))?;
    Ok(())
}

fn draw_bars(
    area: &Area<'_>,
    probs: &[f32],
    predicted: usize,
    truth: usize,
    side: u32,
) -> DrawResult {
    let k = probs.len();
    let inner = area.margin(10, 0, 6, 10);
    let (plot, _) = inner.split_vertically(side - 10);
    let mut chart = ChartBuilder::on(&plot)
        .x_label_area_size(16)
        .build_cartesian_2d(-0.5f64..(k as f64 - 0.5), 0f64..1f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .x_labels(k)
        .x_label_formatter(&|x| {
            if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                format!("{}", x.round() as i64)
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", 10))
        .draw()?;
    chart.draw_series(probs.iter().enumerate().map(|(i, &p)| {
        // The tutorial colours the predicted bar red, then the true one blue (blue wins when
        // they are the same bar).
        let color = if i == truth {
            RIGHT
        } else if i == predicted {
            WRONG
        } else {
            BAR
        };
        let x = i as f64;
        Rectangle::new(
            [(x - 0.4, 0.0), (x + 0.4, p.clamp(0.0, 1.0) as f64)],
            color.filled(),
        )
    }))?;
    // the frame of matplotlib's axes
    chart.draw_series(std::iter::once(Rectangle::new(
        [(-0.5, 0.0), (k as f64 - 0.5, 1.0)],
        BLACK.stroke_width(1),
    )))?;
    Ok(())
}

/// Draws `images` (N, height, width; pixels in [0, 1], 0 white and 1 black) in a grid of
/// `rows` x `cols`, each captioned with its text: the tutorial's first figure (the first 25
/// training images with their class names), or any set of samples.
///
/// Errors: fewer images or captions than cells, or the file cannot be written.
pub fn plot_images(
    path: &Path,
    images: ArrayView3<'_, f32>,
    captions: &[String],
    rows: usize,
    cols: usize,
) -> Result<(), PlotError> {
    let n = rows * cols;
    if n == 0 || images.shape()[0] < n || captions.len() < n {
        return Err(PlotError::new(
            path,
            format!(
                "a {rows}x{cols} grid needs {n} images and captions (at least one); got {} \
                 images, {} captions",
                images.shape()[0],
                captions.len()
            ),
        ));
    }
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let side = 150u32;
    let caption = 26u32;
    let root = BitMapBackend::new(path, (side * cols as u32, (side + caption) * rows as u32))
        .into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let cells = root.split_evenly((rows, cols));
    for (i, cell) in cells.iter().enumerate().take(n) {
        draw_picture(cell, images.index_axis(ndarray::Axis(0), i), side).map_err(|e| err(&e))?;
        let style = ("sans-serif", 14).into_font().color(&BLACK);
        let (tw, _) = cell
            .estimate_text_size(&captions[i], &style)
            .map_err(|e| err(&e))?;
        let x = (side as i32 - tw as i32) / 2;
        cell.draw(&Text::new(
            captions[i].clone(),
            (x.max(2), side as i32 + 2),
            style,
        ))
        .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Logs;
    use ndarray::{Array2, Array3};

    fn history(keys: &[&str], epochs: usize) -> History {
        let mut h = History::default();
        for e in 0..epochs {
            let mut l = Logs::new();
            for (j, k) in keys.iter().enumerate() {
                l.insert(*k, 1.0 / (e + j + 1) as f64);
            }
            h.record(e, &l);
        }
        h
    }

    /// Width and height from a PNG's IHDR chunk (and a check of the signature).
    pub(crate) fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
        assert_eq!(&b[12..16], b"IHDR");
        let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
        let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
        (w, h)
    }

    #[test]
    fn panels_pair_each_quantity_with_its_validation() {
        let h = history(&["accuracy", "loss", "val_loss", "val_accuracy"], 2);
        assert_eq!(
            history_panels(&h),
            vec![
                ("loss".to_string(), Some("val_loss".to_string())),
                ("accuracy".to_string(), Some("val_accuracy".to_string())),
            ]
        );
        let h = history(&["loss", "mae"], 1);
        assert_eq!(
            history_panels(&h),
            vec![("loss".into(), None), ("mae".into(), None)]
        );
    }

    #[test]
    fn history_png_has_one_panel_per_quantity() {
        let path = std::env::temp_dir().join(format!("kl-history-{}.png", std::process::id()));
        plot_history(
            &history(&["loss", "accuracy", "val_loss", "val_accuracy"], 5),
            &path,
        )
        .unwrap();
        assert_eq!(png_size(&path), (2 * 560, 440));
        plot_history(&history(&["loss"], 1), &path).unwrap();
        assert_eq!(png_size(&path), (560, 440));
        std::fs::remove_file(&path).unwrap();
        assert!(plot_history(&History::default(), &path).is_err());
    }

    #[test]
    fn image_grid_png_and_its_checks() {
        let path = std::env::temp_dir().join(format!("kl-grid-{}.png", std::process::id()));
        let images = Array3::<f32>::from_shape_fn((4, 5, 5), |(i, r, c)| ((i * r + c) % 2) as f32);
        let captions: Vec<String> = (0..4).map(|i| format!("image {i}")).collect();
        plot_images(&path, images.view(), &captions, 2, 2).unwrap();
        assert_eq!(png_size(&path), (2 * 150, 2 * (150 + 26)));
        std::fs::remove_file(&path).unwrap();
        let err = plot_images(&path, images.view(), &captions[..3], 2, 2).unwrap_err();
        assert!(err.to_string().contains("3 captions"), "{err}");
    }

    #[test]
    fn captions_follow_the_tutorial() {
        let names = ["a", "b", "c"];
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 1, &names),
            ("b 85% (b)".to_string(), true)
        );
        assert_eq!(
            prediction_caption(&[0.05, 0.91, 0.04], 2, &names),
            ("b 91% (c)".to_string(), false)
        );
        // "{:2.0f}" pads single digits
        assert_eq!(
            prediction_caption(&[0.4, 0.3, 0.3], 0, &names).0,
            "a 40% (a)"
        );
        assert_eq!(
            prediction_caption(&[0.04, 0.03, 0.03], 0, &names).0,
            "a  4% (a)"
        );
        // Labels outside the class names (a user's data) are captioned, not a panic.
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 12, &names),
            ("b 85% (label 12 (no name))".to_string(), false)
        );
        assert_eq!(
            prediction_caption(&[0.1, 0.05, 0.05, 0.8], 3, &names),
            (
                "label 3 (no name) 80% (label 3 (no name))".to_string(),
                true
            )
        );
        assert_eq!(
            prediction_caption(&[], 1, &names),
            ("no prediction (b)".to_string(), false)
        );
    }

    #[test]
    fn prediction_grid_checks_its_inputs_and_writes_the_png() {
        let path = std::env::temp_dir().join(format!("kl-pred-{}.png", std::process::id()));
        let images =
            Array3::<f32>::from_shape_fn((6, 8, 8), |(i, r, c)| ((i + r + c) % 3) as f32 / 2.0);
        let probs =
            Array2::<f32>::from_shape_fn((6, 3), |(i, j)| if i % 3 == j { 0.8 } else { 0.1 });
        let labels = [0, 1, 2, 1, 1, 1];
        let names = ["x", "y", "z"];
        plot_predictions(&path, images.view(), probs.view(), &labels, &names, 2, 3).unwrap();
        assert_eq!(png_size(&path), (2 * 180 * 3, 44 + 2 * (180 + 34)));
        std::fs::remove_file(&path).unwrap();
        let e = |r: Result<(), PlotError>| r.unwrap_err().to_string();
        assert!(
            e(plot_predictions(
                &path,
                images.view(),
                probs.view(),
                &labels,
                &names,
                3,
                3
            ))
            .contains("needs 9 images")
        );
        assert!(
            e(plot_predictions(
                &path,
                images.view(),
                probs.view(),
                &labels,
                &names[..2],
                2,
                3
            ))
            .contains("2 class names")
        );
        assert!(
            e(plot_predictions(
                &path,
                images.view(),
                probs.view(),
                &[0, 1, 5, 0, 0, 0],
                &names,
                2,
                3
            ))
            .contains("label 5")
        );
    }
}
