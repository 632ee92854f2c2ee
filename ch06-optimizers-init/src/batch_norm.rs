//! Batch Normalization (section 6.3): normalize each feature over the mini-batch, then scale
//! and shift by learned `gamma` and `beta`.
//!
//! Training, for `x` of shape (N, D), per feature (column):
//!
//! ```text
//! mu  = mean(x)                 var = mean((x - mu)^2)          (biased, over the batch)
//! xn  = (x - mu) / sqrt(var + eps)
//! out = gamma * xn + beta
//! running_mean = momentum * running_mean + (1 - momentum) * mu    (same for running_var)
//! ```
//!
//! Inference normalizes with the running statistics instead of the batch's.
//!
//! Backward (the book's computational graph, figure 6-17):
//!
//! ```text
//! dbeta  = sum_n dout           dgamma = sum_n xn * dout
//! dxn    = gamma * dout         dxc    = dxn / std
//! dstd   = -sum_n dxn * xc / std^2     dvar = 0.5 * dstd / std
//! dxc   += (2 / N) * xc * dvar         dmu  = sum_n dxc
//! dx     = dxc - dmu / N
//! ```
//!
//! | defaults | momentum | eps | running_var starts at |
//! |---|---|---|---|
//! | the book ([`BatchNormalization::book`]) | 0.9 | 1e-6 (`10e-7`) | 0 |
//! | Keras ([`BatchNormalization::keras`]) | 0.99 | 1e-3 | 1 |
//!
//! With a batch of 1 every `xc` is 0, so the output is `beta` whatever `x` is and `dx` is 0:
//! train with batches of 2 or more.

use ch03_activations::Float;
use ch05_backprop::{Layer, Mode, ParamMut, ensure_shape};
use ndarray::{Array1, Array2, ArrayRef2, Zip};

/// Invalid settings for a batch normalization layer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("BatchNormalization: {setting} = {value} is invalid; it must be {valid}")]
pub struct BatchNormError {
    pub setting: &'static str,
    pub value: f64,
    pub valid: &'static str,
}

/// Batch normalization over the features of (N, D) inputs.
#[derive(Debug, Clone)]
pub struct BatchNormalization<A> {
    /// Scale, shape (D,), starts at 1.
    pub gamma: Array1<A>,
    /// Shift, shape (D,), starts at 0.
    pub beta: Array1<A>,
    pub dgamma: Array1<A>,
    pub dbeta: Array1<A>,
    /// Running averages used at inference (Keras' `moving_mean`, `moving_variance`).
    pub running_mean: Array1<A>,
    pub running_var: Array1<A>,
    pub momentum: f64,
    pub epsilon: f64,
    // Kept by the training forward for backward: xc = x - mu, xn, std (D,).
    xc: Array2<A>,
    xn: Array2<A>,
    std: Array1<A>,
    // Per-feature scratch (D,): the batch mean and variance, then backward's sums.
    mu: Array1<A>,
    var: Array1<A>,
    dstd: Array1<A>,
    dmu: Array1<A>,
}

impl<A: Float> BatchNormalization<A> {
    /// `features` columns; checked `momentum` in `[0, 1]`, `epsilon > 0`, and running
    /// variance starting at `initial_running_var` (>= 0).
    pub fn new(
        features: usize,
        momentum: f64,
        epsilon: f64,
        initial_running_var: f64,
    ) -> Result<Self, BatchNormError> {
        let bad = |setting, value, valid| {
            Err(BatchNormError {
                setting,
                value,
                valid,
            })
        };
        if !(0.0..=1.0).contains(&momentum) {
            return bad("momentum", momentum, "in [0, 1]");
        }
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return bad("epsilon", epsilon, "> 0");
        }
        if !(initial_running_var.is_finite() && initial_running_var >= 0.0) {
            return bad("initial_running_var", initial_running_var, ">= 0");
        }
        let z = || Array1::zeros(features);
        Ok(BatchNormalization {
            gamma: Array1::ones(features),
            beta: z(),
            dgamma: z(),
            dbeta: z(),
            running_mean: z(),
            running_var: Array1::from_elem(features, A::of(initial_running_var)),
            momentum,
            epsilon,
            xc: Array2::zeros((0, 0)),
            xn: Array2::zeros((0, 0)),
            std: z(),
            mu: z(),
            var: z(),
            dstd: z(),
            dmu: z(),
        })
    }

    /// The book's defaults: momentum 0.9, eps 1e-6, running statistics start at 0.
    pub fn book(features: usize) -> Self {
        Self::new(features, 0.9, 1e-6, 0.0).expect("the book's defaults are valid")
    }

    /// Keras' defaults: momentum 0.99, epsilon 1e-3, moving variance starts at 1.
    pub fn keras(features: usize) -> Self {
        Self::new(features, 0.99, 1e-3, 1.0).expect("Keras' defaults are valid")
    }

    /// The number of features D.
    pub fn features(&self) -> usize {
        self.gamma.len()
    }
}

impl<A: Float> Layer<A> for BatchNormalization<A> {
    /// `out = gamma * xn + beta`, (N, D) -> (N, D); training uses the batch's statistics
    /// (and updates the running ones), inference the running statistics.
    fn forward_into(&mut self, x: &ArrayRef2<A>, mode: Mode, out: &mut Array2<A>) {
        let (n, d) = x.dim();
        assert_eq!(
            d,
            self.features(),
            "BatchNormalization: input has {d} features, the layer {}",
            self.features()
        );
        ensure_shape(out, (n, d));
        let eps = A::of(self.epsilon);
        match mode {
            Mode::Train => {
                let inv_n = A::one() / A::of(n as f64);
                ensure_shape(&mut self.xc, (n, d));
                ensure_shape(&mut self.xn, (n, d));
                // mu = x.mean(axis=0)
                self.mu.fill(A::zero());
                for row in x.rows() {
                    Zip::from(&mut self.mu)
                        .and(&row)
                        .for_each(|m, &v| *m = *m + v);
                }
                self.mu.mapv_inplace(|m| m * inv_n);
                // xc = x - mu; var = np.mean(xc**2, axis=0)
                self.var.fill(A::zero());
                for (mut xc, row) in self.xc.rows_mut().into_iter().zip(x.rows()) {
                    Zip::from(&mut xc)
                        .and(&row)
                        .and(&self.mu)
                        .and(&mut self.var)
                        .for_each(|c, &v, &m, s| {
                            *c = v - m;
                            *s = *s + *c * *c;
                        });
                }
                self.var.mapv_inplace(|s| s * inv_n);
                // std = np.sqrt(var + eps)
                Zip::from(&mut self.std)
                    .and(&self.var)
                    .for_each(|s, &v| *s = (v + eps).sqrt());
                // xn = xc / std
                for (mut xn, xc) in self.xn.rows_mut().into_iter().zip(self.xc.rows()) {
                    Zip::from(&mut xn)
                        .and(&xc)
                        .and(&self.std)
                        .for_each(|n, &c, &s| *n = c / s);
                }
                let (m, one_m) = (A::of(self.momentum), A::of(1.0 - self.momentum));
                Zip::from(&mut self.running_mean)
                    .and(&self.mu)
                    .for_each(|r, &v| *r = m * *r + one_m * v);
                Zip::from(&mut self.running_var)
                    .and(&self.var)
                    .for_each(|r, &v| *r = m * *r + one_m * v);
                for (mut o, xn) in out.rows_mut().into_iter().zip(self.xn.rows()) {
                    Zip::from(&mut o)
                        .and(&xn)
                        .and(&self.gamma)
                        .and(&self.beta)
                        .for_each(|o, &v, &g, &b| *o = g * v + b);
                }
            }
            Mode::Eval => {
                for (mut o, row) in out.rows_mut().into_iter().zip(x.rows()) {
                    Zip::from(&mut o)
                        .and(&row)
                        .and(&self.running_mean)
                        .and(&self.running_var)
                        .for_each(|o, &v, &rm, &rv| *o = (v - rm) / (rv + eps).sqrt());
                    Zip::from(&mut o)
                        .and(&self.gamma)
                        .and(&self.beta)
                        .for_each(|o, &g, &b| *o = g * *o + b);
                }
            }
        }
    }

    /// The book's backward (see the module formulas); fills `dgamma`, `dbeta` and `dx`.
    fn backward_into(&mut self, dout: &ArrayRef2<A>, dx: &mut Array2<A>) {
        let (n, d) = dout.dim();
        assert_eq!(
            (n, d),
            self.xc.dim(),
            "BatchNormalization::backward: dout must have the shape of the last training forward"
        );
        ensure_shape(dx, (n, d));
        let inv_n = A::one() / A::of(n as f64);
        self.dbeta.fill(A::zero());
        self.dgamma.fill(A::zero());
        self.dstd.fill(A::zero());
        // dbeta = sum dout; dgamma = sum xn * dout; dstd = -sum (gamma dout) xc / std^2
        for ((g, xn), xc) in dout
            .rows()
            .into_iter()
            .zip(self.xn.rows())
            .zip(self.xc.rows())
        {
            Zip::from(&mut self.dbeta)
                .and(&mut self.dgamma)
                .and(&g)
                .and(&xn)
                .for_each(|db, dg, &g, &xn| {
                    *db = *db + g;
                    *dg = *dg + xn * g;
                });
            Zip::from(&mut self.dstd)
                .and(&g)
                .and(&xc)
                .and(&self.gamma)
                .and(&self.std)
                .for_each(|ds, &g, &c, &gamma, &s| *ds = *ds - (gamma * g) * c / (s * s));
        }
        // dvar = 0.5 * dstd / std, kept in dstd's place
        let half = A::of(0.5);
        Zip::from(&mut self.dstd)
            .and(&self.std)
            .for_each(|ds, &s| *ds = half * *ds / s);
        // dxc = dxn / std + (2/N) xc dvar; dmu = sum dxc
        let two_n = A::of(2.0) * inv_n;
        self.dmu.fill(A::zero());
        for ((mut dxr, g), xc) in dx
            .rows_mut()
            .into_iter()
            .zip(dout.rows())
            .zip(self.xc.rows())
        {
            Zip::from(&mut dxr)
                .and(&g)
                .and(&xc)
                .and(&self.gamma)
                .and(&self.std)
                .and(&self.dstd)
                .for_each(|d, &g, &c, &gamma, &s, &dvar| *d = gamma * g / s + two_n * c * dvar);
            Zip::from(&mut self.dmu)
                .and(&dxr)
                .for_each(|m, &d| *m = *m + d);
        }
        // dx = dxc - dmu / N
        for mut dxr in dx.rows_mut() {
            Zip::from(&mut dxr)
                .and(&self.dmu)
                .for_each(|d, &m| *d = *d - m * inv_n);
        }
    }

    /// Visits `gamma` then `beta`.
    fn for_each_param(&mut self, f: &mut dyn FnMut(ParamMut<'_, A>)) {
        f(ParamMut {
            name: "gamma",
            value: self.gamma.view_mut().into_dyn(),
            grad: self.dgamma.view_mut().into_dyn(),
        });
        f(ParamMut {
            name: "beta",
            value: self.beta.view_mut().into_dyn(),
            grad: self.dbeta.view_mut().into_dyn(),
        });
    }
}
