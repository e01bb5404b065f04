//! The real binary: exit codes and what people read.

use std::fs;

use crate::common::{Fixture, stderr, stdout};

#[test]
fn check_passes_on_the_bundled_cases() {
    let f = Fixture::with_samples();
    let out = f.run(&["check"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("12 files checked: 12 ok"),
        "{}",
        stdout(&out)
    );
    // The report is the output: it can go to a file.
    assert!(!stderr(&out).contains("files checked"));
}

#[test]
fn check_reports_line_of_unknown_level_and_exits_1() {
    let f = Fixture::with_samples();
    let path = f.cases().join("fukuoka-dna-undo.md");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replace("\"職場改善\"", "\"業務改革\"")).unwrap();
    let bad = "+++\nid = \"Bad Id\"\ntitle = \"x\"\nmunicipality = \"所沢市\"\nprefecture = \"埼玉県\"\nlevels = [\"業務改善\"]\nstart_year = 2004\n+++\n## 概要\nx\n";
    fs::write(f.cases().join("bad.md"), bad).unwrap();
    let out = f.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stdout(&out);
    assert!(
        err.contains("cases/fukuoka-dna-undo.md:7:19: levels: 「業務改革」は改善レベルではありません（業務改善 のことですか？）"),
        "{err}"
    );
    // Every problem of the other file too, in the same run.
    assert!(
        err.contains("cases/bad.md:2:6: id: 「Bad Id」は ID に使えません"),
        "{err}"
    );
    assert!(
        err.contains("cases/bad.md:10: 担い手: 担い手を入力してください"),
        "{err}"
    );
    assert!(err.contains("cases/bad.md:10: 取組内容"), "{err}");
    assert!(
        err.contains("13 files checked: 11 ok, 2 with errors"),
        "{err}"
    );
    assert!(err.contains("cases/bad.md:8: sources"), "{err}");
}

/// `kaizen-wa check` in the fixture exits 1 and reports `line`.
fn check_fails_saying(f: &Fixture, line: &str) {
    let out = f.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(line), "{}", stdout(&out));
}

#[test]
fn check_reports_duplicate_ids_across_files() {
    let f = Fixture::with_samples();
    let text = fs::read_to_string(f.cases().join("mie-sawayaka-undo.md")).unwrap();
    fs::write(f.cases().join("zz-copy.md"), text).unwrap();
    check_fails_saying(
        &f,
        "cases/zz-copy.md:2: id: id「mie-sawayaka-undo」は mie-sawayaka-undo.md でも使われています",
    );
}

#[test]
fn check_reports_a_shift_jis_file_as_not_utf8() {
    let f = Fixture::with_samples();
    fs::write(f.cases().join("sjis.md"), b"+++\nid = \"\x82\xa0\"\n").unwrap();
    check_fails_saying(&f, "cases/sjis.md:2:7: file: UTF-8 ではない文字があります");
}

#[test]
fn first_search_on_a_fresh_clone_builds_the_index_and_highlights() {
    let f = Fixture::with_samples();
    assert!(!f.index_dir().exists());
    let out = f.run(&["search", "改善"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("件"), "{text}");
    assert!(text.contains("【改善】"), "{text}");
    assert!(f.index_dir().join("meta.json").exists());
}

#[test]
fn search_json_has_character_offsets() {
    let f = Fixture::with_samples();
    let out = f.run(&["search", "--json", "--level", "業務改善", "ＤＮＡ"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hit = &v["hits"][0];
    assert_eq!(hit["id"], "fukuoka-dna-undo");
    let snip = &hit["snippets"][0];
    let text = snip["text"].as_str().unwrap();
    let (s, e) = (
        snip["highlights"][0][0].as_u64().unwrap() as usize,
        snip["highlights"][0][1].as_u64().unwrap() as usize,
    );
    let marked: String = text.chars().skip(s).take(e - s).collect();
    assert_eq!(marked, "DNA");
}

#[test]
fn search_rejects_an_unknown_level_with_a_suggestion() {
    let f = Fixture::with_samples();
    let out = f.run(&["search", "--level", "業務改革", "改善"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean 業務改善"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn index_exits_nonzero_on_invalid_files_but_indexes_the_rest() {
    let f = Fixture::with_samples();
    fs::write(f.cases().join("broken.md"), "no front matter\n").unwrap();
    let out = f.run(&["index"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cases/broken.md:1: front matter"), "{err}");
    assert!(err.contains("12 added"), "{err}");
    // Unchanged files are skipped next time.
    let out = f.run(&["index"]);
    assert!(stderr(&out).contains("12 unchanged"), "{}", stderr(&out));
}

#[test]
fn new_writes_a_template_and_never_overwrites() {
    let f = Fixture::with_samples();
    let out = f.run(&[
        "new",
        "kanegasaki-kaizen",
        "--title",
        "金ケ崎町の改善",
        "--municipality",
        "金ケ崎町",
        "--prefecture",
        "岩手県",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = fs::read_to_string(f.cases().join("kanegasaki-kaizen.md")).unwrap();
    assert!(text.contains("kind = \"町\""), "{text}");
    for heading in ["## 概要", "## 担い手", "## 失敗・課題", "## 出典"] {
        assert!(text.contains(heading), "{text}");
    }
    let again = f.run(&["new", "kanegasaki-kaizen"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("既にあります"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        fs::read_to_string(f.cases().join("kanegasaki-kaizen.md")).unwrap(),
        text
    );
    let bad = f.run(&["new", "金ケ崎"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn tokenize_shows_offsets_in_bytes_and_characters() {
    let f = Fixture::with_samples();
    let out = f.run(&["tokenize", "--json", "ＤＮＡ運動を進めた"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["surface"], "ＤＮＡ");
    assert_eq!(v[0]["term"], "dna");
    assert_eq!(
        (v[0]["byte_end"].as_u64(), v[0]["char_end"].as_u64()),
        (Some(9), Some(3))
    );
    let verb = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["surface"] == "進め")
        .unwrap();
    assert_eq!(verb["term"], "進める");
    assert_eq!(verb["reading"], "ススメ");
}
