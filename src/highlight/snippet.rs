//! Snippets: the best fragment of a text, in characters, with its matches
//! marked.

use super::folded::Range;

/// A fragment of a text with highlighted character ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub text: String,
    /// Character ranges within `text`.
    pub marks: Vec<(usize, usize)>,
    /// The fragment starts after the beginning / ends before the end.
    pub cut_start: bool,
    pub cut_end: bool,
}

impl Snippet {
    /// HTML-escaped, matches in `<mark>`, cuts shown as `…`.
    pub fn to_html(&self) -> String {
        self.render(
            |s| html_escape::encode_text(s).into_owned(),
            "<mark>",
            "</mark>",
        )
    }

    /// Plain text with matches between the given markers.
    pub fn render(&self, escape: impl Fn(&str) -> String, open: &str, close: &str) -> String {
        let chars: Vec<char> = self.text.chars().collect();
        let mut out = String::new();
        if self.cut_start {
            out.push('…');
        }
        let mut at = 0;
        for &(s, e) in &self.marks {
            out.push_str(&escape(&chars[at..s].iter().collect::<String>()));
            out.push_str(open);
            out.push_str(&escape(&chars[s..e].iter().collect::<String>()));
            out.push_str(close);
            at = e;
        }
        out.push_str(&escape(&chars[at..].iter().collect::<String>()));
        if self.cut_end {
            out.push('…');
        }
        out
    }

    pub fn has_marks(&self) -> bool {
        !self.marks.is_empty()
    }
}

/// A trimmed text with its characters' byte offsets: snippets are cut in
/// characters, matches are found in bytes.
pub(super) struct Chars<'a> {
    pub text: &'a str,
    chars: Vec<(usize, char)>,
}

impl<'a> Chars<'a> {
    pub fn new(text: &'a str) -> Chars<'a> {
        let text = text.trim();
        Chars {
            text,
            chars: text.char_indices().collect(),
        }
    }

    fn len(&self) -> usize {
        self.chars.len()
    }

    /// The byte offset of character `c` (the end of the text past it).
    fn byte(&self, c: usize) -> usize {
        self.chars.get(c).map_or(self.text.len(), |(b, _)| *b)
    }

    /// Byte ranges as character ranges.
    fn marks(&self, ranges: &[Range]) -> Vec<(usize, usize)> {
        let to_char = |byte: usize| self.chars.partition_point(|(b, _)| *b < byte);
        ranges
            .iter()
            .filter(|(s, e)| *e <= self.text.len() && s < e)
            .map(|&(s, e)| (to_char(s), to_char(e)))
            .collect()
    }

    /// The first character of a fragment showing the mark at `anchor`:
    /// the start of its sentence when near, a little before it otherwise.
    fn window_start(&self, anchor: usize, width: usize) -> usize {
        let lead = width / 4;
        let floor = anchor.saturating_sub(lead);
        let start = (floor..anchor)
            .rev()
            .find(|&i| i > 0 && matches!(self.chars[i - 1].1, '。' | '\n' | '！' | '？'))
            .unwrap_or(floor);
        start.min(self.len().saturating_sub(width))
    }

    /// The best window of about `width` characters for the matches (byte
    /// `ranges`): the one with the most, started at a sentence boundary
    /// when one is near. In characters, end excluded.
    pub fn window(&self, ranges: &[Range], width: usize) -> (usize, usize) {
        let marks = self.marks(ranges);
        let start =
            densest(&marks, self.len(), width).map_or(0, |anchor| self.window_start(anchor, width));
        (start, start.saturating_add(width).min(self.len()))
    }

    /// A window of characters as bytes.
    pub fn bytes(&self, (start, end): (usize, usize)) -> Range {
        (self.byte(start), self.byte(end))
    }

    /// The fragment of the text in `window`, with the matches (byte
    /// `ranges`) inside it marked.
    pub fn cut(&self, ranges: &[Range], (start, end): (usize, usize)) -> Snippet {
        let marks = self
            .marks(ranges)
            .into_iter()
            .filter(|&(s, e)| s >= start && e <= end)
            .map(|(s, e)| (s - start, e - start))
            .collect();
        Snippet {
            text: self.text[self.byte(start)..self.byte(end)].replace('\n', " "),
            marks,
            cut_start: start > 0,
            cut_end: end < self.len(),
        }
    }

    /// The best fragment of about `width` characters, with the matches
    /// (byte `ranges`) marked: [`Self::cut`] of [`Self::window`].
    pub fn snippet(&self, ranges: &[Range], width: usize) -> Snippet {
        self.cut(ranges, self.window(ranges, width))
    }
}

/// Where the window of `width` characters with the most marks begins (the
/// first such mark), when the text is longer than `width` and has marks.
fn densest(marks: &[(usize, usize)], n: usize, width: usize) -> Option<usize> {
    if n <= width || marks.is_empty() {
        return None;
    }
    let mut best = (0, usize::MAX);
    for (i, &(s, _)) in marks.iter().enumerate() {
        let count = marks[i..]
            .iter()
            .take_while(|(ms, _)| *ms < s + width)
            .count();
        if count > best.0 || (count == best.0 && s < best.1) {
            best = (count, s);
        }
    }
    Some(best.1)
}

/// The best fragment of about `width` characters of `text` with the byte
/// `ranges` marked: the window with the most matches, started at a
/// sentence boundary when one is near.
pub fn snippet(text: &str, ranges: &[Range], width: usize) -> Snippet {
    Chars::new(text).snippet(ranges, width)
}
