//! Fault injection for end-to-end tests, switched on by environment
//! variables: a crash between a member's file write and the index commit,
//! and a start-up sync held back until a test lets it go.
//!
//! Owns nothing else; it must never act unless its variable is set, so a
//! server started without them runs exactly as it would without this file.

use std::path::PathBuf;
use std::time::Duration;

/// Fault injection for end-to-end tests: when this environment variable is
/// `1`, the process aborts right after a member's file write and before the
/// index commit — what `kill -9` at the worst moment does. Start-up must
/// then make the case searchable (the live-index tests do exactly this).
pub const CRASH_AFTER_WRITE_ENV: &str = "KAIZEN_WA_TEST_CRASH_AFTER_WRITE";

pub(super) fn crash_point() {
    if std::env::var_os(CRASH_AFTER_WRITE_ENV).is_some_and(|v| v == "1") {
        eprintln!(
            "{CRASH_AFTER_WRITE_ENV}=1: aborting between the file write and the index commit"
        );
        std::process::abort();
    }
}

/// Fault injection for end-to-end tests: while the file this environment
/// variable names exists, the start-up sync waits before it reads
/// `cases/`. A test can then see a server answer from the index as it was,
/// `/readyz` say 503, and both change once it removes the file.
pub const SYNC_GATE_ENV: &str = "KAIZEN_WA_TEST_SYNC_GATE";

pub(super) fn sync_gate() {
    let Some(gate) = std::env::var_os(SYNC_GATE_ENV) else {
        return;
    };
    let gate = PathBuf::from(gate);
    if gate.exists() {
        tracing::warn!(
            "{SYNC_GATE_ENV}: the start-up sync waits until {} is removed",
            gate.display()
        );
    }
    while gate.exists() {
        std::thread::sleep(Duration::from_millis(20));
    }
}
