//! Prints what IDX (plain or gzip) and CSV files hold, and draws the TensorFlow tutorial's
//! first figure: the first 25 images in a 5x5 grid, each captioned with its class name.
//!
//! ```text
//! cargo run -p datasets --example inspect -- /usr/share/datasets/fashion-mnist/*.gz
//! cargo run -p datasets --example inspect -- --png grid.png /usr/share/datasets/fashion-mnist/train-*.gz
//! ```
//!
//! The tutorial's Python for the figure:
//!
//! ```python
//! plt.figure(figsize=(10,10))
//! for i in range(25):
//!     plt.subplot(5,5,i+1)
//!     plt.xticks([]); plt.yticks([]); plt.grid(False)
//!     plt.imshow(train_images[i], cmap=plt.cm.binary)
//!     plt.xlabel(class_names[train_labels[i]])
//! plt.show()
//! ```
//!
//! Per file it prints the format, element type, shape, min and max and, for class labels, the
//! count per class name (Fashion-MNIST's, or the digits with `--mnist`). Bad input gives a
//! one-line error and exit status 1.

use datasets::idx::{self, IdxData};
use datasets::{DatasetError, fashion_mnist, mnist};
use ndarray::{Array1, Array3, ArrayView2, Ix1, Ix3};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage: inspect [--png OUT.png] [--mnist] FILE...  (IDX, plain or .gz, or CSV)";

struct Args {
    files: Vec<PathBuf>,
    png: Option<PathBuf>,
    class_names: &'static [&'static str],
}

/// What one file held, kept for the figure.
enum Content {
    Images(Array3<u8>),
    Labels(Array1<u8>),
    Both(Array3<u8>, Array1<u8>),
    Other,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, whatever the error: newlines of nested messages become "; ".
            eprintln!("error: {}", message.replace('\n', "; "));
            ExitCode::FAILURE
        }
    }
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        files: Vec::new(),
        png: None,
        class_names: &fashion_mnist::CLASS_NAMES,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--png") => {
                let out = it
                    .next()
                    .ok_or(format!("--png needs a file name; {USAGE}"))?;
                args.png = Some(PathBuf::from(out));
            }
            Some("--mnist") => args.class_names = &mnist::CLASS_NAMES,
            Some("-h" | "--help") => return Err(USAGE.to_string()),
            Some(s) if s.starts_with("--") => return Err(format!("unknown option {s}; {USAGE}")),
            _ => args.files.push(PathBuf::from(a)),
        }
    }
    if args.files.is_empty() {
        return Err(format!("no FILE given; {USAGE}"));
    }
    Ok(args)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut contents = Vec::new();
    for path in &args.files {
        let content = inspect(path, args.class_names).map_err(|e| e.to_string())?;
        contents.push((path.clone(), content));
    }
    if let Some(out) = &args.png {
        let Grid {
            images,
            labels,
            what,
        } = pick_for_grid(&contents)?;
        let captions: Vec<String> = (0..images.shape()[0].min(25))
            .map(|i| match &labels {
                Some(l) => args.class_names[usize::from(l[i])].to_string(),
                None => format!("#{i}"),
            })
            .collect();
        draw_grid(out, &images, &captions)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        println!(
            "wrote {} (first {} images of {what})",
            out.display(),
            captions.len()
        );
    }
    Ok(())
}

/// Prints one file's summary and returns its arrays.
fn inspect(path: &Path, class_names: &[&str]) -> Result<Content, DatasetError> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let (images, labels) = datasets::csv::read(path)?;
        println!("{}", path.display());
        println!("  CSV (label,pixel1,...); {} rows", labels.len());
        print_array("images", "u8", images.shape(), min_max(images.iter()));
        print_array("labels", "u8", labels.shape(), min_max(labels.iter()));
        print_class_counts(&labels, class_names);
        return Ok(Content::Both(images, labels));
    }
    let data = idx::read(path)?;
    let gzip = first_two_bytes(path) == Some(idx::GZIP_MAGIC);
    println!("{}", path.display());
    println!(
        "  IDX{}",
        if gzip {
            ", gzip-compressed"
        } else {
            ", uncompressed"
        }
    );
    let range = data.min_max();
    print_array("data", data.dtype().name(), data.shape(), range);
    Ok(match data {
        IdxData::U8(a) if a.ndim() == 3 => {
            Content::Images(a.into_dimensionality::<Ix3>().expect("rank 3"))
        }
        IdxData::U8(a) if a.ndim() == 1 => {
            let labels = a.into_dimensionality::<Ix1>().expect("rank 1");
            if labels.iter().all(|&l| usize::from(l) < class_names.len()) {
                print_class_counts(&labels, class_names);
                Content::Labels(labels)
            } else {
                println!(
                    "  not class labels: values reach beyond {}",
                    class_names.len() - 1
                );
                Content::Other
            }
        }
        _ => Content::Other,
    })
}

fn first_two_bytes(path: &Path) -> Option<[u8; 2]> {
    use std::io::Read;
    let mut head = [0u8; 2];
    std::fs::File::open(path).ok()?.read_exact(&mut head).ok()?;
    Some(head)
}

fn min_max<'a>(it: impl Iterator<Item = &'a u8>) -> Option<(f64, f64)> {
    it.fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
    .map(|(lo, hi)| (f64::from(lo), f64::from(hi)))
}

fn print_array(what: &str, dtype: &str, shape: &[usize], range: Option<(f64, f64)>) {
    let range = match range {
        Some((lo, hi)) => format!("min {lo}, max {hi}"),
        None => "empty".to_string(),
    };
    println!("  {what}: element type {dtype}, shape {shape:?}, {range}");
}

fn print_class_counts(labels: &Array1<u8>, class_names: &[&str]) {
    let mut counts = vec![0usize; class_names.len()];
    for &l in labels {
        counts[usize::from(l)] += 1;
    }
    println!("  count per class:");
    for (i, (name, n)) in class_names.iter().zip(&counts).enumerate() {
        println!("    {i} {name:<12} {n:>6}");
    }
}

/// What the figure shows: images, their labels if known, and a note naming the files.
struct Grid {
    images: Array3<u8>,
    labels: Option<Array1<u8>>,
    what: String,
}

/// The images for the figure (the first images file, preferring a training one) and the
/// labels file of the same split (same name prefix, else the same count), if any.
fn pick_for_grid(contents: &[(PathBuf, Content)]) -> Result<Grid, String> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if let Some((p, Content::Both(images, labels))) = contents
        .iter()
        .find(|(_, c)| matches!(c, Content::Both(..)))
    {
        return Ok(Grid {
            images: images.clone(),
            labels: Some(labels.clone()),
            what: name(p),
        });
    }
    let images: Vec<(&PathBuf, &Array3<u8>)> = contents
        .iter()
        .filter_map(|(p, c)| match c {
            Content::Images(a) => Some((p, a)),
            _ => None,
        })
        .collect();
    let (ipath, imgs) = images
        .iter()
        .find(|(p, _)| name(p).contains("train"))
        .or(images.first())
        .copied()
        .ok_or("--png needs an IDX file of u8 images of rank 3 (e.g. train-images-idx3-ubyte.gz) or a CSV file")?;
    let split = |p: &Path| name(p).split('-').next().unwrap_or("").to_string();
    let labels: Vec<(&PathBuf, &Array1<u8>)> = contents
        .iter()
        .filter_map(|(p, c)| match c {
            Content::Labels(l) if l.len() == imgs.shape()[0] => Some((p, l)),
            _ => None,
        })
        .collect();
    let chosen = labels
        .iter()
        .find(|(p, _)| split(p) == split(ipath))
        .or(labels.first());
    let what = match chosen {
        Some((lpath, _)) => format!("{}, captioned from {}", name(ipath), name(lpath)),
        None => format!(
            "{} (no labels file of the same length given: captions are indices)",
            name(ipath)
        ),
    };
    Ok(Grid {
        images: imgs.clone(),
        labels: chosen.map(|(_, l)| (*l).clone()),
        what,
    })
}

/// A 5x5 grid like `plt.figure(figsize=(10,10))` with `cmap=plt.cm.binary`: 0 is white,
/// 255 black, each image framed and captioned below.
fn draw_grid(out: &Path, images: &Array3<u8>, captions: &[String]) -> Result<(), String> {
    let _ =
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    let (rows, cols) = (images.shape()[1], images.shape()[2]);
    let cell = 200u32;
    let root = BitMapBackend::new(out, (5 * cell, 5 * cell)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // Scale each image to fit a 150-pixel square, leaving room for the caption.
    let scale = (150 / rows.max(cols).max(1)).max(1) as i32;
    let (w, h) = (cols as i32 * scale, rows as i32 * scale);
    let font = ("sans-serif", 18)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (k, caption) in captions.iter().enumerate() {
        let (cx, cy) = ((k % 5) as i32 * cell as i32, (k / 5) as i32 * cell as i32);
        let (x0, y0) = (cx + (cell as i32 - w) / 2, cy + 10);
        draw_image(
            &root,
            images.index_axis(ndarray::Axis(0), k),
            (x0, y0),
            scale,
        )?;
        root.draw(&Rectangle::new(
            [(x0 - 1, y0 - 1), (x0 + w, y0 + h)],
            BLACK.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
        root.draw(&Text::new(
            caption.as_str(),
            (cx + cell as i32 / 2, y0 + h + 8),
            font.clone(),
        ))
        .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

fn draw_image(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    image: ArrayView2<'_, u8>,
    (x0, y0): (i32, i32),
    scale: i32,
) -> Result<(), String> {
    for ((r, c), &v) in image.indexed_iter() {
        let g = 255 - v; // binary colormap: ink is dark
        let (x, y) = (x0 + c as i32 * scale, y0 + r as i32 * scale);
        root.draw(&Rectangle::new(
            [(x, y), (x + scale, y + scale)],
            RGBColor(g, g, g).filled(),
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}
