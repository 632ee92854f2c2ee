//! `model.summary()`: the Keras 2 table of layers, output shapes and parameter counts.
//!
//! ```text
//! Model: "sequential"
//! _________________________________________________________________
//! Layer (type)                 Output Shape              Param #
//! =================================================================
//! flatten (Flatten)            (None, 784)               0
//! _________________________________________________________________
//! dense (Dense)                (None, 128)               100480
//! _________________________________________________________________
//! dense_1 (Dense)              (None, 10)                1290
//! =================================================================
//! Total params: 101,770
//! Trainable params: 101,770
//! Non-trainable params: 0
//! _________________________________________________________________
//! ```
//!
//! The table is 65 characters wide, its columns start at 0, 29 and 55 (Keras'
//! `positions = [.45, .85, 1.]` of 65), and a field longer than its column is cut. Rows carry
//! no thousands separators, totals do. Keras pads every row to 65 with spaces; the trailing
//! spaces are left out here (they are invisible, and they make copy-pasted output differ).

/// Total width of the table.
pub const LINE_LENGTH: usize = 65;
/// Where each column ends (Keras: `[int(65 * p) for p in (.45, .85, 1.)]`).
pub const POSITIONS: [usize; 3] = [29, 55, 65];

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The layer's name (`dense_1`).
    pub name: String,
    /// The layer's class (`Dense`).
    pub class: &'static str,
    /// The output shape without the batch dimension (`[128]` prints as `(None, 128)`).
    pub output_shape: Vec<usize>,
    /// Number of parameters of the layer.
    pub params: usize,
}

/// Python's `f"{n:,}"`: `101770` -> `101,770`.
///
/// ```
/// use keras_lite::summary::thousands;
/// assert_eq!(thousands(101_770), "101,770");
/// assert_eq!(thousands(0), "0");
/// assert_eq!(thousands(1_234_567), "1,234,567");
/// ```
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An output shape as Keras prints it: `(None, 784)`.
pub fn shape_with_batch(shape: &[usize]) -> String {
    let mut s = String::from("(None");
    for d in shape {
        s.push_str(", ");
        s.push_str(&d.to_string());
    }
    s.push(')');
    s
}

/// Keras 2's `print_row`: each field is appended, cut at its column's end and padded to it;
/// before each field after the first, the last character is replaced by a space so that two
/// columns never touch.
fn row(fields: [&str; 3]) -> String {
    let mut line = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.pop();
            line.push(' ');
        }
        line.push_str(field);
        let end = POSITIONS[i];
        line = line.chars().take(end).collect();
        while line.chars().count() < end {
            line.push(' ');
        }
    }
    line.trim_end().to_string()
}

/// The whole table for a model named `model_name` (`"sequential"`).
///
/// `non_trainable` counts parameters the optimizer does not update (BatchNormalization's
/// moving statistics; none for Dense layers).
pub fn format_summary(model_name: &str, rows: &[SummaryRow], non_trainable: usize) -> String {
    let total: usize = rows.iter().map(|r| r.params).sum();
    let mut s = String::new();
    let underscores = "_".repeat(LINE_LENGTH);
    let equals = "=".repeat(LINE_LENGTH);
    s.push_str(&format!("Model: \"{model_name}\"\n"));
    s.push_str(&underscores);
    s.push('\n');
    s.push_str(&row(["Layer (type)", "Output Shape", "Param #"]));
    s.push('\n');
    s.push_str(&equals);
    s.push('\n');
    for (i, r) in rows.iter().enumerate() {
        let name = format!("{} ({})", r.name, r.class);
        let shape = shape_with_batch(&r.output_shape);
        s.push_str(&row([&name, &shape, &r.params.to_string()]));
        s.push('\n');
        s.push_str(if i + 1 == rows.len() {
            &equals
        } else {
            &underscores
        });
        s.push('\n');
    }
    if rows.is_empty() {
        s.push_str(&equals);
        s.push('\n');
    }
    s.push_str(&format!("Total params: {}\n", thousands(total)));
    s.push_str(&format!(
        "Trainable params: {}\n",
        thousands(total - non_trainable)
    ));
    s.push_str(&format!(
        "Non-trainable params: {}\n",
        thousands(non_trainable)
    ));
    s.push_str(&underscores);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The summary tf_keras 2.21 prints for the tutorial's model (`scripts/keras_seed.py`).
    const REFERENCE: &str = "\
Model: \"sequential\"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
flatten (Flatten)            (None, 784)               0
_________________________________________________________________
dense (Dense)                (None, 128)               100480
_________________________________________________________________
dense_1 (Dense)              (None, 10)                1290
=================================================================
Total params: 101,770
Trainable params: 101,770
Non-trainable params: 0
_________________________________________________________________
";

    #[test]
    fn tutorial_summary_matches_reference() {
        let rows = [
            SummaryRow {
                name: "flatten".into(),
                class: "Flatten",
                output_shape: vec![784],
                params: 0,
            },
            SummaryRow {
                name: "dense".into(),
                class: "Dense",
                output_shape: vec![128],
                params: 784 * 128 + 128,
            },
            SummaryRow {
                name: "dense_1".into(),
                class: "Dense",
                output_shape: vec![10],
                params: 128 * 10 + 10,
            },
        ];
        assert_eq!(format_summary("sequential", &rows, 0), REFERENCE);
    }

    #[test]
    fn long_fields_are_cut_at_their_column() {
        let line = row(["a_very_long_layer_name_indeed (Dense)", "(None, 1)", "12"]);
        // 28 characters of the name, then the space that separates the columns.
        assert_eq!(&line[..29], "a_very_long_layer_name_indee ");
        assert_eq!(&line[29..38], "(None, 1)");
        assert_eq!(&line[55..], "12");
    }
}
