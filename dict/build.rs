//! Compiles the vendored IPADIC source into lindera's binary dictionary format.
//!
//! lindera's own `embed-ipadic` feature downloads the source at build time,
//! which fails on machines (and municipal networks) that only reach package
//! registries. The source therefore lives in `vendor/` as a zstd-compressed
//! tarball; this script unpacks it into `OUT_DIR`, runs lindera's
//! `DictionaryBuilder`, and points `LINDERA_WORKDIR` at the result so that
//! `lindera_dictionary::embedded_dictionary!` can `include_bytes!` it.
//!
//! It also compiles SudachiDict's synonym source (`vendor/`, zstd) into a
//! compact table (`sudachi-synonyms.tsv` in `OUT_DIR`, see
//! [`compile_synonyms`]) that `src/lib.rs` embeds: the flags are applied
//! here once, so the program never parses the 92,000-line CSV.

use std::error::Error;
use std::fs::{self, File};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use lindera_dictionary::builder::DictionaryBuilder;
use lindera_dictionary::dictionary::metadata::Metadata;

const ARCHIVE: &str = "vendor/mecab-ipadic-2.7.0-20070801.tar.zst";
/// SudachiDict's synonym source, unchanged but for the compression.
const SYNONYMS: &str = "vendor/sudachi-synonyms.txt.zst";
/// The compiled table under `OUT_DIR`.
const SYNONYMS_TABLE: &str = "sudachi-synonyms.tsv";
/// Top-level folder inside the tarball.
const SOURCE_DIR: &str = "mecab-ipadic";
/// Folder under `LINDERA_WORKDIR` that `src/lib.rs` embeds.
const OUTPUT_DIR: &str = "kaizen-wa-ipadic";

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=metadata.json");
    println!("cargo::rerun-if-changed={ARCHIVE}");
    println!("cargo::rerun-if-changed={SYNONYMS}");

    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    println!("cargo::rustc-env=LINDERA_WORKDIR={}", out_dir.display());
    // Well under a second: always redone, so the table never goes stale.
    let table = compile_synonyms(&read_zstd(Path::new(SYNONYMS))?)?;
    fs::write(out_dir.join(SYNONYMS_TABLE), table)?;

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

fn read_zstd(path: &Path) -> Result<String, Box<dyn Error>> {
    let file = BufReader::new(File::open(path)?);
    let mut decoder = ruzstd::decoding::StreamingDecoder::new(file)
        .map_err(|e| format!("{}: not a zstd stream: {e}", path.display()))?;
    let mut text = String::new();
    decoder.read_to_string(&mut text)?;
    Ok(text)
}

/// The synonym source (CSV: group, 体言/用言, expansion control, lexeme,
/// form, abbreviation, variant, field, headword, reserved, reserved) as
/// one line per group: the group number, then each usable headword with
/// its role as the first character:
///
/// * `=`: expands and is expanded to (expansion control 0);
/// * `<`: only expanded to (control 1: too broad to expand *from*, e.g.
///   理由 in the group of 経緯);
/// * `>`: only expands (a misuse, 誤用, a misspelling, 誤表記, or a
///   spelling in the alphabet: typing it finds the group, but the group
///   never searches for it).
///
/// Headwords under control 2 (kept in the source only as a record of
/// harmful entries) are left out, as are mistakes and alphabet spellings
/// under control 1 (they may neither expand nor be searched for), and
/// groups left with fewer than two headwords or none that expands.
fn compile_synonyms(source: &str) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let mut group = String::new();
    let mut words: Vec<String> = Vec::new();
    let flush = |out: &mut String, group: &str, words: &mut Vec<String>| {
        if words.len() > 1 && words.iter().any(|w| !w.starts_with('<')) {
            out.push_str(group);
            for w in words.iter() {
                out.push('\t');
                out.push_str(w);
            }
            out.push('\n');
        }
        words.clear();
    };
    for (i, line) in source.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 11 {
            return Err(format!("{SYNONYMS}:{}: {} fields, not 11", i + 1, fields.len()).into());
        }
        let (id, control, form, variant, head) =
            (fields[0], fields[2], fields[4], fields[6], fields[8].trim());
        if id != group {
            flush(&mut out, &group, &mut words);
            group = id.to_owned();
        }
        if head.is_empty() || head.contains('\t') || control == "2" {
            continue;
        }
        // Typing a mistake or a spelling in the alphabet (airport, TMC)
        // finds the group, but searching Japanese texts for it only adds
        // collisions (TAK, MGR) and misspellings.
        let abbreviation = fields[5];
        let only_from = form == "4" || variant == "3" || variant == "1" || abbreviation == "1";
        let role = match (only_from, control == "1") {
            // One that must not expand either: nothing left to do.
            (true, true) => continue,
            (true, false) => '>',
            (false, true) => '<',
            (false, false) => '=',
        };
        words.push(format!("{role}{head}"));
    }
    flush(&mut out, &group, &mut words);
    Ok(out)
}

fn serde_json_from_file(path: &str) -> Result<Metadata, Box<dyn Error>> {
    let text = fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}
