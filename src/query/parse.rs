//! The query language people type into the search box, parsed without
//! tantivy's `QueryParser`: it turns a term that analyses into several
//! tokens into an exact phrase (tantivy#718), which is wrong for unspaced
//! Japanese more often than not.
//!
//! * words separated by spaces (half- or full-width) are ANDed;
//! * `"…"` or `「…」` is a phrase;
//! * `-word` excludes;
//! * `a OR b` (also `|`, `｜`) matches either.
//!
//! Never fails: unbalanced quotes close at the end, a lone `-` or `OR` is
//! a word. Anything people type is searchable.

use crate::analysis::nfkc;

/// One searchable unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// A word as typed (NFKC applied); matched by its terms in any order
    /// within a field, or as a substring.
    Word(String),
    /// Terms in this order, adjacent.
    Phrase(String),
}

impl Atom {
    pub fn text(&self) -> &str {
        match self {
            Atom::Word(s) | Atom::Phrase(s) => s,
        }
    }
}

/// A group of alternatives (`a OR b`), required or excluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub negated: bool,
    pub any_of: Vec<Atom>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub clauses: Vec<Clause>,
}

impl UserQuery {
    /// No positive clause: a browse of everything the filters allow.
    pub fn is_match_all(&self) -> bool {
        self.clauses.iter().all(|c| c.negated)
    }

    /// The atoms that must (or may) match, for highlighting.
    pub fn positive_atoms(&self) -> impl Iterator<Item = &Atom> {
        self.clauses
            .iter()
            .filter(|c| !c.negated)
            .flat_map(|c| c.any_of.iter())
    }
}

#[derive(Debug, PartialEq)]
enum Lexeme {
    Word(String),
    Phrase(String),
    Or,
}

fn lex(input: &str) -> Vec<(bool, Lexeme)> {
    let mut out = Vec::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let mut negated = false;
        let mut j = i;
        if c == '-' && j + 1 < chars.len() && !chars[j + 1].is_whitespace() {
            negated = true;
            j += 1;
        }
        let close = match chars[j] {
            '"' => Some('"'),
            '「' => Some('」'),
            '“' => Some('”'),
            _ => None,
        };
        if let Some(close) = close {
            let start = j + 1;
            let end = chars[start..]
                .iter()
                .position(|&c| c == close)
                .map_or(chars.len(), |p| start + p);
            let text: String = chars[start..end].iter().collect();
            if !text.trim().is_empty() {
                out.push((negated, Lexeme::Phrase(text.trim().to_owned())));
            }
            i = end + 1;
            continue;
        }
        let end = chars[j..]
            .iter()
            .position(|c| c.is_whitespace())
            .map_or(chars.len(), |p| j + p);
        let word: String = chars[j..end].iter().collect();
        if !negated && (word == "OR" || word == "|" || word == "｜") {
            out.push((false, Lexeme::Or));
        } else {
            out.push((negated, Lexeme::Word(word)));
        }
        i = end;
    }
    out
}

/// Parses what a person typed.
pub fn parse(input: &str) -> UserQuery {
    // NFKC first: full-width space, quotes and minus become ASCII.
    let input = nfkc(input);
    let lexemes = lex(&input);
    let mut clauses: Vec<Clause> = Vec::new();
    let mut join_next = false;
    let n = lexemes.len();
    for (idx, (negated, lexeme)) in lexemes.into_iter().enumerate() {
        let atom = match lexeme {
            Lexeme::Or => {
                // `OR` between two operands joins them; elsewhere it is a word.
                if !clauses.is_empty() && idx + 1 < n {
                    join_next = true;
                    continue;
                }
                Atom::Word("OR".into())
            }
            Lexeme::Word(w) => Atom::Word(w),
            Lexeme::Phrase(p) => Atom::Phrase(p),
        };
        match clauses.last_mut() {
            Some(last) if join_next && !last.negated && !negated => last.any_of.push(atom),
            _ => clauses.push(Clause {
                negated,
                any_of: vec![atom],
            }),
        }
        join_next = false;
    }
    UserQuery { clauses }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Atom {
        Atom::Word(s.into())
    }
    fn must(atoms: Vec<Atom>) -> Clause {
        Clause {
            negated: false,
            any_of: atoms,
        }
    }

    #[test]
    fn spaces_full_width_too_separate_required_words() {
        assert_eq!(
            parse("首長交代\u{3000}改善").clauses,
            vec![must(vec![w("首長交代")]), must(vec![w("改善")])]
        );
    }

    #[test]
    fn phrases_exclusions_and_or() {
        let q = parse("「DNA運動」 -福岡 業務改善 OR 職場改善");
        assert_eq!(
            q.clauses,
            vec![
                must(vec![Atom::Phrase("DNA運動".into())]),
                Clause {
                    negated: true,
                    any_of: vec![w("福岡")]
                },
                must(vec![w("業務改善"), w("職場改善")]),
            ]
        );
    }

    #[test]
    fn odd_input_is_still_a_query() {
        assert_eq!(
            parse("\"未完").clauses,
            vec![must(vec![Atom::Phrase("未完".into())])]
        );
        assert_eq!(parse("OR").clauses, vec![must(vec![w("OR")])]);
        assert_eq!(
            parse("- x").clauses,
            vec![must(vec![w("-")]), must(vec![w("x")])]
        );
        assert!(parse("   ").is_match_all());
        assert!(parse("-福岡").is_match_all());
    }

    #[test]
    fn full_width_minus_and_quotes_work() {
        let q = parse("－福岡 ＂改善運動＂");
        assert!(q.clauses[0].negated);
        assert_eq!(q.clauses[1].any_of, vec![Atom::Phrase("改善運動".into())]);
    }
}
