//! The README's examples, run as written on the bundled cases: each
//! `kaizen-wa` line of the block between the `readme-examples` markers
//! must return what its comment claims (`→ N 件: id, id` — exactly N
//! cases, these among them; or `→ report.txt: text` — the output that
//! would go to the file contains the text).

use crate::common::{Fixture, stderr, stdout};

/// One example: the arguments after `kaizen-wa`, and the claim.
struct Example {
    line: String,
    args: Vec<String>,
    claim: String,
}

fn examples() -> Vec<Example> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("<!-- readme-examples")
        .expect("the README marks its examples");
    let end = readme[start..]
        .find("<!-- /readme-examples -->")
        .expect("the examples block ends")
        + start;
    readme[start..end]
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("kaizen-wa ")?;
            let (command, comment) = rest
                .split_once('#')
                .expect("every example says what it returns");
            let claim = comment
                .trim()
                .strip_prefix('→')
                .expect("the claim starts with →")
                .trim()
                .to_owned();
            // `> FILE`: the output is what the file would hold.
            let command = command.split('>').next().unwrap();
            Some(Example {
                line: line.to_owned(),
                args: command.split_whitespace().map(str::to_owned).collect(),
                claim,
            })
        })
        .collect()
}

#[test]
fn every_readme_example_returns_what_it_claims() {
    let list = examples();
    assert!(list.len() >= 5, "the examples block was not found whole");
    let f = Fixture::with_samples();
    for ex in list {
        let out = f.run(&ex.args);
        assert!(out.status.success(), "{}: {}", ex.line, stderr(&out));
        let text = stdout(&out);
        if let Some(expected) = ex.claim.strip_prefix("report.txt:") {
            assert!(text.contains(expected.trim()), "{}\n{text}", ex.line);
            continue;
        }
        let (count, ids) = ex
            .claim
            .split_once(" 件:")
            .unwrap_or_else(|| panic!("{}: the claim is `N 件: ids`", ex.line));
        let first = text.lines().next().unwrap_or("");
        assert!(
            first.starts_with(&format!("{count} 件")),
            "{}: claims {count} 件, got `{first}`",
            ex.line
        );
        let ids: Vec<&str> = ids
            .split(',')
            .filter_map(|x| x.split_whitespace().next())
            .collect();
        assert!(!ids.is_empty(), "{}: name at least one case", ex.line);
        for id in ids {
            assert!(
                text.contains(&format!("[{id}]")),
                "{}: {id} is not in\n{text}",
                ex.line
            );
        }
    }
}

/// The commands table's search line, with every option it shows, finds
/// something on the bundled cases (it once found nothing).
#[test]
fn the_commands_table_search_finds_a_case() {
    let readme = include_str!("../../README.md");
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `kaizen-wa search "))
        .expect("the commands table has a search row");
    let command = row.split('`').nth(1).unwrap();
    let args: Vec<String> = command
        .trim_start_matches("kaizen-wa ")
        .replace(['[', ']'], "")
        .split_whitespace()
        .filter(|a| *a != "--json")
        .map(str::to_owned)
        .collect();
    let f = Fixture::with_samples();
    let out = f.run(&args);
    assert!(out.status.success(), "{command}: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        !text.starts_with("0 件"),
        "{command} finds nothing on the bundled cases:\n{text}"
    );
}
