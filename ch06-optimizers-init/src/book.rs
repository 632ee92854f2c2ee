//! The book's optimizers, exactly as `common/optimizer.py` writes them (section 6.1).
//!
//! These are the readable versions: whole-array expressions, one line per line of the book's
//! NumPy. The Keras optimizers in [`crate::keras`] are the fused, allocation-free ones.
//!
//! | book class | defaults | update (per parameter) |
//! |---|---|---|
//! | [`SGD`] | lr 0.01 | `p -= lr g` |
//! | [`Momentum`] | lr 0.01, momentum 0.9 | `v = m v - lr g; p += v` |
//! | [`Nesterov`] | lr 0.01, momentum 0.9 | `p += m^2 v; p -= (1 + m) lr g; v = m v - lr g` |
//! | [`AdaGrad`] | lr 0.01 | `h += g^2; p -= lr g / (sqrt(h) + 1e-7)` |
//! | [`RMSprop`] | lr 0.01, decay 0.99 | `h = d h + (1 - d) g^2; p -= lr g / (sqrt(h) + 1e-7)` |
//! | [`Adam`] | lr 0.001, 0.9, 0.999 | `t += 1; lr_t = lr sqrt(1-b2^t)/(1-b1^t); m += (1-b1)(g-m); v += (1-b2)(g^2-v); p -= lr_t m / (sqrt(v) + 1e-7)` ([`AdamStep`], the kernel Keras' Adam runs too) |
//!
//! They differ from Keras' on purpose: the book adds 1e-7 outside the root in AdaGrad and
//! RMSprop and starts AdaGrad's `h` at 0; its RMSprop defaults are lr 0.01 and decay 0.99.
//!
//! The book's Nesterov (in the repository's corrected form) moves the parameters with the OLD
//! velocity and then updates the velocity; that is Sutskever's Nesterov momentum rewritten in
//! terms of the look-ahead point (see Bengio et al., "Advances in optimizing recurrent
//! networks", 2012).
//!
//! ```
//! use ch06_optimizers_init::{Optimizer, book::SGD};
//! use ch05_backprop::ParamMut;
//! use ndarray::array;
//!
//! // params['W'] -= lr * grads['W'] with lr = 0.1
//! let mut w = array![1.0, -2.0].into_dyn();
//! let mut g = array![0.5, 1.0].into_dyn();
//! let mut sgd = SGD::new(0.1).unwrap();
//! sgd.update(vec![ParamMut { name: "W", value: w.view_mut(), grad: g.view_mut() }]);
//! assert_eq!(w, array![0.95, -2.1].into_dyn());
//! ```

use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::{ArrayRef, IxDyn, Zip};

/// The small constant the book adds to denominators.
const BOOK_EPS: f64 = 1e-7;

fn check_lr(owner: &'static str, lr: f64) -> Result<f64, OptimizerError> {
    check(owner, "lr", lr, ">= 0", |x| x >= 0.0)
}

fn check_unit(owner: &'static str, setting: &'static str, x: f64) -> Result<f64, OptimizerError> {
    check(owner, setting, x, "in [0, 1)", |x| (0.0..1.0).contains(&x))
}

/// Stochastic gradient descent: `p -= lr * g`.
#[allow(clippy::upper_case_acronyms)] // the book's class name
#[derive(Debug, Clone)]
pub struct SGD {
    pub lr: f64,
}

impl SGD {
    /// `SGD(lr)`; checked `lr >= 0`.
    pub fn new(lr: f64) -> Result<Self, OptimizerError> {
        Ok(SGD {
            lr: check_lr("SGD", lr)?,
        })
    }
}

impl Default for SGD {
    /// `SGD(lr=0.01)`.
    fn default() -> Self {
        SGD { lr: 0.01 }
    }
}

impl<A: Float> Optimizer<A> for SGD {
    fn update_param(&mut self, _index: usize, p: ParamMut<'_, A>) {
        let ParamMut {
            mut value, grad, ..
        } = p;
        // params[key] -= self.lr * grads[key]
        value.scaled_add(-A::of(self.lr), &grad);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "SGD"
    }
}

/// Momentum SGD: a ball rolling downhill, `v = momentum * v - lr * g; p += v`.
#[derive(Debug, Clone)]
pub struct Momentum<A> {
    pub lr: f64,
    pub momentum: f64,
    v: Slots<A>,
}

impl<A: Float> Momentum<A> {
    /// `Momentum(lr, momentum)`; checked `lr >= 0`, `momentum` in `[0, 1)`.
    pub fn new(lr: f64, momentum: f64) -> Result<Self, OptimizerError> {
        Ok(Momentum {
            lr: check_lr("Momentum", lr)?,
            momentum: check_unit("Momentum", "momentum", momentum)?,
            v: Slots::new(),
        })
    }
}

impl<A: Float> Default for Momentum<A> {
    /// `Momentum(lr=0.01, momentum=0.9)`.
    fn default() -> Self {
        Momentum::new(0.01, 0.9).expect("the book's defaults are valid")
    }
}

impl<A: Float> Optimizer<A> for Momentum<A> {
    fn update_param(&mut self, index: usize, p: ParamMut<'_, A>) {
        let ParamMut {
            mut value, grad, ..
        } = p;
        let (lr, m) = (A::of(self.lr), A::of(self.momentum));
        let v = self.v.get(index, grad.shape(), A::zero());
        // self.v[key] = self.momentum*self.v[key] - self.lr*grads[key]
        *v = &*v * m - &grad * lr;
        // params[key] += self.v[key]
        value.zip_mut_with(&*v, |p, &v| *p = *p + v);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "Momentum"
    }
}

/// Nesterov's accelerated gradient, in the book's (corrected) order:
/// `p += m^2 v; p -= (1 + m) lr g; v = m v - lr g`.
#[derive(Debug, Clone)]
pub struct Nesterov<A> {
    pub lr: f64,
    pub momentum: f64,
    v: Slots<A>,
}

impl<A: Float> Nesterov<A> {
    /// `Nesterov(lr, momentum)`; checked `lr >= 0`, `momentum` in `[0, 1)`.
    pub fn new(lr: f64, momentum: f64) -> Result<Self, OptimizerError> {
        Ok(Nesterov {
            lr: check_lr("Nesterov", lr)?,
            momentum: check_unit("Nesterov", "momentum", momentum)?,
            v: Slots::new(),
        })
    }
}

impl<A: Float> Default for Nesterov<A> {
    /// `Nesterov(lr=0.01, momentum=0.9)`.
    fn default() -> Self {
        Nesterov::new(0.01, 0.9).expect("the book's defaults are valid")
    }
}

impl<A: Float> Optimizer<A> for Nesterov<A> {
    fn update_param(&mut self, index: usize, p: ParamMut<'_, A>) {
        let ParamMut {
            mut value, grad, ..
        } = p;
        let (lr, m) = (A::of(self.lr), A::of(self.momentum));
        let v = self.v.get(index, grad.shape(), A::zero());
        // params[key] += self.momentum * self.momentum * self.v[key]
        value.scaled_add(m * m, &*v);
        // params[key] -= (1 + self.momentum) * self.lr * grads[key]
        value.scaled_add(-(A::one() + m) * lr, &grad);
        // self.v[key] *= self.momentum; self.v[key] -= self.lr * grads[key]
        v.mapv_inplace(|x| x * m);
        v.scaled_add(-lr, &grad);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "Nesterov"
    }
}

/// AdaGrad: per-element rates that shrink with the squared gradients seen so far,
/// `h += g^2; p -= lr g / (sqrt(h) + 1e-7)`.
#[derive(Debug, Clone)]
pub struct AdaGrad<A> {
    pub lr: f64,
    h: Slots<A>,
}

impl<A: Float> AdaGrad<A> {
    /// `AdaGrad(lr)`; checked `lr >= 0`.
    pub fn new(lr: f64) -> Result<Self, OptimizerError> {
        Ok(AdaGrad {
            lr: check_lr("AdaGrad", lr)?,
            h: Slots::new(),
        })
    }
}

impl<A: Float> Default for AdaGrad<A> {
    /// `AdaGrad(lr=0.01)`.
    fn default() -> Self {
        AdaGrad::new(0.01).expect("the book's defaults are valid")
    }
}

impl<A: Float> Optimizer<A> for AdaGrad<A> {
    fn update_param(&mut self, index: usize, p: ParamMut<'_, A>) {
        let ParamMut {
            mut value, grad, ..
        } = p;
        let (lr, eps) = (A::of(self.lr), A::of(BOOK_EPS));
        let h = self.h.get(index, grad.shape(), A::zero());
        // self.h[key] += grads[key] * grads[key]
        *h = &*h + &grad * &grad;
        // params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
        let step = &grad * lr / (h.mapv(|x| x.sqrt()) + eps);
        value.zip_mut_with(&step, |p, &s| *p = *p - s);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "AdaGrad"
    }
}

/// RMSprop: AdaGrad with a forgetting average,
/// `h = d h + (1 - d) g^2; p -= lr g / (sqrt(h) + 1e-7)`.
#[derive(Debug, Clone)]
pub struct RMSprop<A> {
    pub lr: f64,
    pub decay_rate: f64,
    h: Slots<A>,
}

impl<A: Float> RMSprop<A> {
    /// `RMSprop(lr, decay_rate)`; checked `lr >= 0`, `decay_rate` in `[0, 1)`.
    pub fn new(lr: f64, decay_rate: f64) -> Result<Self, OptimizerError> {
        Ok(RMSprop {
            lr: check_lr("RMSprop", lr)?,
            decay_rate: check_unit("RMSprop", "decay_rate", decay_rate)?,
            h: Slots::new(),
        })
    }
}

impl<A: Float> Default for RMSprop<A> {
    /// `RMSprop(lr=0.01, decay_rate=0.99)`.
    fn default() -> Self {
        RMSprop::new(0.01, 0.99).expect("the book's defaults are valid")
    }
}

impl<A: Float> Optimizer<A> for RMSprop<A> {
    fn update_param(&mut self, index: usize, p: ParamMut<'_, A>) {
        let ParamMut {
            mut value, grad, ..
        } = p;
        let (lr, d, eps) = (A::of(self.lr), A::of(self.decay_rate), A::of(BOOK_EPS));
        let h = self.h.get(index, grad.shape(), A::zero());
        // self.h[key] *= self.decay_rate
        h.mapv_inplace(|x| x * d);
        // self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
        *h = &*h + &grad * &grad * (A::one() - d);
        // params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-7)
        let step = &grad * lr / (h.mapv(|x| x.sqrt()) + eps);
        value.zip_mut_with(&step, |p, &s| *p = *p - s);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "RMSprop"
    }
}

/// Adam (Kingma and Ba) as the book writes it: bias correction folded into `lr_t`.
#[derive(Debug, Clone)]
pub struct Adam<A> {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    iter: u64,
    m: Slots<A>,
    v: Slots<A>,
}

impl<A: Float> Adam<A> {
    /// `Adam(lr, beta1, beta2)`; checked `lr >= 0`, betas in `[0, 1)`.
    pub fn new(lr: f64, beta1: f64, beta2: f64) -> Result<Self, OptimizerError> {
        Ok(Adam {
            lr: check_lr("Adam", lr)?,
            beta1: check_unit("Adam", "beta1", beta1)?,
            beta2: check_unit("Adam", "beta2", beta2)?,
            iter: 0,
            m: Slots::new(),
            v: Slots::new(),
        })
    }
}

impl<A: Float> Default for Adam<A> {
    /// `Adam(lr=0.001, beta1=0.9, beta2=0.999)`.
    fn default() -> Self {
        Adam::new(0.001, 0.9, 0.999).expect("the book's defaults are valid")
    }
}

impl<A: Float> Optimizer<A> for Adam<A> {
    /// `self.iter += 1`, once per `update` call as in the book.
    fn begin_step(&mut self) {
        self.iter += 1;
    }

    fn update_param(&mut self, index: usize, p: ParamMut<'_, A>) {
        assert!(
            self.iter > 0,
            "Adam: call begin_step() before update_param()"
        );
        let ParamMut {
            mut value, grad, ..
        } = p;
        let t = self.iter as f64;
        // lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        let lr_t = A::of(self.lr * (1.0 - self.beta2.powf(t)).sqrt() / (1.0 - self.beta1.powf(t)));
        let (b1, b2) = (A::of(self.beta1), A::of(self.beta2));
        let step = AdamStep {
            c1: A::one() - b1,
            c2: A::one() - b2,
            alpha: lr_t,
            eps: A::of(BOOK_EPS),
        };
        // self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
        // self.v[key] += (1 - self.beta2) * (grads[key]**2 - self.v[key])
        // params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)
        let m = self.m.get(index, grad.shape(), A::zero());
        let v = self.v.get(index, grad.shape(), A::zero());
        step.apply_arrays(&mut value, &grad, m, v);
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn store_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn name(&self) -> &'static str {
        "Adam"
    }
    fn iterations(&self) -> u64 {
        self.iter
    }
}

/// One Adam step's constants: the update kernel that the book's [`Adam`] and Keras' `Adam`
/// (`crate::keras::Adam`, also inside `AdamW`) both run, element by element.
///
/// ```text
/// m = m + (g - m) c1                      c1 = 1 - beta1
/// v = v + (g^2 - v) c2                    c2 = 1 - beta2
/// w = w - (m alpha) / (sqrt(v) + eps)     alpha = lr sqrt(1 - beta2^t) / (1 - beta1^t)
/// ```
///
/// The two optimizers differ only in how they round the constants (and so keep their own
/// numbers to the last bit): the book takes `c1 = 1 - f32(beta1)` and `lr_t` in f64 as
/// `common/optimizer.py` does; Keras takes `c1 = f32(1 - beta1)` and `alpha` from the
/// float32 powers, as TensorFlow does. Both put `eps` outside the root without bias
/// correction (Keras 2's "epsilon hat").
#[derive(Debug, Clone, Copy)]
pub struct AdamStep<A> {
    /// `1 - beta1`, the weight of the new gradient in the first moment.
    pub c1: A,
    /// `1 - beta2`, the weight of the new squared gradient in the second moment.
    pub c2: A,
    /// The bias-corrected learning rate of this step, `lr sqrt(1 - beta2^t) / (1 - beta1^t)`.
    pub alpha: A,
    /// The constant added to `sqrt(v)`.
    pub eps: A,
}

impl<A: Float> AdamStep<A> {
    /// Adam on one element: updates the moments `m`, `v` and the weight `w` from gradient `g`.
    ///
    /// A moment that decays below the smallest normal float (about 1e-38 in f32) is set to 0.
    /// Such subnormal numbers are handled in microcode on x86 and make the whole update
    /// several times slower (weights whose gradient stays 0, e.g. of a dead ReLU unit, decay
    /// there within an epoch). TensorFlow runs its kernels with flush-to-zero on, so it keeps
    /// them at 0 too. The `if`s compile to selects: a loop over this stays vectorised.
    ///
    /// ```
    /// use ch06_optimizers_init::book::AdamStep;
    /// let step = AdamStep { c1: 0.1f64, c2: 0.001, alpha: 0.001, eps: 1e-7 };
    /// let (mut w, mut m, mut v) = (1.0, 0.0, 0.0);
    /// step.apply(&mut w, 0.5, &mut m, &mut v);
    /// assert_eq!((m, v), (0.05, 0.00025));
    /// assert!((w - (1.0 - 0.001 * 0.05 / (0.00025f64.sqrt() + 1e-7))).abs() < 1e-15);
    /// ```
    #[inline(always)]
    pub fn apply(&self, w: &mut A, g: A, m: &mut A, v: &mut A) {
        let tiny = A::min_positive_value();
        let m_new = *m + (g - *m) * self.c1;
        let v_new = *v + (g * g - *v) * self.c2;
        *m = if m_new.abs() < tiny { A::zero() } else { m_new };
        *v = if v_new < tiny { A::zero() } else { v_new };
        *w = *w - (*m * self.alpha) / (v.sqrt() + self.eps);
    }

    /// [`AdamStep::apply`] on every element of a parameter `w`, its gradient `g` and its
    /// moments `m`, `v` (all of one shape, any layout).
    ///
    /// # Panics
    /// If the shapes differ (a bug in the optimizer's bookkeeping).
    pub fn apply_arrays(
        &self,
        w: &mut ArrayRef<A, IxDyn>,
        g: &ArrayRef<A, IxDyn>,
        m: &mut ArrayRef<A, IxDyn>,
        v: &mut ArrayRef<A, IxDyn>,
    ) {
        Zip::from(w)
            .and(g)
            .and(m)
            .and(v)
            .for_each(|w, &g, m, v| self.apply(w, g, m, v));
    }
}

/// The book's `Trainer` names (`optimizer_class_dict` in `common/trainer.py`):
/// `sgd`, `momentum`, `nesterov`, `adagrad`, `rmsprop`, `adam` (case-insensitive), built with
/// the learning rate `lr` and the book's other defaults.
pub fn optimizer_from_name<A: Float + 'static>(
    name: &str,
    lr: f64,
) -> Result<Box<dyn Optimizer<A>>, OptimizerError> {
    let opt: Box<dyn Optimizer<A>> = match name.trim().to_ascii_lowercase().as_str() {
        "sgd" => Box::new(SGD::new(lr)?),
        "momentum" => Box::new(Momentum::new(lr, 0.9)?),
        "nesterov" => Box::new(Nesterov::new(lr, 0.9)?),
        "adagrad" => Box::new(AdaGrad::new(lr)?),
        "rmsprop" => Box::new(RMSprop::new(lr, 0.99)?),
        "adam" => Box::new(Adam::new(lr, 0.9, 0.999)?),
        _ => {
            return Err(OptimizerError::UnknownName {
                name: name.to_string(),
                valid: "sgd, momentum, nesterov, adagrad, rmsprop, adam".to_string(),
            });
        }
    };
    Ok(opt)
}
