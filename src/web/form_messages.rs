//! What the case form says next to each field: the problems of a draft
//! sorted by the input they belong to (errors and warnings, the ids for
//! `aria-describedby`), the error summary above the form in the order the
//! fields appear on the page, and the Japanese label of every field.
//!
//! Owns only wording and order on the page; which values are wrong is
//! decided by [`super::forms`] (types) and the case module (rules).

use std::collections::BTreeMap;

use super::merge::MERGE_FIELDS;
use crate::case::{FieldProblem, Section, Severity};

/// Problems by form field, for showing next to each input.
#[derive(Debug, Clone, Default)]
pub struct Messages {
    errors: BTreeMap<&'static str, Vec<String>>,
    warnings: BTreeMap<&'static str, Vec<String>>,
}

/// A form field's label, for the error summary.
pub fn label(field: &str) -> &'static str {
    match field {
        "id" => "ID",
        "title" => "事例名",
        "municipality" => "自治体名",
        "prefecture" => "都道府県",
        "kind" => "自治体の種類",
        "levels" => "改善レベル",
        "start_year" => "開始年",
        "end_year" => "終了年",
        "tags" => "タグ",
        "sources" => "出典",
        "contact_department" => "担当部署",
        "contact_url" => "問い合わせ先のページ",
        "extra" => "その他の節",
        "extra_sections" => "その他の節",
        key => Section::parse(key).map_or("事例", |s| s.heading()),
    }
}

impl Messages {
    pub fn new(problems: &[FieldProblem]) -> Messages {
        let mut m = Messages::default();
        for p in problems {
            let map = match p.severity {
                Severity::Error => &mut m.errors,
                Severity::Warning => &mut m.warnings,
            };
            map.entry(p.field).or_default().push(p.message.clone());
        }
        m
    }

    /// The field's errors as one message (one element to point
    /// `aria-describedby` at).
    pub fn error(&self, field: &str) -> Option<String> {
        self.errors.get(field).map(|v| v.join(" "))
    }

    pub fn warning(&self, field: &str) -> Option<String> {
        self.warnings.get(field).map(|v| v.join(" "))
    }

    pub fn invalid(&self, field: &str) -> bool {
        self.errors.contains_key(field)
    }

    /// `aria-describedby` of the input `f-<field>`: its hint (if it has
    /// one), error and warning.
    pub fn describedby(&self, field: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("f-{field}-hint"));
        }
        if self.errors.contains_key(field) {
            ids.push(format!("f-{field}-error"));
        }
        if self.warnings.contains_key(field) {
            ids.push(format!("f-{field}-warning"));
        }
        ids.join(" ")
    }

    /// Errors and warnings on fields the form has no input for (`case`,
    /// `updated`, …): shown above the form.
    pub fn general(&self) -> Vec<String> {
        self.errors
            .iter()
            .chain(&self.warnings)
            .filter(|(f, _)| page_position(f).is_none())
            .flat_map(|(f, msgs)| msgs.iter().map(move |m| format!("{}: {m}", label(f))))
            .collect()
    }

    /// Every error on a field of the form, for the summary above it (each
    /// links to its field), in the order the fields appear on the page.
    pub fn summary(&self) -> Vec<SummaryItem> {
        let mut fields: Vec<&'static str> = self
            .errors
            .keys()
            .copied()
            .filter(|f| page_position(f).is_some())
            .collect();
        fields.sort_by_key(|f| page_position(f));
        fields
            .into_iter()
            .flat_map(|f| {
                self.errors[f].iter().map(move |m| SummaryItem {
                    field: f,
                    // A message that names its field needs no label before it.
                    label: if m.starts_with(label(f)) {
                        ""
                    } else {
                        label(f)
                    },
                    message: m.clone(),
                })
            })
            .collect()
    }
}

/// Where a field's input is on the form page (top first); `None` for a
/// field the form has no input for (a problem on such a field, `case` or
/// `updated`, is shown above the form). The inputs stand in merge order,
/// with the id (never merged: an edit keeps it) just below the title; the
/// unknown sections have no input of their own.
fn page_position(field: &str) -> Option<usize> {
    let (title, rest) = MERGE_FIELDS.split_first()?;
    [*title, "id"]
        .into_iter()
        .chain(rest.iter().copied())
        .filter(|f| *f != "extra")
        .position(|f| f == field)
}

/// One line of the error summary.
pub struct SummaryItem {
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::forms::CaseForm;

    fn body(pairs: &[(&str, &str)]) -> Vec<u8> {
        serde_urlencoded::to_string(pairs).unwrap().into_bytes()
    }

    #[test]
    fn the_summary_follows_the_page_and_speaks_of_fields_not_the_file() {
        let pairs = vec![
            ("activities", ""),
            ("summary", ""),
            ("title", ""),
            ("levels", "x"),
        ];
        let f = CaseForm::parse(&body(&pairs)).unwrap();
        let problems = f.draft().check().unwrap_err();
        let summary = Messages::new(&problems).summary();
        let fields: Vec<_> = summary.iter().map(|s| s.field).collect();
        let mut sorted = fields.clone();
        sorted.sort_by_key(|f| page_position(f));
        assert_eq!(fields, sorted);
        assert_eq!(fields.first(), Some(&"title"), "{fields:?}");
        let pos = |f| fields.iter().position(|x| *x == f).unwrap();
        assert!(pos("levels") < pos("summary") && pos("summary") < pos("activities"));
        let summary_line = summary.iter().find(|s| s.field == "summary").unwrap();
        assert_eq!(summary_line.message, "概要を入力してください");
        assert_eq!(summary_line.label, "");
        for s in &summary {
            assert!(!s.message.contains("##"), "{}", s.message);
        }
    }

    #[test]
    fn fields_stand_in_the_order_of_the_page_and_others_have_no_place() {
        // As the template lays the inputs out.
        let page = "title id prefecture municipality kind levels start_year end_year tags \
                    summary actors motivations background activities successes failures lessons \
                    sources contact_department contact_url";
        let page = page.split_whitespace();
        let positions: Vec<_> = page.map(page_position).collect();
        let expected: Vec<_> = (0..positions.len()).map(Some).collect();
        assert_eq!(positions, expected);
        for other in ["case", "updated", "extra", "contributor", "概要"] {
            assert_eq!(page_position(other), None, "{other}");
        }
    }
}
