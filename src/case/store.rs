//! The case collection on disk: finding case files, reading them, and
//! writing them atomically. The only code that writes into `cases/`, and
//! the one rule for what may be read from it.
//!
//! **What is read**: only regular files inside `cases/`, reached through
//! real folders — no symlinks (a `git pull` can plant one pointing at
//! `/etc/passwd` or `/dev/zero`), no FIFOs or devices (opening a FIFO
//! blocks until someone writes to it), nothing over [`MAX_CASE_BYTES`].
//! [`read_case`] enforces it for every reader: the start-up sync, the
//! file watcher, members' edits and `kaizen-wa check`. A file that breaks
//! the rule is reported like an invalid file, never opened for reading.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::model::Case;
use super::parse::{self, Diagnostic, Parsed};
use crate::atomic;

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
    /// A symlink, FIFO, device or socket where a case file was expected.
    #[error("{path}: {}", not_regular_reason())]
    NotRegular { path: PathBuf },
    #[error("{path}: {}", too_large_reason(*.size))]
    TooLarge { path: PathBuf, size: u64 },
}

/// Largest case file read (bytes). A real case is a few KiB; a 52 MB file
/// once took 20 s and 2.9 GB to index while every write waited.
pub const MAX_CASE_BYTES: u64 = 1024 * 1024;

fn not_regular_reason() -> &'static str {
    "通常のファイルではないため読み込みません（シンボリックリンクや特殊ファイルは使えません）"
}

fn too_large_reason(size: u64) -> String {
    format!(
        "ファイルが大きすぎるため読み込みません（{} KiB、上限 {} KiB）",
        size.div_ceil(1024),
        MAX_CASE_BYTES / 1024
    )
}

impl StoreError {
    /// Whether the file (or a folder on its way) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StoreError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    /// What went wrong without the path: for a page or a diagnostic that
    /// names the file itself (relative to `cases/`) and must not show
    /// where the server keeps it.
    pub fn reason(&self) -> String {
        match self {
            StoreError::Io { source, .. } => format!("読み込めません（{}）", source.kind()),
            StoreError::Exists(_) => "既にあります".into(),
            StoreError::NotRegular { .. } => not_regular_reason().into(),
            StoreError::TooLarge { size, .. } => too_large_reason(*size),
        }
    }

    /// The error as a diagnostic of the file `rel` (line 1, field `file`).
    pub fn diagnostic(&self, rel: &str) -> Diagnostic {
        Diagnostic {
            path: PathBuf::from(rel),
            line: 1,
            column: None,
            field: "file".into(),
            severity: super::Severity::Error,
            message: self.reason(),
        }
    }
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
        } else if is_case_file(&path) {
            // Symlinks and special files named `*.md` are listed too, so
            // that every reader reports them (through [`read_case`]) rather
            // than some skipping them silently and others not.
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

/// Reads the file at `path` under `root` by the rule of this module: a
/// regular file, reached from `root` through real folders only, at most
/// [`MAX_CASE_BYTES`]. A path through a symlinked folder reads as not
/// found (it is not part of the collection). Never blocks on a FIFO, never
/// follows a symlink, even one swapped in between the check and the open.
pub fn read_case(root: &Path, path: &Path) -> Result<Vec<u8>, StoreError> {
    let not_found = || StoreError::Io {
        path: path.to_owned(),
        source: io::ErrorKind::NotFound.into(),
    };
    let rel = path.strip_prefix(root).map_err(|_| not_found())?;
    let mut dir = root.to_path_buf();
    let mut components = rel.components().peekable();
    while let Some(c) = components.next() {
        let std::path::Component::Normal(name) = c else {
            return Err(not_found());
        };
        if components.peek().is_none() {
            break;
        }
        dir.push(name);
        let meta = fs::symlink_metadata(&dir).map_err(io_err(&dir))?;
        if !meta.is_dir() {
            return Err(not_found());
        }
    }
    let regular = |meta: &fs::Metadata| -> Result<(), StoreError> {
        if !meta.is_file() {
            return Err(StoreError::NotRegular {
                path: path.to_owned(),
            });
        }
        if meta.len() > MAX_CASE_BYTES {
            return Err(StoreError::TooLarge {
                path: path.to_owned(),
                size: meta.len(),
            });
        }
        Ok(())
    };
    regular(&fs::symlink_metadata(path).map_err(io_err(path))?)?;
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = opts.open(path).map_err(|e| {
        // ELOOP: a symlink was swapped in after the check.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return StoreError::NotRegular {
                path: path.to_owned(),
            };
        }
        io_err(path)(e)
    })?;
    regular(&file.metadata().map_err(io_err(path))?)?;
    let mut bytes = Vec::new();
    file.take(MAX_CASE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() as u64 > MAX_CASE_BYTES {
        return Err(StoreError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

impl CaseFile {
    /// The cases folder this file was listed under.
    pub fn root(&self) -> &Path {
        let depth = self.rel.split('/').count();
        self.path.ancestors().nth(depth).unwrap_or(Path::new("."))
    }

    /// Its bytes, by [`read_case`]'s rule.
    pub fn read(&self) -> Result<Vec<u8>, StoreError> {
        read_case(self.root(), &self.path)
    }
}

/// Reads and parses a listed case file (by [`read_case`]'s rule).
pub fn load(file: &CaseFile) -> Result<Loaded, StoreError> {
    let bytes = file.read()?;
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
            Some(other) => out.push(Diagnostic::duplicate_id(
                PathBuf::from(&l.file.rel),
                id_line(&l.file.path).unwrap_or(1),
                &case.id,
                other,
            )),
        }
    }
    out
}

fn id_line(path: &Path) -> Option<usize> {
    let bytes = read_case(path.parent()?, path).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix("id")
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

/// Writes `contents` to `path` so that a crash leaves either the old file or
/// the new one, never a torn one ([`crate::atomic`]).
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    atomic::write(
        path,
        contents,
        atomic::Mode::Replace,
        atomic::Access::Default,
    )
    .map_err(io_err(path))
}

/// Like [`write_atomic`], but fails with [`StoreError::Exists`] instead of
/// replacing an existing file — also when two writers race for one name.
pub fn create_atomic(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    atomic::write(
        path,
        contents,
        atomic::Mode::CreateNew,
        atomic::Access::Default,
    )
    .map_err(|e| {
        if e.kind() == io::ErrorKind::AlreadyExists {
            StoreError::Exists(path.to_owned())
        } else {
            io_err(path)(e)
        }
    })
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
