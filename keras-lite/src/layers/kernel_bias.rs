//! What `Dense` and `Conv2D` share: a kernel and an optional bias, their regularizers, and the
//! checks `set_weights` makes. The kernel is any array (Dense's `[inputs, units]`, Conv2D's
//! `W_col`): penalties do not depend on its layout.

use crate::error::{KerasError, Result};
use crate::regularizers::Regularizer;
use ndarray::{ArrayD, ArrayRef, ArrayView1, Dimension, Ix1};

/// The regularizers of a kernel and its bias.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Penalties {
    pub kernel: Option<Regularizer>,
    pub bias: Option<Regularizer>,
    pub use_bias: bool,
}

impl Penalties {
    /// `r_k(kernel) + r_b(bias)` (the bias' only when the layer has one).
    pub fn value<D: Dimension>(&self, kernel: &ArrayRef<f32, D>, bias: &ArrayRef<f32, Ix1>) -> f64 {
        let mut p = 0.0;
        if let Some(r) = &self.kernel {
            p += r.penalty(kernel);
        }
        if let (Some(r), true) = (&self.bias, self.use_bias) {
            p += r.penalty(bias);
        }
        p
    }

    /// Adds the penalties' gradients to `dkernel` and `dbias`.
    pub fn add_gradients<D: Dimension>(
        &self,
        kernel: &ArrayRef<f32, D>,
        dkernel: &mut ArrayRef<f32, D>,
        bias: &ArrayRef<f32, Ix1>,
        dbias: &mut ArrayRef<f32, Ix1>,
    ) {
        if let Some(r) = self.kernel {
            r.add_gradient(kernel, dkernel, 1.0);
        }
        if let (Some(r), true) = (self.bias, self.use_bias) {
            r.add_gradient(bias, dbias, 1.0);
        }
    }
}

/// An error unless `w` holds only finite values.
pub(crate) fn check_finite<D: Dimension>(
    layer: &str,
    what: &str,
    w: &ArrayRef<f32, D>,
) -> Result<()> {
    if w.iter().any(|v| !v.is_finite()) {
        return Err(KerasError::Weights(format!(
            "layer {layer:?}: the {what} given contains NaN or infinity"
        )));
    }
    Ok(())
}

/// The bias of `set_weights`, checked: shape `[units]`, finite values.
pub(crate) fn checked_bias<'a>(
    layer: &str,
    bias: &'a ArrayD<f32>,
    units: usize,
) -> Result<ArrayView1<'a, f32>> {
    let b = bias
        .view()
        .into_dimensionality::<Ix1>()
        .ok()
        .filter(|b| b.len() == units)
        .ok_or_else(|| {
            KerasError::Weights(format!(
                "layer {layer:?}: the bias given has shape {:?} but the layer's bias is \
                 [{units}]",
                bias.shape()
            ))
        })?;
    check_finite(layer, "bias", &b)?;
    Ok(b)
}
