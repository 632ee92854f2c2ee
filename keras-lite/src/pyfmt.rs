//! Numbers printed as Python prints them, so that keras-lite's files and messages read like
//! Keras': `repr(0.1)` is `0.1`, `repr(1e-05)` is `1e-05`, `repr(2.0)` is `2.0`, and
//! `"{:02d}".format(3)` is `03`.
//!
//! Python's `repr` of a float is the shortest string that reads back to the same number
//! (Rust's `{}` finds the same digits), written positionally when the decimal exponent is in
//! `-4..16` and in scientific notation otherwise, with at least two exponent digits.

/// Python's `repr(x)` of a float (`str(x)` is the same since Python 3).
///
/// ```
/// use keras_lite::pyfmt::repr_f64;
/// assert_eq!(repr_f64(0.1), "0.1");
/// assert_eq!(repr_f64(2.0), "2.0");
/// assert_eq!(repr_f64(1e-5), "1e-05");
/// assert_eq!(repr_f64(0.0001), "0.0001");
/// assert_eq!(repr_f64(1e16), "1e+16");
/// assert_eq!(repr_f64(f64::NAN), "nan");
/// ```
pub fn repr_f64(x: f64) -> String {
    repr_digits(
        x.is_nan(),
        x.is_infinite(),
        x.is_sign_negative(),
        &format!("{:e}", x.abs()),
    )
}

/// NumPy's `str(np.float32(x))`: the shortest digits that read back to the same `float32`,
/// laid out as [`repr_f64`] does (`1e-05`, `0.001`, `2.0`).
pub fn repr_f32(x: f32) -> String {
    repr_digits(
        x.is_nan(),
        x.is_infinite(),
        x.is_sign_negative(),
        &format!("{:e}", x.abs()),
    )
}

fn repr_digits(nan: bool, inf: bool, negative: bool, sci: &str) -> String {
    if nan {
        return "nan".into();
    }
    let sign = if negative { "-" } else { "" };
    if inf {
        return format!("{sign}inf");
    }
    // `sci` is Rust's shortest scientific form of |x|: `d[.ddd]e[-]X`.
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("the exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if digits == "0" {
        return format!("{sign}0.0");
    }
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        let body = if exp < 0 {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        } else if exp + 1 >= n {
            format!("{}{}.0", digits, "0".repeat((exp + 1 - n) as usize))
        } else {
            let (a, b) = digits.split_at((exp + 1) as usize);
            format!("{a}.{b}")
        };
        format!("{sign}{body}")
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

/// A value a Python format field can show: an integer (`epoch`) or a float (a log value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PyValue {
    Int(i64),
    Float(f64),
}

/// Formats one value with a Python format spec as `str.format` does for the specs filenames
/// use: `""`, `"d"`, `"02d"`, `".2f"`, `"08.4f"`, `".3e"`, `"g"`. Returns an error message
/// for what Python would reject (`d` on a float) or what is not supported here.
pub fn format_spec(value: PyValue, spec: &str) -> Result<String, String> {
    if spec.is_empty() {
        return Ok(match value {
            PyValue::Int(i) => i.to_string(),
            PyValue::Float(f) => repr_f64(f),
        });
    }
    let (ty, rest) = match spec.chars().last() {
        Some(c @ ('d' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | '%')) => {
            (Some(c), &spec[..spec.len() - 1])
        }
        _ => (None, spec),
    };
    let zero = rest.starts_with('0');
    let (width, precision) = match rest.split_once('.') {
        Some((w, p)) => (w, Some(p)),
        None => (rest, None),
    };
    let width: usize = if width.is_empty() {
        0
    } else {
        width.parse().map_err(|_| {
            format!("unsupported format spec {spec:?} (use forms like 02d, .2f, .3e)")
        })?
    };
    let precision: Option<usize> = match precision {
        None => None,
        Some(p) => Some(
            p.parse()
                .map_err(|_| format!("bad precision in format spec {spec:?}"))?,
        ),
    };
    let body = match (ty, value) {
        (Some('d'), PyValue::Int(i)) => i.abs().to_string(),
        (Some('d'), PyValue::Float(_)) => {
            return Err(format!(
                "Unknown format code 'd' for object of type 'float' (spec {spec:?})"
            ));
        }
        (None, PyValue::Int(i)) if precision.is_none() => i.abs().to_string(),
        (t, v) => {
            let x = match v {
                PyValue::Int(i) => i as f64,
                PyValue::Float(f) => f,
            }
            .abs();
            let p = precision.unwrap_or(6);
            match t {
                Some('f' | 'F') => format!("{x:.p$}"),
                Some('%') => format!("{:.p$}%", x * 100.0),
                Some('e' | 'E') => {
                    let s = format!("{x:.p$e}");
                    let (m, e) = s.split_once('e').expect("scientific form");
                    let e: i32 = e.parse().expect("integer exponent");
                    let out = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
                    if t == Some('E') {
                        out.to_uppercase()
                    } else {
                        out
                    }
                }
                Some('g' | 'G') | None => {
                    if precision.is_none() && t.is_none() {
                        repr_f64(x)
                    } else {
                        general(x, p.max(1))
                    }
                }
                _ => unreachable!("types are filtered above"),
            }
        }
    };
    let negative = match value {
        PyValue::Int(i) => i < 0,
        PyValue::Float(f) => f.is_sign_negative() && f != 0.0,
    };
    let sign = if negative { "-" } else { "" };
    let len = sign.len() + body.len();
    Ok(if len >= width {
        format!("{sign}{body}")
    } else if zero {
        format!("{sign}{}{body}", "0".repeat(width - len))
    } else {
        // Python right-aligns numbers by default.
        format!("{}{sign}{body}", " ".repeat(width - len))
    })
}

/// Python's `g` format with `p` significant digits (trailing zeros removed).
fn general(x: f64, p: usize) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.log10().floor() as i32;
    let s = if exp < -4 || exp >= p as i32 {
        let s = format!("{:.*e}", p - 1, x);
        let (m, e) = s.split_once('e').expect("scientific form");
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        let e: i32 = e.parse().expect("integer exponent");
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    } else {
        format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, x)
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Python's `str.format(**fields)` for the placeholders of a file name:
/// `"weights.{epoch:02d}-{val_loss:.2f}.safetensors"`. `{{` and `}}` are literal braces.
///
/// Returns `Err(name)` for a placeholder whose name is not among `fields`, or an error text
/// for a malformed pattern or spec.
pub fn format_fields(pattern: &str, fields: &[(&str, PyValue)]) -> Result<String, FormatError> {
    let mut out = String::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &pattern[i + 1..];
                let end = rest.find('}').ok_or_else(|| {
                    FormatError::Pattern(format!("a '{{' at byte {i} is never closed"))
                })?;
                let field = &rest[..end];
                let (name, spec) = field.split_once(':').unwrap_or((field, ""));
                let value = fields
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| FormatError::MissingKey(name.to_string()))?;
                out.push_str(&format_spec(value, spec).map_err(FormatError::Pattern)?);
                for _ in 0..field.chars().count() + 1 {
                    chars.next();
                }
            }
            '}' => {
                return Err(FormatError::Pattern(format!(
                    "a single '}}' at byte {i}; write '}}}}' for a literal brace"
                )));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Why [`format_fields`] failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// A placeholder names a value that is not available (Python's `KeyError`).
    MissingKey(String),
    /// The pattern or a spec is malformed (Python's `ValueError`).
    Pattern(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected strings are what CPython 3 prints for repr(x) / format(x, spec).
    #[test]
    fn repr_matches_python() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (123.0, "123.0"),
            (0.5, "0.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e-4, "0.0001"),
            (1.5e-4, "0.00015"),
            (1e-5, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (-2.5, "-2.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-300, "1e-300"),
        ];
        for &(x, want) in cases {
            assert_eq!(repr_f64(x), want, "repr({x:?})");
        }
        // np.float32: str(np.float32(0.0001)) == '0.0001', str(np.float32(1e-5)) == '1e-05'
        assert_eq!(repr_f32(1e-4), "0.0001");
        assert_eq!(repr_f32(1e-5), "1e-05");
        assert_eq!(repr_f32(0.1), "0.1");
    }

    #[test]
    fn specs_match_python() {
        use PyValue::*;
        let cases: &[(PyValue, &str, &str)] = &[
            (Int(3), "02d", "03"),
            (Int(123), "02d", "123"),
            (Int(7), "", "7"),
            (Int(7), "d", "7"),
            (Int(7), ".2f", "7.00"),
            (Int(-3), "03d", "-03"),
            (Float(0.31234), ".2f", "0.31"),
            (Float(0.31234), "08.4f", "000.3123"),
            (Float(0.31234), "8.2f", "    0.31"),
            (Float(0.000123), ".3e", "1.230e-04"),
            (Float(12345.678), ".3g", "1.23e+04"),
            (Float(0.5), "g", "0.5"),
            (Float(0.25), "", "0.25"),
            (Float(-1.5), ".1f", "-1.5"),
            (Float(0.875), ".1%", "87.5%"),
        ];
        for &(v, spec, want) in cases {
            assert_eq!(
                format_spec(v, spec).unwrap(),
                want,
                "format({v:?}, {spec:?})"
            );
        }
        assert!(format_spec(Float(1.0), "d").unwrap_err().contains("'d'"));
        assert!(format_spec(Float(1.0), "x.2f").is_err());
    }

    #[test]
    fn fields_fill_like_str_format() {
        let fields = [
            ("epoch", PyValue::Int(4)),
            ("val_loss", PyValue::Float(0.3456)),
        ];
        assert_eq!(
            format_fields("w.{epoch:02d}-{val_loss:.2f}.st", &fields).unwrap(),
            "w.04-0.35.st"
        );
        assert_eq!(format_fields("{{x}} {epoch}", &fields).unwrap(), "{x} 4");
        assert_eq!(
            format_fields("{val_acc:.2f}", &fields),
            Err(FormatError::MissingKey("val_acc".into()))
        );
        assert!(matches!(
            format_fields("{epoch", &fields),
            Err(FormatError::Pattern(_))
        ));
        assert!(matches!(
            format_fields("a}b", &fields),
            Err(FormatError::Pattern(_))
        ));
    }
}
