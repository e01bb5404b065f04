//! Compiles the vendored IPADIC source into lindera's binary dictionary format.
//!
//! lindera's own `embed-ipadic` feature downloads the source at build time,
//! which fails on machines (and municipal networks) that only reach package
//! registries. The source therefore lives in `vendor/` as a zstd-compressed
//! tarball; this script unpacks it into `OUT_DIR`, runs lindera's
//! `DictionaryBuilder`, and points `LINDERA_WORKDIR` at the result so that
//! `lindera_dictionary::embedded_dictionary!` can `include_bytes!` it.

use std::error::Error;
use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

const ARCHIVE: &str = "vendor/mecab-ipadic-2.7.0-20070801.tar.zst";
/// Top-level folder inside the tarball.
const SOURCE_DIR: &str = "mecab-ipadic";
/// Folder under `LINDERA_WORKDIR` that `src/lib.rs` embeds.
const OUTPUT_DIR: &str = "kaizen-wa-ipadic";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=metadata.json");
    println!("cargo::rerun-if-changed={ARCHIVE}");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    println!("cargo::rustc-env=LINDERA_WORKDIR={}", out_dir.display());

    let output = out_dir.join(OUTPUT_DIR);
    let stamp = output.join(".complete");
    let archive_len = fs::metadata(ARCHIVE)?.len().to_string();
    // A previous run of this same script already produced the dictionary:
    // skip the ~10 s rebuild. The stamp records the archive size, so a new
    // vendored source is never masked by a stale build.
    if fs::read_to_string(&stamp).is_ok_and(|s| s == archive_len) {
        return Ok(());
    }

    let source = out_dir.join(SOURCE_DIR);
    if source.exists() {
        fs::remove_dir_all(&source)?;
    }
    unpack(Path::new(ARCHIVE), &out_dir)?;

    let metadata: Metadata = serde_json_from_file("metadata.json")?;
    DictionaryBuilder::new(metadata)
        .build_dictionary(&source, &output)
        .map_err(|e| format!("building IPADIC from {}: {e}", source.display()))?;

    // The unpacked CSVs (62 MB) are not needed once compiled.
    fs::remove_dir_all(&source)?;
    fs::write(stamp, archive_len)?;
    Ok(())
}

fn unpack(archive: &Path, into: &Path) -> Result<(), Box<dyn Error>> {
    let file = BufReader::new(File::open(archive)?);
    let decoder = ruzstd::decoding::StreamingDecoder::new(file)
        .map_err(|e| format!("{}: not a zstd stream: {e}", archive.display()))?;
    tar::Archive::new(decoder).unpack(into)?;
    Ok(())
}

fn serde_json_from_file(path: &str) -> Result<Metadata, Box<dyn Error>> {
    let text = fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}
