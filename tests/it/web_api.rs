//! In-process tests of the HTTP API and pages: every endpoint, every error
//! and limit, over an index built from a temporary copy of `cases/`.

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::Value;

use crate::common::{App, Reply, urlencode};

/// One app for the module, over an index built before it serves: building
/// the index is the slow part, and these tests only read.
fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| App::setup().no_members_file().synced().open())
}

async fn send(req: Request<Body>) -> Reply {
    app().send(req).await
}

async fn get(uri: &str) -> Reply {
    app().get(uri, None).await
}

/// The hits of a search answer.
fn hits(answer: &Value) -> &[Value] {
    answer["hits"].as_array().unwrap()
}

/// `q=` and `s`, percent-encoded.
fn enc(s: &str) -> String {
    format!("q={}", urlencode(s))
}

async fn assert_bad(uri: &str, param: &str) {
    let r = get(uri).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}: {}", r.text());
    let j = r.json();
    assert_eq!(j["error"]["code"], "bad_parameter", "{uri}");
    assert_eq!(j["error"]["param"], param, "{uri}");
    let msg = j["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains(param),
        "{uri}: message should name {param}: {msg}"
    );
}

#[tokio::test]
async fn search_returns_hits_snippets_and_facets() {
    let r = get(&format!("/api/search?{}", enc("改善運動"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["total"].as_u64().unwrap() > 0);
    assert!(j["took_ms"].as_f64().is_some());
    let hit = &j["hits"][0];
    for key in [
        "id",
        "title",
        "municipality",
        "prefecture",
        "levels",
        "period",
        "score",
        "snippets",
    ] {
        assert!(!hit[key].is_null(), "hit has no {key}: {hit}");
    }
    let snippets = hit["snippets"].as_array().unwrap();
    assert!(
        snippets
            .iter()
            .any(|s| s["html"].as_str().unwrap().contains("<mark>")),
        "{hit}"
    );
    assert!(
        snippets
            .iter()
            .all(|s| s["heading"].is_string() && s["section"].is_string())
    );
    for facet in ["level", "prefecture", "kind", "decade"] {
        assert!(
            !j["facets"][facet].as_array().unwrap().is_empty(),
            "facet {facet} empty"
        );
    }
}

#[tokio::test]
async fn empty_query_browses_everything_with_paging() {
    let j = get("/api/search?per_page=5&page=2").await.json();
    assert_eq!(j["total"].as_u64().unwrap() as usize, app().samples);
    assert_eq!(hits(&j).len(), 5);
    assert_eq!(j["page"], 2);
    let last = get("/api/search?per_page=5&page=3").await.json();
    assert_eq!(hits(&last).len(), app().samples - 10);
}

#[tokio::test]
async fn level_filter_and_drill_down_counts() {
    let all = get("/api/search").await.json();
    let j = get("/api/search?level=%E4%BA%BA%E6%9D%90%E8%82%B2%E6%88%90")
        .await
        .json(); // 人材育成
    let total = j["total"].as_u64().unwrap();
    assert!(total > 0 && total < all["total"].as_u64().unwrap());
    for h in hits(&j) {
        assert!(
            h["levels"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == "人材育成"),
            "{h}"
        );
    }
    // The level facet ignores its own filter (other levels stay offered)…
    assert!(j["facets"]["level"].as_array().unwrap().len() > 1);
    // …while the prefecture facet honours it.
    let pref_sum: u64 = j["facets"]["prefecture"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_u64().unwrap())
        .sum();
    assert_eq!(pref_sum, total);
    // Slugs and repeated levels (any of them).
    let two = get("/api/search?level=jinzai&level=gyomu").await.json();
    assert!(two["total"].as_u64().unwrap() >= total);
}

#[tokio::test]
async fn section_scoped_search_only_matches_that_section() {
    let q = "section=%E5%A4%B1%E6%95%97%E3%83%BB%E8%AA%B2%E9%A1%8C&q=%E9%A6%96%E9%95%B7"; // 失敗・課題, 首長
    let j = get(&format!("/api/search?{q}")).await.json();
    assert!(j["total"].as_u64().unwrap() > 0, "{j}");
    for h in hits(&j) {
        for s in h["snippets"].as_array().unwrap() {
            assert_eq!(s["section"], "failures", "{h}");
        }
    }
    let by_key = get("/api/search?section=failures&q=%E9%A6%96%E9%95%B7")
        .await
        .json();
    assert_eq!(by_key["total"], j["total"]);
}

#[tokio::test]
async fn sorts_and_filters() {
    let newest = get("/api/search?sort=newest&per_page=100").await.json();
    let dates: Vec<&str> = hits(&newest)
        .iter()
        .map(|h| h["updated"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);
    let period = get("/api/search?sort=period&per_page=100").await.json();
    let starts: Vec<i64> = hits(&period)
        .iter()
        .map(|h| h["period"]["start"].as_i64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]), "{starts:?}");
    let mie = get("/api/search?prefecture=%E4%B8%89%E9%87%8D%E7%9C%8C")
        .await
        .json(); // 三重県
    assert!(mie["total"].as_u64().unwrap() >= 2);
    assert!(hits(&mie).iter().all(|h| h["prefecture"] == "三重県"));
    let town = get("/api/search?kind=%E7%94%BA").await.json(); // 町
    assert!(hits(&town).iter().all(|h| h["kind"] == "町"));
    let muni = get("/api/search?municipality=%E7%A6%8F%E5%B2%A1%E5%B8%82")
        .await
        .json(); // 福岡市
    assert_eq!(muni["total"], 1);
    let years = get("/api/search?year_from=2000&year_to=2003&per_page=100")
        .await
        .json();
    for h in hits(&years) {
        let start = h["period"]["start"].as_i64().unwrap();
        let end = h["period"]["end"].as_i64().unwrap_or(9999);
        assert!(start <= 2003 && end >= 2000, "{h}");
    }
}

#[tokio::test]
async fn bad_parameters_are_400_naming_the_parameter() {
    assert_bad(
        "/api/search?level=%E6%A5%AD%E5%8B%99%E6%94%B9%E9%9D%A9",
        "level",
    )
    .await; // 業務改革
    assert_bad("/api/search?per_page=101", "per_page").await;
    assert_bad("/api/search?per_page=0", "per_page").await;
    assert_bad("/api/search?page=0", "page").await;
    assert_bad("/api/search?page=abc", "page").await;
    assert_bad("/api/search?page=101&per_page=100", "page").await;
    assert_bad("/api/search?page=1001", "page").await;
    assert_bad("/api/search?sort=best", "sort").await;
    assert_bad("/api/search?section=nope", "section").await;
    assert_bad("/api/search?kind=%E5%B7%9E", "kind").await;
    assert_bad("/api/search?year_from=20x0", "year_from").await;
    assert_bad("/api/search?year_from=2010&year_to=2000", "year_to").await;
    assert_bad(&format!("/api/search?{}", enc(&"改".repeat(513))), "q").await;
    assert_bad(&format!("/api/suggest?{}", enc(&"a".repeat(513))), "q").await;
    assert_bad("/api/suggest?q=a&limit=0", "limit").await;
    assert_bad("/api/cases/fukuoka-dna-undo/similar?limit=21", "limit").await;
    // The limits themselves are fine.
    assert_eq!(
        get(&format!(
            "/api/search?per_page=100&{}",
            enc(&"改".repeat(512))
        ))
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(
        get("/api/search?page=100&per_page=100").await.status,
        StatusCode::OK
    );
    // The level error suggests the nearest level.
    let j = get("/api/search?level=%E6%A5%AD%E5%8B%99%E6%94%B9%E9%9D%A9")
        .await
        .json();
    assert!(j["error"]["message"].as_str().unwrap().contains("業務改善"));
}

#[tokio::test]
async fn odd_queries_never_fail() {
    let odd = [
        "\"",
        "「",
        "」",
        "\"\"",
        "「」",
        "-",
        "--",
        "- -",
        "OR",
        "OR OR",
        "a OR",
        "OR a",
        "-改善",
        "改善 -改善",
        "*",
        "?",
        "(",
        ")",
        "[",
        "\\",
        "/",
        ":",
        "^",
        "~",
        "+",
        "&&",
        "||",
        "!",
        "'",
        "%",
        "　",
        "  ",
        "\t",
        "😀",
        "🇯🇵",
        "\u{0}",
        "\u{200b}",
        "ｶｲｾﾞﾝ",
        "ー",
        "ーー",
        "ヶ",
        "々",
        "〜",
        "改善\"運動",
        "\"改善",
        "「改善",
        "a\"b\"c\"",
        "-\"改善運動\"",
        "title:改善",
        "改善^2",
        ".*",
        "(?i)a",
        "\\u0000",
        "<script>",
    ];
    for q in odd {
        for extra in ["", "&section=failures", "&sort=newest", "&level=gyomu"] {
            let r = get(&format!("/api/search?{}{extra}", enc(q))).await;
            assert!(
                r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST,
                "{q:?}{extra}: {} {}",
                r.status,
                r.text()
            );
            if r.status == StatusCode::OK {
                let j = r.json();
                assert!(j["total"].is_u64(), "{q:?}");
                assert!(!r.text().contains("<script>"), "{q:?}: unescaped");
            }
            let page = get(&format!("/?{}{extra}", enc(q))).await;
            assert_eq!(page.status, StatusCode::OK, "page {q:?}{extra}");
        }
    }
    let r = get("/api/search?q=%FF%FE").await;
    assert!(
        r.status.is_client_error() || r.status == StatusCode::OK,
        "{}",
        r.status
    );
    assert!(
        !get("/?q=%3Cscript%3E").await.text().contains("<script>"),
        "query echoed unescaped"
    );
}

#[tokio::test]
async fn case_by_id_and_404() {
    let r = get("/api/cases/fukuoka-dna-undo").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert_eq!(j["id"], "fukuoka-dna-undo");
    assert_eq!(j["municipality"], "福岡市");
    assert!(j["sections"]["summary"].as_str().unwrap().contains("DNA"));
    assert!(!j["sources"].as_array().unwrap().is_empty());
    for uri in ["/api/cases/no-such-case", "/api/cases/no-such-case/similar"] {
        let r = get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
}

#[tokio::test]
async fn similar_cases_exclude_the_case_itself() {
    let j = get("/api/cases/mie-sawayaka-undo/similar").await.json();
    let similar = j["similar"].as_array().unwrap();
    assert!(!similar.is_empty() && similar.len() <= 5);
    assert!(similar.iter().all(|s| s["id"] != "mie-sawayaka-undo"));
    let scores: Vec<f64> = similar
        .iter()
        .map(|s| s["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
    assert!(
        similar
            .iter()
            .any(|s| !s["shared"].as_array().unwrap().is_empty())
    );
    let two = get("/api/cases/mie-sawayaka-undo/similar?limit=2")
        .await
        .json();
    assert_eq!(two["similar"].as_array().unwrap().len(), 2);
}

async fn suggestions(q: &str) -> Vec<String> {
    let j = get(&format!("/api/suggest?{}", enc(q))).await.json();
    j["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn suggest_completes_names_terms_and_kana_prefixes() {
    assert!(suggestions("福").await.contains(&"福岡市".to_owned()));
    assert!(
        suggestions("ふくお").await.contains(&"福岡市".to_owned()),
        "{:?}",
        suggestions("ふくお").await
    );
    assert!(
        suggestions("ミエ").await.contains(&"三重県".to_owned()),
        "{:?}",
        suggestions("ミエ").await
    );
    let kai = suggestions("かいぜ").await;
    assert!(kai.iter().any(|s| s.starts_with("改善")), "{kai:?}");
    assert!(suggestions("").await.is_empty());
    assert!(suggestions("ゑゑゑ").await.is_empty());
    assert!(suggestions("所沢").await.iter().any(|s| s.contains("所沢")));
}

#[tokio::test]
async fn stats_count_levels_prefectures_years() {
    let j = get("/api/stats").await.json();
    assert_eq!(j["total"].as_u64().unwrap() as usize, app().samples);
    let levels = j["by_level"].as_array().unwrap();
    assert_eq!(levels.len(), 5);
    assert!(counted(&j["by_level"]) >= app().samples as u64);
    assert_eq!(counted(&j["by_prefecture"]) as usize, app().samples);
    assert_eq!(counted(&j["by_start_year"]) as usize, app().samples);
}

/// The sum of the `count`s in a list of the stats.
fn counted(list: &Value) -> u64 {
    list.as_array()
        .unwrap()
        .iter()
        .map(|l| l["count"].as_u64().unwrap())
        .sum()
}

#[tokio::test]
async fn openapi_documents_every_route_and_every_documented_path_answers() {
    let j = get("/api/openapi.json").await.json();
    assert!(j["openapi"].as_str().unwrap().starts_with("3."));
    let paths = j["paths"].as_object().unwrap();
    let routes = [
        "/",
        "/cases/{id}",
        "/stats",
        "/insights",
        "/static/{version}/{file}",
        "/feed.xml",
        "/recent",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/search",
        "/api/cases/{id}",
        "/api/cases/{id}/similar",
        "/api/suggest",
        "/api/stats",
        "/api/insights",
        "/api/openapi.json",
        "/api/search.csv",
        "/api/cases",
        "/login",
        "/logout",
        "/cases/new",
        "/cases/{id}/edit",
        "/cases/{id}/delete",
        "/admin",
        "/admin/resync",
        "/trash",
        "/trash/restore",
    ];
    for r in routes {
        assert!(paths.contains_key(r), "{r} is not in the OpenAPI document");
    }
    assert_eq!(
        paths.len(),
        routes.len(),
        "undocumented or untested route: {:?}",
        paths.keys()
    );
    // And the other way: every documented GET is served (the members'
    // pages say that writing is off: this app has no members).
    for (p, ops) in paths {
        if !ops.as_object().unwrap().contains_key("get") {
            continue;
        }
        let uri = p
            .replace("{id}", "fukuoka-dna-undo")
            .replace("{version}", "v")
            .replace("{file}", "app.css");
        let r = get(&uri).await;
        let members_only = [
            "/cases/new",
            "/cases/{id}/edit",
            "/cases/{id}/delete",
            "/admin",
            "/trash",
        ];
        let want = if members_only.contains(&p.as_str()) {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(r.status, want, "{uri}");
    }
    // Writes are documented with their method and the bearer scheme.
    assert!(j["paths"]["/api/cases"]["post"].is_object());
    assert!(j["paths"]["/api/cases/{id}"]["put"].is_object());
    assert!(j["paths"]["/api/cases/{id}"]["delete"].is_object());
    assert_eq!(
        j["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(j["components"]["schemas"]["SearchResponse"].is_object());
    let params: Vec<&str> = j["paths"]["/api/search"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q",
        "level",
        "prefecture",
        "municipality",
        "kind",
        "year_from",
        "year_to",
        "section",
        "sort",
        "page",
        "per_page",
    ] {
        assert!(params.contains(&p), "{p} not documented: {params:?}");
    }
}

#[tokio::test]
async fn healthz_metrics_and_unknown_paths() {
    let h = get("/healthz").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json()["status"], "ok");
    // The shared app was started converged.
    assert_eq!(h.json()["state"], "ready");
    let total = h.json()["progress"]["total"].as_u64().unwrap();
    assert!(total > 0);
    assert_eq!(h.json()["progress"]["done"].as_u64(), Some(total));
    let r = get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["state"], "ready");
    get("/api/search?q=x").await;
    get("/api/cases/nope").await;
    let m = get("/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.header(header::CONTENT_TYPE).starts_with("text/plain"));
    let text = m.text();
    assert!(
        text.contains(
            "kaizen_wa_http_requests_total{route=\"/api/search\",method=\"GET\",status=\"200\"}"
        ),
        "{text}"
    );
    assert!(text.contains(
        "kaizen_wa_http_requests_total{route=\"/api/cases/{id}\",method=\"GET\",status=\"404\"}"
    ));
    assert!(text.contains(
        "kaizen_wa_http_request_duration_seconds_bucket{route=\"/api/search\",le=\"+Inf\"}"
    ));
    assert!(text.contains(&format!("kaizen_wa_cases {}", app().samples)));
    assert!(
        text.lines()
            .any(|l| l.starts_with("kaizen_wa_index_size_bytes ") && !l.ends_with(" 0"))
    );

    let api404 = get("/api/nothing").await;
    assert_eq!(api404.status, StatusCode::NOT_FOUND);
    assert_eq!(api404.json()["error"]["code"], "not_found");
    let page404 = get("/nothing").await;
    assert_eq!(page404.status, StatusCode::NOT_FOUND);
    assert!(
        page404
            .header(header::CONTENT_TYPE)
            .starts_with("text/html")
    );
    assert!(page404.text().contains("検索"));
    let post = send(Request::post("/api/search").body(Body::empty()).unwrap()).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn insights_count_committed_queries_only() {
    let found = "福岡市 DNA";
    let none = "ぴよぴよ研究所";
    for _ in 0..3 {
        get(&format!("/api/search?{}", enc(found))).await;
    }
    get(&format!("/?{}", enc(none))).await;
    // As-you-type searches are not counted.
    send(
        Request::get(format!("/api/search?{}", enc("途中まで入力")))
            .header("x-kaizen-live", "1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let j = get("/api/insights").await.json();
    let frequent = j["frequent"].as_array().unwrap();
    let count = |list: &[Value], q: &str| {
        list.iter()
            .find(|e| e["query"] == q)
            .map(|e| e["count"].as_u64().unwrap())
    };
    assert_eq!(count(frequent, "福岡市 dna"), Some(3), "{j}");
    assert_eq!(
        count(j["zero_hits"].as_array().unwrap(), none),
        Some(1),
        "{j}"
    );
    assert_eq!(count(frequent, "途中まで入力"), None);
    let page = get("/insights").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(none));
}

#[tokio::test]
async fn atom_feed_lists_newest_first() {
    let r = send(
        Request::get("/feed.xml")
            .header(header::HOST, "kaizen.example:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header(header::CONTENT_TYPE)
            .starts_with("application/atom+xml")
    );
    let text = r.text();
    assert!(text.starts_with("<?xml"));
    assert_eq!(text.matches("<entry>").count(), app().samples);
    assert!(text.contains("href=\"http://kaizen.example:8080/cases/"));
    assert!(text.contains("href=\"http://kaizen.example:8080/recent\""));
    let updated: Vec<&str> = text.split("<updated>").skip(2).map(|s| &s[..10]).collect();
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted);
}

#[tokio::test]
async fn the_recent_page_lists_new_cases_and_links_the_feed() {
    let page = get("/recent").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(r#"<link rel="alternate" type="application/atom+xml""#));
    assert!(html.contains(r#"href="/feed.xml""#));
    assert!(html.contains(r#"<a href="/recent" aria-current="page">新着</a>"#));
    // Days newest first, written as people read them.
    let days: Vec<&str> = html
        .split("<time datetime=\"")
        .skip(1)
        .map(|s| &s[..10])
        .collect();
    assert!(!days.is_empty());
    let mut sorted = days.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(days, sorted);
    assert!(html.contains("2026年11月24日</time>"), "{html}");
    assert_eq!(
        html.matches("class=\"recent-title\"").count(),
        app().samples
    );
    // No page links to the raw feed from the navigation any more.
    let home = get("/").await.text();
    assert!(!home.contains("新着フィード</a></li>"));
}

#[tokio::test]
async fn pages_render_with_security_headers() {
    let r = get("/?q=%E6%94%B9%E5%96%84").await; // 改善
    assert_eq!(r.status, StatusCode::OK);
    let csp = r.header(header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(!r.header(header::REFERRER_POLICY).is_empty());
    let html = r.text();
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("class=\"hit\""));
    assert!(html.contains("<mark>"));
    assert!(html.contains("<label class=\"search-label\" for=\"q\">"));
    assert!(!html.contains("<script>"), "inline script");
    assert!(
        !html.contains("style=\""),
        "inline style (blocked by the CSP)"
    );

    let case = get("/cases/fukuoka-dna-undo").await;
    assert_eq!(case.status, StatusCode::OK);
    let html = case.text();
    for heading in ["概要", "担い手", "失敗・課題", "教訓", "出典", "似た事例"] {
        assert!(html.contains(&format!(">{heading}</h2>")), "{heading}");
    }
    assert!(
        html.contains("href=\"http://data-max.co.jp/"),
        "sources as links"
    );
    let missing = get("/cases/no-such-case").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("見つかりません"));
    let bad = get("/?level=foo").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("level"));

    let stats = get("/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.text().matches("<svg").count() >= 4);
    assert!(stats.text().contains("人材育成"));
    // The prefecture map: 三重県 has the most sample cases (darkest tile)
    // and links to its search.
    assert!(
        stats
            .text()
            .contains(r#"<span class="pref-name">三重県</span><span class="count">3 件</span>"#),
        "list entry for 三重県"
    );
    // The bars' tables carry links, as the bars do.
    assert!(
        stats
            .text()
            .contains(r#"<td><a href="/?level=gyomu">業務改善</a></td>"#)
    );
    assert!(stats.text().contains(r#"class="tile s4""#));

    let none = get(&format!("/?{}&level=gyomu", enc("存在しないことばです")))
        .await
        .text();
    assert!(none.contains("見つかりませんでした"));
    assert!(none.contains("絞り込みをすべて解除"));
}

#[tokio::test]
async fn no_result_page_offers_did_you_mean() {
    // One character off (福岡市 → 福丘市): if nothing is found, the known
    // name is offered.
    let j = get(&format!("/api/search?{}", enc("福丘市"))).await.json();
    if j["total"] == 0 {
        assert_eq!(j["did_you_mean"], "福岡市", "{j}");
        let html = get(&format!("/?{}", enc("福丘市"))).await.text();
        assert!(html.contains("もしかして"));
    } else {
        assert!(j["did_you_mean"].is_null());
    }
}

#[tokio::test]
async fn static_assets_are_cached_and_compressed_first_page_is_small() {
    let page = get("/").await.text();
    // The first asset path after `attr="/static/`.
    let asset = |attr: &str| {
        let after = page.split(&format!("{attr}=\"/static/")).nth(1).unwrap();
        after.split('"').next().unwrap().to_owned()
    };
    let (css, js) = (asset("href"), asset("src"));
    let mut total = 0;
    for uri in [
        "/".to_owned(),
        format!("/static/{css}"),
        format!("/static/{js}"),
    ] {
        let r = send(
            Request::get(&uri)
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert_eq!(r.header(header::CONTENT_ENCODING), "gzip", "{uri}");
        total += r.body.len();
        if uri.starts_with("/static/") {
            assert!(
                r.header(header::CACHE_CONTROL).contains("immutable"),
                "{uri}"
            );
        }
    }
    assert!(
        total <= 100 * 1024,
        "first page is {total} bytes compressed"
    );
    let stale = get("/static/old/app.css").await;
    assert_eq!(stale.header(header::CACHE_CONTROL), "no-cache");
    assert_eq!(get("/static/v/nope.js").await.status, StatusCode::NOT_FOUND);
}

/// A repeated search is answered from the cache, until the index changes:
/// then the new case is found at once.
#[tokio::test]
async fn cached_answers_end_when_the_index_changes() {
    let app = App::setup().no_members_file().synced().open();
    let cases = app.cases();
    let search = |q: &str| {
        let uri = format!("/api/search?{}", enc(q));
        let app = &app;
        async move {
            let r = app.get(&uri, None).await;
            assert_eq!(r.status, StatusCode::OK);
            r.json()
        }
    };
    let first = search("さわやか運動").await;
    assert!(first["total"].as_u64().unwrap() >= 1);
    assert_eq!(search("さわやか運動").await["hits"], first["hits"]);
    assert_eq!(app.state.search_cache.len(), 1);
    assert_eq!(search("ひまわり計画").await["total"], 0);

    let text = std::fs::read_to_string(cases.join("mie-sawayaka-undo.md"))
        .unwrap()
        .replace("id = \"mie-sawayaka-undo\"", "id = \"himawari\"")
        .replace("「さわやか運動」", "「ひまわり計画」");
    std::fs::write(cases.join("himawari.md"), text).unwrap();
    app.state.resync().unwrap();
    assert_eq!(search("ひまわり計画").await["total"], 1);
    assert_eq!(
        search("さわやか運動").await["total"].as_u64().unwrap(),
        first["total"].as_u64().unwrap() + 1
    );
}

/// What a reader sees on the search page: the place once for a
/// prefecture's own case, no timing noise, the update date when sorted by
/// it, plain words for the section filter, and on the front page what the
/// collection is with example searches that each find something.
#[tokio::test]
async fn the_search_page_speaks_plainly() {
    let tottori = get(&format!("/?{}", enc("トヨタ方式"))).await.text();
    assert!(
        tottori.contains(r#"<span class="place">鳥取県</span>"#),
        "{tottori}"
    );
    assert!(!tottori.contains("鳥取県 · 鳥取県"));
    assert!(!tottori.contains("ミリ秒"));
    assert!(!tottori.contains(">節 <"), "「節」 is jargon");
    assert!(tottori.contains("探す範囲"));
    assert!(tottori.contains(r##"href="#results-heading">検索結果へ移動</a>"##));

    let newest = get("/?sort=newest").await.text();
    assert!(
        newest.contains(r#"<span class="updated">更新 2026年11月24日</span>"#),
        "{newest}"
    );
    let relevance = get("/").await.text();
    assert!(!relevance.contains(r#"class="updated""#));

    // The front page: what this is, and searches to start from.
    assert!(relevance.contains("改善運動の事例"));
    let examples: Vec<String> = relevance
        .split(r#"<p class="examples">"#)
        .nth(1)
        .expect("example searches")
        .split("</p>")
        .next()
        .unwrap()
        .split(r#"href=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().replace("&#x2f;", "/"))
        .collect();
    assert!(examples.len() >= 3, "{examples:?}");
    for href in examples {
        let q = href.trim_start_matches("/?");
        let j = get(&format!("/api/search?{q}")).await.json();
        assert!(
            j["total"].as_u64().unwrap() > 0,
            "the example {href} finds nothing"
        );
    }
}

/// The case page: the update date and contributor said once, in 年月日
/// with 和暦; sources as readable links; the printout's address.
#[tokio::test]
async fn the_case_page_reads_like_a_document() {
    let html = get("/cases/fukuoka-dna-undo").await.text();
    assert_eq!(
        html.matches("自治体改善マネジメント研究会（サンプル事例）")
            .count(),
        1,
        "the contributor once"
    );
    assert!(
        html.contains("最終更新 2026年11月24日（令和8年）"),
        "{html}"
    );
    assert!(!html.contains("2026-11-24"));
    assert!(html.contains("2000年（平成12年）〜2007年（平成19年）"));
    assert!(html.contains(
        r#"<a href="http://data-max.co.jp/2010/08/30/dna3.html" rel="noopener noreferrer external"><span class="source-label">data-max.co.jp/2010/08/30/dna3.html</span></a>"#
    ), "{html}");
    assert!(html.contains("この事例のページ: http://localhost/cases/fukuoka-dna-undo"));
}
