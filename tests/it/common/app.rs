//! The app in this process: the router over a temporary copy of the
//! sample cases, requests sent to it without a socket (or over a loopback
//! one when a test needs a real client), and what tests read off the
//! answers. It sets things up and sends; what an answer must be stays in
//! the tests.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use kaizen_wa::index::CaseIndex;
use kaizen_wa::web::{AppState, Config, router};
use serde_json::Value;
use tower::ServiceExt;

use super::{add_member, copy_cases};

/// The member most tests log in as.
pub const MEMBER: &str = "山田 花子";

/// An answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} not JSON ({e}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value, empty when it is missing (so that a test's
    /// comparison says what came instead).
    pub fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `name=value` of a cookie this reply sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap().to_owned())
    }

    /// The value of the first hidden input `name` in an HTML page.
    pub fn hidden(&self, name: &str) -> String {
        let text = self.text();
        let key = format!("name=\"{name}\" value=\"");
        let start = text
            .find(&key)
            .unwrap_or_else(|| panic!("no hidden {name} in {text}"))
            + key.len();
        text[start..start + text[start..].find('"').unwrap()].to_owned()
    }
}

/// How an [`App`] is set up; [`App::new`] is the usual one.
#[derive(Clone, Copy)]
pub struct Setup {
    /// The one member, if any.
    member: Option<&'static str>,
    /// Whether a members file is configured at all (without one the server
    /// only reads; with an empty one, adding a member turns writing on).
    members_file: bool,
    /// Client addresses from `X-Forwarded-For`, so that a test can play
    /// several clients.
    behind_proxy: bool,
    /// Index the cases before serving (and check that all were added),
    /// rather than leave it to the server's start-up sync.
    synced: bool,
    /// Cases related by meaning on (their vectors computed before the
    /// first request).
    meaning: bool,
}

impl Setup {
    /// A members file with nobody in it: writing is off.
    pub fn no_members(self) -> Setup {
        Setup {
            member: None,
            ..self
        }
    }

    /// No members file: the reading server.
    pub fn no_members_file(self) -> Setup {
        Setup {
            member: None,
            members_file: false,
            ..self
        }
    }

    pub fn member(self, name: &'static str) -> Setup {
        Setup {
            member: Some(name),
            ..self
        }
    }

    pub fn behind_proxy(self) -> Setup {
        Setup {
            behind_proxy: true,
            ..self
        }
    }

    pub fn synced(self) -> Setup {
        Setup {
            synced: true,
            ..self
        }
    }

    pub fn meaning(self) -> Setup {
        Setup {
            meaning: true,
            ..self
        }
    }

    pub fn open(self) -> App {
        self.prepared(|_| {})
    }

    /// Like [`Setup::open`], with `prepare` run on the folder first (what
    /// a crash or an operator left there before the server starts).
    pub fn prepared(self, prepare: impl FnOnce(&Path)) -> App {
        let dir = tempfile::tempdir().unwrap();
        let samples = copy_cases(&dir.path().join("cases"));
        let secret = match self.member {
            Some(name) => add_member(&dir.path().join("members.toml"), name),
            None => String::new(),
        };
        prepare(dir.path());
        App::serve_folder(self, dir, secret, samples)
    }
}

/// The router over a temp folder with `cases/` (the samples), `index/` and
/// `members.toml`.
pub struct App {
    pub router: Router,
    pub state: AppState,
    /// The member's secret (empty without one).
    pub secret: String,
    /// How many sample cases were copied in.
    pub samples: usize,
    pub dir: tempfile::TempDir,
    setup: Setup,
}

impl App {
    /// One member ([`MEMBER`]), client addresses from the socket.
    pub fn new() -> App {
        App::setup().open()
    }

    pub fn setup() -> Setup {
        Setup {
            member: Some(MEMBER),
            members_file: true,
            behind_proxy: false,
            synced: false,
            meaning: false,
        }
    }

    fn serve_folder(setup: Setup, dir: tempfile::TempDir, secret: String, samples: usize) -> App {
        let cases = dir.path().join("cases");
        let index = CaseIndex::open(&dir.path().join("index")).unwrap();
        if setup.synced {
            let report = index.sync(&cases).unwrap();
            assert_eq!(report.added, samples, "{:?}", report.diagnostics);
        }
        let config = Config {
            members: setup.members_file.then(|| dir.path().join("members.toml")),
            behind_proxy: setup.behind_proxy,
            meaning: setup.meaning,
            ..Config::new(cases)
        };
        let state = AppState::new(Arc::new(index), config).unwrap();
        App {
            router: router(state.clone()),
            state,
            secret,
            samples,
            dir,
            setup,
        }
    }

    /// The same folder served afresh: what a restart or a deploy does.
    pub fn restart(self) -> App {
        let App {
            router,
            state,
            secret,
            samples,
            dir,
            setup,
        } = self;
        drop(router);
        drop(state);
        App::serve_folder(setup, dir, secret, samples)
    }

    pub fn cases(&self) -> PathBuf {
        self.dir.path().join("cases")
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.secret)
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = to_bytes(res.into_body(), 20 << 20).await.unwrap().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut b = Request::get(uri);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A request with a JSON body (if any), as API clients send them.
    pub async fn api(
        &self,
        method: Method,
        uri: &str,
        auth: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(uri);
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(v).unwrap())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }

    /// `POST /api/cases` as the member.
    pub async fn create(&self, body: &Value) -> Reply {
        self.api(
            Method::POST,
            "/api/cases",
            Some(&self.bearer()),
            &[],
            Some(body),
        )
        .await
    }

    /// `PUT /api/cases/{id}` as the member, with `If-Match: if_match` if
    /// given.
    pub async fn update(&self, id: &str, if_match: Option<&str>, body: &Value) -> Reply {
        let if_match = if_match.map(|v| [("if-match", v)]);
        self.api(
            Method::PUT,
            &format!("/api/cases/{id}"),
            Some(&self.bearer()),
            if_match.as_ref().map_or(&[], |h| &h[..]),
            Some(body),
        )
        .await
    }

    /// A form post, with the session cookie if there is one.
    pub async fn post_form(
        &self,
        uri: &str,
        cookie: Option<&str>,
        pairs: &[(&str, &str)],
    ) -> Reply {
        let cookie = cookie.map(|c| [("cookie", c)]);
        self.post_form_with(uri, cookie.as_ref().map_or(&[], |c| &c[..]), pairs)
            .await
    }

    /// A form post with any headers.
    pub async fn post_form_with(
        &self,
        uri: &str,
        headers: &[(&str, &str)],
        pairs: &[(&str, &str)],
    ) -> Reply {
        let mut b =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let body = serde_urlencoded::to_string(pairs).unwrap();
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    /// Posts the login form (with the token of a freshly opened one) as
    /// `name` with `secret`, going on to `next`: the answer.
    async fn post_login(
        &self,
        headers: &[(&str, &str)],
        name: &str,
        secret: &str,
        next: &str,
    ) -> Reply {
        let page = self.get("/login", None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let cookie = page.cookie("kaizen_login").expect("login CSRF cookie");
        let csrf = page.hidden("csrf");
        let mut headers = headers.to_vec();
        headers.push(("cookie", &cookie));
        self.post_form_with(
            "/login",
            &headers,
            &[
                ("name", name),
                ("secret", secret),
                ("csrf", &csrf),
                ("next", next),
            ],
        )
        .await
    }

    /// A login from `address` (behind a proxy) with `name` and `secret`.
    pub async fn login_as(&self, address: &str, name: &str, secret: &str) -> Reply {
        self.post_login(&[("x-forwarded-for", address)], name, secret, "/")
            .await
    }

    /// The session cookie of the member's login (behind a proxy).
    pub async fn session(&self) -> String {
        let r = self.login_as("192.0.2.200", MEMBER, &self.secret).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        r.cookie("kaizen_session").expect("session cookie")
    }

    /// Logs the member in through the form, on to the new-case form;
    /// returns the session cookie and the session's CSRF token.
    pub async fn login(&self) -> (String, String) {
        let r = self
            .post_login(&[], MEMBER, &self.secret, "/cases/new")
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(r.header(header::LOCATION), "/cases/new");
        let session = r.cookie("kaizen_session").expect("session cookie");
        let form = self.get("/cases/new", Some(&session)).await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.text());
        (session, form.hidden("csrf"))
    }

    /// Ids of the hits for `query`, searched in the index directly.
    pub fn ids_for(&self, query: &str) -> Vec<String> {
        super::search_ids(&self.state.index, &super::request(query, 200))
    }

    /// Every id in the index, sorted.
    pub fn indexed_ids(&self) -> Vec<String> {
        super::indexed_ids(&self.state.index)
    }

    /// A full sync with `cases/`, as the watcher would run one.
    pub async fn resync(&self) {
        let s = self.state.clone();
        tokio::task::spawn_blocking(move || s.resync().unwrap())
            .await
            .unwrap();
    }

    /// The app served on an ephemeral loopback port, for as long as the
    /// runtime runs: its base URL.
    pub async fn listen(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let svc = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, svc).await.unwrap() });
        format!("http://{addr}")
    }
}
