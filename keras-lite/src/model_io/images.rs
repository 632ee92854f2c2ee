//! The image layers' configurations in Keras' `get_config` layout: `Conv2D`, `MaxPooling2D`,
//! `AveragePooling2D`, `GlobalAveragePooling2D` and `Reshape` (channels_last only).

use super::{
    ActivationObject, BaseConfig, ConstraintConfig, InitializerObject, LayerConfig, NameOr,
    RegularizerConfig, activation_spec, activation_spec_json, bad, constraint, constraint_json,
    initializer, initializer_json, opt_map, regularizer, regularizer_json,
};
use crate::error::Result;
use crate::layers::{
    AveragePooling2D, Conv2D, GlobalAveragePooling2D, Layer, MaxPooling2D, Reshape, Size2,
};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A window or step: written `[height, width]` as Keras writes tuples; read from that or from
/// one integer (a config written by hand may hold `3`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair(pub Size2);

impl Serialize for Pair {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        [self.0.0, self.0.1].serialize(s)
    }
}

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let as_usize = |v: &Value| v.as_u64().and_then(|u| usize::try_from(u).ok());
        if let Some(n) = as_usize(&v) {
            return Ok(Pair(Size2(n, n)));
        }
        match v
            .as_array()
            .map(|a| a.iter().map(as_usize).collect::<Vec<_>>())
        {
            Some(a) if a.len() == 2 => {
                if let [Some(h), Some(w)] = a[..] {
                    return Ok(Pair(Size2(h, w)));
                }
            }
            _ => {}
        }
        Err(D::Error::custom(format!(
            "a window or step must be an integer or [height, width], got {v}"
        )))
    }
}

/// `Conv2D`'s config (Keras' `Conv2D.get_config()`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conv2DConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub filters: usize,
    pub kernel_size: Pair,
    pub strides: Option<Pair>,
    pub padding: Option<String>,
    pub data_format: Option<String>,
    /// Only `[1, 1]`.
    pub dilation_rate: Option<Pair>,
    /// Only 1.
    pub groups: Option<usize>,
    pub activation: Option<NameOr<ActivationObject>>,
    pub use_bias: Option<bool>,
    pub kernel_initializer: Option<NameOr<InitializerObject>>,
    pub bias_initializer: Option<NameOr<InitializerObject>>,
    pub kernel_regularizer: Option<NameOr<RegularizerConfig>>,
    pub bias_regularizer: Option<NameOr<RegularizerConfig>>,
    /// Not supported on Conv2D: always `null`.
    pub activity_regularizer: Option<Value>,
    pub kernel_constraint: Option<NameOr<ConstraintConfig>>,
    pub bias_constraint: Option<NameOr<ConstraintConfig>>,
}

/// `MaxPooling2D`'s and `AveragePooling2D`'s config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pooling2DConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub pool_size: Option<Pair>,
    pub padding: Option<String>,
    pub strides: Option<Pair>,
    pub data_format: Option<String>,
}

/// `GlobalAveragePooling2D`'s config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalAveragePooling2DConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub data_format: Option<String>,
    /// Only `false`.
    pub keepdims: Option<bool>,
}

/// `Reshape`'s config: the target shape without the batch axis, `-1` for the one inferred.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReshapeConfig {
    #[serde(flatten)]
    pub base: BaseConfig,
    pub target_shape: Vec<Value>,
}

fn channels_last(data_format: Option<&str>, what: &str) -> Result<()> {
    match data_format {
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

/// The config of an image layer (`layer` is one of them).
pub(super) fn layer_config(layer: &Layer, base: BaseConfig) -> LayerConfig {
    let channels_last = || Some("channels_last".to_string());
    match layer {
        Layer::Conv2D(l) => LayerConfig::Conv2D(Conv2DConfig {
            base,
            filters: l.filters,
            kernel_size: Pair(l.kernel_size),
            strides: Some(Pair(l.strides)),
            padding: Some(l.padding.name().to_string()),
            data_format: Some(l.data_format.clone()),
            dilation_rate: Some(Pair(Size2(1, 1))),
            groups: Some(1),
            activation: Some(activation_spec_json(&l.activation)),
            use_bias: Some(l.use_bias),
            kernel_initializer: Some(initializer_json(&l.kernel_initializer)),
            bias_initializer: Some(initializer_json(&l.bias_initializer)),
            kernel_regularizer: opt_map(&l.kernel_regularizer, regularizer_json),
            bias_regularizer: opt_map(&l.bias_regularizer, regularizer_json),
            activity_regularizer: None,
            kernel_constraint: opt_map(&l.kernel_constraint, constraint_json),
            bias_constraint: opt_map(&l.bias_constraint, constraint_json),
        }),
        Layer::Pooling2D(p) => {
            let c = Pooling2DConfig {
                base,
                pool_size: Some(Pair(p.pool_size)),
                padding: Some(p.padding.name().to_string()),
                strides: Some(Pair(p.strides_value())),
                data_format: channels_last(),
            };
            if p.kind_class_name() == "MaxPooling2D" {
                LayerConfig::MaxPooling2D(c)
            } else {
                LayerConfig::AveragePooling2D(c)
            }
        }
        Layer::GlobalAveragePooling2D(_) => {
            LayerConfig::GlobalAveragePooling2D(GlobalAveragePooling2DConfig {
                base,
                data_format: channels_last(),
                keepdims: Some(false),
            })
        }
        Layer::Reshape(r) => LayerConfig::Reshape(ReshapeConfig {
            base,
            target_shape: r
                .target_shape_keras()
                .into_iter()
                .map(Value::from)
                .collect(),
        }),
        _ => unreachable!("layer_config sends only the image layers here"),
    }
}

/// The image layer of a config (`config` is one of them).
pub(super) fn layer_from_config(config: LayerConfig, what: &str) -> Result<Layer> {
    Ok(match config {
        LayerConfig::Conv2D(c) => {
            channels_last(c.data_format.as_deref(), what)?;
            if let Some(Pair(d)) = c.dilation_rate.filter(|d| d.0 != Size2(1, 1)) {
                return Err(bad(
                    what,
                    format!(
                        "dilation_rate [{}, {}] is not supported (only [1, 1])",
                        d.0, d.1
                    ),
                ));
            }
            if let Some(g) = c.groups.filter(|&g| g != 1) {
                return Err(bad(what, format!("groups {g} is not supported (only 1)")));
            }
            if c.activity_regularizer.is_some_and(|r| !r.is_null()) {
                return Err(bad(what, "Conv2D's activity_regularizer is not supported"));
            }
            let mut l =
                Conv2D::new(c.filters, c.kernel_size.0).use_bias(c.use_bias.unwrap_or(true));
            if let Some(Pair(s)) = c.strides {
                l = l.strides(s);
            }
            if let Some(p) = &c.padding {
                l = l.padding(p);
            }
            if let Some(a) = c.activation {
                l = l.activation(activation_spec(a)?);
            }
            if let Some(i) = c.kernel_initializer {
                l = l.kernel_initializer(initializer(i)?);
            }
            if let Some(i) = c.bias_initializer {
                l = l.bias_initializer(initializer(i)?);
            }
            if let Some(r) = c.kernel_regularizer {
                l = l.kernel_regularizer(regularizer(r)?);
            }
            if let Some(r) = c.bias_regularizer {
                l = l.bias_regularizer(regularizer(r)?);
            }
            if let Some(k) = c.kernel_constraint {
                l = l.kernel_constraint(constraint(k)?);
            }
            if let Some(k) = c.bias_constraint {
                l = l.bias_constraint(constraint(k)?);
            }
            l.into()
        }
        LayerConfig::MaxPooling2D(c) => pooling(MaxPooling2D::new, c, what)?,
        LayerConfig::AveragePooling2D(c) => pooling(AveragePooling2D::new, c, what)?,
        LayerConfig::GlobalAveragePooling2D(c) => {
            channels_last(c.data_format.as_deref(), what)?;
            if c.keepdims == Some(true) {
                return Err(bad(what, "keepdims=True is not supported"));
            }
            GlobalAveragePooling2D::new().into()
        }
        LayerConfig::Reshape(c) => {
            let mut shape = Vec::with_capacity(c.target_shape.len());
            let mut inferred = None;
            for (i, d) in c.target_shape.iter().enumerate() {
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
        _ => unreachable!("layer_from_config sends only the image layers here"),
    })
}

/// A pooling layer made by `new` (Max or Average) from its config.
fn pooling(
    new: impl FnOnce(Size2) -> crate::layers::Pooling2D,
    c: Pooling2DConfig,
    what: &str,
) -> Result<Layer> {
    channels_last(c.data_format.as_deref(), what)?;
    let mut p = new(c.pool_size.map_or(Size2(2, 2), |p| p.0));
    if let Some(Pair(s)) = c.strides {
        p = p.strides(s);
    }
    if let Some(pad) = &c.padding {
        p = p.padding(pad);
    }
    Ok(p.into())
}
