//! HTTP side of the development IdP: pick a demo user, get a signed response POSTed to the ACS.
use super::ServerState;
use crate::dev_idp::{demo_user, parse_redirect_request, RequestInfo, DEMO_USERS};
use crate::html;
use axum::extract::{Query, State};
use axum::http::{header, Extensions, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SsoParams {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
    user: Option<String>,
}

/// The development IdP signs anyone in: it answers loopback clients only (the peer, and the
/// client a trusted proxy forwarded for), whatever the configuration let through.
fn refuse_remote(extensions: &Extensions) -> Option<Response> {
    let local =
        super::client_ip(extensions).is_some_and(|c| c.ip.is_loopback() && c.peer.is_loopback());
    (!local).then(|| {
        tracing::warn!(client = ?super::client_ip(extensions), "development IdP refused a non-loopback client");
        (
            StatusCode::FORBIDDEN,
            "The development IdP answers only on this machine.",
        )
            .into_response()
    })
}

pub async fn metadata(State(state): State<ServerState>, extensions: Extensions) -> Response {
    if let Some(refused) = refuse_remote(&extensions) {
        return refused;
    }
    match state.dev_idp.as_ref().map(|idp| idp.metadata_xml()) {
        Some(Ok(xml)) => (
            [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
            xml,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Only AuthnRequests from this console are answered.
fn checked_request(state: &ServerState, params: &SsoParams) -> Result<RequestInfo, String> {
    let raw = params
        .saml_request
        .as_deref()
        .ok_or("no SAMLRequest parameter")?;
    let request = parse_redirect_request(raw)?;
    let sp = state.saml.current();
    if request.acs_url != sp.acs_url() || request.issuer != sp.entity_id() {
        return Err("the development IdP only answers this console's own requests".into());
    }
    Ok(request)
}

fn bad_request(message: &str) -> Response {
    let body = format!(
        "<h1>Development IdP</h1><p class=\"error-text\">{}</p><a class=\"btn\" href=\"/signin\">Back to sign-in</a>",
        html::escape(message)
    );
    (
        StatusCode::BAD_REQUEST,
        Html(html::page("Development IdP", &body)),
    )
        .into_response()
}

pub async fn sso_page(
    State(state): State<ServerState>,
    extensions: Extensions,
    Query(params): Query<SsoParams>,
) -> Response {
    if let Some(refused) = refuse_remote(&extensions) {
        return refused;
    }
    if let Err(e) = checked_request(&state, &params) {
        return bad_request(&e);
    }
    let saml_request = params.saml_request.unwrap_or_default();
    let relay_state = params.relay_state.unwrap_or_default();
    let users: String = DEMO_USERS
        .iter()
        .map(|u| {
            format!(
                "<li><form method=\"post\" action=\"{action}\">\
                 <input type=\"hidden\" name=\"SAMLRequest\" value=\"{req}\">\
                 <input type=\"hidden\" name=\"RelayState\" value=\"{relay}\">\
                 <button class=\"btn btn-wide demo-user\" type=\"submit\" name=\"user\" value=\"{email}\">\
                 Sign in as {name}</button><span class=\"hint\">{email} — {blurb}</span></form></li>",
                action = app::urls::DEV_IDP_SSO,
                req = html::escape(&saml_request),
                relay = html::escape(&relay_state),
                email = html::escape(u.email),
                name = html::escape(u.display_name),
                blurb = html::escape(u.blurb),
            )
        })
        .collect();
    let body = format!(
        "<h1>Development IdP</h1><p class=\"notice\">A built-in identity provider for trying \
         Gatehouse. It signs a real SAML response for the user you pick. Never enable it in production.</p>\
         <ul class=\"demo-users\">{users}</ul>"
    );
    Html(html::page("Development IdP", &body)).into_response()
}

pub async fn sso_submit(
    State(state): State<ServerState>,
    extensions: Extensions,
    Form(params): Form<SsoParams>,
) -> Response {
    if let Some(refused) = refuse_remote(&extensions) {
        return refused;
    }
    let Some(idp) = state.dev_idp.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = match checked_request(&state, &params) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let Some(user) = params.user.as_deref().and_then(demo_user) else {
        return bad_request("unknown demo user");
    };
    let now = chrono::DateTime::from_timestamp(state.app.clock.unix(), 0).unwrap_or_default();
    match idp.signed_response_b64(user, &request, now) {
        Ok(response) => {
            let relay = params.relay_state.unwrap_or_default();
            Html(html::auto_post(
                "Signing you in",
                &request.acs_url,
                &[("SAMLResponse", &response), ("RelayState", &relay)],
            ))
            .into_response()
        }
        Err(e) => {
            tracing::error!("dev IdP could not sign a response: {e}");
            bad_request("the development IdP could not sign a response")
        }
    }
}

#[derive(Deserialize)]
pub struct SloParams {
    #[serde(rename = "SAMLRequest")]
    saml_request: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
}

/// The development IdP's Single Logout: it keeps no sessions of its own, so it answers this
/// console's LogoutRequest at once with a signed, successful LogoutResponse.
pub async fn slo(
    State(state): State<ServerState>,
    extensions: Extensions,
    Query(params): Query<SloParams>,
) -> Response {
    if let Some(refused) = refuse_remote(&extensions) {
        return refused;
    }
    let Some(idp) = state.dev_idp.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let request = params
        .saml_request
        .as_deref()
        .ok_or_else(|| "no SAMLRequest parameter".to_string())
        .and_then(|raw| crate::saml::logout::inflate(raw).map_err(|r| r.detail))
        .and_then(|xml| crate::saml::logout::unverified_root_and_id(&xml).map_err(|r| r.detail));
    let id = match request {
        Ok((root, id)) if root == "LogoutRequest" => id,
        Ok(_) => return bad_request("not a LogoutRequest"),
        Err(e) => return bad_request(&e),
    };
    let slo_url = state.saml.current().slo_url().to_string();
    match idp.logout_response_query(
        &slo_url,
        &id,
        params.relay_state.as_deref(),
        state.app.clock.now(),
    ) {
        Ok(query) => axum::response::Redirect::to(&format!("{slo_url}?{query}")).into_response(),
        Err(e) => {
            tracing::error!("dev IdP could not sign a LogoutResponse: {e}");
            bad_request("the development IdP could not sign a LogoutResponse")
        }
    }
}
