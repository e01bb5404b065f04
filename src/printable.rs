//! Text from case files and requests made safe to print on one line of a
//! terminal or a log: a title holding `ESC [ 2 J` must not clear an
//! operator's screen, a CR must not overwrite the line before it, an id
//! with a newline must not forge a log line, and bidirectional controls
//! must not reorder what is shown.
//!
//! Owns only the escaping; callers decide what goes to the terminal.

use std::borrow::Cow;

/// Whether `c` changes how a terminal shows the text around it: C0 and C1
/// controls, DEL, and the bidirectional embeddings, overrides and isolates.
/// Also what a web page must not take from a decoded address.
pub fn unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with line breaks and tabs as spaces and every other control (or
/// bidirectional control) character as `\u{…}`. Borrowed when nothing
/// needs escaping, the common case.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls_and_keeps_the_rest() {
        assert!(matches!(printable("福岡市の改善 DNA"), Cow::Borrowed(_)));
        assert_eq!(printable("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(printable("a\rb\nc\td"), "a b c d");
        assert_eq!(printable("x\u{9b}31m\u{7f}"), "x\\u{9b}31m\\u{7f}");
        assert_eq!(printable("\u{202e}gpj.exe"), "\\u{202e}gpj.exe");
        assert_eq!(printable("a\0b"), "a\\u{0}b");
    }
}
