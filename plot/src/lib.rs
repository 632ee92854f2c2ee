//! # plot: the book's figures as PNG files
//!
//! The book draws with matplotlib into a window; here every figure is a PNG written with
//! `plotters` (pure Rust, no system font library: the DejaVu font is compiled in). The
//! chapters' examples and keras-lite's examples draw through this crate, which sits beside the
//! chapters rather than inside one, so that no chapter, nor keras-lite, brings plotters to the
//! crates that use it.
//! Examples take `--out DIR` (default `figures/`) and print each path they write.
//!
//! | item | what |
//! |---|---|
//! | [`line_chart`], [`Series`] | curves on one chart (matplotlib's `plot`, `legend`, `ylim`) |
//! | [`grid_chart`], [`Panel`] | several charts on one sheet (`subplot`) |
//! | [`gray_image`] | a grayscale picture with a caption (the book's `img_show`) |
//! | [`out_dir_from_args`] | the examples' `--out DIR` |
//! | [`register_fonts`], [`PALETTE`], [`padded_range`], [`clip_to_band`] | for figures drawn with plotters directly |
//!
//! and one module per figure of keras-lite's examples, fed plain data (this crate knows no
//! model library, so a program using keras-lite compiles no plotters):
//!
//! | module | what |
//! |---|---|
//! | [`training`] | a Keras `History` per epoch, `loss` then each metric, with its `val_` curve ([`training::plot_history`]) |
//! | [`images`] | a grid of captioned pictures, black on white: the TensorFlow tutorial's first figure ([`images::plot_images`]) |
//! | [`predictions`] | the tutorial's prediction figure: each image captioned with predicted class, confidence and true class, beside its probability bars ([`predictions::plot_predictions`]) |

pub mod images;
pub mod predictions;
pub mod training;

use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// A failure while drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
#[error("could not write figure {path}: {message}")]
pub struct PlotError {
    /// The figure that could not be written.
    pub path: PathBuf,
    /// What went wrong, from plotters or the file system.
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
///
/// `--out=DIR` works too; `--out` with nothing after it is an error rather than a silent
/// fall-back to the default. Other arguments are left for the example to read.
pub fn out_dir_from_args() -> Result<PathBuf, PlotError> {
    let dir = out_dir_from(std::env::args().skip(1))?;
    std::fs::create_dir_all(&dir).map_err(|e| PlotError::new(&dir, e))?;
    Ok(dir)
}

/// The directory an argument list asks for with `--out DIR` or `--out=DIR` (default
/// `figures`), without creating it.
pub fn out_dir_from(args: impl IntoIterator<Item = String>) -> Result<PathBuf, PlotError> {
    let mut args = args.into_iter();
    let mut dir = PathBuf::from("figures");
    while let Some(arg) = args.next() {
        if let Some(d) = arg.strip_prefix("--out=") {
            dir = PathBuf::from(d);
        } else if arg == "--out" {
            dir = args.next().map(PathBuf::from).unwrap_or_default();
        } else {
            continue;
        }
        if dir.as_os_str().is_empty() {
            return Err(PlotError::new(
                Path::new("--out"),
                "the option needs a directory after it, e.g. `--out figures`",
            ));
        }
    }
    Ok(dir)
}

/// One named curve of a line chart: `(x, y)` points in order.
#[derive(Debug, Clone)]
pub struct Series {
    /// The name in the legend.
    pub label: String,
    /// The `(x, y)` points, joined in this order.
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
    let root = BitMapBackend::new(path, (800, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let panel = Panel {
        title: title.to_string(),
        x_desc: x_desc.to_string(),
        y_desc: y_desc.to_string(),
        series: series.to_vec(),
        y_range,
    };
    draw_panel(&root, &panel, &Sizes::FULL).map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// One small chart of a [`grid_chart`]: a title, axis descriptions, curves, and an optional
/// fixed y range (taken from the data otherwise).
#[derive(Debug, Clone)]
pub struct Panel {
    /// The caption above the panel.
    pub title: String,
    /// The x axis description.
    pub x_desc: String,
    /// The y axis description.
    pub y_desc: String,
    /// The curves, coloured from [`PALETTE`] in turn.
    pub series: Vec<Series>,
    /// A fixed y range (`ylim`), or `None` for the data's [`padded_range`].
    pub y_range: Option<(f64, f64)>,
}

impl Panel {
    /// A panel with a title and curves, no axis descriptions, the y range from the data.
    pub fn new(title: impl Into<String>, series: Vec<Series>) -> Self {
        Panel {
            title: title.into(),
            x_desc: String::new(),
            y_desc: String::new(),
            series,
            y_range: None,
        }
    }

    /// Fixes the y range (like matplotlib's `ylim`).
    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Sets the x and y axis descriptions.
    pub fn with_axes(mut self, x_desc: impl Into<String>, y_desc: impl Into<String>) -> Self {
        self.x_desc = x_desc.into();
        self.y_desc = y_desc.into();
        self
    }
}

/// Draws `panels` on one sheet, `columns` to a row (like matplotlib's `subplot`), each
/// `cell` pixels (width, height), under a common `title`, and writes it to `path` as PNG.
///
/// An empty list of panels, zero columns or a zero-sized cell is an error (nothing to draw).
pub fn grid_chart(
    path: &Path,
    title: &str,
    panels: &[Panel],
    columns: usize,
    cell: (u32, u32),
) -> Result<(), PlotError> {
    if panels.is_empty() || columns == 0 || cell.0 == 0 || cell.1 == 0 {
        return Err(PlotError::new(
            path,
            format!(
                "a grid needs at least one panel, one column and a non-empty cell \
                 (got {} panels, {columns} columns, cell {}x{})",
                panels.len(),
                cell.0,
                cell.1
            ),
        ));
    }
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let rows = panels.len().div_ceil(columns);
    let title_height = 50;
    let width = cell.0 * columns as u32;
    let height = cell.1 * rows as u32 + title_height;
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, body) = root.split_vertically(title_height);
    top.draw(&Text::new(
        title.to_string(),
        (15, 12),
        ("sans-serif", 26).into_font(),
    ))
    .map_err(|e| err(&e))?;
    let cells = body.split_evenly((rows, columns));
    for (panel, area) in panels.iter().zip(cells.iter()) {
        draw_panel(area, panel, &Sizes::SMALL).map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Font sizes and margins of a full-size chart and of a grid cell.
struct Sizes {
    caption: u32,
    label: u32,
    margin: u32,
    x_area: u32,
    y_area: u32,
    stroke: u32,
    labels: usize,
    light_lines: bool,
    legend: SeriesLabelPosition,
}

impl Sizes {
    const FULL: Sizes = Sizes {
        caption: 26,
        label: 16,
        margin: 15,
        x_area: 45,
        y_area: 60,
        stroke: 2,
        labels: 10,
        light_lines: true,
        legend: SeriesLabelPosition::MiddleRight,
    };
    const SMALL: Sizes = Sizes {
        caption: 18,
        label: 12,
        margin: 8,
        x_area: 28,
        y_area: 42,
        stroke: 2,
        labels: 5,
        light_lines: false,
        legend: SeriesLabelPosition::UpperLeft,
    };
}

/// A region of a PNG being drawn, and what drawing into one returns (for every module).
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, plotters::coord::Shift>;
pub(crate) type DrawResult =
    Result<(), DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>>;

/// Draws one chart (axes, mesh, curves, legend) into `area`.
fn draw_panel(area: &Area<'_>, panel: &Panel, sizes: &Sizes) -> DrawResult {
    let series = &panel.series;
    let (x0, x1) = padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.0)));
    let (y0, y1) = panel
        .y_range
        .unwrap_or_else(|| padded_range(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", sizes.caption))
        .margin(sizes.margin)
        .x_label_area_size(sizes.x_area)
        .y_label_area_size(sizes.y_area)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    let mut mesh = chart.configure_mesh();
    if !sizes.light_lines {
        mesh.light_line_style(TRANSPARENT);
    }
    mesh.x_labels(sizes.labels)
        .y_labels(sizes.labels)
        .x_desc(panel.x_desc.as_str())
        .y_desc(panel.y_desc.as_str())
        .label_style(("sans-serif", sizes.label))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let stroke = sizes.stroke;
        // A curve leaving a fixed y range is cut at the frame (as matplotlib does), not
        // flattened along it: one line per piece that stays inside.
        let pieces = clip_to_band(&s.points, y0, y1);
        for (k, piece) in pieces.into_iter().enumerate() {
            let drawn = chart.draw_series(LineSeries::new(piece, color.stroke_width(stroke)))?;
            if k == 0 {
                drawn.label(s.label.clone()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(stroke))
                });
            }
        }
    }
    if series.iter().any(|s| !s.label.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", sizes.label))
            .position(sizes.legend.clone())
            .draw()?;
    }
    Ok(())
}

/// Splits a polyline into the pieces that lie within `lo <= y <= hi`, cutting each segment
/// that crosses the band's edge at the crossing point. Non-finite points end a piece.
pub fn clip_to_band(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<Vec<(f64, f64)>> {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let inside = |y: f64| (lo..=hi).contains(&y);
    let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    let mut flush = |current: &mut Vec<(f64, f64)>| {
        if !current.is_empty() {
            pieces.push(std::mem::take(current));
        }
    };
    for (k, &(x, y)) in points.iter().enumerate() {
        if !(x.is_finite() && y.is_finite()) {
            flush(&mut current);
            continue;
        }
        let prev = k
            .checked_sub(1)
            .map(|j| points[j])
            .filter(|p| p.0.is_finite() && p.1.is_finite());
        // the part of the segment prev -> (x, y) inside the band, as parameters t0 <= t1 in [0, 1]
        if let Some((px, py)) = prev {
            let dy = y - py;
            let (mut t0, mut t1) = (0.0f64, 1.0f64);
            if dy == 0.0 {
                if !inside(y) {
                    t0 = 1.0;
                    t1 = 0.0;
                }
            } else {
                let (a, b) = ((lo - py) / dy, (hi - py) / dy);
                t0 = t0.max(a.min(b));
                t1 = t1.min(a.max(b));
            }
            let at = |t: f64| (px + t * (x - px), py + t * dy);
            if t0 <= t1 {
                if t0 > 0.0 {
                    flush(&mut current); // re-entering the band
                    current.push(at(t0));
                } else if current.is_empty() {
                    current.push((px, py));
                }
                current.push(at(t1));
                if t1 < 1.0 {
                    flush(&mut current); // leaving the band
                }
            } else {
                flush(&mut current);
            }
        } else if inside(y) {
            current.push((x, y));
        }
    }
    flush(&mut current);
    pieces
}

/// A grayscale image as PIL's `Image.fromarray(np.uint8(img))` shows it (0 black, 255 white),
/// each pixel drawn as a `scale` x `scale` square, with `caption` on a white band below
/// (the book's `img_show` of 3.6.1).
pub fn gray_image(
    path: &Path,
    image: &ndarray::ArrayRef2<u8>,
    scale: u32,
    caption: &str,
) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let (rows, cols) = image.dim();
    let scale = scale.max(1);
    let (w, h) = (cols as u32 * scale, rows as u32 * scale);
    let band = 40;
    let root = BitMapBackend::new(path, (w.max(200), h + band)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let x0 = (w.max(200) - w) as i32 / 2;
    let s = scale as i32;
    for ((r, c), &v) in image.indexed_iter() {
        let (x, y) = (x0 + c as i32 * s, r as i32 * s);
        root.draw(&Rectangle::new(
            [(x, y), (x + s, y + s)],
            RGBColor(v, v, v).filled(),
        ))
        .map_err(|e| err(&e))?;
    }
    let font =
        ("sans-serif", 22)
            .into_font()
            .color(&BLACK)
            .pos(plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ));
    root.draw(&Text::new(
        caption,
        (w.max(200) as i32 / 2, (h + band / 2) as i32),
        font,
    ))
    .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

/// Width and height from a PNG's IHDR chunk (and a check of the signature): how the tests
/// check that a figure was written as a PNG of the size its function documents.
#[cfg(test)]
pub(crate) fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&b[12..16], b"IHDR");
    let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn out_dir_forms() {
        assert_eq!(out_dir_from(args(&[])).unwrap(), PathBuf::from("figures"));
        assert_eq!(
            out_dir_from(args(&["--out", "x/y"])).unwrap(),
            PathBuf::from("x/y")
        );
        assert_eq!(
            out_dir_from(args(&["--out=z", "--epochs", "3"])).unwrap(),
            PathBuf::from("z")
        );
        let err = out_dir_from(args(&["--out"])).unwrap_err().to_string();
        assert!(err.contains("needs a directory"), "{err}");
        assert!(out_dir_from(args(&["--out="])).is_err());
    }

    #[test]
    fn clipping_cuts_curves_at_the_band_edges() {
        // a rising line from (0, 0) to (4, 8), band [1, 5]: enters at x = 0.5, leaves at x = 2.5
        let pts = [(0.0, 0.0), (2.0, 4.0), (4.0, 8.0)];
        let pieces = clip_to_band(&pts, 1.0, 5.0);
        assert_eq!(pieces, vec![vec![(0.5, 1.0), (2.0, 4.0), (2.5, 5.0)]]);
        // out, in, out, in: two pieces
        let pts = [(0.0, 10.0), (1.0, 0.0), (2.0, 10.0), (3.0, 0.0)];
        assert_eq!(clip_to_band(&pts, -1.0, 1.0).len(), 2);
        // wholly inside: unchanged; wholly outside: nothing; NaN breaks the line
        let inside = [(0.0, 0.5), (1.0, 0.6)];
        assert_eq!(clip_to_band(&inside, 0.0, 1.0), vec![inside.to_vec()]);
        assert!(clip_to_band(&[(0.0, 9.0), (1.0, 9.0)], 0.0, 1.0).is_empty());
        let gap = [(0.0, 0.5), (1.0, f64::NAN), (2.0, 0.5), (3.0, 0.5)];
        assert_eq!(
            clip_to_band(&gap, 0.0, 1.0),
            vec![vec![(0.0, 0.5)], vec![(2.0, 0.5), (3.0, 0.5)]]
        );
    }

    #[test]
    fn an_empty_grid_is_an_error() {
        let path = std::env::temp_dir().join("ch03-empty-grid.png");
        let err = grid_chart(&path, "t", &[], 4, (100, 100))
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least one panel"), "{err}");
        let p = Panel::new("p", vec![Series::new("", vec![(0.0, 0.0), (1.0, 1.0)])]);
        assert!(grid_chart(&path, "t", &[p], 0, (100, 100)).is_err());
    }
}
