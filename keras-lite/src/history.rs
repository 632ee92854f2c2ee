//! What `fit` returns ([`History`]) and what `evaluate` and the callbacks see ([`Logs`]).

use std::fmt;
use std::ops::Index;

/// Named values in a fixed order (`loss` first, then the metrics, then the `val_` ones):
/// Keras' `logs` dict.
///
/// Indexing by position gives Keras' list form (`result[1]` is the first metric) and by name
/// its dict form (`result["accuracy"]`); both always work.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
    /// Display as a dict (`evaluate(return_dict=True)`) rather than as a list.
    pub(crate) as_dict: bool,
}

impl Logs {
    /// Empty logs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value`, appending it if new.
    pub fn insert(&mut self, name: impl Into<String>, value: f64) {
        let name = name.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// Sets `name` to `value` without allocating when the entry exists (the training loop's
    /// per-step update).
    pub(crate) fn set_or_insert(&mut self, name: &str, value: f64) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// The value named `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// The values in order: Keras' list form `[loss, metric_1, ...]`.
    pub fn values(&self) -> Vec<f64> {
        self.entries.iter().map(|(_, v)| *v).collect()
    }

    /// The names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// `(name, value)` pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Index<usize> for Logs {
    type Output = f64;
    fn index(&self, i: usize) -> &f64 {
        &self.entries[i].1
    }
}

impl Index<&str> for Logs {
    type Output = f64;
    /// Panics if there is no such entry (as a Python `KeyError`); use [`Logs::get`] to ask.
    fn index(&self, name: &str) -> &f64 {
        match self.entries.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v,
            None => panic!(
                "no log entry {name:?}; the entries are {:?}",
                self.names().collect::<Vec<_>>()
            ),
        }
    }
}

impl fmt::Display for Logs {
    /// `[0.339, 0.8781]` (list form) or `{'loss': 0.339, 'accuracy': 0.8781}` (dict form),
    /// as Python prints `evaluate`'s result.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.as_dict {
            write!(f, "{{")?;
            for (i, (n, v)) in self.entries.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "'{n}': {v}")?;
            }
            write!(f, "}}")
        } else {
            write!(f, "[")?;
            for (i, (_, v)) in self.entries.iter().enumerate() {
                if i > 0 {
                    write!(f, ", ")?;
                }
                write!(f, "{v}")?;
            }
            write!(f, "]")
        }
    }
}

/// The settings of a `fit` call as Keras records them in `history.params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HistoryParams {
    pub verbose: u8,
    pub epochs: usize,
    /// Steps (batches) per epoch.
    pub steps: usize,
}

/// What `fit` returns: one value per epoch for the loss, every metric, and their `val_` forms.
///
/// ```
/// # use keras_lite::History;
/// let mut h = History::default();
/// let mut logs = keras_lite::Logs::new();
/// logs.insert("loss", 0.5);
/// h.record(0, &logs);
/// assert_eq!(h["loss"], vec![0.5]);
/// assert_eq!(h.epoch, vec![0]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// Per key, one value per epoch run (keys in the order they first appeared).
    pub history: Vec<(String, Vec<f64>)>,
    /// The epochs run (0-based, from `initial_epoch`).
    pub epoch: Vec<usize>,
    /// The settings of the run.
    pub params: HistoryParams,
}

impl History {
    /// Appends the logs of the end of `epoch` (Keras' `History.on_epoch_end`).
    pub fn record(&mut self, epoch: usize, logs: &Logs) {
        self.epoch.push(epoch);
        for (name, value) in logs.iter() {
            match self.history.iter_mut().find(|(n, _)| n == name) {
                Some((_, values)) => values.push(value),
                None => self.history.push((name.to_string(), vec![value])),
            }
        }
    }

    /// The values of `key`, if it was recorded.
    pub fn get(&self, key: &str) -> Option<&[f64]> {
        self.history
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.as_slice())
    }

    /// The recorded keys in order (`loss`, `accuracy`, `val_loss`, `val_accuracy`).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.history.iter().map(|(n, _)| n.as_str())
    }

    /// `(key, one value per epoch)` in the order of [`History::keys`]: the history as plain
    /// data, e.g. for `plot::training::plot_history(&path, &history.epoch, &series)`.
    pub fn series(&self) -> impl Iterator<Item = (&str, &[f64])> {
        self.history.iter().map(|(n, v)| (n.as_str(), v.as_slice()))
    }
}

impl Index<&str> for History {
    type Output = Vec<f64>;
    /// Panics if `key` was never recorded (a Python `KeyError`); use [`History::get`] to ask.
    fn index(&self, key: &str) -> &Vec<f64> {
        match self.history.iter().find(|(n, _)| n == key) {
            Some((_, v)) => v,
            None => panic!(
                "no history key {key:?}; the keys are {:?}",
                self.keys().collect::<Vec<_>>()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_index_by_position_and_name() {
        let mut logs = Logs::new();
        logs.insert("loss", 0.25);
        logs.insert("accuracy", 0.5);
        logs.insert("loss", 0.125);
        assert_eq!(logs.values(), vec![0.125, 0.5]);
        assert_eq!(logs[1], 0.5);
        assert_eq!(logs["loss"], 0.125);
        assert_eq!(logs.get("mae"), None);
        assert_eq!(logs.to_string(), "[0.125, 0.5]");
        logs.as_dict = true;
        assert_eq!(logs.to_string(), "{'loss': 0.125, 'accuracy': 0.5}");
    }

    #[test]
    fn history_keeps_first_seen_order() {
        let mut h = History::default();
        let mut a = Logs::new();
        a.insert("loss", 1.0);
        h.record(3, &a);
        a.insert("val_loss", 2.0);
        h.record(4, &a);
        assert_eq!(h.keys().collect::<Vec<_>>(), ["loss", "val_loss"]);
        assert_eq!(
            h.series().collect::<Vec<_>>(),
            [("loss", &[1.0, 1.0][..]), ("val_loss", &[2.0][..])]
        );
        assert_eq!(h["loss"], vec![1.0, 1.0]);
        assert_eq!(h["val_loss"], vec![2.0]);
        assert_eq!(h.epoch, vec![3, 4]);
    }
}
