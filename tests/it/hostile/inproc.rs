//! Hostile requests and planted files, through the router in this process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use super::{MEMBER, case_body, case_file};
use crate::common::App;

/// A server over a temp copy of the samples, one member; client addresses
/// come from `X-Forwarded-For` (as behind a proxy), so tests can play
/// several clients.
pub fn app() -> App {
    App::setup().behind_proxy().open()
}

// ------------------------------------------------------------ item 2

/// Item 2: `POST /api/cases` read a 2 MB body before checking the secret.
/// The body here never ends: the answer must come without reading it.
#[tokio::test]
async fn an_anonymous_write_is_refused_before_its_body_is_read() {
    let app = app();
    let r = endless_create(&app, None, "2000000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthorized");

    // A member's body over the limit: 413 in JSON, judged by its
    // Content-Length before a byte is read.
    let r = endless_create(&app, Some(app.bearer()), "3000000").await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"]["code"], "too_large");
}

/// `POST /api/cases` (as `auth`, when given) of a JSON body that claims
/// `length` bytes and never ends; the answer, which must come within ten
/// seconds without the body read.
async fn endless_create(app: &App, auth: Option<String>, length: &str) -> crate::common::Reply {
    // The sender lives until the answer: the body stays open, not ended.
    let (_tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    let endless = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut req = Request::post("/api/cases");
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth);
    }
    let req = req
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, length)
        .body(Body::from_stream(endless))
        .unwrap();
    tokio::time::timeout(Duration::from_secs(10), app.send(req))
        .await
        .expect("answered without waiting for the body")
}

// ------------------------------------------------------- items 3, 7

/// Item 3: a symlink in `cases/` to `/dev/zero`, to a valid case outside
/// `cases/`, to `/etc/passwd`, a symlinked folder; item 7: a file over
/// the size limit. None is read or served; each is listed as a problem;
/// the start-up sync and the watcher agree (the index converges).
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_special_and_huge_files_are_never_read() {
    use std::os::unix::fs::symlink;
    let app = app();
    let outside = app.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("secret.md"),
        case_file("outside-secret", "外の秘密"),
    )
    .unwrap();
    std::fs::write(
        outside.join("also.md"),
        case_file("outside-also", "外の別件"),
    )
    .unwrap();
    let before = app.indexed_ids();

    let cases = app.cases();
    symlink("/dev/zero", cases.join("z.md")).unwrap();
    symlink(outside.join("secret.md"), cases.join("x.md")).unwrap();
    symlink("/etc/passwd", cases.join("passwd.md")).unwrap();
    symlink(&outside, cases.join("linked")).unwrap();
    let mut huge = case_file("huge-case", "大きすぎる事例");
    huge.push_str(&"あ".repeat(400_000)); // 1.2 MB
    std::fs::write(cases.join("huge-case.md"), huge).unwrap();

    // The watcher sees them (debounce), then a full re-sync: both paths.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.resync().await;
    assert_eq!(app.indexed_ids(), before, "nothing new indexed");
    for id in ["outside-secret", "outside-also", "huge-case"] {
        let r = app.get(&format!("/api/cases/{id}"), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id} must not be served");
    }
    let session = app.session().await;
    let admin = app.get("/admin", Some(&session)).await;
    assert_eq!(admin.status, StatusCode::OK);
    let page = admin.text();
    for name in ["z.md", "x.md", "passwd.md", "huge-case.md"] {
        assert!(
            page.contains(&format!("cases/{name}")),
            "{name} listed:\n{page}"
        );
    }
    assert!(page.contains("通常のファイルではない"), "{page}");
    assert!(page.contains("大きすぎる"), "{page}");
    assert!(!page.contains("root:x:0:0"), "/etc/passwd shown");

    // A restart converges to the same index.
    let app = app.restart();
    assert_eq!(app.indexed_ids(), before, "the start-up sync agrees");
}

/// Item 4: a FIFO named like a case file blocked the writer for good.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifo_in_cases_blocks_no_write() {
    let app = app();
    let fifo = app.cases().join("f.md");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    // Let the watcher reach it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let first = tokio::time::timeout(
        Duration::from_secs(20),
        app.create(&case_body(Some("after-fifo"), "FIFOのあと")),
    )
    .await
    .expect("a write next to a FIFO completes");
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    // An update scans the folder (where the FIFO is).
    let etag = first.json()["etag"].as_str().unwrap().to_owned();
    let auth = app.bearer();
    let upd = tokio::time::timeout(
        Duration::from_secs(20),
        app.api(
            Method::PUT,
            "/api/cases/after-fifo",
            None,
            &[
                ("authorization", &auth),
                ("if-match", &format!("\"{etag}\"")),
            ],
            Some(&case_body(Some("after-fifo"), "FIFOのあと2")),
        ),
    )
    .await
    .expect("an update next to a FIFO completes");
    assert_eq!(upd.status, StatusCode::OK, "{}", upd.text());
    std::fs::remove_file(&fifo).unwrap();
    let later = tokio::time::timeout(
        Duration::from_secs(20),
        app.create(&case_body(Some("after-fifo-gone"), "FIFOが消えたあと")),
    )
    .await
    .expect("writes go on after the FIFO is gone");
    assert_eq!(later.status, StatusCode::CREATED);
}

// ------------------------------------------------------------ item 5

/// Item 5: `/admin` opened without login and showed the server's folder.
#[tokio::test]
async fn admin_is_for_members_and_shows_no_server_path() {
    let app = app();
    let r = app.get("/admin", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers.get(header::LOCATION).unwrap().to_str().unwrap();
    assert!(location.starts_with("/login"), "{location}");
    let session = app.session().await;
    let r = app.get("/admin", Some(&session)).await;
    assert_eq!(r.status, StatusCode::OK);
    let root = app.dir.path().to_string_lossy().into_owned();
    for page in ["/admin", "/login", "/", "/stats"] {
        let text = app.get(page, Some(&session)).await.text();
        assert!(!text.contains(&root), "{page} shows {root}");
    }
}

// ------------------------------------------------------------ item 6

/// Item 6: 200 parallel wrong secrets from one address all reached argon2
/// (200 × 401, 0 × 429) and delayed a member's write by 37 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_secrets_are_counted_before_they_are_checked() {
    let app = Arc::new(app());
    let mut tasks = Vec::new();
    for n in 0..200 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            app.api(
                Method::DELETE,
                "/api/cases/fukuoka-dna-undo",
                None,
                &[
                    ("authorization", &format!("Bearer wrong-{n}")),
                    ("x-forwarded-for", "198.51.100.7"),
                ],
                None,
            )
            .await
            .status
        }));
    }
    let mut unauthorized = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            s => panic!("unexpected {s}"),
        }
    }
    assert!(
        unauthorized <= 20,
        "{unauthorized} × 401: checked past the limit"
    );
    assert_eq!(unauthorized + limited, 200);
    // A member elsewhere is not held up by that queue.
    let started = Instant::now();
    let auth = app.bearer();
    let r = app
        .api(
            Method::POST,
            "/api/cases",
            None,
            &[("authorization", &auth), ("x-forwarded-for", "203.0.113.9")],
            Some(&case_body(Some("member-after-flood"), "洪水のあと")),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

/// Item 6: six failed logins for one name from six addresses locked the
/// member out everywhere.
#[tokio::test]
async fn failed_logins_for_a_name_elsewhere_do_not_lock_the_member_out() {
    let app = app();
    for n in 0..6 {
        let r = app
            .login_as(&format!("198.51.100.{n}"), MEMBER, "wrong-secret")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // From one address, the name does get blocked there.
    for _ in 0..5 {
        app.login_as("198.51.100.50", MEMBER, "wrong").await;
    }
    let blocked = app.login_as("198.51.100.50", MEMBER, "wrong").await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let secret = app.secret.clone();
    let r = app.login_as("203.0.113.1", MEMBER, &secret).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}

// ------------------------------------------------------------ item 8

/// Item 8: a lone CR hid a `## ` heading inside a section.
#[tokio::test]
async fn a_lone_cr_cannot_inject_a_section() {
    let app = app();
    let mut body = case_body(Some("cr-inject"), "CR");
    body["sections"]["summary"] = json!("a\r## 失敗・課題\r注入");
    let r = app.create(&body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    for text in ["a\u{2028}## 成果\nx", "a\u{85}## 成果"] {
        body["sections"]["summary"] = json!(text);
        assert_eq!(
            app.create(&body).await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let mut body = case_body(Some("cr-heading"), "CR");
    body["extra_sections"] = json!([["メモ\r## 失敗・課題", "注入"]]);
    let r = app.create(&body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    // A lone CR in plain text is a line break, stored as LF.
    let mut body = case_body(Some("cr-plain"), "CR");
    body["sections"]["summary"] = json!("一行目\r二行目");
    let r = app.create(&body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["case"]["sections"]["summary"], "一行目\n二行目");
    let file = std::fs::read_to_string(app.cases().join("cr-plain.md")).unwrap();
    assert!(!file.contains('\r'));
}

// ------------------------------------------------------------ item 9

/// Item 9: `readme` was accepted (and vanished at restart), Windows device
/// names were accepted, an id with NUL or over 255 bytes gave 500, and an
/// id held by an invalid file could be taken.
#[tokio::test]
async fn ids_that_cannot_be_files_are_refused_and_never_500() {
    let app = App::setup().behind_proxy().prepared(|dir| {
        std::fs::create_dir_all(dir.join("cases/sub")).unwrap();
        // Valid but for its levels: not indexed, and holds its id.
        let text = case_file("held-by-invalid", "壊れた事例").replace("業務改善", "業務改革");
        std::fs::write(dir.join("cases/sub/broken.md"), text).unwrap();
    });
    for id in [
        "readme", "README", "con", "nul", "aux", "prn", "com1", "lpt1",
    ] {
        let r = app.create(&case_body(Some(id), "予約名")).await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{id}: {} {}",
            r.status,
            r.text()
        );
    }
    let r = app
        .create(&case_body(Some("held-by-invalid"), "横取り"))
        .await;
    assert!(
        r.status == StatusCode::CONFLICT || r.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{} {}",
        r.status,
        r.text()
    );
    assert!(!app.cases().join("held-by-invalid.md").exists());

    let long = "a".repeat(300);
    let session = app.session().await;
    let auth = app.bearer();
    for id in ["a%00b", long.as_str(), "%2e%2e%2fetc", "x%0a%1b%5b2J"] {
        let r = app
            .api(
                Method::DELETE,
                &format!("/api/cases/{id}"),
                None,
                &[("authorization", &auth)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "DELETE {id}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "not_found");
        for page in ["edit", "delete"] {
            let r = app
                .get(&format!("/cases/{id}/{page}"), Some(&session))
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{page} {id}");
        }
    }
}

// ----------------------------------------------------------- item 10

/// Item 10: `If-Match: *` answered 412 under concurrency, though it means
/// "overwrite whatever is there".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_star_always_overwrites() {
    let app = Arc::new(app());
    assert_eq!(
        app.create(&case_body(Some("star"), "星")).await.status,
        StatusCode::CREATED
    );
    let mut tasks = Vec::new();
    for n in 0..40 {
        let app = Arc::clone(&app);
        tasks.push(tokio::spawn(async move {
            let auth = app.bearer();
            app.api(
                Method::PUT,
                "/api/cases/star",
                None,
                &[("authorization", &auth), ("if-match", "*")],
                Some(&case_body(Some("star"), &format!("星 {n}"))),
            )
            .await
            .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), StatusCode::OK);
    }
}

// ----------------------------------------------------------- item 13

/// Item 13: the login accepted any cookie and field that were equal.
#[tokio::test]
async fn a_made_up_login_token_is_refused() {
    let app = app();
    let token = "a".repeat(64);
    let secret = app.secret.clone();
    let r = app
        .post_form_with(
            "/login",
            &[("cookie", &format!("kaizen_login={token}"))],
            &[("name", MEMBER), ("secret", &secret), ("csrf", &token)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.cookie("kaizen_session").is_none());
}

// ----------------------------------------------------------- item 14

/// A request and the status it must get.
type Probe<'a> = (Method, &'a str, Vec<(&'a str, &'a str)>, StatusCode);

/// Item 14: some 4xx were text/plain, 405 had an empty body, 413 was text.
#[tokio::test]
async fn every_api_error_is_json() {
    let app = app();
    let auth = app.bearer();
    let cases: Vec<Probe> = vec![
        (
            Method::GET,
            "/api/suggest?q=a&limit=-1",
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/cases/x/similar?limit=abc",
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/cases/%FF%FE",
            vec![],
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::PATCH,
            "/api/cases/fukuoka-dna-undo",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::DELETE,
            "/api/search",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Method::GET,
            "/api/nothing-here",
            vec![],
            StatusCode::NOT_FOUND,
        ),
        (
            Method::POST,
            "/api/cases",
            vec![
                ("authorization", auth.as_str()),
                ("content-length", "99999999"),
            ],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (method, uri, headers, status) in cases {
        let r = app.api(method.clone(), uri, None, &headers, None).await;
        assert_eq!(r.status, status, "{method} {uri}: {}", r.text());
        let ct = r
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(ct.as_deref(), Some("application/json"), "{method} {uri}");
        let j = r.json();
        assert!(j["error"]["code"].is_string(), "{method} {uri}: {j}");
        assert!(!j["error"]["message"].as_str().unwrap().is_empty());
    }
}

/// Item 14: a client generated from the OpenAPI document could not create
/// a case (filters marked required, no ranges, no required case fields,
/// `extra_sections` declared wrongly).
#[tokio::test]
async fn the_openapi_document_describes_what_the_server_accepts() {
    let app = app();
    let doc = app.get("/api/openapi.json", None).await.json();
    let params = doc["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for p in params {
        assert_ne!(p["required"], json!(true), "{} must be optional", p["name"]);
    }
    let per_page = params.iter().find(|p| p["name"] == "per_page").unwrap();
    assert_eq!(per_page["schema"]["maximum"], json!(100));
    assert_eq!(per_page["schema"]["minimum"], json!(1));
    let input = &doc["components"]["schemas"]["CaseInput"];
    let required: Vec<&str> = input["required"]
        .as_array()
        .expect("CaseInput lists required fields")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "title",
        "municipality",
        "prefecture",
        "levels",
        "period",
        "sections",
        "sources",
    ] {
        assert!(required.contains(&field), "{field} required: {required:?}");
    }
    let pair = &input["properties"]["extra_sections"]["items"];
    assert_eq!(pair["minItems"], json!(2), "{pair}");
    assert_eq!(pair["maxItems"], json!(2), "{pair}");
}

// ----------------------------------------------------------- item 15

/// Item 15: temp files a crash left in `cases/` stayed for ever.
#[tokio::test]
async fn temp_files_left_by_a_crash_are_removed_at_start() {
    let app = App::setup().behind_proxy().prepared(|dir| {
        // pid 0 is never a process of ours: a dead writer's leftover.
        std::fs::write(dir.join("cases/.kept.md.0.17.tmp"), "half a case").unwrap();
        std::fs::create_dir_all(dir.join("cases/sub")).unwrap();
        std::fs::write(dir.join("cases/sub/.other.md.0.3.tmp"), "").unwrap();
    });
    assert!(!app.cases().join(".kept.md.0.17.tmp").exists());
    assert!(!app.cases().join("sub/.other.md.0.3.tmp").exists());
}
