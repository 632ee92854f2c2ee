//! What the monitoring callbacks (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau) watch:
//! a value of the epoch's logs (`val_loss`, `accuracy`, ...) that should go down or up.
//!
//! Keras' `mode="auto"` guesses the direction from the name, and each of its callbacks
//! guesses a little differently (reproduced exactly here, see [`AutoRule`]); give
//! [`MonitorMode::Min`] or [`MonitorMode::Max`] to leave nothing to the guess.

use crate::error::{KerasError, Result};
use crate::history::Logs;
use std::str::FromStr;

/// Keras' `mode` argument: which direction of the monitored value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MonitorMode {
    /// Decide from the name (see [`AutoRule`]).
    #[default]
    Auto,
    /// Lower is better (losses, errors).
    Min,
    /// Higher is better (accuracies).
    Max,
}

impl FromStr for MonitorMode {
    type Err = KerasError;

    /// `"auto"`, `"min"` or `"max"`. (Keras warns and falls back to `auto` on anything else;
    /// here it is an error, since a typo would silently reverse what "better" means.)
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(MonitorMode::Auto),
            "min" => Ok(MonitorMode::Min),
            "max" => Ok(MonitorMode::Max),
            _ => Err(KerasError::UnknownName {
                kind: "monitor mode",
                name: s.to_string(),
                valid: "auto, min, max".into(),
            }),
        }
    }
}

/// How each Keras callback reads `mode="auto"` (they differ in Keras 2, on purpose or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoRule {
    /// EarlyStopping: higher is better when the name ends in `acc`, `accuracy` or `auc`.
    EarlyStopping,
    /// ModelCheckpoint: higher is better when the name contains `acc` or starts with `fmeasure`.
    ModelCheckpoint,
    /// ReduceLROnPlateau: higher is better when the name contains `acc`.
    ReduceLROnPlateau,
}

impl MonitorMode {
    /// True when higher values of `monitor` are better.
    pub fn higher_is_better(self, monitor: &str, rule: AutoRule) -> bool {
        match self {
            MonitorMode::Min => false,
            MonitorMode::Max => true,
            MonitorMode::Auto => match rule {
                AutoRule::EarlyStopping => {
                    monitor.ends_with("acc")
                        || monitor.ends_with("accuracy")
                        || monitor.ends_with("auc")
                }
                AutoRule::ModelCheckpoint => {
                    monitor.contains("acc") || monitor.starts_with("fmeasure")
                }
                AutoRule::ReduceLROnPlateau => monitor.contains("acc"),
            },
        }
    }
}

/// The value of `monitor` in `logs`, or a warning on stderr naming what the logs do have
/// (Keras' `logging.warning`), from callback `who`.
pub fn monitor_value(logs: &Logs, monitor: &str, who: &str) -> Option<f64> {
    let v = logs.get(monitor);
    if v.is_none() {
        eprintln!(
            "WARNING: {who} is conditioned on metric `{monitor}` which is not available. \
             Available metrics are: {}",
            logs.names().collect::<Vec<_>>().join(",")
        );
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_rules_follow_each_keras_callback() {
        let auto = MonitorMode::Auto;
        assert!(auto.higher_is_better("val_accuracy", AutoRule::EarlyStopping));
        assert!(auto.higher_is_better("val_auc", AutoRule::EarlyStopping));
        assert!(!auto.higher_is_better("val_loss", AutoRule::EarlyStopping));
        // "acc" inside the name counts for ModelCheckpoint and ReduceLROnPlateau only
        assert!(!auto.higher_is_better("acc_loss", AutoRule::EarlyStopping));
        assert!(auto.higher_is_better("acc_loss", AutoRule::ModelCheckpoint));
        assert!(auto.higher_is_better("acc_loss", AutoRule::ReduceLROnPlateau));
        assert!(auto.higher_is_better("fmeasure_x", AutoRule::ModelCheckpoint));
        assert!(!auto.higher_is_better("val_auc", AutoRule::ReduceLROnPlateau));
        assert!(MonitorMode::Max.higher_is_better("loss", AutoRule::EarlyStopping));
        assert!(!MonitorMode::Min.higher_is_better("accuracy", AutoRule::EarlyStopping));
        assert_eq!("max".parse::<MonitorMode>().unwrap(), MonitorMode::Max);
        assert!("maximum".parse::<MonitorMode>().is_err());
    }
}
