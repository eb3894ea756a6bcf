//! Users and their keys: who am I, rotate my key, owners rotate or change or remove others,
//! and the member list.
use super::{query_problem, result, ApiError, ApiJson, Caller};
use crate::routes::ServerState;
use app::error::AppError;
use app::model::Role;
use app::server::{credentials, members, users};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

pub async fn me(State(state): State<ServerState>, caller: Caller) -> Response {
    result(json!({
        "id": caller.actor.id,
        "email": caller.actor.email,
        "kind": caller.actor.kind.as_str(),
        "role": caller.actor.role,
        "organization_id": state.app.org.id,
        "organization_name": state.app.org.name,
    }))
    .into_response()
}

pub async fn rotate_my_key(
    State(state): State<ServerState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let me = load_user(&state, &caller, &caller.actor.id).await?;
    let new = credentials::rotate_user_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &me,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(result(new).into_response())
}

pub async fn rotate_user_key(
    State(state): State<ServerState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    caller
        .actor
        .require_owner()
        .map_err(|e| ApiError::new(e, &caller.meta))?;
    let target = load_user(&state, &caller, &user_id).await?;
    let new = credentials::rotate_user_key(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &target,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(result(new).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    role: Role,
}

pub async fn update_user(
    State(state): State<ServerState>,
    caller: Caller,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> Result<Response, ApiError> {
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
    Ok(result(member).into_response())
}

pub async fn delete_user(
    State(state): State<ServerState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    members::remove(
        &state.app.db,
        &state.app.clock,
        &caller.actor,
        &caller.meta,
        &user_id,
    )
    .await
    .map_err(|e| ApiError::new(e, &caller.meta))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollaboratorsQuery {
    email: Option<String>,
    name: Option<String>,
    is_service_account: Option<bool>,
    count: Option<u32>,
    paging_token: Option<String>,
}

/// Any member may list the organization's members (the console shows the list to everyone).
pub async fn list_collaborators(
    State(state): State<ServerState>,
    caller: Caller,
    query: Result<Query<CollaboratorsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
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
    Ok(Json(json!({
        "results": page.results,
        "metadata": {"next_paging_token": page.next_paging_token},
    }))
    .into_response())
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
