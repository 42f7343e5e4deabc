//! One canonical text per type for the values a `content:` comparison reads, whether
//! `collect` reads them from a database or polars from a typed Parquet column, so the same
//! value reads the same from SQLite, PostgreSQL, MariaDB and a file: engines render
//! NUMERIC, floats, booleans, CHAR padding and timestamps each their own way (`1000.00`
//! against `1000`, `t` against `1`, `ab  ` against `ab`, `07:00:00+00` against
//! `07:00:00`), and a comparison of their raw text would report differences no row has.
//!
//! The family comes from the column's declared type; the text from the driver's value. A
//! value that does not read as its family (MySQL's zero date, a text in a SQLite INTEGER
//! column) is kept as it is, so it differs from a real value instead of equalling one.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::collect::db::Kind;

/// What a column's values are, for their canonical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Whole numbers: digits, a `-` where negative, no `+`, no leading zeros.
    Integer,
    /// Exact decimals (NUMERIC, DECIMAL): no trailing zeros after the point, no point
    /// without a fraction (`1000.00` is `1000`, `-0.50` is `-0.5`).
    Decimal,
    /// Binary floats: the shortest decimal that reads back as the same double, in plain
    /// decimals from 10^-7 to 10^21 (`1e+20` is `100000000000000000000`) and in exponent
    /// form outside (`2.5e-300`); `NaN`, `Infinity`, `-Infinity`.
    Float,
    /// Booleans as `1` and `0`, as MySQL's `BOOLEAN` (a `TINYINT(1)`) and SQLite hold them.
    Boolean,
    /// `2026-03-01`.
    Date,
    /// A timestamp without a zone: `2026-03-01 08:00:00`, with a fraction only where there
    /// is one and without its trailing zeros (`08:00:00.5`).
    Timestamp,
    /// An instant (PostgreSQL's `timestamptz`, MySQL's `TIMESTAMP`, both read in UTC):
    /// as [`Family::Timestamp`] in UTC, then `Z`.
    Instant,
    /// Fixed-width text: without the trailing spaces PostgreSQL pads and MySQL strips.
    Char,
    /// Any other value, as the driver gives it.
    Text,
}

impl Family {
    /// The family of a column of declared type `declared` (as the engine's catalogue or
    /// SQLite's `CREATE TABLE` spells it) on engine `kind`.
    pub fn of(kind: Kind, declared: &str) -> Family {
        let t = declared.trim().to_lowercase();
        let has = |word: &str| t.contains(word);
        if has("bool") {
            Family::Boolean
        } else if has("timestamp") && (has("with time zone") || has("tz")) {
            Family::Instant
        } else if has("timestamp") && !has("without time zone") && kind == Kind::Mysql {
            // MySQL's TIMESTAMP is an instant, read in the session's zone (UTC).
            Family::Instant
        } else if has("timestamp") || has("datetime") {
            Family::Timestamp
        } else if t == "date" {
            Family::Date
        } else if has("char") && !has("varchar") && !has("varying") {
            Family::Char
        } else if has("int") && !has("interval") && !has("point") {
            Family::Integer
        } else if has("numeric") || has("decimal") {
            Family::Decimal
        } else if has("double") || has("float") || has("real") {
            Family::Float
        } else {
            Family::Text
        }
    }
}

/// A value's canonical text in its family; a value that does not read as one is kept.
pub fn canonical(family: Family, text: &str) -> String {
    let read = match family {
        Family::Integer => integer(text.trim()),
        Family::Decimal => decimal(text.trim()),
        Family::Float => float(text.trim()),
        Family::Boolean => boolean(text.trim()),
        Family::Date => date(text.trim()),
        Family::Timestamp => local_timestamp(text.trim()).map(|t| timestamp_text(&t)),
        Family::Instant => instant(text.trim()).map(|t| format!("{}Z", timestamp_text(&t))),
        Family::Char => Some(text.trim_end_matches(' ').to_string()),
        Family::Text => None,
    };
    read.unwrap_or_else(|| text.to_string())
}

fn integer(text: &str) -> Option<String> {
    text.parse::<i128>().ok().map(|n| n.to_string())
}

/// A plain decimal text (`-12.50`, `+.5`, `1e3`, `2.5E-3`) as an exact `(mantissa,
/// scale)`, its value mantissa × 10^-scale; none for any other text, or past 38 digits.
/// Numbers are compared through this, never through a double, which holds 15 to 17 digits
/// and would call `9007199254740993` and `9007199254740992` equal.
pub fn exact_decimal(text: &str) -> Option<(i128, u32)> {
    let text = text.trim();
    let (body, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (negative, digits) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all = format!("{whole}{fraction}");
    let all = all.trim_start_matches('0');
    if all.len() > 38 {
        return None;
    }
    let mut mantissa: i128 = if all.is_empty() { 0 } else { all.parse().ok()? };
    let mut scale = fraction.len() as i64 - exponent as i64;
    while scale < 0 {
        mantissa = mantissa.checked_mul(10)?;
        scale += 1;
    }
    if scale > 76 {
        return None;
    }
    Some((if negative { -mantissa } else { mantissa }, scale as u32))
}

/// `mantissa × 10^-from` at scale `to`, rounded half away from zero when `to` is smaller;
/// none past 38 digits.
pub fn rescale(mantissa: i128, from: u32, to: u32) -> Option<i128> {
    if to >= from {
        return mantissa.checked_mul(10i128.checked_pow(to - from)?);
    }
    let Some(unit) = 10i128.checked_pow(from - to) else {
        return Some(0);
    };
    let (quotient, remainder) = (mantissa / unit, mantissa % unit);
    Some(match remainder.abs() * 2 >= unit {
        true => quotient + mantissa.signum(),
        false => quotient,
    })
}

/// `mantissa × 10^-scale` written with exactly `scale` decimals (`-0.50` stays `-0.50`).
pub fn decimal_text(mantissa: i128, scale: u32) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let sign = if mantissa < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale as usize + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale as usize);
    format!("{sign}{whole}.{fraction}")
}

fn decimal(text: &str) -> Option<String> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    let whole = whole.trim_start_matches('0');
    let fraction = fraction.trim_end_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let body = match fraction.is_empty() {
        true => whole.to_string(),
        false => format!("{whole}.{fraction}"),
    };
    Some(match negative && body != "0" {
        true => format!("-{body}"),
        false => body,
    })
}

fn float(text: &str) -> Option<String> {
    let value: f64 = match text.to_lowercase().as_str() {
        "nan" => return Some("NaN".into()),
        "infinity" | "inf" | "+infinity" | "+inf" => return Some("Infinity".into()),
        "-infinity" | "-inf" => return Some("-Infinity".into()),
        other => other.parse().ok()?,
    };
    Some(float_text(value))
}

/// A double's shortest round-trip digits: in plain decimals from 10^-7 up to 10^21, in
/// exponent form (`2.5e-300`, `1e21`) outside, as JavaScript writes numbers; -0 is 0.
pub fn float_text(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 {
        "0".into()
    } else if (1e-7..1e21).contains(&magnitude) {
        value.to_string()
    } else {
        format!("{value:e}")
    }
}

fn boolean(text: &str) -> Option<String> {
    match text.to_lowercase().as_str() {
        "t" | "true" | "1" | "y" | "yes" | "on" => Some("1".into()),
        "f" | "false" | "0" | "n" | "no" | "off" => Some("0".into()),
        _ => None,
    }
}

fn date(text: &str) -> Option<String> {
    // A DATE read through a driver that writes midnight after it.
    let day = text
        .strip_suffix(" 00:00:00")
        .or_else(|| text.strip_suffix(" 00:00:00.000000"))
        .unwrap_or(text);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// `2026-03-01 08:00:00`, a fraction only where there is one, without trailing zeros.
fn timestamp_text(t: &NaiveDateTime) -> String {
    let text = t.format("%Y-%m-%d %H:%M:%S%.9f").to_string();
    let text = text.trim_end_matches('0');
    text.strip_suffix('.').unwrap_or(text).to_string()
}

fn local_timestamp(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
}

/// An instant in UTC: with an offset (`+00`, `+05:30`, `Z`) as written, without one as
/// UTC (the session's zone every connection sets).
fn instant(text: &str) -> Option<NaiveDateTime> {
    let with_offset = text
        .strip_suffix(['Z', 'z'])
        .map(|t| format!("{t}+00:00"))
        .unwrap_or_else(|| text.to_string());
    // PostgreSQL writes `+00` and `+05:30`: pad an hours-only offset.
    let padded = match with_offset.rfind(['+', '-']) {
        Some(at) if at > 10 && with_offset[at + 1..].len() == 2 => format!("{with_offset}:00"),
        _ => with_offset,
    };
    ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%:z"]
        .iter()
        .find_map(|f| DateTime::parse_from_str(&padded, f).ok())
        .map(|t| t.naive_utc())
        .or_else(|| local_timestamp(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact() {
        assert_eq!(exact_decimal("-12.50"), Some((-1250, 2)));
        assert_eq!(exact_decimal("+.5"), Some((5, 1)));
        assert_eq!(exact_decimal("1e3"), Some((1000, 0)));
        assert_eq!(exact_decimal("2.5E-3"), Some((25, 4)));
        assert_eq!(
            exact_decimal("9007199254740993"),
            Some((9007199254740993, 0))
        );
        assert_eq!(
            exact_decimal("12345678901234567.89"),
            Some((1234567890123456789, 2))
        );
        for no in ["", ".", "abc", "1,5", "NaN", "inf", "1e", "--1", "1.2.3"] {
            assert_eq!(exact_decimal(no), None, "{no}");
        }
        // Half away from zero, at any size.
        assert_eq!(rescale(2345, 3, 2), Some(235));
        assert_eq!(rescale(-2345, 3, 2), Some(-235));
        assert_eq!(rescale(30000000000049, 4, 2), Some(300000000000));
        assert_eq!(rescale(1200555, 3, 2), Some(120056));
        assert_eq!(rescale(5, 0, 2), Some(500));
        assert_eq!(decimal_text(-50, 2), "-0.50");
        assert_eq!(decimal_text(120060, 2), "1200.60");
        assert_eq!(decimal_text(7, 0), "7");
    }

    #[test]
    fn families_from_each_engines_type_names() {
        use Family::*;
        let cases = [
            (Kind::Postgresql, "numeric", Decimal),
            (Kind::Postgresql, "timestamp with time zone", Instant),
            (Kind::Postgresql, "timestamp without time zone", Timestamp),
            (Kind::Postgresql, "character", Char),
            (Kind::Postgresql, "character varying", Text),
            (Kind::Postgresql, "double precision", Float),
            (Kind::Postgresql, "boolean", Boolean),
            (Kind::Postgresql, "bigint", Integer),
            (Kind::Postgresql, "interval", Text),
            (Kind::Mysql, "timestamp", Instant),
            (Kind::Mysql, "datetime", Timestamp),
            (Kind::Mysql, "decimal", Decimal),
            (Kind::Mysql, "char", Char),
            (Kind::Mysql, "varchar", Text),
            (Kind::Mysql, "tinyint", Integer),
            (Kind::Sqlite, "NUMERIC(10,2)", Decimal),
            (Kind::Sqlite, "DATETIME", Timestamp),
            (Kind::Sqlite, "REAL", Float),
            (Kind::Sqlite, "", Text),
        ];
        for (kind, declared, family) in cases {
            assert_eq!(Family::of(kind, declared), family, "{kind:?} {declared}");
        }
    }

    #[test]
    fn each_engines_text_of_one_value_is_one_text() {
        use Family::*;
        let same = [
            (
                Decimal,
                &["1000.00", "1000", "1000.0", "+1000", "01000.000"][..],
                "1000",
            ),
            (Decimal, &["-0.50", "-.5", "-0.5"][..], "-0.5"),
            (Decimal, &["-0.00", "0", ".0"][..], "0"),
            (
                Float,
                &["1e+20", "1E20", "100000000000000000000"][..],
                "100000000000000000000",
            ),
            (Float, &["0.1", "1e-1", "0.10"][..], "0.1"),
            (Float, &["-0", "0.0", "0"][..], "0"),
            (Float, &["2.5e-300", "2.50E-300"][..], "2.5e-300"),
            (Float, &["1e21", "1E+21"][..], "1e21"),
            (Boolean, &["t", "true", "1", "TRUE"][..], "1"),
            (Boolean, &["f", "false", "0"][..], "0"),
            (Char, &["ab  ", "ab"][..], "ab"),
            (
                Date,
                &["2026-03-01", "2026-03-01 00:00:00"][..],
                "2026-03-01",
            ),
            (
                Timestamp,
                &[
                    "2026-03-01 08:00:00",
                    "2026-03-01T08:00:00",
                    "2026-03-01 08:00:00.000000",
                ][..],
                "2026-03-01 08:00:00",
            ),
            (
                Timestamp,
                &["2026-03-01 08:00:00.5", "2026-03-01 08:00:00.500000"][..],
                "2026-03-01 08:00:00.5",
            ),
            (
                Instant,
                &[
                    "2026-03-01 07:00:00+00",
                    "2026-03-01 08:00:00+01",
                    "2026-03-01T07:00:00Z",
                    "2026-03-01 07:00:00",
                    "2026-03-01 12:30:00+05:30",
                ][..],
                "2026-03-01 07:00:00Z",
            ),
        ];
        for (family, texts, expected) in same {
            for text in texts {
                assert_eq!(canonical(family, text), expected, "{family:?} {text:?}");
            }
        }
        // Not of the family: kept as it is.
        assert_eq!(canonical(Decimal, "1e5"), "1e5");
        assert_eq!(
            canonical(Timestamp, "0000-00-00 00:00:00"),
            "0000-00-00 00:00:00"
        );
        assert_eq!(canonical(Integer, "B001"), "B001");
        assert_eq!(canonical(Text, " x "), " x ");
    }
}
