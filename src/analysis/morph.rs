//! Morphological analysis with lindera and the embedded IPADIC.

use std::borrow::Cow;

use lindera::mode::Mode;
use lindera::segmenter::Segmenter;

use super::fold::fold_term;
use super::ngram::{RunChar, pair_up, push_folded};
use super::normalize::normalize;
use super::{Term, TokenInfo};

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

/// The segmenter over the embedded dictionary, shared by every analyzer.
pub struct Morph {
    segmenter: Segmenter,
}

/// One lindera token's facts, owned.
struct Raw {
    /// Byte range in the *normalised* text.
    start: usize,
    end: usize,
    surface: String,
    pos: String,
    pos_sub1: String,
    base: String,
    reading: String,
}

impl Morph {
    pub fn new() -> lindera::LinderaResult<Self> {
        let dictionary = kaizen_wa_dict::load()?;
        let segmenter = Segmenter::new(Mode::Normal, dictionary, None);
        Ok(Morph { segmenter })
    }

    fn raw(&self, normalized: &str) -> Vec<Raw> {
        let Ok(tokens) = self.segmenter.segment(Cow::Borrowed(normalized)) else {
            return Vec::new();
        };
        tokens
            .into_iter()
            .map(|mut t| {
                let (start, end) = (t.byte_start, t.byte_end);
                let surface = t.surface.to_string();
                let details = t.details();
                let get = |i: usize| details.get(i).copied().filter(|s| *s != "*").unwrap_or("");
                let known = details.len() > READING;
                Raw {
                    start,
                    end,
                    pos: if known {
                        get(POS).to_owned()
                    } else {
                        "名詞".to_owned()
                    },
                    pos_sub1: if known {
                        get(POS_SUB1).to_owned()
                    } else {
                        "未知語".to_owned()
                    },
                    base: if known {
                        get(BASE_FORM).to_owned()
                    } else {
                        String::new()
                    },
                    reading: if known {
                        get(READING).to_owned()
                    } else {
                        String::new()
                    },
                    surface,
                }
            })
            .collect()
    }

    /// Why a token is not indexed (None: it is).
    fn drop_reason(raw: &Raw) -> Option<&'static str> {
        match raw.pos.as_str() {
            "助詞" => return Some("助詞"),
            "助動詞" => return Some("助動詞"),
            "記号" => return Some("記号"),
            "フィラー" => return Some("フィラー"),
            "接続詞" => return Some("接続詞"),
            _ => {}
        }
        if raw.pos == "名詞" && matches!(raw.pos_sub1.as_str(), "非自立" | "代名詞") {
            return Some("非自立語");
        }
        if raw.pos == "動詞" && raw.pos_sub1 == "非自立" {
            return Some("非自立語");
        }
        if STOP_BASE_FORMS.contains(&raw.base.as_str()) && raw.pos == "動詞" {
            return Some("軽動詞");
        }
        if raw.surface.chars().all(|c| c.is_whitespace()) {
            return Some("空白");
        }
        None
    }

    /// The indexed form: base form for inflected words, folded.
    fn term_of(raw: &Raw) -> String {
        let inflected = matches!(raw.pos.as_str(), "動詞" | "形容詞" | "助動詞");
        let form = if inflected && !raw.base.is_empty() {
            raw.base.as_str()
        } else {
            raw.surface.as_str()
        };
        fold_term(form)
    }

    /// Morphological terms of `text`.
    pub fn terms(&self, text: &str) -> Vec<Term> {
        self.analyze(text).0
    }

    /// Reading bigrams: the katakana readings of consecutive content
    /// words, folded and paired up like the character bigrams. A word
    /// without a reading (unknown to the dictionary) contributes its folded
    /// surface. Every reading character keeps its word's original range, so
    /// a kana query highlights the kanji word it matched.
    pub fn readings(&self, text: &str) -> Vec<Term> {
        self.analyze(text).1
    }

    /// Morphological terms and reading bigrams from one segmentation:
    /// indexing needs both, and segmentation is the expensive part.
    pub fn analyze(&self, text: &str) -> (Vec<Term>, Vec<Term>) {
        let n = normalize(text);
        let raws = self.raw(&n.text);
        let mut terms = Vec::with_capacity(raws.len());
        let mut readings = Vec::with_capacity(raws.len() * 2);
        let mut run: Vec<RunChar> = Vec::new();
        for raw in raws {
            if Self::drop_reason(&raw).is_some() {
                pair_up(&run, &mut readings);
                run.clear();
                continue;
            }
            let (start, end) = n.original_range(raw.start, raw.end);
            let reading = if raw.reading.is_empty() {
                &raw.surface
            } else {
                &raw.reading
            };
            for c in reading.chars() {
                push_folded(&mut run, c, start, end);
            }
            terms.push(Term {
                text: Self::term_of(&raw),
                start,
                end,
                position: terms.len(),
            });
        }
        pair_up(&run, &mut readings);
        (terms, readings)
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
                TokenInfo {
                    surface: text[start..end].to_owned(),
                    term: dropped.is_none().then(|| Self::term_of(&raw)),
                    base_form: raw.base.clone(),
                    reading: raw.reading.clone(),
                    part_of_speech: if raw.pos_sub1.is_empty() {
                        raw.pos.clone()
                    } else {
                        format!("{}-{}", raw.pos, raw.pos_sub1)
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
