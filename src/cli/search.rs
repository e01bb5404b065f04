//! `kaizen-wa search`: the filters checked, the index opened (built on a
//! fresh clone), and the results printed for a terminal or as the API's
//! JSON. It must not rank or highlight: that is `index` and `highlight`;
//! this only prints what they found.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{
    Global, SearchArgs, ensure_cases_dir, meaning_shown, open_index, print_diagnostics, sync_shown,
};
use crate::case::{self, Level};
use crate::index::{Hit, SearchOptions, SearchRequest, SearchResults, Sort};
use crate::printable::printable;
use crate::web::SearchResponse;

pub(super) fn search(g: &Global, args: SearchArgs) -> Result<ExitCode> {
    let list = Level::parse_list(&args.levels);
    if let Some((l, nearest)) = list.first_unknown() {
        bail!("--level {l}: not an improvement level (did you mean {nearest}?)");
    }
    let levels = list.levels;
    let section = match &args.section {
        None => None,
        Some(s) => Some(case::Section::parse(s).with_context(|| {
            let names: Vec<_> = case::Section::ALL
                .iter()
                .map(|s| format!("{} ({})", s.heading(), s.key()))
                .collect();
            format!("--section {s}: not a section; one of: {}", names.join(", "))
        })?),
    };
    let idx = open_index(g, false)?;
    // The first search on a fresh clone builds the index.
    if idx.created || idx.num_cases() == 0 {
        ensure_cases_dir(g)?;
        eprintln!("building the index from {} …", g.cases.display());
        let report = sync_shown(g, &idx)?;
        print_diagnostics(&mut std::io::stderr().lock(), &report.diagnostics);
    }
    let req = SearchRequest {
        query: args.query.join(" "),
        levels,
        prefectures: args.prefectures,
        section,
        sort: Sort::Relevance,
        limit: args.limit,
        related: args.related,
        ..SearchRequest::default()
    };
    let results = if args.related > 0 {
        let meaning = meaning_shown(g, &idx)?;
        idx.search_related(&req, &SearchOptions::default(), &meaning)?
    } else {
        idx.search(&req)?
    };
    if args.json {
        // The API's shape, as its first page of `--limit` hits.
        let json = SearchResponse::new(results, 1, args.limit, None);
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print_results(&results);
    }
    Ok(ExitCode::SUCCESS)
}

/// The results for a person at a terminal: what was searched for, then
/// each hit; those that lack some words come after a divider, so the count
/// on the first line stays the number of cases that match every word.
fn print_results(results: &SearchResults) {
    let marks = Marks::for_stdout();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    print_summary(&mut out, results);
    let mut divided = false;
    for h in &results.hits {
        if !h.matches_every_word() && !divided {
            divided = true;
            let _ = writeln!(
                out,
                "\n── 一部の語だけを含む事例（{} 件） ──",
                results.partial_total
            );
        }
        print_hit(&mut out, h, marks);
    }
    if !results.related.is_empty() {
        let _ = writeln!(
            out,
            "\n── 内容が近い事例（検索したことばは含みません。件数には数えていません） ──"
        );
        for r in results.related.iter().map(|r| &r.case) {
            let _ = writeln!(
                out,
                "{}  {}（{} {}）[{}]",
                printable(&r.title),
                printable(&r.municipality),
                printable(&r.prefecture),
                r.period,
                printable(&r.id)
            );
        }
    }
}

/// How a snippet's matched words stand out: bold red at a terminal, 【】
/// when the output goes to a file or a pipe, where escape codes would be
/// noise.
#[derive(Clone, Copy)]
struct Marks {
    open: &'static str,
    close: &'static str,
}

impl Marks {
    fn for_stdout() -> Self {
        if std::io::stdout().is_terminal() {
            Self {
                open: "\x1b[1;31m",
                close: "\x1b[0m",
            }
        } else {
            Self {
                open: "【",
                close: "】",
            }
        }
    }
}

/// The lines above the hits: the count and time, the synonyms and other
/// readings also searched, and how many cases hold only some of the words
/// (and which words no case holds), so nothing is widened silently.
fn print_summary(out: &mut impl Write, results: &SearchResults) {
    let _ = writeln!(
        out,
        "{} 件 ({:.1} ms)",
        results.total,
        results.took.as_secs_f64() * 1000.0
    );
    for s in &results.synonyms {
        let _ = writeln!(
            out,
            "同義語も検索（{}）: {}",
            printable(&s.word),
            printable(&s.synonyms.join("・"))
        );
    }
    for a in &results.also_read {
        let _ = writeln!(
            out,
            "{} → {} としても検索しました",
            printable(&a.typed),
            printable(&a.parts.join(" ＋ "))
        );
    }
    if results.partial_total > 0 {
        let _ = writeln!(
            out,
            "すべての語を含む事例は {} 件。ほかに一部の語だけを含む事例が {} 件あります（一致しない語: {}）",
            results.total,
            results.partial_total,
            printable(&results.dropped_words.join("、"))
        );
    }
}

/// One hit: title, id and score; where and when, and its levels; the words
/// it lacks; a snippet per matching section.
fn print_hit(out: &mut impl Write, h: &Hit, marks: Marks) {
    // Everything a case file says goes through `printable`: a title may
    // hold terminal escape codes.
    let p = |s: &str| printable(s).into_owned();
    let levels: Vec<_> = h.levels.iter().map(|l| l.name()).collect();
    let _ = writeln!(
        out,
        "\n{}  [{}]  score {:.2}",
        p(&h.title),
        p(&h.id),
        h.score
    );
    let _ = writeln!(
        out,
        "  {} · {} · {} · {}",
        p(&h.municipality),
        p(&h.prefecture),
        h.period,
        levels.join("・")
    );
    if !h.missing_words.is_empty() {
        let _ = writeln!(out, "  （含まれない: {}）", p(&h.missing_words.join("、")));
    }
    for s in &h.snippets {
        let _ = writeln!(
            out,
            "  {}: {}",
            p(s.heading),
            s.snippet.render(|t| p(t), marks.open, marks.close)
        );
    }
}
