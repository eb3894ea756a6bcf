//! Users & IAM → Users: everyone sees the members; owners change roles, rotate keys and
//! remove people. Each owner action is refused on the server for anyone else.
use crate::error::AppError;
use crate::model::{Member, MemberPage, NewToken, Role};
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "members", output = crate::wire::Json)]
pub async fn list_members(
    paging_token: Option<String>,
    is_service_account: Option<bool>,
    /// Email prefix, case-insensitive; empty means everyone.
    email: Option<String>,
) -> Result<MemberPage, AppError> {
    use crate::server::{auth, members};
    let (state, _actor, meta) = auth::require_actor().await?;
    let query = members::MemberQuery {
        paging_token,
        is_service_account,
        email: email.filter(|e| !e.trim().is_empty()),
        ..Default::default()
    };
    members::list(&state.db, &state.org.id, &query, &meta)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/change_role", output = crate::wire::Json)]
pub async fn change_role(user_id: String, role: Role) -> Result<Member, AppError> {
    use crate::server::{auth, members};
    let (state, actor, meta) = auth::require_actor().await?;
    members::change_role(&state.db, &state.clock, &actor, &meta, &user_id, role)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/rotate_user_key", output = crate::wire::Json)]
pub async fn rotate_user_key(user_id: String) -> Result<NewToken, AppError> {
    use crate::server::{auth, credentials, members, users};
    let (state, actor, meta) = auth::require_actor().await?;
    actor.require_owner().map_err(auth::refuse)?;
    let user_id = members::parse_user_id(&user_id).map_err(auth::refuse)?;
    let target = users::find_by_id(state.db.pool(), user_id)
        .await
        .map_err(|e| auth::refuse(meta.internal("loading the user", &e)))?
        .filter(|u| u.org_id == actor.org_id)
        .ok_or_else(|| auth::refuse(AppError::NotFound))?;
    let max_days = crate::server::org::max_token_days(&state, &meta)
        .await
        .map_err(auth::refuse)?;
    credentials::rotate_user_key(&state.db, &state.clock, &actor, &meta, &target, max_days)
        .await
        .map_err(auth::refuse)
}

/// Removes a member; the service-account keys they created are revoked too unless
/// `revoke_created_keys` is false (missing means true).
#[server(prefix = "/fn", endpoint = "owner/remove_user", output = crate::wire::Json)]
pub async fn remove_user(
    user_id: String,
    revoke_created_keys: Option<bool>,
) -> Result<u64, AppError> {
    use crate::server::{auth, members};
    let (state, actor, meta) = auth::require_actor().await?;
    members::remove(
        &state.db,
        &state.clock,
        &actor,
        &meta,
        &user_id,
        revoke_created_keys.unwrap_or(true),
    )
    .await
    .map_err(auth::refuse)
}

/// The people owners removed, who cannot sign in until allowed back (owners).
#[server(prefix = "/fn", endpoint = "owner/removed_members", output = crate::wire::Json)]
pub async fn list_removed_members() -> Result<Vec<crate::model::RemovedMember>, AppError> {
    use crate::server::{auth, members};
    let (state, actor, meta) = auth::require_actor().await?;
    members::list_removed(&state.db, &actor, &meta)
        .await
        .map_err(auth::refuse)
}

/// Lets a removed person sign in again (owners).
#[server(prefix = "/fn", endpoint = "owner/allow_member_back", output = crate::wire::Json)]
pub async fn allow_member_back(email: String) -> Result<(), AppError> {
    use crate::server::{auth, members};
    let (state, actor, meta) = auth::require_actor().await?;
    members::allow_back(&state.db, &state.clock, &actor, &meta, &email)
        .await
        .map_err(auth::refuse)
}
