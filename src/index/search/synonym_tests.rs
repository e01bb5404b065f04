//! Search tests of synonyms (the Sudachi dictionary under the file's
//! rules), a verb's two shapes, and obstacle questions, over small
//! corpora written for each.

use std::path::{Path, PathBuf};

use super::tests::search;
use super::*;
use crate::eval::Corpus;

/// A valid case file whose sections say what the test needs.
fn write_case(dir: &Path, id: &str, summary: &str, background: &str, failures: &str) {
    let text = format!(
        "+++\nid = \"{id}\"\ntitle = \"{id}の改善運動\"\nmunicipality = \"高崎市\"\n\
         prefecture = \"群馬県\"\nkind = \"中核市\"\nlevels = [\"業務改善\"]\n\
         start_year = 2010\ncontributor = \"test\"\nupdated = 2026-11-18\n+++\n\n\
         ## 概要\n{summary}\n\n## 担い手\n職員\n\n## 思い・動機\n仕事をよくしたい。\n\n\
         ## 背景・経緯\n{background}\n\n## 取組内容\n提案を集めた。\n\n## 成功・成果\n\
         提案が集まった。\n\n## 失敗・課題\n{failures}\n\n## 教訓\n続けること。\n\n\
         ## 出典\n- テスト用の架空事例\n"
    );
    std::fs::write(dir.join(format!("{id}.md")), text).unwrap();
}

fn corpus(cases: &[(&str, &str, &str, &str)]) -> (tempfile::TempDir, Corpus) {
    let dir = tempfile::tempdir().unwrap();
    for (id, summary, background, failures) in cases {
        write_case(dir.path(), id, summary, background, failures);
    }
    let corpus = Corpus::build(&[dir.path().to_owned()]).expect("corpus indexes");
    (dir, corpus)
}

fn ids(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.id.as_str()).collect()
}

fn html(r: &SearchResults, id: &str) -> String {
    let h = r.hits.iter().find(|h| h.id == id).expect("hit");
    h.snippets.iter().map(|s| s.html.as_str()).collect()
}

#[test]
fn a_sudachi_synonym_is_found_highlighted_listed_and_ranked_below_the_typed_word() {
    let (_d, c) = corpus(&[
        (
            "shukugen",
            "経費の縮減に取り組んだ。",
            "財政が厳しかった。",
            "特になし。",
        ),
        (
            "sakugen",
            "経費の削減に取り組んだ。",
            "財政が厳しかった。",
            "特になし。",
        ),
        (
            "other",
            "窓口を改善した。",
            "待ち時間が長かった。",
            "特になし。",
        ),
    ]);
    let r = search(&c.index, "削減");
    assert_eq!(ids(&r), ["sakugen", "shukugen"]);
    assert!(html(&r, "shukugen").contains("<mark>縮減</mark>"));
    let listed = r
        .synonyms
        .iter()
        .find(|s| s.word == "削減")
        .expect("listed");
    assert!(listed.synonyms.iter().any(|s| s == "縮減"), "{listed:?}");
    // Typed the other way round, the other case comes first.
    assert_eq!(ids(&search(&c.index, "縮減")), ["shukugen", "sakugen"]);
}

#[test]
fn a_noun_made_from_a_verb_finds_the_verb_written_in_any_form() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let c = Corpus::build(&[root.join("cases")]).expect("corpus indexes");
    // 「運動は2007年3月で打ち切られた」
    let r = search(&c.index, "打ち切り");
    // First: the others only say a synonym (途絶えた, 休止).
    assert_eq!(ids(&r).first(), Some(&"fukuoka-dna-undo"), "{:?}", ids(&r));
    assert!(html(&r, "fukuoka-dna-undo").contains("<mark>打ち切ら</mark>"));
    assert!(ids(&search(&c.index, "打ち切る")).contains(&"fukuoka-dna-undo"));
}

#[test]
fn obstacle_words_rank_the_cases_whose_failures_or_background_say_it_first() {
    let (_d, c) = corpus(&[
        (
            "passing",
            "職員の反発を恐れず、全庁で改善提案を集めた運動。",
            "行政改革の一環として始まった。",
            "発表会の参加者が少なかった。",
        ),
        (
            "failed",
            "全庁で改善提案を集めた運動。",
            "行政改革の一環として始まった。",
            "職員の反発が強く、三年で続かなくなった。",
        ),
        (
            "background",
            "全庁で改善提案を集めた運動。",
            "前の運動は職員の反発で終わった。",
            "発表会の参加者が少なかった。",
        ),
    ]);
    for q in [
        "反発",
        "職員の反発で続かなかった取り組み",
        "反発はありますか",
    ] {
        let r = search(&c.index, q);
        let got = ids(&r);
        assert_eq!(got.len(), 3, "{q}: {got:?}");
        assert_eq!(got[2], "passing", "{q}: {got:?}");
    }
}

#[test]
fn an_obstacle_said_by_a_synonym_in_the_failures_ranks_first_too() {
    let (_d, c) = corpus(&[
        (
            "summary-only",
            "活動の停滞を防ぐために始めた運動。",
            "行政改革の一環として始まった。",
            "発表会の参加者が少なかった。",
        ),
        (
            "failures-synonym",
            "全庁で改善提案を集めた運動。",
            "行政改革の一環として始まった。",
            "三年目から提案件数が足踏みした。",
        ),
    ]);
    let r = search(&c.index, "停滞");
    assert_eq!(ids(&r), ["failures-synonym", "summary-only"]);
}

#[test]
fn a_synonym_holding_the_word_typed_finds_its_cases_through_the_word() {
    let (_d, c) = corpus(&[
        (
            "gakkocho",
            "学校長が改善を呼びかけた。",
            "行政改革の一環として始まった。",
            "特になし。",
        ),
        (
            "kocho",
            "校長が改善を呼びかけた。",
            "行政改革の一環として始まった。",
            "特になし。",
        ),
        (
            "other",
            "窓口を改善した。",
            "待ち時間が長かった。",
            "特になし。",
        ),
    ]);
    // 学校長 (Sudachi's synonym of 校長) is not searched apart: 校長 finds
    // it inside (and marks itself there), and the case saying the word
    // typed ranks first.
    let r = search(&c.index, "校長");
    assert_eq!(ids(&r), ["kocho", "gakkocho"]);
    let marked = html(&r, "gakkocho");
    assert!(marked.contains("学<mark>校長</mark>"), "{marked}");
}

#[test]
fn a_compound_s_parts_are_found_as_words_not_inside_other_words() {
    let (_d, c) = corpus(&[
        (
            "typed",
            "赤シャツの教頭が改善を進めた。",
            "行政改革の一環として始まった。",
            "特になし。",
        ),
        (
            "apart",
            "赤い羽根の募金と、シャツの配布を改善した。",
            "行政改革の一環として始まった。",
            "特になし。",
        ),
        (
            "inside",
            "赤字のなか、ポロシャツの在庫を改善した。",
            "行政改革の一環として始まった。",
            "特になし。",
        ),
    ]);
    // シャツ is a word in "apart", only characters of ポロシャツ in
    // "inside"; 赤, one character, is inside 赤い and 赤字 alike.
    let r = search(&c.index, "赤シャツ");
    assert_eq!(ids(&r), ["typed", "apart"]);
}
