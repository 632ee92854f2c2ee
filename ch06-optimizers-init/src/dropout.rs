//! Dropout (section 6.4.3): drop random units while training, so the network cannot rely on
//! any one of them.
//!
//! Two forms, differing only in where the `1 - ratio` scale goes:
//!
//! | form | training | inference | backward |
//! |---|---|---|---|
//! | the book's ([`DropoutForm::Book`]) | `x * mask` | `x * (1 - ratio)` | `dout * mask` |
//! | Keras' inverted ([`DropoutForm::Inverted`]) | `x * mask / (1 - rate)` | `x` | `dout * mask / (1 - rate)` |
//!
//! with `mask = (rand(N, D) > ratio)` drawn anew at every training forward. Both keep the
//! expected activation the same in training and inference; the inverted form leaves
//! inference untouched, which is why Keras (and keras-lite) use it.
//!
//! ```python
//! # the book's common/layers.py
//! class Dropout:
//!     def forward(self, x, train_flg=True):
//!         if train_flg:
//!             self.mask = np.random.rand(*x.shape) > self.dropout_ratio
//!             return x * self.mask
//!         else:
//!             return x * (1.0 - self.dropout_ratio)
//!     def backward(self, dout):
//!         return dout * self.mask
//! ```

use ch03_activations::Float;
use ch05_backprop::{Layer, Mode, ensure_shape};
use ndarray::{Array2, ArrayRef2, Zip};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Where the `1 - ratio` scale is applied (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropoutForm {
    /// Scale at inference: `x * (1 - ratio)` (the book).
    Book,
    /// Scale in training: `x * mask / (1 - rate)` (Keras).
    Inverted,
}

/// An invalid dropout ratio.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("Dropout: ratio = {0} is invalid; it must be in [0, 1) (the fraction of units dropped)")]
pub struct DropoutError(pub f64);

/// A dropout layer with its own seeded generator (the same seed drops the same units).
#[derive(Debug, Clone)]
pub struct Dropout<A> {
    /// The fraction of units dropped in training, in `[0, 1)`.
    pub ratio: f64,
    pub form: DropoutForm,
    /// The last training forward's multipliers: 0 for dropped units, and 1 (book) or
    /// `1 / (1 - ratio)` (inverted) for kept ones. Shape (N, D).
    mask: Array2<A>,
    rng: StdRng,
}

impl<A: Float> Dropout<A> {
    /// The book's `Dropout(dropout_ratio)`.
    pub fn book(ratio: f64, seed: u64) -> Result<Self, DropoutError> {
        Self::new(ratio, DropoutForm::Book, seed)
    }

    /// Keras' `Dropout(rate)` (inverted).
    pub fn keras(rate: f64, seed: u64) -> Result<Self, DropoutError> {
        Self::new(rate, DropoutForm::Inverted, seed)
    }

    /// Checked: `ratio` in `[0, 1)`.
    pub fn new(ratio: f64, form: DropoutForm, seed: u64) -> Result<Self, DropoutError> {
        if !(0.0..1.0).contains(&ratio) {
            return Err(DropoutError(ratio));
        }
        Ok(Dropout {
            ratio,
            form,
            mask: Array2::zeros((0, 0)),
            rng: StdRng::seed_from_u64(seed),
        })
    }

    /// The multipliers of the last training forward (shape (N, D)).
    pub fn mask(&self) -> &Array2<A> {
        &self.mask
    }
}

impl<A: Float> Layer<A> for Dropout<A> {
    /// Training: draws a new mask and returns `x * mask`; inference: `x * (1 - ratio)` (book)
    /// or `x` (inverted). Shapes (N, D) -> (N, D).
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        ensure_shape(out, x.dim());
        match mode {
            Mode::Train => {
                ensure_shape(&mut self.mask, x.dim());
                let keep = match self.form {
                    DropoutForm::Book => A::one(),
                    DropoutForm::Inverted => A::of(1.0 / (1.0 - self.ratio)),
                };
                let (ratio, rng) = (self.ratio, &mut self.rng);
                // mask = np.random.rand(*x.shape) > self.dropout_ratio
                self.mask.mapv_inplace(|_| {
                    if rng.random::<f64>() > ratio {
                        keep
                    } else {
                        A::zero()
                    }
                });
                Zip::from(&mut *out)
                    .and(x)
                    .and(&self.mask)
                    .for_each(|o, &x, &m| *o = x * m);
            }
            Mode::Eval => match self.form {
                DropoutForm::Book => {
                    let scale = A::of(1.0 - self.ratio);
                    Zip::from(&mut *out).and(x).for_each(|o, &x| *o = x * scale);
                }
                DropoutForm::Inverted => out.assign(x),
            },
        }
    }

    /// `dx = dout * mask` (the mask of the last training forward).
    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        assert_eq!(
            dout.dim(),
            self.mask.dim(),
            "Dropout::backward: dout must have the shape of the last training forward"
        );
        ensure_shape(dx, dout.dim());
        Zip::from(&mut *dx)
            .and(dout)
            .and(&self.mask)
            .for_each(|d, &g, &m| *d = g * m);
    }
}
