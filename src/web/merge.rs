//! Three-way merge of a case edit, field by field: the version the member
//! started from (the base), the version someone else saved meanwhile
//! (theirs), and the member's form (mine).
//!
//! A field only one side changed takes that side's value; a field both
//! changed to different values is a conflict, left as the member typed it
//! for them to decide. Values are compared by what they mean, not how they
//! were typed (「2001年」 and 「2001」, tags split by 「、」 or 「,」,
//! levels in another order, CRLF or LF).
//!
//! Works on the form alone (no file, no index, no HTTP): the handler in
//! `editor` reads the current version and decides whether to save. The
//! form seen field by field ([`MERGE_FIELDS`], [`CaseForm::field`],
//! [`CaseForm::set_field`]) is this module's: only merging (and taking
//! one field from the other version) needs it; the form's messages take
//! the order of its inputs from [`MERGE_FIELDS`].

use super::forms::CaseForm;
use crate::case::{Case, Level, Section};

/// The fields of the case form that merge one by one, in form order
/// (`extra` is the unknown sections as one field).
pub const MERGE_FIELDS: [&str; 20] = [
    "title",
    "prefecture",
    "municipality",
    "kind",
    "levels",
    "start_year",
    "end_year",
    "tags",
    "summary",
    "actors",
    "motivations",
    "background",
    "activities",
    "successes",
    "failures",
    "lessons",
    "extra",
    "sources",
    "contact_department",
    "contact_url",
];

impl CaseForm {
    /// One field's value as the form holds it (`levels`: one per line;
    /// `extra`: heading and text pairs as JSON). `None` for a key that is
    /// no field.
    pub fn field(&self, key: &str) -> Option<String> {
        Some(match key {
            "title" => self.filing.title.clone(),
            "prefecture" => self.filing.prefecture.clone(),
            "municipality" => self.filing.municipality.clone(),
            "kind" => self.filing.kind.clone(),
            "levels" => self.filing.levels.join("\n"),
            "start_year" => self.filing.start_year.clone(),
            "end_year" => self.filing.end_year.clone(),
            "tags" => self.tags.clone(),
            "sources" => self.sources.clone(),
            "contact_department" => self.contact_department.clone(),
            "contact_url" => self.contact_url.clone(),
            "extra" => serde_json::to_string(&self.extra).unwrap_or_default(),
            key => self.section(Section::parse(key)?).to_owned(),
        })
    }

    /// Sets one field from a value shaped as [`CaseForm::field`] gives it.
    pub fn set_field(&mut self, key: &str, value: String) {
        match key {
            "title" => self.filing.title = value,
            "prefecture" => self.filing.prefecture = value,
            "municipality" => self.filing.municipality = value,
            "kind" => self.filing.kind = value,
            "levels" => {
                self.filing.levels = value
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "start_year" => self.filing.start_year = value,
            "end_year" => self.filing.end_year = value,
            "tags" => self.tags = value,
            "sources" => self.sources = value,
            "contact_department" => self.contact_department = value,
            "contact_url" => self.contact_url = value,
            "extra" => self.extra = serde_json::from_str(&value).unwrap_or_default(),
            key => {
                if let Some(i) = Section::ALL.iter().position(|s| s.key() == key) {
                    if self.sections.len() < Section::ALL.len() {
                        self.sections.resize(Section::ALL.len(), String::new());
                    }
                    self.sections[i] = value;
                }
            }
        }
    }
}

/// The outcome of merging the member's form with the saved version.
#[derive(Debug)]
pub struct Merge {
    /// The member's form with the other member's changes taken where the
    /// member changed nothing.
    pub form: CaseForm,
    /// Fields both changed, differently: the form keeps the member's value.
    pub conflicts: Vec<&'static str>,
    /// Fields where the other member's change was taken.
    pub taken: Vec<&'static str>,
}

/// The base carried by the form, if it is one and is the case being
/// edited (a base of another case, or none at all from an old page, makes
/// every difference a conflict: nothing is overwritten unseen).
pub fn base_of(form: &CaseForm, id: &str) -> Option<Case> {
    serde_json::from_str::<Case>(&form.base)
        .ok()
        .filter(|c| c.id == id)
}

/// The base to carry in the form's hidden field.
pub fn serialise_base(case: &Case) -> String {
    serde_json::to_string(case).unwrap_or_default()
}

/// Every merge field's value in a canonical shape: the field as the case it
/// describes would show it again, or as typed when it does not parse.
fn canonical(form: &CaseForm) -> Vec<String> {
    let (case, problems) = form.draft().to_case();
    let tidy = CaseForm::from_case(&case);
    MERGE_FIELDS
        .iter()
        .map(|key| {
            let typed = problems.iter().any(|p| p.field == *key);
            let v = if typed {
                form.field(key)
            } else {
                tidy.field(key)
            };
            normalise(key, &v.unwrap_or_default())
        })
        .collect()
}

fn normalise(key: &str, v: &str) -> String {
    let v = v.replace("\r\n", "\n");
    let mut lines: Vec<&str> = v.trim().lines().map(str::trim_end).collect();
    if key == "levels" {
        lines.sort_unstable();
    }
    lines.join("\n")
}

/// Merges `mine` with `theirs` (the saved version) over `base` (what the
/// member started from; `None`: unknown, every difference is a conflict).
pub fn merge(base: Option<&Case>, theirs: &Case, mine: &CaseForm) -> Merge {
    let theirs_form = CaseForm::from_case(theirs);
    let t = canonical(&theirs_form);
    let m = canonical(mine);
    let b = base.map(|b| canonical(&CaseForm::from_case(b)));
    let mut form = mine.clone();
    let mut conflicts = Vec::new();
    let mut taken = Vec::new();
    for (i, key) in MERGE_FIELDS.iter().enumerate() {
        if m[i] == t[i] {
            continue;
        }
        match &b {
            Some(b) if m[i] == b[i] => {
                form.set_field(key, theirs_form.field(key).unwrap_or_default());
                taken.push(*key);
            }
            Some(b) if t[i] == b[i] => {}
            _ => conflicts.push(*key),
        }
    }
    Merge {
        form,
        conflicts,
        taken,
    }
}

/// Of the fields a merge left in conflict, those where the form still
/// differs from `theirs` (a field the member has since made equal, or
/// taken over, is settled).
pub fn still_conflicting(form: &CaseForm, theirs: &Case) -> Vec<&'static str> {
    let t = canonical(&CaseForm::from_case(theirs));
    let m = canonical(form);
    MERGE_FIELDS
        .iter()
        .enumerate()
        .filter(|(i, key)| form.conflicts.iter().any(|c| c == *key) && m[*i] != t[*i])
        .map(|(_, key)| *key)
        .collect()
}

/// A field of `case` as a reader should see it in a conflict box.
pub fn shown(case: &Case, key: &str) -> String {
    match key {
        "levels" => case
            .levels
            .iter()
            .map(|l: &Level| l.name())
            .collect::<Vec<_>>()
            .join("・"),
        "extra" => case
            .extra_sections
            .iter()
            .map(|(h, t)| format!("{h}\n{t}"))
            .collect::<Vec<_>>()
            .join("\n\n"),
        key => CaseForm::from_case(case).field(key).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::edit::tests_support::sample;

    fn form_of(case: &Case) -> CaseForm {
        CaseForm::from_case(case)
    }

    #[test]
    fn a_change_only_the_other_member_made_is_kept() {
        let base = sample("m-1");
        let mut theirs = base.clone();
        theirs.sections.successes = "窓口の待ち時間が半分になった。".into();
        let mut mine = form_of(&base);
        mine.set_field("summary", "書き直した概要。".into());
        let m = merge(Some(&base), &theirs, &mine);
        assert!(m.conflicts.is_empty(), "{:?}", m.conflicts);
        assert_eq!(m.taken, vec!["successes"]);
        assert_eq!(
            m.form.field("successes").unwrap(),
            "窓口の待ち時間が半分になった。"
        );
        assert_eq!(m.form.field("summary").unwrap(), "書き直した概要。");
    }

    #[test]
    fn both_changing_one_field_differently_is_a_conflict_that_keeps_mine() {
        let base = sample("m-2");
        let mut theirs = base.clone();
        theirs.title = "相手の事例名".into();
        theirs.levels.push(Level::Jinzai);
        let mut mine = form_of(&base);
        mine.filing.title = "わたしの事例名".into();
        let m = merge(Some(&base), &theirs, &mine);
        assert_eq!(m.conflicts, vec!["title"]);
        assert_eq!(m.taken, vec!["levels"]);
        assert_eq!(m.form.filing.title, "わたしの事例名");
        assert_eq!(shown(&theirs, "levels"), "業務改善・人材育成");
    }

    #[test]
    fn the_same_meaning_typed_differently_is_no_change() {
        let base = sample("m-3");
        let mut theirs = base.clone();
        theirs.tags = vec!["発表会".into(), "職員提案".into()];
        let mut mine = form_of(&base);
        mine.filing.start_year = "２００１年".into();
        mine.set_field("summary", "概要です。\r\n".into());
        mine.tags = "発表会, 職員提案".into();
        let m = merge(Some(&base), &theirs, &mine);
        assert!(m.conflicts.is_empty() && m.taken.is_empty(), "{m:?}");
    }

    #[test]
    fn without_a_base_every_difference_is_a_conflict() {
        let base = sample("m-4");
        let mut theirs = base.clone();
        theirs.sections.lessons = "教訓".into();
        let m = merge(None, &theirs, &form_of(&base));
        assert_eq!(m.conflicts, vec!["lessons"]);
        assert_eq!(m.form.field("lessons").unwrap(), "");
    }

    #[test]
    fn a_base_of_another_case_or_garbage_is_no_base() {
        let case = sample("m-5");
        let mut f = form_of(&case);
        f.base = serialise_base(&case);
        assert_eq!(base_of(&f, "m-5"), Some(case.clone()));
        assert_eq!(base_of(&f, "other"), None);
        f.base = "{\"id\":\"m-5\",\u{0}".into();
        assert_eq!(base_of(&f, "m-5"), None);
    }

    #[test]
    fn a_conflict_is_settled_once_the_form_equals_theirs() {
        let base = sample("m-6");
        let mut theirs = base.clone();
        theirs.title = "相手".into();
        let mut mine = form_of(&base);
        mine.filing.title = "自分".into();
        mine.conflicts = vec!["title".into()];
        assert_eq!(still_conflicting(&mine, &theirs), vec!["title"]);
        mine.filing.title = "相手".into();
        assert!(still_conflicting(&mine, &theirs).is_empty());
    }
}
