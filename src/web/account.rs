//! Login and logout pages. A member logs in with their name and the
//! secret `kaizen-wa member add` printed; the server keeps the session
//! (see [`super::auth`]). The login form has no session yet, so its CSRF
//! token is a double-submit one: a short-lived cookie and a hidden field
//! that must match, and that this server must have made.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, OriginalUri, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use super::AppState;
use super::auth::{self, ClientAddress, LOGIN_COOKIE, LoginError, SESSION_COOKIE, Viewer};
use super::error::WebError;
use super::ui::{Base, HtmlError, render};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub base: Base,
    pub csrf: String,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
    /// The members file, for the "writing is off" hint.
    pub members_path: String,
}

/// Where to go after logging in: a path on this site, never elsewhere.
pub fn safe_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok { next.to_owned() } else { "/".to_owned() }
}

/// The viewer of a members-only page, known to be a logged-in member.
/// Anyone else is answered before the handler runs with the way to become
/// one: the login page (returning here), or, writing off, the page that
/// says how to turn writing on. Every members-only page asks for it, so
/// none can forget the check.
pub(super) struct MemberViewer(pub Viewer);

impl FromRequestParts<AppState> for MemberViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(viewer) = Viewer::from_request_parts(parts, state).await;
        let Ok(OriginalUri(uri)) = OriginalUri::from_request_parts(parts, state).await;
        match &viewer.member {
            Some(_) => Ok(MemberViewer(viewer)),
            None if !viewer.writing => Err(WebError::WritingOff.into_html(state, &viewer)),
            None => Err(login_redirect(
                uri.path_and_query().map_or("/", |p| p.as_str()),
            )),
        }
    }
}

/// `/login?next=…` for a page that needs a member.
pub fn login_redirect(path_and_query: &str) -> Response {
    let q = serde_urlencoded::to_string([("next", path_and_query)]).unwrap_or_default();
    Redirect::to(&format!("/login?{q}")).into_response()
}

fn next_of(raw: Option<&str>) -> String {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
    pairs
        .into_iter()
        .find(|(k, _)| k == "next")
        .map_or_else(|| "/".to_owned(), |(_, v)| safe_next(&v))
}

/// The form with a fresh login token (cookie + hidden field).
/// What the login form shows besides a fresh token.
struct Shown {
    status: StatusCode,
    next: String,
    name: String,
    error: Option<String>,
}

fn login_form(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    jar: CookieJar,
    shown: Shown,
) -> Response {
    let Shown {
        status,
        next,
        name,
        error,
    } = shown;
    let token = state.auth.login_token();
    let secure = state.auth.https(headers);
    let jar = jar.add(auth::cookie(LOGIN_COOKIE, token.clone(), "/login", secure));
    let page = LoginPage {
        base: Base::new(state, "login", viewer),
        csrf: token,
        next,
        name,
        error,
        // The file's name only: where the server keeps it is nobody's
        // business on a public page.
        members_path: state
            .auth
            .members_path()
            .and_then(|p| p.file_name())
            .map_or_else(
                || crate::members::DEFAULT_FILE.to_owned(),
                |n| n.to_string_lossy().into_owned(),
            ),
    };
    (status, jar, render(&page)).into_response()
}

/// Login form.
#[utoipa::path(
    get,
    path = "/login",
    tag = "ui",
    params(("next" = Option<String>, Query, description = "Page to return to after logging in")),
    responses((status = 200, description = "Login page (HTML); says how to turn writing on when no member is configured", content_type = "text/html"))
)]
pub async fn login_page(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Response {
    let next = next_of(raw.as_deref());
    let shown = Shown {
        status: StatusCode::OK,
        next,
        name: String::new(),
        error: None,
    };
    login_form(&state, &viewer, &headers, jar, shown)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    name: String,
    secret: String,
    csrf: String,
    next: String,
}

/// Checks name and secret; on success starts a session (cookie
/// `kaizen_session`: HttpOnly, SameSite=Strict, Secure over https) and
/// goes to `next`.
#[utoipa::path(
    post,
    path = "/login",
    tag = "ui",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "name, secret, csrf, next"),
    responses(
        (status = 303, description = "Logged in: to `next`"),
        (status = 401, description = "Wrong name or secret: the form again", content_type = "text/html"),
        (status = 403, description = "Missing or wrong form token, or writing is off", content_type = "text/html"),
        (status = 429, description = "Too many failures: `Retry-After`", content_type = "text/html")
    )
)]
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let form: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let next = safe_next(&form.next);
    let cookie_token = jar.get(LOGIN_COOKIE).map(|c| c.value().to_owned());
    if !cookie_token.is_some_and(|t| state.auth.login_token_ok(&t, &form.csrf)) {
        let shown = Shown {
            status: StatusCode::FORBIDDEN,
            next,
            name: form.name,
            error: Some(WebError::Csrf.public_message()),
        };
        return login_form(&state, &viewer, &headers, jar, shown);
    }
    match state.auth.login(&address, &form.name, &form.secret).await {
        Ok(member) => {
            tracing::info!(member = %member, "logged in");
            if let Some(old) = viewer.token() {
                state.auth.sessions.end(old);
            }
            let token = state.auth.sessions.create(member);
            let secure = state.auth.https(&headers);
            let jar = jar
                .add(auth::cookie(SESSION_COOKIE, token, "/", secure))
                .add(auth::removal(LOGIN_COOKIE, "/login", secure));
            (jar, Redirect::to(&next)).into_response()
        }
        Err(e) => {
            let (status, message, wait) = match e {
                LoginError::WritingOff => (
                    StatusCode::FORBIDDEN,
                    WebError::WritingOff.public_message(),
                    None,
                ),
                LoginError::Wrong => (
                    StatusCode::UNAUTHORIZED,
                    "会員名または合言葉が違います。".to_owned(),
                    None,
                ),
                LoginError::Blocked(wait) => (
                    StatusCode::TOO_MANY_REQUESTS,
                    WebError::RateLimited { wait }.public_message(),
                    Some(wait),
                ),
            };
            let shown = Shown {
                status,
                next,
                name: form.name,
                error: Some(message),
            };
            let mut res = login_form(&state, &viewer, &headers, jar, shown);
            if let Some(wait) = wait {
                res.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(super::error::retry_after_secs(wait)),
                );
            }
            res
        }
    }
}

/// A form that sends only the session's CSRF token (logout, re-sync).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct CsrfOnly {
    pub csrf: String,
}

/// Ends the session (form with the session's CSRF token).
#[utoipa::path(
    post,
    path = "/logout",
    tag = "ui",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "csrf"),
    responses(
        (status = 303, description = "Logged out: to the top page"),
        (status = 403, description = "Missing or wrong form token", content_type = "text/html")
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Response {
    let secure = state.auth.https(&headers);
    let form: CsrfOnly = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    if viewer.member.is_some() {
        if let Err(e) = viewer.check_csrf(&form.csrf) {
            return e.into_html(&state, &viewer);
        }
        if let Some(t) = viewer.token() {
            state.auth.sessions.end(t);
        }
    }
    let jar = jar.add(auth::removal(SESSION_COOKIE, "/", secure));
    (jar, Redirect::to("/")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/cases/new"), "/cases/new");
        assert_eq!(safe_next("/?q=a"), "/?q=a");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "javascript:x",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
