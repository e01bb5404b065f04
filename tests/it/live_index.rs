//! The index of a running server: members' writes are searchable when the
//! call returns, outside edits within 2 s, and a crash between a file write
//! and the index commit loses nothing.
//!
//! Figures: `cargo test --test it live_index:: -- --nocapture` prints the
//! create-to-searchable p50/p99 over 100 concurrent creates and the
//! outside-edit-to-searchable time.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kaizen_wa::case;
use kaizen_wa::case::edit::{self, Stamp};
use kaizen_wa::index::CaseIndex;
use kaizen_wa::live::{DEBOUNCE, LiveIndex};

use crate::common::{request, sample_case, word};

fn finds(index: &CaseIndex, query: &str, id: &str) -> bool {
    index
        .search(&request(query, 200))
        .unwrap()
        .hits
        .iter()
        .any(|h| h.id == id)
}

/// Polls (bounded) until `check` holds; returns how long it took.
fn wait_for(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    check().then(|| start.elapsed())
}

/// The title the index holds for `id` (negative checks go through the
/// stored case: a search for a made-up word may also match similar ones).
fn indexed_title(index: &CaseIndex, id: &str) -> Option<String> {
    index.get(id).unwrap().map(|c| c.title)
}

/// A scratch folder holding an empty `cases/` (the index goes beside it);
/// the folder and `cases/`.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    (dir, cases)
}

/// Writes the sample case `id` carrying [`word`]`(n)` to `path`, as an
/// editor outside the server would.
fn write_case(path: &Path, id: &str, n: usize) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, case::render(&sample_case(id, &word(n)))).unwrap();
}

fn start(cases: &Path, index_dir: &Path) -> LiveIndex {
    let index = Arc::new(CaseIndex::open(index_dir).unwrap());
    LiveIndex::start(index, cases).unwrap()
}

#[test]
fn a_file_dropped_into_cases_becomes_searchable_and_invalid_edits_keep_the_last_valid_version() {
    let (dir, cases) = scratch();
    let live = start(&cases, &dir.path().join("index"));
    assert!(live.watching());

    // Dropped in by someone else (an editor, git pull).
    let path = cases.join("dropped.md");
    let t = Instant::now();
    write_case(&path, "dropped", 1);
    let took = wait_for(Duration::from_secs(5), || {
        finds(live.index(), &word(1), "dropped")
    })
    .expect("a dropped file becomes searchable");
    eprintln!(
        "outside create → searchable: {:?} (written at +0, polled every 10 ms)",
        t.elapsed()
    );
    assert!(took < Duration::from_secs(2), "took {took:?}");

    // Edited outside: the new text replaces the old one.
    let t = Instant::now();
    write_case(&path, "dropped", 2);
    wait_for(Duration::from_secs(5), || {
        finds(live.index(), &word(2), "dropped")
    })
    .expect("edit is picked up");
    eprintln!("outside edit → searchable: {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(
        !indexed_title(live.index(), "dropped")
            .unwrap()
            .contains(&word(1))
    );

    // Broken outside: reported, and the last valid version stays searchable.
    std::fs::write(
        &path,
        case::render(&sample_case("dropped", &word(3)))
            .replace("levels = [\"業務改善\"]", "levels = [\"業務改革\"]"),
    )
    .unwrap();
    let listed = wait_for(Duration::from_secs(5), || {
        live.invalid_files().iter().any(|f| f.rel == "dropped.md")
    });
    assert!(listed.is_some(), "invalid file is listed");
    let bad = live.invalid_files();
    assert!(bad[0].indexed, "its previous version is still indexed");
    assert!(
        bad[0].diagnostics.iter().any(|d| d.field == "levels"),
        "{bad:?}"
    );
    assert!(
        finds(live.index(), &word(2), "dropped"),
        "last valid version stays searchable"
    );
    assert!(
        indexed_title(live.index(), "dropped")
            .unwrap()
            .contains(&word(2))
    );

    // Fixed: searchable as fixed, and off the list.
    write_case(&path, "dropped", 4);
    wait_for(Duration::from_secs(5), || {
        finds(live.index(), &word(4), "dropped")
    })
    .expect("fix is picked up");
    wait_for(Duration::from_secs(2), || live.invalid_files().is_empty())
        .expect("fixed file leaves the list");

    // Removed outside: gone from the index.
    std::fs::remove_file(&path).unwrap();
    wait_for(Duration::from_secs(5), || {
        live.index().get("dropped").unwrap().is_none()
    })
    .expect("removal is picked up");
    live.shutdown();
}

#[test]
fn the_index_reading_files_is_not_an_edit_an_idle_folder_is_not_re_synced() {
    let (dir, cases) = scratch();
    write_case(&cases.join("a.md"), "a", 1);
    write_case(&cases.join("sub/b.md"), "b", 2);
    let live = start(&cases, &dir.path().join("index"));
    assert_eq!(live.resyncs(), 0, "the start-up sync is not a re-sync");

    // An outside edit: re-synced, which reads files and folders.
    write_case(&cases.join("c.md"), "c", 3);
    wait_for(Duration::from_secs(5), || {
        finds(live.index(), &word(3), "c")
    })
    .expect("a dropped file becomes searchable");
    std::thread::sleep(DEBOUNCE * 3);
    let settled = live.resyncs();
    assert!(settled >= 1, "the edit was re-synced");

    // Nothing changes: nothing is read again. (A watcher that took the
    // index's own reads for edits re-synced forever, one round per
    // debounce.)
    std::thread::sleep(DEBOUNCE * 6);
    assert_eq!(live.resyncs(), settled, "re-syncs without an edit");
    live.shutdown();
}

#[test]
fn a_crash_between_file_write_and_index_commit_converges_at_restart() {
    let (dir, cases) = scratch();
    let index_dir = dir.path().join("index");
    {
        // The server's write path, stopped after the file write: the
        // index writer had the document queued but never committed.
        let index = CaseIndex::open(&index_dir).unwrap();
        index.sync(&cases).unwrap();
        edit::create(
            &cases,
            &sample_case("crashed", &word(7)),
            Stamp {
                contributor: "yamada",
            },
        )
        .unwrap();
        drop(index);
    }
    let index = CaseIndex::open(&index_dir).unwrap();
    assert!(
        index.get("crashed").unwrap().is_none(),
        "the simulated crash lost the index update"
    );
    drop(index);

    let live = start(&cases, &index_dir);
    assert_eq!(live.startup_report().unwrap().added, 1);
    assert!(
        finds(live.index(), &word(7), "crashed"),
        "searchable right after restart"
    );
    assert_eq!(
        live.index()
            .get("crashed")
            .unwrap()
            .unwrap()
            .contributor
            .as_deref(),
        Some("yamada")
    );
}

#[test]
fn writes_through_the_live_index_are_searchable_on_return_and_stale_updates_lose_nothing() {
    let (dir, cases) = scratch();
    let live = start(&cases, &dir.path().join("index"));
    let w = live
        .create(&sample_case("via-live", &word(11)), "yamada")
        .unwrap();
    assert!(finds(live.index(), &word(11), "via-live"));

    let w2 = live
        .update(
            "via-live",
            &w.etag,
            &sample_case("via-live", &word(12)),
            "sato",
        )
        .unwrap();
    assert!(finds(live.index(), &word(12), "via-live"));
    assert!(
        indexed_title(live.index(), "via-live")
            .unwrap()
            .contains(&word(12))
    );
    assert_eq!(
        live.index()
            .get("via-live")
            .unwrap()
            .unwrap()
            .contributor
            .as_deref(),
        Some("sato")
    );

    let stale = live.update(
        "via-live",
        &w.etag,
        &sample_case("via-live", &word(13)),
        "yamada",
    );
    assert!(matches!(
        stale,
        Err(kaizen_wa::live::LiveError::Edit(
            edit::EditError::Stale { .. }
        ))
    ));
    assert!(finds(live.index(), &word(12), "via-live"));
    assert_eq!(
        std::fs::read(&w2.path).unwrap(),
        case::render(&w2.case).into_bytes()
    );

    let d = live.delete("via-live", Some(&w2.etag)).unwrap();
    assert!(live.index().get("via-live").unwrap().is_none());
    assert!(d.trash_path.exists() && !w2.path.exists());
}

#[test]
fn a_hundred_concurrent_creates_give_a_hundred_files_and_searchable_cases() {
    let (dir, cases) = scratch();
    let live = start(&cases, &dir.path().join("index"));
    let n = 100;
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let live = &live;
                s.spawn(move || {
                    let id = format!("load-{i:03}");
                    let t = Instant::now();
                    live.create(&sample_case(&id, &word(100 + i)), "yamada")
                        .expect("create succeeds");
                    wait_for(Duration::from_secs(5), || {
                        finds(live.index(), &word(100 + i), &id)
                    })
                    .expect("searchable");
                    t.elapsed()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    latencies.sort();
    let p = |q: f64| {
        latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1]
    };
    eprintln!(
        "100 concurrent creates: create call → searchable p50 {:?}, p99 {:?}, max {:?}",
        p(0.50),
        p(0.99),
        latencies.last().unwrap()
    );
    let files = kaizen_wa::case::store::list(&cases).unwrap();
    assert_eq!(files.len(), n);
    assert_eq!(live.index().num_cases(), n as u64);
    for i in 0..n {
        assert!(finds(live.index(), &word(100 + i), &format!("load-{i:03}")));
    }
    assert!(p(0.99) < Duration::from_secs(1) * 5, "bounded");
}

#[test]
fn one_create_at_a_time_is_searchable_well_within_a_second() {
    let (dir, cases) = scratch();
    let live = start(&cases, &dir.path().join("index"));
    let mut latencies = Vec::new();
    for i in 0..30 {
        let id = format!("seq-{i:03}");
        let t = Instant::now();
        live.create(&sample_case(&id, &word(300 + i)), "yamada")
            .unwrap();
        // Searchable when the call returns: no polling.
        assert!(finds(live.index(), &word(300 + i), &id));
        latencies.push(t.elapsed());
    }
    latencies.sort();
    eprintln!(
        "30 sequential creates: create call → searchable p50 {:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies.last().unwrap()
    );
    assert!(latencies[latencies.len() / 2] < Duration::from_secs(1));
}

#[test]
fn a_create_is_refused_when_an_indexed_file_elsewhere_has_the_id() {
    let (dir, cases) = scratch();
    write_case(&cases.join("fukuoka/other-name.md"), "taken", 20);
    let live = start(&cases, &dir.path().join("index"));
    let err = live
        .create(&sample_case("taken", &word(21)), "yamada")
        .unwrap_err();
    assert!(
        matches!(err, kaizen_wa::live::LiveError::Edit(edit::EditError::Exists(ref id)) if id == "taken"),
        "{err:?}"
    );
    assert!(!cases.join("taken.md").exists());
}

/// Run only as the child of the next test, with the crash hook set: writes
/// a case through the live index and dies before the index commit.
#[test]
#[ignore = "child process of killed_between_file_write_and_index_commit_…"]
fn crash_child_writes_a_case_then_aborts() {
    let Some(dir) = std::env::var_os("KAIZEN_WA_CRASH_TEST_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let live = start(&dir.join("cases"), &dir.join("index"));
    live.create(&sample_case("killed", &word(42)), "yamada")
        .unwrap();
    unreachable!("the crash hook aborts the process");
}

#[test]
fn killed_between_file_write_and_index_commit_the_case_is_searchable_after_restart() {
    let (dir, cases) = scratch();
    let index_dir = dir.path().join("index");
    // An existing case, so that the child's start-up sync opens a writer
    // (and its lock) that is live when the process dies.
    write_case(&cases.join("before.md"), "before", 41);

    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "live_index::crash_child_writes_a_case_then_aborts",
            "--ignored",
            "--nocapture",
        ])
        .env(kaizen_wa::live::CRASH_AFTER_WRITE_ENV, "1")
        .env("KAIZEN_WA_CRASH_TEST_DIR", dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(!status.status.success(), "the child must die: {stderr}");
    assert!(
        stderr.contains("aborting between the file write"),
        "{stderr}"
    );
    assert!(cases.join("killed.md").exists(), "the file write completed");

    let index = CaseIndex::open(&index_dir).unwrap();
    assert!(index.get("before").unwrap().is_some());
    assert!(
        index.get("killed").unwrap().is_none(),
        "the index commit never happened"
    );
    drop(index);

    let live = start(&cases, &index_dir);
    assert!(
        finds(live.index(), &word(42), "killed"),
        "searchable after restart"
    );
    assert_eq!(live.index().num_cases(), 2);
}

#[test]
fn an_index_op_overtaken_by_a_newer_file_version_indexes_the_file_as_it_is() {
    let (dir, cases) = scratch();
    let live = start(&cases, &dir.path().join("index"));
    let first = live
        .create(&sample_case("raced", &word(50)), "yamada")
        .unwrap();
    // A second update wrote the file and its op overtook ours: what reaches
    // the writer thread now is the older version's op.
    let second = edit::update(
        live.cases_dir(),
        "raced",
        &first.etag,
        &sample_case("raced", &word(51)),
        Stamp {
            contributor: "sato",
        },
    )
    .unwrap();
    live.apply(vec![first.change.clone()]).unwrap();
    assert_eq!(
        indexed_title(live.index(), "raced"),
        Some(second.case.title.clone())
    );
    assert!(finds(live.index(), &word(51), "raced"));
}
