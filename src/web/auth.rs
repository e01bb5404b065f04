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
//!   The login token is bound to this server: a random nonce and its
//!   keyed hash under a per-process key, so a cookie and field an attacker
//!   made up themselves do not pass.
//! * **Login and bearer attempts** are limited with exponential backoff
//!   ([`Limiter`]), per client address and per (member name, address):
//!   an attempt is *counted before* its secret is checked, so parallel
//!   requests cannot slip past the count, and a block on a name slows only
//!   that name from that address — nobody can lock a member out from
//!   elsewhere. 429 with `Retry-After` while blocked.
//! * argon2 verification is slow by design (tens of ms, 19 MiB): it runs
//!   on the blocking pool, at most one per core at a time, with at most
//!   [`MAX_WAITING_CHECKS`] waiting (more: 429 at once, instead of a queue
//!   that delays a member's write by seconds). A verified bearer secret is
//!   remembered for [`VERIFIED_TTL`] (under a keyed hash, never in clear):
//!   a client's burst of writes costs one check, and a member whose secret
//!   is remembered is not slowed by others' failures from a shared address.
//!
//! Owns no HTTP routing: handlers call in here. Knows nothing of the
//! application state: extractors reach [`Auth`] through `FromRef`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::bounded::make_room;
use super::error::WebError;
pub use super::session::{LoggedIn, SESSION_IDLE, SESSION_MAX, Sessions};
use crate::members::{MemberName, Members, MembersError};
pub use crate::token::{new_token, same_token};

/// The session cookie.
pub const SESSION_COOKIE: &str = "kaizen_session";
/// The login form's double-submit CSRF cookie.
pub const LOGIN_COOKIE: &str = "kaizen_login";
/// How long a verified bearer secret is remembered.
pub const VERIFIED_TTL: Duration = Duration::from_secs(10 * 60);
/// Bound on each limiter's entries and on remembered secrets (memory).
const MAX_ENTRIES: usize = 10_000;
/// argon2 checks waiting for a core at most; more are refused (429).
pub const MAX_WAITING_CHECKS: usize = 16;

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

    /// Counts an attempt *before* it is checked — as a failure, which a
    /// success then forgets ([`Limiter::succeeded`]). `Err(wait)` while the
    /// key is blocked (the attempt is not made, and not counted). Counting
    /// first is what makes the limit hold under parallel requests: they
    /// all pass through here, one at a time, before any argon2 check.
    pub fn attempt(&self, key: &str) -> Result<(), Duration> {
        self.attempt_at(key, Instant::now())
    }

    fn attempt_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut entries = self.lock();
        if let Some(until) = entries.get(key).and_then(|e| e.blocked_until)
            && until > now
        {
            return Err(until - now);
        }
        if !entries.contains_key(key) {
            let forget = self.forget;
            make_room(
                &mut entries,
                MAX_ENTRIES,
                |e| now.duration_since(e.last) < forget,
                |e| e.last,
            );
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
        if e.failures >= self.free {
            let doublings = (e.failures - self.free).min(20);
            let wait = self.base.saturating_mul(1 << doublings).min(self.max);
            e.blocked_until = Some(now + wait);
        }
        Ok(())
    }

    /// A success forgets the key's failures.
    pub fn succeeded(&self, key: &str) {
        self.lock().remove(key);
    }
}

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
    /// One check at a time per secret: a burst of requests with one
    /// secret waits for the first check and then finds it remembered,
    /// instead of filling the queue (and the attempt count) with copies.
    in_flight: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    /// Checks waiting for a permit or running.
    queued: std::sync::atomic::AtomicUsize,
    cores: usize,
}

/// One request's turn at checking a secret ([`Verifier::turn`]).
struct SecretTurn<'a> {
    verifier: &'a Verifier,
    key: [u8; 32],
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for SecretTurn<'_> {
    fn drop(&mut self) {
        let mut map = self
            .verifier
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // Ours, the map's and the guard's: nobody else waits for it.
        if Arc::strong_count(&self.lock) <= 3 {
            map.remove(&self.key);
        }
    }
}

/// Too many argon2 checks waiting: try again in a moment.
#[derive(Debug)]
struct Busy;

/// Decrements the queue count when a check ends, however it ends.
struct InQueue<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Verifier {
    fn new() -> Verifier {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Verifier {
            key: crate::token::random_bytes(),
            verified: Mutex::new(HashMap::new()),
            permits: tokio::sync::Semaphore::new(cores),
            in_flight: Mutex::new(HashMap::new()),
            queued: std::sync::atomic::AtomicUsize::new(0),
            cores,
        }
    }

    /// Holds the per-secret turn until dropped.
    async fn turn(&self, secret: &str) -> SecretTurn<'_> {
        let key = self.key_of(secret);
        let lock = {
            let mut map = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key).or_default())
        };
        let guard = Arc::clone(&lock).lock_owned().await;
        SecretTurn {
            verifier: self,
            key,
            lock,
            _guard: guard,
        }
    }

    fn key_of(&self, secret: &str) -> [u8; 32] {
        blake3::keyed_hash(&self.key, secret.as_bytes()).into()
    }

    /// The member a recently verified `secret` belongs to, without argon2.
    fn remembered(&self, secret: &str, generation: u64) -> Option<MemberName> {
        let key = self.key_of(secret);
        let map = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&key)
            .filter(|(_, g, at)| *g == generation && at.elapsed() < VERIFIED_TTL)
            .map(|(n, _, _)| n.clone())
    }

    /// Who `secret` belongs to. `remember`: keep a success for later
    /// requests (bearer); a login is checked afresh every time. `Busy`
    /// when [`MAX_WAITING_CHECKS`] checks already wait for a core.
    async fn verify(
        &self,
        roster: &Roster,
        secret: &str,
        remember: bool,
    ) -> Result<Option<MemberName>, Busy> {
        use std::sync::atomic::Ordering;
        let Some(members) = roster.members.clone() else {
            return Ok(None);
        };
        if self.queued.fetch_add(1, Ordering::AcqRel) >= self.cores + MAX_WAITING_CHECKS {
            self.queued.fetch_sub(1, Ordering::AcqRel);
            return Err(Busy);
        }
        let _queued = InQueue(&self.queued);
        let Ok(_permit) = self.permits.acquire().await else {
            return Ok(None);
        };
        // Another request may have verified the same secret meanwhile.
        if remember && let Some(n) = self.remembered(secret, roster.generation) {
            return Ok(Some(n));
        }
        let owned = secret.to_owned();
        let name = tokio::task::spawn_blocking(move || members.verify(&owned))
            .await
            .ok()
            .flatten();
        if remember && let Some(name) = &name {
            let mut map = self.verified.lock().unwrap_or_else(|e| e.into_inner());
            make_room(
                &mut map,
                MAX_ENTRIES,
                |(_, _, at)| at.elapsed() < VERIFIED_TTL,
                |(_, _, at)| *at,
            );
            map.insert(
                self.key_of(secret),
                (name.clone(), roster.generation, Instant::now()),
            );
        }
        Ok(name)
    }
}

/// How long a login form's token is good for.
const LOGIN_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

// ----------------------------------------------------------------- auth

/// Everything the server knows about members and their sessions.
pub struct Auth {
    members: MembersFile,
    pub sessions: Sessions,
    /// Attempts per client address: generous, since an office shares one
    /// address.
    by_address: Limiter,
    /// Login attempts per (member name, client address).
    by_name: Limiter,
    verifier: Verifier,
    /// Signs login tokens: a token this server did not make is refused.
    login_key: [u8; 32],
    /// Client address from `X-Forwarded-For` (behind a reverse proxy).
    behind_proxy: bool,
    /// Always mark cookies `Secure`.
    secure_cookies: bool,
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
            login_key: crate::token::random_bytes(),
            behind_proxy: false,
            secure_cookies: false,
        })
    }

    /// How clients reach the server: behind a reverse proxy (their address
    /// is the last `X-Forwarded-For` entry), and whether over https only.
    pub fn with_transport(mut self, behind_proxy: bool, secure_cookies: bool) -> Auth {
        self.behind_proxy = behind_proxy;
        self.secure_cookies = secure_cookies;
        self
    }

    pub fn roster(&self) -> Roster {
        self.members.roster()
    }

    /// The members file in use, if any (shown in "writing is off" hints).
    pub fn members_path(&self) -> Option<&Path> {
        self.members.path.as_deref()
    }

    /// A fresh login-form token: `<issued>.<nonce>.<mac>`, the MAC a keyed
    /// hash under this process's key.
    pub fn login_token(&self) -> String {
        let issued = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nonce = crate::token::new_token();
        let mac = self.login_mac(issued, &nonce);
        format!("{issued}.{nonce}.{mac}")
    }

    fn login_mac(&self, issued: u64, nonce: &str) -> String {
        let mut h = blake3::Hasher::new_keyed(&self.login_key);
        h.update(b"login-csrf\0");
        h.update(issued.to_string().as_bytes());
        h.update(b".");
        h.update(nonce.as_bytes());
        h.finalize().to_hex().to_string()
    }

    /// The login form's double-submit check: cookie and field equal, and
    /// the token made by this server within [`LOGIN_TOKEN_TTL`].
    pub fn login_token_ok(&self, cookie: &str, field: &str) -> bool {
        if !same_token(cookie, field) {
            return false;
        }
        let mut parts = field.splitn(3, '.');
        let (Some(issued), Some(nonce), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let Ok(issued) = issued.parse::<u64>() else {
            return false;
        };
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let fresh = now.saturating_sub(issued) < LOGIN_TOKEN_TTL.as_secs() && issued <= now + 60;
        fresh && same_token(&self.login_mac(issued, nonce), mac)
    }

    /// A login attempt: name and secret must belong to the same member.
    /// The attempt counts against the address and the (name, address)
    /// pair before the secret is checked; while either is blocked the
    /// secret is not even looked at.
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
        let addr_key = format!("addr:{address}");
        let name_key = format!("name:{}\0{address}", name.trim());
        // The pair first: a blocked pair costs the address nothing more.
        self.by_name
            .attempt(&name_key)
            .map_err(LoginError::Blocked)?;
        self.by_address
            .attempt(&addr_key)
            .map_err(LoginError::Blocked)?;
        match self.verifier.verify(&roster, secret, false).await {
            Err(Busy) => Err(LoginError::Blocked(Duration::from_secs(1))),
            Ok(Some(member)) if member.as_str() == name.trim() => {
                self.by_address.succeeded(&addr_key);
                self.by_name.succeeded(&name_key);
                Ok(member)
            }
            Ok(_) => {
                tracing::warn!(address, name = ?name.trim(), "failed login");
                Err(LoginError::Wrong)
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
        // A secret verified a moment ago is a member's: no attempt, no
        // argon2, and not slowed by others' failures from their address.
        if let Some(member) = self.verifier.remembered(secret, roster.generation) {
            return Ok(member);
        }
        // Requests with the same secret take turns; those after the first
        // success find it remembered.
        let _turn = self.verifier.turn(secret).await;
        if let Some(member) = self.verifier.remembered(secret, roster.generation) {
            return Ok(member);
        }
        let addr_key = format!("addr:{address}");
        self.by_address
            .attempt(&addr_key)
            .map_err(|wait| WebError::RateLimited { wait })?;
        match self.verifier.verify(&roster, secret, true).await {
            Err(Busy) => Err(WebError::RateLimited {
                wait: Duration::from_secs(1),
            }),
            Ok(Some(member)) => {
                self.by_address.succeeded(&addr_key);
                Ok(member)
            }
            Ok(None) => {
                tracing::warn!(address, "wrong bearer secret");
                Err(WebError::Unauthorized {
                    error: Some("invalid_token"),
                    message: "合言葉が正しくありません".into(),
                })
            }
        }
    }

    /// Whether cookies must be `Secure`: `--secure-cookies`, or a
    /// TLS-ending proxy says the request came over https.
    pub fn https(&self, headers: &HeaderMap) -> bool {
        self.secure_cookies
            || headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
    }
}

#[derive(Debug)]
pub enum LoginError {
    /// No member configured.
    WritingOff,
    /// Wrong name or secret.
    Wrong,
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

/// What this module's extractors need of the application state: the
/// [`Auth`], reached through `FromRef` (this module never names the state's
/// type). Stated once here for every extractor below.
pub trait HasAuth: Send + Sync {
    fn auth(&self) -> Arc<Auth>;
}

impl<S> HasAuth for S
where
    S: Send + Sync,
    Arc<Auth>: FromRef<S>,
{
    fn auth(&self) -> Arc<Auth> {
        Arc::from_ref(self)
    }
}

impl<S: HasAuth> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(client_address(
            parts,
            state.auth().behind_proxy,
        )))
    }
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

impl<S: HasAuth> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = state.auth();
        let roster = auth.roster();
        let jar = CookieJar::from_headers(&parts.headers);
        let member = jar
            .get(SESSION_COOKIE)
            .and_then(|c| auth.sessions.get(c.value()))
            .and_then(|m| {
                if roster.contains(&m.name) {
                    Some(m)
                } else {
                    // Removed from the members file: the session ends.
                    auth.sessions.end(&m.token);
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
    fn limiter_counts_attempts_and_backs_off_exponentially() {
        let l = Limiter::new(3, Duration::from_secs(2), Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(l.attempt_at("k", t0).is_ok());
        assert!(l.attempt_at("k", t0).is_ok());
        assert!(l.check_at("k", t0).is_ok());
        // The third attempt is made, and blocks the key.
        assert!(l.attempt_at("k", t0).is_ok());
        assert_eq!(l.check_at("k", t0), Err(Duration::from_secs(2)));
        assert_eq!(l.attempt_at("k", t0), Err(Duration::from_secs(2)));
        let t2 = t0 + Duration::from_secs(2);
        assert!(l.attempt_at("k", t2).is_ok());
        assert_eq!(l.check_at("k", t2), Err(Duration::from_secs(4)));
        for n in 0..10 {
            let _ = l.attempt_at("k", t2 + Duration::from_secs(61 * (n + 1)));
        }
        let late = t2 + Duration::from_secs(61 * 10);
        assert_eq!(l.check_at("k", late), Err(Duration::from_secs(60)));
        // Other keys are not affected; a success forgets.
        assert!(l.check_at("other", t0).is_ok());
        l.succeeded("k");
        assert!(l.check_at("k", late).is_ok());
    }

    #[test]
    fn parallel_attempts_cannot_pass_the_count() {
        let l = Arc::new(Limiter::new(
            5,
            Duration::from_secs(60),
            Duration::from_secs(60),
        ));
        let passed = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..25 {
                        if l.attempt("addr:x").is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(passed.into_inner(), 5, "200 parallel attempts, 5 free");
    }

    #[test]
    fn limiter_forgets_old_failures() {
        let l = Limiter::new(2, Duration::from_secs(1), Duration::from_secs(60));
        let t0 = Instant::now();
        l.attempt_at("k", t0).unwrap();
        l.attempt_at("k", t0).unwrap();
        let later = t0 + Duration::from_secs(16 * 60);
        assert!(l.attempt_at("k", later).is_ok(), "counting starts afresh");
        assert!(l.check_at("k", later).is_ok());
    }

    #[test]
    fn login_tokens_are_bound_to_the_server() {
        let a = Auth::new(None).unwrap();
        let b = Auth::new(None).unwrap();
        let t = a.login_token();
        assert!(a.login_token_ok(&t, &t));
        assert!(
            !a.login_token_ok(&t, &a.login_token()),
            "cookie and field differ"
        );
        assert!(!b.login_token_ok(&t, &t), "another server's token");
        let made_up = "x".repeat(64);
        assert!(!a.login_token_ok(&made_up, &made_up), "equal but not ours");
        let (issued, rest) = t.split_once('.').unwrap();
        let older = format!("{}.{rest}", issued.parse::<u64>().unwrap() - 1);
        assert!(!a.login_token_ok(&older, &older), "the MAC covers the time");
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
