//! Finds an NDJSON object that names a key twice, and the line of a file that is no JSON.
//!
//! JSON leaves a repeated key's meaning open (RFC 8259: names "SHOULD be unique"), and
//! readers disagree: polars keeps the first value, JavaScript and Python the last. A
//! mapping `{"legacy_id": 2, …, "legacy_id": 999}` is then read as a different legacy row
//! than the one its writer meant, a figure that is silently wrong, so such a file is
//! refused, as a CSV header naming a column twice is. Only the top level of each line
//! counts (a nested object's keys are one JSON value's business); a line that is no JSON
//! object is left to polars' reader, which says what is wrong with it.
//!
//! Once polars has refused a file, it also finds where: the line that is no JSON, and the
//! line and key of a value of another type than its key holds elsewhere.

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

/// About how many bytes each thread checks at a time (cut at line ends).
const PIECE_BYTES: usize = 4 << 20;

/// What is wrong with a line that [`line_problem`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Its object names this key twice.
    RepeatedKey(String),
    /// It nests objects and lists more than [`MAX_DEPTH`] levels deep. polars' reader
    /// recurses without a limit: 20,000 levels in a 40 KB line overflowed its stack, a
    /// crash that named no file (found by an independent check).
    TooDeep,
}

/// The deepest nesting of objects and lists a line may hold (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

/// Whether a JSON line nests objects and lists more than [`MAX_DEPTH`] levels deep, by its
/// brackets outside strings (a line with fewer brackets than that in all is not looked at).
fn nests_too_deep(line: &[u8]) -> bool {
    if bytecount::count(line, b'[') + bytecount::count(line, b'{') <= MAX_DEPTH {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &byte in line {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The first line (1-based) of `text` whose object names a key twice, and that key.
#[cfg(test)]
fn repeated_json_key(text: &[u8]) -> Option<(u64, String)> {
    match line_problem(text)? {
        (line, LineProblem::RepeatedKey(key)) => Some((line, key)),
        (_, LineProblem::TooDeep) => None,
    }
}

/// The first line (1-based) of `text` that nests too deep or whose object names a key
/// twice, and which.
pub fn line_problem(text: &[u8]) -> Option<(u64, LineProblem)> {
    let mut starts = vec![0];
    while let Some(&start) = starts.last() {
        let end = start + PIECE_BYTES;
        if end >= text.len() {
            break;
        }
        match memchr::memchr(b'\n', &text[end..]) {
            Some(at) => starts.push(end + at + 1),
            None => break,
        }
    }
    let pieces: Vec<(usize, usize)> = starts
        .iter()
        .zip(starts.iter().skip(1).chain([&text.len()]))
        .map(|(&a, &b)| (a, b))
        .collect();
    let (start, line, key) = pieces.par_iter().find_map_first(|&(start, end)| {
        repeat_in(&text[start..end]).map(|(line, key)| (start, line, key))
    })?;
    Some((bytecount::count(&text[..start], b'\n') as u64 + line, key))
}

/// [`line_problem`] within one piece of whole lines; the line counted from the piece.
fn repeat_in(piece: &[u8]) -> Option<(u64, LineProblem)> {
    let mut keys = Vec::new();
    for (number, line) in numbered_lines(piece) {
        if nests_too_deep(line) {
            return Some((number, LineProblem::TooDeep));
        }
        let mut reader = serde_json::Deserializer::from_slice(line);
        if let Ok(Some(key)) = TopKeys(&mut keys).deserialize(&mut reader) {
            return Some((number, LineProblem::RepeatedKey(key)));
        }
    }
    None
}

/// Each line of `text` (without its `\n`) and its 1-based number.
fn numbered_lines(text: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', text)
        .chain([text.len()])
        .enumerate()
        .map(move |(number, end)| {
            let line = &text[start..end];
            start = end + 1;
            (number as u64 + 1, line)
        })
}

/// Reads one JSON value; for an object, the first of its keys that repeats (`keys` is
/// scratch space, kept between lines so a line costs no allocation).
struct TopKeys<'s, 'a>(&'s mut Vec<Cow<'a, str>>);

impl<'de> DeserializeSeed<'de> for TopKeys<'_, 'de> {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, reader: D) -> Result<Self::Value, D::Error> {
        reader.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopKeys<'_, 'de> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let keys = self.0;
        keys.clear();
        while let Some(Key(key)) = map.next_key()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        // Sorted, a repeat sits beside its twin: no quadratic search on a wide object.
        keys.sort_unstable();
        Ok(keys
            .windows(2)
            .find(|pair| pair[0] == pair[1])
            .map(|pair| pair[0].to_string()))
    }
}

/// An object's key, borrowed from the line unless it holds an escape.
struct Key<'a>(Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }
            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }
        }
        reader.deserialize_str(Text)
    }
}

/// The first line (1-based) of `text` that is neither blank nor one JSON value, and why,
/// for an error that names the line (polars names a character offset only). Called once
/// polars has refused the file, so its cost is paid only then.
pub fn first_invalid_line(text: &[u8]) -> Option<(u64, String)> {
    for (number, line) in numbered_lines(text) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = serde_json::from_slice::<IgnoredAny>(line) {
            let message = e.to_string().replace(" at line 1 column ", " at column ");
            return Some((number, message));
        }
    }
    None
}

/// Where the value polars could not read is (`message`: its reader's "cannot parse
/// 'VALUE' (TYPE) as DTYPE", which names neither line nor key): the first line and key
/// holding that value, of that JSON type, among the keys that also hold values of the type
/// polars read them as (polars types a key holding integers and `true` as integers, then
/// fails on `true`). Called once polars has refused the file, so its cost is paid only
/// then.
pub fn mistyped_value(text: &[u8], message: &str) -> Option<(u64, String)> {
    const BOOL: u8 = 1;
    const NUMBER: u8 = 2;
    const STRING: u8 = 4;
    const ARRAY: u8 = 8;
    const OBJECT: u8 = 16;
    // polars says it two ways: "cannot parse 'VALUE' (TYPE) as DTYPE", and, for a key
    // read as objects or lists, "unexpected value while building Series of type DTYPE;
    // found value of type TYPE: VALUE" (found by an independent check: no line named).
    let (value, found, rest) = match message.split_once("cannot parse '") {
        Some((_, quoted)) => {
            let (value, rest) = quoted.rsplit_once("' (")?;
            let (found, rest) = rest.split_once(") as ")?;
            (value, found, rest)
        }
        None => {
            let building = message.split_once("building Series of type ")?.1;
            let (read_as, found) = building.split_once("; found value of type ")?;
            let (found, value) = found.split_once(": ")?;
            (value.trim(), found.trim(), read_as)
        }
    };
    let found = match found {
        "bool" => BOOL,
        "i64" | "u64" | "f64" | "number" | "Int64" | "UInt64" | "Float64" => NUMBER,
        "string" | "str" | "String" => STRING,
        "array" => ARRAY,
        "object" => OBJECT,
        _ => return None,
    };
    let read_as = match rest.split_whitespace().next().unwrap_or_default() {
        "Boolean" => BOOL,
        t if t.starts_with("Int") || t.starts_with("UInt") || t.starts_with("Float") => NUMBER,
        t if t.starts_with("Struct") => OBJECT,
        t if t.starts_with("List") => ARRAY,
        _ => BOOL | NUMBER | STRING | ARRAY | OBJECT,
    };
    let kind = |v: &serde_json::Value| match v {
        serde_json::Value::Null => 0u8,
        serde_json::Value::Bool(_) => BOOL,
        serde_json::Value::Number(_) => NUMBER,
        serde_json::Value::String(_) => STRING,
        serde_json::Value::Array(_) => ARRAY,
        serde_json::Value::Object(_) => OBJECT,
    };
    let text = text.strip_prefix(super::slices::BOM).unwrap_or(text);
    let objects = || {
        numbered_lines(text).filter_map(|(number, line)| {
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line)
                .ok()
                .map(|object| (number, object))
        })
    };
    let mut kinds: std::collections::HashMap<String, u8> = std::collections::HashMap::new();
    for (_, object) in objects() {
        for (key, v) in object {
            *kinds.entry(key).or_default() |= kind(&v);
        }
    }
    objects().find_map(|(number, object)| {
        object.into_iter().find_map(|(key, v)| {
            // A key that also holds values of the type polars read it as.
            let read = kinds.get(&key).is_some_and(|k| k & read_as & !found != 0);
            // As polars quotes it: a string's text, any other value's JSON. An array or
            // object it quotes in its parser's own form (`[Static(U64(5))]`), which no
            // JSON text equals: the first of that kind is the one.
            let written = match &v {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let same = written == value || found & (ARRAY | OBJECT) != 0;
            (read && kind(&v) == found && same).then_some((number, key))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_line_and_key_of_a_value_of_another_type() {
        let text = b"{\"flag\":true,\"n\":1}\nnot json\n{\"flag\":false,\"n\":2}\n\n{\"n\":true,\"flag\":true}\n{\"n\":\"x'y\"}";
        let bool_message = "cannot parse 'true' (bool) as Int64";
        // `flag` is true on line 1, but holds booleans alone: `n` is the key.
        assert_eq!(
            mistyped_value(text, bool_message),
            Some((5, "n".to_string()))
        );
        let text_message = "cannot parse 'x'y' (string) as Int64";
        assert_eq!(
            mistyped_value(text, text_message),
            Some((6, "n".to_string()))
        );
        assert_eq!(mistyped_value(text, "something else"), None);
        // An array where numbers are read, as polars quotes it (found by an independent
        // review: no line was named).
        assert_eq!(
            mistyped_value(
                b"{\"n\":1}\n{\"m\":[1]}\n{\"n\":[5]}",
                "cannot parse '[Static(U64(5))]' (array) as Int64"
            ),
            Some((3, "n".to_string()))
        );
        assert_eq!(
            mistyped_value(b"{\"n\":1}\n{\"n\":true}", bool_message),
            Some((2, "n".to_string()))
        );
        // A key read as objects, and a number in it (found by an independent check: polars'
        // other wording named no line).
        assert_eq!(
            mistyped_value(
                b"{\"m\":1,\"n\":1}\n{\"n\":{\"a\":1}}",
                "unexpected value while building Series of type Struct({'a': Int64}); found value of type UInt64: 1"
            ),
            Some((1, "n".to_string()))
        );
        // The text "true", and `true` in a key of booleans and texts, are not the value
        // read as a number (found by an independent check); a byte order mark is no line.
        let text = b"\xef\xbb\xbf{\"d\":\"true\",\"note\":true}\n{\"d\":{},\"note\":\"x\",\"n\":1}\n{\"n\":true}";
        assert_eq!(
            mistyped_value(text, bool_message),
            Some((3, "n".to_string()))
        );
        let text = b"\xef\xbb\xbf{\"n\":true}\n{\"n\":1}";
        assert_eq!(
            mistyped_value(text, bool_message),
            Some((1, "n".to_string()))
        );
    }

    #[test]
    fn finds_the_first_repeat_and_its_line() {
        let text = b"{\"a\":1,\"b\":2}\n\n[1,1]\n{\"a\":{\"b\":1,\"b\":2}}\n{\"b\":1,\"a\":2,\"\\u0062\":3}\r\n{\"c\":1,\"c\":1}";
        assert_eq!(repeated_json_key(text), Some((5, "b".to_string())));
        assert_eq!(
            repeated_json_key(b"{\"a\":1}\nnot json {\"a\":1,\"a\":1}"),
            None
        );
        assert_eq!(repeated_json_key(b""), None);
        let deep = |n: usize| format!("{{\"a\":{}1{}}}", "[".repeat(n), "]".repeat(n));
        assert!(!nests_too_deep(deep(MAX_DEPTH - 1).as_bytes()));
        assert!(nests_too_deep(deep(MAX_DEPTH).as_bytes()));
        // Brackets inside a string, escaped quotes too, are no nesting.
        let quoted = format!("{{\"a\":\"\\\"{}\"}}", "[".repeat(500));
        assert!(!nests_too_deep(quoted.as_bytes()));
        assert_eq!(
            line_problem(format!("{{}}\n{}", deep(200)).as_bytes()),
            Some((2, LineProblem::TooDeep))
        );
    }

    #[test]
    fn counts_lines_across_pieces() {
        let line = b"{\"id\":1,\"text\":\"a value a little longer than a key\"}\n";
        let mut text = line.repeat(PIECE_BYTES / line.len() * 3);
        text.extend_from_slice(b"{\"id\":1,\"id\":2}\n");
        text.extend_from_slice(&line.repeat(10));
        let expected = (PIECE_BYTES / line.len() * 3 + 1) as u64;
        assert_eq!(repeated_json_key(&text), Some((expected, "id".to_string())));
    }

    #[test]
    fn names_the_first_line_that_is_no_json() {
        let text = b"{\"a\":1}\r\n  \n\n{\"a\": }\n{";
        let (line, message) = first_invalid_line(text).unwrap();
        assert_eq!(line, 4);
        assert!(message.contains("at column 7"), "{message}");
        assert_eq!(first_invalid_line(b"{}\n\n[1]\n"), None);
    }
}
