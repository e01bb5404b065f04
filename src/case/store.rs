//! The case collection on disk: finding case files, reading them, and
//! writing them atomically. The only code that writes into `cases/`.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::model::Case;
use super::parse::{self, Diagnostic, Parsed};
use super::validate::Severity;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{0} は既にあります（上書きしません）")]
    Exists(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A case file found under the cases folder.
#[derive(Debug, Clone)]
pub struct CaseFile {
    /// Path relative to the cases folder, with `/` separators: the stable
    /// key of a file in the index.
    pub rel: String,
    pub path: PathBuf,
}

/// Folders under `cases/` that are not part of the collection.
fn skipped_dir(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// Whether a file is a case file: `*.md`, except README-like files.
pub fn is_case_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.ends_with(".md")
        && !name.starts_with('.')
        && !name.starts_with('_')
        && !name.eq_ignore_ascii_case("README.md")
}

/// Lists every case file under `root`, sorted by relative path. Hidden and
/// `_`-prefixed folders (`.trash/`, `_drafts/`) and README files are skipped.
pub fn list(root: &Path) -> Result<Vec<CaseFile>, StoreError> {
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<CaseFile>) -> Result<(), StoreError> {
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(io_err(&path))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if ty.is_dir() {
            if !skipped_dir(&name) {
                walk(root, &path, out)?;
            }
        } else if ty.is_file() && is_case_file(&path) {
            out.push(CaseFile {
                rel: rel_path(root, &path),
                path,
            });
        }
    }
    Ok(())
}

/// `root/a/b.md` → `a/b.md`.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A case file read and parsed, with the hash of its bytes.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file: CaseFile,
    /// blake3 of the file's bytes, hex: unchanged files are not re-indexed.
    pub hash: String,
    pub parsed: Parsed,
}

pub fn load(file: &CaseFile) -> Result<Loaded, StoreError> {
    let bytes = fs::read(&file.path).map_err(io_err(&file.path))?;
    Ok(load_bytes(file.clone(), &bytes))
}

pub fn load_bytes(file: CaseFile, bytes: &[u8]) -> Loaded {
    let hash = blake3::hash(bytes).to_hex().to_string();
    let parsed = parse::parse_bytes(Path::new(&file.rel), bytes);
    Loaded { file, hash, parsed }
}

pub fn hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Reports ids used by more than one file: one error per extra file,
/// pointing at its `id` line and naming the first file.
pub fn duplicate_ids(loaded: &[Loaded]) -> Vec<Diagnostic> {
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::new();
    for l in loaded {
        let Some(case) = &l.parsed.case else { continue };
        match first.get(case.id.as_str()) {
            None => {
                first.insert(&case.id, &l.file.rel);
            }
            Some(other) => out.push(Diagnostic {
                path: PathBuf::from(&l.file.rel),
                line: id_line(&l.file.path).unwrap_or(1),
                column: None,
                field: "id".into(),
                severity: Severity::Error,
                message: format!(
                    "id「{}」は {other} でも使われています。別の id にしてください",
                    case.id
                ),
            }),
        }
    }
    out
}

fn id_line(path: &Path) -> Option<usize> {
    let text = fs::read_to_string(path).ok()?;
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix("id")
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// Writes `contents` to `path` so that a crash leaves either the old file or
/// the new one, never a torn one: temp file in the same folder, fsync,
/// rename over, fsync the folder.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let tmp = temp_beside(path)?;
    let result = (|| {
        write_synced(&tmp, contents)?;
        fs::rename(&tmp, path).map_err(io_err(path))?;
        sync_dir(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Like [`write_atomic`], but fails with [`StoreError::Exists`] instead of
/// replacing an existing file — also when two writers race for one name.
pub fn create_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    if path.exists() {
        return Err(StoreError::Exists(path.to_owned()));
    }
    let tmp = temp_beside(path)?;
    let result = (|| {
        write_synced(&tmp, contents)?;
        // link(2) fails if the target exists: no window for a lost update.
        fs::hard_link(&tmp, path).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                StoreError::Exists(path.to_owned())
            } else {
                io_err(path)(e)
            }
        })?;
        sync_dir(path)
    })();
    let _ = fs::remove_file(&tmp);
    result
}

fn temp_beside(path: &Path) -> Result<PathBuf, StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let unique = format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    Ok(dir.join(unique))
}

static TEMP_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn write_synced(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io_err(path))?;
    f.write_all(contents).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // Directory fsync makes the rename durable; not supported everywhere
    // (Windows), where the rename itself is the best we get.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Where a new case with this id goes: `cases/<id>.md`.
pub fn path_for_new(root: &Path, case: &Case) -> PathBuf {
    root.join(format!("{}.md", case.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_skips_hidden_folders_and_readmes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("fukuoka")).unwrap();
        fs::create_dir_all(root.join(".trash")).unwrap();
        fs::write(root.join("fukuoka/dna.md"), "x").unwrap();
        fs::write(root.join("a.md"), "x").unwrap();
        fs::write(root.join("README.md"), "x").unwrap();
        fs::write(root.join(".trash/old.md"), "x").unwrap();
        fs::write(root.join("notes.txt"), "x").unwrap();
        let rels: Vec<_> = list(root).unwrap().into_iter().map(|f| f.rel).collect();
        assert_eq!(rels, vec!["a.md", "fukuoka/dna.md"]);
    }

    #[test]
    fn create_atomic_never_overwrites_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.md");
        create_atomic(&p, b"one").unwrap();
        assert!(matches!(
            create_atomic(&p, b"two"),
            Err(StoreError::Exists(_))
        ));
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
