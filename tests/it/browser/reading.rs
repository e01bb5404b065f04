//! The pages people read and search, as a reader with a phone, a keyboard
//! or a printer meets them; axe-core on every one of them.

use fantoccini::{Client, Locator};
use serde_json::json;

use super::{
    cdp, click, counter, js, no_errors, scrolls_sideways, session, session_with, shot, wait_for,
    wait_js,
};
use crate::common::App;

/// axe-core, vendored (see `tests/vendor/axe-core/LICENSE`).
const AXE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/vendor/axe-core/axe.min.js"
));

/// Runs axe-core on the current page; fails on any serious or critical
/// violation, naming the rule and the elements.
pub(crate) async fn axe_clean(c: &Client, what: &str) {
    let loaded = js(c, &format!("{AXE}\n;return typeof window.axe;")).await;
    assert_eq!(loaded, json!("object"), "axe-core did not load");
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then((r) => done(r.passes.length === 0 ? [{ rule: 'axe checked nothing' }] : r.violations
                .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                .map((v) => ({ rule: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary) }))))
              .catch((e) => done([{ rule: 'axe failed', help: String(e) }]));"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        found,
        json!([]),
        "axe: serious or critical violations on {what} ({})",
        c.current_url().await.unwrap()
    );
}

/// Every page a reader visits, at a desktop and a phone width: axe finds
/// nothing serious, nothing is wider than the screen, JavaScript raises no
/// error; screenshots of each for a person to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reading_page_is_axe_clean_at_1280_and_375() {
    // With the cases related by meaning, so that a search lists them.
    let Some(s) = session_with(App::setup().member("山田").meaning()).await else {
        return;
    };
    let c = &s.client;
    let pages = [
        ("home", "/"),
        ("search", "/?q=%E6%94%B9%E5%96%84"),
        // No match: 「0 件」, then 内容が近い事例.
        (
            "related",
            "/?q=%EF%BE%8A%EF%BE%9F%EF%BE%9D%EF%BE%83%EF%BE%9E%EF%BE%90%EF%BD%AF%EF%BD%B8%E3%81%AE%E3%81%97%E3%81%AE%E3%81%8E%E6%96%B9",
        ),
        ("case", "/cases/fukuoka-dna-undo"),
        ("stats", "/stats"),
        ("insights", "/insights"),
        ("recent", "/recent"),
    ];
    for (width, height) in [(1280u32, 900u32), (375, 812)] {
        c.set_window_size(width, height).await.unwrap();
        for (name, path) in pages {
            s.open(path, Locator::Css("main")).await;
            shot(c, &format!("a11y-{name}-{width}.png")).await;
            axe_clean(c, &format!("{name} at {width} px")).await;
            assert!(
                !scrolls_sideways(c).await,
                "{name} scrolls sideways at {width} px"
            );
            no_errors(c).await;
        }
    }
    c.clone().close().await.unwrap();
}

/// On a phone, 絞り込み sits above the results: its first facet is within
/// the first screen once the disclosure is opened; the header is compact;
/// `/stats` shows prefectures as a list of tappable links with readable
/// text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_reaches_the_filters_and_reads_the_stats() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    c.set_window_size(375, 812).await.unwrap();
    s.open("/?q=%E6%94%B9%E5%96%84", Locator::Css(".hit")).await;
    let header = js(
        c,
        "return document.querySelector('.site-header').getBoundingClientRect().height;",
    )
    .await;
    assert!(header.as_f64().unwrap() <= 110.0, "header {header} px tall");
    let help_lines = js(
        c,
        "const r = [...document.querySelectorAll('#search-help .nobr')].map(e => e.getClientRects().length); return Math.max(...r);",
    )
    .await;
    assert_eq!(help_lines, json!(1), "an operator breaks over two lines");
    let placeholder_fits = js(
        c,
        "const q = document.getElementById('q'); const c = document.createElement('canvas').getContext('2d'); \
         const st = getComputedStyle(q); c.font = st.fontSize + ' ' + st.fontFamily; \
         return c.measureText(q.placeholder).width <= q.clientWidth - parseFloat(st.paddingLeft) - parseFloat(st.paddingRight);",
    )
    .await;
    assert_eq!(placeholder_fits, json!(true), "the placeholder is cut off");
    click(c, "#facets > summary").await;
    let first_facet = js(
        c,
        "const r = document.querySelector('#facet-level + ul a').getBoundingClientRect(); return [r.top, r.bottom, r.height];",
    )
    .await;
    assert!(
        first_facet[1].as_f64().unwrap() <= 812.0 && first_facet[0].as_f64().unwrap() >= 0.0,
        "first facet at {first_facet} (screen 812 px)"
    );
    assert!(first_facet[2].as_f64().unwrap() >= 44.0, "{first_facet}");
    shot(c, "phone-facets-open.png").await;
    click(c, "#facet-level + ul a").await;
    wait_js(c, "document.querySelectorAll('.chip').length === 1").await;
    no_errors(c).await;

    s.open("/stats", Locator::Css(".pref-list")).await;
    let small = js(c, SMALL_TEXT).await;
    assert_eq!(small, json!([]), "text under 12 px on /stats at 375 px");
    c.set_window_size(1280, 900).await.unwrap();
    c.refresh().await.unwrap();
    wait_for(c, Locator::Css(".map-svg")).await;
    let small = js(c, SMALL_TEXT).await;
    assert_eq!(small, json!([]), "text under 12 px on /stats at 1280 px");
    js(
        c,
        "document.getElementById('chart-levels-title').scrollIntoView(); return true;",
    )
    .await;
    shot(c, "stats-charts-1280.png").await;
    c.set_window_size(375, 812).await.unwrap();
    c.refresh().await.unwrap();
    wait_for(c, Locator::Css(".pref-list")).await;
    let links = js(
        c,
        "return [...document.querySelectorAll('.pref-list a')].filter(a => a.getClientRects().length > 0).map(a => a.getBoundingClientRect().height);",
    )
    .await;
    let heights = links.as_array().unwrap();
    assert_eq!(heights.len(), 47, "one visible link per prefecture");
    assert!(
        heights.iter().all(|h| h.as_f64().unwrap() >= 44.0),
        "{links}"
    );
    shot(c, "phone-stats.png").await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}

/// With JavaScript, 次へ brings the new results' heading into view; the
/// 「検索結果へ移動」 skip link reaches the first result in three Tabs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_page_scrolls_to_the_results_and_a_skip_link_reaches_them() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    c.set_window_size(1280, 900).await.unwrap();
    // Few per page, so that there is a 次へ.
    s.open("/?per_page=3", Locator::Css("a[rel=next]")).await;
    let rendered = counter(c, "rendered").await;
    js(
        c,
        "window.scrollTo(0, document.body.scrollHeight); return true;",
    )
    .await;
    click(c, "a[rel=next]").await;
    wait_js(c, &format!("window.__kaizenTest.rendered > {rendered}")).await;
    wait_js(c, "location.search.includes('page=2')").await;
    let top = js(
        c,
        "return document.getElementById('results-heading').getBoundingClientRect().top;",
    )
    .await;
    let top = top.as_f64().unwrap();
    assert!((0.0..900.0).contains(&top), "results heading at {top}");
    no_errors(c).await;

    // Keyboard: Tab, Tab to 「検索結果へ移動」, Enter, Tab: the first result.
    s.open("/?q=%E6%94%B9%E5%96%84", Locator::Css(".hit")).await;
    press(c, '\u{E004}').await; // Tab: 本文へ移動
    press(c, '\u{E004}').await; // Tab: 検索結果へ移動
    let label = js(c, "return document.activeElement.textContent.trim();").await;
    assert_eq!(label, json!("検索結果へ移動"));
    press(c, '\u{E007}').await; // Enter
    press(c, '\u{E004}').await; // Tab
    let focused = js(
        c,
        "const a = document.activeElement; return a === document.querySelector('.hit-title a') ? 'first result' : a.outerHTML.slice(0, 120);",
    )
    .await;
    assert_eq!(focused, json!("first result"), "Tab after the skip link");

    // Printing a case: each source address once, the case's own address
    // and the print date.
    s.open("/cases/fukuoka-dna-undo", Locator::Id("case-title"))
        .await;
    cdp(
        s.port,
        &s.id,
        "Emulation.setEmulatedMedia",
        json!({ "media": "print" }),
    )
    .await;
    let print = js(
        c,
        "const a = document.querySelector('.sources a');          return { label: getComputedStyle(a.querySelector('.source-label')).display,                   after: getComputedStyle(a, '::after').content,                   address: getComputedStyle(document.querySelector('.print-address')).display,                   text: document.querySelector('.print-address').textContent };",
    )
    .await;
    assert_eq!(print["label"], json!("none"), "{print}");
    assert_eq!(
        print["after"],
        json!("\"http://data-max.co.jp/2010/08/30/dna3.html\""),
        "{print}"
    );
    assert_eq!(print["address"], json!("block"), "{print}");
    let text = print["text"].as_str().unwrap();
    assert!(
        text.contains("/cases/fukuoka-dna-undo") && text.contains("印刷日") && text.contains('年'),
        "{text}"
    );
    shot(c, "case-print.png").await;
    cdp(
        s.port,
        &s.id,
        "Emulation.setEmulatedMedia",
        json!({ "media": "" }),
    )
    .await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}

/// Visible text drawn smaller than 12 px (SVG text at its rendered size).
const SMALL_TEXT: &str = "return [...document.querySelectorAll('main *')].filter(e => e.offsetParent !== null || e instanceof SVGElement) \
   .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== '')) \
   .filter(e => e.getClientRects().length > 0) \
   .filter(e => parseFloat(getComputedStyle(e).fontSize) * (e instanceof SVGElement && e.ownerSVGElement ? e.ownerSVGElement.getScreenCTM().a : 1) < 12) \
   .map(e => e.tagName + ':' + e.textContent.trim().slice(0, 12));";

/// One key pressed and released (WebDriver key codes: Tab U+E004, Enter
/// U+E007).
async fn press(c: &Client, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(actions).await.unwrap();
}
