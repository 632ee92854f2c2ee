//! Every Keras activation and its derivative on one sheet: a 4x4 grid of small charts, each
//! with `f(x)` (blue) and `f'(x)` (orange) on x in [-5, 5] ([-8, 8] for relu6, to show its cap).
//!
//! The curves come from the same code a network trains with: `Activation::forward` and
//! `Activation::backward` (with `dy = 1`, which makes the vector-Jacobian product the
//! derivative itself). Softmax is not element-wise; its panel shows the two-class case
//! `softmax([x, 0])[0]`, which is the sigmoid, and the diagonal of its Jacobian.
//!
//! Run: `cargo run -p ch03-activations --example activations_gallery -- --out figures`

use ch03_activations::keras::Activation;
use ndarray::{Array1, Array2, Axis, s};
use plot::{Panel, PlotError, Series, grid_chart, out_dir_from_args};
use std::process::ExitCode;

/// The formula shown in each panel's title.
fn formula(act: &Activation) -> &'static str {
    match act {
        Activation::Relu { .. } => "max(x, 0)",
        Activation::Sigmoid => "1 / (1 + e^-x)",
        Activation::Tanh => "tanh x",
        Activation::Softmax => "[x, 0] -> first output",
        Activation::Softplus => "ln(1 + e^x)",
        Activation::Softsign => "x / (1 + |x|)",
        Activation::Elu { .. } => "x > 0 ? x : e^x - 1",
        Activation::Selu => "scaled elu",
        Activation::HardSigmoid => "clip(0.2x + 0.5, 0, 1)",
        Activation::Linear => "x",
        Activation::Exponential => "e^x (f = f')",
        Activation::Swish => "x sigmoid(x)",
        Activation::Gelu { .. } => "x Phi(x)",
        Activation::Relu6 => "min(max(x, 0), 6)",
        Activation::LeakyRelu { .. } => "x > 0 ? x : 0.2x",
        Activation::Mish => "x tanh(softplus x)",
    }
}

fn panel(act: &Activation, x: &Array1<f64>) -> Panel {
    let (f, df) = if act.is_elementwise() {
        // one row of N inputs
        let xs = x.view().insert_axis(Axis(0));
        let y = act.forward(&xs);
        let dx = act.backward(&xs, &y, &Array2::ones(xs.raw_dim()));
        (y.row(0).to_owned(), dx.row(0).to_owned())
    } else {
        // N rows [x, 0]; dy = [1, 0] picks dy0/dx0 = y0 (1 - y0)
        let mut xs = Array2::zeros((x.len(), 2));
        xs.column_mut(0).assign(x);
        let y = act.forward(&xs);
        let mut dy = Array2::zeros(xs.raw_dim());
        dy.column_mut(0).fill(1.0);
        let dx = act.backward(&xs, &y, &dy);
        (
            y.slice(s![.., 0]).to_owned(),
            dx.slice(s![.., 0]).to_owned(),
        )
    };
    let pts = |v: &Array1<f64>| x.iter().copied().zip(v.iter().copied()).collect();
    let p = Panel::new(
        format!("{}: {}", act.name(), formula(act)),
        vec![Series::new("", pts(&f)), Series::new("", pts(&df))],
    );
    match act {
        // e^5 = 148 would flatten everything else in the panel
        Activation::Exponential => p.with_y_range(-0.5, 8.0),
        _ => p,
    }
}

fn run() -> Result<(), PlotError> {
    let out = out_dir_from_args()?;
    let x = Array1::linspace(-5.0, 5.0, 401);
    // relu6's cap at 6 lies outside [-5, 5]
    let wide = Array1::linspace(-8.0, 8.0, 641);
    let panels: Vec<Panel> = Activation::all()
        .map(|act| match act {
            Activation::Relu6 => panel(&act, &wide),
            _ => panel(&act, &x),
        })
        .collect();
    let path = out.join("activations_gallery.png");
    grid_chart(
        &path,
        "Keras activations: f(x) in blue, f'(x) in orange (TensorFlow's value at kinks)",
        &panels,
        4,
        (380, 290),
    )?;
    println!("{}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
