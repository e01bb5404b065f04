//! The hostile suite: what an attacker or an unlucky operator did to the
//! server (issue 17), kept as regression tests. Each test names the item it
//! reproduces and fails on the code before its fix.
//!
//! * `inproc`: through the router in this process (fast): writes, ids,
//!   files planted in `cases/`, rate limits, the API contract.
//! * `server`: against the real `kaizen-wa serve` process over TCP:
//!   connection limits and timeouts, bodies of anonymous writes, the log.
//! * `roundtrip`: every case field through the write API and the file,
//!   for any Unicode (proptest).
//! * `crash_loop`: `kill -9` at random points of a write burst, restart,
//!   check that every acknowledged write is there and nothing is torn.
//!   Rounds: `KAIZEN_WA_CRASH_ROUNDS` (default 5).

mod crash_loop;
mod fuzz_replay;
mod inproc;
mod roundtrip;
mod server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kaizen_wa::members::Members;
use serde_json::{Value, json};

pub const MEMBER: &str = "山田 花子";

/// The sample cases (not the README) into `to`.
pub fn copy_cases(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/cases")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") && !name.starts_with("README") {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

pub fn add_member(path: &Path, name: &str) -> String {
    let mut m = Members::load(path).unwrap();
    let secret = m.add(name).unwrap();
    m.save().unwrap();
    secret
}

/// A valid case body for the write API.
pub fn case_json(id: Option<&str>, title: &str) -> Value {
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

/// A case file's text, valid unless the caller breaks it.
pub fn case_file(id: &str, title: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"{title}\"\nmunicipality = \"福岡市\"\nprefecture = \"福岡県\"\n\
         levels = [\"業務改善\"]\nstart_year = 2001\n+++\n\n## 概要\n概要。\n\n## 担い手\n職員。\n\n\
         ## 取組内容\n取組。\n\n## 出典\n- https://example.jp/\n"
    )
}

/// An answer read off a socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read
/// to the end: a client with no cleverness to get in the way of what the
/// tests send.
pub fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Raw> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    parse_response(&all)
}

fn parse_response(all: &[u8]) -> std::io::Result<Raw> {
    let bad = |m: &str| std::io::Error::other(m.to_owned());
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no complete head"))?;
    let head = String::from_utf8_lossy(&all[..end]);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = all[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Raw {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..line_end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&b[start..start + size]);
        b = &b[start + size + 2..];
    }
    out
}

/// The real server, killed when dropped. Its stderr is kept (for the tests
/// that look at the log) and echoed.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub log: Arc<Mutex<Vec<u8>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `kaizen-wa serve` on `dir/cases`, `dir/index`, `dir/members.toml`,
    /// with extra arguments; returns once it listens and its index has
    /// converged with `cases/` (`/readyz`): the start-up sync runs in the
    /// background, and what a test measures must not be that sync.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kaizen-wa"));
        cmd.arg("--cases")
            .arg(dir.join("cases"))
            .arg("--index")
            .arg(dir.join("index"))
            .arg("--members")
            .arg(dir.join("members.toml"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env("KAIZEN_WA_LOG", "info")
            .env_remove(kaizen_wa::live::CRASH_AFTER_WRITE_ENV)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("starting kaizen-wa serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut sent = false;
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                kept.lock().unwrap().extend_from_slice(&line);
                let text = String::from_utf8_lossy(&line);
                if !sent && let Some(start) = text.find("http://") {
                    let addr = text[start + 7..].split('/').next().unwrap().to_owned();
                    let _ = tx.send(addr);
                    sent = true;
                }
                line.clear();
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(180))
            .expect("the server prints its address");
        let deadline = std::time::Instant::now() + Duration::from_secs(180);
        while raw_request(&addr, "GET", "/readyz", &[], b"")
            .map(|r| r.status)
            .ok()
            != Some(200)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "/readyz never said ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, addr, log }
    }

    pub fn log_bytes(&self) -> Vec<u8> {
        self.log.lock().unwrap().clone()
    }
}

/// A temp folder with `cases/` (the samples) and a member; returns it and
/// the member's `Authorization` value.
pub fn workspace() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_cases(&dir.path().join("cases"));
    let secret = add_member(&dir.path().join("members.toml"), MEMBER);
    (dir, format!("Bearer {secret}"))
}
