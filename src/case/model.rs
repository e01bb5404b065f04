//! The case record: what the association says a case is made of.
//!
//! Pure data and its vocabulary (improvement levels, municipality kinds,
//! narrative sections). Parsing lives in `parse`, rules in `validate`,
//! Markdown output in `render`; nothing here touches the file system.

use serde::{Deserialize, Serialize};

/// One improvement campaign (改善事例), as read from a file in `cases/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Stable, URL-safe slug, unique in the collection.
    pub id: String,
    /// 事例名.
    pub title: String,
    /// 自治体名. For nationwide records (prefecture 全国) a free description.
    pub municipality: String,
    /// 都道府県, or 全国 for records not tied to one municipality.
    pub prefecture: String,
    pub kind: Kind,
    /// One or more of the five improvement levels, in the author's order.
    pub levels: Vec<Level>,
    pub period: Period,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub contributor: Option<String>,
    /// Last content update, `YYYY-MM-DD`.
    #[serde(default)]
    pub updated: Option<String>,
    pub sections: Sections,
    /// 出典: URLs or bibliographic references.
    pub sources: Vec<String>,
    /// `##` sections with headings the format does not know. Kept so that
    /// re-rendering a case (web edit, import) never drops what a member wrote.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_sections: Vec<(String, String)>,
    /// 問い合わせ先: whom a practitioner can ask about the campaign.
    #[serde(default, skip_serializing_if = "Contact::is_empty")]
    pub contact: Contact,
}

/// 問い合わせ先 of a case (optional): the department in charge and a
/// public page about the campaign. What practitioners look for after
/// reading a case: someone to ask.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    /// 担当部署, e.g. 「総務部 行政改革課」.
    pub department: String,
    /// A public web page (`https://…`) of the campaign or the department.
    pub url: String,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.department.trim().is_empty() && self.url.trim().is_empty()
    }
}

/// The narrative of a case, one field per `##` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sections {
    pub summary: String,
    pub actors: String,
    pub motivations: String,
    pub background: String,
    pub activities: String,
    pub successes: String,
    pub failures: String,
    pub lessons: String,
}

/// A narrative section: its Japanese heading in case files, its key in the
/// index and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Summary,
    Actors,
    Motivations,
    Background,
    Activities,
    Successes,
    Failures,
    Lessons,
}

impl Section {
    /// In file order.
    pub const ALL: [Section; 8] = [
        Section::Summary,
        Section::Actors,
        Section::Motivations,
        Section::Background,
        Section::Activities,
        Section::Successes,
        Section::Failures,
        Section::Lessons,
    ];

    /// The `##` heading in a case file.
    pub fn heading(self) -> &'static str {
        match self {
            Section::Summary => "概要",
            Section::Actors => "担い手",
            Section::Motivations => "思い・動機",
            Section::Background => "背景・経緯",
            Section::Activities => "取組内容",
            Section::Successes => "成功・成果",
            Section::Failures => "失敗・課題",
            Section::Lessons => "教訓",
        }
    }

    /// Stable ASCII key (index field names, API `section=` values).
    pub fn key(self) -> &'static str {
        match self {
            Section::Summary => "summary",
            Section::Actors => "actors",
            Section::Motivations => "motivations",
            Section::Background => "background",
            Section::Activities => "activities",
            Section::Successes => "successes",
            Section::Failures => "failures",
            Section::Lessons => "lessons",
        }
    }

    /// Whether a case must say something here. 失敗・課題 may be empty: the
    /// association asks authors not to invent a setback no source reports.
    pub fn required(self) -> bool {
        matches!(
            self,
            Section::Summary | Section::Actors | Section::Activities
        )
    }

    /// Accepts the heading or the key (`failures`, `失敗・課題`).
    pub fn parse(s: &str) -> Option<Section> {
        let s = s.trim();
        Section::ALL
            .into_iter()
            .find(|sec| sec.heading() == s || sec.key() == s)
    }
}

/// Heading of the section that lists sources.
pub const SOURCES_HEADING: &str = "出典";

impl Sections {
    pub fn get(&self, section: Section) -> &str {
        match section {
            Section::Summary => &self.summary,
            Section::Actors => &self.actors,
            Section::Motivations => &self.motivations,
            Section::Background => &self.background,
            Section::Activities => &self.activities,
            Section::Successes => &self.successes,
            Section::Failures => &self.failures,
            Section::Lessons => &self.lessons,
        }
    }

    pub fn get_mut(&mut self, section: Section) -> &mut String {
        match section {
            Section::Summary => &mut self.summary,
            Section::Actors => &mut self.actors,
            Section::Motivations => &mut self.motivations,
            Section::Background => &mut self.background,
            Section::Activities => &mut self.activities,
            Section::Successes => &mut self.successes,
            Section::Failures => &mut self.failures,
            Section::Lessons => &mut self.lessons,
        }
    }
}

/// The five improvement levels (改善の目的レベル) of the association's model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "業務改善")]
    Gyomu,
    #[serde(rename = "人材育成")]
    Jinzai,
    #[serde(rename = "事業改善")]
    Jigyo,
    #[serde(rename = "職場改善")]
    Shokuba,
    #[serde(rename = "戦略提案・施策改善")]
    Senryaku,
}

impl Level {
    /// In the association's order (①–⑤).
    pub const ALL: [Level; 5] = [
        Level::Gyomu,
        Level::Jinzai,
        Level::Jigyo,
        Level::Shokuba,
        Level::Senryaku,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Level::Gyomu => "業務改善",
            Level::Jinzai => "人材育成",
            Level::Jigyo => "事業改善",
            Level::Shokuba => "職場改善",
            Level::Senryaku => "戦略提案・施策改善",
        }
    }

    /// ASCII slug for URLs and CSS classes.
    pub fn slug(self) -> &'static str {
        match self {
            Level::Gyomu => "gyomu",
            Level::Jinzai => "jinzai",
            Level::Jigyo => "jigyo",
            Level::Shokuba => "shokuba",
            Level::Senryaku => "senryaku",
        }
    }

    /// Accepts the Japanese name (after NFKC, so full-width punctuation
    /// works) or the slug.
    pub fn parse(s: &str) -> Option<Level> {
        let s = crate::analysis::nfkc(s.trim());
        let s = s.replace(['･', '·'], "・");
        Level::ALL
            .into_iter()
            .find(|l| l.name() == s || l.slug() == s)
    }

    /// The level whose name is closest to `s`, for "did you mean" messages.
    pub fn nearest(s: &str) -> Level {
        Level::ALL
            .into_iter()
            .min_by_key(|l| strsim::levenshtein(l.name(), s))
            .unwrap_or(Level::Gyomu)
    }

    /// Reads a list of level names as members write them (files, forms,
    /// spreadsheets, query strings, the command line): the levels, each
    /// once in the order first written, and what was wrong with the rest.
    /// One reading for every entry point, so a name accepted in one place
    /// is accepted everywhere; each caller words the problems for its
    /// readers and decides whether a repeat matters.
    pub fn parse_list<S: AsRef<str>>(given: impl IntoIterator<Item = S>) -> LevelList {
        let mut list = LevelList::default();
        for s in given {
            let s = s.as_ref();
            match Level::parse(s) {
                Some(level) if list.levels.contains(&level) => {
                    list.problems.push(LevelProblem::Repeated {
                        given: s.to_owned(),
                    })
                }
                Some(level) => list.levels.push(level),
                None => list.problems.push(LevelProblem::Unknown {
                    given: s.to_owned(),
                    nearest: Level::nearest(s),
                }),
            }
        }
        list
    }
}

/// What [`Level::parse_list`] read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LevelList {
    /// The levels named, each once, in the order first written.
    pub levels: Vec<Level>,
    /// The names that gave no new level, in the order written.
    pub problems: Vec<LevelProblem>,
}

impl LevelList {
    /// The first name that is not a level, for callers that stop at it.
    pub fn first_unknown(&self) -> Option<(&str, Level)> {
        self.problems.iter().find_map(|p| match p {
            LevelProblem::Unknown { given, nearest } => Some((given.as_str(), *nearest)),
            LevelProblem::Repeated { .. } => None,
        })
    }
}

/// A name in a list of levels that did not add a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelProblem {
    /// Neither a level's name nor its slug; `nearest` is the one to
    /// suggest ("did you mean").
    Unknown { given: String, nearest: Level },
    /// A level already named earlier in the list.
    Repeated { given: String },
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of local government a case comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    #[serde(rename = "都道府県")]
    Prefecture,
    #[serde(rename = "政令指定都市")]
    DesignatedCity,
    #[serde(rename = "中核市")]
    CoreCity,
    #[serde(rename = "市")]
    City,
    #[serde(rename = "特別区")]
    SpecialWard,
    #[serde(rename = "町")]
    Town,
    #[serde(rename = "村")]
    Village,
    /// Records not tied to one municipality: nationwide events, networks.
    #[serde(rename = "全国・広域")]
    Nationwide,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Prefecture,
        Kind::DesignatedCity,
        Kind::CoreCity,
        Kind::City,
        Kind::SpecialWard,
        Kind::Town,
        Kind::Village,
        Kind::Nationwide,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Prefecture => "都道府県",
            Kind::DesignatedCity => "政令指定都市",
            Kind::CoreCity => "中核市",
            Kind::City => "市",
            Kind::SpecialWard => "特別区",
            Kind::Town => "町",
            Kind::Village => "村",
            Kind::Nationwide => "全国・広域",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = crate::analysis::nfkc(s.trim());
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// When a campaign ran: a start year, and an end year if it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: i32,
    pub end: Option<i32>,
}

impl std::fmt::Display for Period {
    /// `2000–2007` or `2000–` (ongoing), the way the association writes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(end) => write!(f, "{}–{}", self.start, end),
            None => write!(f, "{}–", self.start),
        }
    }
}

/// A case as a list of cases shows it (related and similar cases): which
/// case, where, when, at which levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub id: String,
    pub title: String,
    pub municipality: String,
    pub prefecture: String,
    pub levels: Vec<Level>,
    pub period: Period,
}

impl From<Case> for Listing {
    fn from(c: Case) -> Listing {
        Listing {
            id: c.id,
            title: c.title,
            municipality: c.municipality,
            prefecture: c.prefecture,
            levels: c.levels,
            period: c.period,
        }
    }
}

impl Case {
    /// Every narrative section with its text, in file order.
    pub fn narrative(&self) -> impl Iterator<Item = (Section, &str)> {
        Section::ALL.into_iter().map(|s| (s, self.sections.get(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_parse_accepts_full_width_punctuation_and_slug() {
        assert_eq!(Level::parse("戦略提案･施策改善"), Some(Level::Senryaku));
        assert_eq!(Level::parse("jinzai"), Some(Level::Jinzai));
        assert_eq!(Level::parse("業務改革"), None);
    }

    #[test]
    fn nearest_level_suggests_the_one_character_typo() {
        assert_eq!(Level::nearest("業務改革"), Level::Gyomu);
        assert_eq!(Level::nearest("職場の改善"), Level::Shokuba);
    }

    #[test]
    fn level_list_keeps_first_order_and_names_repeats_and_unknowns() {
        let list = Level::parse_list(["職場改善", "gyomu", "職場改善", "業務改革", "業務改善"]);
        assert_eq!(list.levels, [Level::Shokuba, Level::Gyomu]);
        assert_eq!(
            list.problems,
            [
                LevelProblem::Repeated {
                    given: "職場改善".into()
                },
                LevelProblem::Unknown {
                    given: "業務改革".into(),
                    nearest: Level::Gyomu
                },
                LevelProblem::Repeated {
                    given: "業務改善".into()
                },
            ]
        );
        assert_eq!(list.first_unknown(), Some(("業務改革", Level::Gyomu)));
        assert_eq!(Level::parse_list(["jinzai"]).first_unknown(), None);
    }

    #[test]
    fn section_parse_takes_heading_or_key() {
        assert_eq!(Section::parse("失敗・課題"), Some(Section::Failures));
        assert_eq!(Section::parse("failures"), Some(Section::Failures));
        assert_eq!(Section::parse("失敗"), None);
    }
}
