//! Shared helpers for the end-to-end tests: a temporary copy of the bundled
//! sample cases, an index over it (built once per run for the tests that
//! only read), members, a sample case, the app in this process ([`app`])
//! and the real `kaizen-wa` binary, run once or serving ([`server`]).
//!
//! Helpers here set things up and fetch; they assert only that the setup
//! worked. What a test checks stays in the test.

pub mod app;
pub mod forms;
pub mod server;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use kaizen_wa::case::{Case, Kind, Section};
use kaizen_wa::index::{CaseIndex, SearchRequest};
use kaizen_wa::members::Members;
use serde_json::{Value, json};

pub use app::{App, MEMBER, Reply, Setup};
pub use server::{Server, raw_request, serve};

pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    /// A temp dir with `cases/` (a copy of the project's sample cases) and
    /// an empty `index/` location.
    pub fn with_samples() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        copy_dir(&src, &dir.path().join("cases"));
        Fixture { dir }
    }

    pub fn cases(&self) -> PathBuf {
        self.dir.path().join("cases")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.dir.path().join("index")
    }

    /// Opens the index and syncs it with the cases.
    pub fn index(&self) -> CaseIndex {
        let idx = CaseIndex::open(&self.index_dir()).expect("open index");
        let report = idx.sync(&self.cases()).expect("sync");
        assert!(!report.has_errors(), "{:#?}", report.diagnostics);
        idx
    }

    /// Runs the real binary in the fixture's folder (where it finds
    /// `cases/` and `index/` by default).
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Output {
        kaizen_wa()
            .current_dir(self.dir.path())
            .args(args)
            .output()
            .expect("run kaizen-wa")
    }
}

/// One index over the bundled cases for the whole run, for tests that only
/// search it: indexing is the slow part of a test.
pub fn sample_index() -> &'static CaseIndex {
    static SAMPLES: OnceLock<(Fixture, CaseIndex)> = OnceLock::new();
    let (_, index) = SAMPLES.get_or_init(|| {
        let f = Fixture::with_samples();
        let index = f.index();
        (f, index)
    });
    index
}

/// Copies the bundled case files (`cases/*.md`, not the README) into `to`;
/// returns how many.
pub fn copy_cases(to: &Path) -> usize {
    fs::create_dir_all(to).unwrap();
    let mut n = 0;
    for e in fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/cases")).unwrap() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "md")
            && !e.file_name().to_string_lossy().starts_with("README")
        {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
            n += 1;
        }
    }
    n
}

/// The real binary, with none of the settings it reads from the
/// environment inherited from the test's own (each test sets what it means),
/// logging only warnings.
pub fn kaizen_wa() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaizen-wa"));
    // Every `KAIZEN_WA_*` a developer may have set (folders, limits, the
    // test hooks): flags and defaults are what the tests are written for.
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("KAIZEN_WA_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("KAIZEN_WA_LOG", "warn");
    // Without the cases' vectors: computing them costs seconds per run,
    // and only the tests of related cases need them (they remove this).
    cmd.env(kaizen_wa::meaning::OFF_ENV, "1");
    cmd
}

/// Adds a member to the members file at `path`; returns the secret.
pub fn add_member(path: &Path, name: &str) -> String {
    let mut m = Members::load(path).unwrap();
    let secret = m.add(name).unwrap();
    m.save().unwrap();
    secret
}

/// A temp folder with `cases/` (the samples) and a member, for a real
/// server; returns it and the member's `Authorization` value.
pub fn workspace() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_cases(&dir.path().join("cases"));
    let secret = add_member(&dir.path().join("members.toml"), MEMBER);
    (dir, format!("Bearer {secret}"))
}

/// A made-up katakana word per number: one token, unique in the collection.
pub fn word(n: usize) -> String {
    const K: [&str; 10] = ["ア", "カ", "サ", "タ", "ナ", "ハ", "マ", "ヤ", "ラ", "ワ"];
    format!("ヌ{}{}{}ペ", K[n / 100 % 10], K[n / 10 % 10], K[n % 10])
}

/// A valid case body for the write API, titled `title`.
pub fn case_body(id: Option<&str>, title: &str) -> Value {
    let mut v = json!({
        "title": title,
        "municipality": "福岡市",
        "prefecture": "福岡県",
        "levels": ["業務改善"],
        "period": {"start": 2001, "end": null},
        "tags": ["窓口"],
        "sections": {
            "summary": "窓口の改善を進めた。",
            "actors": "職員有志",
            "activities": "発表会を開いた。"
        },
        "sources": ["https://example.jp/"]
    });
    if let Some(id) = id {
        v["id"] = json!(id);
    }
    v
}

/// A valid case whose title and summary carry `text`: the write API's
/// body ([`case_body`]) read as the case it describes. (The library's own
/// sample case is for its unit tests only, out of reach here.)
pub fn sample_case(id: &str, text: &str) -> Case {
    let mut v = case_body(Some(id), &format!("{text}による改善運動"));
    v["kind"] = json!(Kind::DesignatedCity);
    v["tags"] = json!([]);
    v["updated"] = json!("2026-01-01");
    let sections = v["sections"].as_object_mut().unwrap();
    sections.insert(
        "summary".into(),
        json!(format!("{text}を合言葉に職場ごとの改善を進めた。")),
    );
    // A case has every section; the body leaves the empty ones out.
    for s in Section::ALL {
        sections.entry(s.key()).or_insert(json!(""));
    }
    serde_json::from_value(v).expect("the sample body reads as a case")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Percent-encodes one query-string value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}

/// A search for `query`, its first `limit` hits, nothing else asked.
pub fn request(query: &str, limit: usize) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        limit,
        ..SearchRequest::default()
    }
}

/// Ids of the hits for `query`, best first.
pub fn ids(idx: &CaseIndex, query: &str) -> Vec<String> {
    search_ids(idx, &request(query, 50))
}

/// Every id in the index, sorted.
pub fn indexed_ids(idx: &CaseIndex) -> Vec<String> {
    let mut ids: Vec<String> = idx
        .versions()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    ids.sort();
    ids
}

pub fn search_ids(idx: &CaseIndex, req: &SearchRequest) -> Vec<String> {
    idx.search(req)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}
