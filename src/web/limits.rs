//! What a client may cost the server, and the connection loop that holds
//! every client to it: how long it may take to send a request's head (and
//! to send the next one on a kept-alive connection), how long a request
//! may run, how many connections may be open at once (in all and from one
//! address), and how large a body may be.
//!
//! The loop is hyper's HTTP/1 connection builder (its header read timeout
//! is the one `axum::serve` does not expose) under a semaphore; the
//! request timeout is tower-http's layer (see [`super::router`]). Bodies
//! are read by the handlers through [`read_body`], *after* they have
//! authenticated the request: an anonymous client cannot make the server
//! buffer a write's body.
//!
//! Owns no routing and no authentication.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, header};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

use super::error::WebError;

/// Defaults, documented in SECURITY.md and `kaizen-wa serve --help`.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// A case is a few KiB; a case file may be at most 1 MiB
/// ([`crate::case::store::MAX_CASE_BYTES`]), its JSON a little more.
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;
/// Bodies of requests with no member behind them: the login form, and a
/// case form whose session ended (sent back so nothing typed is lost).
pub const DEFAULT_ANONYMOUS_BODY: usize = 64 * 1024;
/// How long in-flight requests may finish after Ctrl-C / SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// The limits the server runs with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the moment a connection waits for a request's head (a new
    /// connection, or a kept-alive one between requests) until the head
    /// is complete: a client that sends nothing is disconnected after
    /// this long. Also the idle keep-alive timeout.
    pub header_timeout: Duration,
    /// A request that has not been answered after this long gets 408
    /// (reading its body included).
    pub request_timeout: Duration,
    /// Open connections at most; more wait in the OS's accept queue.
    pub max_connections: usize,
    /// Open connections from one client address at most (0: no cap);
    /// more are closed at once. Off behind a proxy (every connection
    /// comes from the proxy).
    pub max_connections_per_address: usize,
    /// Largest body of a member's write.
    pub max_body: usize,
    /// Largest body of a request without a member's session or secret.
    pub anonymous_body: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            max_body: DEFAULT_MAX_BODY,
            anonymous_body: DEFAULT_ANONYMOUS_BODY,
        }
    }
}

/// Reads a request body of at most `limit` bytes. A `Content-Length` over
/// the limit is refused before a byte is read; a body that turns out
/// longer (chunked) is refused as soon as it passes the limit.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, WebError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(WebError::TooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let too_large = std::error::Error::source(&e)
            .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
        if too_large {
            WebError::TooLarge { limit }
        } else {
            WebError::BadBody("送信された内容を最後まで受け取れませんでした".into())
        }
    })
}

/// Open connections per client address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One open connection counted for its address; uncounted when dropped.
struct AddressSlot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn enter(table: &Arc<PerAddress>, ip: IpAddr, cap: usize) -> Option<AddressSlot> {
        let mut map = table.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(ip).or_insert(0);
        if cap > 0 && *n >= cap {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            table: Arc::clone(table),
            ip,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` resolves;
/// then stops accepting, lets open requests finish (at most
/// [`SHUTDOWN_GRACE`]) and returns. `per_address`: apply the per-address
/// cap (off behind a proxy).
pub async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    per_address: bool,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let by_address = Arc::new(PerAddress::default());
    let address_cap = if per_address {
        limits.max_connections_per_address
    } else {
        0
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = Arc::clone(&slots).acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: the listener
                    // stays; accepting again at once would spin.
                    tracing::warn!("accept error: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_slot) = PerAddress::enter(&by_address, remote.ip(), address_cap) else {
            tracing::debug!(address = %remote.ip(), "too many connections from one address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let held = (slot, address_slot);
        spawn_connection(&builder, &app, stream, remote, held, stop_rx.clone());
    }
    let _ = stop_tx.send(true);
    drain(&slots, limits.max_connections.max(1)).await;
}

/// Serves one connection on its own task, holding `held` (its slots) until
/// it closes; when `stop` turns true the connection finishes the request
/// it is in, then closes.
fn spawn_connection(
    builder: &http1::Builder,
    app: &Router,
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    held: (tokio::sync::OwnedSemaphorePermit, AddressSlot),
    mut stop: watch::Receiver<bool>,
) {
    let app = app.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
        req.extensions_mut()
            .insert(ConnectInfo::<SocketAddr>(remote));
        app.clone().oneshot(req.map(Body::new))
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::spawn(async move {
        let _held = held;
        tokio::pin!(conn);
        let stopping = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        tokio::select! {
            r = conn.as_mut() => log_connection_end(r),
            () = stopping => {
                conn.as_mut().graceful_shutdown();
                log_connection_end(conn.await);
            }
        }
    });
}

/// Waits until every connection has closed, at most [`SHUTDOWN_GRACE`]:
/// every connection holds one of the `max` slots, so all slots back means
/// all closed.
async fn drain(slots: &Semaphore, max: usize) {
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
}

fn log_connection_end(r: Result<(), hyper::Error>) {
    if let Err(e) = r {
        // Timeouts and clients that went away are routine.
        tracing::debug!("connection closed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_unread() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, "2000000".parse().unwrap());
        // The body itself is empty: only the declared length can refuse it.
        let e = read_body(&headers, Body::empty(), 1024).await.unwrap_err();
        assert!(matches!(e, WebError::TooLarge { limit: 1024 }), "{e:?}");
    }

    #[tokio::test]
    async fn an_undeclared_body_is_cut_at_the_limit() {
        let headers = HeaderMap::new();
        let e = read_body(&headers, Body::from(vec![b'x'; 2048]), 1024)
            .await
            .unwrap_err();
        assert!(matches!(e, WebError::TooLarge { .. }), "{e:?}");
        let ok = read_body(&headers, Body::from("abc"), 1024).await.unwrap();
        assert_eq!(&ok[..], b"abc");
    }

    #[test]
    fn per_address_slots_cap_and_free() {
        let table = Arc::new(PerAddress::default());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = PerAddress::enter(&table, ip, 2).unwrap();
        let _b = PerAddress::enter(&table, ip, 2).unwrap();
        assert!(PerAddress::enter(&table, ip, 2).is_none());
        assert!(PerAddress::enter(&table, "192.0.2.2".parse().unwrap(), 2).is_some());
        drop(a);
        assert!(PerAddress::enter(&table, ip, 2).is_some());
        assert!(PerAddress::enter(&table, ip, 0).is_some(), "0: no cap");
    }
}
