//! The Keras 2 progress bar (`tf.keras.utils.Progbar`), character for character.
//!
//! ```text
//! Epoch 1/5
//! 1875/1875 [==============================] - 2s 1ms/step - loss: 0.4990 - accuracy: 0.8245
//! 313/313 - 0s - loss: 0.3390 - accuracy: 0.8781
//! ```
//!
//! * `verbose = 1`: `{cur:>w}/{total} [` + 30 cells + `]`, where `w` is the number of digits of
//!   `total` and `cells = floor(30 cur / total)` are drawn as `=` x (cells - 1) then `>` while
//!   running (`=` once done), padded with `.`. While running the bar ends with ` - ETA: 12s`
//!   (`m:ss` past a minute, `h:mm:ss` past an hour); once done with ` - {elapsed}s {per_step}`
//!   where the time per step leaves the first step out (it pays for warm-up). Then
//!   ` - name: value` per metric.
//! * `verbose = 2`: one line per epoch, without the bar: `313/313 - 0s - loss: ... - accuracy: ...`.
//! * `verbose = 0`: nothing.
//!
//! The counter counts steps (batches), not samples: `1875/1875` is 60000 samples in batches of
//! 32 (Keras 1 counted samples, `60000/60000`, which old tutorials still show).
//!
//! On a terminal the running bar is redrawn in place with `\r` at most every 0.05 s.
//! Keras writes a new line per update when the output is not a terminal (a log file, a CI
//! console), flooding it; here only the finished line of each epoch is written there.

use crate::history::Logs;
use std::io::Write;
use std::time::Instant;

/// Width of the bar in cells (Keras' `Progbar(width=30)`).
pub const BAR_WIDTH: usize = 30;
/// Minimum time between two redraws on a terminal, in seconds (Keras' `interval=0.05`).
pub const REDRAW_INTERVAL: f64 = 0.05;

/// A metric value as the progress bar prints it: `%.4f` when `|v| > 1e-3`, else `%.4e`
/// (Python's form of the exponent: `1.2346e-04`).
///
/// ```
/// use keras_lite::progress::format_value;
/// assert_eq!(format_value(0.49901), "0.4990");
/// assert_eq!(format_value(0.000123456), "1.2346e-04");
/// assert_eq!(format_value(0.0), "0.0000e+00");
/// ```
pub fn format_value(v: f64) -> String {
    if v.abs() > 1e-3 {
        format!("{v:.4}")
    } else {
        python_exp(v, 4)
    }
}

/// The verbose=2 variant: Keras 2 compares the signed value there (`if avg > 1e-3`), so a
/// negative value (a cosine-similarity loss) prints in exponent form; kept for exactness.
pub fn format_value_verbose2(v: f64) -> String {
    if v > 1e-3 {
        format!("{v:.4}")
    } else {
        python_exp(v, 4)
    }
}

/// Python's `'%.{digits}e' % v`: the exponent has a sign and at least two digits.
pub(crate) fn python_exp(v: f64, digits: usize) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v:.digits$e}");
    let (mantissa, exp) = s.split_once('e').expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Python's `'%.0f' % v` (Rust and Python both round an exact tie to even).
fn f0(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    format!("{v:.0}")
}

/// The time per step as Keras prints it: ` 1ms/step`, ` 15us/step` or ` 2s/step`.
///
/// ```
/// use keras_lite::progress::format_time_per_unit;
/// assert_eq!(format_time_per_unit(0.00123, "step"), " 1ms/step");
/// assert_eq!(format_time_per_unit(0.0, "step"), " 0s/step");
/// assert_eq!(format_time_per_unit(4.5e-5, "step"), " 45us/step");
/// ```
pub fn format_time_per_unit(seconds: f64, unit: &str) -> String {
    if seconds >= 1.0 || seconds == 0.0 {
        format!(" {}s/{unit}", f0(seconds))
    } else if seconds >= 1e-3 {
        format!(" {}ms/{unit}", f0(seconds * 1e3))
    } else {
        format!(" {}us/{unit}", f0(seconds * 1e6))
    }
}

/// The time left as Keras prints it after `ETA: `: `12s`, `1:05`, `1:01:05` (truncated).
///
/// ```
/// use keras_lite::progress::format_eta;
/// assert_eq!(format_eta(12.9), "12s");
/// assert_eq!(format_eta(65.0), "1:05");
/// assert_eq!(format_eta(3665.0), "1:01:05");
/// ```
pub fn format_eta(eta: f64) -> String {
    // Python's `%d` truncates toward zero; `//` and `%` floor (the same for eta >= 0).
    let eta = eta.max(0.0);
    if eta > 3600.0 {
        let h = (eta / 3600.0).floor();
        let m = ((eta % 3600.0) / 60.0).floor();
        format!("{}:{:02}:{:02}", h as u64, m as u64, (eta % 60.0) as u64)
    } else if eta > 60.0 {
        format!("{}:{:02}", (eta / 60.0).floor() as u64, (eta % 60.0) as u64)
    } else {
        format!("{}s", eta as u64)
    }
}

/// `cur/total [=====>....]`: the counter and the bar of a verbose=1 line.
///
/// ```
/// use keras_lite::progress::format_bar;
/// assert_eq!(format_bar(1875, 1875), "1875/1875 [==============================]");
/// assert_eq!(format_bar(938, 1875), " 938/1875 [==============>...............]");
/// ```
pub fn format_bar(current: usize, target: usize) -> String {
    let digits = num_digits(target);
    let mut bar = format!("{current:>digits$}/{target} [");
    let cells = if target == 0 {
        BAR_WIDTH
    } else {
        (BAR_WIDTH as f64 * current as f64 / target as f64) as usize
    }
    .min(BAR_WIDTH);
    if cells > 0 {
        bar.push_str(&"=".repeat(cells - 1));
        bar.push(if current < target { '>' } else { '=' });
    }
    bar.push_str(&".".repeat(BAR_WIDTH - cells));
    bar.push(']');
    bar
}

/// Python's `int(np.log10(target)) + 1` (1 for a target of 0).
fn num_digits(target: usize) -> usize {
    if target == 0 {
        1
    } else {
        target.ilog10() as usize + 1
    }
}

/// ` - loss: 0.4990 - accuracy: 0.8245`
fn format_values(values: &[(&str, f64)], fmt: fn(f64) -> String) -> String {
    let mut s = String::new();
    for (name, v) in values {
        s.push_str(" - ");
        s.push_str(name);
        s.push_str(": ");
        s.push_str(&fmt(*v));
    }
    s
}

/// The whole verbose=1 line.
///
/// `elapsed` is the time since the epoch began, `per_step` the mean time per step without the
/// first; `done` selects the finished form (` - 2s 1ms/step`) over the running form (` - ETA: 12s`).
///
/// ```
/// use keras_lite::progress::format_line;
/// let line = format_line(1875, 1875, 2.3, 0.0012, true, &[("loss", 0.49901), ("accuracy", 0.82451)]);
/// assert_eq!(line, "1875/1875 [==============================] - 2s 1ms/step - loss: 0.4990 - accuracy: 0.8245");
/// ```
pub fn format_line(
    current: usize,
    target: usize,
    elapsed: f64,
    per_step: f64,
    done: bool,
    values: &[(&str, f64)],
) -> String {
    let mut line = format_bar(current, target);
    if done {
        line.push_str(&format!(" - {}s", f0(elapsed)));
        line.push_str(&format_time_per_unit(per_step, "step"));
    } else {
        let eta = per_step * (target.saturating_sub(current)) as f64;
        line.push_str(&format!(" - ETA: {}", format_eta(eta)));
    }
    line.push_str(&format_values(values, format_value));
    line
}

/// The verbose=2 line: `313/313 - 0s - loss: 0.3390 - accuracy: 0.8781`.
///
/// ```
/// use keras_lite::progress::format_line_verbose2;
/// let line = format_line_verbose2(313, 313, 0.4, &[("loss", 0.33901), ("accuracy", 0.87812)]);
/// assert_eq!(line, "313/313 - 0s - loss: 0.3390 - accuracy: 0.8781");
/// ```
pub fn format_line_verbose2(
    current: usize,
    target: usize,
    elapsed: f64,
    values: &[(&str, f64)],
) -> String {
    let digits = num_digits(target);
    format!(
        "{current:>digits$}/{target} - {}s{}",
        f0(elapsed),
        format_values(values, format_value_verbose2)
    )
}

/// One progress bar: an epoch of `fit`, or one `evaluate`/`predict`.
///
/// Call [`Progbar::update`] after each step with the running values and
/// [`Progbar::finish`] once with the final ones (which may add `val_` entries).
pub struct Progbar<W: Write> {
    out: W,
    target: usize,
    verbose: u8,
    /// Redraw in place (`\r`); false when the output is not a terminal.
    dynamic: bool,
    start: Instant,
    /// When the last line was drawn, seconds since `start`.
    last_update: f64,
    /// When step 1 finished, seconds since `start` (later steps are timed from there).
    after_first_step: Option<f64>,
    /// Width of the last line drawn with `\r`, to blank a longer previous one.
    drawn_width: usize,
    finished: bool,
}

impl Progbar<std::io::Stdout> {
    /// A bar on standard output, redrawn in place only if stdout is a terminal.
    pub fn stdout(target: usize, verbose: u8) -> Self {
        use std::io::IsTerminal;
        let dynamic = std::io::stdout().is_terminal();
        Progbar::new(std::io::stdout(), target, verbose, dynamic)
    }
}

impl<W: Write> Progbar<W> {
    /// A bar of `target` steps written to `out`; `dynamic` redraws in place with `\r`.
    pub fn new(out: W, target: usize, verbose: u8, dynamic: bool) -> Self {
        Progbar {
            out,
            target,
            verbose,
            dynamic,
            start: Instant::now(),
            last_update: f64::NEG_INFINITY,
            after_first_step: None,
            drawn_width: 0,
            finished: false,
        }
    }

    /// The mean time per step so far, leaving out the first step (Keras'
    /// `_estimate_step_duration`).
    fn time_per_step(&mut self, current: usize, now: f64) -> f64 {
        if current == 0 {
            return 0.0;
        }
        let per = match self.after_first_step {
            Some(t1) if current > 1 => (now - t1) / (current - 1) as f64,
            _ => now / current as f64,
        };
        if current == 1 {
            self.after_first_step = Some(now);
        }
        per
    }

    /// Step `current` of `target` is done; `values` are the running means so far.
    ///
    /// Draws only with verbose=1 on a terminal, at most every 0.05 s. Never allocates unless it
    /// draws.
    pub fn update(&mut self, current: usize, logs: &Logs) {
        let now = self.start.elapsed().as_secs_f64();
        let per_step = self.time_per_step(current, now);
        if self.verbose != 1 || !self.dynamic || now - self.last_update < REDRAW_INTERVAL {
            return;
        }
        self.last_update = now;
        let values: Vec<(&str, f64)> = logs.iter().collect();
        let line = format_line(current, self.target, now, per_step, false, &values);
        self.draw(&line, false);
    }

    /// The epoch (or evaluation) is over: write its finished line (verbose 1 or 2).
    pub fn finish(&mut self, logs: &Logs) {
        if self.finished {
            return;
        }
        let values: Vec<(&str, f64)> = logs.iter().collect();
        let values = values.as_slice();
        self.finished = true;
        let now = self.start.elapsed().as_secs_f64();
        let current = self.target;
        let per_step = match self.after_first_step {
            Some(t1) if current > 1 => (now - t1) / (current - 1) as f64,
            _ if current > 0 => now / current as f64,
            _ => 0.0,
        };
        match self.verbose {
            1 => {
                let line = format_line(current, self.target, now, per_step, true, values);
                self.draw(&line, true);
            }
            2 => {
                let line = format_line_verbose2(current, self.target, now, values);
                let _ = writeln!(self.out, "{line}");
                let _ = self.out.flush();
            }
            _ => {}
        }
    }

    fn draw(&mut self, line: &str, done: bool) {
        // Printing is best effort: a closed pipe must not stop training.
        if self.dynamic {
            let pad = self.drawn_width.saturating_sub(line.len());
            let _ = write!(self.out, "\r{line}{}", " ".repeat(pad));
            self.drawn_width = line.len();
        } else {
            let _ = write!(self.out, "{line}");
        }
        if done {
            let _ = writeln!(self.out);
        }
        let _ = self.out.flush();
    }

    /// The writer (for tests).
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The lines tf_keras 2.21 prints for the tutorial (`scripts/keras_seed.py`), line by line.
    #[test]
    fn reference_epoch_line() {
        let line = format_line(
            1875,
            1875,
            2.2,
            0.0011,
            true,
            &[("loss", 0.4990), ("accuracy", 0.8245)],
        );
        assert_eq!(
            line,
            "1875/1875 [==============================] - 2s 1ms/step - loss: 0.4990 - accuracy: 0.8245"
        );
    }

    #[test]
    fn reference_verbose2_line() {
        let line = format_line_verbose2(313, 313, 0.3, &[("loss", 0.3390), ("accuracy", 0.8781)]);
        assert_eq!(line, "313/313 - 0s - loss: 0.3390 - accuracy: 0.8781");
    }

    #[test]
    fn running_bar_has_arrow_and_eta() {
        // 30 * 1/1875 < 1: no cell yet.
        assert_eq!(
            format_line(1, 1875, 0.1, 0.001, false, &[("loss", 2.3)]),
            "   1/1875 [..............................] - ETA: 1s - loss: 2.3000"
        );
        // 30 * 100/1875 = 1.6: one cell, drawn as the arrow.
        assert!(format_bar(100, 1875).starts_with(" 100/1875 [>....."));
        assert_eq!(
            format_bar(1874, 1875),
            "1874/1875 [============================>.]"
        );
        assert_eq!(format_bar(1, 1), "1/1 [==============================]");
    }

    #[test]
    fn bar_has_thirty_cells_everywhere() {
        for target in [1, 7, 32, 313, 1875] {
            for cur in 0..=target {
                let bar = format_bar(cur, target);
                let inside = &bar[bar.find('[').unwrap() + 1..bar.len() - 1];
                assert_eq!(inside.chars().count(), BAR_WIDTH, "{bar}");
                assert_eq!(bar.find('/').unwrap(), num_digits(target), "{bar}");
            }
        }
    }

    #[test]
    fn small_values_use_python_exponent_form() {
        assert_eq!(format_value(1e-3), "1.0000e-03");
        assert_eq!(format_value(0.0010001), "0.0010");
        assert_eq!(format_value(-0.5), "-0.5000");
        assert_eq!(format_value(f64::NAN), "nan");
        assert_eq!(python_exp(123456.0, 4), "1.2346e+05");
        assert_eq!(python_exp(1e-100, 4), "1.0000e-100");
        assert_eq!(format_value_verbose2(-0.85), "-8.5000e-01");
    }

    #[test]
    fn times() {
        assert_eq!(format_time_per_unit(1.5, "step"), " 2s/step");
        assert_eq!(format_time_per_unit(0.0025, "step"), " 2ms/step");
        assert_eq!(format_time_per_unit(0.0009994, "step"), " 999us/step");
        assert_eq!(format_eta(60.0), "60s");
        assert_eq!(format_eta(3600.0), "60:00");
        assert_eq!(format_eta(0.9), "0s");
    }

    fn logs(values: &[(&str, f64)]) -> Logs {
        let mut l = Logs::new();
        for (n, v) in values {
            l.insert(*n, *v);
        }
        l
    }

    #[test]
    fn non_terminal_prints_only_the_finished_line() {
        let mut bar = Progbar::new(Vec::new(), 3, 1, false);
        bar.update(1, &logs(&[("loss", 1.0)]));
        bar.update(2, &logs(&[("loss", 1.0)]));
        bar.update(3, &logs(&[("loss", 1.0)]));
        bar.finish(&logs(&[("loss", 1.0), ("val_loss", 2.0)]));
        let text = String::from_utf8(bar.into_inner()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text:?}");
        assert!(
            text.starts_with("3/3 [==============================] - 0s "),
            "{text:?}"
        );
        assert!(
            text.ends_with(" - loss: 1.0000 - val_loss: 2.0000\n"),
            "{text:?}"
        );
    }

    #[test]
    fn terminal_redraws_with_carriage_return() {
        let mut bar = Progbar::new(Vec::new(), 2, 1, true);
        bar.update(1, &logs(&[("loss", 1.0)]));
        bar.finish(&logs(&[("loss", 0.5)]));
        let text = String::from_utf8(bar.into_inner()).unwrap();
        assert!(text.starts_with("\r1/2 [==============>...............] - ETA: "));
        assert!(text.contains("\r2/2 [==============================] - 0s "));
        assert!(text.ends_with("loss: 0.5000\n"));
    }

    #[test]
    fn verbose_zero_is_silent_and_two_has_no_bar() {
        let mut bar = Progbar::new(Vec::new(), 2, 0, true);
        bar.update(1, &logs(&[]));
        bar.finish(&logs(&[("loss", 0.5)]));
        assert!(bar.into_inner().is_empty());
        let mut bar = Progbar::new(Vec::new(), 2, 2, true);
        bar.update(1, &logs(&[]));
        bar.finish(&logs(&[("loss", 0.5)]));
        assert_eq!(
            String::from_utf8(bar.into_inner()).unwrap(),
            "2/2 - 0s - loss: 0.5000\n"
        );
    }
}
