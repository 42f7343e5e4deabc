//! Characters a format forbids, replaced before anything is written: XML 1.0 (JUnit, SVG)
//! allows no C0 control character but tab, line feed and carriage return, and no U+FFFE or
//! U+FFFF. Data can carry them (a log level `"VERB\u0007OSE"` is valid JSON), and one would
//! make a CI system's parser reject the whole file, so each becomes U+FFFD.

/// `text` with every character XML 1.0 forbids replaced by U+FFFD.
pub fn xml_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(allowed) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

/// Bytes of a UTF-8 document with the forbidden characters replaced (the control bytes
/// never occur inside a multi-byte sequence, so this is safe on encoded output).
pub fn xml_bytes(bytes: Vec<u8>) -> Vec<u8> {
    match String::from_utf8(bytes) {
        Ok(text) => match xml_text(&text) {
            std::borrow::Cow::Borrowed(_) => text.into_bytes(),
            std::borrow::Cow::Owned(clean) => clean.into_bytes(),
        },
        Err(e) => e.into_bytes(),
    }
}

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters_become_replacement_characters() {
        assert_eq!(xml_text("VERB\u{7}OSE"), "VERB\u{FFFD}OSE");
        assert_eq!(xml_text("a\tb\nc\rd é ✓"), "a\tb\nc\rd é ✓");
        assert_eq!(xml_text("\u{0}\u{1F}\u{FFFE}"), "\u{FFFD}\u{FFFD}\u{FFFD}");
        assert_eq!(
            xml_bytes("x\u{8}y".as_bytes().to_vec()),
            "x\u{FFFD}y".as_bytes()
        );
    }
}
