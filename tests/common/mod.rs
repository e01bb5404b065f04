//! Shared helpers for end-to-end tests: a temporary copy of the bundled
//! sample cases and an index over it.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use kaizen_wa::index::{CaseIndex, SearchRequest};

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

/// Ids of the hits for `query`, best first.
pub fn ids(idx: &CaseIndex, query: &str) -> Vec<String> {
    search_ids(
        idx,
        &SearchRequest {
            query: query.into(),
            limit: 50,
            ..SearchRequest::default()
        },
    )
}

pub fn search_ids(idx: &CaseIndex, req: &SearchRequest) -> Vec<String> {
    idx.search(req)
        .expect("search")
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}
