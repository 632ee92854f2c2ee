//! The image layers against TensorFlow (`keras2_cnn_parity.json`): Conv2D and pooling values
//! and gradients, BatchNormalization on images, and a small CNN's whole `fit`.
//!
//! Each layer is built for the case's image shape, given the case's weights, run forward on
//! `x` (a batch of channels_last images, as rows) and backward on the recorded upstream
//! gradient `dy`; the output, `dx` and the weights' gradients are compared with
//! [`IMAGE`](super::IMAGE)'s tolerance.

use super::{IMAGE, Report, Result, fixture_err, run_fit, widen};
use ch05_backprop::Mode;
use keras_lite::Sequential;
use keras_lite::layers::{
    AveragePooling2D, BatchNormalization, Conv2D, Dense, Flatten, GlobalAveragePooling2D, Layer,
    MaxPooling2D, Size2,
};
use ndarray::{Array1, Array2, ArrayD};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use test_support::fixture::{array_f32, field, number, vec_f64};

/// Checks every image group the fixture holds (none is an error only in [`super::check`]).
pub(super) fn check(fixture: &Value, report: &mut Report) -> Result<()> {
    if let Some(cases) = fixture.get("conv2d") {
        for (i, case) in list(cases, "conv2d")?.iter().enumerate() {
            check_conv(i, case, report)?;
        }
    }
    if let Some(cases) = fixture.get("pooling") {
        for (i, case) in list(cases, "pooling")?.iter().enumerate() {
            check_pool(i, case, report)?;
        }
    }
    if let Some(bn) = fixture.get("batch_norm_4d") {
        check_batch_norm(bn, report)?;
    }
    if let Some(f) = fixture.get("cnn_fit") {
        check_cnn_fit(f, report)?;
    }
    Ok(())
}

fn list<'a>(v: &'a Value, at: &str) -> Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| fixture_err(format!("fixture: {at} should be a list")))
}

fn size2(v: &Value, at: &str) -> Result<Size2> {
    let d = vec_f64(v, at)?;
    match d[..] {
        [h, w] => Ok(Size2(h as usize, w as usize)),
        _ => Err(fixture_err(format!("fixture: {at} should be [h, w]"))),
    }
}

fn text<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a str> {
    field(v, key, at)?
        .as_str()
        .ok_or_else(|| fixture_err(format!("fixture: {at}.{key} should be a string")))
}

/// A batch of images `(N, H, W, C)` as the model's rows `(N, H*W*C)`, and `(H, W, C)`.
fn images(v: &Value, at: &str) -> Result<(Array2<f32>, Vec<usize>)> {
    let a = array_f32(v, at)?;
    if a.ndim() != 4 {
        return Err(fixture_err(format!("fixture: {at} should be (N, H, W, C)")));
    }
    let shape = a.shape().to_vec();
    let rows = a
        .into_shape_with_order((shape[0], shape[1] * shape[2] * shape[3]))
        .map_err(|e| fixture_err(format!("fixture: {at}: {e}")))?;
    Ok((rows, shape[1..].to_vec()))
}

/// Any array of `n` samples as rows `(n, values per sample)`.
fn rows(v: &Value, n: usize, at: &str) -> Result<Array2<f32>> {
    let a = array_f32(v, at)?;
    let per = a.len() / n.max(1);
    a.into_shape_with_order((n, per))
        .map_err(|e| fixture_err(format!("fixture: {at}: {e}")))
}

/// A layer's output, input gradient and parameter gradients, widened for [`Report::push`].
type LayerRun = (Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

/// Builds `layer` for images of `shape`, sets `weights`, runs forward (training) on `x` and
/// backward on `dy`; returns the output, `dx` and the parameters' gradients (visit order).
fn run_layer(
    mut layer: Layer,
    shape: &[usize],
    weights: &[ArrayD<f32>],
    x: &Array2<f32>,
    dy: &Array2<f32>,
) -> Result<LayerRun> {
    layer.build(shape, &mut StdRng::seed_from_u64(0))?;
    if !weights.is_empty() {
        layer.set_weights(weights)?;
    }
    let y = widen(
        layer
            .forward(x, Mode::Train, false)
            .unwrap_or(x)
            .iter()
            .copied(),
    );
    let dx = widen(layer.backward(dy, false).unwrap_or(dy).iter().copied());
    let mut grads = Vec::new();
    layer.for_each_param(&mut |p| grads.push(widen(p.grad.iter().copied())));
    Ok((y, dx, grads))
}

fn check_conv(i: usize, c: &Value, report: &mut Report) -> Result<()> {
    let at = "conv2d";
    let kernel = array_f32(field(c, "kernel", at)?, at)?;
    let bias = array_f32(field(c, "bias", at)?, at)?;
    let ks = size2(field(c, "kernel_size", at)?, at)?;
    let st = size2(field(c, "strides", at)?, at)?;
    let padding = text(c, "padding", at)?;
    let filters = number(field(c, "filters", at)?, at)? as usize;
    let (x, shape) = images(field(c, "x", at)?, at)?;
    let dy = rows(field(c, "dy", at)?, x.nrows(), at)?;
    let layer = Conv2D::new(filters, ks)
        .strides(st)
        .padding(padding)
        .name("conv2d");
    let (y, dx, grads) = run_layer(layer.into(), &shape, &[kernel, bias], &x, &dy)?;
    let name = format!(
        "#{i} {}x{}x{} k{}x{} s{}x{} {padding} f{filters}",
        shape[0], shape[1], shape[2], ks.0, ks.1, st.0, st.1
    );
    let expect = |key: &str| vec_f64(field(c, key, at)?, key);
    report.push(at, format!("{name} y"), &y, &expect("y")?, IMAGE);
    report.push(at, format!("{name} dx"), &dx, &expect("dx")?, IMAGE);
    // The kernel's gradient is Keras' (KH, KW, C_in, C_out), row-major, already.
    let dk = &grads[0];
    report.push(
        at,
        format!("{name} dkernel"),
        dk,
        &expect("dkernel")?,
        IMAGE,
    );
    report.push(
        at,
        format!("{name} dbias"),
        &grads[1],
        &expect("dbias")?,
        IMAGE,
    );
    Ok(())
}

fn check_pool(i: usize, c: &Value, report: &mut Report) -> Result<()> {
    let at = "pooling";
    let class = text(c, "class", at)?;
    let (x, shape) = images(field(c, "x", at)?, at)?;
    let dy = rows(field(c, "dy", at)?, x.nrows(), at)?;
    let (layer, name): (Layer, String) = if class == "GlobalAveragePooling2D" {
        (GlobalAveragePooling2D::new().into(), class.to_string())
    } else {
        let pool = size2(field(c, "pool_size", at)?, at)?;
        let padding = text(c, "padding", at)?;
        let mut p = match class {
            "MaxPooling2D" => MaxPooling2D::new(pool),
            "AveragePooling2D" => AveragePooling2D::new(pool),
            other => {
                return Err(fixture_err(format!(
                    "fixture: unknown pooling class {other:?}"
                )));
            }
        }
        .padding(padding);
        let strides = field(c, "strides", at)?;
        let st = if strides.is_null() {
            "default".to_string()
        } else {
            let s = size2(strides, at)?;
            p = p.strides(s);
            format!("{}x{}", s.0, s.1)
        };
        (
            p.into(),
            format!("{class} {}x{} s{st} {padding}", pool.0, pool.1),
        )
    };
    let name = format!("#{i} {name} on {}x{}x{}", shape[0], shape[1], shape[2]);
    let (y, dx, _) = run_layer(layer, &shape, &[], &x, &dy)?;
    let expect = |key: &str| vec_f64(field(c, key, at)?, key);
    report.push(at, format!("{name} y"), &y, &expect("y")?, IMAGE);
    report.push(at, format!("{name} dx"), &dx, &expect("dx")?, IMAGE);
    Ok(())
}

fn check_batch_norm(c: &Value, report: &mut Report) -> Result<()> {
    let at = "bn_images";
    let (x, shape) = images(field(c, "x", at)?, at)?;
    let (dy, _) = images(field(c, "dy", at)?, at)?;
    let gamma = array_f32(field(c, "gamma", at)?, at)?;
    let beta = array_f32(field(c, "beta", at)?, at)?;
    let ch = gamma.len();
    let weights = [
        gamma,
        beta,
        ArrayD::zeros(vec![ch]),
        ArrayD::from_elem(vec![ch], 1.0),
    ];
    let mut layer: Layer = BatchNormalization::new().into();
    let (y, dx, grads) = run_layer(layer.clone(), &shape, &weights, &x, &dy)?;
    let expect = |key: &str| vec_f64(field(c, key, at)?, key);
    report.push(at, "y (training)".into(), &y, &expect("y_train")?, IMAGE);
    report.push(at, "dx".into(), &dx, &expect("dx")?, IMAGE);
    report.push(at, "dgamma".into(), &grads[0], &expect("dgamma")?, IMAGE);
    report.push(at, "dbeta".into(), &grads[1], &expect("dbeta")?, IMAGE);
    // The moving statistics after that one training batch, and inference with them.
    layer.build(&shape, &mut StdRng::seed_from_u64(0))?;
    layer.set_weights(&weights)?;
    layer.forward(&x, Mode::Train, false);
    let w = layer.get_weights();
    report.push(
        at,
        "moving_mean".into(),
        &widen(w[2].iter().copied()),
        &expect("moving_mean")?,
        IMAGE,
    );
    report.push(
        at,
        "moving_variance".into(),
        &widen(w[3].iter().copied()),
        &expect("moving_variance")?,
        IMAGE,
    );
    let y_inf = widen(
        layer
            .forward(&x, Mode::Eval, false)
            .expect("BatchNormalization computes")
            .iter()
            .copied(),
    );
    report.push(
        at,
        "y (inference)".into(),
        &y_inf,
        &expect("y_inference")?,
        IMAGE,
    );
    Ok(())
}

fn check_cnn_fit(f: &Value, report: &mut Report) -> Result<()> {
    let at = "cnn_fit";
    let x = array_f32(field(f, "x", at)?, "cnn_fit.x")?;
    let y = Array1::from(
        vec_f64(field(f, "y", at)?, "cnn_fit.y")?
            .into_iter()
            .map(|v| v as f32)
            .collect::<Vec<_>>(),
    );
    let input: Vec<usize> = vec_f64(field(f, "input_shape", at)?, at)?
        .into_iter()
        .map(|d| d as usize)
        .collect();
    let mut layers: Vec<Layer> = Vec::new();
    for l in list(field(f, "layers", at)?, "cnn_fit.layers")? {
        let class = text(l, "class", at)?;
        let mut layer: Layer = match class {
            "Conv2D" => {
                let mut c = Conv2D::new(
                    number(field(l, "filters", at)?, at)? as usize,
                    size2(field(l, "kernel_size", at)?, at)?,
                )
                .strides(size2(field(l, "strides", at)?, at)?)
                .padding(text(l, "padding", at)?);
                if let Some(a) = l.get("activation").and_then(Value::as_str) {
                    c = c.activation(a);
                }
                c.into()
            }
            "MaxPooling2D" => MaxPooling2D::new(size2(field(l, "pool_size", at)?, at)?)
                .strides(size2(field(l, "strides", at)?, at)?)
                .padding(text(l, "padding", at)?)
                .into(),
            "Flatten" => Flatten::new().into(),
            "Dense" => {
                let mut d = Dense::new(number(field(l, "units", at)?, at)? as usize);
                if let Some(a) = l.get("activation").and_then(Value::as_str) {
                    d = d.activation(a);
                }
                d.into()
            }
            other => {
                return Err(fixture_err(format!(
                    "fixture: cnn_fit layer class {other:?} is not handled here"
                )));
            }
        };
        if layers.is_empty()
            && let Some(slot) = layer.input_shape_slot()
        {
            *slot = Some(input.clone());
        }
        layers.push(layer);
    }
    let mut model = Sequential::new(layers);
    // The summary's shapes and parameter counts, exactly.
    if let (Some(params), Some(shapes)) = (f.get("summary_params"), f.get("output_shapes")) {
        let mut prev = input.clone();
        let (mut got_params, mut got_shapes) = (Vec::new(), Vec::new());
        for layer in model.layers() {
            let shape = layer.output_shape(&prev)?;
            got_params.push(layer.count_params(&prev) as f64);
            got_shapes.extend(shape.iter().map(|&d| d as f64));
            prev = shape;
        }
        let exact = super::Tolerance { abs: 0.0, rel: 0.0 };
        report.push(
            at,
            "summary params".into(),
            &got_params,
            &vec_f64(params, at)?,
            exact,
        );
        let want_shapes: Vec<f64> = list(shapes, at)?
            .iter()
            .map(|s| vec_f64(s, at))
            .collect::<std::result::Result<Vec<_>, _>>()?
            .concat();
        report.push(
            at,
            "summary output shapes".into(),
            &got_shapes,
            &want_shapes,
            exact,
        );
    }
    model.build(&input)?;
    run_fit(f, model, &x, &y, at, report)
}
