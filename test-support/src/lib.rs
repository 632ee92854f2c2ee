//! What the workspace's tests share, written once.
//!
//! | module | what it holds |
//! |---|---|
//! | [`alloc`] | the counting global allocator of the "a step allocates nothing" tests |
//! | [`close`](mod@close) | `|got - want| <= abs + rel * |want|`, the closeness rule of every numeric check |
//! | [`one_hot`](mod@one_hot) | one-hot rows from class indices |
//! | [`strategies`] | proptest strategies for random matrices |
//! | [`fixture`] | the reader of TensorFlow's parity fixtures in `testdata/` |
//!
//! This crate is a dev-dependency only (tests, examples, benches), never a library's
//! dependency, and it depends on no crate of the workspace (only ndarray, proptest and
//! serde_json): a chapter's tests that use it reach no later chapter.

pub mod alloc;
pub mod close;
pub mod fixture;
pub mod one_hot;
pub mod strategies;

pub use close::{Number, Tol, all_close, arrays_close, assert_all_close, close};
pub use one_hot::{ClassIndex, one_hot};
