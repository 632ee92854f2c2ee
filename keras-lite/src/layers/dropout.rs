//! `Dropout(rate)`: while training, each value is zeroed with probability `rate` and the rest
//! are scaled by `1 / (1 - rate)` (the "inverted" dropout Keras uses, so that nothing changes
//! at inference); in `evaluate` and `predict` the layer passes its input through.
//!
//! ```text
//! training:   y = x * mask / (1 - rate)      mask = (uniform(0, 1) > rate), new every batch
//! inference:  y = x
//! backward:   dx = dy * mask / (1 - rate)
//! ```
//!
//! The computing part is ch06's [`Dropout`](ch06_optimizers_init::dropout::Dropout) in its
//! Keras (inverted) form.

use crate::error::{KerasError, Result};
use crate::layers::Buffered;
use ch05_backprop::Mode;
use ch06_optimizers_init::dropout::Dropout as Ch06Dropout;
use ndarray::{Array2, ArrayRef2};
use rand::Rng;
use rand::rngs::StdRng;

/// Keras' `Dropout(rate, seed=None)`.
///
/// ```
/// use keras_lite::layers::Dropout;
/// let d = Dropout::new(0.2).seed(7);
/// assert_eq!(d.rate(), 0.2);
/// ```
#[derive(Debug, Clone)]
pub struct Dropout {
    pub(crate) name: Option<String>,
    pub(crate) input_shape: Option<Vec<usize>>,
    pub(crate) rate: f64,
    pub(crate) seed: Option<u64>,
    /// ch06's layer (its mask and generator), created by `build` (boxed: it is large, and
    /// `Layer` is an enum).
    pub(crate) layer: Option<Box<Buffered<Ch06Dropout<f32>>>>,
}

impl Dropout {
    /// Drops the fraction `rate` (in `[0, 1)`) of the values while training.
    pub fn new(rate: f64) -> Self {
        Dropout {
            name: None,
            input_shape: None,
            rate,
            seed: None,
            layer: None,
        }
    }

    /// Draws the masks from a generator seeded with `seed` (default: from the model's).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The shape of one input sample (only meaningful on the model's first layer).
    pub fn input_shape(mut self, shape: &[usize]) -> Self {
        self.input_shape = Some(shape.to_vec());
        self
    }

    /// Sets the layer's name (default: `dropout`, `dropout_1`, ...).
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The fraction of values dropped while training.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Checks the rate and creates the mask generator.
    pub(crate) fn build(&mut self, rng: &mut StdRng) -> Result<()> {
        if self.layer.is_some() {
            return Ok(());
        }
        let seed = self.seed.unwrap_or_else(|| rng.random());
        let layer = Ch06Dropout::keras(self.rate, seed).map_err(|e| {
            KerasError::InvalidArgument(format!(
                "layer {:?}: {e}; Keras' usual rates are 0.2 to 0.5",
                self.name.clone().unwrap_or_default()
            ))
        })?;
        self.layer = Some(Box::new(Buffered::new(layer)));
        Ok(())
    }

    /// `y` for a training batch; `None` at inference (the input passes through unchanged).
    pub(crate) fn forward(&mut self, x: &ArrayRef2<f32>, mode: Mode) -> Option<&Array2<f32>> {
        if mode == Mode::Eval || self.rate == 0.0 {
            return None;
        }
        let layer = self.layer.as_mut().expect("layer built before use");
        Some(layer.forward(x, mode))
    }

    /// `dx = dy * mask / (1 - rate)`; `None` when the forward passed through.
    pub(crate) fn backward(&mut self, dout: &ArrayRef2<f32>) -> Option<&Array2<f32>> {
        if self.rate == 0.0 {
            return None;
        }
        let layer = self.layer.as_mut().expect("layer built before use");
        Some(layer.backward(dout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn inverted_dropout_keeps_the_mean_and_is_identity_at_inference() {
        let mut d = Dropout::new(0.25).seed(3);
        d.build(&mut StdRng::seed_from_u64(0)).unwrap();
        let x = Array2::<f32>::ones((200, 50));
        assert!(d.forward(&x, Mode::Eval).is_none());
        let y = d.forward(&x, Mode::Train).unwrap().clone();
        let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / y.len() as f64;
        assert!((kept - 0.75).abs() < 0.02, "kept {kept}");
        assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-6));
        let mean = y.mean().unwrap() as f64;
        assert!((mean - 1.0).abs() < 0.03, "mean {mean}");
        // backward uses the same mask and scale
        let dx = d.backward(&Array2::ones((200, 50))).unwrap();
        assert_eq!(dx, &y);
    }

    #[test]
    fn rates_outside_zero_one_are_errors() {
        let mut rng = StdRng::seed_from_u64(0);
        assert!(Dropout::new(1.0).build(&mut rng).is_err());
        assert!(Dropout::new(-0.1).build(&mut rng).is_err());
        let msg = Dropout::new(f64::NAN)
            .name("d")
            .build(&mut rng)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("\"d\"") && msg.contains("[0, 1)"), "{msg}");
    }

    #[test]
    fn the_same_seed_drops_the_same_values() {
        let x = Array2::<f32>::ones((4, 8));
        let mut a = Dropout::new(0.5).seed(11);
        let mut b = Dropout::new(0.5).seed(11);
        a.build(&mut StdRng::seed_from_u64(1)).unwrap();
        b.build(&mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(
            a.forward(&x, Mode::Train).unwrap(),
            b.forward(&x, Mode::Train).unwrap()
        );
    }
}
