//! Grids of captioned pictures, black on white: the TensorFlow tutorial's first figure (the
//! first 25 training images with their class names), or any set of samples.
//!
//! Pixels are in [0, 1] with 0 white and 1 black, as matplotlib's `plt.cm.binary` shows them
//! (the book's [`gray_image`](crate::gray_image) shows `u8` pixels the other way round, as PIL
//! does). [`crate::predictions`] draws its pictures the same way.

use crate::{Area, DrawResult, PlotError, register_fonts};
use ndarray::{ArrayView2, ArrayView3};
use plotters::prelude::*;
use std::path::Path;

/// Draws `images` (N, height, width; pixels in [0, 1], 0 white and 1 black) in a grid of
/// `(rows, cols)` cells of 150 x 176 pixels, each captioned with its text.
///
/// Errors: fewer images or captions than cells, or the file cannot be written.
pub fn plot_images(
    path: &Path,
    images: ArrayView3<'_, f32>,
    captions: &[String],
    grid: (usize, usize),
) -> Result<(), PlotError> {
    let (rows, cols) = grid;
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

/// One picture in black on white (matplotlib's `plt.cm.binary`; values outside [0, 1] are
/// clipped) in the top `side` x `side` square of `area`, framed.
pub(crate) fn draw_picture(area: &Area<'_>, img: ArrayView2<'_, f32>, side: u32) -> DrawResult {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::png_size;
    use ndarray::Array3;

    #[test]
    fn image_grid_png_and_its_checks() {
        let path = std::env::temp_dir().join(format!("plot-grid-{}.png", std::process::id()));
        let images = Array3::<f32>::from_shape_fn((4, 5, 5), |(i, r, c)| ((i * r + c) % 2) as f32);
        let captions: Vec<String> = (0..4).map(|i| format!("image {i}")).collect();
        plot_images(&path, images.view(), &captions, (2, 2)).unwrap();
        assert_eq!(png_size(&path), (2 * 150, 2 * (150 + 26)));
        std::fs::remove_file(&path).unwrap();
        let err = plot_images(&path, images.view(), &captions[..3], (2, 2)).unwrap_err();
        assert!(err.to_string().contains("3 captions"), "{err}");
    }
}
