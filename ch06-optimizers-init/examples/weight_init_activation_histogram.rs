//! The book's `ch06/weight_init_activation_histogram.py` (figures 6-10 to 6-14): push 1000
//! random inputs through 5 layers of 100 units and look at each layer's activations.
//!
//! Six settings, one row each (histograms of 30 bins on [0, 1], as the book):
//!
//! - sigmoid, std 1: activations pile up at 0 and 1, where sigmoid's slope is ~0
//!   (vanishing gradients);
//! - sigmoid, std 0.01: everything near 0.5, every unit says the same thing (no expressiveness);
//! - sigmoid, Xavier `sqrt(1/n)`: spread out in every layer: Xavier suits sigmoid and tanh;
//! - ReLU, std 0.01: activations collapse to 0 layer after layer;
//! - ReLU, Xavier: still shrinking with depth (ReLU zeroes half the inputs, halving the variance);
//! - ReLU, He `sqrt(2/n)`: the factor 2 makes up for that half, and the spread stays the same in
//!   every layer: He suits ReLU.
//!
//! Prints, per setting and layer, the activations' mean and std and the fraction of
//! "dead" values (sigmoid outside [0.01, 0.99], ReLU exactly 0). The ReLU rows cut the y axis
//! at 7000 like the book (half of all ReLU outputs are exactly 0).
//!
//! The book's settings take well under a second.
//!
//! Run: `cargo run -p ch06-optimizers-init --example weight_init_activation_histogram -- --out figures`

use ch06_optimizers_init::weight_init::WeightInitStd;
use ndarray::Array2;
use ndarray_rand_free::standard_normal;
use plot::{PALETTE, PlotError, out_dir_from_args, register_fonts};
use plotters::prelude::*;
use std::process::ExitCode;

/// Standard-normal matrices from a seeded generator (the book's `np.random.randn`).
mod ndarray_rand_free {
    use ndarray::Array2;
    use rand::rngs::StdRng;
    use rand_distr::{Distribution, StandardNormal};

    pub fn standard_normal(rows: usize, cols: usize, rng: &mut StdRng) -> Array2<f64> {
        Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(rng))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Act {
    Sigmoid,
    Relu,
}

struct Setting {
    label: &'static str,
    act: Act,
    std: WeightInitStd,
}

/// The activations of the 5 layers, each (1000, 100).
fn run(setting: &Setting, seed: u64) -> Vec<Array2<f64>> {
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut x = standard_normal(1000, 100, &mut rng);
    let mut layers = Vec::new();
    for _ in 0..5 {
        // w = np.random.randn(node_num, node_num) * scale
        let w = standard_normal(100, 100, &mut rng) * setting.std.scale(100);
        let a = x.dot(&w);
        let z = match setting.act {
            Act::Sigmoid => a.mapv(|v| 1.0 / (1.0 + (-v).exp())),
            Act::Relu => a.mapv(|v| v.max(0.0)),
        };
        layers.push(z.clone());
        x = z;
    }
    layers
}

/// 30 bins on [0, 1] (values outside are not counted, as `plt.hist(range=(0, 1))`).
fn histogram(a: &Array2<f64>) -> [usize; 30] {
    let mut bins = [0usize; 30];
    for &v in a {
        if (0.0..=1.0).contains(&v) {
            bins[((v * 30.0) as usize).min(29)] += 1;
        }
    }
    bins
}

fn draw(path: &std::path::Path, rows: &[(&Setting, Vec<[usize; 30]>)]) -> Result<(), PlotError> {
    register_fonts();
    let err = |e: &dyn std::fmt::Display| PlotError::new(path, e);
    let (cell_w, cell_h, title_h) = (270u32, 190u32, 40u32);
    let root = BitMapBackend::new(path, (cell_w * 5, cell_h * rows.len() as u32 + title_h))
        .into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (top, body) = root.split_vertically(title_h);
    top.draw(&Text::new(
        "Activations per layer (5 layers of 100 units, 1000 inputs), 30 bins on [0, 1]",
        (15, 10),
        ("sans-serif", 22).into_font(),
    ))
    .map_err(|e| err(&e))?;
    let cells = body.split_evenly((rows.len(), 5));
    for (r, (setting, hists)) in rows.iter().enumerate() {
        let y_max = match setting.act {
            Act::Relu => 7000.0,
            Act::Sigmoid => {
                hists
                    .iter()
                    .flat_map(|h| h.iter())
                    .copied()
                    .max()
                    .unwrap_or(1) as f64
                    * 1.05
            }
        };
        let color = if setting.act == Act::Sigmoid {
            PALETTE[0]
        } else {
            PALETTE[1]
        };
        for (layer, bins) in hists.iter().enumerate() {
            let area = &cells[r * 5 + layer];
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!("{}: layer {}", setting.label, layer + 1),
                    ("sans-serif", 13),
                )
                .margin(6)
                .x_label_area_size(20)
                .y_label_area_size(if layer == 0 { 48 } else { 8 })
                .build_cartesian_2d(0.0..1.0, 0.0..y_max)
                .map_err(|e| err(&e))?;
            let mut mesh = chart.configure_mesh();
            mesh.disable_mesh()
                .x_labels(3)
                .y_labels(4)
                .label_style(("sans-serif", 11));
            let int_labels = |v: &f64| format!("{v:.0}");
            let no_labels = |_: &f64| String::new();
            if layer == 0 {
                mesh.y_label_formatter(&int_labels);
            } else {
                mesh.y_label_formatter(&no_labels);
            }
            mesh.draw().map_err(|e| err(&e))?;
            chart
                .draw_series(bins.iter().enumerate().map(|(i, &c)| {
                    let x0 = i as f64 / 30.0;
                    Rectangle::new(
                        [(x0, 0.0), (x0 + 1.0 / 30.0, (c as f64).min(y_max))],
                        color.filled(),
                    )
                }))
                .map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

fn main() -> ExitCode {
    let settings = [
        Setting {
            label: "sigmoid, std 1",
            act: Act::Sigmoid,
            std: WeightInitStd::Std(1.0),
        },
        Setting {
            label: "sigmoid, std 0.01",
            act: Act::Sigmoid,
            std: WeightInitStd::Std(0.01),
        },
        Setting {
            label: "sigmoid, Xavier",
            act: Act::Sigmoid,
            std: WeightInitStd::Xavier,
        },
        Setting {
            label: "ReLU, std 0.01",
            act: Act::Relu,
            std: WeightInitStd::Std(0.01),
        },
        Setting {
            label: "ReLU, Xavier",
            act: Act::Relu,
            std: WeightInitStd::Xavier,
        },
        Setting {
            label: "ReLU, He",
            act: Act::Relu,
            std: WeightInitStd::He,
        },
    ];
    let mut rows = Vec::new();
    for setting in &settings {
        let layers = run(setting, 0);
        println!("{}:", setting.label);
        for (i, a) in layers.iter().enumerate() {
            let n = a.len() as f64;
            let mean = a.sum() / n;
            let std = (a.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let dead = match setting.act {
                Act::Sigmoid => a.iter().filter(|&&v| !(0.01..=0.99).contains(&v)).count(),
                Act::Relu => a.iter().filter(|&&v| v == 0.0).count(),
            } as f64
                / n;
            let what = if setting.act == Act::Sigmoid {
                "saturated"
            } else {
                "zero"
            };
            println!(
                "  layer {}: mean {mean:.4}, std {std:.4}, {what} {:.1}%",
                i + 1,
                100.0 * dead
            );
        }
        rows.push((setting, layers.iter().map(histogram).collect::<Vec<_>>()));
    }
    let dir = match out_dir_from_args() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let file = dir.join("weight_init_activation_histogram.png");
    if let Err(e) = draw(&file, &rows) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {}", file.display());
    ExitCode::SUCCESS
}
