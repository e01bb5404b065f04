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
