//! The real `kaizen-wa serve` process on an ephemeral port, and a plain
//! HTTP/1.1 client to talk to it: one request per connection, written and
//! read by hand, with no cleverness to get in the way of what a test sends.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a server may take to print its address, or to converge.
const PATIENCE: Duration = Duration::from_secs(180);

/// How to start a server: see [`serve`].
pub struct Serve {
    cmd: Command,
    wait_ready: bool,
}

/// `kaizen-wa serve` on `dir/cases`, `dir/index` and `dir/members.toml`,
/// logging warnings, with none of its settings taken from the test's
/// environment ([`super::kaizen_wa`]). [`Serve::start`] returns once its
/// index has converged with `cases/` (`/readyz`): the start-up sync runs
/// in the background, and what a test measures must not be that sync.
pub fn serve(dir: &Path) -> Serve {
    let mut cmd = super::kaizen_wa();
    cmd.arg("--cases")
        .arg(dir.join("cases"))
        .arg("--index")
        .arg(dir.join("index"))
        .arg("--members")
        .arg(dir.join("members.toml"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    Serve {
        cmd,
        wait_ready: true,
    }
}

impl Serve {
    /// More arguments of `serve`.
    pub fn args(mut self, args: &[&str]) -> Serve {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Serve {
        self.cmd.env(key, value);
        self
    }

    /// The log level (`KAIZEN_WA_LOG`).
    pub fn log(self, level: &str) -> Serve {
        self.env("KAIZEN_WA_LOG", level)
    }

    /// Return as soon as the server listens, before it has converged: for
    /// the tests of what it answers meanwhile.
    pub fn unready(mut self) -> Serve {
        self.wait_ready = false;
        self
    }

    pub fn start(mut self) -> Server {
        let mut child = self.cmd.spawn().expect("starting kaizen-wa serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = Arc::clone(&log);
        // Byte lines, not text ones: a test may look for bytes that are
        // not UTF-8 in the log.
        std::thread::spawn(move || {
            let mut sent = false;
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
                kept.lock().unwrap().extend_from_slice(&line);
                let text = String::from_utf8_lossy(&line);
                if !sent && let Some(start) = text.find("http://") {
                    let addr = text[start + 7..].split('/').next().unwrap().trim();
                    let _ = tx.send(addr.to_owned());
                    sent = true;
                }
                eprint!("[serve] {text}");
                line.clear();
            }
        });
        let addr = rx
            .recv_timeout(PATIENCE)
            .expect("the server prints its address");
        let server = Server { child, addr, log };
        if self.wait_ready {
            server.wait_ready();
        }
        server
    }
}

/// A running server, killed when dropped. Its stderr is kept (for the
/// tests that look at the log) and echoed.
pub struct Server {
    pub child: Child,
    /// `host:port`.
    pub addr: String,
    log: Arc<Mutex<Vec<u8>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn log_bytes(&self) -> Vec<u8> {
        self.log.lock().unwrap().clone()
    }

    /// Polls `/readyz` until it says 200 (503 meanwhile, nothing else);
    /// returns what it said.
    pub fn wait_ready(&self) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let r = raw_request(&self.addr, "GET", "/readyz", &[], b"").expect("/readyz answers");
            let j = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            if r.status == 200 {
                return j;
            }
            assert_eq!(r.status, 503, "{j}");
            assert!(Instant::now() < deadline, "not ready in time: {j}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An answer read off a socket.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read
/// to the end.
pub fn raw_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Raw> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    parse_response(&all)
}

fn parse_response(all: &[u8]) -> std::io::Result<Raw> {
    let bad = |m: &str| std::io::Error::other(m.to_owned());
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no complete head"))?;
    let head = String::from_utf8_lossy(&all[..end]);
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = all[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok(Raw {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..line_end])
                .split(';')
                .next()
                .unwrap()
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = line_end + 2;
        out.extend_from_slice(&b[start..start + size]);
        b = &b[start + size + 2..];
    }
    out
}
