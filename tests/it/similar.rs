//! 似た事例 explains itself in words the reader can find in both texts
//! (issue 16): surface forms as written (セミナー, サービス), never the
//! folded index terms (セミナ, サビス).

use kaizen_wa::analysis::{AnalyzerKind, analyze};
use kaizen_wa::case::Case;

use crate::common::{indexed_ids, sample_index};

/// A case's narrative, whole.
fn narrative(case: &Case) -> String {
    case.narrative()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `word` is written as one whole word of the text (a token's
/// surface), not just inside a longer one (セミナ inside セミナー).
fn written_as_a_word(case: &Case, word: &str) -> bool {
    case.narrative().any(|(_, text)| {
        analyze(AnalyzerKind::Morph, text)
            .iter()
            .any(|t| text.get(t.start..t.end) == Some(word))
    })
}

#[test]
fn shared_words_are_written_in_both_cases() {
    let idx = sample_index();
    let ids = indexed_ids(idx);
    assert!(ids.len() >= 10);
    let mut shown = Vec::new();
    for id in &ids {
        let source = idx.get(id).unwrap().unwrap();
        for s in idx.similar(id, 5).unwrap().unwrap() {
            let other = idx.get(&s.case.id).unwrap().unwrap();
            assert!(!s.shared.is_empty(), "{id} ~ {}: nothing shared", s.case.id);
            for w in &s.shared {
                for case in [&source, &other] {
                    assert!(
                        narrative(case).contains(w.as_str()),
                        "{id} ~ {}: {w} is not in {}",
                        s.case.id,
                        case.id
                    );
                    assert!(
                        written_as_a_word(case, w),
                        "{id} ~ {}: {w} is not a word of {}",
                        s.case.id,
                        case.id
                    );
                }
            }
            shown.extend(s.shared);
        }
    }
    // Katakana words keep their long vowels (the index folds them away).
    for word in ["セミナー", "サービス"] {
        assert!(shown.iter().any(|w| w == word), "{word} not in {shown:?}");
    }
    for folded in ["セミナ", "サビス", "シト"] {
        assert!(!shown.iter().any(|w| w == folded), "{folded} shown");
    }
}
