//! Morphological analysis with lindera, the embedded IPADIC and our user
//! dictionary (domain compounds and municipality names, with readings).
//!
//! Owns segmentation and everything decided per token: which tokens are
//! indexed (by part of speech), their base forms, compound parts, kanji
//! numerals → Arabic, readings. Builds no tantivy types.

mod gather;

use gather::{Gathering, read_people_counted};

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use thread_local::ThreadLocal;

use super::fold::fold_term;
use super::ngram::{RunChar, fold_reading, pair_up_words, push_folded};
use super::normalize::{Normalized, normalize};
use super::numeral::{number_reading, to_arabic};
use super::{Noun, Term, TokenInfo};

/// IPADIC detail indices (after surface and ids, which lindera strips).
const POS: usize = 0;
const POS_SUB1: usize = 1;
const BASE_FORM: usize = 6;
const READING: usize = 7;

/// Base forms that carry no meaning for search: light verbs and auxiliary
/// verbs IPADIC tags as 動詞,自立.
const STOP_BASE_FORMS: &[&str] = &[
    "する",
    "ある",
    "いる",
    "なる",
    "できる",
    "れる",
    "られる",
    "せる",
    "させる",
    "いう",
];

/// Municipality suffixes stripped to get the name people type (所沢 for
/// 所沢市, 三重 for 三重県).
const PLACE_SUFFIXES: &[char] = &['市', '区', '町', '村', '県', '府', '都'];

/// The segmenter over the embedded dictionary, shared by every analyzer.
pub struct Morph {
    segmenter: Segmenter,
    words: WordCache,
    /// Compound (normalised surface) → its parts, folded. A compound is
    /// indexed whole and as its parts.
    compounds: HashMap<String, Vec<String>>,
    /// A compound part → its reading, folded: a part is a word too, and a
    /// kana query for it (かいぜん) finds the compound (業務改善).
    part_readings: HashMap<String, String>,
    /// How many user dictionary words were loaded (for `tokenize`).
    pub user_words: usize,
}

/// One lindera token: where it is and what the dictionary says about it.
struct Raw<'t> {
    /// Byte range in the *normalised* text.
    start: usize,
    end: usize,
    surface: &'t str,
    word: Arc<WordInfo>,
}

impl Raw<'_> {
    fn pos(&self) -> &str {
        &self.word.pos
    }
    fn pos_sub1(&self) -> &str {
        &self.word.pos_sub1
    }
    fn base(&self) -> &str {
        &self.word.base
    }
    fn reading(&self) -> &str {
        &self.word.reading
    }
}

/// The detail fields analysis uses of one dictionary entry ("" for `*`).
struct WordInfo {
    pos: Box<str>,
    pos_sub1: Box<str>,
    base: Box<str>,
    reading: Box<str>,
}

impl WordInfo {
    fn of(token: &mut lindera::token::Token<'_>) -> WordInfo {
        let details = token.details();
        let get = |i: usize| details.get(i).copied().filter(|s| *s != "*").unwrap_or("");
        if details.len() > READING {
            WordInfo {
                pos: get(POS).into(),
                pos_sub1: get(POS_SUB1).into(),
                base: get(BASE_FORM).into(),
                reading: get(READING).into(),
            }
        } else {
            WordInfo {
                pos: "名詞".into(),
                pos_sub1: "未知語".into(),
                base: "".into(),
                reading: "".into(),
            }
        }
    }
}

/// Decoded dictionary entries by word id, one table per thread.
///
/// Decoding an entry's detail fields (UTF-8 validation, splitting, a
/// vector per token) cost as much as a third of segmentation itself
/// (callgrind: ~2,000 instructions per token). Texts reuse a small
/// vocabulary, so each entry is decoded once per thread and tokens share
/// it. Per thread rather than shared: indexing threads never contend. The
/// tables are indexed by word id (one per lexicon: system, user, unknown),
/// so a lookup is a bounds check; they grow to the highest id seen, at
/// most one pointer per dictionary entry (~3 MB for IPADIC).
#[derive(Default)]
struct WordCache(ThreadLocal<RefCell<[WordTable; 3]>>);

/// Decoded entries of one lexicon, by word id.
type WordTable = Vec<Option<Arc<WordInfo>>>;

impl WordCache {
    fn info(&self, token: &mut lindera::token::Token<'_>) -> Arc<WordInfo> {
        let id = token.word_id;
        let lexicon = if id.is_system() {
            0
        } else if id.is_unknown() {
            2
        } else {
            1
        };
        let mut tables = self.0.get_or_default().borrow_mut();
        let table = &mut tables[lexicon];
        let i = id.id() as usize;
        if let Some(Some(info)) = table.get(i) {
            return Arc::clone(info);
        }
        if table.len() <= i {
            table.resize(i + 1, None);
        }
        Arc::clone(table[i].insert(Arc::new(WordInfo::of(token))))
    }
}

/// A user dictionary word.
struct UserWord {
    surface: String,
    parts: Vec<String>,
    reading: String,
}

/// Words from `dict/user_dict.csv` (`surface,parts,reading`).
fn domain_words() -> Vec<UserWord> {
    kaizen_wa_dict::USER_DICT_CSV
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let mut f = line.split(',');
            let surface = normalize(f.next()?.trim()).text;
            let parts = f
                .next()
                .unwrap_or("")
                .split_whitespace()
                .map(fold_term)
                .collect();
            let reading = f.next().unwrap_or("").trim().to_owned();
            (!surface.is_empty()).then_some(UserWord {
                surface,
                parts,
                reading,
            })
        })
        .collect()
}

/// Municipality and prefecture names without their suffix that IPADIC cuts
/// into several tokens (南伊勢 → 南/伊勢), with the reading of those tokens.
/// Names IPADIC already keeps whole are left to it.
fn place_words(base: &Segmenter, words: &WordCache) -> Vec<UserWord> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for line in kaizen_wa_dict::LOCAL_GOVERNMENT_CSV.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        for name in [cols.first(), cols.get(2)].into_iter().flatten() {
            let Some(stem) = name.strip_suffix(PLACE_SUFFIXES) else {
                continue;
            };
            if stem.chars().count() < 2 {
                continue;
            }
            // 金ヶ崎 and 金ケ崎 are both written: register both.
            let variants = [
                stem.to_owned(),
                stem.replace('ヶ', "ケ"),
                stem.replace('ケ', "ヶ"),
                stem.replace(['ヶ', 'ケ'], "ヵ"),
            ];
            for v in variants {
                if !seen.insert(v.clone()) {
                    continue;
                }
                let n = normalize(&v);
                let raws = raw_tokens(base, words, &n.text);
                // Whole already; or a name starting with a number (三次,
                // 十日町), which as one token would hide 第三次 from 第3次.
                if raws.len() < 2 || raws.iter().any(Morph::is_number) {
                    continue;
                }
                let reading = spoken(&raws);
                out.push(UserWord {
                    surface: n.text,
                    parts: Vec::new(),
                    reading,
                });
            }
        }
    }
    out
}

/// How a run of tokens is read: each token's reading, or its surface
/// when the dictionary has none.
fn spoken(raws: &[Raw<'_>]) -> String {
    raws.iter()
        .map(|r| {
            if r.reading().is_empty() {
                r.surface
            } else {
                r.reading()
            }
        })
        .collect()
}

fn raw_tokens<'t>(segmenter: &Segmenter, words: &WordCache, normalized: &'t str) -> Vec<Raw<'t>> {
    let Ok(tokens) = segmenter.segment(Cow::Borrowed(normalized)) else {
        return Vec::new();
    };
    tokens
        .into_iter()
        .map(|mut t| Raw {
            start: t.byte_start,
            end: t.byte_end,
            surface: &normalized[t.byte_start..t.byte_end],
            word: words.info(&mut t),
        })
        .collect()
}

/// What a token (or a run of number tokens) is to the analyzers.
enum Piece<'r> {
    /// An indexed word.
    Word(Unit<'r>),
    /// A word not indexed (a particle, an auxiliary verb …) whose reading
    /// still joins the reading of its neighbours: ぎょうむかいぜんのたつじん
    /// reads 業務改善の達人 whole. `start..end`: its normalised bytes.
    Read {
        start: usize,
        end: usize,
        reading: &'r str,
    },
    /// A symbol inside a name (☆, 「, ・): skipped by the reading, which
    /// runs on across it (きらり☆改善 reads キラリカイゼン).
    Skip,
    /// Whitespace or a sentence's punctuation (。、): no reading spans it.
    Break,
}

/// What a run of tokens becomes in the morphological field.
struct Unit<'r> {
    /// Byte range in the normalised text.
    start: usize,
    end: usize,
    term: String,
    /// The compound's parts, indexed after the whole at successive
    /// positions.
    parts: Vec<String>,
    reading: Cow<'r, str>,
}

impl Morph {
    pub fn new() -> lindera::LinderaResult<Self> {
        let base = Segmenter::new(Mode::Normal, kaizen_wa_dict::load()?, None);
        let base_words = WordCache::default();
        let mut words = domain_words();
        let domain: HashSet<String> = words.iter().map(|w| w.surface.clone()).collect();
        words.extend(
            place_words(&base, &base_words)
                .into_iter()
                .filter(|w| !domain.contains(&w.surface)),
        );
        let mut csv = String::with_capacity(words.len() * 40);
        let mut compounds = HashMap::new();
        for w in &words {
            // Simple format: surface, part of speech, reading.
            csv.push_str(&format!("{},名詞,{}\n", w.surface, w.reading));
            if !w.parts.is_empty() {
                compounds.insert(w.surface.clone(), w.parts.clone());
            }
        }
        let part_readings = compounds
            .values()
            .flatten()
            .map(|part| {
                let reading = spoken(&raw_tokens(&base, &base_words, part));
                (part.clone(), fold_reading(&reading))
            })
            .collect();
        let user = kaizen_wa_dict::user_dictionary(&csv)?;
        let segmenter = Segmenter::new(Mode::Normal, kaizen_wa_dict::load()?, Some(user));
        Ok(Morph {
            segmenter,
            words: WordCache::default(),
            compounds,
            part_readings,
            user_words: words.len(),
        })
    }

    fn raw<'t>(&self, normalized: &'t str) -> Vec<Raw<'t>> {
        raw_tokens(&self.segmenter, &self.words, normalized)
    }

    /// Why a token is not indexed (None: it is).
    fn drop_reason(raw: &Raw) -> Option<&'static str> {
        match raw.pos() {
            "助詞" => return Some("助詞"),
            "助動詞" => return Some("助動詞"),
            "記号" => return Some("記号"),
            "フィラー" => return Some("フィラー"),
            "接続詞" => return Some("接続詞"),
            _ => {}
        }
        if raw.pos() == "名詞" && matches!(raw.pos_sub1(), "非自立" | "代名詞") {
            return Some("非自立語");
        }
        if raw.pos() == "動詞" && raw.pos_sub1() == "非自立" {
            return Some("非自立語");
        }
        if raw.pos() == "動詞" && STOP_BASE_FORMS.contains(&raw.base()) {
            return Some("軽動詞");
        }
        if raw.surface.chars().all(|c| c.is_whitespace()) {
            return Some("空白");
        }
        None
    }

    /// The indexed form: base form for inflected words, folded.
    fn term_of(raw: &Raw) -> String {
        let inflected = matches!(raw.pos(), "動詞" | "形容詞" | "助動詞");
        let form = if inflected && !raw.base().is_empty() {
            raw.base()
        } else {
            raw.surface
        };
        fold_term(form)
    }

    fn is_number(raw: &Raw) -> bool {
        raw.pos() == "名詞" && raw.pos_sub1() == "数"
    }

    /// The pieces of a segmentation: indexed units, and what a dropped
    /// token is to the reading. Consecutive number tokens written in kanji
    /// (三/十 → 30) merge into one unit with their Arabic form; a number
    /// reads as it is said (1 → イチ).
    fn units<'r>(&self, raws: &'r [Raw<'_>]) -> Vec<Piece<'r>> {
        let mut out = Vec::with_capacity(raws.len());
        let mut i = 0;
        while i < raws.len() {
            let raw = &raws[i];
            if let Some(reason) = Self::drop_reason(raw) {
                out.push(match reason {
                    "空白" => Piece::Break,
                    "記号" if matches!(raw.pos_sub1(), "句点" | "読点") => Piece::Break,
                    "記号" => Piece::Skip,
                    _ => Piece::Read {
                        start: raw.start,
                        end: raw.end,
                        reading: if raw.reading().is_empty() {
                            raw.surface
                        } else {
                            raw.reading()
                        },
                    },
                });
                i += 1;
                continue;
            }
            if Self::is_number(raw) {
                let mut j = i + 1;
                while j < raws.len()
                    && Self::is_number(&raws[j])
                    && raws[j].start == raws[j - 1].end
                {
                    j += 1;
                }
                let surface: String = raws[i..j].iter().map(|r| r.surface).collect();
                if let Some(arabic) = to_arabic(&surface) {
                    let reading = number_reading(&arabic)
                        .unwrap_or_else(|| raws[i..j].iter().map(Raw::reading).collect());
                    out.push(Piece::Word(Unit {
                        start: raw.start,
                        end: raws[j - 1].end,
                        term: arabic,
                        parts: Vec::new(),
                        reading: Cow::Owned(reading),
                    }));
                    i = j;
                    continue;
                }
            }
            let reading = match number_reading(raw.surface) {
                Some(said) if Self::is_number(raw) => Cow::Owned(said),
                _ if raw.reading().is_empty() => Cow::Borrowed(raw.surface),
                _ => Cow::Borrowed(raw.reading()),
            };
            out.push(Piece::Word(Unit {
                start: raw.start,
                end: raw.end,
                term: Self::term_of(raw),
                parts: self.compounds.get(raw.surface).cloned().unwrap_or_default(),
                reading,
            }));
            i += 1;
        }
        read_people_counted(&mut out);
        out
    }

    /// Morphological terms of `text` alone: no reading is worked out
    /// (what a morphological-only index costs; see the pipeline bench).
    pub fn terms(&self, text: &str) -> Vec<Term> {
        self.analyze_with(text, false).morph
    }

    /// Everything one segmentation gives: indexing needs all of it, and
    /// segmentation is the expensive part.
    pub fn analyze(&self, text: &str) -> Segmented {
        self.analyze_with(text, true)
    }

    /// One segmentation's terms; the reading ones only `with_readings`
    /// (the highlighter checks a kanji query's matches without working out
    /// every word's reading).
    pub fn analyze_with(&self, text: &str, with_readings: bool) -> Segmented {
        let n = normalize(text);
        let raws = self.raw(&n.text);
        let nouns = if with_readings {
            Self::nouns(text, &n, &raws)
        } else {
            Vec::new()
        };
        let units = self.units(&raws);
        let mut out = Gathering::new(units.len(), with_readings);
        for piece in units {
            match piece {
                Piece::Word(u) => out.word(&self.part_readings, &n, u),
                Piece::Read {
                    start,
                    end,
                    reading: said,
                } => out.read(&n, start, end, said),
                Piece::Skip => {}
                Piece::Break => out.end_run(),
            }
        }
        out.end_run();
        Segmented {
            normalized: n,
            morph: out.morph,
            reading: out.reading,
            reading_words: out.reading_words,
            numerals: out.numerals,
            nouns,
        }
    }

    /// The content nouns of a segmentation ([`Noun`]), in text order.
    fn nouns(text: &str, n: &Normalized, raws: &[Raw<'_>]) -> Vec<Noun> {
        raws.iter()
            .filter(|raw| Self::drop_reason(raw).is_none())
            .filter_map(|raw| {
                let (start, end) = n.original_range(raw.start, raw.end);
                let written = &text[start..end];
                let sub = raw.pos_sub1();
                let content = raw.pos() == "名詞"
                    && !sub.contains('数')
                    && !sub.contains("非自立")
                    && !sub.contains("代名詞")
                    && written.chars().count() >= 2
                    && written.chars().any(char::is_alphabetic);
                let surface = super::nfkc(written);
                (content && !surface.is_empty()).then(|| Noun {
                    surface,
                    reading: raw.reading().to_owned(),
                })
            })
            .collect()
    }

    /// Each indexed word of `text` (particles, symbols … left out) as
    /// written, with its part of speech and sub-category and its reading
    /// ("" when unknown): what [`explain`](Self::explain) tells, without the
    /// strings and character offsets it builds per token, for lists made
    /// from the whole collection (the completion list).
    pub fn words(&self, text: &str, mut f: impl FnMut(&str, &str, &str, &str)) {
        let n = normalize(text);
        for raw in self.raw(&n.text) {
            if Self::drop_reason(&raw).is_some() {
                continue;
            }
            let (start, end) = n.original_range(raw.start, raw.end);
            f(&text[start..end], raw.pos(), raw.pos_sub1(), raw.reading());
        }
    }

    /// The words a user-dictionary compound is made of (業務改善 → 業務,
    /// 改善), as the user dictionary lists them; `None` for any other word.
    /// Readable ids spell a compound's parts apart (kaizen-teian).
    pub fn compound_parts(&self, surface: &str) -> Option<&[String]> {
        self.compounds.get(surface).map(Vec::as_slice)
    }

    /// Every token with its details, indexed or not (`kaizen-wa tokenize`).
    pub fn explain(&self, text: &str) -> Vec<TokenInfo> {
        let n = normalize(text);
        let char_index = |byte: usize| text[..byte].chars().count();
        self.raw(&n.text)
            .into_iter()
            .map(|raw| {
                let (start, end) = n.original_range(raw.start, raw.end);
                let dropped = Self::drop_reason(&raw);
                let mut term = dropped.is_none().then(|| Self::term_of(&raw));
                if let (Some(t), Some(parts)) = (&mut term, self.compounds.get(raw.surface)) {
                    *t = format!("{t} ({})", parts.join(" + "));
                }
                TokenInfo {
                    surface: text[start..end].to_owned(),
                    term,
                    base_form: raw.base().to_owned(),
                    reading: raw.reading().to_owned(),
                    part_of_speech: if raw.pos_sub1().is_empty() {
                        raw.pos().to_owned()
                    } else {
                        format!("{}-{}", raw.pos(), raw.pos_sub1())
                    },
                    byte_start: start,
                    byte_end: end,
                    char_start: char_index(start),
                    char_end: char_index(end),
                    dropped,
                }
            })
            .collect()
    }
}

/// The result of one segmentation of a text.
pub struct Segmented {
    pub normalized: Normalized,
    pub morph: Vec<Term>,
    pub reading: Vec<Term>,
    /// Each content word's reading, folded, whole (and each compound
    /// part's): a kana query that is a word is one term.
    pub reading_words: Vec<Term>,
    /// Kanji numerals (normalised byte range → Arabic form), so the n-gram
    /// analyzer sees 第3次 where 第三次 was written.
    pub numerals: Vec<(usize, usize, String)>,
    /// The content nouns, for the completion list (only with readings).
    pub nouns: Vec<Noun>,
}
