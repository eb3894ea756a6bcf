//! The JSON HTTP API under `/api/v1`. Clients authenticate with `Authorization: Bearer
//! <token>`; browser session cookies are not accepted here (no CSRF surface). Errors have one
//! shape: `{"error": {"code", "message", "request_id"}}`.
mod identity_provider;
mod service_accounts;
mod users;

use crate::state::ServerState;
use app::error::AppError;
use app::server::actor::{Actor, RequestMeta};
use app::server::credentials;
use app::server::token_lookup::LookupError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gatehouse API",
        version = "1",
        description = "Identity and access for an ML platform organization. Authenticate with \
                       `Authorization: Bearer <token>` (a personal CLI token or a service-account key)."
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorResponse, ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The routes and their OpenAPI document, from the same registrations.
fn documented_routes() -> (Router<ServerState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::<ServerState>::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::me))
        .routes(routes!(users::rotate_my_key))
        .routes(routes!(users::rotate_user_key))
        .routes(routes!(users::update_user, users::delete_user))
        .routes(routes!(users::list_collaborators))
        .routes(routes!(users::list_removed_members))
        .routes(routes!(users::allow_member_back))
        .routes(routes!(service_accounts::create, service_accounts::list))
        .routes(routes!(service_accounts::get, service_accounts::delete))
        .routes(routes!(
            service_accounts::create_key,
            service_accounts::list_keys
        ))
        .routes(routes!(service_accounts::revoke_all))
        .routes(routes!(service_accounts::revoke_key))
        .routes(routes!(service_accounts::list_api_keys))
        .routes(routes!(service_accounts::revoke_matching))
        .routes(routes!(service_accounts::rotate_key))
        .routes(routes!(identity_provider::get))
        .routes(routes!(users::get_token_policy, users::set_token_policy))
        .split_for_parts()
}

/// The OpenAPI 3 document of `/api/v1`, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented_routes().1
}

pub fn router() -> Router<ServerState> {
    let (router, doc) = documented_routes();
    let doc = Arc::new(doc);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
}

async fn not_found(parts: Parts) -> ApiError {
    ApiError::new(AppError::NotFound, &meta_of(&parts))
}

/// The one error shape of the API (`app::model`, shared with the CLI).
pub use app::model::{ApiErrorBody as ErrorResponse, ApiErrorDetail as ErrorDetail};

/// An error answered as JSON with its status code.
#[derive(Debug)]
pub struct ApiError {
    error: AppError,
    request_id: String,
}

impl ApiError {
    pub fn new(error: AppError, meta: &RequestMeta) -> Self {
        ApiError {
            error,
            request_id: meta.request_id.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, message) = match &self.error {
            AppError::Unauthorized => (
                "unauthorized",
                "A valid token is required: send `Authorization: Bearer <token>`. The token is \
                 missing, malformed, unknown or revoked."
                    .to_string(),
            ),
            AppError::OwnersOnly => ("forbidden", "This action needs the owner role.".to_string()),
            AppError::InvalidInput(m) => ("invalid_request", m.clone()),
            AppError::NotFound => ("not_found", "Not found.".to_string()),
            AppError::Conflict(m) => ("conflict", m.clone()),
            AppError::RateLimited { .. } => ("rate_limited", self.error.to_string()),
            AppError::Unavailable => ("unavailable", self.error.to_string()),
            AppError::TooLarge => ("too_large", self.error.to_string()),
            AppError::TokenExpired { .. } => ("token_expired", self.error.to_string()),
            AppError::SourceNotAllowed { .. } => ("source_not_allowed", self.error.to_string()),
            AppError::Internal { .. } | AppError::Transport(_) => {
                ("internal", self.error.to_string())
            }
        };
        let status =
            StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = ErrorResponse {
            error: ErrorDetail {
                code: code.to_string(),
                message,
                request_id: self.request_id,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if matches!(self.error, AppError::Unauthorized) {
            headers.insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(seconds) = self.error.retry_after_seconds() {
            headers.insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub fn meta_of(parts: &Parts) -> RequestMeta {
    RequestMeta::from_parts(&parts.headers, &parts.extensions)
}

/// The authenticated API caller.
pub struct Caller {
    pub actor: Actor,
    pub meta: RequestMeta,
}

impl FromRequestParts<ServerState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let meta = meta_of(parts);
        // An address that keeps sending bad tokens is refused for the rest of the minute,
        // whatever it sends: guessing gets 429s, not answers.
        let client = crate::front_door::client_ip::of(&parts.extensions).map(|c| c.ip);
        if let Some(ip) = client {
            if let Err(retry) = state.limits.auth_failures.check(ip) {
                crate::metrics::global().rate_limited(crate::metrics::RateLimit::AuthFailures);
                return Err(ApiError::new(
                    AppError::RateLimited {
                        retry_after_seconds: retry.0,
                    },
                    &meta,
                ));
            }
        }
        let raw = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        match credentials::authenticate(
            &state.app.token_lookup,
            &state.app.db,
            &state.app.clock,
            raw,
            credentials::Client {
                ip: client,
                user_agent,
            },
        )
        .await
        {
            Ok(Ok(actor)) => Ok(Caller { actor, meta }),
            Ok(Err(refusal)) => {
                if let Some(ip) = client {
                    state.limits.auth_failures.record(ip);
                }
                Err(ApiError::new(refused(state, &meta, refusal).await, &meta))
            }
            Err(credentials::AuthenticateError::Lookup(
                LookupError::Overloaded | LookupError::Unavailable(_),
            )) => Err(ApiError::new(AppError::Unavailable, &meta)),
            Err(credentials::AuthenticateError::Database(e)) => Err(ApiError::new(
                meta.internal("authenticating a token", &e),
                &meta,
            )),
            Err(e) => Err(ApiError::new(
                meta.internal("authenticating a token", &e),
                &meta,
            )),
        }
    }
}

/// The error for a refused bearer token. A key used from outside its networks is audited, as one
/// row per key, address and minute (`audit::record_repeated`; the auth-failure rate limit also
/// bounds how often one address can try).
async fn refused(
    state: &ServerState,
    meta: &RequestMeta,
    refusal: credentials::BearerRefusal,
) -> AppError {
    match refusal {
        credentials::BearerRefusal::Expired { at } => AppError::TokenExpired { expired_at: at },
        credentials::BearerRefusal::SourceNotAllowed { actor } => {
            let source_ip = meta.source_ip.clone().unwrap_or_else(|| "unknown".into());
            let (key_id, last_six) = actor.token.clone().unwrap_or_default();
            if let Err(e) = app::server::audit::record_repeated(
                state.app.db.pool(),
                state.app.clock.unix(),
                Some(&actor),
                meta,
                "api_key.source_refused",
                app::server::audit::Target {
                    kind: "api_key",
                    id: Some(&key_id),
                    email: Some(&actor.email),
                },
                Some(&format!(
                    "key …{last_six} used from {source_ip}, outside its networks"
                )),
            )
            .await
            {
                tracing::warn!(request_id = %meta.request_id, "auditing a refused key: {e}");
            }
            AppError::SourceNotAllowed { source_ip }
        }
        _ => AppError::Unauthorized,
    }
}

/// An authenticated caller with the owner role; anyone else is refused (403) before the
/// request body is even read.
pub struct Owner(pub Caller);

impl FromRequestParts<ServerState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller
            .actor
            .require_owner()
            .map_err(|e| ApiError::new(e, &caller.meta))?;
        Ok(Owner(caller))
    }
}

/// A JSON body whose errors (bad JSON, unknown or missing fields) are 400s in our shape.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ServerState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ServerState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let meta = meta_of(&parts);
        let req = Request::from_parts(parts, body);
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(AppError::TooLarge, &meta))
            }
            Err(rejection) => Err(ApiError::new(
                AppError::InvalidInput(json_problem(&rejection)),
                &meta,
            )),
        }
    }
}

fn json_problem(rejection: &JsonRejection) -> String {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "the body must be JSON (Content-Type: application/json)".into()
        }
        other => other.body_text(),
    }
}

pub fn query_problem(rejection: &QueryRejection) -> String {
    rejection.body_text()
}
