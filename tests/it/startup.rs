//! A server's start: it answers from the index that is there at once, says
//! whether it has converged with `cases/` (`/healthz`, `/readyz`), builds a
//! missing index in the background and says so on its pages; and the
//! command line shows progress on long work.
//!
//! The start-up sync is held back by a gate file ([`SYNC_GATE_ENV`]), so
//! what a server answers before it has converged is seen every time, not
//! only when the machine happens to be slow.

use std::path::Path;
use std::time::{Duration, Instant};

use kaizen_wa::index::CaseIndex;
use kaizen_wa::live::SYNC_GATE_ENV;
use serde_json::Value;

use crate::common::{Fixture, Server, kaizen_wa, raw_request, serve, urlencode};

/// A server held back by the gate file `gate`, as soon as it listens.
fn serve_gated(dir: &Path, gate: &Path) -> Server {
    serve(dir).env(SYNC_GATE_ENV, gate).unready().start()
}

/// A GET over a fresh connection: (status, body).
fn get(s: &Server, path: &str) -> (u16, String) {
    let r = raw_request(&s.addr, "GET", path, &[], b"").expect("a response");
    (r.status, String::from_utf8_lossy(&r.body).into_owned())
}

fn json(s: &Server, path: &str) -> (u16, Value) {
    let (status, body) = get(s, path);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn total(s: &Server, q: &str) -> u64 {
    let (status, j) = json(s, &format!("/api/search?q={}", urlencode(q)));
    assert_eq!(status, 200, "{j}");
    j["total"].as_u64().expect("a total")
}

/// A case file like a bundled one, under another id and title.
fn add_case(cases: &Path, id: &str, title: &str) {
    let text = std::fs::read_to_string(cases.join("mie-sawayaka-undo.md")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("id = ") {
            out.push_str(&format!("id = \"{id}\""));
        } else if line.starts_with("title = ") {
            out.push_str(&format!("title = \"{title}\""));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    std::fs::write(cases.join(format!("{id}.md")), out).unwrap();
}

/// On an existing index, a server answers searches, completions and
/// `/healthz` before it has read `cases/`; `/readyz` says 503 until it
/// has, then 200, and the case added meanwhile is found.
#[test]
fn serve_answers_from_the_existing_index_before_it_converges() {
    let f = Fixture::with_samples();
    let before = f.index().num_cases();
    let gate = f.dir.path().join("gate");
    std::fs::write(&gate, "").unwrap();
    add_case(&f.cases(), "late-arrival", "遅れて届いたぬばたま運動");

    let s = serve_gated(f.dir.path(), &gate);
    let (status, health) = json(&s, "/healthz");
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["state"], "syncing", "{health}");
    assert_eq!(health["cases"], before, "{health}");
    let (status, ready) = json(&s, "/readyz");
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["state"], "syncing");

    // Answered from the index as it was: the old cases, not the new one.
    assert!(total(&s, "さわやか運動") >= 1);
    assert_eq!(total(&s, "ぬばたま"), 0);
    // The completion list is read from the index, not rebuilt by a sync
    // (none has run); it comes on a thread of its own, so allow a moment.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, j) = json(&s, &format!("/api/suggest?q={}", urlencode("さわやか")));
        assert_eq!(status, 200, "{j}");
        if j.to_string().contains("さわやか運動") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no completions from the index: {j}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (_, metrics) = get(&s, "/metrics");
    assert!(metrics.contains("kaizen_wa_index_ready 0"), "{metrics}");
    assert_eq!(json(&s, "/healthz").1["state"], "syncing");

    std::fs::remove_file(&gate).unwrap();
    let ready = s.wait_ready();
    assert_eq!(ready["state"], "ready");
    assert_eq!(ready["cases"], before + 1);
    let files = ready["progress"]["total"].as_u64().unwrap();
    assert_eq!(ready["progress"]["done"].as_u64(), Some(files));
    assert_eq!(files, before + 1);
    assert_eq!(total(&s, "ぬばたま"), 1);
    let (_, metrics) = get(&s, "/metrics");
    assert!(metrics.contains("kaizen_wa_index_ready 1"), "{metrics}");
    assert!(
        metrics.contains(&format!("kaizen_wa_sync_files_done {files}")),
        "{metrics}"
    );
}

/// A fresh clone (no index): the server answers at once, its pages say the
/// index is being built, and once built they stop saying so.
#[test]
fn a_fresh_clone_builds_in_the_background_and_the_pages_say_so() {
    let f = Fixture::with_samples();
    let gate = f.dir.path().join("gate");
    std::fs::write(&gate, "").unwrap();
    let s = serve_gated(f.dir.path(), &gate);

    let (status, page) = get(&s, "/");
    assert_eq!(status, 200);
    assert!(page.contains("索引を作成中です"), "{page}");
    assert!(!page.contains("まだ事例がありません"), "{page}");
    assert_eq!(json(&s, "/readyz").0, 503);
    assert_eq!(json(&s, "/healthz").1["state"], "syncing");
    assert_eq!(total(&s, "改善"), 0);

    std::fs::remove_file(&gate).unwrap();
    s.wait_ready();
    let (_, page) = get(&s, "/");
    assert!(!page.contains("索引を作成中です"), "{page}");
    assert!(total(&s, "改善") > 0);
}

/// `kaizen-wa index` with stderr not a terminal (a log, CI): plain lines,
/// the last one with the count and the time taken.
#[test]
fn index_reports_progress_in_plain_lines_when_not_at_a_terminal() {
    let f = Fixture::with_samples();
    let out = kaizen_wa()
        .arg("--cases")
        .arg(f.cases())
        .arg("--index")
        .arg(f.index_dir())
        .arg("index")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let files = kaizen_wa::case::store::list(&f.cases()).unwrap().len();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&format!("索引: {files} 件 完了（"))),
        "{stderr}"
    );
    // No bar drawing codes in a log.
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert_eq!(
        CaseIndex::open(&f.index_dir()).unwrap().num_cases(),
        files as u64
    );
}
