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

use std::path::Path;

pub use crate::common::{MEMBER, Server, case_body, raw_request, serve, workspace};

/// The real server as these tests run it: logging at `info` (some look at
/// the log), with extra arguments of `serve`; once it has converged.
pub fn start(dir: &Path, args: &[&str]) -> Server {
    serve(dir).args(args).log("info").start()
}

/// A case file's text, valid unless the caller breaks it.
pub fn case_file(id: &str, title: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\ntitle = \"{title}\"\nmunicipality = \"福岡市\"\nprefecture = \"福岡県\"\n\
         levels = [\"業務改善\"]\nstart_year = 2001\n+++\n\n## 概要\n概要。\n\n## 担い手\n職員。\n\n\
         ## 取組内容\n取組。\n\n## 出典\n- https://example.jp/\n"
    )
}
