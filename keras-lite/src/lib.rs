//! keras-lite: the Keras 2 API (`Sequential`, `compile`, `fit`, `evaluate`, `predict`) built
//! from the chapter crates. (Overview written below once the pieces land.)

pub mod backend;
pub mod callbacks;
pub mod compile;
pub mod constraints;
pub mod data;
pub mod error;
pub mod evaluate;
pub mod fit;
pub mod history;
pub mod initializers;
pub mod layers;
pub mod metrics;
pub mod optimizers;
pub mod parity;
pub mod progress;
pub mod regularizers;
pub mod sequential;
pub mod summary;
mod training;
pub mod weights_io;
pub mod model_io;
pub mod monitor;
pub mod plots;
pub mod pyfmt;
pub mod sequence;
#[path = "callbacks/early_stopping.rs"]
pub mod early_stopping;
#[path = "callbacks/model_checkpoint.rs"]
pub mod model_checkpoint;
#[path = "callbacks/reduce_lr_on_plateau.rs"]
pub mod reduce_lr_on_plateau;
#[path = "callbacks/csv_logger.rs"]
pub mod csv_logger;

pub use compile::{IntoLoss, IntoMetric, IntoOptimizer, MetricArg, NO_METRICS};
pub use error::{KerasError, Result};
pub use evaluate::{EvaluateOptions, PredictOptions};
pub use fit::{FitOptions, ValidationData, ValidationFreq};
pub use history::{History, Logs};
pub use metrics::Metric;
pub use sequential::Sequential;
