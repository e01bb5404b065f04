//! Members' web sessions: created at login, looked up on every request,
//! ended at logout, on expiry, or when the member is removed; kept in a
//! file so that a restart or a deploy logs nobody out.
//!
//! Owns the sessions file and nothing else; knows nothing of HTTP or of
//! the members file's format (the caller checks that a session's member
//! still exists, and ends it otherwise).
//!
//! * The file sits next to the members file (`members.toml` →
//!   `members.sessions.json`): sessions are members' state, like the
//!   members file, and must stay with the one server that takes writes.
//!   Not under `index/`, which is derived, rebuilt from `cases/` at will
//!   and copied to read-only replicas.
//! * It holds a hash (blake3) of each token, never the token: whoever
//!   reads the file cannot log in as anyone. It is written owner-only and
//!   crash-safe through [`crate::atomic`], and `*.sessions.json` is
//!   ignored by git.
//! * Expiry survives restarts: creation and last use are wall-clock
//!   seconds. The last use is written when it moved by [`SEEN_GRANULARITY`]
//!   or more, not on every request, so the idle timeout is that coarse.
//! * At most [`MAX_SESSIONS`]; at the bound, expired ones go first, then
//!   the least recently used (the rule of [`super::bounded`]).

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::bounded::make_room;
use crate::atomic::{Access, Mode};
use crate::members::MemberName;

/// A session ends after this long without a request…
pub const SESSION_IDLE: Duration = Duration::from_secs(2 * 60 * 60);
/// …and at the latest this long after login.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 60 * 60);
/// Bound on sessions kept (memory and file size).
pub const MAX_SESSIONS: usize = 10_000;
/// A session's last use is written to the file when it moved this much.
pub const SEEN_GRANULARITY: Duration = Duration::from_secs(5 * 60);
/// Version of the file's layout; a file of another version is ignored
/// (everyone logs in again) rather than misread.
const FILE_VERSION: u32 = 1;

/// A logged-in member, as a request sees it.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    pub name: MemberName,
    /// The synchronizer token every form of this session must send back.
    pub csrf: String,
    /// The session token (the cookie value), for logout.
    pub(super) token: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Session {
    name: String,
    csrf: String,
    /// Unix seconds.
    created: u64,
    seen: u64,
    /// `seen` as last written to the file (not stored).
    #[serde(skip)]
    saved_seen: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SessionsFile {
    version: u32,
    /// Hash of the token (hex) → session.
    sessions: HashMap<String, Session>,
}

/// Server-side sessions, by hash of their token.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    /// `None`: kept in memory only (no members file).
    file: Option<PathBuf>,
}

/// The sessions file that goes with a members file.
pub fn file_for(members: &Path) -> PathBuf {
    let stem = members
        .file_stem()
        .map_or_else(|| "members".into(), |s| s.to_string_lossy().into_owned());
    members.with_file_name(format!("{stem}.sessions.json"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

fn live(s: &Session, now: u64) -> bool {
    now.saturating_sub(s.seen) < SESSION_IDLE.as_secs()
        && now.saturating_sub(s.created) < SESSION_MAX.as_secs()
}

impl Sessions {
    /// The sessions kept in `file`, if any (a missing, unreadable or
    /// foreign file starts empty, logged: never a reason not to start).
    pub fn open(file: Option<PathBuf>) -> Sessions {
        let mut map = HashMap::new();
        if let Some(path) = &file {
            match fs::read(path) {
                Ok(bytes) => match serde_json::from_slice::<SessionsFile>(&bytes) {
                    Ok(f) if f.version == FILE_VERSION => {
                        let now = now_secs();
                        map = f
                            .sessions
                            .into_iter()
                            .filter(|(_, s)| live(s, now))
                            .map(|(k, mut s)| {
                                s.saved_seen = s.seen;
                                (k, s)
                            })
                            .collect();
                    }
                    Ok(_) | Err(_) => tracing::warn!(
                        "{}: not a sessions file of this version; members log in again",
                        path.display()
                    ),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("{}: {e}; members log in again", path.display()),
            }
        }
        Sessions {
            map: Mutex::new(map),
            file,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a session; returns its token (the cookie value).
    pub fn create(&self, name: MemberName) -> String {
        let now = now_secs();
        let mut map = self.lock();
        make_room(&mut map, MAX_SESSIONS, |s| live(s, now), |s| s.seen);
        let token = crate::token::new_token();
        map.insert(
            hash(&token),
            Session {
                name: name.as_str().to_owned(),
                csrf: crate::token::new_token(),
                created: now,
                seen: now,
                saved_seen: now,
            },
        );
        self.save(&map);
        token
    }

    /// The session of this token, if it is still valid (and marks it used).
    pub fn get(&self, token: &str) -> Option<LoggedIn> {
        let now = now_secs();
        let key = hash(token);
        let mut map = self.lock();
        let session = map.get_mut(&key)?;
        if !live(session, now) {
            map.remove(&key);
            self.save(&map);
            return None;
        }
        session.seen = now;
        let out = LoggedIn {
            name: MemberName(session.name.clone()),
            csrf: session.csrf.clone(),
            token: token.to_owned(),
        };
        if now.saturating_sub(session.saved_seen) >= SEEN_GRANULARITY.as_secs() {
            session.saved_seen = now;
            self.save(&map);
        }
        Some(out)
    }

    /// Ends the session of this token (logout, a removed member).
    pub fn end(&self, token: &str) {
        let mut map = self.lock();
        if map.remove(&hash(token)).is_some() {
            self.save(&map);
        }
    }

    /// Writes the sessions file (under the caller's lock, so writes come in
    /// the order of the changes). A failed write is logged: the sessions
    /// still work, only a restart would end them.
    fn save(&self, map: &HashMap<String, Session>) {
        let Some(path) = &self.file else { return };
        let file = SessionsFile {
            version: FILE_VERSION,
            sessions: map.clone(),
        };
        let bytes = serde_json::to_vec(&file).expect("sessions serialize");
        if let Err(e) = crate::atomic::write(path, &bytes, Mode::Replace, Access::Private) {
            tracing::error!(
                "{}: {e}; sessions are not kept across a restart",
                path.display()
            );
        }
    }

    #[cfg(test)]
    fn age(&self, token: &str, by: Duration) {
        let mut map = self.lock();
        let s = map.get_mut(&hash(token)).expect("session");
        s.seen = s.seen.saturating_sub(by.as_secs());
        s.created = s.created.saturating_sub(by.as_secs());
        self.save(&map);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yamada() -> MemberName {
        MemberName("yamada".into())
    }

    #[test]
    fn sessions_expire_and_end() {
        let s = Sessions::default();
        let token = s.create(yamada());
        let me = s.get(&token).unwrap();
        assert_eq!(me.name.as_str(), "yamada");
        assert_eq!(me.csrf.len(), 64);
        assert_ne!(me.csrf, token);
        assert!(s.get("nope").is_none());
        s.age(&token, SESSION_IDLE);
        assert!(s.get(&token).is_none(), "idle session must expire");
        let t2 = s.create(yamada());
        s.end(&t2);
        assert!(s.get(&t2).is_none());
    }

    /// A second process (a restart) on the same file knows the sessions,
    /// with their CSRF tokens and their age; the file holds no token and
    /// only its owner may read it.
    #[test]
    fn sessions_survive_a_restart_hashed_private_and_still_expiring() {
        let dir = tempfile::tempdir().unwrap();
        let members = dir.path().join("members.toml");
        let path = file_for(&members);
        assert_eq!(path, dir.path().join("members.sessions.json"));
        let first = Sessions::open(Some(path.clone()));
        let token = first.create(yamada());
        let csrf = first.get(&token).unwrap().csrf;
        let ended = first.create(yamada());
        first.end(&ended);
        let old = first.create(yamada());
        first.age(&old, SESSION_MAX);
        drop(first);

        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&token), "token in clear: {text}");
        assert!(text.contains(&hash(&token)));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }

        let second = Sessions::open(Some(path.clone()));
        let me = second.get(&token).expect("the session survives");
        assert_eq!(me.name.as_str(), "yamada");
        assert_eq!(me.csrf, csrf);
        assert!(second.get(&ended).is_none(), "an ended session stays ended");
        assert!(second.get(&old).is_none(), "the absolute lifetime is kept");
        // A hash is no token.
        assert!(second.get(&hash(&token)).is_none());
    }

    #[test]
    fn a_damaged_file_starts_empty_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.sessions.json");
        fs::write(&path, "{\u{0}not json").unwrap();
        let s = Sessions::open(Some(path.clone()));
        let token = s.create(yamada());
        assert!(Sessions::open(Some(path)).get(&token).is_some());
    }

    #[test]
    fn sessions_are_bounded() {
        let s = Sessions::default();
        let first = s.create(yamada());
        s.age(&first, Duration::from_secs(60));
        for _ in 0..MAX_SESSIONS {
            s.create(yamada());
        }
        assert_eq!(s.lock().len(), MAX_SESSIONS);
        assert!(s.get(&first).is_none(), "the least recently used went");
    }
}
