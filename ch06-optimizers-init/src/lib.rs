//! Chapter 6: optimizers and initialization (SKELETON; the overview is written with the chapter).

pub mod optimizer;

pub use optimizer::Optimizer;
