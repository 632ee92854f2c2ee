//! Keras' `CSVLogger`: one CSV row per epoch, written as the epoch ends.
//!
//! The file is exactly what tf-keras writes (Python's `csv` module, Excel dialect):
//!
//! ```text
//! epoch,accuracy,loss,val_accuracy,val_loss\r\n
//! 0,0.8245,0.4990234375,0.85,0.41\r\n
//! ```
//!
//! - columns: `epoch` (0-based), then the keys of the first epoch's logs sorted by name; if
//!   none of them starts with `val_` (no validation yet, e.g. `validation_freq` > 1, or none at
//!   all), `val_` copies of every key are appended, so that later validation has a column;
//! - values as Python prints floats (`repr`), `NA` for a key missing from an epoch's logs;
//! - lines end in `\r\n` (the `csv` module's default), fields are quoted only when needed;
//! - `append(true)` adds to an existing file and writes the header only if the file is empty
//!   (to resume a run with `initial_epoch`); otherwise a new log replaces the file.
//!
//! **Nothing already written is lost**: each row rewrites the whole log atomically (a new
//! file beside it, flushed to the disk, renamed over it; see
//! [`write_atomic`]), so the file always holds whole rows
//! only: the old log until the first epoch ends, then the new one. A full disk or a crash
//! never truncates it. The file can be watched during training (`tail -F`, which follows the
//! renames). When training begins, the log is read (in append mode) and the folder is checked
//! to be writable, so that those errors come before the first epoch rather than after it.

use crate::callbacks::Callback;
use crate::error::{KerasError, Result};
use crate::history::Logs;
use crate::pyfmt::repr_f64;
use crate::sequential::Sequential;
use crate::weights_io::write_atomic;
use std::path::{Path, PathBuf};

/// Keras' `CSVLogger(filename, separator=",", append=False)`.
///
/// ```
/// use keras_lite::callbacks::CSVLogger;
/// let logger = CSVLogger::new("training.log").separator(';').append(true);
/// ```
#[derive(Debug)]
pub struct CSVLogger {
    filename: PathBuf,
    separator: char,
    append: bool,
    /// The log's bytes (in append mode, starting with the file's): `None` outside training.
    text: Option<Vec<u8>>,
    keys: Option<Vec<String>>,
    append_header: bool,
}

impl CSVLogger {
    /// Logs to `filename` (replaced when training begins), comma-separated.
    pub fn new(filename: impl AsRef<Path>) -> Self {
        CSVLogger {
            filename: filename.as_ref().to_path_buf(),
            separator: ',',
            append: false,
            text: None,
            keys: None,
            append_header: true,
        }
    }

    /// The field separator (one character, `,` by default).
    pub fn separator(mut self, separator: char) -> Self {
        self.separator = separator;
        self
    }

    /// Append to an existing file instead of replacing it.
    pub fn append(mut self, append: bool) -> Self {
        self.append = append;
        self
    }

    fn io(&self, source: std::io::Error) -> KerasError {
        KerasError::Io {
            path: self.filename.display().to_string(),
            source,
        }
    }

    /// One field as Python's csv writer (QUOTE_MINIMAL) writes it.
    fn field(&self, s: &str) -> String {
        if s.contains(self.separator) || s.contains('"') || s.contains('\r') || s.contains('\n') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    fn write_row(&mut self, fields: &[String]) -> Result<()> {
        let sep = self.separator.to_string();
        let line = fields
            .iter()
            .map(|f| self.field(f))
            .collect::<Vec<_>>()
            .join(&sep)
            + "\r\n";
        let Some(text) = self.text.as_mut() else {
            return Err(not_open(&self.filename));
        };
        let before = text.len();
        text.extend_from_slice(line.as_bytes());
        let written = write_atomic(&self.filename, text);
        if written.is_err() {
            // The file still holds the rows before this one: so does the text.
            text.truncate(before);
        }
        written
    }

    /// The row for `epoch` (and the header before the first row), written to the file.
    ///
    /// Errors: called outside training (before `on_train_begin`), or the file cannot be
    /// written (the log then keeps its earlier rows).
    pub fn log_epoch(&mut self, epoch: usize, logs: &Logs) -> Result<()> {
        if self.text.is_none() {
            // Checked first, so that the columns are not fixed by a refused row.
            return Err(not_open(&self.filename));
        }
        if self.keys.is_none() {
            let mut keys: Vec<String> = logs.names().map(str::to_string).collect();
            keys.sort();
            if !keys.iter().any(|k| k.starts_with("val_")) {
                let val: Vec<String> = keys.iter().map(|k| format!("val_{k}")).collect();
                keys.extend(val);
            }
            self.keys = Some(keys);
            if self.append_header {
                let mut header = vec!["epoch".to_string()];
                header.extend(self.keys.clone().unwrap_or_default());
                self.write_row(&header)?;
            }
        }
        let keys = self.keys.clone().unwrap_or_default();
        let mut row = vec![epoch.to_string()];
        row.extend(
            keys.iter()
                .map(|k| logs.get(k).map_or_else(|| "NA".to_string(), repr_f64)),
        );
        self.write_row(&row)
    }
}

fn not_open(filename: &Path) -> KerasError {
    KerasError::InvalidArgument(format!(
        "CSVLogger({}): a row was logged before training began; give the logger to fit's \
         callbacks (or call on_train_begin first), which opens the log",
        filename.display()
    ))
}

impl Callback for CSVLogger {
    fn on_train_begin(&mut self, _model: &mut Sequential) -> Result<()> {
        if self.separator == '"' || self.separator == '\r' || self.separator == '\n' {
            return Err(KerasError::InvalidArgument(format!(
                "CSVLogger: separator {:?} cannot separate CSV fields; use ',' ';' or '\\t'",
                self.separator
            )));
        }
        if let Some(dir) = self.filename.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        self.keys = None;
        let text = if self.append && self.filename.exists() {
            std::fs::read(&self.filename).map_err(|e| self.io(e))?
        } else {
            Vec::new()
        };
        self.append_header = text.is_empty();
        // Fails now, not after the first epoch, when the folder cannot take the new log.
        let dir = match self.filename.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        tempfile::tempfile_in(dir).map_err(|e| KerasError::Io {
            path: dir.display().to_string(),
            source: e,
        })?;
        self.text = Some(text);
        Ok(())
    }

    fn on_epoch_end(
        &mut self,
        _model: &mut Sequential,
        epoch: usize,
        logs: &mut Logs,
    ) -> Result<()> {
        self.log_epoch(epoch, logs)
    }

    fn on_train_end(&mut self, _model: &mut Sequential, _logs: &Logs) -> Result<()> {
        self.text = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(pairs: &[(&str, f64)]) -> Logs {
        let mut l = Logs::new();
        for (k, v) in pairs {
            l.insert(*k, *v);
        }
        l
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("kl-csv-{}-{name}", std::process::id()))
    }

    /// Runs a "fit" of the given epochs through the logger, as fit calls it.
    fn run(logger: &mut CSVLogger, epochs: &[(usize, Logs)]) {
        let mut model = Sequential::new(vec![]);
        logger.on_train_begin(&mut model).unwrap();
        for (e, l) in epochs {
            logger.on_epoch_end(&mut model, *e, &mut l.clone()).unwrap();
        }
        logger.on_train_end(&mut model, &Logs::new()).unwrap();
    }

    #[test]
    fn writes_keras_columns_values_and_line_ends() {
        let path = temp("plain.csv");
        let mut logger = CSVLogger::new(&path);
        let e0 = logs(&[
            ("loss", 0.5),
            ("accuracy", 0.8),
            ("val_loss", 0.25),
            ("val_accuracy", 1e-5),
        ]);
        let e1 = logs(&[
            ("loss", 0.125),
            ("accuracy", 0.9),
            ("val_loss", 0.2),
            ("val_accuracy", 1.0),
        ]);
        run(&mut logger, &[(0, e0), (1, e1)]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch,accuracy,loss,val_accuracy,val_loss\r\n\
             0,0.8,0.5,1e-05,0.25\r\n\
             1,0.9,0.125,1.0,0.2\r\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn without_validation_the_val_columns_exist_and_say_na() {
        let path = temp("noval.csv");
        let mut logger = CSVLogger::new(&path);
        run(&mut logger, &[(0, logs(&[("loss", 1.5), ("mae", 0.75)]))]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch,loss,mae,val_loss,val_mae\r\n0,1.5,0.75,NA,NA\r\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn append_continues_a_file_without_a_second_header() {
        let path = temp("append.csv");
        let _ = std::fs::remove_file(&path);
        let mut first = CSVLogger::new(&path).append(true);
        run(
            &mut first,
            &[(0, logs(&[("loss", 1.0), ("val_loss", 2.0)]))],
        );
        let mut resumed = CSVLogger::new(&path).append(true);
        run(
            &mut resumed,
            &[(1, logs(&[("loss", 0.5), ("val_loss", 1.5)]))],
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch,loss,val_loss\r\n0,1.0,2.0\r\n1,0.5,1.5\r\n"
        );
        // Without append the file is replaced.
        let mut fresh = CSVLogger::new(&path);
        run(
            &mut fresh,
            &[(0, logs(&[("loss", 3.0), ("val_loss", 4.0)]))],
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch,loss,val_loss\r\n0,3.0,4.0\r\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_row_before_training_is_an_error_and_nothing_is_written() {
        let path = temp("early.csv");
        std::fs::write(&path, "kept\r\n").unwrap();
        let mut logger = CSVLogger::new(&path).append(true);
        let err = logger
            .log_epoch(0, &logs(&[("loss", 1.0)]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("before training began"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept\r\n");
        // The refused row fixed nothing: a real run writes its own columns.
        run(
            &mut logger,
            &[(0, logs(&[("loss", 0.5), ("val_loss", 1.0)]))],
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "kept\r\n0,0.5,1.0\r\n"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn separators_and_quoting_follow_pythons_csv() {
        let path = temp("sep.csv");
        let mut logger = CSVLogger::new(&path).separator(';');
        run(&mut logger, &[(0, logs(&[("a;b", 0.5), ("val_x", 2.0)]))]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "epoch;\"a;b\";val_x\r\n0;0.5;2.0\r\n"
        );
        std::fs::remove_file(&path).unwrap();
        let mut bad = CSVLogger::new(&path).separator('"');
        assert!(bad.on_train_begin(&mut Sequential::new(vec![])).is_err());
    }
}
