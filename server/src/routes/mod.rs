//! The axum router: plain routes for SSO and sign-out, the Leptos pages and server functions,
//! and the layers around them (request id, tracing, sessions, the page guard).
pub mod dev_idp;
pub mod saml;
pub mod slo;

use crate::front_door::{self, client_ip, headers};
use app::server::auth;
use app::server::session_store::{DbSessionStore, SessionLimits};
use app::urls;
use axum::extract::{Request, State};
use axum::http::{header, Extensions, HeaderMap, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower_http::compression::predicate::{DefaultPredicate, Predicate as _};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub use crate::state::{Limits, RolePolicy, ServerState};

pub struct SessionSettings {
    pub request_timeout: std::time::Duration,
    pub secure_cookie: bool,
    pub idle_minutes: i64,
    pub max_hours: i64,
}

/// Largest request body read anywhere: a SAML response (256 KiB of base64) form-encoded, with
/// room to spare. Larger bodies are answered 413 before any handler runs.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

pub fn router(state: ServerState, sessions: SessionSettings) -> Router {
    let routes = generate_route_list(app::app::App);
    let app_state = state.app.clone();
    let session_layer = SessionManagerLayer::new(DbSessionStore::new(
        state.app.db.clone(),
        state.app.clock.clone(),
        SessionLimits {
            idle_seconds: sessions.idle_minutes * 60,
            absolute_seconds: sessions.max_hours * 3600,
        },
    ))
    .with_name("gatehouse_session")
    // Every response refreshes the cookie and (at most once a minute) the stored expiry, so
    // the idle timeout slides; the store never writes to a session that was ended meanwhile.
    .with_always_save(true)
    .with_http_only(true)
    .with_same_site(SameSite::Lax)
    .with_secure(sessions.secure_cookie)
    .with_path("/")
    .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
        sessions.idle_minutes,
    )));

    let mut router = crate::api::router()
        .route(urls::HEALTH, get(|| async { "ok" }))
        .route(urls::READY, get(readyz))
        .route(urls::SAML_METADATA, get(saml::metadata))
        .route(urls::SAML_LOGIN, get(saml::login))
        .route(urls::SAML_ACS, post(saml::acs))
        .route(urls::SAML_SLO, get(slo::slo_redirect).post(slo::slo_post))
        .route(urls::LOGOUT, post(saml::logout));
    if state.dev_idp.is_some() {
        router = router
            .route(
                urls::DEV_IDP_SSO,
                get(dev_idp::sso_page).post(dev_idp::sso_submit),
            )
            .route(urls::DEV_IDP_METADATA, get(dev_idp::metadata))
            .route(urls::DEV_IDP_SLO, get(dev_idp::slo));
    }
    let shell = {
        let leptos = state.leptos.clone();
        move || app::app::shell(leptos.clone())
    };
    router
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(app_state.clone()),
            shell,
        )
        .route_layer(middleware::from_fn(crate::metrics::carry_route))
        .fallback(leptos_axum::file_and_error_handler::<ServerState, _>(
            app::app::shell,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            require_session_for_pages,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_cross_site_posts,
        ))
        .layer(middleware::from_fn(server_fn_status_from_error))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            sessions.request_timeout,
        ))
        .layer(session_layer)
        .layer(middleware::from_fn(answer_database_outages))
        // Outside the session layer: a page loads dozens of chunks, and none of them needs the
        // session loaded from the database, re-saved, or a Set-Cookie on a cacheable response.
        .merge(bundle_router(&state))
        // Pages and SAML metadata go out brotli- or gzip-compressed when the client asks. Static
        // files are not compressed on the fly (brotli over a megabyte of WASM per request would
        // cost seconds): they are served from their precompressed copies (`--precompress`). JSON
        // is not compressed either: it is where new tokens travel, and compressing a secret beside
        // caller-influenced text is what BREACH-style length attacks need.
        .layer(
            CompressionLayer::new().compress_when(DefaultPredicate::new().and(
                |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
                    headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|t| {
                            t.starts_with("text/html")
                                || t.starts_with("application/samlmetadata+xml")
                        })
                },
            )),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            tracing::info_span!(
                "request",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %request_id(req.headers()),
            )
        }))
        .layer(middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            client_ip::resolve,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::new(headers::SecurityHeaders::new(state.https)),
            headers::apply,
        ))
        .layer(middleware::from_fn(crate::metrics::record))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::map_request(front_door::drop_client_request_id))
        .with_state(state)
}

/// The bundle (`/pkg`), with conditional requests answered 304 (Leptos' fallback file handler
/// forwards only Accept-Encoding, so every revalidation would re-send the whole WASM) and the
/// precompressed copies preferred.
fn bundle_router(state: &ServerState) -> Router<ServerState> {
    Router::new()
        .nest_service(
            &format!("/{}", state.leptos.site_pkg_dir),
            ServeDir::new(format!(
                "{}/{}",
                state.leptos.site_root, state.leptos.site_pkg_dir
            ))
            .precompressed_br()
            .precompressed_gzip(),
        )
        .route_layer(middleware::from_fn(crate::metrics::carry_route))
}

pub use crate::front_door::client_ip::of as client_ip;

/// Ready for traffic: the database answers and its migrations are the ones this binary
/// expects. A load balancer takes a replica out while this says 503 (`/healthz` only says the
/// process is up).
async fn readyz(State(state): State<ServerState>) -> Response {
    match state.app.db.readiness().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(reason) => {
            tracing::warn!("not ready: {reason}");
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}"),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
            response
        }
    }
}

pub fn request_id(headers: &HeaderMap) -> String {
    app::server::actor::RequestMeta::request_id_of(headers)
}

/// Requests that act with the session cookie (server functions, sign-out) must come from the
/// console itself: an `Origin` equal to the public origin, or — from a browser that sends no
/// Origin — `Sec-Fetch-Site: same-origin`. Anything else, including `Origin: null` and a request
/// with neither header, is refused. SameSite=Lax already keeps the cookie off cross-site POSTs;
/// this is the second line. The ACS is exempt (the IdP posts to it from its own origin) and so
/// is the bearer-token API (no cookies).
async fn refuse_cross_site_posts(
    State(state): State<ServerState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let cookie_authenticated = path.starts_with("/fn/") || path == urls::LOGOUT;
    if request.method() != axum::http::Method::GET && cookie_authenticated {
        let headers = request.headers();
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let same_origin = match header("origin") {
            Some(origin) => origin == &*state.public_origin,
            None => header("sec-fetch-site") == Some("same-origin"),
        };
        if !same_origin {
            tracing::warn!(request_id = %request_id(headers), path, "cross-site request refused");
            return (
                StatusCode::FORBIDDEN,
                "Cross-site requests are not accepted.",
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// Server functions answer every error the framework raises itself (arguments it could not
/// read, a body over the limit) with 500. Their body is our `AppError` as JSON: take the
/// status from it, so the one error → status mapping (`AppError::status`) holds here too.
async fn server_fn_status_from_error(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/fn/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let error = match serde_json::from_slice::<app::error::AppError>(&bytes) {
        Ok(app::error::AppError::Transport(m)) if m.contains("length limit exceeded") => {
            Some(app::error::AppError::TooLarge)
        }
        Ok(error) => Some(error),
        Err(_) => None,
    };
    let body = match &error {
        Some(app::error::AppError::TooLarge) => serde_json::to_vec(&app::error::AppError::TooLarge)
            .map(axum::body::Bytes::from)
            .unwrap_or(bytes),
        _ => bytes,
    };
    if let Some(status) = error.and_then(|e| StatusCode::from_u16(e.status()).ok()) {
        parts.status = status;
    }
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// How requests are answered while the database is not answering, from outside the session
/// layer (so loading and saving the session are covered too):
/// - a console page gets at most [`PAGE_DEADLINE`], then "try again" (503 + Retry-After);
/// - tower-sessions' own empty 500 for a session it could not save (the sliding expiry, written
///   after the page was made) becomes that same "try again".
async fn answer_database_outages(request: Request, next: Next) -> Response {
    let page = is_console_page_request(&request);
    let run = app::server::session_store::noting_unavailability(next.run(request));
    let (response, unavailable) = if page {
        match tokio::time::timeout(PAGE_DEADLINE, run).await {
            Ok(answered) => answered,
            Err(_) => {
                tracing::warn!("a console page was not ready within {PAGE_DEADLINE:?}");
                return database_unavailable();
            }
        }
    } else {
        run.await
    };
    if unavailable && response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return database_unavailable();
    }
    response
}

/// A browser asking for a console page (what the page guard and the page deadline apply to).
fn is_console_page_request(request: &Request) -> bool {
    request.method() == axum::http::Method::GET && urls::is_console_page(request.uri().path())
}

/// A console page answered while the database is not answering.
fn database_unavailable() -> Response {
    let retry_after = app::error::AppError::Unavailable
        .retry_after_seconds()
        .unwrap_or(1);
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, retry_after.to_string())],
        "The console cannot reach its database right now. Try again in a moment.",
    )
        .into_response()
}

/// How long a console page may take, session included. Its queries normally take milliseconds;
/// one that was already running when the database stopped answering has no timeout of its own,
/// so the page gives up here and says "try again" instead of holding the request until the
/// database comes back (the fault suite freezes PostgreSQL to check it).
const PAGE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Console pages are not rendered for anonymous visitors: they are sent to sign in and
/// brought back afterwards.
async fn require_session_for_pages(
    State(state): State<ServerState>,
    session: tower_sessions::Session,
    mut request: Request,
    next: Next,
) -> Response {
    if is_console_page_request(&request) {
        match auth::session_user(&state.app, &session).await {
            // The console layout renders who is signed in from this (no second lookup; the
            // frame is server HTML, so nothing of it goes to the browser but the page).
            Ok(Some(user)) => {
                request.extensions_mut().insert(auth::me(&state.app, user));
            }
            Ok(None) => {
                let here = request
                    .uri()
                    .path_and_query()
                    .map(|pq| pq.as_str().to_string())
                    .unwrap_or_else(|| urls::HOME.to_string());
                return Redirect::to(&urls::sign_in_with_next(&here)).into_response();
            }
            // The database is not answering: a signed-in person is still signed in, and is
            // told to try again (as the API says with 503 + Retry-After), not sent to sign in.
            Err(app::error::AppError::Unavailable) => return database_unavailable(),
            Err(err) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response();
            }
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The route table in `App` and the list the chunk preloads come from
    /// (`app::app::CONSOLE_PAGES`) name the same console pages.
    #[test]
    fn the_route_table_and_the_console_page_list_agree() {
        let mut routed: Vec<String> = generate_route_list(app::app::App)
            .iter()
            .map(|route| route.path().to_string())
            .filter(|path| path != urls::SIGN_IN)
            .collect();
        routed.sort();
        let mut listed: Vec<String> = app::app::CONSOLE_PAGES
            .iter()
            .map(|(path, _)| path.to_string())
            .collect();
        listed.sort();
        assert_eq!(routed, listed);
        assert!(listed.iter().all(|path| urls::is_console_page(path)));
    }
}
