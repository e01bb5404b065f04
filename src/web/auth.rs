//! Who may write, and proof that a request comes from them: server-side
//! sessions for the web forms, CSRF tokens, `Authorization: Bearer` for
//! the API, and the limiter that makes guessing secrets slow.
//!
//! * **Members** come from the members file ([`crate::members`]); it is
//!   re-read when it changes on disk, so `kaizen-wa member add/remove`
//!   takes effect without a restart (a removed member's sessions end at
//!   their next request). No member configured: writing is off.
//! * **Sessions** ([`super::session`]): a random 256-bit token in an
//!   `HttpOnly; SameSite=Strict` cookie (`Secure` over TLS), idle timeout
//!   [`SESSION_IDLE`], absolute lifetime [`SESSION_MAX`]; kept (hashed)
//!   next to the members file, so a restart logs nobody out.
//! * **CSRF**: every form of a logged-in member carries the session's
//!   synchronizer token; the login form (no session yet) a double-submit
//!   token in a short-lived cookie. Tokens compare in constant time.
//! * **Failed logins and bearer secrets** are limited per client address
//!   and per member name with exponential backoff ([`Limiter`]): 429 with
//!   `Retry-After` while blocked, before any secret is checked.
//! * argon2 verification is slow by design (tens of ms, 19 MiB): it runs
//!   on the blocking pool, at most one per core at a time, and a verified
//!   bearer secret is remembered for [`VERIFIED_TTL`] (under a keyed hash,
//!   never in clear) so that a client's burst of writes costs one check.
//!
//! Owns no HTTP routing: handlers call in here.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use password_hash::rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;

use super::AppState;
use super::error::WebError;
pub use super::session::{LoggedIn, SESSION_IDLE, SESSION_MAX, Sessions};
use crate::members::{MemberName, Members, MembersError};

/// The session cookie.
pub const SESSION_COOKIE: &str = "kaizen_session";
/// The login form's double-submit CSRF cookie.
pub const LOGIN_COOKIE: &str = "kaizen_login";
/// How long a verified bearer secret is remembered.
pub const VERIFIED_TTL: Duration = Duration::from_secs(10 * 60);
/// Bound on limiter entries (memory).
const MAX_ENTRIES: usize = 10_000;
/// 256 bits of OS randomness per token.
const TOKEN_BYTES: usize = 32;

/// A fresh random token, hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Token equality whose time does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

// ------------------------------------------------------------- limiter

/// Failures per key (a client address, a member name) with exponential
/// backoff: the first `free` failures cost nothing; from then on each
/// failure blocks the key for `base · 2^(n − free)`, at most `max`. A key
/// with no failure for `forget` starts afresh.
pub struct Limiter {
    free: u32,
    base: Duration,
    max: Duration,
    forget: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

impl Limiter {
    pub fn new(free: u32, base: Duration, max: Duration) -> Limiter {
        Limiter {
            free,
            base,
            max,
            forget: max.max(Duration::from_secs(15 * 60)),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Err(wait)` while `key` is blocked.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        match self.lock().get(key).and_then(|e| e.blocked_until) {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure; returns the block it imposes, if any.
    pub fn failed(&self, key: &str) -> Option<Duration> {
        self.failed_at(key, Instant::now())
    }

    fn failed_at(&self, key: &str, now: Instant) -> Option<Duration> {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(key) {
            let forget = self.forget;
            entries.retain(|_, e| now.duration_since(e.last) < forget);
            if entries.len() >= MAX_ENTRIES
                && let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.last)
                    .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        let e = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            last: now,
            blocked_until: None,
        });
        if now.duration_since(e.last) >= self.forget {
            e.failures = 0;
            e.blocked_until = None;
        }
        e.failures += 1;
        e.last = now;
        if e.failures < self.free {
            return None;
        }
        let doublings = (e.failures - self.free).min(20);
        let wait = self.base.saturating_mul(1 << doublings).min(self.max);
        e.blocked_until = Some(now + wait);
        Some(wait)
    }

    /// A success forgets the key's failures.
    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }
}

/// Whole seconds for `Retry-After` (rounded up, at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

// ------------------------------------------------------------ sessions

// ------------------------------------------------------------- members

/// The members file as last read, and a number that changes with it.
#[derive(Clone)]
pub struct Roster {
    /// `None`: no members file configured (writing off).
    pub members: Option<Arc<Members>>,
    generation: u64,
}

impl Roster {
    /// Writing is on: at least one member.
    pub fn writing(&self) -> bool {
        self.members.as_ref().is_some_and(|m| !m.is_empty())
    }

    fn contains(&self, name: &MemberName) -> bool {
        self.members
            .as_ref()
            .is_some_and(|m| m.contains(name.as_str()))
    }
}

type FileStamp = Option<(Option<SystemTime>, u64)>;

struct MembersFile {
    path: Option<PathBuf>,
    current: RwLock<(FileStamp, Roster)>,
}

fn stamp(path: &Path) -> FileStamp {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.modified().ok(), m.len()))
}

impl MembersFile {
    fn open(path: Option<&Path>) -> Result<MembersFile, MembersError> {
        let (file_stamp, members) = match path {
            None => (None, None),
            Some(p) => (stamp(p), Some(Arc::new(Members::load(p)?))),
        };
        Ok(MembersFile {
            path: path.map(Path::to_owned),
            current: RwLock::new((
                file_stamp,
                Roster {
                    members,
                    generation: 0,
                },
            )),
        })
    }

    /// The roster, re-read first if the file changed (one `stat` per call).
    /// A file that stops parsing is logged and the last good list kept.
    fn roster(&self) -> Roster {
        let Some(path) = &self.path else {
            return self.read().1.clone();
        };
        let now = stamp(path);
        {
            let cur = self.read();
            if cur.0 == now {
                return cur.1.clone();
            }
        }
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        if cur.0 != now {
            match Members::load(path) {
                Ok(m) => {
                    tracing::info!(members = m.len(), "members file {} re-read", path.display());
                    cur.1 = Roster {
                        members: Some(Arc::new(m)),
                        generation: cur.1.generation + 1,
                    };
                }
                Err(e) => tracing::error!("{e}; keeping the members read before"),
            }
            cur.0 = now;
        }
        cur.1.clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, (FileStamp, Roster)> {
        self.current.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// argon2 checks off the async threads, a few at a time, with verified
/// bearer secrets remembered briefly.
struct Verifier {
    /// Per-process key: the cache holds keyed hashes, not secrets.
    key: [u8; 32],
    verified: Mutex<HashMap<[u8; 32], (MemberName, u64, Instant)>>,
    permits: tokio::sync::Semaphore,
}

impl Verifier {
    fn new() -> Verifier {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Verifier {
            key,
            verified: Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(cores),
        }
    }

    fn remembered(&self, key: &[u8; 32], generation: u64) -> Option<MemberName> {
        let map = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key)
            .filter(|(_, g, at)| *g == generation && at.elapsed() < VERIFIED_TTL)
            .map(|(n, _, _)| n.clone())
    }

    /// Who `secret` belongs to. `remember`: keep a success for later
    /// requests (bearer); a login is checked afresh every time.
    async fn verify(&self, roster: &Roster, secret: &str, remember: bool) -> Option<MemberName> {
        let members = roster.members.clone()?;
        let key: [u8; 32] = blake3::keyed_hash(&self.key, secret.as_bytes()).into();
        if remember && let Some(n) = self.remembered(&key, roster.generation) {
            return Some(n);
        }
        let _permit = self.permits.acquire().await.ok()?;
        // Another request may have verified the same secret meanwhile.
        if remember && let Some(n) = self.remembered(&key, roster.generation) {
            return Some(n);
        }
        let secret = secret.to_owned();
        let name = tokio::task::spawn_blocking(move || members.verify(&secret))
            .await
            .ok()
            .flatten()?;
        if remember {
            let mut map = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (name.clone(), roster.generation, Instant::now()));
        }
        Some(name)
    }
}

// ----------------------------------------------------------------- auth

/// Everything the server knows about members and their sessions.
pub struct Auth {
    members: MembersFile,
    pub sessions: Sessions,
    /// Failed logins and bearer secrets per client address: generous,
    /// since an office shares one address.
    by_address: Limiter,
    /// Failed logins per member name.
    by_name: Limiter,
    verifier: Verifier,
}

impl Auth {
    /// Reads the members file (`None`: none configured, writing off).
    pub fn new(members: Option<&Path>) -> Result<Auth, MembersError> {
        Ok(Auth {
            members: MembersFile::open(members)?,
            sessions: Sessions::open(members.map(super::session::file_for)),
            by_address: Limiter::new(20, Duration::from_secs(2), Duration::from_secs(15 * 60)),
            by_name: Limiter::new(5, Duration::from_secs(2), Duration::from_secs(15 * 60)),
            verifier: Verifier::new(),
        })
    }

    pub fn roster(&self) -> Roster {
        self.members.roster()
    }

    /// The members file in use, if any (shown in "writing is off" hints).
    pub fn members_path(&self) -> Option<&Path> {
        self.members.path.as_deref()
    }

    /// A login attempt: name and secret must belong to the same member.
    /// Failures are counted per address and per name; while either is
    /// blocked the secret is not even checked.
    pub async fn login(
        &self,
        address: &str,
        name: &str,
        secret: &str,
    ) -> Result<MemberName, LoginError> {
        let roster = self.roster();
        if !roster.writing() {
            return Err(LoginError::WritingOff);
        }
        let name_key = format!("name:{}", name.trim());
        let addr_key = format!("addr:{address}");
        if let Err(wait) = self
            .by_address
            .check(&addr_key)
            .and(self.by_name.check(&name_key))
        {
            return Err(LoginError::Blocked(wait));
        }
        match self.verifier.verify(&roster, secret, false).await {
            Some(member) if member.as_str() == name.trim() => {
                self.by_address.succeeded(&addr_key);
                self.by_name.succeeded(&name_key);
                Ok(member)
            }
            _ => {
                let a = self.by_address.failed(&addr_key);
                let n = self.by_name.failed(&name_key);
                tracing::warn!(address, name = name.trim(), "failed login");
                Err(LoginError::Wrong(a.max(n)))
            }
        }
    }

    /// The member an `Authorization: Bearer` header names, for the API.
    pub async fn bearer(&self, headers: &HeaderMap, address: &str) -> Result<MemberName, WebError> {
        let roster = self.roster();
        if !roster.writing() {
            return Err(WebError::WritingOff);
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(WebError::Unauthorized {
                error: None,
                message: "書き込みには会員の合言葉が必要です（Authorization: Bearer <合言葉>）"
                    .into(),
            });
        };
        let secret = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| WebError::Unauthorized {
                error: Some("invalid_request"),
                message: "Authorization ヘッダーは「Bearer <合言葉>」の形で送ってください".into(),
            })?;
        let addr_key = format!("addr:{address}");
        if let Err(wait) = self.by_address.check(&addr_key) {
            return Err(WebError::RateLimited { wait });
        }
        match self.verifier.verify(&roster, secret, true).await {
            Some(member) => Ok(member),
            None => {
                self.by_address.failed(&addr_key);
                tracing::warn!(address, "wrong bearer secret");
                Err(WebError::Unauthorized {
                    error: Some("invalid_token"),
                    message: "合言葉が正しくありません".into(),
                })
            }
        }
    }
}

#[derive(Debug)]
pub enum LoginError {
    /// No member configured.
    WritingOff,
    /// Wrong name or secret; the block this failure imposed, if any.
    Wrong(Option<Duration>),
    /// Too many failures: try again after this long.
    Blocked(Duration),
}

// ------------------------------------------------------------- requests

/// The client's address: the TCP peer, or — behind a reverse proxy
/// (`--behind-proxy`) — the last address the proxy appended to
/// `X-Forwarded-For`. `local` when unknown (in-process tests).
pub fn client_address(parts: &Parts, behind_proxy: bool) -> String {
    if behind_proxy
        && let Some(last) = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
    {
        return last.to_owned();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string())
}

/// The client's address as an extractor.
pub struct ClientAddress(pub String);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(
            parts,
            state.config.behind_proxy,
        )))
    }
}

/// Whether cookies must be `Secure`: `--secure-cookies`, or a TLS-ending
/// proxy says the request came over https.
pub fn https(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

/// A cookie with the attributes every cookie of ours has.
pub fn cookie(
    name: &'static str,
    value: String,
    path: &'static str,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str, path: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), path, secure);
    c.make_removal();
    c
}

/// Pages a member sees carry their CSRF token and name: no cache may keep
/// them (`Cache-Control: private, no-store` unless the handler said
/// otherwise, as static assets do).
pub async fn private_when_logged_in(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let member = CookieJar::from_headers(req.headers())
        .get(SESSION_COOKIE)
        .is_some()
        || req.uri().path() == "/login";
    let mut res = next.run(req).await;
    if member && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("private, no-store"),
        );
    }
    res
}

/// Who is looking at a page: a logged-in member or not, and whether
/// writing is on at all.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub member: Option<LoggedIn>,
    pub writing: bool,
}

impl Viewer {
    /// The session token (for logout).
    pub fn token(&self) -> Option<&str> {
        self.member.as_ref().map(|m| m.token.as_str())
    }

    /// The form's CSRF token matches the session's (no session: no match).
    pub fn check_csrf(&self, sent: &str) -> Result<&LoggedIn, WebError> {
        self.member
            .as_ref()
            .filter(|me| same_token(&me.csrf, sent))
            .ok_or(WebError::Csrf)
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let roster = state.auth.roster();
        let jar = CookieJar::from_headers(&parts.headers);
        let member = jar
            .get(SESSION_COOKIE)
            .and_then(|c| state.auth.sessions.get(c.value()))
            .and_then(|m| {
                if roster.contains(&m.name) {
                    Some(m)
                } else {
                    // Removed from the members file: the session ends.
                    state.auth.sessions.end(&m.token);
                    None
                }
            });
        Ok(Viewer {
            member,
            writing: roster.writing(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_hex_and_distinct() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_token());
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &new_token()));
        assert!(!same_token("", ""));
        assert!(!same_token(&a, &a[..63]));
    }

    #[test]
    fn limiter_backs_off_exponentially_after_the_free_failures() {
        let l = Limiter::new(3, Duration::from_secs(2), Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(l.failed_at("k", t0), None);
        assert_eq!(l.failed_at("k", t0), None);
        assert!(l.check_at("k", t0).is_ok());
        assert_eq!(l.failed_at("k", t0), Some(Duration::from_secs(2)));
        assert_eq!(l.check_at("k", t0), Err(Duration::from_secs(2)));
        assert!(l.check_at("k", t0 + Duration::from_secs(2)).is_ok());
        assert_eq!(l.failed_at("k", t0), Some(Duration::from_secs(4)));
        for _ in 0..10 {
            l.failed_at("k", t0);
        }
        assert_eq!(l.check_at("k", t0), Err(Duration::from_secs(60)));
        // Other keys are not affected; a success forgets.
        assert!(l.check_at("other", t0).is_ok());
        l.succeeded("k");
        assert!(l.check_at("k", t0).is_ok());
    }

    #[test]
    fn limiter_forgets_old_failures() {
        let l = Limiter::new(2, Duration::from_secs(1), Duration::from_secs(60));
        let t0 = Instant::now();
        l.failed_at("k", t0);
        let later = t0 + Duration::from_secs(16 * 60);
        assert_eq!(l.failed_at("k", later), None, "counting starts afresh");
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn members_file_is_reread_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("members.toml");
        let f = MembersFile::open(Some(&path)).unwrap();
        assert!(!f.roster().writing());
        let mut m = Members::load(&path).unwrap();
        m.add("yamada").unwrap();
        m.save().unwrap();
        let r = f.roster();
        assert!(r.writing());
        assert!(r.contains(&MemberName("yamada".into())));
        assert!(!MembersFile::open(None).unwrap().roster().writing());
    }
}
