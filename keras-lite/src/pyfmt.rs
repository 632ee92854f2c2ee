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

/// The largest width or precision a format spec may ask for: no file name can be longer
/// (Linux's `NAME_MAX` is 255 bytes), and Python would otherwise happily pad to any length
/// (`{epoch:099999999999d}` would need 100 GB).
pub const MAX_WIDTH: usize = 255;

/// Formats one value with a Python format spec as `str.format` does for the specs filenames
/// use: `""`, `"d"`, `"02d"`, `".2f"`, `"08.4f"`, `".3e"`, `"g"`. NaN and infinities print as
/// Python prints them whatever the spec: `nan`, `inf`, `-inf` (`NAN`, `INF` for `F`, `E`,
/// `G`). Returns an error message for what Python would reject (`d` on a float), what is not
/// supported here, and a width or precision over [`MAX_WIDTH`].
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
    let within_limit = |digits: &str, what: &str| -> Result<(), String> {
        // Checked on the digits: a number too long for usize is over the limit too.
        let n = digits.trim_start_matches('0');
        if n.len() > 3 || n.parse::<usize>().is_ok_and(|n| n > MAX_WIDTH) {
            return Err(format!(
                "the {what} {digits} in format spec {spec:?} is over the limit of {MAX_WIDTH} \
                 characters (the longest file name)"
            ));
        }
        Ok(())
    };
    let width: usize = if width.is_empty() {
        0
    } else {
        if width.bytes().all(|b| b.is_ascii_digit()) {
            within_limit(width, "width")?;
        }
        width.parse().map_err(|_| {
            format!("unsupported format spec {spec:?} (use forms like 02d, .2f, .3e)")
        })?
    };
    let precision: Option<usize> = match precision {
        None => None,
        Some(p) => {
            if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) {
                within_limit(p, "precision")?;
            }
            Some(
                p.parse()
                    .map_err(|_| format!("bad precision in format spec {spec:?}"))?,
            )
        }
    };
    let body = match (ty, value) {
        (Some('d'), PyValue::Int(i)) => i.abs().to_string(),
        (Some('d'), PyValue::Float(_)) => {
            return Err(format!(
                "Unknown format code 'd' for object of type 'float' (spec {spec:?})"
            ));
        }
        (None, PyValue::Int(i)) if precision.is_none() => i.abs().to_string(),
        (t, PyValue::Float(f)) if !f.is_finite() => {
            let word = if f.is_nan() { "nan" } else { "inf" };
            let word = if matches!(t, Some('F' | 'E' | 'G')) {
                word.to_uppercase()
            } else {
                word.to_string()
            };
            if t == Some('%') { word + "%" } else { word }
        }
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
        // Python prints NaN without a sign, whatever its sign bit.
        PyValue::Float(f) => f.is_sign_negative() && f != 0.0 && !f.is_nan(),
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
    format_with(pattern, &mut |name, _| {
        fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    })
}

/// Checks a file-name pattern before any value is known: its braces, and each spec against a
/// stand-in value (`0` for `d` specs, `0.0` otherwise), so that a malformed spec or a width
/// over [`MAX_WIDTH`] is reported when the pattern is given rather than after an epoch.
pub fn check_pattern(pattern: &str) -> Result<(), FormatError> {
    format_with(pattern, &mut |_, spec| {
        Some(if spec.ends_with('d') {
            PyValue::Int(0)
        } else {
            PyValue::Float(0.0)
        })
    })
    .map(|_| ())
}

/// [`format_fields`] with the values looked up by `value(name, spec)`.
fn format_with(
    pattern: &str,
    value: &mut dyn FnMut(&str, &str) -> Option<PyValue>,
) -> Result<String, FormatError> {
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
                let value =
                    value(name, spec).ok_or_else(|| FormatError::MissingKey(name.to_string()))?;
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
    fn nan_and_infinities_print_as_python_whatever_the_spec() {
        use PyValue::Float;
        // CPython 3: format(float('nan'), spec) etc.
        let cases: &[(f64, &str, &str)] = &[
            (f64::NAN, ".3e", "nan"),
            (f64::NAN, ".2f", "nan"),
            (f64::NAN, "08.2f", "00000nan"),
            (-f64::NAN, ".2f", "nan"),
            (f64::NAN, "g", "nan"),
            (f64::NAN, ".3g", "nan"),
            (f64::NAN, "", "nan"),
            (f64::NAN, ".1%", "nan%"),
            (f64::INFINITY, "g", "inf"),
            (f64::INFINITY, "08.2%", "0000inf%"),
            (f64::NEG_INFINITY, ".3E", "-INF"),
            (f64::NEG_INFINITY, "08.3e", "-0000inf"),
            (f64::NEG_INFINITY, "", "-inf"),
            (f64::INFINITY, "F", "INF"),
            (f64::NEG_INFINITY, "6.1f", "  -inf"),
        ];
        for &(x, spec, want) in cases {
            assert_eq!(
                format_spec(Float(x), spec).unwrap(),
                want,
                "format({x:?}, {spec:?})"
            );
        }
        assert!(format_spec(Float(f64::NAN), "d").is_err());
    }

    #[test]
    fn absurd_widths_and_precisions_are_refused_not_allocated() {
        use PyValue::*;
        for spec in [
            "099999999999d",
            "99999999999999999999999d",
            "256d",
            ".300f",
            "1000.2e",
        ] {
            let err = format_spec(Int(1), spec)
                .or_else(|_| format_spec(Float(1.0), spec))
                .unwrap_err();
            assert!(err.contains("over the limit of 255"), "{spec}: {err}");
        }
        assert_eq!(format_spec(Int(1), "0255d").unwrap().len(), 255);
        let err = check_pattern("w.{epoch:099999999999d}.st").unwrap_err();
        assert!(
            matches!(&err, FormatError::Pattern(m) if m.contains("099999999999")),
            "{err:?}"
        );
        assert_eq!(check_pattern("w.{epoch:02d}-{loss:.3e}.st"), Ok(()));
        assert!(check_pattern("w.{epoch:x2d}").is_err());
        assert!(check_pattern("w.{epoch").is_err());
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
