//! Every case field through the write API and the file, for any Unicode
//! (control characters, CR, NUL, U+FFFE/U+FFFF, bidirectional marks): a
//! write is either refused with a 4xx naming the field, or what the answer
//! says was saved is what the file holds, what `GET` serves, and what was
//! sent up to the documented tidying (outer whitespace trimmed, CRLF and
//! lone CR stored as LF, empty list items dropped).
//!
//! `PROPTEST_CASES` (default 48 here) runs more.

use axum::http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use super::inproc;

/// Characters that broke or could break a text format somewhere.
const NASTY: &[char] = &[
    '\r', '\n', '\0', '\t', '\u{7}', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}',
    '\u{200e}', '\u{200f}', '\u{202e}', '\u{2028}', '\u{2029}', '\u{3000}', '\u{feff}', '\u{fffe}',
    '\u{ffff}', '"', '\'', '\\', '#', '+', '-', '*', '=', '[', ']', '{', '}', '<', '>', '&', '｜',
    '＝', '𠮷', '改',
];

fn text() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => any::<char>(),
        3 => proptest::sample::select(NASTY),
        2 => proptest::char::range('ぁ', 'ん'),
    ];
    proptest::collection::vec(ch, 0..24).prop_map(|cs| cs.into_iter().collect())
}

/// Non-empty after trimming: the required fields.
fn required_text() -> impl Strategy<Value = String> {
    text().prop_map(|t| format!("改{t}善"))
}

/// Mostly a one-line text (what a source or a heading is), sometimes any:
/// those must be refused, not written as two lines.
fn line() -> impl Strategy<Value = String> {
    let one = required_text().prop_map(|t| {
        t.chars()
            .filter(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}'))
            .collect::<String>()
    });
    prop_oneof![4 => one, 1 => required_text()]
}

#[derive(Debug, Clone)]
struct Input {
    title: String,
    tags: Vec<String>,
    summary: String,
    actors: String,
    activities: String,
    failures: String,
    sources: Vec<String>,
    extra: Vec<(String, String)>,
}

fn input() -> impl Strategy<Value = Input> {
    (
        required_text(),
        proptest::collection::vec(text(), 0..3),
        (required_text(), required_text(), required_text(), text()),
        proptest::collection::vec(line(), 1..3),
        proptest::collection::vec((line(), text()), 0..2),
    )
        .prop_map(
            |(title, tags, (summary, actors, activities, failures), sources, extra)| Input {
                title,
                tags,
                summary,
                actors,
                activities,
                failures,
                sources,
                extra,
            },
        )
}

fn body(id: &str, i: &Input) -> Value {
    json!({
        "id": id,
        "title": i.title,
        "municipality": "福岡市",
        "prefecture": "福岡県",
        "levels": ["業務改善"],
        "period": {"start": 2001, "end": null},
        "tags": i.tags,
        "sections": {
            "summary": i.summary,
            "actors": i.actors,
            "activities": i.activities,
            "failures": i.failures,
        },
        "sources": i.sources,
        "extra_sections": i.extra,
    })
}

/// What the server promises to keep of a text.
fn tidy_block(s: &str) -> String {
    s.trim().replace("\r\n", "\n").replace('\r', "\n")
}

fn tidy_list(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn every_field_round_trips_through_the_api_and_the_file() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(async { inproc::app() });
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let saved = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&input(), |i| {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let id = format!("roundtrip-{n}");
            let r = rt.block_on(app.create(&body(&id, &i)));
            if r.status == StatusCode::UNPROCESSABLE_ENTITY {
                let j = r.json();
                prop_assert_eq!(&j["error"]["code"], "invalid");
                prop_assert!(!j["error"]["problems"].as_array().unwrap().is_empty());
                if std::env::var_os("ROUNDTRIP_VERBOSE").is_some() {
                    eprintln!("refused: {}", j["error"]["problems"]);
                }
                let path = app.cases().join(format!("{id}.md"));
                prop_assert!(!path.exists(), "refused but written");
                return Ok(());
            }
            prop_assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
            saved.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let case = r.json()["case"].clone();
            // What was sent, tidied.
            prop_assert_eq!(case["title"].as_str().unwrap(), i.title.trim());
            prop_assert_eq!(
                case["tags"].as_array().map_or(vec![], |a| a
                    .iter()
                    .map(|v| v.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>()),
                tidy_list(&i.tags)
            );
            for (key, sent) in [
                ("summary", &i.summary),
                ("actors", &i.actors),
                ("activities", &i.activities),
                ("failures", &i.failures),
            ] {
                let kept = case["sections"][key].as_str().unwrap_or("");
                prop_assert_eq!(kept, tidy_block(sent), "section {}", key);
            }
            let sources: Vec<String> = case["sources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            prop_assert_eq!(sources, tidy_list(&i.sources));
            let extra: Vec<(String, String)> =
                case["extra_sections"].as_array().map_or(vec![], |a| {
                    a.iter()
                        .map(|p| {
                            (
                                p[0].as_str().unwrap().to_owned(),
                                p[1].as_str().unwrap().to_owned(),
                            )
                        })
                        .collect()
                });
            let sent: Vec<(String, String)> = i
                .extra
                .iter()
                .map(|(h, t)| (h.trim().to_owned(), tidy_block(t)))
                .collect();
            prop_assert_eq!(extra, sent);
            // What GET serves and what the file holds are the same case.
            let got = rt.block_on(app.get(&format!("/api/cases/{id}"), None));
            prop_assert_eq!(got.status, StatusCode::OK);
            prop_assert_eq!(&got.json(), &case);
            let file = kaizen_wa::case::store::CaseFile {
                rel: format!("{id}.md"),
                path: app.cases().join(format!("{id}.md")),
            };
            let parsed = kaizen_wa::case::store::load(&file).unwrap().parsed;
            let from_file = serde_json::to_value(parsed.case.expect("the file parses")).unwrap();
            prop_assert_eq!(&from_file, &case);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let saved = saved.into_inner();
    eprintln!("round trip: {saved} of {cases} writes saved, the rest refused with 422");
    // Not vacuous: a good share of the generated cases are saved and checked.
    assert!(
        saved * 4 >= cases as usize,
        "too few generated cases were writable: {saved}"
    );
}
