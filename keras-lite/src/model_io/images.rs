//! The image layers' configurations in Keras' `get_config` layout: `Conv2D`, `MaxPooling2D`,
//! `AveragePooling2D`, `GlobalAveragePooling2D` and `Reshape` (channels_last only).

use super::{
    activation_from_json, activation_spec_to_json, bad, constraint_from_json, constraint_to_json,
    initializer_from_json, initializer_to_json, opt_json, regularizer_from_json,
    regularizer_to_json, text, uint,
};
use crate::error::Result;
use crate::layers::{
    AveragePooling2D, Conv2D, GlobalAveragePooling2D, Layer, MaxPooling2D, Reshape, Size2,
};
use serde_json::{Map, Value, json};

fn pair(s: Size2) -> Value {
    json!([s.0, s.1])
}

/// `3` or `[3, 3]` (Keras writes tuples; a config written by hand may hold an integer).
fn size2(c: &Value, key: &str, what: &str) -> Result<Option<Size2>> {
    let Some(v) = c.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let as_usize = |v: &Value| v.as_u64().and_then(|u| usize::try_from(u).ok());
    if let Some(n) = as_usize(v) {
        return Ok(Some(Size2(n, n)));
    }
    match v
        .as_array()
        .map(|a| a.iter().map(as_usize).collect::<Vec<_>>())
    {
        Some(a) if a.len() == 2 && a.iter().all(Option::is_some) => {
            Ok(Some(Size2(a[0].unwrap_or(0), a[1].unwrap_or(0))))
        }
        _ => Err(bad(
            what,
            format!("{key} must be an integer or [height, width], got {v}"),
        )),
    }
}

fn channels_last(c: &Value, what: &str) -> Result<()> {
    match c.get("data_format").and_then(Value::as_str) {
        None | Some("channels_last") => Ok(()),
        Some(other) => Err(bad(
            what,
            format!(
                "data_format {other:?} is not supported; keras-lite's image layers are \
                 channels_last (Keras' default)"
            ),
        )),
    }
}

/// Adds the configuration of an image layer to `c` (nothing for other layers).
pub(super) fn config_into(layer: &Layer, c: &mut Map<String, Value>) {
    match layer {
        Layer::Conv2D(l) => {
            c.insert("filters".into(), json!(l.filters));
            c.insert("kernel_size".into(), pair(l.kernel_size));
            c.insert("strides".into(), pair(l.strides));
            c.insert("padding".into(), json!(l.padding.name()));
            c.insert("data_format".into(), json!(l.data_format));
            c.insert("dilation_rate".into(), json!([1, 1]));
            c.insert("groups".into(), json!(1));
            c.insert("activation".into(), activation_spec_to_json(&l.activation));
            c.insert("use_bias".into(), json!(l.use_bias));
            c.insert(
                "kernel_initializer".into(),
                initializer_to_json(&l.kernel_initializer),
            );
            c.insert(
                "bias_initializer".into(),
                initializer_to_json(&l.bias_initializer),
            );
            c.insert(
                "kernel_regularizer".into(),
                opt_json(&l.kernel_regularizer, regularizer_to_json),
            );
            c.insert(
                "bias_regularizer".into(),
                opt_json(&l.bias_regularizer, regularizer_to_json),
            );
            c.insert("activity_regularizer".into(), Value::Null);
            c.insert(
                "kernel_constraint".into(),
                opt_json(&l.kernel_constraint, constraint_to_json),
            );
            c.insert(
                "bias_constraint".into(),
                opt_json(&l.bias_constraint, constraint_to_json),
            );
        }
        Layer::Pooling2D(p) => {
            c.insert("pool_size".into(), pair(p.pool_size));
            c.insert("padding".into(), json!(p.padding.name()));
            c.insert("strides".into(), pair(p.strides_value()));
            c.insert("data_format".into(), json!("channels_last"));
        }
        Layer::GlobalAveragePooling2D(_) => {
            c.insert("data_format".into(), json!("channels_last"));
            c.insert("keepdims".into(), json!(false));
        }
        Layer::Reshape(r) => {
            c.insert("target_shape".into(), json!(r.target_shape_keras()));
        }
        _ => {}
    }
}

/// The image layer of Keras class `class` from its config `c`; `None` for other classes.
pub(super) fn layer_from_config(class: &str, c: &Value, what: &str) -> Result<Option<Layer>> {
    let opt = |key: &str| c.get(key).filter(|v| !v.is_null());
    let layer: Layer = match class {
        "Conv2D" => {
            channels_last(c, what)?;
            for (key, one) in [("dilation_rate", json!([1, 1])), ("groups", json!(1))] {
                if let Some(v) = opt(key)
                    && v != &one
                    && v != &json!(1)
                {
                    return Err(bad(
                        what,
                        format!("{key} {v} is not supported (only {one})"),
                    ));
                }
            }
            if opt("activity_regularizer").is_some() {
                return Err(bad(what, "Conv2D's activity_regularizer is not supported"));
            }
            let kernel = size2(c, "kernel_size", what)?
                .ok_or_else(|| bad(what, "Conv2D needs kernel_size"))?;
            let mut l = Conv2D::new(uint(c, "filters", what)?, kernel)
                .use_bias(c.get("use_bias").and_then(Value::as_bool).unwrap_or(true));
            if let Some(s) = size2(c, "strides", what)? {
                l = l.strides(s);
            }
            if opt("padding").is_some() {
                l = l.padding(text(c, "padding", what)?);
            }
            if let Some(a) = opt("activation") {
                l = l.activation(activation_from_json(a)?);
            }
            if let Some(i) = opt("kernel_initializer") {
                l = l.kernel_initializer(initializer_from_json(i)?);
            }
            if let Some(i) = opt("bias_initializer") {
                l = l.bias_initializer(initializer_from_json(i)?);
            }
            if let Some(r) = opt("kernel_regularizer") {
                l = l.kernel_regularizer(regularizer_from_json(r)?);
            }
            if let Some(r) = opt("bias_regularizer") {
                l = l.bias_regularizer(regularizer_from_json(r)?);
            }
            if let Some(k) = opt("kernel_constraint") {
                l = l.kernel_constraint(constraint_from_json(k)?);
            }
            if let Some(k) = opt("bias_constraint") {
                l = l.bias_constraint(constraint_from_json(k)?);
            }
            l.into()
        }
        "MaxPooling2D" | "AveragePooling2D" => {
            channels_last(c, what)?;
            let pool = size2(c, "pool_size", what)?.unwrap_or(Size2(2, 2));
            let mut p = if class == "MaxPooling2D" {
                MaxPooling2D::new(pool)
            } else {
                AveragePooling2D::new(pool)
            };
            if let Some(s) = size2(c, "strides", what)? {
                p = p.strides(s);
            }
            if opt("padding").is_some() {
                p = p.padding(text(c, "padding", what)?);
            }
            p.into()
        }
        "GlobalAveragePooling2D" => {
            channels_last(c, what)?;
            if opt("keepdims").and_then(Value::as_bool) == Some(true) {
                return Err(bad(what, "keepdims=True is not supported"));
            }
            GlobalAveragePooling2D::new().into()
        }
        "Reshape" => {
            let dims = opt("target_shape")
                .and_then(Value::as_array)
                .ok_or_else(|| bad(what, "Reshape needs target_shape, a list of integers"))?;
            let mut shape = Vec::with_capacity(dims.len());
            let mut inferred = None;
            for (i, d) in dims.iter().enumerate() {
                match d.as_i64() {
                    Some(-1) if inferred.is_none() => {
                        inferred = Some(i);
                        shape.push(0);
                    }
                    Some(v) if v > 0 => shape.push(v as usize),
                    _ => {
                        return Err(bad(
                            what,
                            format!(
                                "target_shape entries must be positive integers (one may be \
                                 -1), got {d}"
                            ),
                        ));
                    }
                }
            }
            match inferred {
                Some(axis) => Reshape::with_inferred_axis(&shape, axis).into(),
                None => Reshape::new(&shape).into(),
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(layer))
}
