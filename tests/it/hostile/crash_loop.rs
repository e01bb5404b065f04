//! The crash loop: the real server is killed (`kill -9`) at a random moment
//! of a burst of creates and updates, restarted, and checked — every write
//! it acknowledged (2xx) is there (or a later one of the same case), `check`
//! finds no torn or invalid file, and the index holds exactly the files.
//!
//! `cargo test` runs [`DEFAULT_ROUNDS`] rounds; more on demand:
//! `KAIZEN_WA_CRASH_ROUNDS=30 cargo test --test it crash_loop -- --nocapture`
//! (`KAIZEN_WA_CRASH_SEED` repeats a run).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::{Server, case_body, raw_request, start, workspace};

const DEFAULT_ROUNDS: usize = 5;
const WRITERS: usize = 4;

/// What was sent for one case, in order, and which the server acknowledged.
#[derive(Default, Clone)]
struct History {
    titles: Vec<String>,
    acked: Vec<bool>,
}

type Ledger = Arc<Mutex<BTreeMap<String, History>>>;

/// A small deterministic generator (xorshift): the seed is printed, so a
/// failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn kill_9_during_a_write_burst_loses_no_acknowledged_write() {
    let rounds = env_number("KAIZEN_WA_CRASH_ROUNDS").map_or(DEFAULT_ROUNDS, |n| n as usize);
    let seed = env_number("KAIZEN_WA_CRASH_SEED").unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("crash loop: {rounds} rounds, KAIZEN_WA_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let (dir, auth) = workspace();
    let ledger: Ledger = Arc::default();
    let mut lost_total = 0;
    for round in 0..rounds {
        let mut server = start(dir.path(), &[]);
        lost_total += verify(&server, &ledger);
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let addr = server.addr.clone();
                let auth = auth.clone();
                let ledger = Arc::clone(&ledger);
                let stop = Arc::clone(&stop);
                let mut rng = Rng(seed ^ ((round * WRITERS + w) as u64 + 1).wrapping_mul(0x9e37));
                std::thread::spawn(move || burst(&addr, &auth, round, w, &ledger, &stop, &mut rng))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + rng.below(2000)));
        server.child.kill().unwrap(); // SIGKILL
        let _ = server.child.wait();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            w.join().unwrap();
        }
    }
    let server = start(dir.path(), &[]);
    lost_total += verify(&server, &ledger);
    let indexed = indexed_ids(&server);
    drop(server);

    let (acked, sent) = {
        let l = ledger.lock().unwrap();
        let acked: usize = l
            .values()
            .map(|h| h.acked.iter().filter(|a| **a).count())
            .sum();
        let sent: usize = l.values().map(|h| h.titles.len()).sum();
        (acked, sent)
    };
    let cases = dir.path().join("cases");
    let (torn, on_disk) = check_files(&cases);
    eprintln!(
        "figure: crash loop {rounds} × kill -9: {sent} writes sent, {acked} acknowledged, {lost_total} lost, {torn} torn"
    );
    assert_eq!(lost_total, 0, "acknowledged writes lost");
    assert_eq!(torn, 0, "torn or invalid case files");
    assert_eq!(indexed, on_disk, "the index holds exactly the files");
    let leftovers: Vec<_> = std::fs::read_dir(&cases)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

/// Creates and overwrites this writer's own cases until the server dies.
fn burst(
    addr: &str,
    auth: &str,
    round: usize,
    writer: usize,
    ledger: &Ledger,
    stop: &AtomicBool,
    rng: &mut Rng,
) {
    let mut mine: Vec<String> = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let update = !mine.is_empty() && rng.below(2) == 0;
        let id = if update {
            mine[rng.below(mine.len() as u64) as usize].clone()
        } else {
            format!("crash-r{round}-w{writer}-n{n}")
        };
        let title = format!("クラッシュ試験 r{round} w{writer} n{n}");
        let slot = {
            let mut l = ledger.lock().unwrap();
            let h = l.entry(id.clone()).or_default();
            h.titles.push(title.clone());
            h.acked.push(false);
            h.titles.len() - 1
        };
        let body = serde_json::to_vec(&case_body(Some(&id), &title)).unwrap();
        let (method, path) = if update {
            ("PUT", format!("/api/cases/{id}"))
        } else {
            ("POST", "/api/cases".to_owned())
        };
        let answer = raw_request(
            addr,
            method,
            &path,
            &[
                ("Authorization", auth),
                ("Content-Type", "application/json"),
                ("If-Match", "*"),
            ],
            &body,
        );
        match answer {
            Ok(r) if (200..300).contains(&r.status) => {
                ledger.lock().unwrap().get_mut(&id).unwrap().acked[slot] = true;
                if !update {
                    mine.push(id);
                }
            }
            Ok(r) => panic!(
                "{method} {path}: {} {}",
                r.status,
                String::from_utf8_lossy(&r.body)
            ),
            // The server died mid-request.
            Err(_) => return,
        }
    }
}

/// Every acknowledged write is there (or a later one of its case): the
/// number of cases for which that fails.
fn verify(server: &Server, ledger: &Ledger) -> usize {
    let l = ledger.lock().unwrap().clone();
    let mut lost = 0;
    for (id, h) in &l {
        let last_acked = h.acked.iter().rposition(|a| *a);
        let r = raw_request(&server.addr, "GET", &format!("/api/cases/{id}"), &[], b"").unwrap();
        match (r.status, last_acked) {
            (200, _) => {
                let title = r.json()["title"].as_str().unwrap().to_owned();
                let at = h.titles.iter().position(|t| *t == title);
                match (at, last_acked) {
                    (Some(at), Some(acked)) if at >= acked => {}
                    (Some(_), None) => {}
                    _ => {
                        eprintln!(
                            "{id}: serves «{title}», acknowledged {last_acked:?} of {:?}",
                            h.titles
                        );
                        lost += 1;
                    }
                }
            }
            (404, None) => {}
            (status, _) => {
                eprintln!("{id}: {status}, acknowledged {last_acked:?}");
                lost += 1;
            }
        }
    }
    lost
}

/// Ids the running server's index holds (all pages of an empty search).
fn indexed_ids(server: &Server) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for page in 1.. {
        let r = raw_request(
            &server.addr,
            "GET",
            &format!("/api/search?per_page=100&page={page}"),
            &[],
            b"",
        )
        .unwrap();
        let j: Value = r.json();
        let hits = j["hits"].as_array().cloned().unwrap_or_default();
        if hits.is_empty() {
            break;
        }
        ids.extend(hits.iter().map(|h| h["id"].as_str().unwrap().to_owned()));
    }
    ids
}

/// `kaizen-wa check` over the folder (a torn file fails it), and the ids
/// the files hold.
fn check_files(cases: &Path) -> (usize, BTreeSet<String>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kaizen-wa"))
        .arg("--cases")
        .arg(cases)
        .arg("check")
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let mut ids = BTreeSet::new();
    let mut torn = 0;
    for f in kaizen_wa::case::store::list(cases).unwrap() {
        match kaizen_wa::case::store::load(&f)
            .ok()
            .and_then(|l| l.parsed.case)
        {
            Some(c) => {
                ids.insert(c.id);
            }
            None => torn += 1,
        }
    }
    if !out.status.success() {
        eprintln!("check:\n{report}");
        torn = torn.max(1);
    }
    (torn, ids)
}
