//! SSO endpoints: SP metadata, SP-initiated login (HTTP-Redirect), the ACS (HTTP-POST), and
//! sign-out.
use super::{request_id, ServerState};
use crate::html;
use crate::saml::{Refusal, RefusalKind, REQUEST_TTL_SECONDS};
use app::server::actor::{Actor, RequestMeta};
use app::server::audit::{self, Target};
use app::server::{ids, saml_store, session_store::USER_ID_KEY, users};
use app::urls;
use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use std::net::SocketAddr;
use tower_sessions::Session;

pub async fn metadata(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    match state.saml.metadata_xml() {
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
    Query(query): Query<LoginQuery>,
) -> Response {
    let request_id = ids::new_saml_request_id();
    let next = urls::safe_next_path(query.next.as_deref());
    let now = state.app.clock.unix();
    if let Err(e) = saml_store::insert_request(
        state.app.db.pool(),
        &request_id,
        &next,
        now,
        now + REQUEST_TTL_SECONDS,
    )
    .await
    {
        return internal(&headers, &format!("storing the SAML request id: {e}"));
    }
    match state.saml.authn_request_url(&request_id) {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(e) => internal(&headers, &format!("building the AuthnRequest: {e}")),
    }
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
}

/// The Assertion Consumer Service. Validates the response; then, in one transaction,
/// consumes the request id, records the assertion id against replay and creates or updates
/// the user; then cycles the session id and signs the user in. Both outcomes are audited.
pub async fn acs(
    State(state): State<ServerState>,
    session: Session,
    headers: HeaderMap,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Response {
    let meta = RequestMeta {
        request_id: request_id(&headers),
        source_ip: Some(peer.ip().to_string()),
    };
    let outcome = acs_inner(&state, &session, &headers, form).await;
    let now = state.app.clock.unix();
    let (actor, target, action, detail, response) = match outcome {
        Ok((user, next)) => (
            Some(Actor::from_user(&user)),
            Some((user.id.clone(), user.email.clone())),
            "signin.succeeded",
            None,
            Redirect::to(&urls::safe_next_path(Some(&next))).into_response(),
        ),
        Err(AcsFailure::Refused(refusal)) => {
            let detail = format!("{:?}", refusal.kind);
            (
                None,
                None,
                "signin.refused",
                Some(detail),
                refused(&headers, refusal),
            )
        }
        Err(AcsFailure::Internal(response)) => return response,
    };
    let target = Target {
        kind: "user",
        id: target.as_ref().map(|(id, _)| id.as_str()),
        email: target.as_ref().map(|(_, email)| email.as_str()),
    };
    if let Err(e) = audit::record(
        state.app.db.pool(),
        now,
        actor.as_ref(),
        &meta,
        action,
        target,
        detail.as_deref(),
    )
    .await
    {
        tracing::warn!(request_id = %meta.request_id, "writing the audit row for {action} failed: {e}");
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
    form: Result<Form<AcsForm>, FormRejection>,
) -> Result<(users::User, String), AcsFailure> {
    let Some(saml_response) = form.ok().and_then(|Form(f)| f.saml_response) else {
        return Err(AcsFailure::Refused(Refusal::new(
            RefusalKind::Malformed,
            "no SAMLResponse field",
        )));
    };
    let validated = state
        .saml
        .validate(&saml_response, state.app.clock.now())
        .map_err(AcsFailure::Refused)?;
    let user_and_next = async {
        let now = state.app.clock.unix();
        let mut tx = state.app.db.begin_write().await?;
        let next = match &validated.in_response_to {
            Some(id) => match saml_store::consume_request(&mut tx, id, now).await? {
                Some(next) => next,
                None => {
                    return Ok(Err(Refusal::new(
                        RefusalKind::UnknownRequest,
                        format!("InResponseTo {id} unknown, expired or used"),
                    )))
                }
            },
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
        let profile = users::SignInProfile {
            email: validated.email.clone(),
            display_name: validated.display_name.clone(),
            initial_role: state
                .roles
                .initial_role(&validated.email, &validated.groups),
        };
        let user = users::upsert_on_sign_in(&mut tx, &state.app.org.id, &profile, now).await?;
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
    if let Err(e) = session.insert(USER_ID_KEY, &user.id).await {
        return Err(AcsFailure::Internal(internal(
            headers,
            &format!("storing the session: {e}"),
        )));
    }
    tracing::info!(user_id = %user.id, role = %user.role, "signed in");
    Ok((user, next))
}

/// Ends the session on the server (the row is deleted), then shows the sign-in page.
pub async fn logout(session: Session, headers: HeaderMap) -> Response {
    if let Err(e) = session.flush().await {
        return internal(&headers, &format!("ending the session: {e}"));
    }
    Redirect::to(urls::SIGN_IN).into_response()
}

/// The sign-in error page: the reason in plain words and a request id; details go to the log.
pub fn refused(headers: &HeaderMap, refusal: Refusal) -> Response {
    let request_id = request_id(headers);
    tracing::warn!(%request_id, kind = ?refusal.kind, detail = %refusal.detail, "SAML sign-in refused");
    let status = match refusal.kind {
        RefusalKind::Malformed | RefusalKind::TooLarge => StatusCode::BAD_REQUEST,
        _ => StatusCode::FORBIDDEN,
    };
    let body = format!(
        "<h1>Sign-in failed</h1><p class=\"error-text\" data-testid=\"signin-error\">Sign-in failed: {}.</p>\
         <p class=\"hint\">If this keeps happening, give your administrator this request id: \
         <code data-testid=\"request-id\">{}</code></p>\
         <a class=\"btn btn-primary\" href=\"{}\">Try again</a>",
        html::escape(refusal.kind.message()),
        html::escape(&request_id),
        urls::SIGN_IN
    );
    (status, Html(html::page("Sign-in failed", &body))).into_response()
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
