//! Service accounts and API keys. Owner-only, all of it; a service-account key acts with its
//! account's role, so an owner-role account can automate everything here.
use super::{query_problem, ApiError, ApiJson, ErrorResponse, Owner};
use crate::state::ServerState;
use app::error::AppError;
use app::model::{
    ApiKeyInfo, ApiList, ApiListMetadata, ApiResult as Envelope, MatchingCount, NewToken,
    RevokeMatching, RevokedCount, Role, ServiceAccountInfo, TokenInfo,
};
use app::server::service_accounts as sa;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

type ApiResult<T> = Result<Json<T>, ApiError>;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceAccount {
    /// 1–63 of a-z, 0-9 and `-`, starting with a letter; unique in the organization.
    name: String,
    /// The role its keys act with (default `collaborator`).
    role: Option<Role>,
}

// The envelopes are app::model's, the one wire contract shared with the CLI and the SDK.
type ServiceAccountResponse = Envelope<ServiceAccountInfo>;
type ServiceAccountListResponse = ApiList<ServiceAccountInfo>;
/// The key itself: shown here and never again.
type KeyResponse = Envelope<NewToken>;
type KeyListResponse = ApiList<TokenInfo>;
type ApiKeyListResponse = ApiList<ApiKeyInfo>;
type RevokedResponse = Envelope<RevokedCount>;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// A label for the key (default "API key").
    name: Option<String>,
    /// When the key stops working (Unix seconds); omitted or `null`: never.
    expires_at: Option<i64>,
    /// Networks the key may be used from (CIDRs); omitted or empty: anywhere. A request from
    /// elsewhere gets 401 `source_not_allowed`.
    #[serde(default)]
    allowed_cidrs: Vec<String>,
}

fn fail(caller: &super::Caller) -> impl Fn(AppError) -> ApiError + '_ {
    move |e| ApiError::new(e, &caller.meta)
}

/// Create a service account (owners).
#[utoipa::path(post, path = "/api/v1/service_accounts", tag = "service accounts", security(("bearer" = [])),
    request_body = CreateServiceAccount,
    responses((status = 201, body = Envelope<ServiceAccountInfo>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn create(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    ApiJson(body): ApiJson<CreateServiceAccount>,
) -> Result<(StatusCode, Json<ServiceAccountResponse>), ApiError> {
    let account = sa::create(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &body.name,
        body.role,
    )
    .await
    .map_err(fail(&caller))?;
    Ok((StatusCode::CREATED, Json(Envelope { result: account })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Name prefix.
    name: Option<String>,
    /// Email prefix.
    email: Option<String>,
    /// Page size, 1 to 200 (default 50).
    count: Option<u32>,
    paging_token: Option<String>,
}

/// List service accounts (owners).
#[utoipa::path(get, path = "/api/v1/service_accounts", tag = "service accounts", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = ApiList<ServiceAccountInfo>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn list(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<ServiceAccountListResponse> {
    let Query(q) = query
        .map_err(|e| ApiError::new(AppError::InvalidInput(query_problem(&e)), &caller.meta))?;
    let page = sa::list(
        &state.app.db,
        &caller.actor,
        &caller.meta,
        &sa::AccountQuery {
            name: q.name,
            email: q.email,
            count: q.count,
            paging_token: q.paging_token,
        },
    )
    .await
    .map_err(fail(&caller))?;
    Ok(Json(ApiList {
        results: page.results,
        metadata: ApiListMetadata {
            next_paging_token: page.next_paging_token,
        },
    }))
}

/// Get one service account by id (`sa_…`) or name (owners).
#[utoipa::path(get, path = "/api/v1/service_accounts/{id_or_name}", tag = "service accounts", security(("bearer" = [])),
    params(("id_or_name" = String, Path, description = "`sa_…` id or the account name")),
    responses((status = 200, body = Envelope<ServiceAccountInfo>), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn get(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(id): Path<String>,
) -> ApiResult<ServiceAccountResponse> {
    let account = sa::get(&state.app.db, &caller.actor, &caller.meta, &id)
        .await
        .map_err(fail(&caller))?;
    Ok(Json(Envelope { result: account }))
}

/// Delete a service account and revoke all its keys, in one transaction (owners).
#[utoipa::path(delete, path = "/api/v1/service_accounts/{id_or_name}", tag = "service accounts", security(("bearer" = [])),
    params(("id_or_name" = String, Path, description = "`sa_…` id or the account name")),
    responses((status = 204), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn delete(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sa::delete(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &id,
    )
    .await
    .map_err(fail(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create an API key for a service account (owners). The key is in this response only.
#[utoipa::path(post, path = "/api/v1/service_accounts/{id_or_name}/api_keys", tag = "service accounts", security(("bearer" = [])),
    params(("id_or_name" = String, Path, description = "`sa_…` id or the account name")),
    request_body(content = Option<CreateKey>),
    responses((status = 201, body = Envelope<NewToken>), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn create_key(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<KeyResponse>), ApiError> {
    // The body is optional: no body means the default name.
    let body: CreateKey = if body.iter().all(u8::is_ascii_whitespace) {
        CreateKey::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::new(
                AppError::InvalidInput(format!("invalid JSON body: {e}")),
                &caller.meta,
            )
        })?
    };
    let key = sa::create_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &id,
        &sa::NewKeyRequest {
            name: body.name,
            expires_at: body.expires_at,
            allowed_cidrs: body.allowed_cidrs,
        },
    )
    .await
    .map_err(fail(&caller))?;
    Ok((StatusCode::CREATED, Json(Envelope { result: key })))
}

/// List a service account's active keys: metadata only, never a key (owners).
#[utoipa::path(get, path = "/api/v1/service_accounts/{id_or_name}/api_keys", tag = "service accounts", security(("bearer" = [])),
    params(("id_or_name" = String, Path, description = "`sa_…` id or the account name")),
    responses((status = 200, body = ApiList<TokenInfo>), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn list_keys(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(id): Path<String>,
) -> ApiResult<KeyListResponse> {
    let keys = sa::list_keys(&state.app.db, &caller.actor, &caller.meta, &id)
        .await
        .map_err(fail(&caller))?;
    Ok(Json(ApiList {
        results: keys,
        metadata: ApiListMetadata::default(),
    }))
}

/// Revoke every key of a service account, in one transaction (owners).
#[utoipa::path(post, path = "/api/v1/service_accounts/{id_or_name}/api_keys/revoke_all", tag = "service accounts", security(("bearer" = [])),
    params(("id_or_name" = String, Path, description = "`sa_…` id or the account name")),
    responses((status = 200, body = Envelope<RevokedCount>), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn revoke_all(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(id): Path<String>,
) -> ApiResult<RevokedResponse> {
    let revoked = sa::revoke_all_keys(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &id,
    )
    .await
    .map_err(fail(&caller))?;
    Ok(Json(Envelope {
        result: RevokedCount { revoked },
    }))
}

/// Revoke one key (owners): a service account's key or a person's token.
#[utoipa::path(delete, path = "/api/v1/api_keys/{key_id}", tag = "service accounts", security(("bearer" = [])),
    params(("key_id" = String, Path, description = "`tok_…` key id")),
    responses((status = 204), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn revoke_key(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(key_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    sa::revoke_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &key_id,
    )
    .await
    .map_err(fail(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KeysQuery {
    /// Service-account email, exact or prefix.
    email: Option<String>,
    /// Page size, 1 to 200 (default 50).
    count: Option<u32>,
    paging_token: Option<String>,
    /// Only keys not used for at least this many days (never-used keys count from their
    /// creation): the stale-key report.
    unused_for_days: Option<u32>,
}

/// Every active key of the organization, newest first (owners).
#[utoipa::path(get, path = "/api/v1/api_keys", tag = "service accounts", security(("bearer" = [])),
    params(KeysQuery),
    responses((status = 200, body = ApiList<ApiKeyInfo>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn list_api_keys(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    query: Result<Query<KeysQuery>, QueryRejection>,
) -> ApiResult<ApiKeyListResponse> {
    let Query(q) = query
        .map_err(|e| ApiError::new(AppError::InvalidInput(query_problem(&e)), &caller.meta))?;
    let page = sa::list_api_keys(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &sa::KeyQuery {
            email: q.email.filter(|e| !e.trim().is_empty()),
            count: q.count,
            paging_token: q.paging_token,
            unused_for_days: q.unused_for_days,
        },
    )
    .await
    .map_err(fail(&caller))?;
    Ok(Json(ApiList {
        results: page.results,
        metadata: ApiListMetadata {
            next_paging_token: page.next_paging_token,
        },
    }))
}

/// Emergency revoke (owners): every live key of the organisation — personal tokens and
/// service-account keys — matching **all** the given conditions, in one transaction with one
/// audit row. At least one condition is required (`kind: all` alone would take every key).
/// `dry_run` only counts.
#[utoipa::path(post, path = "/api/v1/api_keys/revoke", tag = "service accounts", security(("bearer" = [])),
    request_body = RevokeMatching,
    responses((status = 200, body = Envelope<MatchingCount>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn revoke_matching(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    ApiJson(body): ApiJson<RevokeMatching>,
) -> ApiResult<Envelope<MatchingCount>> {
    let dry_run = body.dry_run.unwrap_or(false);
    let filter = sa::KeyFilter {
        created_before: body.created_before,
        created_by: body.created_by,
        kind: body.kind.unwrap_or_default(),
    };
    let count = sa::revoke_matching(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &filter,
        dry_run,
    )
    .await
    .map_err(fail(&caller))?;
    Ok(Json(Envelope {
        result: MatchingCount { count, dry_run },
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// How long the old key keeps working, 0 to 604800 (seven days).
    grace_seconds: i64,
}

/// Overlapping rotation of a service-account key (owners): returns a new key (shown once; same
/// account, name, networks and lifetime); the old key keeps working for `grace_seconds`, then
/// expires (401 `token_expired`).
#[utoipa::path(post, path = "/api/v1/api_keys/{key_id}/rotate", tag = "service accounts", security(("bearer" = [])),
    params(("key_id" = String, Path, description = "`tok_…` key id of a service-account key")),
    request_body = RotateKey,
    responses((status = 200, body = Envelope<NewToken>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn rotate_key(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(key_id): Path<String>,
    ApiJson(body): ApiJson<RotateKey>,
) -> ApiResult<KeyResponse> {
    let key = sa::rotate_key_with_grace(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &key_id,
        body.grace_seconds,
    )
    .await
    .map_err(fail(&caller))?;
    Ok(Json(Envelope { result: key }))
}
