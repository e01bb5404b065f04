//! What each hit of a page matches: which positive words it lacks (a
//! relaxed match of several words), and which sections hold a match (so
//! only those are highlighted).

use tantivy::query::EnableScoring;
use tantivy::{DocAddress, Searcher};

use super::build::Built;
use super::collect::{Cursor, Ranked};
use crate::case::Section;
use crate::index::{CaseIndex, IndexError};

/// What a hit matches.
#[derive(Debug, Clone, Default)]
pub(super) struct Explained {
    /// The sections holding a match, when asked.
    pub sections: Vec<Section>,
    /// The positive words it lacks (by index into the built words).
    pub missing: Vec<usize>,
}

/// Whether a hit matches a word (or a word in a section) is a seek in a
/// few posting lists, leaf by leaf. A scorer of the whole word would be a
/// union, which buffers the next block of every clause (thousands of
/// documents, phrases checked position by position) at every seek.
struct Leaf {
    section: Option<Section>,
    cursor: Cursor,
}

impl Leaf {
    /// Whether the document at `addr` matches (asked in order, see
    /// [`Cursor`]).
    fn matches(&mut self, searcher: &Searcher, addr: DocAddress) -> tantivy::Result<bool> {
        Ok(self.cursor.at(searcher, addr)?.is_some())
    }
}

impl CaseIndex {
    /// What each hit of `page` matches: the words it lacks when there are
    /// several, and the sections (among `sections`) when asked. Nothing
    /// is asked of the index when neither is needed, or there is no hit.
    pub(super) fn explain(
        &self,
        searcher: &Searcher,
        built: &Built,
        page: &[Ranked],
        sections: Option<&[Section]>,
    ) -> Result<Vec<Explained>, IndexError> {
        if page.is_empty() || (sections.is_none() && built.leaves.len() <= 1) {
            return Ok(vec![Explained::default(); page.len()]);
        }
        let err = self.tantivy_err();
        let enable = EnableScoring::disabled_from_searcher(searcher);
        let mut words: Vec<Vec<Leaf>> = Vec::with_capacity(built.leaves.len());
        for leaves in &built.leaves {
            let mut out = Vec::with_capacity(leaves.len());
            for (section, q) in leaves {
                out.push(Leaf {
                    section: *section,
                    cursor: Cursor::new(q.weight(enable).map_err(&err)?),
                });
            }
            words.push(out);
        }
        // The parts of compounds locate sections only when asked.
        let mut parts = Vec::new();
        if sections.is_some() {
            for (section, q) in &built.part_leaves {
                parts.push(Leaf {
                    section: *section,
                    cursor: Cursor::new(q.weight(enable).map_err(&err)?),
                });
            }
        }
        let addrs: Vec<DocAddress> = page.iter().map(|r| r.addr).collect();
        explain_hits(searcher, &mut words, &mut parts, &addrs, sections).map_err(err)
    }
}

/// What each hit matches, asked of the words' leaves hit by hit in index
/// order (cursors only move forward). `parts`: leaves that locate
/// sections but do not make a word present (a compound's parts).
fn explain_hits(
    searcher: &Searcher,
    words: &mut [Vec<Leaf>],
    parts: &mut [Leaf],
    addrs: &[DocAddress],
    sections: Option<&[Section]>,
) -> tantivy::Result<Vec<Explained>> {
    let mut order: Vec<usize> = (0..addrs.len()).collect();
    order.sort_by_key(|&i| (addrs[i].segment_ord, addrs[i].doc_id));
    let mut out = vec![Explained::default(); addrs.len()];
    for i in order {
        let addr = addrs[i];
        if words.len() > 1 {
            for (w, leaves) in words.iter_mut().enumerate() {
                if !any_matches(searcher, leaves.iter_mut(), addr)? {
                    out[i].missing.push(w);
                }
            }
        }
        for &s in sections.unwrap_or(&[]) {
            let in_section = words
                .iter_mut()
                .flat_map(|leaves| leaves.iter_mut())
                .chain(parts.iter_mut())
                .filter(|l| l.section == Some(s));
            if any_matches(searcher, in_section, addr)? {
                out[i].sections.push(s);
            }
        }
    }
    Ok(out)
}

/// Whether any of `leaves` matches the document (stops at the first).
fn any_matches<'a>(
    searcher: &Searcher,
    leaves: impl Iterator<Item = &'a mut Leaf>,
    addr: DocAddress,
) -> tantivy::Result<bool> {
    for leaf in leaves {
        if leaf.matches(searcher, addr)? {
            return Ok(true);
        }
    }
    Ok(false)
}
