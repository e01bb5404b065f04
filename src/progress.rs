//! Progress of long work — indexing, import, export, the server's
//! background build — counted by the worker and shown by someone else.
//!
//! Owns the counters and how they are shown; does none of the work. A
//! worker bumps a [`Progress`] (two atomics, cheap from any thread, no
//! knowledge of who watches). Whoever started the work shows it with
//! [`Shown`]: an indicatif bar with count, rate and time left when stderr
//! is a terminal, a plain line every few seconds otherwise (log files,
//! CI, a service's journal), and a last line when the work is done. The
//! server reads the same counters for `/healthz` and `/metrics`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How much of a piece of work is done. `total` is 0 until the worker
/// knows it (e.g. while it lists the case folder).
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Snapshot {
    /// Items finished (cases read and indexed, rows written …).
    pub done: u64,
    /// Items in all; 0 while not yet known.
    pub total: u64,
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    /// A new run of `total` items, none done yet.
    pub fn start(&self, total: u64) {
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// `n` more items are done.
    pub fn add(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }
}

/// `1234567` → `1,234,567`: counts people read.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One plain progress line: `索引: 1,234 / 10,000 件（12%、850 件/秒、残り約 10 秒）`.
pub fn line(label: &str, s: Snapshot, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.done as f64 / secs
    } else {
        0.0
    };
    if s.total == 0 {
        return format!("{label}: {} 件", grouped(s.done));
    }
    // Every item counted while the work goes on: it is finishing (a sync
    // commits, and merges what a first build wrote: 15 s at 100,000).
    if s.done >= s.total {
        return format!(
            "{label}: {} / {} 件（100%、{FINISHING}）",
            grouped(s.done),
            grouped(s.total)
        );
    }
    let percent = s.done.saturating_mul(100) / s.total;
    let mut out = format!(
        "{label}: {} / {} 件（{percent}%",
        grouped(s.done),
        grouped(s.total)
    );
    if rate >= 1.0 {
        out.push_str(&format!("、{} 件/秒", grouped(rate as u64)));
        if s.done < s.total {
            let left = (s.total - s.done) as f64 / rate;
            out.push_str(&format!("、残り約 {} 秒", grouped(left.ceil() as u64)));
        }
    }
    out.push('）');
    out
}

/// What a line says once every item is counted but the work is not done.
const FINISHING: &str = "仕上げ中";

/// The last line of a run: count and time taken.
fn done_line(label: &str, s: Snapshot, elapsed: Duration) -> String {
    format!(
        "{label}: {} 件 完了（{:.1} 秒）",
        grouped(s.done),
        elapsed.as_secs_f64()
    )
}

/// How plain lines are spaced when nobody watches a terminal.
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Where plain lines go.
pub type Sink = Box<dyn FnMut(&str) + Send>;

/// Shows a [`Progress`] while the work runs; [`finish`](Self::finish) (or
/// dropping it) prints the last line and stops the showing thread.
pub struct Shown {
    stop: Arc<(Mutex<bool>, Condvar)>,
    finished: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Shown {
    /// On stderr: a bar at a terminal, plain lines otherwise.
    pub fn stderr(label: &str, progress: Arc<Progress>) -> Shown {
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            Shown::bar(label, progress)
        } else {
            Shown::plain(
                label,
                progress,
                PLAIN_EVERY,
                Box::new(|l| {
                    let _ = writeln!(std::io::stderr(), "{l}");
                }),
            )
        }
    }

    /// Plain lines to `sink` every `every` (and a last one), e.g. to the
    /// server's log.
    pub fn plain(label: &str, progress: Arc<Progress>, every: Duration, mut sink: Sink) -> Shown {
        let label = label.to_owned();
        Shown::spawn(every, move |state| {
            let s = progress.snapshot();
            match state {
                Tick::Running(elapsed) => {
                    if s.done > 0 || s.total > 0 {
                        sink(&line(&label, s, elapsed));
                    }
                }
                Tick::Done(elapsed) => sink(&done_line(&label, s, elapsed)),
            }
        })
    }

    /// An indicatif bar: count, rate and time left, redrawn ten times a
    /// second.
    fn bar(label: &str, progress: Arc<Progress>) -> Shown {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {human_pos}/{human_len} 件 {per_sec} 残り {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label.to_owned());
        let label = label.to_owned();
        Shown::spawn(Duration::from_millis(100), move |state| {
            let s = progress.snapshot();
            bar.set_length(s.total.max(s.done));
            bar.set_position(s.done);
            if s.total > 0 && s.done >= s.total {
                bar.set_message(format!("{label}（{FINISHING}）"));
            }
            if let Tick::Done(elapsed) = state {
                bar.finish_and_clear();
                eprintln!("{}", done_line(&label, s, elapsed));
            }
        })
    }

    fn spawn(every: Duration, mut show: impl FnMut(Tick) + Send + 'static) -> Shown {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let finished = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let (stop2, finished2) = (Arc::clone(&stop), Arc::clone(&finished));
        let thread = std::thread::Builder::new()
            .name("kaizen-wa-progress".into())
            .spawn(move || {
                let (lock, cv) = &*stop2;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                // The flag is read before each wait: a stop that came before
                // this thread first took the lock sent its notification to
                // nobody, and waiting would hold up `finish` (and the
                // command) for a whole interval.
                while !*stopped {
                    let (guard, timeout) = cv
                        .wait_timeout(stopped, every)
                        .unwrap_or_else(|e| e.into_inner());
                    stopped = guard;
                    if !*stopped && timeout.timed_out() {
                        show(Tick::Running(started.elapsed()));
                    }
                }
                if finished2.load(Ordering::Relaxed) {
                    show(Tick::Done(started.elapsed()));
                }
            })
            .ok();
        Shown {
            stop,
            finished,
            thread,
        }
    }

    /// The work is done: the last line, then the showing thread stops.
    pub fn finish(mut self) {
        self.finished.store(true, Ordering::Relaxed);
        self.stop();
    }

    fn stop(&mut self) {
        let (lock, cv) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Dropped without [`Shown::finish`] (the work failed): no "done" line.
impl Drop for Shown {
    fn drop(&mut self) {
        self.stop();
    }
}

enum Tick {
    Running(Duration),
    Done(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn a_line_tells_count_share_rate_and_time_left() {
        let cases = [
            (
                1234,
                10_000,
                2,
                "索引: 1,234 / 10,000 件（12%、617 件/秒、残り約 15 秒）",
            ),
            // Every item counted, the work not done yet: it is finishing.
            (
                10_000,
                10_000,
                12,
                "索引: 10,000 / 10,000 件（100%、仕上げ中）",
            ),
            // Total not known yet: the count alone.
            (5, 0, 1, "索引: 5 件"),
        ];
        for (done, total, secs, want) in cases {
            let s = Snapshot { done, total };
            assert_eq!(line("索引", s, Duration::from_secs(secs)), want);
        }
    }

    /// Plain lines come while the work runs, and a last one when it is
    /// finished; a run dropped unfinished says no "done".
    #[test]
    fn plain_lines_while_running_and_a_last_line_when_done() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let progress = Progress::new();
        progress.start(4);
        progress.add(1);
        let sink_lines = Arc::clone(&lines);
        let shown = Shown::plain(
            "書き出し",
            Arc::clone(&progress),
            Duration::from_millis(20),
            Box::new(move |l| sink_lines.lock().unwrap().push(l.to_owned())),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while lines.lock().unwrap().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        progress.add(3);
        shown.finish();
        let lines = lines.lock().unwrap();
        assert!(lines[0].starts_with("書き出し: 1 / 4 件（25%"), "{lines:?}");
        assert!(
            lines.last().unwrap().starts_with("書き出し: 4 件 完了"),
            "{lines:?}"
        );

        let quiet = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = Arc::clone(&quiet);
        let shown = Shown::plain(
            "x",
            Progress::new(),
            Duration::from_secs(60),
            Box::new(move |l| sink.lock().unwrap().push(l.to_owned())),
        );
        // Stopped at once, even before the showing thread first waits: it
        // does not sit out its minute.
        let stopping = Instant::now();
        drop(shown);
        assert!(stopping.elapsed() < Duration::from_secs(30));
        assert!(quiet.lock().unwrap().is_empty());
    }
}
