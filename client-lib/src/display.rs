//! Text from files others wrote (key names in a signing request, fields of
//! metadata, URLs) made safe to show.
//!
//! A name holding terminal escape sequences could rewrite what a custodian
//! sees ("No key changes") or hide a line; bidirectional overrides can make
//! text read differently than it is. Everything shown from a request goes
//! through [`printable`].

/// `s` without control characters (C0, DEL, C1), bidirectional overrides
/// and invisible format characters; at most `max` characters, with `…`
/// when cut.
///
/// ```
/// assert_eq!(tufa::display::printable("ro\u{1b}[2Jot", 40), "ro[2Jot");
/// assert_eq!(tufa::display::printable("abcdef", 3), "abc…");
/// ```
pub fn printable(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (kept, c) in s.chars().filter(|c| !hidden(*c)).enumerate() {
        if kept == max {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers (blank)
            | '\u{180E}' // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width spaces and marks
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner, bidi isolates
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E007F}') // tag characters
}

/// The first 12 characters of a key id, for display. Never panics, whatever
/// the id's length or characters.
///
/// ```
/// assert_eq!(tufa::display::short_id("0123456789abcdef"), "0123456789ab");
/// assert_eq!(tufa::display::short_id("ab"), "ab");
/// ```
pub fn short_id(id: &str) -> String {
    printable(id, usize::MAX).chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_escapes_and_overrides() {
        assert_eq!(printable("a\u{1b}]0;x\u{7}b\r\n", 80), "a]0;xb");
        assert_eq!(printable("evil\u{202E}txt.exe", 80), "eviltxt.exe");
        assert_eq!(printable("\u{9b}31m", 80), "31m");
        assert_eq!(printable("root\u{E0020}\u{3164}\u{2028}", 80), "root");
    }

    #[test]
    fn short_ids_of_any_length() {
        assert_eq!(short_id(""), "");
        assert_eq!(short_id("éééééééééééééé"), "éééééééééééé");
    }
}
