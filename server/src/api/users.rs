//! Users and their keys: who am I, rotate my key, owners rotate or change or remove others,
//! and the member list.
use super::{query_problem, ApiError, ApiJson, Caller, ErrorResponse, Owner};
use crate::state::ServerState;
use app::error::AppError;
use app::model::{
    ApiList, ApiListMetadata, ApiResult as Envelope, Identity, Member, NewToken, RemovedMember,
    Role, TokenPolicy,
};
use app::server::{credentials, members, users};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

// The envelopes are app::model's, the one wire contract shared with the CLI and the SDK.
type IdentityResponse = Envelope<Identity>;
/// The only response that ever contains a token; store it now.
type NewTokenResponse = Envelope<NewToken>;
type MemberResponse = Envelope<Member>;
type MemberListResponse = ApiList<Member>;
type RemovedListResponse = ApiList<RemovedMember>;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Who am I: the identity behind the bearer token.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Envelope<Identity>), (status = 401, body = ErrorResponse)))]
pub async fn me(State(state): State<ServerState>, caller: Caller) -> Json<IdentityResponse> {
    Json(Envelope {
        result: Identity {
            id: caller.actor.id,
            email: caller.actor.email,
            kind: caller.actor.kind.as_str().to_string(),
            role: caller.actor.role,
            organization_id: state.app.org.id,
            organization_name: state.app.org.name,
        },
    })
}

/// Rotate my key. A person: every token of mine is revoked (this one too) and one new token
/// returned. A service-account key: this key is revoked and a new key with the same name
/// returned; the account's other keys keep working.
#[utoipa::path(post, path = "/api/v1/users/me/rotate_key", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Envelope<NewToken>), (status = 401, body = ErrorResponse)))]
pub async fn rotate_my_key(
    State(state): State<ServerState>,
    caller: Caller,
) -> ApiResult<NewTokenResponse> {
    if caller.actor.kind == app::server::actor::ActorKind::ServiceAccount {
        let new = app::server::service_accounts::rotate_own_key(
            &state.app.db,
            &state.app.clock,
            &caller.actor,
            &caller.meta,
        )
        .await
        .map_err(|e| ApiError::new(e, &caller.meta))?;
        return Ok(Json(Envelope { result: new }));
    }
    let me = load_user(&state, &caller, &caller.actor.id).await?;
    let max_days = app::server::org::max_token_days(&state.app, &caller.meta)
        .await
        .map_err(|e| ApiError::new(e, &caller.meta))?;
    let new = credentials::rotate_user_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &me,
        max_days,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(Envelope { result: new }))
}

/// Rotate another user's key (owners): their tokens are revoked and the new one is returned
/// for hand-over.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/rotate_key", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "A user id, `usr_…`")),
    responses((status = 200, body = Envelope<NewToken>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse)))]
pub async fn rotate_user_key(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(user_id): Path<String>,
) -> ApiResult<NewTokenResponse> {
    let target = load_user(&state, &caller, &user_id).await?;
    let max_days = app::server::org::max_token_days(&state.app, &caller.meta)
        .await
        .map_err(|e| ApiError::new(e, &caller.meta))?;
    let new = credentials::rotate_user_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &target,
        max_days,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(Envelope { result: new }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    role: Role,
}

/// Change a user's role (owners). The last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "A user id, `usr_…`")), request_body = UpdateUser,
    responses((status = 200, body = Envelope<Member>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn update_user(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<MemberResponse> {
    let member = members::change_role(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &user_id,
        body.role,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(Envelope { result: member }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveQuery {
    /// Also revoke every live service-account key this person created (default `true`), so a
    /// departing owner keeps no access through a key they made.
    revoke_created_keys: Option<bool>,
}

/// Remove a user (owners): their tokens are revoked and their sessions end immediately; the
/// service-account keys they created are revoked too unless `revoke_created_keys=false`.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}", tag = "users", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "A user id, `usr_…`"), RemoveQuery),
    responses((status = 204), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 409, body = ErrorResponse)))]
pub async fn delete_user(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(user_id): Path<String>,
    query: Result<Query<RemoveQuery>, QueryRejection>,
) -> Result<StatusCode, ApiError> {
    let Query(query) = query
        .map_err(|e| ApiError::new(AppError::InvalidInput(query_problem(&e)), &caller.meta))?;
    members::remove(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &user_id,
        query.revoke_created_keys.unwrap_or(true),
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The people owners removed (owners). Their sign-ins through the IdP are refused, with the
/// reason shown, until an owner allows them back. Most recent first, at most 500.
#[utoipa::path(get, path = "/api/v1/removed_members", tag = "users", security(("bearer" = [])),
    responses((status = 200, body = ApiList<RemovedMember>), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse)))]
pub async fn list_removed_members(
    State(state): State<ServerState>,
    Owner(caller): Owner,
) -> ApiResult<RemovedListResponse> {
    let results = members::list_removed(&state.app.db, &caller.actor, &caller.meta)
        .await
        .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(ApiList {
        results,
        metadata: ApiListMetadata {
            next_paging_token: None,
        },
    }))
}

/// Allow a removed person back (owners): their next sign-in makes them a member again, with
/// the role their IdP groups give.
#[utoipa::path(delete, path = "/api/v1/removed_members/{email}", tag = "users", security(("bearer" = [])),
    params(("email" = String, Path, description = "The removed person's email")),
    responses((status = 204), (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse),
        (status = 404, body = ErrorResponse)))]
pub async fn allow_member_back(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    Path(email): Path<String>,
) -> Result<StatusCode, ApiError> {
    members::allow_back(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &email,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CollaboratorsQuery {
    /// Email prefix, case-insensitive.
    email: Option<String>,
    /// Part of the display name, case-insensitive.
    name: Option<String>,
    is_service_account: Option<bool>,
    /// Page size, 1 to 200 (default 50).
    count: Option<u32>,
    /// `metadata.next_paging_token` of the previous page.
    paging_token: Option<String>,
}

/// List the organization's members. Any member may call it (the console shows the same list
/// to everyone); changing members is owner-only.
#[utoipa::path(get, path = "/api/v1/collaborators", tag = "users", security(("bearer" = [])),
    params(CollaboratorsQuery),
    responses((status = 200, body = ApiList<Member>), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list_collaborators(
    State(state): State<ServerState>,
    caller: Caller,
    query: Result<Query<CollaboratorsQuery>, QueryRejection>,
) -> ApiResult<MemberListResponse> {
    let Query(q) = query
        .map_err(|e| ApiError::new(AppError::InvalidInput(query_problem(&e)), &caller.meta))?;
    let page = members::list(
        &state.app.db,
        &state.app.org.id,
        &members::MemberQuery {
            email: q.email,
            name: q.name,
            is_service_account: q.is_service_account,
            count: q.count,
            paging_token: q.paging_token,
        },
        &caller.meta,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(ApiList {
        results: page.results,
        metadata: ApiListMetadata {
            next_paging_token: page.next_paging_token,
        },
    }))
}

async fn load_user(
    state: &ServerState,
    caller: &Caller,
    user_id: &str,
) -> Result<users::User, ApiError> {
    let user_id = members::parse_user_id(user_id).map_err(|e| ApiError::new(e, &caller.meta))?;
    users::find_by_id(state.app.db.pool(), user_id)
        .await
        .map_err(|e| ApiError::new(caller.meta.internal("loading a user", &e), &caller.meta))?
        .filter(|u| u.org_id == caller.actor.org_id)
        .ok_or_else(|| ApiError::new(AppError::NotFound, &caller.meta))
}

/// The organisation's personal-token rule: the maximum lifetime, if any (any member).
#[utoipa::path(get, path = "/api/v1/organization/token_policy", tag = "organization", security(("bearer" = [])),
    responses((status = 200, body = Envelope<TokenPolicy>), (status = 401, body = ErrorResponse)))]
pub async fn get_token_policy(
    State(state): State<ServerState>,
    caller: Caller,
) -> ApiResult<Envelope<TokenPolicy>> {
    let policy = app::server::org::token_policy(
        &state.app.db,
        &state.app.org.id,
        state.app.personal_token_max_days,
    )
    .await
    .map_err(|e| {
        ApiError::new(
            caller.meta.internal("reading the token policy", &e),
            &caller.meta,
        )
    })?;
    Ok(Json(Envelope { result: policy }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTokenPolicy {
    /// Personal tokens must expire within this many days (1 to 3650); `null`: no maximum.
    personal_token_max_days: Option<i64>,
}

/// Set (or clear) the maximum lifetime of personal tokens (owners). Refused while
/// `GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS` sets it.
#[utoipa::path(put, path = "/api/v1/organization/token_policy", tag = "organization", security(("bearer" = [])),
    request_body = SetTokenPolicy,
    responses((status = 200, body = Envelope<TokenPolicy>), (status = 400, body = ErrorResponse),
        (status = 401, body = ErrorResponse), (status = 403, body = ErrorResponse)))]
pub async fn set_token_policy(
    State(state): State<ServerState>,
    Owner(caller): Owner,
    ApiJson(body): ApiJson<SetTokenPolicy>,
) -> ApiResult<Envelope<TokenPolicy>> {
    let policy = app::server::org::set_token_policy(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        state.app.personal_token_max_days,
        body.personal_token_max_days,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(Json(Envelope { result: policy }))
}
