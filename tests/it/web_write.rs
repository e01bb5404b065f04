//! Members' writes end to end: the write API (Bearer secrets, ETags), the
//! login, session cookie and CSRF of the web forms, the rate limit, the
//! admin page, the CSV download — in-process for the fast checks, over
//! real sockets for concurrency and file watching, and against the real
//! `kaizen-wa serve` process for the crash between a file write and the
//! index commit.
//!
//! Figures (create → searchable p50/p99 over 100 creates through HTTP,
//! outside edit → searchable), with a release build:
//!
//! ```sh
//! cargo test --release --test it -- --ignored --nocapture web_write::write_latency_figures
//! ```

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use kaizen_wa::members::Members;
use serde_json::{Value, json};

use crate::common::forms::{case_files, case_json, form_pairs, new_case_form};
use crate::common::{App, MEMBER, add_member, serve, urlencode, word, workspace};

/// The edit form of an existing case, filled in with `title` and
/// `summary` and posted to save: from the version `etag`, with the
/// session's token.
fn edit_form_saved<'a>(
    title: &'a str,
    summary: &'a str,
    etag: &'a str,
    csrf: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = form_pairs(title, summary);
    pairs.retain(|(k, _)| *k != "id");
    pairs.extend([("etag", etag), ("csrf", csrf), ("action", "save")]);
    pairs
}

// ------------------------------------------------------------------ API

#[tokio::test]
async fn api_create_read_update_delete_with_etags() {
    let app = App::new();
    let before = case_files(&app.cases()).len();

    let r = app.create(&case_json(Some("web-api-one"), &word(1))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header(header::LOCATION), "/api/cases/web-api-one");
    let j = r.json();
    let etag = j["etag"].as_str().unwrap().to_owned();
    assert_eq!(r.header(header::ETAG), format!("\"{etag}\""));
    assert_eq!(j["id"], "web-api-one");
    assert_eq!(j["case"]["contributor"], MEMBER, "read-only fields are set");
    assert_ne!(j["case"]["updated"], "1999-01-01");
    assert!(app.cases().join("web-api-one.md").exists());
    assert_eq!(case_files(&app.cases()).len(), before + 1);
    // Searchable when the answer arrives.
    assert_eq!(app.ids_for(&word(1)), vec!["web-api-one"]);

    let g = app.get("/api/cases/web-api-one", None).await;
    assert_eq!(g.status, StatusCode::OK);
    assert_eq!(g.header(header::ETAG), format!("\"{etag}\""));
    let mut body = g.json();
    body["title"] = json!(format!("{}で窓口を変えた", word(2)));

    // Without If-Match: 428, nothing written.
    let file = app.cases().join("web-api-one.md");
    let bytes = std::fs::read(&file).unwrap();
    let r = app.update("web-api-one", None, &body).await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED, "{}", r.text());
    assert_eq!(std::fs::read(&file).unwrap(), bytes);

    let r = app
        .update("web-api-one", Some(&format!("\"{etag}\"")), &body)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let etag2 = r.json()["etag"].as_str().unwrap().to_owned();
    assert_ne!(etag2, etag);
    assert_eq!(app.ids_for(&word(2)), vec!["web-api-one"]);
    let saved = std::fs::read(&file).unwrap();

    // A stale ETag: 412, the current ETag in the answer, the file unchanged.
    body["title"] = json!("古い版からの上書き");
    let r = app
        .update("web-api-one", Some(&format!("\"{etag}\"")), &body)
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "stale");
    assert_eq!(r.header(header::ETAG), format!("\"{etag2}\""));
    assert_eq!(std::fs::read(&file).unwrap(), saved, "nothing overwritten");
    assert!(app.ids_for("古い版からの上書き").is_empty());

    // The body's id must be the path's.
    body["id"] = json!("another-id");
    let r = app.update("web-api-one", Some(&etag2), &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["error"]["problems"][0]["field"], "id");

    let r = app
        .update("no-such-case", Some("*"), &case_json(None, &word(3)))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());

    let r = app
        .api(
            Method::DELETE,
            "/api/cases/web-api-one",
            Some(&app.bearer()),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    assert!(!file.exists());
    let trash: Vec<_> = std::fs::read_dir(app.cases().join(".trash"))
        .unwrap()
        .collect();
    assert_eq!(trash.len(), 1, "moved to cases/.trash/");
    assert!(app.ids_for(&word(2)).is_empty());
    assert_eq!(
        app.get("/api/cases/web-api-one", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(case_files(&app.cases()).len(), before);
}

#[tokio::test]
async fn api_problems_are_4xx_with_fields_and_write_nothing() {
    let app = App::new();
    let before = case_files(&app.cases());

    let mut bad = case_json(Some("web-bad"), &word(4));
    bad["levels"] = json!([]);
    bad["period"]["start"] = json!(1800);
    bad["sections"]["actors"] = json!("");
    let r = app.create(&bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let j = r.json();
    assert_eq!(j["error"]["code"], "invalid");
    let fields: Vec<&str> = j["error"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    for f in ["levels", "start_year", "actors"] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }

    let r = app
        .create(&case_json(Some("fukuoka-dna-undo"), &word(5)))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "exists");

    let r = app
        .send(
            Request::post("/api/cases")
                .header(header::AUTHORIZATION, app.bearer())
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "bad_body");

    assert_eq!(case_files(&app.cases()), before, "nothing written");
}

#[tokio::test]
async fn api_derives_an_id_when_none_is_given() {
    let app = App::new();
    let mut ids = Vec::new();
    for n in 0..2 {
        let r = app.create(&case_json(None, &word(10 + n))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    // Readable: the place, words of the title, the year (each title here
    // starts with its own made-up word, so the two differ).
    assert!(
        ids.iter()
            .all(|id| id.starts_with("fukuoka-nu") && id.ends_with("-2001")),
        "{ids:?}"
    );
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn writes_without_or_with_a_wrong_secret_are_refused_and_write_nothing() {
    let app = App::new();
    let before = case_files(&app.cases());
    let body = case_json(Some("web-intruder"), &word(6));
    let dna = app.cases().join("fukuoka-dna-undo.md");
    let dna_bytes = std::fs::read(&dna).unwrap();

    let r = app
        .api(Method::POST, "/api/cases", None, &[], Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert!(r.header(header::WWW_AUTHENTICATE).starts_with("Bearer"));
    assert_eq!(r.json()["error"]["code"], "unauthorized");

    let wrong = format!("Bearer {}", "0".repeat(64));
    let r = app
        .api(Method::POST, "/api/cases", Some(&wrong), &[], Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.header(header::WWW_AUTHENTICATE)
            .contains("error=\"invalid_token\""),
        "{}",
        r.header(header::WWW_AUTHENTICATE)
    );

    let basic = format!("Basic {}", app.secret);
    let r = app
        .api(Method::POST, "/api/cases", Some(&basic), &[], Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.header(header::WWW_AUTHENTICATE)
            .contains("invalid_request")
    );

    let r = app
        .api(
            Method::PUT,
            "/api/cases/fukuoka-dna-undo",
            Some(&wrong),
            &[("if-match", "*")],
            Some(&body),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .api(
            Method::DELETE,
            "/api/cases/fukuoka-dna-undo",
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    assert_eq!(case_files(&app.cases()), before, "nothing created");
    assert_eq!(std::fs::read(&dna).unwrap(), dna_bytes, "nothing changed");
    assert!(!app.cases().join(".trash").exists(), "nothing deleted");
}

#[tokio::test]
async fn without_members_writing_is_off_and_the_ui_says_how_to_turn_it_on() {
    let app = App::setup().no_members().open();
    let before = case_files(&app.cases());
    let r = app
        .api(
            Method::POST,
            "/api/cases",
            Some("Bearer anything"),
            &[],
            Some(&case_json(Some("web-off"), &word(7))),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "writing_off");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("kaizen-wa member add")
    );
    let login = app.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.text().contains("kaizen-wa member add"));
    let form = app.get("/cases/new", None).await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(form.text().contains("kaizen-wa member add"));
    // Reading needs no login.
    assert_eq!(
        app.get("/cases/fukuoka-dna-undo", None).await.status,
        StatusCode::OK
    );
    assert_eq!(case_files(&app.cases()), before);

    // A member added while serving turns writing on (no restart).
    let secret = add_member(&app.dir.path().join("members.toml"), "佐藤");
    let r = app
        .api(
            Method::POST,
            "/api/cases",
            Some(&format!("Bearer {secret}")),
            &[],
            Some(&case_json(Some("web-on"), &word(8))),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

// --------------------------------------------------------- login, CSRF

#[tokio::test]
async fn login_sets_a_strict_httponly_session_cookie_and_logout_ends_it() {
    let app = App::new();
    let page = app.get("/login", None).await;
    let login_cookie = page.cookie("kaizen_login").unwrap();
    let attrs = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("kaizen_login="))
        .unwrap();
    assert!(
        attrs.contains("HttpOnly") && attrs.contains("SameSite=Strict"),
        "{attrs}"
    );
    assert_eq!(page.header(header::CACHE_CONTROL), "private, no-store");

    // Over https (a TLS-ending proxy says so), the cookie is Secure.
    let r = app
        .send(
            Request::post("/login")
                .header(header::COOKIE, &login_cookie)
                .header("x-forwarded-proto", "https")
                .body(Body::from(
                    serde_urlencoded::to_string([
                        ("name", MEMBER),
                        ("secret", app.secret.as_str()),
                        ("csrf", page.hidden("csrf").as_str()),
                        ("next", "//evil.example/"),
                    ])
                    .unwrap(),
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.header(header::LOCATION), "/", "next stays on this site");
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("kaizen_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set.contains(attr), "{attr} missing: {set}");
    }
    let token = set
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("kaizen_session=");
    assert_eq!(token.len(), 64, "256-bit token");

    // Plain http: not Secure.
    let (session, csrf) = app.login().await;
    let home = app.get("/", Some(&session)).await;
    assert!(home.text().contains(MEMBER), "the header names the member");
    assert!(home.text().contains("ログアウト"));
    assert_eq!(
        home.header(header::CACHE_CONTROL),
        "private, no-store",
        "a member's page (CSRF token inside) is not cached"
    );

    let r = app
        .post_form("/logout", Some(&session), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let gone = app.get("/cases/new", Some(&session)).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "session ended");
    assert!(gone.header(header::LOCATION).starts_with("/login?next="));
}

#[tokio::test]
async fn plain_http_session_cookie_is_not_secure() {
    let app = App::new();
    let page = app.get("/login", None).await;
    let r = app
        .post_form(
            "/login",
            Some(&page.cookie("kaizen_login").unwrap()),
            &[
                ("name", MEMBER),
                ("secret", &app.secret),
                ("csrf", &page.hidden("csrf")),
            ],
        )
        .await;
    let set = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("kaizen_session="))
        .unwrap();
    assert!(!set.contains("Secure"), "{set}");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
}

#[tokio::test]
async fn forms_without_or_with_a_wrong_csrf_token_are_403_and_write_nothing() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let before = case_files(&app.cases());
    let title = format!("{}の改善", word(20));
    let summary = format!("{}を進めた。", word(20));
    let mut pairs = form_pairs(&title, &summary);
    pairs.push(("action", "save"));

    for token in [None, Some("0".repeat(64))] {
        let mut p = pairs.clone();
        if let Some(t) = &token {
            p.push(("csrf", t));
        }
        let r = app.post_form("/cases/new", Some(&session), &p).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{token:?}");
        let html = r.text();
        assert!(html.contains("確認用の値が一致しない"), "{html}");
        assert!(html.contains(&title), "the member's text is kept");
    }
    // A cross-site POST carries no session cookie (SameSite=Strict).
    let mut p = pairs.clone();
    p.push(("csrf", &csrf));
    let r = app.post_form("/cases/new", None, &p).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let dna = app.cases().join("fukuoka-dna-undo.md");
    let etag = app
        .get("/api/cases/fukuoka-dna-undo", None)
        .await
        .header(header::ETAG);
    let r = app
        .post_form(
            "/cases/fukuoka-dna-undo/delete",
            Some(&session),
            &[("csrf", "wrong"), ("etag", etag.trim_matches('"'))],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(dna.exists(), "nothing deleted");
    let r = app
        .post_form("/logout", Some(&session), &[("csrf", "wrong")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The login form has its own token.
    let r = app
        .post_form(
            "/login",
            None,
            &[("name", MEMBER), ("secret", &app.secret), ("csrf", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.cookie("kaizen_session").is_none());

    assert_eq!(case_files(&app.cases()), before, "nothing written");
    assert!(app.ids_for(&word(20)).is_empty());
}

#[tokio::test]
async fn failed_logins_are_rate_limited_with_retry_after() {
    let app = App::new();
    let page = app.get("/login", None).await;
    let cookie = page.cookie("kaizen_login").unwrap();
    let csrf = page.hidden("csrf");
    let attempt = |secret: String| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.post_form(
                "/login",
                Some(&cookie),
                &[("name", MEMBER), ("secret", &secret), ("csrf", &csrf)],
            )
            .await
        }
    };
    for _ in 0..4 {
        let r = attempt("wrong".into()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.text().contains("会員名または合言葉が違います"));
    }
    // From the fifth failure on, the name is blocked for a while (2 s,
    // doubling): keep going until the limiter answers.
    let mut limited = None;
    for _ in 0..6 {
        let r = attempt("wrong".into()).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = limited.expect("failed logins must be limited");
    let retry: u64 = r.header(header::RETRY_AFTER).parse().unwrap();
    assert!(retry >= 1, "Retry-After: {retry}");
    assert!(r.text().contains("秒後にもう一度"));
    // While blocked, even the right secret is not checked.
    let r = attempt(app.secret.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.cookie("kaizen_session").is_none());
}

// ---------------------------------------------------------------- forms

#[tokio::test]
async fn a_form_with_problems_keeps_what_was_typed_and_marks_each_field() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let before = case_files(&app.cases());
    let title = format!("{}の窓口改善", word(30));
    let summary = "一行目\n二行目".to_owned();
    let changes = [("start_year", "昭和"), ("actors", "")];
    let pairs = new_case_form(&title, &summary, &changes, &csrf, "save");
    let r = app.post_form("/cases/new", Some(&session), &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(html.contains(&format!("value=\"{title}\"")), "title kept");
    assert!(html.contains("一行目\n二行目"), "textarea kept");
    assert!(
        html.contains("value=\"昭和\""),
        "the bad year is shown as typed"
    );
    for field in ["start_year", "actors"] {
        assert!(
            html.contains(&format!("id=\"f-{field}-error\"")),
            "{field} message next to the field"
        );
        assert!(
            html.contains(&format!("href=\"#f-{field}\"")),
            "summary links {field}"
        );
    }
    let start = html.find("id=\"f-start_year\"").unwrap();
    let input = &html[start..start + html[start..].find('>').unwrap()];
    assert!(input.contains("aria-invalid=\"true\""), "{input}");
    assert!(input.contains("f-start_year-error"), "{input}");
    assert!(html.contains("value=\"jinzai\" checked"), "checkboxes kept");
    assert_eq!(case_files(&app.cases()), before);

    // Preview: the case page layout, nothing written.
    let pairs = new_case_form(&title, &summary, &[], &csrf, "preview");
    let r = app.post_form("/cases/new", Some(&session), &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains("プレビュー（保存前）"));
    assert!(
        html.contains("<p>二行目</p>"),
        "rendered as on the case page"
    );
    assert!(html.contains("政令指定都市"), "the kind was inferred");
    assert_eq!(case_files(&app.cases()), before, "a preview writes nothing");

    // Save: to the case page, which says who saved it and when.
    let pairs = new_case_form(&title, &summary, &[], &csrf, "save");
    let r = app.post_form("/cases/new", Some(&session), &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let location = r.header(header::LOCATION);
    assert!(location.ends_with("?saved=1"), "{location}");
    let page = app.get(&location, Some(&session)).await;
    let html = page.text();
    assert!(html.contains("保存しました"));
    assert!(
        html.contains("最終更新 ") && html.contains(&format!(" · {MEMBER}</p>")),
        "who last edited it"
    );
    assert!(
        html.contains("/edit\"") && html.contains("/delete\""),
        "edit links"
    );
    let anon = app.get(&location, None).await.text();
    assert!(!anon.contains("/edit\""), "no edit link without login");
    let id = location
        .trim_start_matches("/cases/")
        .trim_end_matches("?saved=1");
    assert_eq!(app.ids_for(&word(30)), vec![id.to_owned()]);
}

#[tokio::test]
async fn a_stale_edit_keeps_the_members_text_and_overwrites_nothing() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let edit = app
        .get("/cases/fukuoka-dna-undo/edit", Some(&session))
        .await;
    assert_eq!(edit.status, StatusCode::OK);
    let old_etag = edit.hidden("etag");

    // Someone else saves first, through the API.
    let mut other = app.get("/api/cases/fukuoka-dna-undo", None).await.json();
    other["title"] = json!(format!("{}（他の人の版）", word(40)));
    let r = app
        .update("fukuoka-dna-undo", Some(&format!("\"{old_etag}\"")), &other)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let file = app.cases().join("fukuoka-dna-undo.md");
    let theirs = std::fs::read(&file).unwrap();

    let mine = format!("{}（私の版）", word(41));
    let summary = format!("{}を書き足した概要。", word(41));
    let pairs = edit_form_saved(&mine, &summary, &old_etag, &csrf);
    let r = app
        .post_form("/cases/fukuoka-dna-undo/edit", Some(&session), &pairs)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let html = r.text();
    assert!(
        html.contains("別の版が保存されました"),
        "a clear conflict message"
    );
    assert!(
        html.contains(&mine) && html.contains(&summary),
        "nothing lost"
    );
    assert!(html.contains(&word(40)), "their version is shown");
    assert_eq!(std::fs::read(&file).unwrap(), theirs, "nothing overwritten");
    assert!(app.ids_for(&word(41)).is_empty());

    // Saving again with both versions seen is a deliberate overwrite.
    let new_etag = r.hidden("etag");
    assert_ne!(new_etag, old_etag);
    let pairs = edit_form_saved(&mine, &summary, &new_etag, &csrf);
    let r = app
        .post_form("/cases/fukuoka-dna-undo/edit", Some(&session), &pairs)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.ids_for(&word(41)), vec!["fukuoka-dna-undo"]);
}

#[tokio::test]
async fn delete_asks_first_then_moves_the_file_to_the_trash() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let confirm = app
        .get("/cases/mie-sawayaka-undo/delete", Some(&session))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.text().contains("削除しますか"));
    assert!(
        app.cases().join("mie-sawayaka-undo.md").exists(),
        "a GET deletes nothing"
    );
    let r = app
        .post_form(
            "/cases/mie-sawayaka-undo/delete",
            Some(&session),
            &[("csrf", &csrf), ("etag", &confirm.hidden("etag"))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!app.cases().join("mie-sawayaka-undo.md").exists());
    assert_eq!(
        app.get("/cases/mie-sawayaka-undo", None).await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------- admin, CSV, completions

/// Polls (bounded) until `check` holds.
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_page_lists_invalid_files_and_their_last_valid_version_stays_searchable() {
    let app = App::new();
    let path = app.cases().join("fukuoka-dna-undo.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("levels = [\"業務改善\"", "levels = [\"業務改革\""),
    )
    .unwrap();
    // The admin page is for members.
    let (session, _) = app.login().await;
    let listed = eventually(Duration::from_secs(10), async || {
        app.get("/admin", Some(&session))
            .await
            .text()
            .contains("cases/fukuoka-dna-undo.md")
    })
    .await;
    assert!(listed.is_some(), "the invalid file is listed");
    let html = app.get("/admin", Some(&session)).await.text();
    assert!(html.contains("業務改革"), "the message names the bad value");
    assert!(html.contains("<td>levels</td>"), "the field");
    assert!(
        html.contains("以前の正しい版"),
        "its last valid version is searchable"
    );
    assert!(
        app.ids_for("DNAどんたく")
            .contains(&"fukuoka-dna-undo".to_owned())
    );
    // Such a file is fixed in the file, not through the form.
    let r = app
        .get("/cases/fukuoka-dna-undo/edit", Some(&session))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("フォームで編集できません"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn search_results_download_as_csv_with_the_same_filters() {
    let app = App::new();
    let page = app.get("/?q=%E6%94%B9%E5%96%84&level=jinzai", None).await;
    let html = page.text();
    let start = html.find("href=\"/api/search.csv?").expect("CSV link") + 6;
    let href = &html[start..start + html[start..].find('"').unwrap()];
    assert!(html.contains("CSVでダウンロード"));
    assert!(href.contains("level=jinzai"), "{href}");
    // As a browser reads the attribute.
    let href = href.replace("&#38;", "&").replace("&amp;", "&");
    let r = app.get(&href, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(
        r.header(header::CONTENT_DISPOSITION)
            .starts_with("attachment")
    );
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM for Excel");
    let api = app
        .get(
            "/api/search?q=%E6%94%B9%E5%96%84&level=jinzai&per_page=100",
            None,
        )
        .await
        .json();
    let total = api["total"].as_u64().unwrap();
    assert!(total > 0);
    assert_eq!(
        r.header(header::HeaderName::from_static("x-total-count")),
        total.to_string()
    );
    let records = csv_records(&r.body[3..]);
    assert_eq!(records.len() as u64, total, "one row per hit");
    let first_id = api["hits"][0]["id"].as_str().unwrap();
    assert!(
        records[0].starts_with(first_id),
        "best first: {}",
        records[0]
    );
}

/// Records of a CSV (header excluded): line breaks inside quotes are part
/// of a cell.
fn csv_records(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut records = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == '\n' && !quoted {
            records.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    if !current.trim().is_empty() {
        records.push(current);
    }
    records.into_iter().skip(1).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completions_follow_a_new_case() {
    let app = App::new();
    let r = app.create(&case_json(Some("web-suggest"), &word(50))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let prefix = word(50).chars().take(3).collect::<String>();
    let uri = format!("/api/suggest?q={}", urlencode(&prefix));
    let found = eventually(Duration::from_secs(10), async || {
        app.get(&uri, None).await.text().contains(&word(50))
    })
    .await;
    assert!(
        found.is_some(),
        "the completion list is rebuilt after a commit"
    );
}

// ------------------------------------------------- over real sockets

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

async fn http(
    client: &HttpClient,
    method: Method,
    url: &str,
    auth: Option<&str>,
    body: Option<&Value>,
) -> Result<(StatusCode, Value), String> {
    let mut b = Request::builder().method(method).uri(url);
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    let body = body.map_or_else(Bytes::new, |v| Bytes::from(serde_json::to_vec(v).unwrap()));
    let res = client
        .request(b.body(Full::new(body)).unwrap())
        .await
        .map_err(|e| e.to_string())?;
    let status = res.status();
    let bytes = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// `GET url`: the status and the JSON answer.
async fn http_get(client: &HttpClient, url: &str) -> (StatusCode, Value) {
    http(client, Method::GET, url, None, None).await.unwrap()
}

/// Creates `body` through `POST {base}/api/cases` as the member whose
/// `Authorization` value is `auth`.
async fn http_create(
    client: &HttpClient,
    base: &str,
    auth: &str,
    body: &Value,
) -> Result<(StatusCode, Value), String> {
    http(
        client,
        Method::POST,
        &format!("{base}/api/cases"),
        Some(auth),
        Some(body),
    )
    .await
}

async fn search_total(client: &HttpClient, base: &str, q: &str) -> u64 {
    let (status, j) = http_get(client, &format!("{base}/api/search?q={}", urlencode(q))).await;
    assert_eq!(status, StatusCode::OK);
    j["total"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_api_creates_give_a_hundred_files_and_searchable_cases() {
    let app = App::new();
    let base = app.listen().await;
    let client = http_client();
    let before = case_files(&app.cases()).len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..100 {
        let (client, base, auth) = (client.clone(), base.clone(), app.bearer());
        tasks.push(tokio::spawn(async move {
            let body = case_json(Some(&format!("web-many-{n:03}")), &word(100 + n));
            http_create(&client, &base, &auth, &body).await
        }));
    }
    for t in tasks {
        let (status, j) = t.await.unwrap().unwrap();
        assert_eq!(status, StatusCode::CREATED, "{j}");
    }
    eprintln!("100 concurrent creates answered in {:?}", started.elapsed());
    assert_eq!(case_files(&app.cases()).len(), before + 100, "100 files");
    assert_eq!(app.state.index.num_cases() as usize, before + 100);
    for n in 0..100 {
        assert_eq!(
            search_total(&client, &base, &word(100 + n)).await,
            1,
            "{} searchable",
            word(100 + n)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_dropped_into_cases_while_serving_is_searchable_within_two_seconds() {
    let app = App::new();
    let base = app.listen().await;
    let client = http_client();
    let text = std::fs::read_to_string(app.cases().join("fukuoka-dna-undo.md"))
        .unwrap()
        .replace("id = \"fukuoka-dna-undo\"", "id = \"web-dropped\"")
        .replace("## 概要\n", &format!("## 概要\n{}。", word(60)));
    let t = Instant::now();
    std::fs::write(app.cases().join("web-dropped.md"), text).unwrap();
    let took = eventually(Duration::from_secs(10), async || {
        search_total(&client, &base, &word(60)).await == 1
    })
    .await
    .expect("a dropped file becomes searchable");
    eprintln!("dropped file → searchable over HTTP: {:?}", t.elapsed());
    assert!(took < Duration::from_secs(2), "took {took:?}");
}

// ------------------------------------------- the real `serve` process

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_between_file_write_and_index_commit_has_the_case_after_restart() {
    let (dir, auth) = workspace();
    let client = http_client();

    let mut server = serve(dir.path())
        .env(kaizen_wa::live::CRASH_AFTER_WRITE_ENV, "1")
        .start();
    let body = case_json(Some("web-crashed"), &word(70));
    let answer = http_create(&client, &server.base(), &auth, &body).await;
    assert!(
        answer.is_err(),
        "the server dies before answering: {answer:?}"
    );
    let status = server.child.wait().unwrap();
    assert!(!status.success(), "aborted: {status:?}");
    assert!(
        dir.path().join("cases/web-crashed.md").exists(),
        "the file was written"
    );
    drop(server);

    // The restarted server answers at once from the index as it was (which
    // lacks the case); once /readyz says it has converged (when `start`
    // returns), the case is in.
    let server = serve(dir.path()).start();
    assert_eq!(
        search_total(&client, &server.base(), &word(70)).await,
        1,
        "searchable after restart"
    );
    let (status, j) = http_get(&client, &format!("{}/api/cases/web-crashed", server.base())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(j["contributor"], MEMBER);
}

/// Create → searchable and outside edit → searchable, through HTTP against
/// the real server. Run with `--release` for figures worth quoting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "figures: cargo test --release --test it -- --ignored --nocapture web_write::write_latency_figures"]
async fn write_latency_figures() {
    let (dir, auth) = workspace();
    // A hundred creates at once come from one address: lift the cap on
    // connections per address, which is there for hostile clients.
    let server = serve(dir.path())
        .args(&["--max-connections-per-address", "0"])
        .start();
    let client = http_client();
    let base = server.base();
    let pct = |v: &mut Vec<Duration>, p: f64| {
        v.sort();
        v[((v.len() - 1) as f64 * p).round() as usize]
    };

    // One at a time: the request returns after the commit; the case is
    // then searched for (a separate request) until found.
    // From the create request to the case being found by a search.
    let create_then_find = |id: String, w: String| {
        let (client, base, auth) = (client.clone(), base.clone(), auth.clone());
        async move {
            let body = case_json(Some(&id), &w);
            let t = Instant::now();
            let (status, _) = http_create(&client, &base, &auth, &body).await.unwrap();
            assert_eq!(status, StatusCode::CREATED);
            while search_total(&client, &base, &w).await != 1 {}
            t.elapsed()
        }
    };
    let mut one = Vec::new();
    for n in 0..100 {
        one.push(create_then_find(format!("fig-seq-{n:03}"), word(200 + n)).await);
    }

    // A hundred at once: each create's own request-to-searchable time.
    let mut tasks = Vec::new();
    for n in 0..100 {
        tasks.push(tokio::spawn(create_then_find(
            format!("fig-par-{n:03}"),
            word(400 + n),
        )));
    }
    let mut many = Vec::new();
    for t in tasks {
        many.push(t.await.unwrap());
    }

    // Outside edits: a file written into cases/, polled every 5 ms.
    let template = std::fs::read_to_string(dir.path().join("cases/fukuoka-dna-undo.md")).unwrap();
    let mut outside = Vec::new();
    for n in 0..20 {
        let id = format!("fig-out-{n:02}");
        let text = template
            .replace("id = \"fukuoka-dna-undo\"", &format!("id = \"{id}\""))
            .replace("## 概要\n", &format!("## 概要\n{}。", word(600 + n)));
        let t = Instant::now();
        std::fs::write(dir.path().join(format!("cases/{id}.md")), text).unwrap();
        while search_total(&client, &base, &word(600 + n)).await != 1 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        outside.push(t.elapsed());
    }
    println!(
        "create → searchable, one at a time (100): p50 {:?}, p99 {:?}",
        pct(&mut one, 0.5),
        pct(&mut one, 0.99)
    );
    println!(
        "create → searchable, 100 at once: p50 {:?}, p99 {:?}",
        pct(&mut many, 0.5),
        pct(&mut many, 0.99)
    );
    println!(
        "outside file → searchable (20, debounce 300 ms): p50 {:?}, max {:?}",
        pct(&mut outside, 0.5),
        pct(&mut outside, 1.0)
    );
}

/// A restart keeps members logged in (same session, same form token);
/// removing the member still ends the session, also in the kept file.
#[tokio::test]
async fn a_restart_keeps_members_logged_in_and_a_removed_member_is_logged_out() {
    let app = App::new();
    let (session, csrf) = app.login().await;
    let sessions_file = app.dir.path().join("members.sessions.json");
    assert!(sessions_file.exists());

    let app = app.restart();
    let form = app.get("/cases/new", Some(&session)).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.text());
    assert_eq!(form.hidden("csrf"), csrf);

    let mut m = Members::load(&app.dir.path().join("members.toml")).unwrap();
    m.remove(MEMBER).unwrap();
    m.save().unwrap();
    let form = app.get("/cases/new", Some(&session)).await;
    assert_ne!(form.status, StatusCode::OK, "{}", form.text());
    // Even with the member back, the ended session stays ended.
    add_member(&app.dir.path().join("members.toml"), MEMBER);
    let app = app.restart();
    let form = app.get("/cases/new", Some(&session)).await;
    assert_ne!(form.status, StatusCode::OK, "{}", form.text());
}
