//! `/saml/slo`: the IdP's half of Single Logout, on both bindings (GET: HTTP-Redirect, POST:
//! HTTP-POST). A `LogoutResponse` answers a LogoutRequest this browser sent (bound to it like
//! a sign-in); a `LogoutRequest` ends the named subject's sessions on every replica and is
//! answered with our signed `LogoutResponse`. Messages are verified off the async workers,
//! bounded like the ACS, and the endpoint shares the sign-in rate limit.
use super::saml::{binding_nonce, internal, over_signin_limit, refused_page, send, too_many};
use super::ServerState;
use crate::blocking::Bounded;
use crate::html;
use crate::saml::logout::{Inbound, Received, LOGOUT_MESSAGE_TTL_SECONDS};
use crate::saml::{Refusal, RefusalKind, CLOCK_SKEW_SECONDS};
use app::server::actor::RequestMeta;
use app::server::audit::{self, Target};
use app::server::{ids, saml_store, session_store, users};
use app::urls;
use axum::extract::rejection::FormRejection;
use axum::extract::{RawQuery, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

const HEADING: &str = "Sign-out failed";

#[derive(Deserialize)]
pub struct SloForm {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// What arrived, owned, for the blocking check.
enum Input {
    Query(String),
    Form(SloForm),
}

pub async fn slo_redirect(
    State(state): State<ServerState>,
    headers: HeaderMap,
    extensions: Extensions,
    RawQuery(query): RawQuery,
) -> Response {
    slo(
        state,
        headers,
        extensions,
        Input::Query(query.unwrap_or_default()),
    )
    .await
}

pub async fn slo_post(
    State(state): State<ServerState>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<SloForm>, FormRejection>,
) -> Response {
    match form {
        Ok(Form(form)) => slo(state, headers, extensions, Input::Form(form)).await,
        Err(_) => refused_page(
            &headers,
            Refusal::new(RefusalKind::Malformed, "unreadable form"),
            HEADING,
        ),
    }
}

async fn slo(
    state: ServerState,
    headers: HeaderMap,
    extensions: Extensions,
    input: Input,
) -> Response {
    if let Some(retry) = over_signin_limit(&state, &extensions) {
        return too_many(&headers, retry);
    }
    let sp = state.saml.current();
    let now = state.app.clock.now();
    let verified = state
        .saml_checks
        .run(move || {
            let received = match &input {
                Input::Query(q) => Received::Redirect(q),
                Input::Form(f) => Received::Post {
                    saml_request: f.saml_request.as_deref(),
                    saml_response: f.saml_response.as_deref(),
                    relay_state: f.relay_state.as_deref(),
                },
            };
            sp.verify_logout_message(&received, now)
        })
        .await;
    let message = match verified {
        Bounded::Done(Ok(message)) => message,
        Bounded::Done(Err(refusal)) => return refused_page(&headers, refusal, HEADING),
        Bounded::Busy | Bounded::TimedOut => {
            return refused_page(
                &headers,
                Refusal::new(RefusalKind::Busy, "no signature-check slot"),
                HEADING,
            )
        }
        Bounded::Failed => return internal(&headers, "the logout check panicked"),
    };
    let meta = RequestMeta::from_parts(&headers, &extensions);
    match message {
        Inbound::Response {
            in_response_to,
            success,
        } => answered(&state, &headers, &in_response_to, success).await,
        Inbound::Request {
            id,
            name_id,
            session_indexes,
            relay_state,
        } => {
            requested(
                &state,
                &headers,
                &meta,
                &id,
                &name_id,
                &session_indexes,
                relay_state.as_deref(),
            )
            .await
        }
    }
}

/// The IdP's answer to our LogoutRequest. The session ended before we asked; this tells the
/// user whether the IdP's session ended too.
async fn answered(
    state: &ServerState,
    headers: &HeaderMap,
    in_response_to: &str,
    success: bool,
) -> Response {
    let binding = binding_nonce(headers).map(|nonce| app::server::tokens::hash_token(&nonce));
    let now = state.app.clock.unix();
    let consumed = async {
        let mut tx = state.app.db.begin_write().await?;
        let consumed = saml_store::consume_request(
            &mut tx,
            saml_store::RequestKind::Logout,
            in_response_to,
            binding.as_deref(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(consumed)
    }
    .await;
    match consumed {
        Ok(saml_store::Consumed::Next(next)) if success => Redirect::to(&next).into_response(),
        Ok(saml_store::Consumed::Next(_)) => {
            let body = format!(
                "<h1>Signed out of Gatehouse</h1><p data-testid=\"slo-partial\">You are signed out \
                 of Gatehouse, but your identity provider reported that it could not end its own \
                 session. Close the browser to be sure.</p><a class=\"btn btn-primary\" href=\"{}\">\
                 Sign in again</a>",
                urls::SIGN_IN
            );
            (StatusCode::OK, Html(html::page("Signed out", &body))).into_response()
        }
        Ok(saml_store::Consumed::OtherBrowser) => refused_page(
            headers,
            Refusal::new(
                RefusalKind::OtherBrowser,
                "LogoutResponse in another browser",
            ),
            HEADING,
        ),
        Ok(saml_store::Consumed::Unknown) => refused_page(
            headers,
            Refusal::new(
                RefusalKind::UnknownRequest,
                format!("LogoutResponse to unknown request {in_response_to}"),
            ),
            HEADING,
        ),
        Err(e) => internal(headers, &format!("consuming the LogoutRequest id: {e}")),
    }
}

/// The IdP asks us to end a subject's sessions (another service signed out, or an
/// administrator ended the person's IdP session). Each request is honoured once.
#[allow(clippy::too_many_arguments)]
async fn requested(
    state: &ServerState,
    headers: &HeaderMap,
    meta: &RequestMeta,
    id: &str,
    name_id: &str,
    session_indexes: &[String],
    relay_state: Option<&str>,
) -> Response {
    let now = state.app.clock.unix();
    let fresh = async {
        let mut tx = state.app.db.begin_write().await?;
        let fresh = saml_store::record_assertion(
            &mut tx,
            &format!("logout:{id}"),
            now + LOGOUT_MESSAGE_TTL_SECONDS + 2 * CLOCK_SKEW_SECONDS,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(fresh)
    }
    .await;
    match fresh {
        Ok(true) => {}
        Ok(false) => {
            return refused_page(
                headers,
                Refusal::new(
                    RefusalKind::Replay,
                    format!("LogoutRequest {id} seen before"),
                ),
                HEADING,
            )
        }
        Err(e) => return internal(headers, &format!("recording the LogoutRequest id: {e}")),
    }
    let ended = match session_store::delete_sessions_of_saml_subject(
        &state.app.db,
        name_id,
        session_indexes,
    )
    .await
    {
        Ok(ended) => ended,
        Err(e) => return internal(headers, &format!("ending sessions: {e}")),
    };
    let mut users_ended: Vec<&String> = ended.iter().collect();
    users_ended.sort();
    users_ended.dedup();
    for user_id in users_ended {
        let sessions = ended.iter().filter(|u| *u == user_id).count();
        let email = match users::find_by_id(state.app.db.pool(), user_id).await {
            Ok(Some(user)) => user.email,
            _ => String::new(),
        };
        if let Err(e) = audit::record(
            state.app.db.pool(),
            now,
            None,
            meta,
            "signout.idp",
            Target::user(user_id, &email),
            Some(&format!(
                "{sessions} session(s) ended by the identity provider"
            )),
        )
        .await
        {
            tracing::warn!(request_id = %meta.request_id, "writing the sign-out audit row failed: {e}");
        }
    }
    tracing::info!(
        sessions = ended.len(),
        "the IdP ended sessions (Single Logout)"
    );
    match state.saml.current().logout_response(
        &ids::new_saml_request_id(),
        id,
        relay_state,
        state.app.clock.now(),
    ) {
        Ok(outbound) => send(outbound, "Signing out"),
        Err(e) => internal(headers, &format!("building the LogoutResponse: {e}")),
    }
}
