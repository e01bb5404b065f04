//! Members' writes into `cases/`: create, update (with an expected content
//! hash), delete (to `cases/.trash/`, restorable), and the import's plain
//! writes.
//!
//! Every write is validated first (field-level problems, for a form), then
//! rendered, re-parsed (the file must read back as exactly the case that was
//! meant), and written atomically. Each returns the [`FileChange`] it made:
//! what happened to which file, for whoever keeps a view of `cases/` (the
//! live index, `import`) to follow once the file is safely on disk. This
//! module only writes files and knows nothing of those views.
//!
//! Check-then-write steps of updates and deletes (is this ETag current?)
//! run under one process-wide lock, so two requests in one server cannot
//! both win; creates need none (the file system refuses a second file of
//! one name).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::model::Case;
use super::parse;
use super::store::{self, StoreError};
use super::validate::{FieldProblem, Severity, validate};

/// The folder under `cases/` that deleted cases are moved to (skipped by
/// [`store::list`], ignored by git).
pub const TRASH_DIR: &str = ".trash";

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The case does not validate; nothing was written. Every problem is
    /// listed (warnings too, so a form can show them next to each field).
    #[error("入力に問題があります: {}", summary(.0))]
    Invalid(Vec<FieldProblem>),
    /// `create` with an id some file already uses.
    #[error("id「{0}」の事例は既にあります")]
    Exists(String),
    #[error("id「{0}」の事例はありません")]
    NotFound(String),
    /// The file changed since the caller read it (ETag mismatch): nothing
    /// was written. HTTP: 412.
    #[error("id「{id}」の事例は他の人が先に更新しました。読み込み直してから編集してください")]
    Stale { id: String, current: String },
    /// `update` with a body whose id differs from the case being edited.
    #[error("id は変更できません（「{from}」→「{to}」）")]
    IdChanged { from: String, to: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn summary(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// What a write did to `cases/`, in terms of files: views of the folder
/// (the index) follow it without reading the file again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// The file at `rel` (relative to `cases/`) now holds `case`; its
    /// bytes hash to `hash`.
    Saved {
        rel: String,
        hash: String,
        case: Box<Case>,
    },
    /// The file at `rel` is gone (moved to the trash).
    Removed { rel: String },
}

/// A case as written: what the caller returns (201/200), and the ETag of
/// the new file.
#[derive(Debug, Clone)]
pub struct Written {
    /// The case as it now reads from its file.
    pub case: Case,
    /// Path relative to `cases/`.
    pub rel: String,
    pub path: PathBuf,
    /// blake3 of the file's bytes: the ETag for the next update.
    pub etag: String,
    /// Warnings that did not stop the write (e.g. a municipality spelling).
    pub warnings: Vec<FieldProblem>,
    pub change: FileChange,
}

/// A deleted case: where its file went.
#[derive(Debug, Clone)]
pub struct Deleted {
    pub id: String,
    pub rel: String,
    /// The file in `cases/.trash/`; moving it back restores the case.
    pub trash_path: PathBuf,
    pub change: FileChange,
}

/// A case read back from its file, with the ETag a later update must send.
#[derive(Debug, Clone)]
pub struct Current {
    pub case: Case,
    pub rel: String,
    pub path: PathBuf,
    pub etag: String,
}

/// Who is writing, recorded in the file.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    /// Member name, stored as `contributor`.
    pub contributor: &'a str,
}

impl Stamp<'_> {
    /// `case` as this member saves it today: a member's write always says
    /// who and when, whatever the case carried.
    fn on(self, case: &Case) -> Case {
        Case {
            contributor: Some(self.contributor.to_owned()),
            updated: Some(super::today_iso()),
            ..case.clone()
        }
    }
}

static WRITE_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    WRITE_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Validates `case` and renders it: the file text and the case exactly as
/// that text parses back. Errors → [`EditError::Invalid`] with every problem.
pub fn prepare(case: &Case) -> Result<(Case, String, Vec<FieldProblem>), EditError> {
    let case = tidy(case.clone());
    let mut problems = validate(&case);
    problems.extend(structure_problems(&case));
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return Err(EditError::Invalid(problems));
    }
    let text = super::render(&case);
    let parsed = parse::parse(Path::new(&format!("{}.md", case.id)), &text);
    match parsed.case {
        Some(back) if back == case => Ok((back, text, problems)),
        _ => {
            // The renderer and parser disagree: a bug, but never write a
            // file that would not read back as what the member typed.
            let detail = parsed
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.field, d.message))
                .collect::<Vec<_>>()
                .join(" / ");
            problems.push(FieldProblem {
                field: "case",
                severity: Severity::Error,
                message: format!("この内容はファイルに正しく書き戻せません {detail}"),
            });
            Err(EditError::Invalid(problems))
        }
    }
}

/// Trims what the file format trims anyway, so that "what was written" and
/// "what reads back" compare equal.
fn tidy(mut case: Case) -> Case {
    for s in [
        &mut case.id,
        &mut case.title,
        &mut case.municipality,
        &mut case.prefecture,
    ] {
        *s = s.trim().to_owned();
    }
    for section in super::Section::ALL {
        let text = case.sections.get_mut(section);
        *text = one_line_break(text.trim());
    }
    case.sources = case
        .sources
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    case.tags = case
        .tags
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    for (h, t) in &mut case.extra_sections {
        *h = h.trim().to_owned();
        *t = one_line_break(t.trim());
    }
    case.contact.department = case.contact.department.trim().to_owned();
    case.contact.url = case.contact.url.trim().to_owned();
    case.contributor = case
        .contributor
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    case.updated = case
        .updated
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    case
}

/// CRLF and a lone CR become LF: a lone CR is a line break to many
/// editors and to Markdown, so a text that hides `\r## 見出し` must be
/// checked (and stored) as the lines everyone else will see.
fn one_line_break(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Characters some editor or viewer breaks a line at, beyond LF and CR
/// (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR): a `## ` after one of them
/// would become a heading there.
const OTHER_BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// The lines of `text` as any editor may split them.
fn any_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c| c == '\n' || c == '\r' || OTHER_BREAKS.contains(&c))
}

/// Problems that would change the file's structure: a `## ` line inside a
/// section would start a new section, a line break inside a source would
/// make two.
fn structure_problems(case: &Case) -> Vec<FieldProblem> {
    let mut out = Vec::new();
    for (section, text) in case.narrative() {
        if any_lines(text).any(is_heading_line) {
            out.push(FieldProblem {
                field: section.key(),
                severity: Severity::Error,
                message: "行の先頭に「## 」は書けません（次の項目の始まりと区別できないため）。「### 」にするか、別の書き方にしてください".into(),
            });
        }
    }
    for (heading, text) in &case.extra_sections {
        if heading.chars().any(char::is_control) || heading.contains(OTHER_BREAKS) {
            out.push(FieldProblem {
                field: "extra_sections",
                severity: Severity::Error,
                message: "見出しは改行や制御文字を含まない1行にしてください".into(),
            });
        }
        if any_lines(text).any(is_heading_line) {
            out.push(FieldProblem {
                field: "extra_sections",
                severity: Severity::Error,
                message: "行の先頭に「## 」は書けません（次の項目の始まりと区別できないため）"
                    .into(),
            });
        }
    }
    if case.sources.iter().any(|s| any_lines(s).nth(1).is_some()) {
        out.push(FieldProblem {
            field: "sources",
            severity: Severity::Error,
            message: "出典は1行に1つずつ書いてください".into(),
        });
    }
    out
}

fn is_heading_line(line: &str) -> bool {
    line.strip_prefix("##")
        .is_some_and(|rest| !rest.starts_with('#'))
}

/// Finds the file of the case with this id: `cases/<id>.md` first (where
/// new cases go), then any file named `<id>.md` in a sub-folder, then any
/// file whose front matter says this id.
pub fn locate(cases: &Path, id: &str) -> Result<Option<Current>, EditError> {
    // Not an id any valid case can have (NUL, `/`, 300 bytes, …): no
    // file to look for, and no file-system error to turn into a 500.
    if super::validate::id_problem(id).is_some() {
        return Ok(None);
    }
    let direct = cases.join(format!("{id}.md"));
    if let Some(c) = read_if_id(cases, &direct, id)? {
        return Ok(Some(c));
    }
    let files = store::list(cases)?;
    let stem = format!("{id}.md");
    let (named, others): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|f| f.path.file_name().is_some_and(|n| n == stem.as_str()));
    for f in named.iter().chain(others.iter()) {
        if let Some(c) = read_if_id(cases, &f.path, id)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn read_if_id(cases: &Path, path: &Path, id: &str) -> Result<Option<Current>, EditError> {
    let bytes = match store::read_case(cases, path) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(None),
        // Not a case file by the store's rule (a symlink, a FIFO, too
        // large): it holds no id, and an edit must not fail over it.
        Err(StoreError::NotRegular { .. } | StoreError::TooLarge { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    // Most files name another id on an early line: skip them without
    // parsing (a create scans the whole collection).
    if raw_id(&bytes).is_some_and(|raw| raw != id) {
        return Ok(None);
    }
    let rel = store::rel_path(cases, path);
    let parsed = parse::parse_bytes(Path::new(&rel), &bytes);
    // An invalid file has no case, but its id may still be found by
    // a cheap look at the front matter: it must not be shadowed by a new
    // case with the same id.
    let file_id = parsed
        .case
        .as_ref()
        .map(|c| c.id.clone())
        .or_else(|| raw_id(&bytes));
    if file_id.as_deref() != Some(id) {
        return Ok(None);
    }
    let etag = store::hash_bytes(&bytes);
    match parsed.case {
        Some(case) => Ok(Some(Current {
            case,
            rel,
            path: path.to_owned(),
            etag,
        })),
        // The id is taken by a file that does not parse: report it as
        // existing but unreadable rather than as free.
        None => Err(EditError::Invalid(vec![FieldProblem {
            field: "case",
            severity: Severity::Error,
            message: format!(
                "{rel} は id「{id}」ですが、ファイルに誤りがあるため読み込めません（`kaizen-wa check` で確認してください）"
            ),
        }])),
    }
}

/// Whether one of the files `rels` (relative to `cases`; typically those
/// that do not validate, which no index knows) names `id` in its front
/// matter: a create must not take an id an invalid file holds.
pub fn id_held_by(cases: &Path, rels: &[String], id: &str) -> bool {
    rels.iter().any(|rel| {
        store::read_case(cases, &cases.join(rel))
            .ok()
            .and_then(|bytes| raw_id(&bytes))
            .is_some_and(|raw| raw == id)
    })
}

/// `id = "x"` from the front matter of a file that may not validate.
pub fn raw_id(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    text.lines().take(40).find_map(|l| {
        let rest = l
            .trim_start()
            .strip_prefix("id")?
            .trim_start()
            .strip_prefix('=')?;
        let v = rest.trim().trim_matches('"').trim_matches('\'');
        Some(v.to_owned())
    })
}

/// Reads the case with this id (for an edit form or `GET`), with its ETag.
pub fn read(cases: &Path, id: &str) -> Result<Current, EditError> {
    locate(cases, id)?.ok_or_else(|| EditError::NotFound(id.to_owned()))
}

/// How a create makes sure its id is not used by a file elsewhere under
/// `cases/` (a sub-folder, another file name). `cases/<id>.md` itself is
/// always guarded by [`store::create_atomic`], which also settles races
/// between two creates of one id.
#[derive(Clone, Copy)]
pub enum IdCheck<'a> {
    /// Read every case file's id: no index at hand (CLI, import). O(files).
    Scan,
    /// Ask the caller: a live index knows every indexed id (files edited
    /// outside in the last moment may not be indexed yet; their id clash
    /// is then reported by the index sync, and nothing is overwritten).
    Known(&'a (dyn Fn(&str) -> bool + Sync)),
}

/// Writes a new case as `cases/<id>.md`, stamped with today's date and the
/// member's name. Fails with [`EditError::Exists`] when any file already
/// uses the id.
pub fn create(cases: &Path, case: &Case, stamp: Stamp<'_>) -> Result<Written, EditError> {
    create_checked(cases, case, stamp, IdCheck::Scan)
}

/// [`create`] with a choice of how the id is checked.
pub fn create_checked(
    cases: &Path,
    case: &Case,
    stamp: Stamp<'_>,
    check: IdCheck<'_>,
) -> Result<Written, EditError> {
    write_new_checked(cases, &stamp.on(case), check)
}

/// Writes a new case as given (no stamp): the import path, which keeps the
/// `updated`/`contributor` of the rows it reads.
pub fn write_new(cases: &Path, case: &Case) -> Result<Written, EditError> {
    write_new_checked(cases, case, IdCheck::Scan)
}

fn write_new_checked(cases: &Path, case: &Case, check: IdCheck<'_>) -> Result<Written, EditError> {
    let (case, text, warnings) = prepare(case)?;
    // No process lock: the final word is create_atomic's link(2), which
    // fails if the file appeared meanwhile; creates run (and fsync) in
    // parallel.
    let taken = match check {
        IdCheck::Scan => locate(cases, &case.id)?.is_some(),
        IdCheck::Known(known) => known(&case.id),
    };
    if taken {
        return Err(EditError::Exists(case.id));
    }
    let path = store::path_for_new(cases, &case);
    store::create_atomic(&path, text.as_bytes()).map_err(|e| match e {
        StoreError::Exists(_) => EditError::Exists(case.id.clone()),
        e => e.into(),
    })?;
    Ok(written(cases, path, case, &text, warnings))
}

fn written(
    cases: &Path,
    path: PathBuf,
    case: Case,
    text: &str,
    warnings: Vec<FieldProblem>,
) -> Written {
    let rel = store::rel_path(cases, &path);
    let etag = store::hash_bytes(text.as_bytes());
    Written {
        change: FileChange::Saved {
            rel: rel.clone(),
            hash: etag.clone(),
            case: Box::new(case.clone()),
        },
        case,
        rel,
        path,
        etag,
        warnings,
    }
}

/// Replaces the case `id` with `case`, provided its file still has the
/// content hash `expected_etag` (what the member's form or `If-Match`
/// carries); otherwise [`EditError::Stale`] and nothing is written. The
/// file keeps its place (a case in a sub-folder stays there).
pub fn update(
    cases: &Path,
    id: &str,
    expected_etag: &str,
    case: &Case,
    stamp: Stamp<'_>,
) -> Result<Written, EditError> {
    replace(cases, id, Some(expected_etag), &stamp.on(case))
}

/// Replaces the case `id` with `case` whatever its file holds now (HTTP
/// `If-Match: *`): the check and the write happen under the write lock,
/// so a concurrent update cannot make this one fail as stale.
pub fn overwrite(
    cases: &Path,
    id: &str,
    case: &Case,
    stamp: Stamp<'_>,
) -> Result<Written, EditError> {
    replace(cases, id, None, &stamp.on(case))
}

/// Replaces the case `id` as given (no stamp); `expected_etag: None` skips
/// the staleness check (the import's `--update`).
pub fn replace(
    cases: &Path,
    id: &str,
    expected_etag: Option<&str>,
    case: &Case,
) -> Result<Written, EditError> {
    if case.id.trim() != id {
        return Err(EditError::IdChanged {
            from: id.to_owned(),
            to: case.id.trim().to_owned(),
        });
    }
    let (case, text, warnings) = prepare(case)?;
    let _guard = lock();
    let current = read_unchanged(cases, id, expected_etag)?;
    store::write_atomic(&current.path, text.as_bytes())?;
    Ok(written(cases, current.path, case, &text, warnings))
}

/// The case `id` as its file is now, provided it still has the content
/// hash `expected_etag` when one is given ([`EditError::Stale`] otherwise).
/// Called under the write lock, so nothing changes it before the write.
fn read_unchanged(
    cases: &Path,
    id: &str,
    expected_etag: Option<&str>,
) -> Result<Current, EditError> {
    let current = read(cases, id)?;
    if let Some(expected) = expected_etag
        && strip_etag(expected) != current.etag
    {
        return Err(EditError::Stale {
            id: id.to_owned(),
            current: current.etag,
        });
    }
    Ok(current)
}

/// `"abc"`, `W/"abc"` → `abc`: an HTTP ETag as sent back in `If-Match`.
pub fn strip_etag(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix("W/").unwrap_or(s);
    s.trim_matches('"')
}

/// Moves the case's file to `cases/.trash/<UTC timestamp>-<file name>`.
/// With `expected_etag`, a stale one fails like an update.
pub fn delete(cases: &Path, id: &str, expected_etag: Option<&str>) -> Result<Deleted, EditError> {
    let _guard = lock();
    let current = read_unchanged(cases, id, expected_etag)?;
    let trash = cases.join(TRASH_DIR);
    fs::create_dir_all(&trash).map_err(|source| StoreError::Io {
        path: trash.clone(),
        source,
    })?;
    let name = current
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{id}.md"));
    let stamp = timestamp();
    let mut target = trash.join(format!("{stamp}-{name}"));
    let mut n = 2;
    while target.exists() {
        target = trash.join(format!("{stamp}-{n}-{name}"));
        n += 1;
    }
    fs::rename(&current.path, &target).map_err(|source| StoreError::Io {
        path: current.path.clone(),
        source,
    })?;
    for dir in [&trash, current.path.parent().unwrap_or(cases)] {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(Deleted {
        id: id.to_owned(),
        change: FileChange::Removed {
            rel: current.rel.clone(),
        },
        rel: current.rel,
        trash_path: target,
    })
}

/// A deleted case waiting in `cases/.trash/`.
#[derive(Debug, Clone)]
pub struct Trashed {
    /// The file's name in `cases/.trash/` (what a restore names).
    pub name: String,
    /// When it was deleted, `YYYY-MM-DD HH:MM` (UTC), from the name.
    pub deleted_at: Option<String>,
    /// The case, if the file still reads as one.
    pub case: Option<Case>,
}

/// Trash files larger than this are not listed or restored: no case is
/// that long, and a page must not read a huge file someone put there.
const MAX_TRASH_FILE: u64 = 4 * 1024 * 1024;

/// Whether `name` can name a file directly inside `cases/.trash/`: one
/// plain `.md` file name, nothing that climbs out or hides.
fn is_trash_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.ends_with(".md")
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && !name.chars().any(char::is_control)
}

/// The deleted cases, newest first. Symlinks, folders and other files in
/// the trash are left out (a restore reads only regular files there).
pub fn list_trash(cases: &Path) -> Result<Vec<Trashed>, EditError> {
    let dir = cases.join(TRASH_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(StoreError::Io { path: dir, source }.into()),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(meta) = fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !is_trash_name(&name) || !meta.is_file() || meta.len() > MAX_TRASH_FILE {
            continue;
        }
        let case = fs::read(entry.path())
            .ok()
            .and_then(|b| parse::parse_bytes(Path::new(&name), &b).case);
        out.push(Trashed {
            deleted_at: deleted_at(&name),
            name,
            case,
        });
    }
    out.sort_by(|a, b| b.name.cmp(&a.name));
    Ok(out)
}

/// `20261124T043512Z-x.md` → `2026-11-24 04:35`.
fn deleted_at(name: &str) -> Option<String> {
    let stamp = name.get(..16)?;
    let b = stamp.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..8) && b[8] == b'T' && digits(9..15) && b[15] == b'Z') {
        return None;
    }
    Some(format!(
        "{}-{}-{} {}:{}",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13]
    ))
}

/// Moves a file from `cases/.trash/` back to `cases/<id>.md`, unless that
/// id is in use again.
pub fn restore(cases: &Path, trash_name: &str) -> Result<Written, EditError> {
    restore_checked(cases, trash_name, IdCheck::Scan)
}

/// [`restore`] with a choice of how the id is checked. The trash file goes
/// only once the case is safely written back; a name that is no regular
/// `.md` file directly in the trash (a path, a symlink) is not found.
pub fn restore_checked(
    cases: &Path,
    trash_name: &str,
    check: IdCheck<'_>,
) -> Result<Written, EditError> {
    let not_found = || EditError::NotFound(trash_name.to_owned());
    if !is_trash_name(trash_name) {
        return Err(not_found());
    }
    let from = cases.join(TRASH_DIR).join(trash_name);
    match fs::symlink_metadata(&from) {
        Ok(m) if m.is_file() && m.len() <= MAX_TRASH_FILE => {}
        _ => return Err(not_found()),
    }
    let bytes = fs::read(&from).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_found(),
        _ => StoreError::Io {
            path: from.clone(),
            source: e,
        }
        .into(),
    })?;
    let parsed = parse::parse_bytes(Path::new(trash_name), &bytes);
    let Some(case) = parsed.case else {
        return Err(EditError::Invalid(vec![FieldProblem {
            field: "case",
            severity: Severity::Error,
            message: format!("{trash_name} に誤りがあるため戻せません"),
        }]));
    };
    let written = write_new_checked(cases, &case, check)?;
    let _ = fs::remove_file(&from);
    Ok(written)
}

/// `20261124T043512Z`: sorts by time, safe in file names.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = super::validate::civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Fixtures for tests elsewhere in the crate: a valid case, and a scratch
/// copy of the bundled cases.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::path::PathBuf;

    use crate::case::{Case, Kind, Level, Period, Sections};

    /// A temporary folder with a `cases/` copy of the bundled case files
    /// (top level only), which a test may edit and index; the folder's
    /// path and the copy's.
    pub(crate) fn bundled_cases_copy() -> (tempfile::TempDir, PathBuf) {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        let cases = dir.path().join("cases");
        std::fs::create_dir(&cases).unwrap();
        for e in std::fs::read_dir(root.join("cases")).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                std::fs::copy(e.path(), cases.join(e.file_name())).unwrap();
            }
        }
        (dir, cases)
    }

    pub(crate) fn sample(id: &str) -> Case {
        Case {
            id: id.into(),
            title: "テスト改善運動".into(),
            municipality: "福岡市".into(),
            prefecture: "福岡県".into(),
            kind: Kind::DesignatedCity,
            levels: vec![Level::Gyomu],
            period: Period {
                start: 2001,
                end: None,
            },
            tags: vec![],
            contributor: None,
            updated: None,
            sections: Sections {
                summary: "概要です。".into(),
                actors: "職員有志".into(),
                activities: "発表会を開いた。".into(),
                ..Sections::default()
            },
            sources: vec!["https://example.jp/".into()],
            extra_sections: vec![],
            contact: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::sample;
    use super::*;

    const ME: Stamp<'static> = Stamp {
        contributor: "yamada",
    };

    #[test]
    fn create_writes_a_stamped_file_and_refuses_a_taken_id() {
        let dir = tempfile::tempdir().unwrap();
        let w = create(dir.path(), &sample("t-one"), ME).unwrap();
        assert_eq!(w.rel, "t-one.md");
        assert_eq!(w.case.contributor.as_deref(), Some("yamada"));
        assert_eq!(w.case.updated, Some(crate::case::today_iso()));
        let bytes = fs::read(dir.path().join("t-one.md")).unwrap();
        assert_eq!(store::hash_bytes(&bytes), w.etag);
        assert!(refused_as_taken(dir.path(), "t-one"));
    }

    /// Creating the sample case `id` in `dir` fails because the id is taken.
    fn refused_as_taken(dir: &Path, id: &str) -> bool {
        matches!(create(dir, &sample(id), ME), Err(EditError::Exists(_)))
    }

    #[test]
    fn create_refuses_an_id_used_in_a_subfolder() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("fukuoka");
        fs::create_dir_all(&sub).unwrap();
        fs::write(
            sub.join("other-name.md"),
            crate::case::render(&sample("t-sub")),
        )
        .unwrap();
        assert!(refused_as_taken(dir.path(), "t-sub"));
    }

    #[test]
    fn invalid_case_lists_field_problems_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sample("t-bad");
        c.levels.clear();
        c.sections.summary = "一行目\n## 偽の見出し".into();
        let Err(EditError::Invalid(problems)) = create(dir.path(), &c, ME) else {
            panic!("expected Invalid");
        };
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert!(
            fields.contains(&"levels") && fields.contains(&"summary"),
            "{fields:?}"
        );
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn stale_etag_is_refused_and_the_file_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let w = create(dir.path(), &sample("t-etag"), ME).unwrap();
        let mut c = w.case.clone();
        c.title = "一回目の修正".into();
        let w2 = update(dir.path(), "t-etag", &format!("\"{}\"", w.etag), &c, ME).unwrap();
        assert_ne!(w2.etag, w.etag);
        let before = fs::read(&w2.path).unwrap();
        c.title = "古い版からの修正".into();
        let err = update(dir.path(), "t-etag", &w.etag, &c, ME).unwrap_err();
        assert!(
            matches!(&err, EditError::Stale { current, .. } if *current == w2.etag),
            "{err:?}"
        );
        assert_eq!(fs::read(&w2.path).unwrap(), before);
        assert!(matches!(
            update(dir.path(), "nope", &w.etag, &sample("nope"), ME),
            Err(EditError::NotFound(_))
        ));
        assert!(matches!(
            update(dir.path(), "t-etag", &w2.etag, &sample("t-other"), ME),
            Err(EditError::IdChanged { .. })
        ));
    }

    #[test]
    fn delete_moves_to_trash_and_restore_brings_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let w = create(dir.path(), &sample("t-del"), ME).unwrap();
        let d = delete(dir.path(), "t-del", Some(&w.etag)).unwrap();
        assert_eq!(
            d.change,
            FileChange::Removed {
                rel: "t-del.md".into()
            }
        );
        assert!(!w.path.exists());
        assert!(d.trash_path.starts_with(dir.path().join(TRASH_DIR)));
        assert_eq!(
            fs::read(&d.trash_path).unwrap().len() as u64,
            fs::metadata(&d.trash_path).unwrap().len()
        );
        assert!(store::list(dir.path()).unwrap().is_empty());
        assert!(matches!(
            delete(dir.path(), "t-del", None),
            Err(EditError::NotFound(_))
        ));
        let name = d.trash_path.file_name().unwrap().to_str().unwrap();
        let r = restore(dir.path(), name).unwrap();
        assert_eq!(r.case, w.case);
        assert!(w.path.exists());
    }

    #[test]
    fn the_trash_lists_deleted_cases_and_a_restore_refuses_a_taken_id() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path(), &sample("t-tr"), ME).unwrap();
        let d = delete(dir.path(), "t-tr", None).unwrap();
        let listed = list_trash(dir.path()).unwrap();
        assert_eq!(listed.len(), 1);
        let name = listed[0].name.clone();
        assert_eq!(
            d.trash_path.file_name().unwrap().to_str(),
            Some(name.as_str())
        );
        assert_eq!(listed[0].case.as_ref().map(|c| c.id.as_str()), Some("t-tr"));
        assert!(listed[0].deleted_at.as_ref().is_some_and(|t| t.len() == 16));
        // The id is in use again: nothing is overwritten, the trash stays.
        create(dir.path(), &sample("t-tr"), ME).unwrap();
        assert!(matches!(
            restore(dir.path(), &name),
            Err(EditError::Exists(_))
        ));
        assert!(dir.path().join(TRASH_DIR).join(&name).exists());
    }

    #[test]
    fn a_restore_reads_only_plain_files_directly_in_the_trash() {
        let dir = tempfile::tempdir().unwrap();
        let trash = dir.path().join(TRASH_DIR);
        fs::create_dir_all(&trash).unwrap();
        let outside = dir.path().join("outside.md");
        fs::write(&outside, crate::case::render(&sample("t-out"))).unwrap();
        std::os::unix::fs::symlink(&outside, trash.join("link.md")).unwrap();
        for name in [
            "../outside.md",
            "link.md",
            ".hidden.md",
            "a\0b.md",
            "",
            "x.txt",
        ] {
            assert!(
                matches!(restore(dir.path(), name), Err(EditError::NotFound(_))),
                "{name:?}"
            );
        }
        assert!(list_trash(dir.path()).unwrap().is_empty());
        assert!(!dir.path().join("t-out.md").exists());
    }

    #[test]
    fn timestamps_look_like_utc_basic_format() {
        let t = timestamp();
        assert_eq!(t.len(), 16);
        assert!(t.ends_with('Z') && t.as_bytes()[8] == b'T');
    }
}
