//! Synonyms from an editable file, applied at query time (no re-index).
//!
//! Format (`dict/synonyms.txt`), one rule a line, `#` comments:
//!
//! * `a = b = c` — two-way: each finds the others;
//! * `a => b, c` — one-way: `a` also finds `b` and `c`, not the reverse
//!   (首長 => 市長, 町長, 村長, 知事: asking for the role finds the offices).
//!
//! Words compare after width/case normalisation and kana folding, so ＤＸ,
//! DX and dx are one key. The rules in effect are chosen once per process
//! ([`install`] from the command line, else [`Synonyms::default_source`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::fold::fold_term;
use super::normalize::normalize;

/// The environment variable naming the synonyms file.
pub const ENV: &str = "KAIZEN_WA_SYNONYMS";
/// The editable file, relative to the working directory.
pub const DEFAULT_PATH: &str = "dict/synonyms.txt";

#[derive(Debug, thiserror::Error)]
pub enum SynonymError {
    #[error("synonyms file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Word (folded) → the other words it also finds, as written in the file.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    map: HashMap<String, Vec<String>>,
    /// Where the rules came from (a path, or "built-in").
    pub source: String,
}

/// The comparison key of a word.
fn key(word: &str) -> String {
    fold_term(normalize(word.trim()).text.trim())
}

impl Synonyms {
    /// Parses rules; `path` only labels errors.
    pub fn parse(path: &Path, text: &str) -> Result<Synonyms, SynonymError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let mut add = |from: &str, to: &str| {
            if key(from) == key(to) {
                return;
            }
            let list = map.entry(key(from)).or_default();
            if !list.iter().any(|w| key(w) == key(to)) {
                list.push(to.to_owned());
            }
        };
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim().trim_start_matches('\u{FEFF}');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // Full-width ＝ and ＞ are typed with a Japanese IME on.
            let line = line
                .replace('＝', "=")
                .replace('＞', ">")
                .replace(['、', '，'], ",");
            let syntax = |message: &str| SynonymError::Syntax {
                path: path.to_owned(),
                line: i + 1,
                message: message.to_owned(),
            };
            let words = |s: &str, sep: char| -> Vec<String> {
                s.split(sep)
                    .map(|w| w.trim().to_owned())
                    .filter(|w| !w.is_empty())
                    .collect()
            };
            if let Some((lhs, rhs)) = line.split_once("=>") {
                let from = words(lhs, ',');
                let to = words(rhs, ',');
                if from.is_empty() || to.is_empty() || rhs.contains("=>") {
                    return Err(syntax("「語 => 語, 語」の形で書いてください"));
                }
                for f in &from {
                    for t in &to {
                        add(f, t);
                    }
                }
            } else if line.contains('=') {
                let group = words(&line, '=');
                if group.len() < 2 {
                    return Err(syntax("「語 = 語」の形で、2語以上を書いてください"));
                }
                for a in &group {
                    for b in &group {
                        add(a, b);
                    }
                }
            } else {
                return Err(syntax("「=」（双方向）か「=>」（一方向）がありません"));
            }
        }
        Ok(Synonyms {
            map,
            source: path.display().to_string(),
        })
    }

    /// Reads a synonyms file.
    pub fn from_file(path: &Path) -> Result<Synonyms, SynonymError> {
        let text = std::fs::read_to_string(path).map_err(|source| SynonymError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// The copy embedded in the binary.
    pub fn built_in() -> Synonyms {
        let mut s = Self::parse(Path::new("dict/synonyms.txt"), kaizen_wa_dict::SYNONYMS_TXT)
            .expect("the built-in synonyms parse (tested)");
        s.source = "built-in".into();
        s
    }

    /// `$KAIZEN_WA_SYNONYMS`, else `dict/synonyms.txt` if it exists, else
    /// the built-in copy.
    pub fn default_source() -> Result<Synonyms, SynonymError> {
        match std::env::var_os(ENV) {
            Some(p) if !p.is_empty() => Self::from_file(Path::new(&p)),
            _ if Path::new(DEFAULT_PATH).is_file() => Self::from_file(Path::new(DEFAULT_PATH)),
            _ => Ok(Self::built_in()),
        }
    }

    /// The other words `word` also finds (empty if none).
    pub fn expand(&self, word: &str) -> &[String] {
        self.map.get(&key(word)).map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

static ACTIVE: OnceLock<Synonyms> = OnceLock::new();

/// Sets the rules for this process (the CLI's `--synonyms`). Returns false
/// if rules were already in use.
pub fn install(synonyms: Synonyms) -> bool {
    ACTIVE.set(synonyms).is_ok()
}

/// The rules in effect: installed ones, else [`Synonyms::default_source`];
/// a broken default file is reported and the built-in copy used, so one
/// member's typo never takes search down.
pub fn active() -> &'static Synonyms {
    ACTIVE.get_or_init(|| {
        Synonyms::default_source().unwrap_or_else(|e| {
            tracing::warn!("{e}; using the built-in synonyms");
            Synonyms::built_in()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Synonyms {
        Synonyms::parse(Path::new("t.txt"), text).unwrap()
    }

    #[test]
    fn two_way_rules_find_each_other() {
        let s = parse("カイゼン = 改善\nDX=デジタルトランスフォーメーション=デジタル変革\n");
        assert_eq!(s.expand("改善"), ["カイゼン"]);
        assert_eq!(
            s.expand("かいぜん"),
            ["改善"],
            "kana folds to the katakana key"
        );
        assert_eq!(
            s.expand("ＤＸ"),
            ["デジタルトランスフォーメーション", "デジタル変革"]
        );
        assert_eq!(
            s.expand("デジタル変革"),
            ["DX", "デジタルトランスフォーメーション"]
        );
    }

    #[test]
    fn one_way_rules_do_not_reverse() {
        let s = parse("# roles\n首長 => 市長, 町長、村長, 知事\n");
        assert_eq!(s.expand("首長"), ["市長", "町長", "村長", "知事"]);
        assert!(s.expand("市長").is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = Synonyms::parse(Path::new("s.txt"), "a = b\n\nonly-one-word\n").unwrap_err();
        assert!(e.to_string().starts_with("s.txt:3:"), "{e}");
        assert!(Synonyms::parse(Path::new("s.txt"), "a =>\n").is_err());
    }

    #[test]
    fn built_in_file_parses() {
        let s = Synonyms::built_in();
        assert!(s.expand("PDCA").iter().any(|w| w == "PDCAサイクル"));
        assert!(s.expand("職員提案").iter().any(|w| w == "改善提案"));
    }
}
