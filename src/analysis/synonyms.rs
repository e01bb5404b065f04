//! Synonyms from an editable file, applied at query time (no re-index).
//!
//! Format (`dict/synonyms.txt`), one rule a line, `#` comments:
//!
//! * `a = b = c` — two-way: each finds the others;
//! * `a => b, c` — one-way: `a` also finds `b` and `c`, not the reverse
//!   (首長 => 市長, 町長, 村長, 知事: asking for the role finds the offices);
//! * `! 語` — switches off, for this domain, every group of the Sudachi
//!   dictionary that holds 語; `! 000123` switches off group 000123.
//!
//! Under the file's rules lies SudachiDict's synonym dictionary ([`Sudachi`],
//! compiled into the binary): a word found in exactly one of its groups
//! also finds the group's other headwords. Its expansion-control flag is
//! respected (a headword marked "not to expand from" is only expanded
//! to); a word in several groups is ambiguous and not expanded through
//! it (ごみ is dust in one group and junk in another: either would flood
//! results meant for the other); one-character headwords are neither
//! expanded from nor to (訳 would match every 翻訳). The file's rules come
//! first and are applied on top.
//!
//! Words compare after width/case normalisation and kana folding, so ＤＸ,
//! DX and dx are one key. The rules in effect are chosen once per process
//! ([`install`] from the command line, else [`Synonyms::default_source`]).
//!
//! Owns what a word also finds; must not change what is indexed (nothing
//! here needs a re-index) or decide how a synonym scores.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::OnceLock;

use super::analyzer;
use super::fold::{fold_headword, fold_term, is_hiragana};
use super::normalize::{is_normalized, normalize};

/// The environment variable naming the synonyms file.
pub const ENV: &str = "KAIZEN_WA_SYNONYMS";
/// The editable file, relative to the working directory.
pub const DEFAULT_PATH: &str = "dict/synonyms.txt";
/// Set (to `1`) to search without the Sudachi dictionary: only the file's
/// rules (to measure what it adds).
pub const NO_SUDACHI_ENV: &str = "KAIZEN_WA_NO_SUDACHI";

/// A synonyms file that cannot be read, or a wrong line of it.
pub use crate::file_error::FileError as SynonymError;

/// Word (folded) → the other words it also finds, as written in the file,
/// over the Sudachi dictionary unless it is left out.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    map: HashMap<String, Vec<String>>,
    /// Sudachi groups switched off by number (`! 000123`).
    off_groups: HashSet<String>,
    /// Words whose Sudachi groups are switched off (`! 語`), folded.
    off_words: HashSet<String>,
    /// Whether the Sudachi dictionary lies under the rules (parsed on
    /// first use, so leaving it out costs nothing).
    sudachi: bool,
    /// Where the rules came from (a path, or "built-in").
    pub source: String,
}

/// The comparison key of a word.
fn key(word: &str) -> String {
    folded(word, fold_term)
}

/// A word as Sudachi's headwords are told apart ([`fold_headword`]: the
/// long-vowel mark kept). Looked up by [`key`] alone, ビル expanded to
/// 麦酒 (as ビール) and バッタ to 打者 (as バッター).
fn headword_key(word: &str) -> String {
    folded(word, fold_headword)
}

fn folded(word: &str, fold: fn(&str) -> String) -> String {
    let word = word.trim();
    // Most words (every Sudachi headword read at start-up) are already
    // normal: skip building the offset map.
    if is_normalized(word) {
        fold(word)
    } else {
        fold(normalize(word).text.trim())
    }
}

impl Synonyms {
    /// Parses rules; `path` only labels errors.
    pub fn parse(path: &Path, text: &str) -> Result<Synonyms, SynonymError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        let mut off_groups = HashSet::new();
        let mut off_words = HashSet::new();
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
            if let Some(rest) = line.strip_prefix(['!', '！']) {
                let what = rest.trim();
                if what.is_empty() || what.contains(['=', ',']) {
                    return Err(syntax(
                        "「! 語」か「! 000123」（同義語辞書のグループ番号）の形で書いてください",
                    ));
                }
                if what.len() == 6 && what.bytes().all(|b| b.is_ascii_digit()) {
                    off_groups.insert(what.to_owned());
                } else {
                    off_words.insert(key(what));
                }
            } else if let Some((lhs, rhs)) = line.split_once("=>") {
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
            off_groups,
            off_words,
            sudachi: true,
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
    /// `$KAIZEN_WA_NO_SUDACHI` leaves the Sudachi dictionary out.
    pub fn default_source() -> Result<Synonyms, SynonymError> {
        let rules = match std::env::var_os(ENV) {
            Some(p) if !p.is_empty() => Self::from_file(Path::new(&p)),
            _ if Path::new(DEFAULT_PATH).is_file() => Self::from_file(Path::new(DEFAULT_PATH)),
            _ => Ok(Self::built_in()),
        }?;
        Ok(if sudachi_disabled() {
            rules.without_sudachi()
        } else {
            rules
        })
    }

    /// The same rules without the Sudachi dictionary under them.
    pub fn without_sudachi(mut self) -> Synonyms {
        self.sudachi = false;
        self
    }

    /// Where the rules come from, for reports: `dict/synonyms.txt +
    /// Sudachi`.
    pub fn describe(&self) -> String {
        match self.sudachi {
            true => format!("{} + Sudachi", self.source),
            false => format!("{} (without Sudachi)", self.source),
        }
    }

    /// Whether the Sudachi dictionary is in use.
    pub fn uses_sudachi(&self) -> bool {
        self.sudachi
    }

    /// The other words `word` finds by the file's own rules (empty if none).
    pub fn expand(&self, word: &str) -> &[String] {
        self.map.get(&key(word)).map_or(&[], Vec::as_slice)
    }

    /// Every other word `word` also finds: the file's rules first, then
    /// the Sudachi group's headwords (unless switched off), each once.
    pub fn expand_all(&self, word: &str) -> Vec<String> {
        let k = key(word);
        let mut out: Vec<String> = self.map.get(&k).cloned().unwrap_or_default();
        if let Some(group) = self.sudachi_group(word, &k) {
            let mut seen: HashSet<String> = out.iter().map(|w| key(w)).collect();
            seen.insert(k);
            for w in group.targets() {
                if seen.insert(key(w)) && !misread(word, w) {
                    out.push(w.to_owned());
                }
            }
        }
        out
    }

    /// The one Sudachi group `word` (folded: `k`) expands through: none
    /// when it is in no group, in several (ambiguous), only expanded to,
    /// or switched off.
    fn sudachi_group(&self, word: &str, k: &str) -> Option<&'static Group> {
        if !self.sudachi || k.chars().count() < 2 || self.off_words.contains(k) {
            return None;
        }
        let sudachi = Sudachi::get();
        let headword = headword_key(word);
        // A group the word is only expanded to does not make it
        // ambiguous: it never expands through that one.
        let groups: Vec<&Group> = sudachi
            .groups_of(&headword)
            .filter(|g| g.expands_from(&headword))
            .filter(|g| !self.off_groups.contains(g.id))
            .filter(|g| {
                !g.words
                    .iter()
                    .any(|(_, w)| self.off_words.contains(&key(w)))
            })
            .collect();
        match groups.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Whether `$KAIZEN_WA_NO_SUDACHI` asks to leave the Sudachi dictionary out:
/// set to anything but empty, `0`, `false`, `no`, `off` (as the command
/// line's `--no-sudachi` reads it).
pub fn sudachi_disabled() -> bool {
    std::env::var(NO_SUDACHI_ENV).is_ok_and(|v| {
        !matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "off" | "n" | "f"
        )
    })
}

/// What a headword of a Sudachi group may do (the build script's roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Expands and is expanded to.
    Both,
    /// Only expanded to (expansion control 1).
    To,
    /// Only expands (a misuse, a misspelling or an alphabet spelling).
    From,
}

/// One synonym group of the Sudachi dictionary.
#[derive(Debug)]
pub struct Group {
    /// The group number (`000123`), as `! 000123` names it.
    pub id: &'static str,
    words: Vec<(Role, &'static str)>,
}

impl Group {
    /// Whether the word whose [`headword_key`] is `headword` may expand
    /// through this group.
    fn expands_from(&self, headword: &str) -> bool {
        self.words
            .iter()
            .any(|(role, w)| *role != Role::To && headword_key(w) == headword)
    }

    /// The headwords a search expands to (misspellings and one-character
    /// words left out).
    fn targets(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.words
            .iter()
            .filter(|(role, w)| *role != Role::From && w.chars().count() > 1)
            .map(|(_, w)| *w)
    }
}

/// Whether the Sudachi headword `to`, found for the noun `from`, would be
/// searched as another word: written in hiragana alone, the segmenter
/// reads it as one word that is no noun. かかり (係, in the group of
/// 担当者) reads as the verb かかる, and 担当者 found 手間がかかり in three
/// of its seven cases. The group's other forms still find what it means
/// (取りやめ for とりやめ); a headword the segmenter only cuts apart
/// (じょうだん) is kept, its characters find it.
fn misread(from: &str, to: &str) -> bool {
    let is_noun = |pos: &str| pos.starts_with("名詞");
    let other_word = || match analyzer().explain(to).as_slice() {
        [one] => !is_noun(&one.part_of_speech),
        _ => false,
    };
    let noun = || {
        let tokens = analyzer().explain(from);
        !tokens.is_empty() && tokens.iter().all(|t| is_noun(&t.part_of_speech))
    };
    to.chars().all(is_hiragana) && other_word() && noun()
}

/// SudachiDict's synonym groups, read once from the table the build script
/// compiled ([`kaizen_wa_dict::SUDACHI_SYNONYMS`]).
#[derive(Debug)]
pub struct Sudachi {
    groups: Vec<Group>,
    /// Headword ([`headword_key`]) → the groups holding it.
    by_key: HashMap<String, Vec<u32>>,
}

impl Sudachi {
    /// Parses the compiled table: a group a line, the number then its
    /// headwords, each prefixed by its role.
    fn parse(table: &'static str) -> Sudachi {
        let mut groups = Vec::new();
        let mut by_key: HashMap<String, Vec<u32>> = HashMap::new();
        for line in table.lines() {
            let mut fields = line.split('\t');
            let Some(id) = fields.next() else { continue };
            let words: Vec<(Role, &'static str)> = fields
                .filter_map(|f| {
                    let mut chars = f.chars();
                    let role = match chars.next()? {
                        '=' => Role::Both,
                        '<' => Role::To,
                        '>' => Role::From,
                        _ => return None,
                    };
                    Some((role, chars.as_str()))
                })
                .collect();
            let n = u32::try_from(groups.len()).expect("fewer than 4 billion groups");
            for (_, w) in &words {
                let ids = by_key.entry(headword_key(w)).or_default();
                if ids.last() != Some(&n) {
                    ids.push(n);
                }
            }
            groups.push(Group { id, words });
        }
        Sudachi { groups, by_key }
    }

    /// The dictionary, parsed on first use.
    pub fn get() -> &'static Sudachi {
        static SUDACHI: OnceLock<Sudachi> = OnceLock::new();
        SUDACHI.get_or_init(|| Sudachi::parse(kaizen_wa_dict::SUDACHI_SYNONYMS))
    }

    /// The groups holding the word whose [`headword_key`] is `k`.
    fn groups_of(&self, k: &str) -> impl Iterator<Item = &Group> {
        self.by_key
            .get(k)
            .into_iter()
            .flatten()
            .map(|&i| &self.groups[i as usize])
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// Reads the rules in effect and the Sudachi table they use, so that the
/// first search does not pay for it (a server calls it at start).
pub fn warm_up() {
    if active().uses_sudachi() {
        Sudachi::get();
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

    fn has(list: &[String], w: &str) -> bool {
        list.iter().any(|x| x == w)
    }

    #[test]
    fn sudachi_groups_expand_under_the_files_rules() {
        let s = parse("削減 => 予算削減\n");
        let all = s.expand_all("削減");
        assert_eq!(all[0], "予算削減", "the file's rules come first");
        assert!(has(&all, "縮減") && has(&all, "減らす"), "{all:?}");
        assert!(has(&s.expand_all("縮減"), "削減"));
        assert!(
            s.expand("削減") == ["予算削減"],
            "expand is the file's only"
        );
        assert!(s.without_sudachi().expand_all("削減") == ["予算削減"]);
    }

    #[test]
    fn sudachi_expansion_control_is_respected() {
        let s = parse("");
        // 理由 is marked "only expanded to" in the group of 経緯.
        assert!(has(&s.expand_all("経緯"), "理由"));
        assert!(!has(&s.expand_all("理由"), "経緯"));
        // 配置 is marked "never": it neither expands nor is expanded to.
        assert!(s.expand_all("配置").is_empty());
        assert!(!has(&s.expand_all("セッティング"), "配置"));
        // An alphabet spelling finds the group; the group never searches
        // for it (TAK, TMC would collide with other things).
        assert!(has(&s.expand_all("airport"), "空港"));
        assert!(!has(&s.expand_all("空港"), "airport"));
        // A misspelling finds the group; the group never searches for it.
        assert!(has(&s.expand_all("テトラポット"), "テトラポッド"));
        assert!(!has(&s.expand_all("テトラポッド"), "テトラポット"));
        // A misuse that may not expand is left out altogether.
        assert!(!has(&s.expand_all("終わり"), "潮時"));
        assert!(s.expand_all("潮時").is_empty());
    }

    #[test]
    fn hiragana_headwords_read_as_another_word_are_left_out() {
        let s = parse("");
        let staff = s.expand_all("担当者");
        assert!(has(&staff, "スタッフ"), "{staff:?}");
        assert!(!has(&staff, "かかり"), "{staff:?}");
        // A verb's group keeps its hiragana forms.
        assert!(!misread("やめる", "よす") && misread("担当者", "かかり"));
        // A noun written in hiragana is kept, and so is one the segmenter
        // cuts apart.
        assert!(!misread("子供", "こども") && !misread("冗談", "じょうだん"));
    }

    #[test]
    fn a_long_vowel_mark_tells_headwords_apart() {
        let s = parse("");
        // ビル (a building) is not ビール (beer), バッタ not バッター.
        assert!(!has(&s.expand_all("ビル"), "麦酒"));
        assert!(has(&s.expand_all("ビール"), "麦酒"));
        assert!(!has(&s.expand_all("バッタ"), "打者"));
        // Sudachi lists the spellings without it that are the same word.
        assert!(has(&s.expand_all("コンピュータ"), "電子計算機"));
        assert!(has(&s.expand_all("コンピューター"), "電子計算機"));
        assert_eq!(fold_headword("バッター"), "バツター");
        assert_eq!(fold_term("バッター"), "バツタ");
    }

    #[test]
    fn ambiguous_and_one_character_words_do_not_flood() {
        let s = parse("");
        // ごみ is dust in one group and junk in another.
        assert!(s.expand_all("ごみ").is_empty());
        // 訳 (reason) would match every 翻訳.
        assert!(!has(&s.expand_all("経緯"), "訳"));
        assert!(s.expand_all("訳").is_empty());
        // お金's group holds 金 (one character) and カネ (never).
        let money = s.expand_all("お金");
        assert!(has(&money, "マネー"), "{money:?}");
        assert!(!has(&money, "金") && !has(&money, "カネ"), "{money:?}");
    }

    #[test]
    fn the_file_switches_sudachi_groups_off() {
        assert!(!parse("").expand_all("停滞").is_empty());
        // By a word of the group, as typed or another member.
        assert!(parse("! 停滞\n").expand_all("停滞").is_empty());
        assert!(parse("！足踏み\n").expand_all("停滞").is_empty());
        // By the group's number; the other groups stay.
        let s = parse("! 000004\n");
        assert!(s.expand_all("経緯").is_empty());
        assert!(!s.expand_all("削減").is_empty());
        // The file's own rules for the word stay.
        assert_eq!(
            parse("! 停滞\n停滞 = 足止め\n").expand_all("停滞"),
            ["足止め"]
        );
        for bad in ["!\n", "! a = b\n", "! 語, 語\n"] {
            let e = Synonyms::parse(Path::new("s.txt"), bad).unwrap_err();
            assert!(e.to_string().starts_with("s.txt:1:"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_compiled_table_holds_the_whole_dictionary() {
        let started = std::time::Instant::now();
        let d = Sudachi::get();
        eprintln!("Sudachi table read in {:?}", started.elapsed());
        assert!(d.len() > 20_000, "{} groups", d.len());
        assert!(d.groups_of(&key("インフルエンザ")).count() >= 1);
    }

    #[test]
    fn built_in_file_parses() {
        let s = Synonyms::built_in();
        assert!(s.expand("PDCA").iter().any(|w| w == "PDCAサイクル"));
        assert!(s.expand("職員提案").iter().any(|w| w == "改善提案"));
        // The domain switches off the Sudachi group of 審査 (判断 …).
        assert!(!has(&s.expand_all("審査"), "判断"));
        assert!(has(
            &Synonyms::parse(Path::new("t"), "")
                .unwrap()
                .expand_all("審査"),
            "判断"
        ));
    }
}
