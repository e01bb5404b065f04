//! A server's start: it answers from the index that is there at once, says
//! whether it has converged with `cases/` (`/healthz`, `/readyz`), builds a
//! missing index in the background and says so on its pages; and the
//! command line shows progress on long work.
//!
//! The start-up sync is held back by a gate file ([`SYNC_GATE_ENV`]), so
//! what a server answers before it has converged is seen every time, not
//! only when the machine happens to be slow.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kaizen_wa::index::CaseIndex;
use kaizen_wa::live::SYNC_GATE_ENV;
use serde_json::Value;

use crate::common::Fixture;

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, gate: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kaizen-wa"))
        .arg("--cases")
        .arg(dir.join("cases"))
        .arg("--index")
        .arg(dir.join("index"))
        .arg("--members")
        .arg(dir.join("members.toml"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("KAIZEN_WA_LOG", "warn")
        .env(SYNC_GATE_ENV, gate)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting kaizen-wa serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if !sent && let Some(start) = line.find("http://") {
                let addr = line[start + 7..].split('/').next().unwrap().to_owned();
                let _ = tx.send(addr);
                sent = true;
            }
            eprintln!("[serve] {line}");
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server prints its address");
    Server { child, addr }
}

/// Percent-encodes a query parameter.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A GET over a fresh connection: (status, body).
fn get(s: &Server, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(&s.addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        s.addr
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status");
    // Bodies may come chunked: drop the chunk-size lines.
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_owned()
    };
    (status, body)
}

fn json(s: &Server, path: &str) -> (u16, Value) {
    let (status, body) = get(s, path);
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

fn total(s: &Server, q: &str) -> u64 {
    let (status, j) = json(s, &format!("/api/search?q={}", enc(q)));
    assert_eq!(status, 200, "{j}");
    j["total"].as_u64().expect("a total")
}

fn wait_ready(s: &Server) -> Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let (status, j) = json(s, "/readyz");
        if status == 200 {
            return j;
        }
        assert_eq!(status, 503, "{j}");
        assert!(Instant::now() < deadline, "not ready in time: {j}");
        std::thread::sleep(Duration::from_millis(50));
    }
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

    let s = serve(f.dir.path(), &gate);
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
        let (status, j) = json(&s, &format!("/api/suggest?q={}", enc("さわやか")));
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
    let ready = wait_ready(&s);
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
    let s = serve(f.dir.path(), &gate);

    let (status, page) = get(&s, "/");
    assert_eq!(status, 200);
    assert!(page.contains("索引を作成中です"), "{page}");
    assert!(!page.contains("まだ事例がありません"), "{page}");
    assert_eq!(json(&s, "/readyz").0, 503);
    assert_eq!(json(&s, "/healthz").1["state"], "syncing");
    assert_eq!(total(&s, "改善"), 0);

    std::fs::remove_file(&gate).unwrap();
    wait_ready(&s);
    let (_, page) = get(&s, "/");
    assert!(!page.contains("索引を作成中です"), "{page}");
    assert!(total(&s, "改善") > 0);
}

/// `kaizen-wa index` with stderr not a terminal (a log, CI): plain lines,
/// the last one with the count and the time taken.
#[test]
fn index_reports_progress_in_plain_lines_when_not_at_a_terminal() {
    let f = Fixture::with_samples();
    let out = Command::new(env!("CARGO_BIN_EXE_kaizen-wa"))
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
