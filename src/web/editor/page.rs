//! The case form page: what its template shows — the member's input as
//! typed, the lists to choose from, the messages by field, a banner, and
//! under a conflict the other member's version — and the arguments of a
//! new-case form and of an edit form.
//!
//! Owns no handler and writes nothing; the handlers in [`super`] decide
//! which page to show and with which status.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::case::{Case, FieldProblem, Kind, Level, Section, municipalities};
use crate::web::AppState;
use crate::web::auth::Viewer;
use crate::web::error::WebError;
use crate::web::form_messages::{Messages, SummaryItem};
use crate::web::forms::CaseForm;
use crate::web::merge;
use crate::web::ui::{Base, CaseView, case_view, render};

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct MuniOpt {
    pub name: &'static str,
    pub prefecture: &'static str,
}

pub struct SectionInput {
    pub key: &'static str,
    pub heading: &'static str,
    pub value: String,
    pub required: bool,
    pub hint: &'static str,
}

pub struct ExtraInput {
    pub heading: String,
    pub text: String,
}

/// After a merge with conflicts: the other member's version of each field
/// both changed, shown under the member's input with a button that takes it.
#[derive(Default)]
pub struct Theirs {
    fields: Vec<(&'static str, String)>,
    /// 「2026-05-01 に yamada さんが保存した版」.
    pub who: String,
}

impl Theirs {
    pub fn get(&self, field: &str) -> Option<&String> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The conflicting `fields` as `current` has them.
    pub(super) fn of(fields: &[&'static str], current: &Case) -> Theirs {
        let who = match (&current.updated, &current.contributor) {
            (Some(u), Some(c)) => format!("{} に {c} さんが保存した版", crate::wareki::date_ja(u)),
            _ => "いま保存されている版".to_owned(),
        };
        Theirs {
            fields: fields
                .iter()
                .map(|f| (*f, merge::shown(current, f)))
                .collect(),
            who,
        }
    }
}

pub struct Banner {
    /// CSS modifier: `error`, `warn`, `ok`.
    pub kind: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "case_form.html")]
pub struct FormPage {
    pub base: Base,
    pub heading: String,
    pub post_url: String,
    pub cancel_url: String,
    pub editing: bool,
    pub f: CaseForm,
    pub msgs: Messages,
    pub summary: Vec<SummaryItem>,
    pub general: Vec<String>,
    pub banner: Option<Banner>,
    pub theirs: Theirs,
    pub preview: Option<CaseView>,
    pub prefectures: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub levels: Vec<Opt>,
    pub municipalities: Vec<MuniOpt>,
    pub sections: Vec<SectionInput>,
    pub extra: Vec<ExtraInput>,
    /// The input to focus when the page loads (the field just taken from
    /// the other version), so the member stays where they were.
    pub focus: Option<String>,
}

fn section_hint(s: Section) -> &'static str {
    match s {
        Section::Summary => "取組の要約を2〜3文で。",
        Section::Actors => "誰が推進しているか（首長、推進担当課、職員有志 …）。",
        Section::Motivations => "どんな思いで始めたか。",
        Section::Background => "組織としての経緯・位置づけ。",
        Section::Activities => "具体的に何をしたか。",
        Section::Successes => "うまくいったこと、その要因。",
        Section::Failures => "つまずき・課題。出典にない失敗は書かず、空のままにします。",
        Section::Lessons => "教訓・次の一歩。",
    }
}

/// What differs between the forms: headings, where they post, and
/// what to show besides the input.
pub(super) struct FormArgs<'a> {
    pub(super) heading: String,
    pub(super) post_url: String,
    pub(super) cancel_url: String,
    pub(super) editing: bool,
    pub(super) problems: &'a [FieldProblem],
    pub(super) banner: Option<Banner>,
    pub(super) theirs: Theirs,
    pub(super) preview: Option<&'a Case>,
}

/// The case form as the template shows it: `f` exactly as typed, with
/// the lists to choose from marking what it holds.
pub(super) fn form_page(
    state: &AppState,
    viewer: &Viewer,
    f: CaseForm,
    a: FormArgs<'_>,
) -> FormPage {
    let msgs = Messages::new(a.problems);
    let levels = Level::ALL
        .iter()
        .map(|l| Opt {
            value: l.slug().to_owned(),
            label: l.name().to_owned(),
            selected: f.has_level(*l),
        })
        .collect();
    let municipalities = municipalities::all()
        .iter()
        .map(|m| MuniOpt {
            name: m.name.as_str(),
            prefecture: m.prefecture.as_str(),
        })
        .collect();
    let sections = Section::ALL
        .iter()
        .map(|s| SectionInput {
            key: s.key(),
            heading: s.heading(),
            value: f.section(*s).to_owned(),
            required: s.required(),
            hint: section_hint(*s),
        })
        .collect();
    let extra = f
        .extra
        .iter()
        .map(|(h, t)| ExtraInput {
            heading: h.clone(),
            text: t.clone(),
        })
        .collect();
    FormPage {
        base: Base::new(state, if a.editing { "edit" } else { "new" }, viewer),
        heading: a.heading,
        post_url: a.post_url,
        cancel_url: a.cancel_url,
        editing: a.editing,
        summary: msgs.summary(),
        general: msgs.general(),
        msgs,
        banner: a.banner,
        theirs: a.theirs,
        preview: a.preview.map(case_view),
        prefectures: prefecture_options(&f.filing.prefecture),
        kinds: kind_options(&f.filing.kind),
        levels,
        municipalities,
        sections,
        extra,
        focus: None,
        f,
    }
}

/// The prefectures and 全国, `chosen` selected (nothing chosen: a first
/// entry asks to choose).
fn prefecture_options(chosen: &str) -> Vec<Opt> {
    let mut prefectures = vec![Opt {
        value: String::new(),
        label: "選んでください".into(),
        selected: chosen.is_empty(),
    }];
    prefectures.extend(
        municipalities::prefectures()
            .iter()
            .map(|p| p.as_str())
            .chain([municipalities::NATIONWIDE])
            .map(|p| Opt {
                value: p.to_owned(),
                label: if p == municipalities::NATIONWIDE {
                    "全国（一つの自治体に限らない事例）".into()
                } else {
                    p.to_owned()
                },
                selected: chosen == p,
            }),
    );
    // A value the list does not know (an old file, a typo) stays visible.
    if !chosen.is_empty() && !prefectures.iter().any(|o| o.selected) {
        prefectures.push(Opt {
            value: chosen.to_owned(),
            label: chosen.to_owned(),
            selected: true,
        });
    }
    prefectures
}

/// The kinds of municipality; the first, empty one lets the name decide.
fn kind_options(typed: &str) -> Vec<Opt> {
    let mut kinds = vec![Opt {
        value: String::new(),
        label: "自動で決める".into(),
        selected: typed.trim().is_empty(),
    }];
    let chosen = Kind::parse(typed);
    kinds.extend(Kind::ALL.iter().map(|k| Opt {
        value: k.name().to_owned(),
        label: k.name().to_owned(),
        selected: chosen == Some(*k),
    }));
    kinds
}

pub(super) fn new_args<'a>(problems: &'a [FieldProblem], banner: Option<Banner>) -> FormArgs<'a> {
    FormArgs {
        heading: "事例を追加".into(),
        post_url: "/cases/new".into(),
        cancel_url: "/".into(),
        editing: false,
        problems,
        banner,
        theirs: Theirs::default(),
        preview: None,
    }
}

pub(super) fn edit_args<'a>(
    id: &str,
    title: &str,
    problems: &'a [FieldProblem],
    banner: Option<Banner>,
) -> FormArgs<'a> {
    FormArgs {
        heading: format!("「{title}」を編集"),
        post_url: format!("/cases/{id}/edit"),
        cancel_url: format!("/cases/{id}"),
        editing: true,
        problems,
        banner,
        theirs: Theirs::default(),
        preview: None,
    }
}

pub(super) fn csrf_banner() -> Banner {
    Banner {
        kind: "error",
        text: format!(
            "{} 入力した内容はこのページに残っています。別のタブでログインし直し、内容を新しいフォームに写してから保存してください。",
            WebError::Csrf.public_message()
        ),
    }
}

pub(super) fn with_status(status: StatusCode, page: &FormPage) -> Response {
    (status, render(page)).into_response()
}
