//! `BatchNormalization()`: normalizes each feature over the batch while training, with
//! Keras' defaults (momentum 0.99, epsilon 1e-3, moving variance starting at 1).
//!
//! ```text
//! training:   mu, var = mean and (biased) variance of each feature over the batch
//!             y = gamma * (x - mu) / sqrt(var + eps) + beta
//!             moving_mean = momentum * moving_mean + (1 - momentum) * mu   (same for the variance)
//! inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance + eps) + beta
//! ```
//!
//! `gamma` and `beta` are trained; `moving_mean` and `moving_variance` are weights too (they
//! are saved and loaded, and `get_weights` returns them, in Keras' order
//! `[gamma, beta, moving_mean, moving_variance]`) but not trained: Keras counts them as
//! non-trainable parameters. `center(false)` drops `beta`, `scale(false)` drops `gamma`.
//!
//! The computing part is ch06's
//! [`BatchNormalization`](ch06_optimizers_init::batch_norm::BatchNormalization).

use crate::error::{KerasError, Result};
use crate::layers::{Buffered, rows};
use ch05_backprop::{Layer as _, Mode, ParamMut};
use ch06_optimizers_init::batch_norm::BatchNormalization as Ch06BatchNorm;
use ndarray::{Array1, Array2, ArrayD, ArrayRef2, Ix1};

/// Keras' `BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001, center=True,
/// scale=True)` over the features of flat inputs or the channels of images.
///
/// ```
/// use keras_lite::layers::BatchNormalization;
/// let bn = BatchNormalization::new().momentum(0.9).epsilon(1e-5);
/// assert_eq!(bn.momentum_value(), 0.9);
/// ```
#[derive(Debug, Clone)]
pub struct BatchNormalization {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) momentum: f64,
    pub(crate) epsilon: f64,
    pub(crate) center: bool,
    pub(crate) scale: bool,
    /// ch06's layer, created by `build` (boxed: it is large, and `Layer` is an enum).
    pub(crate) layer: Option<Box<Buffered<Ch06BatchNorm<f32>>>>,
    /// The moving variance before the last training step on images (see `forward`).
    moving_var_before: Array1<f32>,
}

impl Default for BatchNormalization {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchNormalization {
    /// Keras' defaults: momentum 0.99, epsilon 1e-3, with `beta` and `gamma`.
    pub fn new() -> Self {
        BatchNormalization {
            name: None,
            input_shape: None,
            momentum: 0.99,
            epsilon: 1e-3,
            center: true,
            scale: true,
            layer: None,
            moving_var_before: Array1::zeros(0),
        }
    }

    /// The weight of the old value in the moving averages (in `[0, 1]`).
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Added to the variance before the square root (> 0).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Whether to learn the shift `beta` (default true).
    pub fn center(mut self, center: bool) -> Self {
        self.center = center;
        self
    }

    /// Whether to learn the scale `gamma` (default true).
    pub fn scale(mut self, scale: bool) -> Self {
        self.scale = scale;
        self
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `batch_normalization`, `batch_normalization_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The momentum of the moving averages.
    pub fn momentum_value(&self) -> f64 {
        self.momentum
    }

    /// Keras' weight names, in `get_weights` order.
    pub fn weight_names(&self) -> Vec<&'static str> {
        let mut names = Vec::with_capacity(4);
        if self.scale {
            names.push("gamma");
        }
        if self.center {
            names.push("beta");
        }
        names.extend(["moving_mean", "moving_variance"]);
        names
    }

    /// Parameters: `4 * features` in Keras' count, of which `2 * features` are not trained
    /// (the moving averages) and `gamma`/`beta` only if used.
    pub(crate) fn count_params(&self, features: usize) -> (usize, usize) {
        let trainable = features.saturating_mul(self.scale as usize + self.center as usize);
        (trainable, features.saturating_mul(2))
    }

    /// Creates the weights for `features` inputs.
    pub(crate) fn build(&mut self, features: usize) -> Result<()> {
        if self
            .layer
            .as_ref()
            .is_some_and(|l| l.layer.features() == features)
        {
            return Ok(());
        }
        let layer =
            Ch06BatchNorm::new(features, self.momentum, self.epsilon, 1.0).map_err(|e| {
                KerasError::InvalidArgument(format!(
                    "layer {:?}: {e} (Keras' defaults are momentum 0.99, epsilon 0.001)",
                    self.name.clone().unwrap_or_default()
                ))
            })?;
        self.layer = Some(Box::new(Buffered::new(layer)));
        Ok(())
    }

    fn built(&mut self) -> &mut Buffered<Ch06BatchNorm<f32>> {
        self.layer.as_mut().expect("layer built before use")
    }

    fn inner(&mut self) -> &mut Ch06BatchNorm<f32> {
        &mut self.built().layer
    }

    /// `y` for a batch: the batch's statistics in training, the moving ones at inference.
    ///
    /// Images (rows of `H * W * C` values, channels_last) are normalized per channel, as
    /// Keras' `axis=-1`: ch06's layer runs on the `(N * H * W, C)` view of the same memory.
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode) -> &Array2<f32> {
        let b = self.layer.as_mut().expect("layer built before use");
        let c = b.layer.features();
        if x.ncols() == c {
            return b.forward(x, mode);
        }
        let (layer, out) = (&mut b.layer, &mut b.out);
        let before = &mut self.moving_var_before;
        if before.len() != c {
            *before = Array1::zeros(c);
        }
        before.assign(&layer.running_var);
        let out = per_channel(x, c, out, |xv, o| layer.forward_into(&xv, mode, o));
        // Keras runs images through TensorFlow's fused kernel, whose moving variance averages
        // the UNBIASED batch variance (times m / (m - 1), m = N*H*W values per channel);
        // ch06 averages the biased one, as Keras does for flat inputs. The batch's term in the
        // average is `moving_var - momentum * before`; add its missing `1 / (m - 1)` share.
        let m = out.len() / c;
        if mode == Mode::Train && m > 1 {
            let (mom, share) = (layer.momentum as f32, 1.0 / (m - 1) as f32);
            ndarray::Zip::from(&mut layer.running_var)
                .and(&*before)
                .for_each(|r, &b| *r += (*r - mom * b) * share);
        }
        out
    }

    /// `dx` (and `dgamma`, `dbeta`) from `dy`, for the last training batch (images as in
    /// [`BatchNormalization::forward`]).
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> &Array2<f32> {
        let b = self.built();
        let c = b.layer.features();
        if dout.ncols() == c {
            return b.backward(dout);
        }
        let (layer, dx) = (&mut b.layer, &mut b.dx);
        per_channel(dout, c, dx, |dv, o| layer.backward_into(&dv, o))
    }

    /// Visits `gamma` then `beta` (those in use), under Keras' names.
    pub(crate) fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, f32>)) {
        let (scale, center) = (self.scale, self.center);
        self.inner().for_each_param(&mut |p| match p.name {
            "gamma" if scale => f(p),
            "beta" if center => f(p),
            _ => {}
        });
    }

    /// `[gamma, beta, moving_mean, moving_variance]` (without those not in use).
    pub(crate) fn get_weights(&self) -> Vec<ArrayD<f32>> {
        let Some(b) = &self.layer else {
            return Vec::new();
        };
        let l = &b.layer;
        let mut out = Vec::with_capacity(4);
        if self.scale {
            out.push(l.gamma.clone().into_dyn());
        }
        if self.center {
            out.push(l.beta.clone().into_dyn());
        }
        out.push(l.running_mean.clone().into_dyn());
        out.push(l.running_var.clone().into_dyn());
        out
    }

    /// Replaces the weights (in [`BatchNormalization::get_weights`] order) after checking them.
    pub(crate) fn set_weights(&mut self, weights: &[ArrayD<f32>]) -> Result<()> {
        let name = self.name.clone().unwrap_or_default();
        let names = self.weight_names();
        if weights.len() != names.len() {
            return Err(KerasError::Weights(format!(
                "layer {name:?} takes {} arrays [{}], got {}",
                names.len(),
                names.join(", "),
                weights.len()
            )));
        }
        let l = self.inner();
        let d = l.features();
        let mut vectors: Vec<Array1<f32>> = Vec::with_capacity(4);
        for (w, n) in weights.iter().zip(&names) {
            let v = w
                .view()
                .into_dimensionality::<Ix1>()
                .ok()
                .filter(|v| v.len() == d)
                .ok_or_else(|| {
                    KerasError::Weights(format!(
                        "layer {name:?}: {n} given with shape {:?} but the layer's is [{d}]",
                        w.shape()
                    ))
                })?;
            if v.iter().any(|x| !x.is_finite())
                || (*n == "moving_variance" && v.iter().any(|&x| x < 0.0))
            {
                return Err(KerasError::Weights(format!(
                    "layer {name:?}: {n} contains NaN, infinity{}",
                    if *n == "moving_variance" {
                        " or a negative variance"
                    } else {
                        ""
                    }
                )));
            }
            vectors.push(v.to_owned());
        }
        let mut it = vectors.into_iter();
        let l = self.inner();
        if names.contains(&"gamma") {
            l.gamma = it.next().expect("checked count");
        }
        if names.contains(&"beta") {
            l.beta = it.next().expect("checked count");
        }
        l.running_mean = it.next().expect("checked count");
        l.running_var = it.next().expect("checked count");
        Ok(())
    }
}

/// Runs `f` on the `(pixels, c)` view of the row-major `x` (the pixels of channels_last
/// images as rows), writing into `out` viewed the same way; `out` keeps `x`'s shape.
fn per_channel<'o>(
    x: &ArrayRef2<f32>,
    c: usize,
    out: &'o mut Array2<f32>,
    f: impl FnOnce(ndarray::ArrayView2<'_, f32>, &mut Array2<f32>),
) -> &'o Array2<f32> {
    let (n, cols) = x.dim();
    let pixels = n * cols / c;
    let xv = rows::view_as(x, (pixels, c));
    rows::reshaped(out, (n, cols), (pixels, c), |o| f(xv, o));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn training_normalizes_with_the_batch_and_updates_moving_averages_as_keras() {
        let mut bn = BatchNormalization::new();
        bn.build(2).unwrap();
        let x = array![[1.0f32, 10.0], [3.0, 20.0], [5.0, 30.0], [7.0, 40.0]];
        let y = bn.forward(&x, Mode::Train).clone();
        // each column: mean 0, variance var / (var + eps)
        for c in 0..2 {
            let col = y.column(c);
            assert!(col.mean().unwrap().abs() < 1e-6);
        }
        let w = bn.get_weights();
        // moving_mean = 0.99 * 0 + 0.01 * mu; moving_variance = 0.99 * 1 + 0.01 * var (biased)
        assert!((w[2][[0]] - 0.04).abs() < 1e-6 && (w[2][[1]] - 0.25).abs() < 1e-6);
        assert!((w[3][[0]] - (0.99 + 0.01 * 5.0)).abs() < 1e-6);
        assert!((w[3][[1]] - (0.99 + 0.01 * 125.0)).abs() < 1e-5);
        // inference uses the moving averages
        let e = bn.forward(&x, Mode::Eval).clone();
        let want = (1.0 - 0.04) / (w[3][[0]] + 1e-3).sqrt();
        assert!((e[[0, 0]] - want).abs() < 1e-5);
    }

    #[test]
    fn weights_in_keras_order_and_center_scale_switches() {
        let mut bn = BatchNormalization::new().center(false);
        bn.build(3).unwrap();
        assert_eq!(
            bn.weight_names(),
            ["gamma", "moving_mean", "moving_variance"]
        );
        assert_eq!(bn.count_params(3), (3, 6));
        let mut names = Vec::new();
        bn.for_each_param(&mut |p| names.push(p.name));
        assert_eq!(names, ["gamma"]);
        let w = vec![
            array![2.0f32, 2.0, 2.0].into_dyn(),
            array![0.5f32, 0.5, 0.5].into_dyn(),
            array![4.0f32, 4.0, 4.0].into_dyn(),
        ];
        bn.set_weights(&w).unwrap();
        assert_eq!(bn.get_weights(), w);
        let bad = vec![
            w[0].clone(),
            w[1].clone(),
            array![-1.0f32, 1.0, 1.0].into_dyn(),
        ];
        assert!(
            bn.set_weights(&bad)
                .unwrap_err()
                .to_string()
                .contains("negative variance")
        );
        let short = vec![w[0].clone(), w[1].clone(), array![1.0f32].into_dyn()];
        assert!(bn.set_weights(&short).is_err());
        assert!(BatchNormalization::new().momentum(1.5).build(2).is_err());
        assert!(BatchNormalization::new().epsilon(0.0).build(2).is_err());
    }
}
