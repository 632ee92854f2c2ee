//! # speed: two cores for one training step
//!
//! Nothing in the book needs this crate. The chapters' hot path (ch05's `Affine`, ch06's
//! Keras `Adam`, ch07's `im2col`) calls two functions from here, so that keras-lite trains on
//! both cores of a small machine while the chapter code stays what the book shows:
//!
//! | item | what |
//! |---|---|
//! | [`matmul::matmul_into`] | the book's `np.dot`, `c = alpha a b + beta c` into a kept buffer, cut in two halves run at once when the product is big enough ([`matmul::SPLIT_MIN_FLOPS`]) |
//! | [`parallel::join`] | runs two closures at the same time and returns both results |
//!
//! `DLFS_THREADS=1` in the environment keeps everything on the calling thread (with the
//! `threading` bench variant, matrixmultiply's threads follow `MATMUL_NUM_THREADS` instead).
//!
//! ## Why a hand-written helper thread, and the bench that decides it
//!
//! A batch-32 step of the tutorial model is about half a millisecond; its big pieces take 50
//! to 120 us each. [`parallel::join`] hands half of one to a helper thread that *spins* while
//! a step runs (see [`parallel`]). The crates a reader would reach for first are built in as
//! the variants of `benches/benches/join.rs`, which times the tutorial's whole training step:
//!
//! | feature | `join` | products |
//! |---|---|---|
//! | (none) | the spinning helper thread of [`parallel`] | cut in two, halves through `join` |
//! | `rayon` | `rayon::join` | cut in two, halves through `join` |
//! | `threading` | `rayon::join` | one call, matrixmultiply's `threading` feature splits it on its own threads |
//!
//! Cargo features are unified over the workspace, so each variant is its own build:
//! `cargo bench -p benches --bench join [--features speed/rayon | --features speed/threading]`.
//! [`VARIANT`] names the one compiled in.
//!
//! On the 2-core machine of this repository, quiet, the step took 151 us with the helper, 312
//! with `rayon` and 371 with `threading` (184 on one core): the helper stays. The root README's
//! "Speed" section has the runs.
//!
//! ```
//! use ndarray::{Array2, array};
//! use speed::{join, matmul_into};
//!
//! let a = array![[1.0_f32, 2.0], [3.0, 4.0]];
//! let mut c = Array2::zeros((2, 2));
//! let (s, ()) = join(|| a.sum(), || matmul_into(1.0, &a, &a, 0.0, &mut c));
//! assert_eq!((s, c), (10.0, array![[7.0, 10.0], [15.0, 22.0]]));
//! ```

pub mod matmul;

#[cfg(not(feature = "rayon"))]
pub mod parallel;
#[cfg(feature = "rayon")]
#[path = "parallel_rayon.rs"]
pub mod parallel;

pub use matmul::matmul_into;
pub use parallel::join;

/// The bench variant compiled in: `"spin"`, `"rayon"` or `"threading"` (see the table above).
pub const VARIANT: &str = if cfg!(feature = "threading") {
    "threading"
} else if cfg!(feature = "rayon") {
    "rayon"
} else {
    "spin"
};
