//! CPU-heavy request work (a search: a millisecond or more of
//! segmentation, scoring and highlighting) off the async threads, first
//! come first served, on threads of its own.
//!
//! Run on the async threads, a search holds one of them for its whole
//! length: the health check, static assets and the other connections on
//! that thread wait behind it, and under load searches are served in
//! whatever order the scheduler polls their connections, so a few wait
//! for many others (a long tail). Here searches wait in one queue, in the
//! order they came, for one of as many threads as the machine has cores.
//!
//! Not tokio's blocking pool: it hands each task to whichever of its
//! threads is idle, so work spreads over many threads, each with cold
//! caches (the segmenter's buffers, the allocator's free lists); that
//! cost a third of the throughput in a load test. These threads are few
//! and always the same.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use super::error::WebError;

type Job = Box<dyn FnOnce() + Send>;

/// A queue of CPU-bound jobs and the threads that run them.
pub struct CpuQueue {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not started yet (`/metrics`: a queue that keeps
    /// growing says the server needs more cores).
    waiting: Arc<AtomicU64>,
}

impl CpuQueue {
    /// As many threads as the machine has cores: more searches at once
    /// would only share the cores, each taking longer.
    pub fn new() -> CpuQueue {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        CpuQueue::with_threads(cores)
    }

    pub fn with_threads(threads: usize) -> CpuQueue {
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("search-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for a job:
                        // the threads take jobs in turn, in queue order.
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            // The queue is gone: the server stopped.
                            Err(_) => return,
                        };
                        job();
                    }
                })
                .expect("a search thread starts");
        }
        CpuQueue {
            jobs: tx,
            waiting: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Jobs waiting for a thread.
    pub fn waiting(&self) -> u64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Runs `work` on one of the queue's threads once the jobs before it
    /// have started. A panic in `work` is an internal error; the thread
    /// goes on with the next job. Work whose request went away while it
    /// waited (the client closed the connection; search-as-you-type
    /// dropped a superseded query) is skipped.
    pub async fn run<T, F>(&self, work: F) -> Result<T, WebError>
    where
        F: FnOnce() -> Result<T, WebError> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiting = Arc::clone(&self.waiting);
        waiting.fetch_add(1, Ordering::Relaxed);
        let job: Job = Box::new(move || {
            waiting.fetch_sub(1, Ordering::Relaxed);
            if tx.is_closed() {
                return;
            }
            let out = std::panic::catch_unwind(AssertUnwindSafe(work));
            // The request may have gone meanwhile: nobody to tell.
            let _ = tx.send(out);
        });
        if self.jobs.send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(WebError::Internal("the search threads stopped".into()));
        }
        match rx.await {
            Ok(Ok(out)) => out,
            Ok(Err(_)) => Err(WebError::Internal("a search failed unexpectedly".into())),
            Err(_) => Err(WebError::Internal("the search threads stopped".into())),
        }
    }
}

impl Default for CpuQueue {
    fn default() -> Self {
        CpuQueue::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A queue of one thread, held by a first job until `release` is sent
    /// to; the first job's task gives `true` once released.
    fn one_thread_held() -> (
        Arc<CpuQueue>,
        std::sync::mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<bool, WebError>>,
    ) {
        let queue = Arc::new(CpuQueue::with_threads(1));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let first = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.run(move || Ok(hold.recv().is_ok())).await }
        });
        (queue, release, first)
    }

    /// Until `n` jobs wait (or five seconds have passed).
    async fn until_waiting(queue: &CpuQueue, n: u64) {
        let since = std::time::Instant::now();
        while queue.waiting() != n && since.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_run_at_once_than_there_are_threads() {
        let queue = Arc::new(CpuQueue::with_threads(2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (queue, running, most) = (queue.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    queue
                        .run(move || {
                            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(now, Ordering::SeqCst);
                            // Stay until another job runs alongside (or a
                            // while has passed): a third must not start.
                            let since = std::time::Instant::now();
                            while running.load(Ordering::SeqCst) < 2
                                && since.elapsed() < Duration::from_secs(2)
                            {
                                std::thread::sleep(Duration::from_millis(1));
                            }
                            std::thread::sleep(Duration::from_millis(5));
                            running.fetch_sub(1, Ordering::SeqCst);
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(queue.waiting(), 0);
    }

    #[tokio::test]
    async fn work_nobody_waits_for_any_more_is_skipped() {
        let (queue, release, first) = one_thread_held();
        let ran = Arc::new(AtomicUsize::new(0));
        let gone = tokio::spawn({
            let (queue, ran) = (Arc::clone(&queue), Arc::clone(&ran));
            async move {
                queue
                    .run(move || {
                        ran.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    })
                    .await
            }
        });
        until_waiting(&queue, 1).await;
        gone.abort();
        assert!(gone.await.unwrap_err().is_cancelled());
        release.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        // A job queued after the skipped one runs: so the skipped one has
        // been taken off the queue by then.
        assert!(queue.run(|| Ok(())).await.is_ok());
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn jobs_behind_a_running_one_are_counted_as_waiting() {
        let (queue, release, first) = one_thread_held();
        let second = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.run(|| Ok(true)).await }
        });
        until_waiting(&queue, 1).await;
        assert_eq!(queue.waiting(), 1, "the second waits behind the first");
        release.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert!(second.await.unwrap().unwrap());
        assert_eq!(queue.waiting(), 0);
    }

    #[tokio::test]
    async fn a_panic_is_an_internal_error() {
        let queue = CpuQueue::with_threads(1);
        let r: Result<(), WebError> = queue.run(|| panic!("boom")).await;
        assert!(matches!(r, Err(WebError::Internal(_))));
        // The thread goes on.
        assert!(queue.run(|| Ok(1)).await.is_ok());
    }
}
