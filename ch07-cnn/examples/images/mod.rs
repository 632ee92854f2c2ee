//! What the chapter 7 figure examples share: grids of small grayscale images (filters and
//! their responses), drawn as matplotlib's `imshow(..., cmap=gray_r, interpolation='nearest')`
//! does: each image scaled to its own min..max, low values white, high values black.

use ndarray::Array2;
use plot::{PlotError, register_fonts};
use plotters::prelude::*;
use std::path::Path;

/// A titled grid of images, each image pixel drawn as a `cell` x `cell` square.
pub struct Section {
    pub title: String,
    pub images: Vec<Array2<f64>>,
    pub cell: u32,
}

const GAP: u32 = 8;
const TITLE_H: u32 = 30;

impl Section {
    /// The size of one image's box (the largest image plus a gap).
    fn box_size(&self) -> (u32, u32) {
        let (h, w) = self
            .images
            .iter()
            .map(|im| im.dim())
            .fold((1, 1), |(h, w), (a, b)| (h.max(a), w.max(b)));
        (w as u32 * self.cell + GAP, h as u32 * self.cell + GAP)
    }

    fn height(&self, per_row: usize) -> u32 {
        TITLE_H + self.images.len().div_ceil(per_row) as u32 * self.box_size().1 + GAP
    }
}

/// Draws `sections` one under the other, `per_row` images per row, and writes the PNG to
/// `path`.
pub fn image_grid(path: &Path, sections: &[Section], per_row: usize) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let width = sections
        .iter()
        .map(|s| per_row as u32 * s.box_size().0 + GAP)
        .fold(360, u32::max);
    let height: u32 = sections.iter().map(|s| s.height(per_row)).sum();
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut top = 0i32;
    for s in sections {
        let (box_w, box_h) = s.box_size();
        let cell = s.cell;
        root.draw(&Text::new(
            s.title.clone(),
            (GAP as i32, top + 6),
            ("sans-serif", 18).into_font(),
        ))
        .map_err(|e| err(&e))?;
        let grid_top = top + TITLE_H as i32;
        for (k, im) in s.images.iter().enumerate() {
            let x0 = GAP as i32 + (k % per_row) as i32 * box_w as i32;
            let y0 = grid_top + (k / per_row) as i32 * box_h as i32;
            let lo = im.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = im.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let span = if hi > lo { hi - lo } else { 1.0 };
            for ((r, c), &v) in im.indexed_iter() {
                // gray_r: the smallest value white, the largest black
                let g = (255.0 * (1.0 - (v - lo) / span)).round().clamp(0.0, 255.0) as u8;
                let (x, y) = (x0 + (c as u32 * cell) as i32, y0 + (r as u32 * cell) as i32);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell as i32, y + cell as i32)],
                    RGBColor(g, g, g).filled(),
                ))
                .map_err(|e| err(&e))?;
            }
        }
        top += s.height(per_row) as i32;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
