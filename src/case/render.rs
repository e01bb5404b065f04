//! [`Case`] → case-file text, the inverse of `parse`: what `new`, imports
//! and the web form write. `parse(render(case)) == case` is tested.

use std::fmt::Write;

use super::model::{Case, SOURCES_HEADING, Section};

/// Renders a case as a case file.
pub fn render(case: &Case) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str("+++\n");
    kv(&mut out, "id", &case.id);
    kv(&mut out, "title", &case.title);
    kv(&mut out, "municipality", &case.municipality);
    kv(&mut out, "prefecture", &case.prefecture);
    kv(&mut out, "kind", case.kind.name());
    let levels: Vec<String> = case.levels.iter().map(|l| quote(l.name())).collect();
    let _ = writeln!(out, "levels = [{}]", levels.join(", "));
    let _ = writeln!(out, "start_year = {}", case.period.start);
    if let Some(end) = case.period.end {
        let _ = writeln!(out, "end_year = {end}");
    }
    if !case.tags.is_empty() {
        let tags: Vec<String> = case.tags.iter().map(|t| quote(t)).collect();
        let _ = writeln!(out, "tags = [{}]", tags.join(", "));
    }
    if !case.contact.department.trim().is_empty() {
        kv(
            &mut out,
            "contact_department",
            case.contact.department.trim(),
        );
    }
    if !case.contact.url.trim().is_empty() {
        kv(&mut out, "contact_url", case.contact.url.trim());
    }
    if let Some(c) = &case.contributor {
        kv(&mut out, "contributor", c);
    }
    if let Some(u) = &case.updated {
        // A TOML date literal when it is one, so editors highlight it.
        if u.len() == 10 && u.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            let _ = writeln!(out, "updated = {u}");
        } else {
            kv(&mut out, "updated", u);
        }
    }
    out.push_str("+++\n");
    for section in Section::ALL {
        let _ = write!(out, "\n## {}\n", section.heading());
        let text = case.sections.get(section).trim();
        if !text.is_empty() {
            let _ = writeln!(out, "{text}");
        }
    }
    for (heading, text) in &case.extra_sections {
        let _ = write!(out, "\n## {heading}\n");
        if !text.trim().is_empty() {
            let _ = writeln!(out, "{}", text.trim());
        }
    }
    let _ = write!(out, "\n## {SOURCES_HEADING}\n");
    for s in &case.sources {
        let _ = writeln!(out, "- {}", s.trim());
    }
    out
}

fn kv(out: &mut String, key: &str, value: &str) {
    let _ = writeln!(out, "{key} = {}", quote(value));
}

/// A TOML basic string, escaped by the toml crate itself.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::case::parse::parse;
    use crate::case::{Kind, Level, Period, Sections};

    #[test]
    fn render_then_parse_is_the_identity() {
        let case = Case {
            id: "kaizen-test".into(),
            title: "テスト市の\"改善\"運動 \\ 記号".into(),
            municipality: "福岡市".into(),
            prefecture: "福岡県".into(),
            kind: Kind::DesignatedCity,
            levels: vec![Level::Gyomu, Level::Senryaku],
            period: Period {
                start: 2000,
                end: Some(2007),
            },
            tags: vec!["発表会".into()],
            contributor: Some("会員".into()),
            updated: Some("2025-04-01".into()),
            sections: Sections {
                summary: "概要。".into(),
                actors: "職員有志".into(),
                activities: "発表会\n\n- 箇条書き".into(),
                failures: "首長交代で途絶えた。\n\n二段落目。".into(),
                ..Sections::default()
            },
            sources: vec!["https://example.jp/".into()],
            extra_sections: vec![("メモ".into(), "残す".into())],
            contact: crate::case::Contact {
                department: "総務部 \"行政改革\"課".into(),
                url: "https://www.city.example.lg.jp/kaizen/".into(),
            },
        };
        let again = parse(Path::new("t.md"), &render(&case));
        assert_eq!(again.case.as_ref(), Some(&case), "{:?}", again.diagnostics);
    }
}
