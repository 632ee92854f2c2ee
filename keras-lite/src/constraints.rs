//! Constraints applied to a weight after each optimizer update: Keras' `MaxNorm`, `NonNeg`,
//! `UnitNorm` and `MinMaxNorm`.
//!
//! Norms are taken along `axis` (0 by default: for a Dense kernel of shape `[in, units]`, the
//! incoming weights of each unit), with `eps = 1e-7`:
//!
//! ```text
//! MaxNorm(m):                w * clip(n, 0, m) / (eps + n)
//! NonNeg:                    w * (w >= 0)
//! UnitNorm:                  w / (eps + n)
//! MinMaxNorm(lo, hi, rate):  w * (rate * clip(n, lo, hi) + (1 - rate) * n) / (eps + n)
//! ```

use crate::error::{KerasError, Result};
use ndarray::{ArrayViewMutD, Axis};

const EPSILON: f32 = 1e-7;

/// A weight constraint (Keras' `tf.keras.constraints`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Constraint {
    /// Caps the norm along `axis` at `max_value` (Keras default 2, axis 0).
    MaxNorm { max_value: f64, axis: usize },
    /// Sets negative weights to 0.
    NonNeg,
    /// Scales to unit norm along `axis`.
    UnitNorm { axis: usize },
    /// Moves the norm along `axis` into `[min_value, max_value]` at `rate`.
    MinMaxNorm {
        min_value: f64,
        max_value: f64,
        rate: f64,
        axis: usize,
    },
}

impl Constraint {
    /// Keras' identifiers `"max_norm"`, `"non_neg"`, `"unit_norm"`, `"min_max_norm"` with their
    /// defaults (MaxNorm(2), MinMaxNorm(0, 1, rate 1)), all on axis 0.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "max_norm" | "MaxNorm" => Ok(Constraint::MaxNorm {
                max_value: 2.0,
                axis: 0,
            }),
            "non_neg" | "NonNeg" => Ok(Constraint::NonNeg),
            "unit_norm" | "UnitNorm" => Ok(Constraint::UnitNorm { axis: 0 }),
            "min_max_norm" | "MinMaxNorm" => Ok(Constraint::MinMaxNorm {
                min_value: 0.0,
                max_value: 1.0,
                rate: 1.0,
                axis: 0,
            }),
            _ => Err(KerasError::UnknownName {
                kind: "constraint",
                name: name.to_string(),
                valid: "max_norm, non_neg, unit_norm, min_max_norm".into(),
            }),
        }
    }

    /// Checks the settings against a weight of rank `rank`.
    pub fn validate(&self, rank: usize) -> Result<()> {
        let axis = match *self {
            Constraint::NonNeg => return Ok(()),
            Constraint::MaxNorm { axis, .. }
            | Constraint::UnitNorm { axis }
            | Constraint::MinMaxNorm { axis, .. } => axis,
        };
        if axis >= rank {
            return Err(KerasError::InvalidArgument(format!(
                "constraint {self:?}: axis {axis} does not exist on a weight of rank {rank}; \
                 use axis 0 (the default)"
            )));
        }
        Ok(())
    }

    /// Applies the constraint to `w` in place.
    pub fn apply(&self, w: &mut ArrayViewMutD<'_, f32>) {
        let (axis, target): (usize, Box<dyn Fn(f32) -> f32>) = match *self {
            Constraint::NonNeg => {
                w.mapv_inplace(|v| if v >= 0.0 { v } else { 0.0 });
                return;
            }
            Constraint::MaxNorm { max_value, axis } => {
                let m = max_value as f32;
                (axis, Box::new(move |n: f32| n.clamp(0.0, m)))
            }
            Constraint::UnitNorm { axis } => (axis, Box::new(|_| 1.0)),
            Constraint::MinMaxNorm {
                min_value,
                max_value,
                rate,
                axis,
            } => {
                let (lo, hi, r) = (min_value as f32, max_value as f32, rate as f32);
                (
                    axis,
                    Box::new(move |n: f32| r * n.clamp(lo, hi) + (1.0 - r) * n),
                )
            }
        };
        for mut lane in w.lanes_mut(Axis(axis)) {
            let n = lane.iter().map(|v| v * v).sum::<f32>().sqrt();
            let scale = target(n) / (EPSILON + n);
            lane.mapv_inplace(|v| v * scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn max_norm_caps_each_column() {
        let mut w = array![[3.0f32, 0.3], [4.0, 0.4]].into_dyn();
        Constraint::MaxNorm {
            max_value: 2.0,
            axis: 0,
        }
        .apply(&mut w.view_mut());
        // column 0 had norm 5 -> 2; column 1 had norm 0.5 -> unchanged (up to eps).
        assert!((w[[0, 0]] - 1.2).abs() < 1e-6 && (w[[1, 0]] - 1.6).abs() < 1e-6);
        assert!((w[[0, 1]] - 0.3).abs() < 1e-6);
    }

    #[test]
    fn non_neg_and_unit_norm() {
        let mut w = array![-1.0f32, 2.0].into_dyn();
        Constraint::NonNeg.apply(&mut w.view_mut());
        assert_eq!(w, array![0.0f32, 2.0].into_dyn());
        Constraint::UnitNorm { axis: 0 }.apply(&mut w.view_mut());
        assert!((w[[1]] - 1.0).abs() < 1e-6);
        assert!(Constraint::UnitNorm { axis: 1 }.validate(1).is_err());
    }
}
