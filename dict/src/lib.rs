//! The IPADIC dictionary, compiled at build time from the vendored source in
//! `vendor/` and embedded in the binary.
//!
//! This is its own crate so that the ~10 s dictionary build and the ~50 MB of
//! embedded bytes are compiled once, not on every change to kaizen-wa itself.
//! Loading is zero-copy: the dictionary structures are views over static
//! bytes, so [`load`] takes about a millisecond.

mod embedded {
    lindera_dictionary::embedded_dictionary!("/kaizen-wa-ipadic", EmbeddedIpadicLoader);
}

pub use lindera_dictionary::dictionary::Dictionary;

/// Loads the embedded IPADIC dictionary.
///
/// # Errors
/// Only if the embedded bytes are inconsistent, i.e. a broken build.
pub fn load() -> lindera_dictionary::LinderaResult<Dictionary> {
    embedded::load()
}

/// The dictionary's metadata, needed to compile a user dictionary against it.
pub fn metadata_json() -> &'static str {
    include_str!("../metadata.json")
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_dictionary_loads_and_knows_ipadic() {
        let dict = super::load().expect("embedded dictionary loads");
        assert_eq!(dict.metadata.name, "ipadic");
    }
}

/// Every prefecture and municipality with its local government code
/// (`data/local_government.csv`, UTF-8 with BOM).
pub const LOCAL_GOVERNMENT_CSV: &str = include_str!("../data/local_government.csv");

/// The user dictionary source (`user_dict.csv`): domain words with their
/// parts and readings. Parsed by kaizen-wa's analysis module, which adds
/// municipality names and hands the rows to [`user_dictionary`].
pub const USER_DICT_CSV: &str = include_str!("../user_dict.csv");

/// The synonyms file shipped with the binary (`synonyms.txt`): used when no
/// editable copy is found at run time.
pub const SYNONYMS_TXT: &str = include_str!("../synonyms.txt");

/// Compiles user dictionary rows in lindera's simple format
/// (`surface,part_of_speech,reading`) against the embedded dictionary's
/// metadata. Cheap enough (a few ms for a few thousand rows) to do at start-up.
///
/// # Errors
/// A malformed row (wrong number of fields).
pub fn user_dictionary(
    simple_csv: &str,
) -> lindera_dictionary::LinderaResult<lindera_dictionary::dictionary::UserDictionary> {
    let metadata: lindera_dictionary::dictionary::metadata::Metadata =
        serde_json::from_str(metadata_json())
            .map_err(|e| lindera_dictionary::error::LinderaErrorKind::Parse.with_error(e))?;
    lindera_dictionary::builder::DictionaryBuilder::new(metadata)
        .build_user_dict_from_reader(simple_csv.as_bytes())
}

/// SudachiDict's synonym dictionary (`vendor/sudachi-synonyms.txt.zst`,
/// Apache-2.0, see `vendor/sudachi-synonyms-NOTICE.md`), compiled by the
/// build script: one line per group, the group number then its headwords,
/// tab-separated, each prefixed by its role (`=` expands and is expanded
/// to, `<` is only expanded to, `>` only expands).
pub const SUDACHI_SYNONYMS: &str = include_str!(concat!(env!("OUT_DIR"), "/sudachi-synonyms.tsv"));
