//! The TensorFlow beginner tutorial's prediction figure (its `plot_image` and
//! `plot_value_array`), as PNG: each test image in black on white, captioned
//! `predicted confidence% (true)` in blue when right and red when wrong, beside a bar chart of
//! the class probabilities, the predicted bar red and the true one blue.
//!
//! The caller gives the predicted class of each image (the argmax of its probabilities:
//! keras-lite's `metrics::argmax`, which is ch03's), so that this crate computes nothing a
//! model library already does.

use crate::images::draw_picture;
use crate::{Area, DrawResult, PlotError, register_fonts};
use ndarray::{ArrayView2, ArrayView3};
use plotters::prelude::*;
use std::path::Path;

/// Blue of a right prediction and of the true class (matplotlib's `"blue"`).
pub const RIGHT: RGBColor = RGBColor(0, 0, 255);
/// Red of a wrong prediction and of the predicted class (matplotlib's `"red"`).
pub const WRONG: RGBColor = RGBColor(255, 0, 0);
/// Grey of the other bars (the tutorial's `"#777777"`).
pub const BAR: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// The caption of one image: `"Ankle boot 96% (Ankle boot)"` (the tutorial's
/// `"{} {:2.0f}% ({})"`, the confidence being `probabilities[predicted]`), and whether the
/// prediction is right. A class without a name in `class_names` is written
/// `label 12 (no name)`; no probability for `predicted` (none at all, or an index past them),
/// `no prediction`.
pub fn prediction_caption(
    probabilities: &[f32],
    predicted: usize,
    true_label: usize,
    class_names: &[&str],
) -> (String, bool) {
    let name = |i: usize| {
        class_names
            .get(i)
            .map_or_else(|| format!("label {i} (no name)"), |n| n.to_string())
    };
    let Some(&p) = probabilities.get(predicted) else {
        return (format!("no prediction ({})", name(true_label)), false);
    };
    let confidence = 100.0 * p as f64;
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

/// Draws the tutorial's prediction figure to `path` (PNG): the first `rows * cols` images in
/// a `grid` of `(rows, cols)` cells, each image beside the bar chart of its predicted
/// probabilities (a cell is 2 x 180 by 214 pixels, under a 44-pixel title).
///
/// - `images`: (N, height, width), pixels in [0, 1] (0 white, 1 black, as `plt.cm.binary`;
///   values outside are clipped);
/// - `probabilities`: (N, classes), e.g. `model.predict` of a softmax model;
/// - `predicted`: the N predicted classes (each row's argmax);
/// - `labels`: the N true classes; `class_names`: one name per class.
///
/// Errors, naming the fix: fewer than `rows * cols` images, predictions or labels, a wrong
/// number of class names, a predicted class or a label outside the classes, or the file
/// cannot be written.
pub fn plot_predictions(
    path: &Path,
    images: ArrayView3<'_, f32>,
    probabilities: ArrayView2<'_, f32>,
    predicted: &[usize],
    labels: &[usize],
    class_names: &[&str],
    grid: (usize, usize),
) -> Result<(), PlotError> {
    let (rows, cols) = grid;
    let n = rows * cols;
    let classes = probabilities.ncols();
    let fail = |msg: String| Err(PlotError::new(path, msg));
    if n == 0 {
        return fail("rows and cols must both be at least 1".into());
    }
    if images.shape()[0] < n || probabilities.nrows() < n || predicted.len() < n || labels.len() < n
    {
        return fail(format!(
            "a {rows}x{cols} grid needs {n} images, predictions and labels; got {} images, {} \
             predictions ({} predicted classes), {} labels",
            images.shape()[0],
            probabilities.nrows(),
            predicted.len(),
            labels.len()
        ));
    }
    if class_names.len() != classes || classes == 0 {
        return fail(format!(
            "{} class names for {classes} predicted classes; give one name per output",
            class_names.len()
        ));
    }
    if let Some((i, &p)) = predicted[..n]
        .iter()
        .enumerate()
        .find(|(_, p)| **p >= classes)
    {
        return fail(format!(
            "predicted class {p} of image {i} is not one of the {classes} classes; pass the \
             argmax of each row of the probabilities"
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
        let (text, right) = prediction_caption(&probs, predicted[i], labels[i], class_names);
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
        draw_bars(bar_area, &probs, predicted[i], labels[i], side).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// The tutorial's `plot_image`: the picture and its caption, blue when right, red when wrong.
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

/// The tutorial's `plot_value_array`: one bar per class probability.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png_size;
    use ndarray::{Array2, Array3};

    #[test]
    fn captions_follow_the_tutorial() {
        let names = ["a", "b", "c"];
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 1, 1, &names),
            ("b 85% (b)".to_string(), true)
        );
        assert_eq!(
            prediction_caption(&[0.05, 0.91, 0.04], 1, 2, &names),
            ("b 91% (c)".to_string(), false)
        );
        // "{:2.0f}" pads single digits
        assert_eq!(
            prediction_caption(&[0.4, 0.3, 0.3], 0, 0, &names).0,
            "a 40% (a)"
        );
        assert_eq!(
            prediction_caption(&[0.04, 0.03, 0.03], 0, 0, &names).0,
            "a  4% (a)"
        );
        // Labels outside the class names (a user's data) are captioned, not a panic.
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 1, 12, &names),
            ("b 85% (label 12 (no name))".to_string(), false)
        );
        assert_eq!(
            prediction_caption(&[0.1, 0.05, 0.05, 0.8], 3, 3, &names),
            (
                "label 3 (no name) 80% (label 3 (no name))".to_string(),
                true
            )
        );
        assert_eq!(
            prediction_caption(&[], 0, 1, &names),
            ("no prediction (b)".to_string(), false)
        );
        // the confidence is the predicted class's probability, whatever class that is
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 2, 2, &names),
            ("c  5% (c)".to_string(), true)
        );
        // a predicted index past the probabilities is no prediction, not a panic
        assert_eq!(
            prediction_caption(&[0.1, 0.85, 0.05], 3, 1, &names),
            ("no prediction (b)".to_string(), false)
        );
    }

    #[test]
    fn prediction_grid_checks_its_inputs_and_writes_the_png() {
        let path = std::env::temp_dir().join(format!("plot-pred-{}.png", std::process::id()));
        let images =
            Array3::<f32>::from_shape_fn((6, 8, 8), |(i, r, c)| ((i + r + c) % 3) as f32 / 2.0);
        let probs =
            Array2::<f32>::from_shape_fn((6, 3), |(i, j)| if i % 3 == j { 0.8 } else { 0.1 });
        let predicted = [0, 1, 2, 0, 1, 2];
        let labels = [0, 1, 2, 1, 1, 1];
        let names = ["x", "y", "z"];
        let draw = |predicted: &[usize], labels: &[usize], names: &[&str], rows| {
            plot_predictions(
                &path,
                images.view(),
                probs.view(),
                predicted,
                labels,
                names,
                (rows, 3),
            )
        };
        draw(&predicted, &labels, &names, 2).unwrap();
        assert_eq!(png_size(&path), (2 * 180 * 3, 44 + 2 * (180 + 34)));
        std::fs::remove_file(&path).unwrap();
        let e = |r: Result<(), PlotError>| r.unwrap_err().to_string();
        assert!(e(draw(&predicted, &labels, &names, 3)).contains("needs 9 images"));
        assert!(e(draw(&predicted, &labels, &names[..2], 2)).contains("2 class names"));
        assert!(e(draw(&predicted, &[0, 1, 5, 0, 0, 0], &names, 2)).contains("label 5"));
        let err = e(draw(&predicted[..5], &labels, &names, 2));
        assert!(err.contains("5 predicted classes"), "{err}");
        let err = e(draw(&[0, 1, 2, 3, 1, 2], &labels, &names, 2));
        assert!(err.contains("predicted class 3 of image 3"), "{err}");
        assert!(!path.exists());
    }
}
