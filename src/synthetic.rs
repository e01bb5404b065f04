//! A deterministic synthetic case corpus for benchmarks.
//!
//! Real cases are few (the samples) and short; speed has to be measured at
//! the scale of a national collection (10^4–10^5 cases). This generator
//! builds valid case files from public-domain prose (`benches/data/`) mixed
//! with the vocabulary of improvement campaigns, so that indexing does real
//! Japanese analysis and searches hit real terms. Case `i` depends only on
//! `i`: the same corpus on every machine, and any subset can be generated
//! in parallel.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::case::{self, Case, Kind, Level, Period, Sections, municipalities};

/// Domain sentences mixed into the prose, so benchmark queries have
/// campaign vocabulary to find.
const DOMAIN: &[&str] = &[
    "首長交代をきっかけに改善運動が途絶えそうになった。",
    "職員提案制度を見直し、一人一改善を呼びかけた。",
    "年に一度の改善発表会で各職場の取組を共有した。",
    "やらされ感が広がり、活動が形骸化したという声もあった。",
    "ボトムアップの改善とトップダウンの経営改革を連動させた。",
    "業務改善の成果を市民に公開し、行政経営の透明性を高めた。",
    "推進担当課が研修を企画し、人材育成に力を入れた。",
    "事務事業評価と組み合わせて施策の見直しにつなげた。",
    "カイゼンの考え方を広めるために庁内報で事例を紹介した。",
    "担当者の異動で取組が引き継がれず、予算も廃止された。",
    "職場改善の一環として書類の整理整頓を全庁で進めた。",
    "戦略提案を募り、若手職員が政策形成に参加した。",
];

const TOPICS: &[&str] = &[
    "改善運動",
    "業務改善の取組",
    "職員提案制度",
    "改善発表会",
    "カイゼン活動",
    "行政経営改革",
    "人材育成プログラム",
    "職場改善運動",
    "事務事業評価",
    "窓口サービス改善",
];

/// splitmix64: tiny, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Sentences of the source texts, Aozora markup removed.
pub struct Source {
    sentences: Vec<String>,
}

/// The bundled benchmark texts (`benches/data/` of the project).
pub fn default_source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data")
}

impl Source {
    /// Reads every `*.txt` under `dir` (sorted, for determinism).
    pub fn load(dir: &Path) -> std::io::Result<Source> {
        let mut paths: Vec<PathBuf> = fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        paths.sort();
        let mut sentences = Vec::new();
        for p in paths {
            let text = fs::read_to_string(&p)?;
            sentences.extend(split_sentences(&strip_aozora(&text)));
        }
        if sentences.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no Japanese sentences in {}", dir.display()),
            ));
        }
        Ok(Source { sentences })
    }

    fn passage(&self, rng: &mut Rng, sentences: usize) -> String {
        let start = rng.below(self.sentences.len());
        let mut out = String::new();
        for k in 0..sentences {
            out.push_str(&self.sentences[(start + k) % self.sentences.len()]);
            if rng.chance(25) {
                out.push_str(DOMAIN[rng.below(DOMAIN.len())]);
            }
        }
        out
    }
}

/// Removes ruby (《…》), ruby starts (｜), editor notes (［＃…］), and the
/// Aozora header and footer.
pub fn strip_aozora(text: &str) -> String {
    let body_start = text
        .match_indices("-------------------------------------------------------")
        .nth(1)
        .map_or(0, |(i, m)| i + m.len());
    let body_end = text.find("底本：").unwrap_or(text.len());
    let body = &text[body_start.min(body_end)..body_end];
    let mut out = String::with_capacity(body.len());
    let mut depth_ruby = 0;
    let mut depth_note = 0;
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '《' => depth_ruby += 1,
            '》' => depth_ruby = 0,
            '［' if chars.peek() == Some(&'＃') => depth_note += 1,
            '］' if depth_note > 0 => depth_note -= 1,
            '｜' => {}
            _ if depth_ruby > 0 || depth_note > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

fn split_sentences(text: &str) -> Vec<String> {
    text.split_inclusive('。')
        .map(|s| s.split_whitespace().collect::<String>())
        .filter(|s| s.chars().count() >= 8)
        .collect()
}

/// The synthetic case number `i`.
pub fn case(source: &Source, i: usize) -> Case {
    let mut rng = Rng::new(i as u64);
    let all = municipalities::all();
    let m = &all[rng.below(all.len())];
    let kind = municipalities::infer_kind(&m.prefecture, &m.name).unwrap_or(Kind::City);
    let mut levels: Vec<Level> = Level::ALL.into_iter().filter(|_| rng.chance(35)).collect();
    if levels.is_empty() {
        levels.push(Level::ALL[rng.below(5)]);
    }
    let start = 1995 + rng.below(30) as i32;
    let end = rng
        .chance(30)
        .then(|| start + rng.below(8) as i32)
        .filter(|e| *e <= 2025);
    let mut sections = Sections::default();
    for s in case::Section::ALL {
        let n = if s == case::Section::Summary {
            1
        } else {
            2 + rng.below(4)
        };
        *sections.get_mut(s) = source.passage(&mut rng, n);
    }
    Case {
        id: format!("synth-{i:06}"),
        title: format!(
            "{}の{}（第{}期）",
            m.name,
            TOPICS[rng.below(TOPICS.len())],
            1 + rng.below(5)
        ),
        municipality: m.name.clone(),
        prefecture: m.prefecture.clone(),
        kind,
        levels,
        period: Period { start, end },
        tags: vec!["合成データ".into()],
        contributor: Some("kaizen-wa synth".into()),
        updated: Some(format!(
            "{}-{:02}-{:02}",
            2020 + rng.below(6),
            1 + rng.below(12),
            1 + rng.below(28)
        )),
        sections,
        sources: vec![format!("https://example.invalid/synthetic/{i}")],
        extra_sections: Vec::new(),
        contact: Default::default(),
    }
}

/// Writes cases `0..count` under `out` (1,000 per sub-folder) and returns
/// the total bytes written.
pub fn write_corpus(source: &Source, count: usize, out: &Path) -> std::io::Result<u64> {
    (0..count)
        .into_par_iter()
        .map(|i| {
            let dir = out.join(format!("{:03}", i / 1000));
            fs::create_dir_all(&dir)?;
            let text = case::render(&case(source, i));
            fs::write(dir.join(format!("synth-{i:06}.md")), &text)?;
            Ok(text.len() as u64)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_valid_and_deterministic() {
        let source = Source::load(&default_source_dir()).unwrap();
        for i in [0, 1, 999, 12_345] {
            let c = case(&source, i);
            assert_eq!(c, case(&source, i));
            let parsed = case::parse(Path::new("s.md"), &case::render(&c));
            assert!(!parsed.has_errors(), "case {i}: {:#?}", parsed.diagnostics);
        }
        assert_ne!(case(&source, 1), case(&source, 2));
    }

    #[test]
    fn aozora_markup_is_removed() {
        let s = strip_aozora("｜吾輩《わがはい》は猫である［＃「猫」に傍点］。");
        assert_eq!(s, "吾輩は猫である。");
    }
}
