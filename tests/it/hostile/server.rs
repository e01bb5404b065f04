//! Hostile clients against the real `kaizen-wa serve` process: sockets
//! that send nothing or half a request, anonymous write bodies that never
//! end, control characters aimed at the log.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::{MEMBER, raw_request, start, workspace};

/// Whether the server closed `s` (EOF or reset) within `limit`.
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            // A 408 or other answer before the close: keep reading.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Item 1: sockets that send nothing or half a header stayed open for ever
/// (2,000 of them starved the server of file descriptors). Now each is
/// closed after the header timeout, and the server answers meanwhile.
/// Figure: how many of 200 idle sockets are still open after the timeout.
#[test]
fn idle_and_half_sent_connections_are_closed_after_the_header_timeout() {
    let (dir, _) = workspace();
    let server = start(
        dir.path(),
        &[
            "--header-timeout",
            "1",
            "--max-connections-per-address",
            "0",
        ],
    );
    let mut socks = Vec::new();
    for n in 0..200 {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        if n % 2 == 1 {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .unwrap();
        }
        socks.push(s);
    }
    let health = raw_request(&server.addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(health.status, 200, "answers while 200 sockets idle");
    std::thread::sleep(Duration::from_millis(1500));
    let still_open = socks
        .iter_mut()
        .map(|s| closed_within(s, Duration::from_millis(1500)))
        .filter(|closed| !closed)
        .count();
    eprintln!("figure: idle sockets still open after the 1 s header timeout: {still_open} of 200");
    assert_eq!(still_open, 0);
    // A kept-alive connection that goes quiet is closed the same way.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut s, Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// Item 1: one address cannot hold every connection.
#[test]
fn one_address_cannot_take_every_connection() {
    let (dir, _) = workspace();
    let server = start(dir.path(), &["--max-connections-per-address", "10"]);
    let held: Vec<TcpStream> = (0..10)
        .map(|_| TcpStream::connect(&server.addr).unwrap())
        .collect();
    // Let the server accept all ten.
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = TcpStream::connect(&server.addr).unwrap();
    assert!(
        closed_within(&mut extra, Duration::from_secs(3)),
        "the eleventh connection from one address is closed at once"
    );
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let r = raw_request(&server.addr, "GET", "/healthz", &[], b"").unwrap();
    assert_eq!(r.status, 200);
}

/// Item 2: 300 anonymous `POST /api/cases` sending all but the last byte of
/// a 2 MB body took RSS from 213 MB to 1,078 MB. Now each gets 401 before
/// its body is read. Figure: RSS before and after.
#[test]
fn half_sent_anonymous_bodies_do_not_grow_memory() {
    let (dir, _) = workspace();
    let server = start(dir.path(), &["--max-connections-per-address", "0"]);
    let pid = server.child.id();
    let _ = raw_request(&server.addr, "GET", "/healthz", &[], b"").unwrap();
    let before = rss_kib(pid);
    let chunk = vec![b'{'; 64 * 1024];
    let mut socks = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(&server.addr).unwrap();
        s.write_all(
            b"POST /api/cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n",
        )
        .unwrap();
        // As much as the socket takes without the server reading.
        s.set_nonblocking(true).unwrap();
        for _ in 0..30 {
            if s.write(&chunk).is_err() {
                break;
            }
        }
        s.set_nonblocking(false).unwrap();
        socks.push(s);
    }
    std::thread::sleep(Duration::from_millis(1500));
    let during = rss_kib(pid);
    let mut answered_401 = 0;
    for s in &mut socks {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 64];
        if let Ok(n) = s.read(&mut buf)
            && String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 401")
        {
            answered_401 += 1;
        }
    }
    drop(socks);
    eprintln!(
        "figure: RSS before {} MiB, with 300 half-sent anonymous bodies {} MiB; {answered_401} × 401",
        before / 1024,
        during / 1024
    );
    assert_eq!(answered_401, 300);
    assert!(
        during < before + 64 * 1024,
        "RSS grew from {before} KiB to {during} KiB"
    );
}

/// Item 11: control characters a client sends (a login name, an id) reached
/// the server log raw: an escape code in a log line rewrites an operator's
/// terminal, a newline forges a line.
#[test]
fn control_characters_never_reach_the_log_raw() {
    let (dir, _) = workspace();
    let server = start(dir.path(), &[]);
    let page = raw_request(&server.addr, "GET", "/login", &[], b"").unwrap();
    let cookie = page
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("kaizen_login="))
        .map(|(_, v)| v.split(';').next().unwrap().to_owned())
        .expect("login cookie");
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let key = "name=\"csrf\" value=\"";
    let start = html.find(key).unwrap() + key.len();
    let csrf = &html[start..start + html[start..].find('"').unwrap()];
    let name = format!("{MEMBER}\u{1b}[31m\nFORGED LINE\r");
    let form =
        serde_urlencoded::to_string([("name", name.as_str()), ("secret", "wrong"), ("csrf", csrf)])
            .unwrap();
    let r = raw_request(
        &server.addr,
        "POST",
        "/login",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 401);
    let r = raw_request(
        &server.addr,
        "DELETE",
        "/api/cases/x%1b%5b2J%0aforged",
        &[],
        b"",
    )
    .unwrap();
    assert!(r.status == 401 || r.status == 404, "{}", r.status);
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log_bytes();
    let text = String::from_utf8_lossy(&log);
    assert!(text.contains("failed login"), "{text}");
    assert!(!log.contains(&0x1b), "raw ESC in the log:\n{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED LINE")),
        "a forged log line:\n{text}"
    );
}

/// Item 11: escape codes in a case file reached the terminal raw through
/// `search` and `check`.
#[test]
fn escape_codes_in_case_files_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    // TOML escapes put raw ESC, BEL and a bidi override into the values.
    let title = "エスケープ\\u001b[2J\\u001b]0;pwned\\u0007試験\\u202e";
    std::fs::write(
        cases.join("esc-title.md"),
        super::case_file("esc-title", title),
    )
    .unwrap();
    let broken = super::case_file("esc-broken", "壊れた").replace(
        "levels = [\"業務改善\"]",
        "levels = [\"業務\\u001b[31m改革\"]",
    );
    std::fs::write(cases.join("esc-broken.md"), broken).unwrap();
    let run = |args: &[&str]| {
        let out = crate::common::kaizen_wa()
            .arg("--cases")
            .arg(&cases)
            .arg("--index")
            .arg(dir.path().join("index"))
            .args(args)
            .output()
            .unwrap();
        let mut all = out.stdout;
        all.extend_from_slice(&out.stderr);
        all
    };
    let check = run(&["check"]);
    assert!(
        String::from_utf8_lossy(&check).contains("esc-broken.md"),
        "{}",
        String::from_utf8_lossy(&check)
    );
    let search = run(&["search", "エスケープ"]);
    let text = String::from_utf8_lossy(&search);
    assert!(text.contains("試験"), "{text}");
    for (what, out) in [("check", &check), ("search", &search)] {
        assert!(
            !out.contains(&0x1b),
            "{what}: raw ESC:\n{}",
            String::from_utf8_lossy(out)
        );
        assert!(!out.contains(&0x07), "{what}: raw BEL");
        assert!(
            !String::from_utf8_lossy(out).contains('\u{202e}'),
            "{what}: raw bidi override"
        );
    }
}
