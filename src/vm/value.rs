//! The values a decoded event holds, one per slot.

/// One slot's value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Absent from the event, or `null`.
    #[default]
    Missing,
    Text(String),
    Number(f64),
    Bool(bool),
    Time(Stamp),
    List(Vec<String>),
}

/// A timestamp: its instant and its RFC 3339 UTC rendering (with `Z`), made once at decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Nanoseconds since the Unix epoch.
    pub nanos: i64,
    pub text: String,
}

impl Value {
    /// Empty as the spec means it: absent, `null`, `""` or `[]`.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Missing => true,
            Value::Text(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Number(_) | Value::Bool(_) | Value::Time(_) => false,
        }
    }

    /// The typed JSON value (a bare merge tag): `null` when absent.
    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Missing => out.push_str("null"),
            Value::Text(s) => write_json_string(out, s),
            Value::Time(t) => write_json_string(out, &t.text),
            Value::Number(n) => write_number(out, *n),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::List(items) => write_json_list(out, items),
        }
    }

    /// The value's JSON text without quotes (a merge tag inside a string, before any
    /// escaping for its context): text as is, lists as JSON arrays, absent as nothing.
    pub fn write_text(&self, out: &mut String) {
        match self {
            Value::Missing => {}
            Value::Text(s) => out.push_str(s),
            Value::Time(t) => out.push_str(&t.text),
            Value::Number(n) => write_number(out, *n),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::List(items) => write_json_list(out, items),
        }
    }

    /// The value as JSON text, for people (`explain`): absent shows as `null`.
    pub fn show(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// A number in shortest round-trip form (`125`, `125.5`); Rust's float formatting is
/// shortest round-trip and never uses an exponent, so the text is always valid JSON.
pub fn write_number(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
        return;
    }
    if n != 0.0 && n.abs() < 1e11 {
        // Fast path for amounts like `125.5`: the first k (0..=4) for which
        // round(n * 10^k) / 10^k gives n back exactly is the shortest decimal that round
        // trips (below 1e11 a double's spacing is under 10^-4, so it is the only one, and
        // it is what `{n}` would print).
        let mut scale = 1.0;
        for digits in 0..=4 {
            let m = (n * scale).round();
            if m / scale == n {
                write_fixed(out, m as i64, digits);
                return;
            }
            scale *= 10.0;
        }
    }
    // Rust's Display is shortest round-trip without exponent; ryu (through serde_json)
    // uses an exponent where that is shorter (`1e300`, not 301 digits). Take the shorter.
    let plain = format!("{n}");
    match serde_json::to_string(&n) {
        Ok(text) => {
            let exp = text.replacen("e+", "e", 1);
            if exp.contains('e') && exp.len() < plain.len() {
                out.push_str(&exp);
            } else {
                out.push_str(&plain);
            }
        }
        Err(_) => out.push_str(&plain),
    }
}

/// `m / 10^digits` in decimal: `write_fixed(-5, 2)` is `-0.05`.
fn write_fixed(out: &mut String, m: i64, digits: usize) {
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let mut v = m.unsigned_abs();
    let mut written = 0;
    while v > 0 || written <= digits {
        if written == digits && digits > 0 {
            i -= 1;
            buf[i] = b'.';
        }
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        written += 1;
    }
    if m < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    // Only ASCII digits, `.` and `-` were written.
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"));
}

fn write_json_list(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_json_string(out, item);
    }
    out.push(']');
}

/// A JSON string with its quotes.
pub fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    super::render::escape_json_into(out, s);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn empty_means_absent_null_blank_or_no_items() {
        assert!(Value::Missing.is_empty());
        assert!(Value::Text(String::new()).is_empty());
        assert!(Value::List(vec![]).is_empty());
        assert!(!Value::Bool(false).is_empty());
        assert!(!Value::Number(0.0).is_empty());
    }

    #[test]
    fn numbers_render_in_shortest_form() {
        let show = |n: f64| {
            let mut s = String::new();
            write_number(&mut s, n);
            s
        };
        assert_eq!(show(125.0), "125");
        assert_eq!(show(125.5), "125.5");
        assert_eq!(show(0.1), "0.1");
        assert_eq!(show(-3.0), "-3");
        assert_eq!(show(1e21).parse::<f64>().unwrap(), 1e21);
        assert_eq!(show(-0.05), "-0.05");
        assert_eq!(show(0.0), "0");
        assert_eq!(show(-0.0), "-0");
    }

    proptest::proptest! {
        /// Every number prints in a form that parses back to it, as short as Display's.
        #[test]
        fn fast_numbers_match_display(
            n in proptest::prop_oneof![
                proptest::num::f64::NORMAL,
                (-1e12f64..1e12),
                (-100_000i64..100_000, 0u32..5).prop_map(|(m, k)| m as f64 / 10f64.powi(k as i32)),
            ]
        ) {
            let mut s = String::new();
            write_number(&mut s, n);
            let display = format!("{n}");
            // Round-trips, and is never longer than Rust's (exponent-free) Display.
            proptest::prop_assert_eq!(s.parse::<f64>().ok(), Some(n));
            proptest::prop_assert!(s.len() <= display.len(), "{} vs {}", s, display);
            if n.abs() >= 1e-4 && n.abs() < 1e16 {
                proptest::prop_assert_eq!(s, display);
            }
        }
    }
}
