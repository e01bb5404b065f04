//! 統計 (`/stats`: the prefecture map and charts by level, prefecture,
//! kind and year, each with a table of links) and 検索の傾向
//! (`/insights`). Draws the SVG geometry; must not count cases itself
//! (the index's statistics do).

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::super::auth::Viewer;
use super::super::error::WebError;
use super::super::params::SearchParams;
use super::{Base, HtmlError, href, render};
use crate::case::Level;
use crate::web::AppState;

pub struct Bar {
    pub label: String,
    pub count: u64,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub text_x: u32,
    pub text_y: u32,
    pub href: String,
    /// Whether the count is written above the bar (narrow bars with the
    /// same count as their neighbour would print over each other).
    pub show_value: bool,
}

pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub description: String,
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub bars: Vec<Bar>,
    /// Vertical bars (years) rather than horizontal rows.
    pub columns: bool,
    pub axis_labels: Vec<Bar>,
}

const ROW: u32 = 28;
const CHART_W: u32 = 640;

/// Horizontal bars: one row per label.
fn hbar_chart(id: &'static str, title: &'static str, rows: &[(String, u64, String)]) -> Chart {
    let label_width = 170;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let span = CHART_W - label_width - 50;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (label, count, href))| {
            let width = ((*count as f64 / max as f64) * span as f64)
                .round()
                .max(2.0) as u32;
            let y = i as u32 * ROW + 4;
            Bar {
                label: label.clone(),
                count: *count,
                x: label_width,
                y,
                width,
                height: ROW - 8,
                text_x: label_width + width + 6,
                text_y: y + ROW / 2 + 1,
                href: href.clone(),
                show_value: true,
            }
        })
        .collect();
    let total: u64 = rows.iter().map(|r| r.1).sum();
    Chart {
        id,
        title,
        description: format!("{title}の件数（合計 {total}）。"),
        width: CHART_W,
        height: rows.len().max(1) as u32 * ROW + 8,
        label_width,
        bars,
        columns: false,
        axis_labels: Vec::new(),
    }
}

/// Vertical bars per year, every fifth year labelled.
fn year_chart(id: &'static str, title: &'static str, years: &[(i32, u64)]) -> Chart {
    let height = 220u32;
    let base = height - 30;
    let (Some(first), Some(last)) = (years.first().map(|y| y.0), years.last().map(|y| y.0)) else {
        return Chart {
            id,
            title,
            description: "データがありません。".into(),
            width: CHART_W,
            height: 40,
            label_width: 0,
            bars: Vec::new(),
            columns: true,
            axis_labels: Vec::new(),
        };
    };
    let n = (last - first + 1).max(1) as u32;
    let step = ((CHART_W - 40) / n).max(4);
    let max = years.iter().map(|y| y.1).max().unwrap_or(1).max(1);
    let mut bars: Vec<Bar> = Vec::new();
    // Bars narrower than a two-digit count: write a count only where it
    // changes from the bar before.
    let narrow = step < 22;
    let mut axis_labels = Vec::new();
    for (i, year) in (first..=last).enumerate() {
        let count = years.iter().find(|y| y.0 == year).map_or(0, |y| y.1);
        let h = ((count as f64 / max as f64) * (base - 20) as f64).round() as u32;
        let x = 20 + i as u32 * step;
        if count > 0 {
            bars.push(Bar {
                label: format!("{year}年"),
                count,
                x,
                y: base - h,
                width: step.saturating_sub(2).max(2),
                height: h.max(1),
                text_x: x + step / 2,
                text_y: base - h - 4,
                show_value: !narrow || bars.last().is_none_or(|b: &Bar| b.count != count),
                href: format!("/?year_from={year}&year_to={year}"),
            });
        }
        if year % 5 == 0 || year == first || year == last {
            axis_labels.push(Bar {
                label: year.to_string(),
                count: 0,
                x,
                y: 0,
                width: 0,
                height: 0,
                text_x: x + step / 2,
                text_y: base + 18,
                href: String::new(),
                show_value: false,
            });
        }
    }
    // Keep the first and last labels from colliding with a neighbour.
    axis_labels.dedup_by(|b, a| b.text_x.abs_diff(a.text_x) < 34);
    Chart {
        id,
        title,
        description: format!("{first}年から{last}年まで、年ごとの件数（最大 {max} 件）。"),
        width: CHART_W,
        height,
        label_width: 0,
        bars,
        columns: true,
        axis_labels,
    }
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    pub base: Base,
    pub total: u64,
    pub map: crate::web::map::PrefectureMap,
    pub charts: Vec<Chart>,
}

/// Overview (統計): cases by level, prefecture, kind and year as SVG charts.
#[utoipa::path(
    get,
    path = "/stats",
    tag = "ui",
    responses((status = 200, description = "Overview page with SVG charts (HTML)", content_type = "text/html"))
)]
pub async fn stats_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let s = match state.index.stats() {
        Ok(s) => s,
        Err(e) => return WebError::from(e).into_html(&state, &viewer),
    };
    let link = |k: &str, v: &str| {
        format!(
            "/?{}",
            serde_urlencoded::to_string([(k, v)]).unwrap_or_default()
        )
    };
    let levels: Vec<_> = s
        .by_level
        .iter()
        .map(|(l, n)| {
            (
                l.clone(),
                *n,
                link("level", Level::parse(l).map_or(l.as_str(), |x| x.slug())),
            )
        })
        .collect();
    let prefs: Vec<_> = s
        .by_prefecture
        .iter()
        .map(|(l, n)| (l.clone(), *n, link("prefecture", l)))
        .collect();
    let kinds: Vec<_> = s
        .by_kind
        .iter()
        .map(|(l, n)| (l.clone(), *n, link("kind", l)))
        .collect();
    let charts = vec![
        hbar_chart("levels", "改善レベル別", &levels),
        hbar_chart("prefectures", "都道府県別", &prefs),
        hbar_chart("kinds", "自治体の種類別", &kinds),
        year_chart(
            "started",
            "開始年別（その年に始まった運動）",
            &s.by_start_year,
        ),
        year_chart("active", "年別の実施中の運動", &s.active_by_year),
    ];
    let map = crate::web::map::prefecture_map(&s.by_prefecture, |p| link("prefecture", p));
    render(&StatsPage {
        base: Base::new(&state, "stats", &viewer),
        total: s.total,
        map,
        charts,
    })
}

// -------------------------------------------------------------- insights

pub struct QueryRow {
    pub query: String,
    pub count: u64,
    pub href: String,
}

#[derive(Template)]
#[template(path = "insights.html")]
pub struct InsightsPage {
    pub base: Base,
    pub searches: u64,
    pub zero_hit_searches: u64,
    pub frequent: Vec<QueryRow>,
    pub zero_hits: Vec<QueryRow>,
}

fn query_rows(list: Vec<crate::web::insights::QueryCount>) -> Vec<QueryRow> {
    list.into_iter()
        .map(|c| QueryRow {
            href: href(&SearchParams {
                q: Some(c.query.clone()),
                ..Default::default()
            }),
            query: c.query,
            count: c.count,
        })
        .collect()
}

/// Most frequent and zero-hit queries, for the association.
#[utoipa::path(
    get,
    path = "/insights",
    tag = "ui",
    responses((status = 200, description = "Query insights page (HTML)", content_type = "text/html"))
)]
pub async fn insights_page(State(state): State<AppState>, viewer: Viewer) -> Response {
    let r = state.insights.report(30);
    render(&InsightsPage {
        base: Base::new(&state, "insights", &viewer),
        searches: r.searches,
        zero_hit_searches: r.zero_hit_searches,
        frequent: query_rows(r.frequent),
        zero_hits: query_rows(r.zero_hits),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_year_bars_write_a_count_only_where_it_changes() {
        let years: Vec<(i32, u64)> = (1990..2030)
            .map(|y| (y, if y < 2010 { 10 } else { 11 }))
            .collect();
        let chart = year_chart("active", "t", &years);
        let shown: Vec<u64> = chart
            .bars
            .iter()
            .filter(|b| b.show_value)
            .map(|b| b.count)
            .collect();
        assert_eq!(shown, [10, 11]);
        // Wide bars: every count.
        let chart = year_chart("active", "t", &years[..5]);
        assert!(chart.bars.iter().all(|b| b.show_value));
    }
}
