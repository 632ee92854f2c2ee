//! Drawing the book's figures to PNG files, shared by every chapter's examples.
//!
//! The book draws with matplotlib into a window; here every figure is a PNG written with
//! `plotters` (pure Rust, no system font library: the DejaVu font is compiled in). Examples
//! take `--out DIR` (default `figures/`) and print each path they write.

use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A failure while drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
#[error("could not write figure {path}: {message}")]
pub struct PlotError {
    pub path: PathBuf,
    pub message: String,
}

impl PlotError {
    /// Wraps any drawing error together with the file it was meant for.
    pub fn new(path: &Path, err: impl std::fmt::Display) -> Self {
        PlotError {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}

/// Registers the compiled-in DejaVu Sans as plotters' `"sans-serif"` font (once per process).
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The `--out DIR` argument of an example (default `figures/`), created if missing.
pub fn out_dir_from_args() -> Result<PathBuf, PlotError> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("figures"));
    std::fs::create_dir_all(&dir).map_err(|e| PlotError::new(&dir, e))?;
    Ok(dir)
}

/// One named curve of a line chart: `(x, y)` points in order.
#[derive(Debug, Clone)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A curve from its label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }
}

/// A palette that stays readable on white, one colour per series in turn.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The smallest and largest finite value of `values`, widened a little so curves do not
/// touch the frame (and made non-empty when all values are equal).
pub fn padded_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    (lo - pad, hi + pad)
}

/// Draws `series` as lines on one chart of 800x600 pixels and writes it to `path` as PNG.
///
/// The y range is taken from the data unless `y_range` is given (the book fixes it for
/// some figures, e.g. `ylim(-0.1, 1.1)` for the sigmoid).
pub fn line_chart(
    path: &Path,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    y_range: Option<(f64, f64)>,
) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let (x0, x1) = padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = y_range
        .unwrap_or_else(|| padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))));
    let root = BitMapBackend::new(path, (800, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 26))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(s.label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    if series.iter().any(|s| !s.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 16))
            .draw()
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
