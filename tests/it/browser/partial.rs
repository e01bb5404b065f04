//! Honest counts in the browser (issue 16): the partial section of a
//! search page at a desktop and a phone width (axe, no sideways scroll,
//! screenshots), and search-as-you-type counting in the insights only the
//! query a typing burst settled on, or the one a result was opened from.

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use super::{axe_clean, click, no_errors, scrolls_sideways, session, shot, wait_js};

/// How many times the insights counted `q` (asked from the page).
async fn counted(c: &Client, q: &str) -> Value {
    c.execute_async(
        r#"const [q, done] = arguments;
        fetch('/api/insights').then((r) => r.json())
          .then((j) => { const e = j.frequent.find((e) => e.query === q); done(e ? e.count : null); })
          .catch((e) => done(String(e)));"#,
        vec![json!(q)],
    )
    .await
    .unwrap()
}

/// Polls until the insights count `q` `want` times (10 s at most).
async fn wait_counted(c: &Client, q: &str, want: Value) {
    let started = Instant::now();
    loop {
        let got = counted(c, q).await;
        if got == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{q}: counted {got}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Types `text` into the search box as one input event (a key, or an IME
/// conversion confirmed).
async fn type_query(c: &Client, text: &str) {
    c.execute(
        r#"const q = document.getElementById('q');
        q.focus();
        q.value = arguments[0];
        q.dispatchEvent(new InputEvent('input', { bubbles: true, data: arguments[0], inputType: 'insertText' }));"#,
        vec![json!(text)],
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_partial_section_reads_well_on_a_desktop_and_a_phone() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    for (width, height) in [(1280u32, 900u32), (375, 812)] {
        c.set_window_size(width, height).await.unwrap();
        s.open(
            "/?q=%E6%94%B9%E5%96%84+%E9%87%8F%E5%AD%90",
            Locator::Id("partial-heading"),
        )
        .await;
        let heading = c
            .find(Locator::Id("results-heading"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(heading.starts_with("「改善 量子」: 0 件"), "{heading}");
        let missing = c
            .find(Locator::Css(".hit-partial .hit-missing"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(missing, "含まれない: 量子");
        shot(c, &format!("partial-{width}.png")).await;
        axe_clean(c, &format!("the partial section at {width} px")).await;
        assert!(!scrolls_sideways(c).await, "sideways at {width} px");
        no_errors(c).await;
    }
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typing_burst_is_counted_once_when_it_settles_or_a_result_is_opened() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    s.open("/", Locator::Id("q")).await;
    // Three keystrokes, each searched as you type (more than the
    // debounce apart, less than the pause that settles a burst).
    for (i, q) in ["発", "発表", "発表会"].into_iter().enumerate() {
        type_query(c, q).await;
        wait_js(c, &format!("window.__kaizenTest.rendered >= {}", i + 1)).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(
        counted(c, "発表会").await,
        Value::Null,
        "counted before it settled"
    );
    // The pause settles it: counted once, the keystrokes before it never.
    wait_counted(c, "発表会", json!(1)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(counted(c, "発表会").await, json!(1), "counted twice");
    assert_eq!(counted(c, "発").await, Value::Null);
    assert_eq!(counted(c, "発表").await, Value::Null);

    // Opening a result before the pause settles the query it came from.
    type_query(c, "職員提案").await;
    wait_js(
        c,
        "document.getElementById('results-heading').textContent.includes('職員提案')",
    )
    .await;
    click(c, ".hit a").await;
    wait_js(c, "location.pathname.startsWith('/cases/')").await;
    wait_counted(c, "職員提案", json!(1)).await;
    no_errors(c).await;
    c.clone().close().await.unwrap();
}
