//! What every handler shares: the live index (reads and members' writes),
//! the views derived from the whole collection, members and sessions.
//!
//! The completion list is the one view kept in memory; it is read from the
//! index (where indexing keeps it, see [`crate::suggest`]) on a thread of
//! its own at start and after every commit of the live index, a burst of
//! commits costing one read. Stats, similar cases and search read the
//! index directly and see a commit as soon as it returns. The cases'
//! vectors ([`crate::meaning`]) follow the commits the same way, on a
//! thread of their own at a low priority: searches never wait for them.

use std::path::PathBuf;
use std::sync::{Arc, RwLock, mpsc};

use super::auth::Auth;
use super::error::WebError;
use super::{Insights, Metrics};
use crate::index::similar::Similar;
use crate::index::{CaseIndex, IndexError, SyncReport};
use crate::live::{LiveError, LiveIndex};
use crate::meaning::Meaning;
use crate::members::MembersError;
use crate::suggest::Suggester;

/// How the server was started.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The case folder the index follows.
    pub cases: PathBuf,
    /// The members file (`None`: none, writing off).
    pub members: Option<PathBuf>,
    /// Always mark cookies `Secure` (the server is reached over https,
    /// e.g. behind a TLS-ending proxy that sends no `X-Forwarded-Proto`).
    pub secure_cookies: bool,
    /// Behind a reverse proxy: take the client address from the last
    /// `X-Forwarded-For` entry (for rate limiting).
    pub behind_proxy: bool,
    /// Timeouts, connection caps and body limits ([`super::limits`]).
    pub limits: super::limits::Limits,
    /// Cases related by meaning: vectors computed in the background,
    /// related cases after the matches, 似た事例 by meaning. Off by
    /// default here (a test's server has no use for them); `serve` turns
    /// it on unless `--no-meaning`.
    pub meaning: bool,
}

impl Config {
    /// Defaults for a case folder: no members (read-only), plain http.
    pub fn new(cases: impl Into<PathBuf>) -> Config {
        Config {
            cases: cases.into(),
            ..Config::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Members(#[from] MembersError),
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<CaseIndex>,
    /// The only writer of the index while serving.
    pub live: Arc<LiveIndex>,
    pub config: Arc<Config>,
    pub auth: Arc<Auth>,
    suggester: Arc<RwLock<Arc<Suggester>>>,
    pub metrics: Arc<Metrics>,
    pub insights: Arc<Insights>,
    /// Search answers of the current index generation.
    pub search_cache: Arc<super::cache::SearchCache>,
    /// Where searches not in the cache wait for a core.
    pub cpu: Arc<super::cpu::CpuQueue>,
    /// The cases' vectors, for related and similar cases.
    pub meaning: Arc<Meaning>,
}

/// How the extractors of [`super::auth`] reach it without knowing this type.
impl axum::extract::FromRef<AppState> for Arc<Auth> {
    fn from_ref(state: &AppState) -> Arc<Auth> {
        Arc::clone(&state.auth)
    }
}

impl AppState {
    /// [`start`](Self::start), then waits until the index has converged to
    /// the case folder: for callers that need every case searchable from
    /// the first request (tests, embedding). Blocks; call from
    /// `spawn_blocking` in async code.
    pub fn new(index: Arc<CaseIndex>, config: Config) -> Result<AppState, StartError> {
        let state = AppState::start(index, config)?;
        state.live.wait_converged()?;
        // The list as of now, not whenever its thread gets to it.
        let list = Arc::new(state.index.suggester()?);
        *state.suggester.write().unwrap_or_else(|e| e.into_inner()) = list;
        // Every case's vector too, as of now.
        if let Err(e) = state.meaning.catch_up(&state.index, 1) {
            tracing::error!("computing the cases' vectors: {e}");
        }
        Ok(state)
    }

    /// Ready to serve `index` as it is, at once: the writer thread
    /// converges it to the case folder in the background (the start-up
    /// sync, which also repairs a crash between a file write and its
    /// commit), the file watcher starts, the members file is read, and the
    /// completion list is read from the index on a thread of its own.
    pub fn start(index: Arc<CaseIndex>, config: Config) -> Result<AppState, StartError> {
        let auth = Auth::new(config.members.as_deref())?
            .with_transport(config.behind_proxy, config.secure_cookies);
        let live = LiveIndex::spawn(Arc::clone(&index), &config.cases)?;
        let suggester = Arc::new(RwLock::new(Arc::new(Suggester::default())));
        refresh_on_commit(&live, &index, &suggester);
        let meaning = Arc::new(match config.meaning {
            true => Meaning::open(index.dir()),
            false => Meaning::off(),
        });
        if meaning.is_on() {
            embed_on_commit(&live, &index, &meaning);
        }
        Ok(AppState {
            index,
            live: Arc::new(live),
            config: Arc::new(config),
            auth: Arc::new(auth),
            suggester,
            metrics: Arc::new(Metrics::default()),
            insights: Arc::new(Insights::default()),
            search_cache: Arc::new(super::cache::SearchCache::new(
                super::cache::capacity_from_env(),
            )),
            cpu: Arc::new(super::cpu::CpuQueue::new()),
            meaning,
        })
    }

    pub fn suggester(&self) -> Arc<Suggester> {
        self.suggester
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs `work` on the index in the CPU queue ([`super::cpu`]).
    pub async fn on_index<T, F>(&self, work: F) -> Result<T, WebError>
    where
        F: FnOnce(&CaseIndex) -> Result<T, WebError> + Send + 'static,
        T: Send + 'static,
    {
        let index = Arc::clone(&self.index);
        self.cpu.run(move || work(&index)).await
    }

    /// The cases most like `id` (`None`: no such case), in the CPU queue.
    pub async fn similar(&self, id: &str, n: usize) -> Result<Option<Vec<Similar>>, WebError> {
        let id = id.to_owned();
        let meaning = Arc::clone(&self.meaning);
        self.on_index(move |index| Ok(index.similar_near(&id, n, &*meaning)?))
            .await
    }

    /// A full re-sync with the case folder now (the admin page's button);
    /// the completion list follows through the commit hook.
    pub fn resync(&self) -> Result<SyncReport, LiveError> {
        self.live.resync()
    }
}

/// Runs `work` on a thread of its own named `name`, once at start and
/// again after commits of `live`, a burst of commits costing one run (the
/// commits that came meanwhile are covered by it). The thread ends when
/// `work` says what it serves is gone (`false`), or when the live index
/// (holding the sender) is dropped.
fn after_commits(live: &LiveIndex, name: &str, mut work: impl FnMut() -> bool + Send + 'static) {
    let (tx, rx) = mpsc::channel::<()>();
    // What the index holds at start, before any commit.
    let _ = tx.send(());
    live.on_commit(move || {
        let _ = tx.send(());
    });
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                if !work() {
                    break;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the thread {name}: {e}");
    }
}

/// Reads the completion list from the index now and again after commits,
/// off the writer thread.
fn refresh_on_commit(live: &LiveIndex, index: &Arc<CaseIndex>, slot: &Arc<RwLock<Arc<Suggester>>>) {
    let index = Arc::clone(index);
    let slot = Arc::downgrade(slot);
    after_commits(live, "kaizen-wa-suggest", move || {
        let Some(slot) = slot.upgrade() else {
            return false;
        };
        match index.suggester() {
            Ok(fresh) => *slot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(fresh),
            Err(e) => tracing::error!("reading the completion list: {e}"),
        }
        true
    });
}

/// Computes the vectors of new and changed cases at start and after
/// commits, at a low priority (searches come first; a catch-up of the
/// bundled cases takes seconds, of thousands of cases hours).
fn embed_on_commit(live: &LiveIndex, index: &Arc<CaseIndex>, meaning: &Arc<Meaning>) {
    let index = Arc::clone(index);
    let meaning = Arc::downgrade(meaning);
    after_commits(live, "kaizen-wa-meaning", move || {
        let Some(meaning) = meaning.upgrade() else {
            return false;
        };
        lower_priority();
        match meaning.catch_up(&index, 1) {
            Ok(0) => {}
            Ok(n) => tracing::info!("vectors computed for {n} cases"),
            Err(e) => tracing::error!("computing the cases' vectors: {e}"),
        }
        true
    });
}

/// Lowers the calling thread's scheduling priority (nice 10): on Linux a
/// thread has its own.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with `who` 0 changes the calling thread only, and
    // reads no memory of ours.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
