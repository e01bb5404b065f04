//! Case files: the model, the file format (parse, validate, render) and the
//! collection on disk. `cases/` is the source of truth; this module is the
//! only one that writes into it. It knows nothing of the index or HTTP.

pub mod edit;
mod model;
pub mod municipalities;
mod parse;
mod render;
pub mod slug;
pub mod store;
mod validate;

pub use edit::{EditError, FileChange, Stamp};
pub use model::{
    Case, Contact, Kind, Level, LevelList, LevelProblem, Listing, Period, SOURCES_HEADING, Section,
    Sections,
};
pub use parse::{Diagnostic, Parsed, parse, parse_bytes};
pub use render::render;
pub use validate::{FieldProblem, Severity, current_year, today_iso, validate};

/// A new case file's text: every field and section present, with the
/// placeholders an author replaces. It parses; `check` then lists what is
/// still empty.
pub fn template(id: &str, title: &str, municipality: &str, prefecture: &str) -> String {
    let kind = municipalities::infer_kind(prefecture, municipality).map_or("市", |k| k.name());
    let case = Case {
        id: id.to_owned(),
        title: title.to_owned(),
        municipality: municipality.to_owned(),
        prefecture: prefecture.to_owned(),
        kind: Kind::parse(kind).unwrap_or(Kind::City),
        levels: vec![Level::Gyomu],
        period: Period {
            start: current_year(),
            end: None,
        },
        tags: Vec::new(),
        contributor: None,
        updated: Some(today_iso()),
        sections: Sections::default(),
        sources: Vec::new(),
        extra_sections: Vec::new(),
        contact: Contact::default(),
    };
    render(&case)
}
