//! SSO endpoints: SP metadata, SP-initiated login (HTTP-Redirect), the ACS (HTTP-POST), and
//! sign-out.
use super::{client_ip, request_id, ServerState};
use crate::blocking::Bounded;
use crate::front_door::rate_limit::RetryAfter;
use crate::html;
use crate::saml::logout::{Outbound, Subject};
use crate::saml::{Refusal, RefusalKind, REQUEST_TTL_SECONDS};
use app::server::actor::{Actor, RequestMeta};
use app::server::audit::{self, Target};
use app::server::session_store::{SamlLogin, SAML_LOGIN_KEY, USER_ID_KEY};
use app::server::{ids, members, saml_store, users};
use app::urls;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine as _;
use rand::RngCore as _;
use serde::Deserialize;
use tower_sessions::cookie::Cookie;
use tower_sessions::Session;

/// The cookie that binds a sign-in to the browser that started it (login CSRF): a random
/// nonce, whose SHA-256 is stored with each AuthnRequest the browser starts. Scoped to the
/// SAML endpoints; it lives as long as an AuthnRequest may be answered.
const BINDING_COOKIE: &str = "gatehouse_signin";

pub(super) fn binding_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == BINDING_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// `Set-Cookie` for the binding nonce, for as long as an AuthnRequest may be answered. The IdP
/// answers with a
/// cross-site POST, which carries only `SameSite=None` cookies, and browsers take those only
/// with `Secure`: so on https it is `SameSite=None; Secure`. On plain http (loopback trials)
/// it has no SameSite attribute: same-site IdPs (any port on the same host) always get it
/// back, and Chromium also sends such a cookie on a cross-site top-level POST within two
/// minutes of setting it.
fn binding_cookie(value: &str, https: bool) -> String {
    let mut cookie =
        format!("{BINDING_COOKIE}={value}; Path=/saml; HttpOnly; Max-Age={REQUEST_TTL_SECONDS}");
    if https {
        cookie.push_str("; SameSite=None; Secure");
    }
    cookie
}

/// `response` with the binding cookie set.
fn with_binding_cookie(mut response: Response, nonce: &str, https: bool) -> Response {
    if let Ok(cookie) = HeaderValue::from_str(&binding_cookie(nonce, https)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn new_binding_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// 429 with `Retry-After`, for a client over the sign-in rate limit.
pub(super) fn too_many(headers: &HeaderMap, RetryAfter(seconds): RetryAfter) -> Response {
    tracing::warn!(request_id = %request_id(headers), "sign-in rate limit reached");
    crate::metrics::global().rate_limited(crate::metrics::RateLimit::SignIn);
    let body = format!(
        "<h1>Too many sign-in attempts</h1><p class=\"error-text\">Too many sign-in attempts \
         from your address. Try again in {seconds} seconds.</p><a class=\"btn\" href=\"{}\">Back</a>",
        urls::SIGN_IN
    );
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Html(html::page("Too many attempts", &body)),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

pub(super) fn over_signin_limit(
    state: &ServerState,
    extensions: &Extensions,
) -> Option<RetryAfter> {
    let ip = client_ip(extensions)?.ip;
    state.limits.signin.hit(ip).err()
}

pub async fn metadata(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    match state.saml.current().metadata_xml() {
        Ok(xml) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        Err(e) => internal(&headers, &format!("building SP metadata: {e}")),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Starts SP-initiated sign-in: records a fresh request id (and where to go afterwards) and
/// redirects to the IdP with the AuthnRequest.
pub async fn login(
    State(state): State<ServerState>,
    headers: HeaderMap,
    extensions: Extensions,
    query: Result<Query<LoginQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if let Some(retry) = over_signin_limit(&state, &extensions) {
        return too_many(&headers, retry);
    }
    let next = query.ok().and_then(|Query(q)| q.next);
    let next = urls::safe_next_path(next.as_deref());
    let (request_id, nonce) =
        match issue_request(&state, &headers, saml_store::RequestKind::Authn, &next).await {
            Ok(issued) => issued,
            Err(e) => return internal(&headers, &format!("storing the SAML request id: {e}")),
        };
    match state.saml.current().authn_request_url(&request_id) {
        Ok(url) => with_binding_cookie(
            Redirect::to(url.as_str()).into_response(),
            &nonce,
            state.https,
        ),
        Err(e) => internal(&headers, &format!("building the AuthnRequest: {e}")),
    }
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
}

/// The Assertion Consumer Service. Validates the response (off the async workers, bounded);
/// then, in one transaction, consumes the request id — only in the browser that started it —
/// records the assertion id against replay and creates or updates the user; then cycles the
/// session id and signs the user in. Both outcomes are audited (refusals aggregated).
pub async fn acs(
    State(state): State<ServerState>,
    session: Session,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Response {
    if let Some(retry) = over_signin_limit(&state, &extensions) {
        return too_many(&headers, retry);
    }
    let meta = RequestMeta::from_parts(&headers, &extensions);
    let outcome = acs_inner(&state, &session, &headers, &meta, form).await;
    let now = state.app.clock.unix();
    let audited = match outcome {
        Ok((user, next)) => {
            let audited = audit::record(
                state.app.db.pool(),
                now,
                Some(&Actor::from_user(&user)),
                &meta,
                "signin.succeeded",
                Target::user(&user.id, &user.email),
                None,
            )
            .await;
            // The binding cookie stays (until its ten minutes end): another tab of this
            // browser may have a sign-in of its own in flight.
            let response = Redirect::to(&urls::safe_next_path(Some(&next))).into_response();
            (audited, response)
        }
        Err(AcsFailure::Refused(refusal)) => {
            let reason = format!("{:?}", refusal.kind);
            let audited =
                audit::record_refused_signin(state.app.db.pool(), now, &meta, &reason).await;
            (audited, refused(&headers, refusal))
        }
        Err(AcsFailure::Internal(response)) => return response,
    };
    let (audited, response) = audited;
    if let Err(e) = audited {
        tracing::warn!(request_id = %meta.request_id, "writing the sign-in audit row failed: {e}");
    }
    response
}

enum AcsFailure {
    Refused(Refusal),
    Internal(Response),
}

async fn acs_inner(
    state: &ServerState,
    session: &Session,
    headers: &HeaderMap,
    meta: &RequestMeta,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Result<(users::User, String), AcsFailure> {
    let Some(saml_response) = form.ok().and_then(|Form(f)| f.saml_response) else {
        return Err(AcsFailure::Refused(Refusal::new(
            RefusalKind::Malformed,
            "no SAMLResponse field",
        )));
    };
    let sp = state.saml.current();
    let now = state.app.clock.now();
    let validated = match state
        .saml_checks
        .run(move || sp.validate(&saml_response, now))
        .await
    {
        Bounded::Done(result) => result.map_err(AcsFailure::Refused)?,
        Bounded::Busy => {
            return Err(AcsFailure::Refused(Refusal::new(
                RefusalKind::Busy,
                "every signature-check slot stayed taken",
            )))
        }
        Bounded::TimedOut => {
            return Err(AcsFailure::Refused(Refusal::new(
                RefusalKind::Busy,
                "the signature check ran over its time limit",
            )))
        }
        Bounded::Failed => {
            return Err(AcsFailure::Internal(internal(
                headers,
                "the signature check panicked",
            )))
        }
    };
    let binding = binding_nonce(headers).map(|nonce| app::server::tokens::hash_token(&nonce));
    let user_and_next = async {
        let now = state.app.clock.unix();
        let mut tx = state.app.db.begin_write().await?;
        let next = match &validated.in_response_to {
            Some(id) => {
                match saml_store::consume_request(
                    &mut tx,
                    saml_store::RequestKind::Authn,
                    id,
                    binding.as_deref(),
                    now,
                )
                .await?
                {
                    saml_store::Consumed::Next(next) => next,
                    saml_store::Consumed::OtherBrowser => {
                        return Ok(Err(Refusal::new(
                            RefusalKind::OtherBrowser,
                            format!(
                            "InResponseTo {id} was started by another browser (binding cookie {})",
                            if binding.is_some() { "differs" } else { "missing" }
                        ),
                        )))
                    }
                    saml_store::Consumed::Unknown => {
                        return Ok(Err(Refusal::new(
                            RefusalKind::UnknownRequest,
                            format!("InResponseTo {id} unknown, expired or used"),
                        )))
                    }
                }
            }
            None => urls::HOME.to_string(),
        };
        if !saml_store::record_assertion(
            &mut tx,
            &validated.assertion_id,
            validated.replay_expires_at,
        )
        .await?
        {
            return Ok(Err(Refusal::new(
                RefusalKind::Replay,
                format!("assertion {} seen before", validated.assertion_id),
            )));
        }
        // Someone an owner removed stays out, whatever the IdP says, and is told why.
        if let Some(removed) =
            members::removal(&mut *tx, &state.app.org.id, &validated.email).await?
        {
            let by = removed
                .removed_by
                .map(|owner| format!(" ({owner})"))
                .unwrap_or_default();
            return Ok(Err(Refusal::new(
                RefusalKind::Removed,
                format!(
                    "An owner{by} removed {} from {} on {}. Ask an owner to allow you back.",
                    removed.email,
                    state.app.org.name,
                    app::model::format_timestamp(removed.removed_at)
                ),
            )));
        }
        let profile = users::SignInProfile {
            email: validated.email.clone(),
            display_name: validated.display_name.clone(),
            initial_role: state
                .roles
                .initial_role(&validated.email, &validated.groups),
        };
        let mut user = users::upsert_on_sign_in(&mut tx, &state.app.org.id, &profile, now).await?;
        if state.roles.sync == users::RoleSync::EverySignIn {
            user =
                users::sync_role_on_sign_in(&mut tx, user, profile.initial_role, meta, now).await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Ok((user, next)))
    }
    .await;
    let (user, next) = match user_and_next {
        Ok(Ok(done)) => done,
        Ok(Err(refusal)) => return Err(AcsFailure::Refused(refusal)),
        Err(e) => {
            return Err(AcsFailure::Internal(internal(
                headers,
                &format!("recording the sign-in: {e}"),
            )))
        }
    };
    // A fresh session id at the privilege change: no session fixation.
    if let Err(e) = session.cycle_id().await {
        return Err(AcsFailure::Internal(internal(
            headers,
            &format!("cycling the session id: {e}"),
        )));
    }
    let login = SamlLogin {
        name_id: validated.name_id.clone(),
        name_id_format: validated.name_id_format.clone(),
        session_index: validated.session_index.clone(),
    };
    let stored = match session.insert(USER_ID_KEY, &user.id).await {
        Ok(()) => session.insert(SAML_LOGIN_KEY, &login).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        return Err(AcsFailure::Internal(internal(
            headers,
            &format!("storing the session: {e}"),
        )));
    }
    tracing::info!(user_id = %user.id, role = %user.role, "signed in");
    Ok((user, next))
}

/// Ends the session on the server (the row is deleted). Then, when the session came from a
/// SAML sign-in and the IdP offers Single Logout, sends the browser to the IdP with a signed
/// LogoutRequest (the IdP's answer comes back to `/saml/slo`); otherwise shows the sign-in page.
/// The session is gone before the IdP is asked: sign-out never depends on the IdP answering.
pub async fn logout(
    State(state): State<ServerState>,
    session: Session,
    headers: HeaderMap,
) -> Response {
    let login: Option<SamlLogin> = session.get(SAML_LOGIN_KEY).await.ok().flatten();
    if let Err(e) = session.flush().await {
        return internal(&headers, &format!("ending the session: {e}"));
    }
    let sp = state.saml.current();
    let (Some(login), Some(_)) = (login, sp.idp_slo()) else {
        return Redirect::to(urls::SIGN_IN).into_response();
    };
    let issued = issue_request(
        &state,
        &headers,
        saml_store::RequestKind::Logout,
        urls::SIGN_IN,
    );
    let (request_id, nonce) = match issued.await {
        Ok(issued) => issued,
        Err(e) => {
            tracing::warn!(request_id = %super::request_id(&headers), "storing the LogoutRequest id: {e}");
            return Redirect::to(urls::SIGN_IN).into_response();
        }
    };
    let subject = Subject {
        name_id: &login.name_id,
        name_id_format: login.name_id_format.as_deref(),
        session_index: login.session_index.as_deref(),
    };
    match sp.logout_request(&request_id, &subject, state.app.clock.now()) {
        Ok(outbound) => with_binding_cookie(send(outbound, "Signing out"), &nonce, state.https),
        Err(e) => {
            tracing::warn!(request_id = %super::request_id(&headers), "building the LogoutRequest: {e}");
            Redirect::to(urls::SIGN_IN).into_response()
        }
    }
}

/// Records a request we are about to send (its id, kind and where to go afterwards), bound to
/// this browser by the nonce of its `gatehouse_signin` cookie (made now if it has none).
/// Returns the request id and the nonce to set.
async fn issue_request(
    state: &ServerState,
    headers: &HeaderMap,
    kind: saml_store::RequestKind,
    next: &str,
) -> Result<(String, String), sqlx::Error> {
    let request_id = ids::new_saml_request_id();
    let nonce = binding_nonce(headers).unwrap_or_else(new_binding_nonce);
    let now = state.app.clock.unix();
    saml_store::insert_request(
        state.app.db.pool(),
        &saml_store::IssuedRequest {
            id: &request_id,
            kind,
            next_path: next,
            browser_binding: &app::server::tokens::hash_token(&nonce),
        },
        now,
        now + REQUEST_TTL_SECONDS,
    )
    .await?;
    Ok((request_id, nonce))
}

/// Carries a SAML message to the IdP: a redirect, or an auto-posting form.
pub(super) fn send(outbound: Outbound, heading: &str) -> Response {
    match outbound {
        Outbound::Redirect(url) => Redirect::to(url.as_str()).into_response(),
        Outbound::Post { action, fields } => {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
            Html(html::auto_post(heading, &action, &fields)).into_response()
        }
    }
}

/// The sign-in error page: the reason in plain words and a request id; details go to the log.
pub fn refused(headers: &HeaderMap, refusal: Refusal) -> Response {
    refused_page(headers, refusal, "Sign-in failed")
}

/// An error page for a refused SAML message, under `heading`.
pub(super) fn refused_page(headers: &HeaderMap, refusal: Refusal, heading: &str) -> Response {
    let request_id = request_id(headers);
    tracing::warn!(%request_id, kind = ?refusal.kind, detail = %refusal.detail, "{heading}: SAML message refused");
    crate::metrics::global().saml_refused(&format!("{:?}", refusal.kind));
    let status = match refusal.kind {
        RefusalKind::Malformed | RefusalKind::TooLarge => StatusCode::BAD_REQUEST,
        RefusalKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::FORBIDDEN,
    };
    let body = format!(
        "<h1>{heading}</h1><p class=\"error-text\" data-testid=\"signin-error\">{heading}: {}.</p>\
         <p class=\"hint\">If this keeps happening, give your administrator this request id: \
         <code data-testid=\"request-id\">{}</code></p>\
         <a class=\"btn btn-primary\" href=\"{}\">Try again</a>",
        html::escape(match refusal.kind {
            // Ours, and meant for the person: who removed them and when.
            RefusalKind::Removed => refusal.detail.trim_end_matches('.'),
            kind => kind.message(),
        }),
        html::escape(&request_id),
        urls::SIGN_IN
    );
    let mut response = (status, Html(html::page(heading, &body))).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    }
    response
}

pub fn internal(headers: &HeaderMap, detail: &str) -> Response {
    let request_id = request_id(headers);
    tracing::error!(%request_id, "{detail}");
    let body = format!(
        "<h1>Something went wrong</h1><p>Something went wrong on our side. Please try again.</p>\
         <p class=\"hint\">Request id: <code>{}</code></p><a class=\"btn\" href=\"{}\">Back</a>",
        html::escape(&request_id),
        urls::SIGN_IN
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(html::page("Error", &body)),
    )
        .into_response()
}
