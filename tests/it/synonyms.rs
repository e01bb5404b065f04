//! Synonyms end to end: what the API, the search page and the command
//! line say a search also looked for, the Sudachi dictionary switched off
//! by flag, environment or the synonyms file, and a verb found by its noun.

use axum::http::StatusCode;

use crate::common::{App, Fixture, kaizen_wa, stderr, stdout};

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()
}

#[tokio::test]
async fn api_and_page_list_the_synonyms_and_mark_the_verb_found_by_its_noun() {
    let app = App::setup().no_members_file().synced().open();
    let r = app
        .get(&format!("/api/search?{}", enc("打ち切り")), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    let hit = j["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "fukuoka-dna-undo")
        .unwrap_or_else(|| panic!("「運動は…打ち切られた」 not found: {j}"));
    assert!(hit.to_string().contains("<mark>打ち切ら</mark>"), "{hit}");
    let listed = &j["synonyms"][0];
    assert_eq!(listed["word"], "打ち切り", "{j}");
    assert!(
        listed["synonyms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "活動停止"),
        "{listed}"
    );
    let page = app
        .get(&format!("/?{}", enc("打ち切り")), None)
        .await
        .text();
    assert!(page.contains("同義語も検索: 活動停止"), "{page}");
    // A word without synonyms says nothing of them.
    let page = app.get(&format!("/?{}", enc("福岡市")), None).await.text();
    assert!(!page.contains("同義語も検索"));
}

#[test]
fn the_sudachi_dictionary_can_be_left_out_by_flag_environment_or_file() {
    let f = Fixture::with_samples();
    let out = f.run(&["search", "削減"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("同義語も検索（削減）: ") && said.contains("縮減"),
        "{said}"
    );

    let out = f.run(&["--no-sudachi", "search", "削減"]);
    assert!(!stdout(&out).contains("縮減"), "{}", stdout(&out));
    let out = kaizen_wa()
        .current_dir(f.dir.path())
        .env("KAIZEN_WA_NO_SUDACHI", "1")
        .args(["search", "削減"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("縮減"), "{}", stdout(&out));

    // The association's file switches the group off for this domain.
    let rules = f.dir.path().join("rules.txt");
    std::fs::write(&rules, "# no 削減 group here\n! 縮減\n").unwrap();
    let out = f.run(&["--synonyms", rules.to_str().unwrap(), "search", "削減"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("縮減"), "{}", stdout(&out));
}
