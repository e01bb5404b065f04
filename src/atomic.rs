//! Crash-safe file replacement: the one way this program writes a file that
//! must never be seen half written (case files, the members file, the index
//! manifest).
//!
//! A write goes to a temp file beside the target (`.<name>.<pid>.<n>.tmp`),
//! is fsynced, then renamed over (or hard-linked, to refuse an existing
//! target), and the folder is fsynced: a crash leaves the old file or the
//! new one. Temp files a crash leaves behind are removed by
//! [`remove_orphans`] at the next start.
//!
//! Owns no format and no policy on what may be written where; callers pass
//! bytes and a path.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Who may read the new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The process umask decides (case files: meant to be shared, in git).
    Default,
    /// Owner only (0600 on Unix): secrets' hashes.
    Private,
}

/// How an existing target is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Replace it (rename over).
    Replace,
    /// Fail with [`io::ErrorKind::AlreadyExists`] — also when two writers
    /// race for one name (link(2) refuses an existing target).
    CreateNew,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `contents` to `path` so that a crash leaves either the old file
/// (or none) or the new one, never a torn one.
pub fn write(path: &Path, contents: &[u8], mode: Mode, access: Access) -> io::Result<()> {
    if mode == Mode::CreateNew && fs::symlink_metadata(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the file already exists",
        ));
    }
    let dir = parent(path);
    fs::create_dir_all(dir)?;
    let tmp = temp_beside(path);
    let result = (|| {
        write_synced(&tmp, contents, access)?;
        match mode {
            Mode::Replace => fs::rename(&tmp, path)?,
            Mode::CreateNew => fs::hard_link(&tmp, path)?,
        }
        sync_dir(dir);
        Ok(())
    })();
    // After a rename the temp name is gone; after a link or a failure it
    // must go.
    if mode == Mode::CreateNew || result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    parent(path).join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
}

fn write_synced(path: &Path, contents: &[u8], access: Access) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if access == Access::Private {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = access;
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

/// Folder fsync makes the rename durable; not supported everywhere
/// (Windows), where the rename itself is the best we get.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Whether `name` is one of our temp names (`.<name>.<pid>.<n>.tmp`), and
/// the pid that wrote it.
fn temp_pid(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let _counter: u64 = parts.next()?.parse().ok()?;
    let pid = parts.next()?.parse().ok()?;
    parts.next().filter(|n| !n.is_empty())?;
    Some(pid)
}

/// Temp files older than this are orphans even when their pid is alive
/// (pids are reused); a write takes milliseconds.
const ORPHAN_AGE: Duration = Duration::from_secs(10 * 60);

/// Removes the temp files a crash left in `dir` and its sub-folders (not
/// following symlinks): those of a process that no longer runs, and any
/// older than ten minutes. Returns how many went. Run at start, before
/// anything writes.
pub fn remove_orphans(dir: &Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    for entry in entries.flatten() {
        let Ok(ty) = entry.file_type() else { continue };
        let path = entry.path();
        if ty.is_dir() {
            removed += remove_orphans(&path);
            continue;
        }
        if !ty.is_file() {
            continue;
        }
        let name = entry.file_name();
        let Some(pid) = temp_pid(&name.to_string_lossy()) else {
            continue;
        };
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ORPHAN_AGE);
        if (old || !process_alive(pid)) && fs::remove_file(&path).is_ok() {
            tracing::info!("removed a temp file left by an interrupted write: {name:?}");
            removed += 1;
        }
    }
    removed
}

/// Whether a process with this id runs now (Linux: `/proc`; elsewhere only
/// our own pid counts as alive, and the age rule does the rest).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_dir = Path::new("/proc");
    proc_dir.join("self").exists() && proc_dir.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_new_never_overwrites_and_replace_does() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.md");
        write(&p, b"one", Mode::CreateNew, Access::Default).unwrap();
        let e = write(&p, b"two", Mode::CreateNew, Access::Default).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write(&p, b"three", Mode::Replace, Access::Default).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp left");
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        write(&p, b"x", Mode::Replace, Access::Private).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(temp_pid(".a-b.md.1234.7.tmp"), Some(1234));
        assert_eq!(temp_pid(".x.1.2.tmp"), Some(1));
        assert_eq!(temp_pid("a.md.1234.7.tmp"), None);
        assert_eq!(temp_pid(".a.md.tmp"), None);
        assert_eq!(temp_pid(".a.md.x.7.tmp"), None);
        assert_eq!(temp_pid("..1.2.tmp"), None);
    }

    #[test]
    fn orphans_of_dead_processes_go_live_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        // pid 0 never names a user process.
        let dead = dir.path().join("sub/.c.md.0.3.tmp");
        let mine = dir
            .path()
            .join(format!(".c.md.{}.4.tmp", std::process::id()));
        let other = dir.path().join(".notes.txt");
        for p in [&dead, &mine, &other] {
            fs::write(p, b"x").unwrap();
        }
        assert_eq!(remove_orphans(dir.path()), 1);
        assert!(!dead.exists());
        assert!(mine.exists() && other.exists());
    }
}
