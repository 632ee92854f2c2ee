//! Keras' `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
//!
//! At step `t` (1-based):
//!
//! ```text
//! m = m + (g - m) * (1 - b1)
//! v = v + (g^2 - v) * (1 - b2)
//! alpha = lr * sqrt(1 - b2^t) / (1 - b1^t)
//! w = w - alpha * m / (sqrt(v) + eps)          ("epsilon hat": eps is not bias-corrected)
//! ```
//! AMSGrad keeps `vhat = max(vhat, v)` and divides by `sqrt(vhat)` instead.

use super::base::{Base, Clipping, keras_optimizer, power};
use super::defaults::adam as d;
use super::schedules::LearningRateSchedule;
use crate::book::AdamStep;
use crate::optimizer::{Optimizer, OptimizerError, Slots, check};
use ch03_activations::Float;
use ch05_backprop::ParamMut;
use ndarray::Zip;
use speed::parallel::join;

/// Adaptive moment estimation (Kingma and Ba), in Keras' form.
#[derive(Debug, Clone)]
pub struct Adam<A> {
    beta_1: f64,
    beta_2: f64,
    epsilon: f64,
    amsgrad: bool,
    pub(crate) base: Base,
    m: Slots<A>,
    v: Slots<A>,
    v_hat: Slots<A>,
}

/// Checks Adam-family hyper-parameters: betas in `[0, 1)`.
pub(crate) fn check_betas(
    owner: &'static str,
    b1: f64,
    b2: f64,
) -> Result<(f64, f64), OptimizerError> {
    let valid = |x: f64| (0.0..1.0).contains(&x);
    Ok((
        check(owner, "beta_1", b1, "in [0, 1)", valid)?,
        check(owner, "beta_2", b2, "in [0, 1)", valid)?,
    ))
}

impl<A: Float> Adam<A> {
    /// Checked: `learning_rate >= 0`, `beta_1` and `beta_2` in `[0, 1)`.
    pub fn new(learning_rate: f64, beta_1: f64, beta_2: f64) -> Result<Self, OptimizerError> {
        Self::named("Adam", learning_rate, beta_1, beta_2)
    }

    pub(crate) fn named(
        owner: &'static str,
        learning_rate: f64,
        beta_1: f64,
        beta_2: f64,
    ) -> Result<Self, OptimizerError> {
        let (beta_1, beta_2) = check_betas(owner, beta_1, beta_2)?;
        Ok(Adam {
            beta_1,
            beta_2,
            epsilon: d::EPSILON,
            amsgrad: d::AMSGRAD,
            base: Base::new(owner, learning_rate)?,
            m: Slots::new(),
            v: Slots::new(),
            v_hat: Slots::new(),
        })
    }

    /// Sets `epsilon` (checked `> 0`).
    pub fn with_epsilon(mut self, epsilon: f64) -> Result<Self, OptimizerError> {
        self.epsilon = check("Adam", "epsilon", epsilon, "> 0", |x| x > 0.0)?;
        Ok(self)
    }

    /// The AMSGrad variant: the denominator never shrinks.
    pub fn with_amsgrad(mut self, amsgrad: bool) -> Self {
        self.amsgrad = amsgrad;
        self
    }

    fn apply(&mut self, index: usize, param: ParamMut<'_, A>, lr: A) {
        let t = self.base.step();
        self.apply_at(index, param, lr, t);
    }

    /// The Adam update of one parameter at step `t` (shared with [`super::AdamW`]).
    pub(crate) fn apply_at(&mut self, index: usize, param: ParamMut<'_, A>, lr: A, t: u64) {
        let ParamMut {
            mut value, grad, ..
        } = param;
        let one = A::one();
        let beta_1_power: A = power(self.beta_1, t);
        let beta_2_power: A = power(self.beta_2, t);
        let alpha = lr * (one - beta_2_power).sqrt() / (one - beta_1_power);
        let c1 = A::of(1.0 - self.beta_1);
        let c2 = A::of(1.0 - self.beta_2);
        let eps = A::of(self.epsilon);
        let m = self.m.get(index, grad.shape(), A::zero());
        let v = self.v.get(index, grad.shape(), A::zero());
        if self.amsgrad {
            let v_hat = self.v_hat.get(index, grad.shape(), A::zero());
            Zip::from(&mut value)
                .and(&grad)
                .and(m)
                .and(v)
                .and(v_hat)
                .for_each(|w, &g, m, v, vh| {
                    *m = *m + (g - *m) * c1;
                    *v = *v + (g * g - *v) * c2;
                    *vh = vh.max(*v);
                    *w = *w - (*m * alpha) / (vh.sqrt() + eps);
                });
        } else {
            let step = AdamStep { c1, c2, alpha, eps };
            match (
                value.as_slice_mut(),
                grad.as_slice(),
                m.as_slice_mut(),
                v.as_slice_mut(),
            ) {
                (Some(w), Some(g), Some(m), Some(v)) => run(&step, w, g, m, v),
                _ => step.apply_arrays(&mut value, &grad, m, v),
            }
        }
    }
}

/// Parameters with at least this many elements are updated on two cores (the tutorial's
/// 784x128 kernel is; its biases and the 128x10 kernel are too small to pay for the hand-off).
pub const SPLIT_MIN_LEN: usize = 1 << 16;

// The two-core split and the AVX build of the book's kernel ([`AdamStep::apply`]), for
// contiguous parameters: speed code around the one Adam formula.

/// The update of contiguous arrays, the two halves on two cores when they are long.
fn run<A: Float>(step: &AdamStep<A>, w: &mut [A], g: &[A], m: &mut [A], v: &mut [A]) {
    if w.len() >= SPLIT_MIN_LEN {
        let half = w.len() / 2;
        let (w0, w1) = w.split_at_mut(half);
        let (g0, g1) = g.split_at(half);
        let (m0, m1) = m.split_at_mut(half);
        let (v0, v1) = v.split_at_mut(half);
        join(
            || run_here(step, w0, g0, m0, v0),
            || run_here(step, w1, g1, m1, v1),
        );
    } else {
        run_here(step, w, g, m, v);
    }
}

fn run_here<A: Float>(step: &AdamStep<A>, w: &mut [A], g: &[A], m: &mut [A], v: &mut [A]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: this CPU has AVX (checked just above).
        return unsafe { run_here_avx(step, w, g, m, v) };
    }
    run_plain(step, w, g, m, v);
}

/// The same loop compiled for 8 lanes instead of SSE2's 4: the square root and the
/// division, which bound this loop, then do twice the work per instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn run_here_avx<A: Float>(step: &AdamStep<A>, w: &mut [A], g: &[A], m: &mut [A], v: &mut [A]) {
    run_plain(step, w, g, m, v);
}

#[inline(always)]
fn run_plain<A: Float>(step: &AdamStep<A>, w: &mut [A], g: &[A], m: &mut [A], v: &mut [A]) {
    let elements = w.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut());
    for (((w, &g), m), v) in elements {
        step.apply(w, g, m, v);
    }
}

impl<A: Float> Default for Adam<A> {
    /// `Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False)`.
    fn default() -> Self {
        Adam::new(d::LEARNING_RATE, d::BETA_1, d::BETA_2).expect("Keras' defaults are valid")
    }
}

keras_optimizer!(Adam, "Adam");
