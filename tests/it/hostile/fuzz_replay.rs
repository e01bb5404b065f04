//! The fuzz targets' checks (fuzz/src/bin/), replayed on their seed corpus
//! and on every input that once crashed them (fuzz/regressions/), so that
//! `cargo test` keeps what fuzzing found fixed without AFL++.

use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod checks;

fn inputs(target: &str, corpus: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in [
        root.join("corpus").join(corpus),
        root.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() && p.file_name().is_some_and(|n| n != "README.md") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Runs `check` on every input kept for `target`; names the file whose
/// input fails (the check's own message is printed above it).
fn replay(target: &str, corpus: &str, check: fn(&[u8])) {
    let all = inputs(target, corpus);
    assert!(!all.is_empty(), "the seed corpus is there");
    for (path, data) in all {
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            panic!("{}: the {target} check fails", path.display());
        }
    }
}

#[test]
fn case_parser_inputs() {
    replay("case_parser", "case", checks::case_parser);
}

#[test]
fn query_parser_inputs() {
    replay("query_parser", "query", checks::query_parser);
}

#[test]
fn csv_import_inputs() {
    replay("csv_import", "csv", checks::csv_import);
}

// ------------------------------------------------- without AFL++: proptest

/// Where AFL++ is not at hand: the same checks on generated inputs that
/// look like what the parsers expect (fragments of real syntax mixed with
/// arbitrary text). Ignored by default; run with
/// `FUZZ_CASES=100000 cargo test --release --test it generated_ -- --ignored --nocapture`.
mod generated {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn cases() -> u32 {
        std::env::var("FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000)
    }

    /// Pieces of syntax joined with arbitrary text.
    fn soup(fragments: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            4 => proptest::sample::select(fragments).prop_map(|s| s.as_bytes().to_vec()),
            2 => any::<String>().prop_map(String::into_bytes),
            1 => proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    fn run(name: &str, input: impl Strategy<Value = Vec<u8>>, check: impl Fn(&[u8])) {
        let n = cases();
        let started = std::time::Instant::now();
        let mut runner = TestRunner::new(Config {
            cases: n,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&input, |data| {
            check(&data);
            Ok(())
        });
        eprintln!(
            "figure: {name}: {n} generated inputs in {:.0} s, {}",
            started.elapsed().as_secs_f64(),
            if result.is_ok() {
                "0 failures"
            } else {
                "FAILED"
            }
        );
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    const CASE: &[&str] = &[
        "+++\n",
        "+++",
        "\n",
        "\r\n",
        "\r",
        "id = \"x-1\"\n",
        "title = \"改善\"\n",
        "municipality = \"福岡市\"\n",
        "prefecture = \"福岡県\"\n",
        "levels = [\"業務改善\"]\n",
        "start_year = 2001\n",
        "end_year = 1999\n",
        "tags = [\"a\", \"b\"]\n",
        "kind = \"市\"\n",
        "## 概要\n",
        "## 担い手\n",
        "## 取組内容\n",
        "## 失敗・課題\n",
        "## 出典\n",
        "## 感想\n",
        "### 小見出し\n",
        "- https://example.jp/\n",
        "* 書籍\n",
        "1. 項目\n",
        "\u{feff}",
        "\"",
        "'",
        "\\",
        "\\u0000",
        "[",
        "]",
        "{",
        "}",
        "=",
        "#",
        " ",
        "\u{3000}",
        "\u{fffe}",
        "\0",
    ];

    #[test]
    #[ignore = "long: FUZZ_CASES=… cargo test --release --test it generated_ -- --ignored"]
    fn generated_case_files() {
        run("case parser", soup(CASE), super::checks::case_parser);
    }

    const QUERY: &[&str] = &[
        "\"",
        "「",
        "」",
        "『",
        "』",
        "-",
        "－",
        "OR",
        "or",
        "ｏｒ",
        " ",
        "\u{3000}",
        "(",
        ")",
        "*",
        "?",
        "改善",
        "窓口",
        "業務改善",
        "q=",
        "&",
        "level=",
        "prefecture=",
        "page=",
        "per_page=",
        "sort=",
        "section=",
        "year_from=",
        "%",
        "%E6%94%B9",
        "%FF",
        "+",
        "=",
    ];

    #[test]
    #[ignore = "long: FUZZ_CASES=… cargo test --release --test it generated_ -- --ignored"]
    fn generated_queries() {
        run("query parser", soup(QUERY), super::checks::query_parser);
    }

    const CSV: &[&str] = &[
        ",",
        "\"",
        "\"\"",
        "\n",
        "\r\n",
        "\r",
        "\u{feff}",
        "ID,タイトル,自治体,都道府県,改善レベル,期間\n",
        "title,municipality,prefecture,levels,start_year,end_year,summary,actors,activities,sources,tags\n",
        "改善",
        "福岡市",
        "福岡県",
        "業務改善、人材育成",
        "2000-2007",
        "2004〜",
        "平成12年",
        "'=1+1",
        "＝",
        "|",
        "a/b",
        "## 見出し\n本文",
        "\u{82}\u{a0}",
        "\u{8140}",
    ];

    #[test]
    #[ignore = "long: FUZZ_CASES=… cargo test --release --test it generated_ -- --ignored"]
    fn generated_csv() {
        run("CSV importer", soup(CSV), super::checks::csv_import);
    }
}
