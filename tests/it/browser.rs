//! Browser tests: the real UI in headless Chromium over WebDriver.
//!
//! Needs `/usr/bin/chromedriver` and `/usr/bin/chromium` (Debian packages
//! `chromium` and `chromium-driver`). Without them every test prints why it
//! was skipped and passes on a developer's machine, but fails when the
//! environment variable `CI` is set (CI must run them). Screenshots go to
//! `target/screenshots/`.
//!
//! The page's own script carries no test hooks: an observer installed into
//! every page through the DevTools protocol (before any page script runs)
//! records JavaScript errors, CSP violations, search fetches and result
//! renders in `window.__kaizenTest`. axe-core (vendored under
//! `tests/vendor/axe-core/`) checks every page for accessibility problems.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{App, Setup};

/// The reading pages: axe-core on every page, the phone layout, the
/// keyboard path to the results, printing.
mod reading;

/// Honest counts: the partial section, and search-as-you-type counted
/// once a typing burst settles.
mod partial;

pub(crate) use reading::axe_clean;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

fn available() -> bool {
    if Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "browser tests must run in CI, but {CHROMEDRIVER} or {CHROMIUM} is missing \
         (install the Debian packages `chromium` and `chromium-driver`)"
    );
    eprintln!(
        "SKIPPED browser test: {CHROMEDRIVER} or {CHROMIUM} not found \
         (install the Debian packages `chromium` and `chromium-driver` to run it)"
    );
    false
}

/// Kills chromedriver and the browser it started when the test ends,
/// however it ends. chromedriver runs in a process group of its own, which
/// Chromium and its helpers join: killing chromedriver alone would leave
/// the browser running, re-parented, after a failed test (or a test that
/// forgets to close its session).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.0.id()) {
            // SAFETY: kill(2) with a negative pid signals that process
            // group; no memory is involved.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) struct Session {
    pub(crate) client: Client,
    /// chromedriver's port and the session id, for DevTools commands.
    port: u16,
    id: String,
    pub(crate) base: String,
    /// The secret of the one member, 「山田」.
    pub(crate) secret: String,
    _driver: Driver,
    _app: App,
    _profile: tempfile::TempDir,
}

/// A server over a copy of `cases/` with one member, chromedriver and a
/// browser session; `None` (the test is skipped) where Chromium is not
/// installed, see [`available`].
pub(crate) async fn session() -> Option<Session> {
    session_with(App::setup().member("山田")).await
}

/// [`session`] over a server set up as `setup` says.
pub(crate) async fn session_with(setup: Setup) -> Option<Session> {
    if !available() {
        return None;
    }
    let app = setup.open();
    let base = app.listen().await;

    let port = free_port();
    let driver = Driver(
        Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,900", "--lang=ja",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let caps: serde_json::Map<String, Value> = caps.as_object().unwrap().clone();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let client = loop {
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps.clone());
        match builder.connect(&url).await {
            Ok(c) => break c,
            Err(e) if started.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("could not start a browser session: {e}"),
        }
    };
    let id = client.session_id().await.unwrap().expect("a session id");
    cdp(
        port,
        &id,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": OBSERVER }),
    )
    .await;
    Some(Session {
        client,
        port,
        id,
        base,
        secret: app.secret.clone(),
        _driver: driver,
        _app: app,
        _profile: profile,
    })
}

impl Session {
    /// Goes to `path` on the server and waits until `ready` is on the page.
    pub(crate) async fn open(&self, path: &str, ready: Locator<'_>) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
        wait_for(&self.client, ready).await;
    }
}

/// Waits until an element is on the page.
pub(crate) async fn wait_for(c: &Client, what: Locator<'_>) {
    c.wait().for_element(what).await.unwrap();
}

/// Installed into every document before its scripts run: what the tests
/// observe of a page, kept out of the page's own script.
const OBSERVER: &str = r#"(() => {
  const t = (window.__kaizenTest = { errors: [], searches: 0, suggests: 0, rendered: 0 });
  addEventListener('error', (e) => t.errors.push(String(e.message || e)));
  addEventListener('unhandledrejection', (e) => t.errors.push(String(e.reason)));
  document.addEventListener('securitypolicyviolation', (e) => t.errors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
  const original = window.fetch;
  window.fetch = function (input, init) {
    try {
      const u = new URL(typeof input === 'string' ? input : input.url, location.href);
      if (u.pathname === '/api/suggest') t.suggests++;
      else if (u.pathname === '/') t.searches++;
    } catch (_) { /* counted or not, the fetch goes on */ }
    return original.apply(this, arguments);
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) if (n.id === 'search-body') t.rendered++;
    }).observe(document.body, { childList: true, subtree: true });
  });
})();"#;

/// A DevTools protocol command through chromedriver's endpoint for them.
async fn cdp(port: u16, session: &str, cmd: &str, params: Value) {
    use http_body_util::{BodyExt, Full};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<axum::body::Bytes>>();
    let body = json!({ "cmd": cmd, "params": params }).to_string();
    let req = axum::http::Request::post(format!(
        "http://127.0.0.1:{port}/session/{session}/goog/cdp/execute"
    ))
    .header("content-type", "application/json")
    .body(Full::new(axum::body::Bytes::from(body)))
    .unwrap();
    let res = client.request(req).await.expect("chromedriver answers");
    let status = res.status();
    let text = res.into_body().collect().await.unwrap().to_bytes();
    assert!(
        status.is_success(),
        "{cmd}: {status} {}",
        String::from_utf8_lossy(&text)
    );
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    std::fs::write(screenshots().join(name), png).unwrap();
}

pub(crate) async fn js(c: &Client, script: &str) -> Value {
    c.execute(script, vec![]).await.unwrap()
}

/// Polls a JS expression until it is truthy (10 s at most).
pub(crate) async fn wait_js(c: &Client, expr: &str) {
    let started = Instant::now();
    loop {
        if js(c, &format!("return !!({expr});")).await == json!(true) {
            return;
        }
        if started.elapsed() > Duration::from_secs(10) {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            panic!("timed out waiting for `{expr}` on {url}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn no_errors(c: &Client) {
    let errors = js(
        c,
        "return window.__kaizenTest ? window.__kaizenTest.errors : ['the test observer is missing'];",
    )
    .await;
    assert_eq!(
        errors,
        json!([]),
        "JavaScript errors on {}",
        c.current_url().await.unwrap()
    );
}

/// The text of an element on the page.
pub(crate) async fn text_of(c: &Client, what: Locator<'_>) -> String {
    c.find(what).await.unwrap().text().await.unwrap()
}

/// Whether the page is wider than the window: it would scroll sideways.
pub(crate) async fn scrolls_sideways(c: &Client) -> bool {
    js(
        c,
        "return document.documentElement.scrollWidth > window.innerWidth + 1;",
    )
    .await
    .as_bool()
    .expect("a boolean")
}

async fn counter(c: &Client, name: &str) -> u64 {
    js(c, &format!("return window.__kaizenTest.{name};"))
        .await
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_facet_case_and_similar() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    s.open("/", Locator::Id("q")).await;
    shot(c, "01-home.png").await;
    no_errors(c).await;

    // Type a query: results appear without submitting, the URL follows.
    let input = c.find(Locator::Id("q")).await.unwrap();
    input.send_keys("首長").await.unwrap();
    wait_js(
        c,
        "window.__kaizenTest.rendered >= 1 && location.search.includes('q=')",
    )
    .await;
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap().contains("q=%E9%A6%96%E9%95%B7"),
        "{url}"
    );
    let hits = c.find_all(Locator::Css(".hit")).await.unwrap();
    assert!(!hits.is_empty());
    let heading = text_of(c, Locator::Id("results-heading")).await;
    assert!(heading.contains("首長"), "{heading}");
    assert!(
        !c.find_all(Locator::Css(".hit mark"))
            .await
            .unwrap()
            .is_empty(),
        "no highlight"
    );
    shot(c, "02-results.png").await;

    // Click a facet: filtered in place, a chip to remove it.
    let rendered = counter(c, "rendered").await;
    let facet = c.find(Locator::Css("#facet-level + ul a")).await.unwrap();
    facet.click().await.unwrap();
    wait_js(c, &format!("window.__kaizenTest.rendered > {rendered}")).await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .query()
            .unwrap()
            .contains("level=")
    );
    let chips = c.find_all(Locator::Css(".chip")).await.unwrap();
    assert_eq!(chips.len(), 1);
    shot(c, "03-facet.png").await;

    // Back: the unfiltered results again.
    c.back().await.unwrap();
    wait_js(
        c,
        "!location.search.includes('level=') && document.querySelectorAll('.chip').length === 0",
    )
    .await;

    // Remove-chip path: filter again, then click the chip.
    click(c, "#facet-level + ul a").await;
    wait_js(c, "document.querySelectorAll('.chip').length === 1").await;
    click(c, ".chip").await;
    wait_js(
        c,
        "document.querySelectorAll('.chip').length === 0 && !location.search.includes('level=')",
    )
    .await;
    no_errors(c).await;

    // Open a case.
    let first = c.find(Locator::Css(".hit-title a")).await.unwrap();
    let title = first.text().await.unwrap();
    first.click().await.unwrap();
    wait_for(c, Locator::Id("case-title")).await;
    let h1 = text_of(c, Locator::Id("case-title")).await;
    assert_eq!(h1, title);
    for heading in ["概要", "取組内容", "失敗・課題", "出典", "似た事例"] {
        let found = js(c, &format!("return [...document.querySelectorAll('h2')].some(h => h.textContent.trim() === '{heading}');")).await;
        assert_eq!(found, json!(true), "no section {heading}");
    }
    shot(c, "04-case.png").await;
    no_errors(c).await;

    // Follow a similar case.
    let similar = c.find(Locator::Css(".similar li a")).await.unwrap();
    let similar_title = similar.text().await.unwrap();
    similar.click().await.unwrap();
    wait_js(c, &format!("document.getElementById('case-title') && document.getElementById('case-title').textContent !== {}", json!(h1))).await;
    let h1b = text_of(c, Locator::Id("case-title")).await;
    assert_eq!(h1b, similar_title);
    no_errors(c).await;

    // Overview page with charts.
    c.goto(&format!("{}/stats", s.base)).await.unwrap();
    let svgs = c.find_all(Locator::Css("svg.chart-svg")).await.unwrap();
    assert!(svgs.len() >= 4);
    let tiles = c.find_all(Locator::Css("svg.map-svg a")).await.unwrap();
    assert_eq!(tiles.len(), 47, "one map tile per prefecture");
    shot(c, "05-stats.png").await;
    no_errors(c).await;

    // A result page loaded directly: results are in the first paint.
    s.open("/?q=%E6%94%B9%E5%96%84", Locator::Css(".hit")).await;
    let timing = js(c, "const n = performance.getEntriesByType('navigation')[0]; \
        const p = performance.getEntriesByName('first-contentful-paint')[0]; \
        return {dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: p ? p.startTime : null};").await;
    eprintln!("results page timing (ms since navigation start): {timing}");
    assert!(timing["dcl"].as_f64().unwrap() < 2000.0, "{timing}");

    // No results: what to do next.
    s.open(
        "/?q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84%E3%81%93%E3%81%A8%E3%81%B0&level=gyomu",
        Locator::Css(".empty"),
    )
    .await;
    shot(c, "06-no-results.png").await;

    // Phone width.
    c.set_window_size(390, 844).await.unwrap();
    s.open("/?q=%E6%94%B9%E5%96%84", Locator::Css(".hit")).await;
    assert!(
        !scrolls_sideways(c).await,
        "horizontal scrolling on a phone"
    );
    shot(c, "07-phone.png").await;
    c.goto(&format!("{}/cases/fukuoka-dna-undo", s.base))
        .await
        .unwrap();
    shot(c, "08-phone-case.png").await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ime_composition_searches_once_after_compositionend() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    s.open("/", Locator::Id("q")).await;
    let before = counter(c, "searches").await;

    // Composing かいぜん → 改善: input events with isComposing, and the
    // Enter that confirms the conversion.
    let enter_cancelled = js(
        c,
        r#"
        const q = document.getElementById('q');
        q.focus();
        q.dispatchEvent(new CompositionEvent('compositionstart', { bubbles: true, data: '' }));
        for (const s of ['k', 'か', 'かい', 'かいぜ', 'かいぜん', '改善']) {
          q.value = s;
          q.dispatchEvent(new CompositionEvent('compositionupdate', { bubbles: true, data: s }));
          q.dispatchEvent(new InputEvent('input', { bubbles: true, data: s, inputType: 'insertCompositionText', isComposing: true }));
        }
        const enter = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, key: 'Enter', keyCode: 229, isComposing: true });
        return !q.dispatchEvent(enter);
        "#,
    )
    .await;
    assert_eq!(
        enter_cancelled,
        json!(true),
        "the conversion Enter must not submit"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        counter(c, "searches").await,
        before,
        "searched during composition"
    );
    assert!(!c.current_url().await.unwrap().as_str().contains("q="));

    // compositionend (then the input event some browsers send after it,
    // and an Enter right after, as Safari orders them).
    let late_enter_cancelled = js(
        c,
        r#"
        const q = document.getElementById('q');
        q.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '改善' }));
        q.dispatchEvent(new InputEvent('input', { bubbles: true, data: '改善', inputType: 'insertText', isComposing: false }));
        const enter = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, key: 'Enter', keyCode: 13 });
        return !q.dispatchEvent(enter);
        "#,
    )
    .await;
    assert_eq!(
        late_enter_cancelled,
        json!(true),
        "the Enter right after compositionend must not submit"
    );
    wait_js(
        c,
        &format!(
            "window.__kaizenTest.searches === {} && window.__kaizenTest.rendered >= 1",
            before + 1
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        counter(c, "searches").await,
        before + 1,
        "exactly one search after compositionend"
    );
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or("").contains("q=%E6%94%B9%E5%96%84"),
        "{url}"
    );
    assert!(!c.find_all(Locator::Css(".hit")).await.unwrap().is_empty());
    shot(c, "09-ime.png").await;

    // A real Enter later submits (a committed search: one more).
    let submitted = js(
        c,
        "document.getElementById('search-form').requestSubmit(); return true;",
    )
    .await;
    assert_eq!(submitted, json!(true));
    wait_js(
        c,
        &format!("window.__kaizenTest.searches === {}", before + 2),
    )
    .await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}

/// Clicks the first element matching `css`, scrolled to the middle of the
/// screen first, as a person would: WebDriver otherwise scrolls it just
/// into view at the bottom edge, where the case form's sticky 保存 bar is.
pub(crate) async fn click(c: &Client, css: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    c.execute(
        "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
        vec![serde_json::to_value(&e).unwrap()],
    )
    .await
    .unwrap();
    e.click().await.unwrap();
}

pub(crate) async fn fill(c: &Client, css: &str, text: &str) {
    let e = c.find(Locator::Css(css)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_logs_in_adds_a_case_through_the_form_and_finds_it_by_search() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;

    // The new-case page sends a visitor to the login first.
    s.open("/cases/new", Locator::Id("secret")).await;
    assert!(c.current_url().await.unwrap().path() == "/login");
    fill(c, "#name", "山田").await;
    fill(c, "#secret", &s.secret).await;
    click(c, ".stack-form button[type=submit]").await;
    wait_for(c, Locator::Id("f-title")).await;
    assert_eq!(c.current_url().await.unwrap().path(), "/cases/new");
    let cookie = js(c, "return document.cookie;").await;
    assert!(
        !cookie.as_str().unwrap().contains("kaizen_session"),
        "the session cookie is HttpOnly: {cookie}"
    );
    no_errors(c).await;

    // Save with the required 取組内容 missing: the message sits next to
    // the field and everything typed is still there.
    fill(c, "#f-title", "ヌブラウザペによる窓口改善").await;
    c.find(Locator::Id("f-prefecture"))
        .await
        .unwrap()
        .select_by_value("福岡県")
        .await
        .unwrap();
    fill(c, "#f-municipality", "福岡市").await;
    click(c, "input[name=levels][value=gyomu]").await;
    fill(c, "#f-start_year", "2004").await;
    fill(
        c,
        "#f-summary",
        "ヌブラウザペを合言葉に、窓口の待ち時間を減らした。",
    )
    .await;
    fill(c, "#f-actors", "市民課の職員有志").await;
    fill(c, "#f-sources", "https://example.jp/browser").await;
    click(c, "button[value=save]").await;
    wait_for(c, Locator::Id("f-activities-error")).await;
    let invalid = js(
        c,
        "return document.getElementById('f-activities').getAttribute('aria-invalid');",
    )
    .await;
    assert_eq!(invalid, json!("true"));
    let kept = js(c, "return document.getElementById('f-summary').value;").await;
    assert_eq!(
        kept,
        json!("ヌブラウザペを合言葉に、窓口の待ち時間を減らした。")
    );
    let focused = js(
        c,
        "return document.activeElement && document.activeElement.id;",
    )
    .await;
    assert_eq!(
        focused,
        json!("error-summary"),
        "the summary takes the focus"
    );
    shot(c, "10-form-errors.png").await;
    no_errors(c).await;

    // Preview, then save.
    fill(c, "#f-activities", "番号札の配り方を毎月見直した。").await;
    click(c, "button[value=preview]").await;
    wait_for(c, Locator::Id("preview-title")).await;
    shot(c, "11-form-preview.png").await;
    click(c, "button[value=save]").await;
    wait_for(c, Locator::Id("case-title")).await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().starts_with("/cases/fukuoka-"), "{url}");
    let stamp = text_of(c, Locator::Css(".stamp")).await;
    assert!(stamp.contains("山田"), "{stamp}");
    shot(c, "12-saved-case.png").await;

    // Found by search, right away.
    c.goto(&format!("{}/", s.base)).await.unwrap();
    let input = c.find(Locator::Id("q")).await.unwrap();
    input.send_keys("ヌブラウザペ").await.unwrap();
    wait_js(
        c,
        "[...document.querySelectorAll('.hit-title a')].some(a => a.textContent.includes('窓口改善'))",
    )
    .await;
    no_errors(c).await;

    // On a phone the form stays usable: nothing wider than the screen.
    c.set_window_size(390, 844).await.unwrap();
    s.open("/cases/new", Locator::Id("f-title")).await;
    assert!(
        !scrolls_sideways(c).await,
        "horizontal scrolling on a phone"
    );
    shot(c, "13-form-phone.png").await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}
