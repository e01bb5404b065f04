//! What members write through the site, end to end over the router: the
//! three-way merge of an edit conflict (and taking the other version of
//! one field), the ごみ箱 and its 「元に戻す」, readable ids and parallel
//! creates without one, 問い合わせ先 through the API, the page and the
//! CSV, and error summaries in plain Japanese in the order of the page.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::forms::{case_files, case_json, new_case_form};
use crate::common::{App, Reply, word};

/// Text of an HTML attribute as the browser would send it back.
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The edit form's fields for the case as the API returns it: what a
/// browser sends when the member changes nothing.
fn pairs_of(case: &Value) -> Vec<(String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let mut out = vec![
        ("title".into(), s(&case["title"])),
        ("prefecture".into(), s(&case["prefecture"])),
        ("municipality".into(), s(&case["municipality"])),
        ("kind".into(), s(&case["kind"])),
        (
            "start_year".into(),
            case["period"]["start"].as_i64().unwrap().to_string(),
        ),
        (
            "end_year".into(),
            case["period"]["end"]
                .as_i64()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        ),
    ];
    for l in case["levels"].as_array().unwrap() {
        out.push(("levels".into(), s(l)));
    }
    let list = |v: &Value, sep: &str| {
        v.as_array()
            .map(|a| a.iter().map(s).collect::<Vec<_>>().join(sep))
            .unwrap_or_default()
    };
    out.push(("tags".into(), list(&case["tags"], "、")));
    out.push(("sources".into(), list(&case["sources"], "\n")));
    for (k, v) in case["sections"].as_object().unwrap() {
        out.push((k.clone(), s(v)));
    }
    out
}

fn set(pairs: &mut [(String, String)], key: &str, value: &str) {
    pairs
        .iter_mut()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no field {key}"))
        .1 = value.to_owned();
}

async fn post(app: &App, uri: &str, session: &str, pairs: &[(String, String)]) -> Reply {
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(uri, Some(session), &refs).await
}

/// Every value of the hidden inputs `name` in a page.
fn hidden_all(r: &Reply, name: &str) -> Vec<String> {
    let text = r.text();
    let key = format!("name=\"{name}\" value=\"");
    text.match_indices(&key)
        .map(|(i, _)| {
            let start = i + key.len();
            unescape(&text[start..start + text[start..].find('"').unwrap()])
        })
        .collect()
}

/// The other member saves `changes` (section key → text, or `title`)
/// through the API, from the version with `etag`.
async fn they_save(app: &App, id: &str, etag: &str, changes: &[(&str, &str)]) {
    let mut theirs = app.get(&format!("/api/cases/{id}"), None).await.json();
    for (k, v) in changes {
        if *k == "title" {
            theirs["title"] = json!(v);
        } else {
            theirs["sections"][*k] = json!(v);
        }
    }
    let r = app.update(id, Some(&format!("\"{etag}\"")), &theirs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// The edit form as a member opens it: fields, etag, base.
async fn open_edit(
    app: &App,
    id: &str,
    session: &str,
    csrf: &str,
) -> (Vec<(String, String)>, String) {
    let page = app.get(&format!("/cases/{id}/edit"), Some(session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let etag = page.hidden("etag");
    let case = app.get(&format!("/api/cases/{id}"), None).await.json();
    let mut pairs = pairs_of(&case);
    pairs.push(("etag".into(), etag.clone()));
    pairs.push(("base".into(), unescape(&page.hidden("base"))));
    pairs.push(("csrf".into(), csrf.to_owned()));
    pairs.push(("action".into(), "save".into()));
    (pairs, etag)
}

/// 「元に戻す」 on the trash page: posts the form for the trash file `name`.
async fn restore(app: &App, session: &str, csrf: &str, name: &str) -> Reply {
    app.post_form(
        "/trash/restore",
        Some(session),
        &[("csrf", csrf), ("name", name)],
    )
    .await
}

/// Deletes `id` as a member does: opens its confirmation page and posts
/// that form. The answer to the post.
async fn delete_through_the_form(app: &App, id: &str, session: &str, csrf: &str) -> Reply {
    let confirm = app.get(&format!("/cases/{id}/delete"), Some(session)).await;
    app.post_form(
        &format!("/cases/{id}/delete"),
        Some(session),
        &[("csrf", csrf), ("etag", &confirm.hidden("etag"))],
    )
    .await
}

#[tokio::test]
async fn a_save_after_someone_elses_keeps_their_change_where_this_member_changed_nothing() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let id = "fukuoka-dna-undo";
    // Member A opens the form; member B meanwhile changes 成功・成果.
    let (mut a, etag) = open_edit(&app, id, &session, &csrf).await;
    let theirs = format!("{}で窓口の待ち時間が半分になった。", word(60));
    they_save(&app, id, &etag, &[("successes", &theirs)]).await;
    // A changes 概要 only, and saves from the old version.
    let mine = format!("{}を合言葉に書き直した概要。", word(61));
    set(&mut a, "summary", &mine);
    let r = post(&app, &format!("/cases/{id}/edit"), &session, &a).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        r.header(header::LOCATION),
        format!("/cases/{id}?saved=merged")
    );
    let now = app.get(&format!("/api/cases/{id}"), None).await.json();
    assert_eq!(now["sections"]["summary"], json!(mine), "A's change saved");
    assert_eq!(
        now["sections"]["successes"],
        json!(theirs),
        "B's change kept"
    );
    let page = app
        .get(&format!("/cases/{id}?saved=merged"), None)
        .await
        .text();
    assert!(
        page.contains("ほかの人が保存した変更"),
        "the member is told"
    );
    assert_eq!(app.ids_for(&word(60)), vec![id]);
    assert_eq!(app.ids_for(&word(61)), vec![id]);
}

#[tokio::test]
async fn a_real_conflict_is_shown_per_field_and_the_other_version_can_be_taken() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let id = "mie-sawayaka-undo";
    let (mut a, etag) = open_edit(&app, id, &session, &csrf).await;
    let their_title = format!("{}（相手の事例名）", word(70));
    let their_lessons = format!("{}という教訓。", word(71));
    they_save(
        &app,
        id,
        &etag,
        &[("title", &their_title), ("lessons", &their_lessons)],
    )
    .await;
    let file = app.cases().join(format!("{id}.md"));
    let saved = std::fs::read(&file).unwrap();

    let my_title = format!("{}（わたしの事例名）", word(72));
    let my_summary = format!("{}の概要。", word(73));
    set(&mut a, "title", &my_title);
    set(&mut a, "summary", &my_summary);
    let r = post(&app, &format!("/cases/{id}/edit"), &session, &a).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(std::fs::read(&file).unwrap(), saved, "nothing written");
    let html = r.text();
    assert!(html.contains("相手の版を取り込む") && html.contains("value=\"take:title\""));
    assert!(
        !html.contains("value=\"take:summary\""),
        "only A changed the summary"
    );
    assert!(
        !html.contains("value=\"take:lessons\""),
        "only B changed the lessons"
    );
    assert_eq!(hidden_all(&r, "conflict"), vec!["title"]);
    assert!(html.contains(&my_title) && html.contains(&their_title) && html.contains(&my_summary));
    assert!(
        html.contains(&their_lessons),
        "B's lessons are in the form now"
    );

    // Take B's title (no script: the button posts the form), then save.
    let mut again: Vec<(String, String)> = a
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "etag" | "base" | "action" | "lessons"))
        .cloned()
        .collect();
    again.push(("lessons".into(), their_lessons.clone()));
    again.push(("etag".into(), r.hidden("etag")));
    again.push(("base".into(), unescape(&r.hidden("base"))));
    again.push(("conflict".into(), "title".into()));
    again.push(("action".into(), "take:title".into()));
    let mut hostile = again.clone();
    set(&mut hostile, "action", "take:../etc");
    let bad = post(&app, &format!("/cases/{id}/edit"), &session, &hostile).await;
    assert_eq!(
        bad.status,
        StatusCode::BAD_REQUEST,
        "an unknown field is a 400"
    );
    let t = post(&app, &format!("/cases/{id}/edit"), &session, &again).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    assert!(
        t.text().contains(&format!("value=\"{their_title}\"")),
        "the field holds B's title"
    );
    assert!(hidden_all(&t, "conflict").is_empty(), "settled");
    assert_eq!(std::fs::read(&file).unwrap(), saved, "taking saves nothing");

    set(&mut again, "title", &their_title);
    set(&mut again, "action", "save");
    again.retain(|(k, _)| k != "conflict");
    let s = post(&app, &format!("/cases/{id}/edit"), &session, &again).await;
    assert_eq!(s.status, StatusCode::SEE_OTHER, "{}", s.text());
    let now = app.get(&format!("/api/cases/{id}"), None).await.json();
    assert_eq!(now["title"], json!(their_title));
    assert_eq!(now["sections"]["summary"], json!(my_summary));
    assert_eq!(now["sections"]["lessons"], json!(their_lessons));
}

#[tokio::test]
async fn the_trash_restores_a_deleted_case_once_with_a_form_token_and_never_over_another() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let id = "nakano-omotenashi-undo";
    let r = delete_through_the_form(&app, id, &session, &csrf).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("元に戻す"),
        "an undo right after the delete"
    );
    let name = r.hidden("name");
    assert!(name.ends_with(&format!("-{id}.md")), "{name}");
    let listed = app.get("/trash", Some(&session)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.text().contains("おもてなし") || listed.text().contains(&name));
    assert_eq!(
        app.get("/trash", None).await.status,
        StatusCode::SEE_OTHER,
        "members only"
    );

    // No or a wrong token: nothing restored.
    for token in ["", "wrong"] {
        let r = restore(&app, &session, token, &name).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(!app.cases().join(format!("{id}.md")).exists());
    }
    // Hostile names find nothing.
    for bad in [
        "../cases/fukuoka-dna-undo.md",
        "/etc/passwd",
        ".x.md",
        "a\u{0}.md",
    ] {
        let r = restore(&app, &session, &csrf, bad).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad:?}");
    }
    let r = restore(&app, &session, &csrf, &name).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header(header::LOCATION), format!("/trash?restored={id}"));
    assert!(app.cases().join(format!("{id}.md")).exists());
    assert_eq!(
        app.get(&format!("/cases/{id}"), None).await.status,
        StatusCode::OK
    );
    let again = restore(&app, &session, &csrf, &name).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "restored once");

    // Deleted again, and the id taken by a new case meanwhile: refused.
    let r = delete_through_the_form(&app, id, &session, &csrf).await;
    let name = r.hidden("name");
    let created = app.create(&case_json(Some(id), &word(80))).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let newer = std::fs::read(app.cases().join(format!("{id}.md"))).unwrap();
    let r = restore(&app, &session, &csrf, &name).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("同じ ID の事例"));
    assert_eq!(
        std::fs::read(app.cases().join(format!("{id}.md"))).unwrap(),
        newer
    );
    assert!(
        app.cases().join(".trash").join(&name).exists(),
        "still in the trash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_creates_without_an_id_all_succeed_with_readable_ids() {
    let app = std::sync::Arc::new(App::new());
    let before = case_files(&app.cases()).len();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for n in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut body = case_json(None, "窓口");
            body["sections"]["summary"] = json!(format!("{}の概要。", word(200 + n)));
            app.create(&body).await
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    eprintln!(
        "50 parallel creates without an id answered in {:?}",
        started.elapsed()
    );
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50);
    assert!(
        ids.iter()
            .all(|id| id.starts_with("fukuoka-madoguchi-kaizen-2001")),
        "{ids:?}"
    );
    assert_eq!(case_files(&app.cases()).len(), before + 50);
}

#[tokio::test]
async fn a_contact_goes_through_the_api_the_case_page_and_the_csv() {
    let app = App::new();
    let mut body = case_json(Some("contact-one"), &word(90));
    body["contact"] =
        json!({"department": "総務部 行政改革課", "url": "https://www.city.example.lg.jp/kaizen/"});
    let r = app.create(&body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let got = app.get("/api/cases/contact-one", None).await.json();
    assert_eq!(got["contact"]["department"], json!("総務部 行政改革課"));
    assert_eq!(
        got["contact"]["url"],
        json!("https://www.city.example.lg.jp/kaizen/")
    );
    let file = std::fs::read_to_string(app.cases().join("contact-one.md")).unwrap();
    assert!(
        file.contains("contact_department = \"総務部 行政改革課\""),
        "{file}"
    );
    let page = app.get("/cases/contact-one", None).await.text();
    assert!(page.contains("問い合わせ先") && page.contains("総務部 行政改革課"));
    assert!(page.contains("href=\"https://www.city.example.lg.jp/kaizen/\""));
    let csv = app
        .get(&format!("/api/search.csv?q={}", word(90)), None)
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.text();
    assert!(
        text.contains("担当部署") && text.contains("総務部 行政改革課"),
        "{text}"
    );
    // Cases without one show none.
    let other = app.get("/cases/fukuoka-dna-undo", None).await.text();
    assert!(!other.contains("sec-contact"));
    // A link that is no public page is refused, by field.
    body["id"] = json!("contact-two");
    body["contact"]["url"] = json!("javascript:alert(1)");
    let r = app.create(&body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("contact_url"));
    let spec = app.get("/api/openapi.json", None).await.text();
    assert!(spec.contains("ContactInput"), "documented");
}

#[tokio::test]
async fn the_error_summary_follows_the_page_in_plain_japanese() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let pairs = new_case_form("", "", &[("activities", "")], &csrf, "save");
    let r = app.post_form("/cases/new", Some(&session), &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    let summary = &html[html.find("error-summary").unwrap()..];
    let summary = &summary[..summary.find("</ul>").unwrap()];
    let at = |s: &str| {
        summary
            .find(s)
            .unwrap_or_else(|| panic!("{s} in {summary}"))
    };
    assert!(at("事例名を入力してください") < at("概要を入力してください"));
    assert!(at("概要を入力してください") < at("取組内容を入力してください"));
    assert!(
        !summary.contains("##") && !summary.contains("本文が空"),
        "{summary}"
    );
}

#[tokio::test]
async fn a_new_case_gets_a_readable_id_proposed_in_the_preview() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let pairs = new_case_form(
        "改善提案制度",
        "職員の提案を毎月審査した。",
        &[("prefecture", "埼玉県"), ("municipality", "さいたま市")],
        &csrf,
        "preview",
    );
    let r = app.post_form("/cases/new", Some(&session), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.text().contains("value=\"saitama-kaizen-teian-2003\""),
        "proposed in the id field"
    );
}
