//! Times the engine on three texts (median of repeated runs, one thread):
//! a short query, a passage of about 530 characters (one window) and one of
//! 2,000 characters (several windows), and prints the resident memory after
//! loading. Run with `cargo run --release -p kaizen-wa-embed --example bench`.

use std::time::{Duration, Instant};

use kaizen_wa_embed::Model;

const QUERY: &str = "職員のやる気が続かない";

/// About 530 characters of case-like prose, on one line.
const PASSAGE: &str = "ある市役所では、窓口の待ち時間が長いという苦情が毎年寄せられていた。担当課の若手職員三人が、昼休みに来庁者の動きを一週間記録したところ、申請書の書き方が分からずに記入台の前で迷う人が多く、職員が一人ずつ説明するために列が止まっていることが分かった。そこで記入例を大きく掲示し、よく間違える欄には色を付け、番号札を取った人に記入の手引きを先に渡すようにした。費用は印刷代だけだったが、平均の待ち時間は二十分から八分に縮み、苦情の件数も半分以下になった。取り組みは庁内の改善発表会で紹介され、市長が表彰したほか、ほかの課でも同じ手引きを作る動きが広がった。発表した職員は、大きな予算や制度の変更がなくても、現場で気づいたことを少しずつ形にすれば仕事は変えられると語った。一方で、担当者が異動すると掲示物の更新が止まりがちになるという課題も残り、翌年度からは改善の記録を共有フォルダにまとめ、年に一度見直す仕組みを設けた。こうした小さな工夫の積み重ねが、職員同士で知恵を出し合う職場の雰囲気をつくり、次の提案につながっているという。同じ市では、この経験を新任職員の研修でも取り上げ、窓口に立つ前に来庁者の目線で手続きを一通りたどってみる演習を毎年春に行っている。";

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(model: &Model, text: &str, runs: usize, query: bool) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let v = if query {
                model.query(text)
            } else {
                model.passage(text)
            };
            std::hint::black_box(v);
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    let before = rss_mib();
    let start = Instant::now();
    let model = Model::embedded().expect("the embedded model parses");
    println!(
        "load: {:.0} ms, RSS {before:.0} MiB before, {:.0} MiB after",
        start.elapsed().as_secs_f64() * 1e3,
        rss_mib()
    );
    let long: String = PASSAGE.chars().cycle().take(2000).collect();
    for (label, text, runs, query) in [
        ("query", QUERY, 21, true),
        ("passage 530 chars", PASSAGE, 11, false),
        ("passage 2000 chars", long.as_str(), 5, false),
    ] {
        let chars = text.chars().count();
        let tokens = model.token_count(text, query);
        let t = median(model, text, runs, query);
        println!(
            "{label:>20}: {chars:>5} chars, {tokens:>5} tokens, median of {runs}: {:.1} ms",
            t.as_secs_f64() * 1e3
        );
    }
    println!("RSS after the runs: {:.0} MiB", rss_mib());
}
