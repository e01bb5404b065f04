//! The members' flows in headless Chromium, at 1280 px and at 375 px (a
//! phone): an edit conflict merged field by field (and one field taken
//! from the other version), a deleted case restored from the ごみ箱 and
//! right after the delete, and the case form itself — axe-core (vendored
//! under `tests/vendor/axe-core/`) finds no serious or critical problem on
//! the empty form or the form with errors, the inputs of a row line up,
//! the 種類 select shows its whole text, checkboxes are 44 px targets, 和暦
//! years are read, and 保存 is next to the preview.
//!
//! Uses the browser harness of [`crate::browser`]; skipped like it when
//! Chromium is missing. Screenshots go to `target/screenshots/forms-*`.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::browser::{
    Session, axe_clean, click, fill, js, no_errors, session, shot, wait_for, wait_js,
};

/// Window sizes every flow runs at: a desktop and a phone.
const WIDTHS: [(u32, u32); 2] = [(1280, 900), (375, 812)];

/// The case form's own 保存 button (not the one under a preview).
const SAVE: &str = ".case-form > .actions button[value=save]";

/// Logs the member in; returns on the new-case form.
async fn login(s: &Session) {
    let c = &s.client;
    s.open("/login?next=%2Fcases%2Fnew", Locator::Id("secret"))
        .await;
    fill(c, "#name", "山田").await;
    fill(c, "#secret", &s.secret).await;
    click(c, ".stack-form button[type=submit]").await;
    wait_for(c, Locator::Id("f-title")).await;
}

/// Deletes `id` through its confirmation page; returns on the page that
/// offers to undo it.
async fn delete(s: &Session, id: &str) {
    let c = &s.client;
    c.goto(&format!("{}/cases/{id}/delete", s.base))
        .await
        .unwrap();
    click(c, "form.stack-form button[type=submit]").await;
    wait_for(c, Locator::Id("undo-delete")).await;
}

/// Another member saves through the API from the page's own script: the
/// case `id` with `changes` applied (`title` or a section key → text),
/// over the version with `etag`.
async fn they_save(c: &Client, secret: &str, id: &str, etag: &str, changes: Value) {
    let status = c
        .execute_async(
            "const [id, etag, secret, changes, done] = arguments;
             fetch('/api/cases/' + id).then(r => r.json()).then(cs => {
               for (const [k, v] of Object.entries(changes)) {
                 if (k === 'title') cs.title = v; else cs.sections[k] = v;
               }
               return fetch('/api/cases/' + id, { method: 'PUT', body: JSON.stringify(cs),
                 headers: { 'Authorization': 'Bearer ' + secret, 'If-Match': '\"' + etag + '\"',
                            'Content-Type': 'application/json' } });
             }).then(r => done(r.status)).catch(e => done(String(e)));",
            vec![json!(id), json!(etag), json!(secret), changes],
        )
        .await
        .unwrap();
    assert_eq!(status, json!(200), "the other member's save");
}

async fn value(c: &Client, css: &str) -> String {
    js(c, &format!("return document.querySelector('{css}').value;"))
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

async fn text(c: &Client) -> String {
    js(c, "return document.body.innerText;")
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_conflict_merges_by_field_and_takes_the_other_version_of_one() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    login(&s).await;
    for ((w, h), id) in WIDTHS
        .into_iter()
        .zip(["fukuoka-dna-undo", "mie-sawayaka-undo"])
    {
        c.set_window_size(w, h).await.unwrap();
        // B changes 成功・成果 while A edits 概要: A's save keeps both.
        s.open(&format!("/cases/{id}/edit"), Locator::Id("f-summary"))
            .await;
        let etag = value(c, "input[name=etag]").await;
        let theirs = format!("{w}px: 相手が書いた成功・成果。");
        they_save(c, &s.secret, id, &etag, json!({ "successes": theirs })).await;
        let mine = format!("{w}px: わたしが書き直した概要。");
        fill(c, "#f-summary", &mine).await;
        click(c, SAVE).await;
        wait_for(c, Locator::Id("case-title")).await;
        let page = text(c).await;
        assert!(page.contains(&mine), "A's summary is saved");
        assert!(page.contains(&theirs), "B's 成功・成果 is kept");
        assert!(page.contains("ほかの人が保存した変更"), "A is told");
        shot(c, &format!("forms-merge-saved-{w}.png")).await;
        no_errors(c).await;

        // Both change the title: a conflict on that field only.
        s.open(&format!("/cases/{id}/edit"), Locator::Id("f-title"))
            .await;
        let etag = value(c, "input[name=etag]").await;
        let their_title = format!("相手の事例名 {w}");
        they_save(
            c,
            &s.secret,
            id,
            &etag,
            json!({ "title": their_title, "lessons": "相手の教訓。" }),
        )
        .await;
        fill(c, "#f-title", &format!("わたしの事例名 {w}")).await;
        click(c, SAVE).await;
        wait_for(c, Locator::Css("button[value='take:title']")).await;
        let takes = js(
            c,
            "return [...document.querySelectorAll('button[value^=\"take:\"]')].map(b => b.value);",
        )
        .await;
        assert_eq!(takes, json!(["take:title"]), "one conflict, on the title");
        assert_eq!(
            value(c, "#f-lessons").await,
            "相手の教訓。",
            "B's lessons merged in"
        );
        shot(c, &format!("forms-conflict-{w}.png")).await;
        axe_clean(c, &format!("the conflict form at {w}px")).await;
        click(c, "button[value='take:title']").await;
        wait_js(
            c,
            &format!("document.getElementById('f-title').value === '{their_title}'"),
        )
        .await;
        let focused = js(
            c,
            "return document.activeElement && document.activeElement.id;",
        )
        .await;
        assert_eq!(focused, json!("f-title"), "back at the field taken");
        shot(c, &format!("forms-conflict-taken-{w}.png")).await;
        click(c, SAVE).await;
        wait_for(c, Locator::Id("case-title")).await;
        let title = js(
            c,
            "return document.getElementById('case-title').textContent;",
        )
        .await;
        assert_eq!(title, json!(their_title));
        no_errors(c).await;
    }
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_case_comes_back_from_the_undo_and_from_the_trash() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    login(&s).await;
    for ((w, h), [first, second]) in WIDTHS.into_iter().zip([
        ["fukuoka-dna-undo", "mie-sawayaka-undo"],
        ["nakano-omotenashi-undo", "takashima-shutcho-kaizen-seminar"],
    ]) {
        c.set_window_size(w, h).await.unwrap();
        // Undo right after the delete.
        delete(&s, first).await;
        shot(c, &format!("forms-deleted-{w}.png")).await;
        click(c, "#undo-delete").await;
        wait_js(c, "location.search.includes('restored=')").await;
        assert!(text(c).await.contains("元に戻しました"));
        s.open(&format!("/cases/{first}"), Locator::Id("case-title"))
            .await;

        // Later, from the ごみ箱 page.
        delete(&s, second).await;
        s.open("/trash", Locator::Css(".trash-item")).await;
        shot(c, &format!("forms-trash-{w}.png")).await;
        axe_clean(c, &format!("the trash at {w}px")).await;
        click(c, ".trash-item button[type=submit]").await;
        wait_js(c, "location.search.includes('restored=')").await;
        s.open(&format!("/cases/{second}"), Locator::Id("case-title"))
            .await;
        no_errors(c).await;
    }
    c.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_case_form_is_accessible_lines_up_and_reads_wareki_at_both_widths() {
    let Some(s) = session().await else {
        return;
    };
    let c = &s.client;
    login(&s).await;
    for (w, h) in WIDTHS {
        c.set_window_size(w, h).await.unwrap();
        s.open("/cases/new", Locator::Id("f-title")).await;
        axe_clean(c, &format!("the case form at {w}px")).await;
        // The 種類 select shows its whole text.
        let cut = js(
            c,
            "const s = document.getElementById('f-kind'); const cs = getComputedStyle(s);
             const ctx = document.createElement('canvas').getContext('2d'); ctx.font = cs.font;
             const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16;
             return [...s.options].filter(o => ctx.measureText(o.text).width > room).map(o => o.text);",
        )
        .await;
        assert_eq!(cut, json!([]), "option text cut off at {w}px");
        // Every checkbox is a 44 px target (its label).
        let small = js(
            c,
            "return [...document.querySelectorAll('.check')].map(l => l.getBoundingClientRect())
               .filter(r => r.width < 44 || r.height < 44).length;",
        )
        .await;
        assert_eq!(small, json!(0), "checkbox targets under 44 px at {w}px");
        if w >= 1280 {
            let tops = js(
                c,
                "return ['f-prefecture', 'f-municipality', 'f-kind'].map(id =>
                   Math.round(document.getElementById(id).getBoundingClientRect().top));",
            )
            .await;
            let tops: Vec<i64> = serde_json::from_value(tops).unwrap();
            assert!(
                tops.iter().all(|t| (t - tops[0]).abs() <= 1),
                "row not lined up: {tops:?}"
            );
            let years = js(
                c,
                "return ['f-start_year', 'f-end_year'].map(id =>
                   Math.round(document.getElementById(id).getBoundingClientRect().top));",
            )
            .await;
            let years: Vec<i64> = serde_json::from_value(years).unwrap();
            assert!(
                (years[0] - years[1]).abs() <= 1,
                "year row not lined up: {years:?}"
            );
        }
        shot(c, &format!("forms-new-{w}.png")).await;

        // Save with problems: the summary in page order, plain words, axe clean.
        fill(c, "#f-start_year", "平成22").await;
        click(c, SAVE).await;
        wait_for(c, Locator::Id("error-summary")).await;
        let items = js(
            c,
            "return [...document.querySelectorAll('#error-summary li')].map(l => l.textContent);",
        )
        .await;
        let items: Vec<String> = serde_json::from_value(items).unwrap();
        assert!(
            items.first().is_some_and(|i| i.contains("事例名")),
            "{items:?}"
        );
        assert!(items.iter().all(|i| !i.contains("##")), "{items:?}");
        assert!(
            !items.iter().any(|i| i.contains("開始年")),
            "平成22 is a year: {items:?}"
        );
        assert_eq!(value(c, "#f-start_year").await, "2010", "和暦 converted");
        shot(c, &format!("forms-errors-{w}.png")).await;
        axe_clean(c, &format!("the case form with errors at {w}px")).await;

        // Preview: 保存 right under it, and the form's own 保存 stays in view.
        fill(c, "#f-title", "窓口の改善提案").await;
        c.find(Locator::Id("f-prefecture"))
            .await
            .unwrap()
            .select_by_value("埼玉県")
            .await
            .unwrap();
        fill(c, "#f-municipality", "さいたま市").await;
        js(
            c,
            "document.querySelector('input[name=levels][value=gyomu]').checked = true; return 0;",
        )
        .await;
        fill(c, "#f-summary", "職員の提案を毎月審査した。").await;
        fill(c, "#f-actors", "職員有志").await;
        fill(c, "#f-activities", "審査会を開いた。").await;
        fill(c, "#f-sources", "https://example.jp/teian").await;
        fill(c, "#f-contact_department", "総務部 行政改革課").await;
        fill(
            c,
            "#f-contact_url",
            "https://www.city.example.lg.jp/kaizen/",
        )
        .await;
        click(c, ".case-form > .actions button[value=preview]").await;
        wait_for(c, Locator::Id("preview-title")).await;
        let gap = js(
            c,
            "const p = document.querySelector('.preview-frame').getBoundingClientRect();
             const b = document.querySelector('.preview-actions button').getBoundingClientRect();
             return Math.round(b.top - p.bottom);",
        )
        .await;
        assert!(
            gap.as_i64().unwrap() < 80,
            "保存 is next to the preview: {gap}"
        );
        let contact = js(
            c,
            "return document.querySelector('.preview .contact').innerText;",
        )
        .await;
        let contact = contact.as_str().unwrap();
        assert!(
            contact.contains("総務部 行政改革課")
                && contact.contains("公開ページ（www.city.example.lg.jp）"),
            "問い合わせ先 in the preview: {contact}"
        );
        js(
            c,
            "document.querySelector('.preview-actions').scrollIntoView({block: 'end'}); return 0;",
        )
        .await;
        shot(c, &format!("forms-preview-save-{w}.png")).await;
        let id = value(c, "#f-id").await;
        assert!(
            id.starts_with("saitama-"),
            "a readable id is proposed: {id}"
        );
        js(c, "window.scrollTo(0, document.getElementById('f-background').getBoundingClientRect().top + scrollY); return 0;").await;
        let in_view = js(
            c,
            "const b = document.querySelector('.case-form > .actions button[value=save]').getBoundingClientRect();
             return b.top >= 0 && b.bottom <= innerHeight;",
        )
        .await;
        assert_eq!(in_view, json!(true), "保存 in view mid-form at {w}px");
        shot(c, &format!("forms-preview-{w}.png")).await;
        no_errors(c).await;
    }
    c.clone().close().await.unwrap();
}
