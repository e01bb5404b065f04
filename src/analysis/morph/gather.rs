//! Gathering one segmentation's terms piece by piece: the morphological
//! terms, the reading run across words (and numbers read aloud), the
//! whole-word readings.
//!
//! Owns the per-text term vectors and the reading run; it must not segment
//! (that is `Morph`'s) nor decide which tokens are indexed.

use super::*;

/// The terms of one segmentation, gathered piece by piece, with the
/// reading run under way. Every vector is made once per text: a word adds
/// its terms without allocating anything else.
pub(super) struct Gathering {
    with_readings: bool,
    pub(super) morph: Vec<Term>,
    pub(super) reading: Vec<Term>,
    pub(super) reading_words: Vec<Term>,
    pub(super) numerals: Vec<(usize, usize, String)>,
    /// The reading run, and which of its characters start a word.
    run: Vec<RunChar>,
    starts: Vec<bool>,
    /// The next position in the reading field.
    reading_position: usize,
    /// The next position in the morphological field.
    position: usize,
}

impl Gathering {
    /// Room for `words` indexed words (a reading run gives about two
    /// terms a word).
    pub(super) fn new(words: usize, with_readings: bool) -> Self {
        Gathering {
            with_readings,
            morph: Vec::with_capacity(words),
            reading: Vec::with_capacity(words * 2),
            reading_words: Vec::with_capacity(words),
            numerals: Vec::new(),
            run: Vec::new(),
            starts: Vec::new(),
            reading_position: 0,
            position: 0,
        }
    }

    /// A word not indexed (normalised bytes `start..end`): its reading
    /// joins the run, marking no start.
    pub(super) fn read(&mut self, n: &Normalized, start: usize, end: usize, said: &str) {
        if self.with_readings {
            let (s, e) = n.original_range(start, end);
            read_into(&mut self.run, &mut self.starts, said, None, s, e);
        }
    }

    /// Ends the reading run (at a break, or the text's end): its
    /// characters become reading terms.
    pub(super) fn end_run(&mut self) {
        pair_up_words(
            &self.run,
            &self.starts,
            &mut self.reading,
            &mut self.reading_position,
        );
        self.run.clear();
        self.starts.clear();
    }

    /// An indexed word: its reading, its term (and its Arabic form if it
    /// was written as a kanji numeral), then its compound's parts.
    pub(super) fn word(
        &mut self,
        part_readings: &HashMap<String, String>,
        n: &Normalized,
        u: Unit<'_>,
    ) {
        let (start, end) = n.original_range(u.start, u.end);
        if self.with_readings {
            self.read_word(part_readings, &u, start, end);
        }
        if u.term.bytes().all(|b| b.is_ascii_digit())
            && !n.text[u.start..u.end].bytes().all(|b| b.is_ascii_digit())
        {
            self.numerals.push((u.start, u.end, u.term.clone()));
        }
        let width = u.parts.len().max(1);
        self.morph.push(Term {
            text: u.term,
            start,
            end,
            position: self.position,
            compound: !u.parts.is_empty(),
        });
        self.parts(part_readings, n, u.parts, u.start..u.end, (start, end));
        self.position += width;
    }

    /// An indexed word's reading (original bytes `start..end`): into the
    /// run, and whole as a reading word.
    pub(super) fn read_word(
        &mut self,
        part_readings: &HashMap<String, String>,
        u: &Unit<'_>,
        start: usize,
        end: usize,
    ) {
        // Only a compound's parts mark starts inside it.
        let parts: Vec<&str> = if u.parts.is_empty() {
            Vec::new()
        } else {
            u.parts
                .iter()
                .filter_map(|p| part_readings.get(p).map(String::as_str))
                .collect()
        };
        read_into(
            &mut self.run,
            &mut self.starts,
            &u.reading,
            Some(&parts),
            start,
            end,
        );
        self.reading_words.push(Term {
            text: fold_reading(&u.reading),
            start,
            end,
            position: self.position,
            compound: false,
        });
    }

    /// A compound's parts (its normalised bytes `at`, original
    /// `whole`), at successive positions: a phrase of parts (業務 改善
    /// 運動) matches across the compound. Each part gets its own
    /// characters when the parts spell the compound (業務 + 改善), so a
    /// part highlights alone.
    pub(super) fn parts(
        &mut self,
        part_readings: &HashMap<String, String>,
        n: &Normalized,
        parts: Vec<String>,
        at: std::ops::Range<usize>,
        whole: (usize, usize),
    ) {
        let surface = &n.text[at.clone()];
        let spelled =
            parts.iter().map(|p| p.chars().count()).sum::<usize>() == surface.chars().count();
        let mut offset = at.start;
        for (k, part) in parts.into_iter().enumerate() {
            let (s, e) = if spelled {
                let len: usize = n.text[offset..]
                    .chars()
                    .take(part.chars().count())
                    .map(char::len_utf8)
                    .sum();
                let range = n.original_range(offset, offset + len);
                offset += len;
                range
            } else {
                whole
            };
            if let Some(r) = part_readings.get(&part).filter(|_| self.with_readings) {
                self.reading_words.push(Term {
                    text: r.clone(),
                    start: s,
                    end: e,
                    position: self.position + k,
                    compound: false,
                });
            }
            self.morph.push(Term {
                text: part,
                start: s,
                end: e,
                position: self.position + k,
                compound: false,
            });
        }
    }
}

/// One and two people are said ひとり and ふたり (一人一改善 is
/// ひとりいちかいぜん, not いちにん…): the number reads ヒト or フタ and
/// the 人 right after it リ. Other counts keep each word's reading.
pub(super) fn read_people_counted(pieces: &mut [Piece<'_>]) {
    for i in 1..pieces.len() {
        let (before, after) = pieces.split_at_mut(i);
        let (Piece::Word(number), Piece::Word(counter)) = (&mut before[i - 1], &mut after[0])
        else {
            continue;
        };
        let said = match number.term.as_str() {
            "1" => "ヒト",
            "2" => "フタ",
            _ => continue,
        };
        if counter.term == "人" && counter.start == number.end {
            number.reading = Cow::Borrowed(said);
            counter.reading = Cow::Borrowed("リ");
        }
    }
}

/// Appends a word's reading (its original bytes `start..end`) to a
/// reading run. A content word (`parts`: the readings of its compound
/// parts, if any) marks where it starts, and where each part does when
/// their readings spell it (ギヨウム|カイゼン); a particle (`None`) marks
/// nothing: a short kana query never starts inside it.
fn read_into(
    run: &mut Vec<RunChar>,
    starts: &mut Vec<bool>,
    reading: &str,
    parts: Option<&[&str]>,
    start: usize,
    end: usize,
) {
    let base = run.len();
    for c in reading.chars() {
        push_folded(run, c, start, end);
    }
    starts.resize(run.len(), false);
    let Some(parts) = parts.filter(|_| run.len() > base) else {
        return;
    };
    starts[base] = true;
    if parts.len() < 2 {
        return;
    }
    let folded = fold_reading(reading);
    let parts: Vec<String> = parts.iter().map(|p| fold_reading(p)).collect();
    if parts.concat() == folded && folded.chars().count() == run.len() - base {
        let mut at = base;
        for p in &parts[..parts.len() - 1] {
            at += p.chars().count();
            starts[at] = true;
        }
    }
}
