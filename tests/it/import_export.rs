//! `kaizen-wa import` / `export` end to end: Excel-style CSV in CP932 with
//! problems reported by row and column and nothing written, all-or-nothing
//! imports, no overwrite without --update, and import(export(x)) == x.

use std::path::{Path, PathBuf};
use std::process::Output;

use kaizen_wa::case::{self, Case, store};

use crate::common::{kaizen_wa, stderr};

fn run(dir: &Path, args: &[&str]) -> Output {
    kaizen_wa()
        .args(args)
        .env("KAIZEN_WA_CASES", dir.join("cases"))
        .env("KAIZEN_WA_INDEX", dir.join("index"))
        .output()
        .expect("runs kaizen-wa")
}

/// A scratch folder with an empty `cases/`.
fn empty_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("cases")).unwrap();
    dir
}

/// Writes `contents` to `name` in `dir` and runs `import --dry-run` on it.
fn dry_run(dir: &Path, name: &str, contents: &str) -> Output {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    run(dir, &["import", path.to_str().unwrap(), "--dry-run"])
}

fn case_files(dir: &Path) -> Vec<String> {
    store::list(&dir.join("cases"))
        .unwrap()
        .into_iter()
        .map(|f| f.rel)
        .collect()
}

fn load_all(cases: &Path) -> Vec<Case> {
    let mut out: Vec<Case> = store::list(cases)
        .unwrap()
        .iter()
        .map(|f| store::load(f).unwrap().parsed.case.expect("valid case"))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

const HEADER: &str =
    "事例名,自治体名,都道府県,改善レベル,期間,概要,担い手,取組内容,失敗・課題,出典\r\n";

fn row(title: &str, levels: &str, period: &str) -> String {
    format!(
        "{title},南伊勢町,三重県,\"{levels}\",{period},\"概要①：職員が自ら改善した。\",職員有志,\"発表会\r\n表彰\",,\"https://example.jp/ | 研究会資料\"\r\n"
    )
}

fn write_sjis(dir: &Path, text: &str) -> PathBuf {
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let path = dir.join("excel.csv");
    std::fs::write(&path, &bytes).unwrap();
    path
}

#[test]
fn a_cp932_csv_with_one_bad_row_imports_nothing_and_reports_the_row() {
    let dir = empty_workspace();
    let text = format!(
        "{HEADER}{}{}{}",
        row(
            "まちづくり改善運動",
            "業務改善、戦略提案・施策改善",
            "2004～"
        ),
        row("ひとづくり運動", "業務改革", "2000-2007"),
        row("職場改善の会", "職場改善", "2010-")
    );
    let file = write_sjis(dir.path(), &text);
    let f = file.to_str().unwrap();

    let dry = run(dir.path(), &["import", f, "--dry-run"]);
    assert_eq!(dry.status.code(), Some(1), "{}", stderr(&dry));
    let err = stderr(&dry);
    assert!(
        err.contains("3行目: 改善レベル: 「業務改革」は改善レベルではありません"),
        "{err}"
    );
    let problems: Vec<_> = err
        .lines()
        .filter(|l| l.contains("行目:") && !l.contains("id がないため"))
        .collect();
    assert_eq!(problems.len(), 1, "only the bad row has a problem: {err}");
    assert!(
        err.contains("2行目: id がないため「minamiise-machi-kaizen-2004」にします"),
        "{err}"
    );
    assert!(err.contains("追加 2 件"), "{err}");
    assert!(case_files(dir.path()).is_empty(), "dry-run writes nothing");

    let real = run(dir.path(), &["import", f]);
    assert_eq!(real.status.code(), Some(1));
    assert!(stderr(&real).contains("1件も書き込みませんでした"));
    assert!(case_files(dir.path()).is_empty(), "all or nothing");

    let fixed = write_sjis(dir.path(), &text.replace("業務改革", "人材育成"));
    let ok = run(dir.path(), &["import", fixed.to_str().unwrap()]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let files = case_files(dir.path());
    assert_eq!(files.len(), 3, "{files:?}");
    // Readable ids: 南伊勢町 romanised, title words, the year.
    assert!(
        files.contains(&"minamiise-machi-kaizen-2004.md".to_string()),
        "{files:?}"
    );
    let cases = load_all(&dir.path().join("cases"));
    let first = cases.iter().find(|c| c.period.start == 2004).unwrap();
    assert_eq!(first.levels.len(), 2);
    assert_eq!(first.sections.summary, "概要①：職員が自ら改善した。");
    assert_eq!(first.sections.activities, "発表会\n表彰");
    assert_eq!(first.sources, vec!["https://example.jp/", "研究会資料"]);
    assert_eq!(first.kind, case::Kind::Town);

    // The index was brought up to date too.
    let search = run(dir.path(), &["search", "まちづくり改善運動", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&search.stdout).unwrap();
    assert!(json["total"].as_u64().unwrap() >= 1, "{json}");
}

#[test]
fn existing_cases_are_never_overwritten_without_update() {
    let dir = empty_workspace();
    let csv = format!("ID,{HEADER}x-one,{}", row("最初の題", "業務改善", "2001-"));
    let path = dir.path().join("u.csv");
    std::fs::write(&path, &csv).unwrap();
    let p = path.to_str().unwrap();
    assert!(run(dir.path(), &["import", p]).status.success());
    let before = std::fs::read(dir.path().join("cases/x-one.md")).unwrap();

    std::fs::write(&path, csv.replace("最初の題", "直した題")).unwrap();
    let again = run(dir.path(), &["import", p]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again)
            .contains("2行目: ID: id「x-one」の事例は既にあります（上書きするには --update"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read(dir.path().join("cases/x-one.md")).unwrap(),
        before
    );

    let upd = run(dir.path(), &["import", p, "--update"]);
    assert!(upd.status.success(), "{}", stderr(&upd));
    assert_eq!(load_all(&dir.path().join("cases"))[0].title, "直した題");
}

#[test]
fn import_of_an_export_round_trips_csv_and_jsonl() {
    let src = tempfile::tempdir().unwrap();
    let cases = src.path().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    for f in store::list(&Path::new(env!("CARGO_MANIFEST_DIR")).join("cases")).unwrap() {
        std::fs::copy(&f.path, cases.join(&f.rel)).unwrap();
    }
    // Cells a spreadsheet would run as formulas, an extra section, an end year.
    let mut tricky = load_all(&cases)[0].clone();
    tricky.id = "formula-cells".into();
    tricky.title = "=HYPERLINK(\"http://evil.example/\",\"click\")".into();
    tricky.sections.activities = "- 箇条書き1\n- 箇条書き2".into();
    tricky.sections.failures = "+1 と書いた\n\n@mention".into();
    tricky.tags = vec!["-タグ".into(), "普通".into()];
    tricky.extra_sections = vec![("メモ".into(), "残す".into())];
    std::fs::write(cases.join("formula-cells.md"), case::render(&tricky)).unwrap();
    let originals = load_all(&cases);
    assert!(originals.len() >= 13);

    for format in ["csv", "jsonl"] {
        let out = src.path().join(format!("all.{format}"));
        let exp = run(
            src.path(),
            &[
                "export",
                "--format",
                format,
                "--output",
                out.to_str().unwrap(),
            ],
        );
        assert!(exp.status.success(), "{}", stderr(&exp));
        let bytes = std::fs::read(&out).unwrap();
        if format == "csv" {
            assert!(
                bytes.starts_with(b"\xEF\xBB\xBFID,"),
                "BOM and Japanese headers"
            );
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                text.contains("\"'=HYPERLINK(") && text.contains("'-タグ"),
                "formula cells neutralised"
            );
        }

        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dst.path().join("cases")).unwrap();
        let imp = run(dst.path(), &["import", out.to_str().unwrap()]);
        assert!(imp.status.success(), "{format}: {}", stderr(&imp));
        assert_eq!(
            load_all(&dst.path().join("cases")),
            originals,
            "{format}: import(export(x)) == x"
        );

        let out2 = dst.path().join(format!("again.{format}"));
        run(
            dst.path(),
            &[
                "export",
                "--format",
                format,
                "--output",
                out2.to_str().unwrap(),
            ],
        );
        assert_eq!(
            std::fs::read(&out2).unwrap(),
            bytes,
            "{format}: export is stable"
        );
    }
}

#[test]
fn jsonl_problems_name_the_line() {
    let dir = empty_workspace();
    let jsonl = "{\"id\":\"a\",\"title\":\"t\"}\n\n{oops\n";
    let out = dry_run(dir.path(), "x.jsonl", jsonl);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("1行目:") && err.contains("3行目: json:"),
        "{err}"
    );
}

#[test]
fn dry_run_lists_every_problem_of_a_row_not_just_the_first() {
    let dir = empty_workspace();
    let csv = "事例名,自治体名,都道府県,種別,改善レベル,期間,概要,担い手,取組内容,出典\n\
               ,所沢市,福岡県,市,業務改革,1900-,概要,担い手,,出典\n";
    let out = dry_run(dir.path(), "many.csv", csv);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1));
    for expected in [
        "2行目: 改善レベル: 「業務改革」は改善レベルではありません",
        "2行目: 事例名: 事例名を入力してください",
        "2行目: 期間: 開始年 1900 はありえない年です",
        "2行目: 自治体名: 「所沢市」は福岡県ではなく埼玉県の自治体です",
        "2行目: 取組内容:",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert_eq!(
        err.matches("2行目: 改善レベル:").count(),
        1,
        "an unreadable cell is reported once:\n{err}"
    );
}
