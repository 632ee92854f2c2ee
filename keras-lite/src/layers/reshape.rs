//! `Reshape(target_shape)`: `(N, d1, d2, ...)` -> `(N, t1, t2, ...)` with the same number of
//! values per sample.
//!
//! A batch is stored as rows `(N, features)` in row-major (channels_last) order whatever the
//! sample's shape, so at run time Reshape, like `Flatten`, passes its input through: only the
//! shape the next layer reads changes. One entry of the target may be `-1` (Keras' "infer this
//! axis"), written here as [`Reshape::infer`].

use crate::error::{KerasError, Result};
use crate::summary::shape_with_batch;

/// Keras' `Reshape(target_shape)`: `Reshape::new(&[7, 7, 16])`; Keras' `Reshape((7, -1))` is
/// [`Reshape::with_inferred_axis`]`(&[7, 0], 1)`.
///
/// ```
/// use keras_lite::layers::Reshape;
/// let r = Reshape::new(&[14, 14, 4]);
/// assert_eq!(r.output_shape_for(&[28, 28, 1]).unwrap(), vec![14, 14, 4]);
/// let r = Reshape::with_inferred_axis(&[7, 0], 1); // Reshape((7, -1))
/// assert_eq!(r.output_shape_for(&[28, 28, 1]).unwrap(), vec![7, 112]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reshape {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) target_shape: Vec<usize>,
    /// The axis of `target_shape` given as `-1` in Keras (its value here is ignored).
    pub(crate) inferred_axis: Option<usize>,
}

impl Reshape {
    /// Reshapes each sample to `target_shape` (the batch axis excluded).
    pub fn new(target_shape: &[usize]) -> Self {
        Reshape {
            target_shape: target_shape.to_vec(),
            ..Self::default()
        }
    }

    /// Keras' `-1` in the target shape: axis `axis` of `target_shape` is computed from the
    /// others (its value in `target_shape` is ignored).
    pub fn with_inferred_axis(target_shape: &[usize], axis: usize) -> Self {
        Reshape {
            target_shape: target_shape.to_vec(),
            inferred_axis: Some(axis),
            ..Self::default()
        }
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `reshape`, `reshape_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The target shape as Keras writes it in a config (`-1` for the inferred axis).
    pub fn target_shape_keras(&self) -> Vec<i64> {
        self.target_shape
            .iter()
            .enumerate()
            .map(|(i, &d)| {
                if Some(i) == self.inferred_axis {
                    -1
                } else {
                    d as i64
                }
            })
            .collect()
    }

    /// The output shape for samples of shape `input`: an error naming the layer when the
    /// number of values differs (or cannot be divided for the inferred axis).
    pub fn output_shape_for(&self, input: &[usize]) -> Result<Vec<usize>> {
        let name = self.name.as_deref().unwrap_or("");
        let bad = |why: String| {
            KerasError::InvalidArgument(format!(
                "layer {name:?} (Reshape) cannot reshape inputs of shape {} to {:?}: {why}",
                shape_with_batch(input),
                self.target_shape_keras()
            ))
        };
        let total =
            crate::sizes::elements(input).ok_or_else(|| bad("the size overflows".into()))?;
        if self.target_shape.is_empty() {
            return Err(bad("the target shape is empty".into()));
        }
        let mut out = self.target_shape.clone();
        let known = crate::sizes::elements(
            &out.iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != self.inferred_axis)
                .map(|(_, &d)| d)
                .collect::<Vec<_>>(),
        )
        .ok_or_else(|| bad("the size overflows".into()))?;
        match self.inferred_axis {
            Some(axis) if axis >= out.len() => Err(bad(format!(
                "the inferred axis {axis} is outside the target's {} axes",
                out.len()
            ))),
            Some(axis) => {
                if known == 0 || total % known != 0 {
                    return Err(bad(format!(
                        "{total} values per sample are not a multiple of {known}"
                    )));
                }
                out[axis] = total / known;
                Ok(out)
            }
            None if known != total => Err(bad(format!(
                "a sample has {total} values but the target shape holds {known}"
            ))),
            None => Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_must_agree_and_errors_name_the_layer() {
        let r = Reshape::new(&[5, 5]).name("r");
        let e = r.output_shape_for(&[28, 28]).unwrap_err().to_string();
        assert!(e.contains("\"r\"") && e.contains("784"), "{e}");
        let r = Reshape::with_inferred_axis(&[0, 5], 0);
        assert!(r.output_shape_for(&[28, 28]).is_err());
        assert_eq!(r.output_shape_for(&[10, 2]).unwrap(), vec![4, 5]);
        assert!(Reshape::new(&[]).output_shape_for(&[3]).is_err());
        assert!(
            Reshape::new(&[2])
                .output_shape_for(&[usize::MAX, 2])
                .is_err()
        );
    }
}
