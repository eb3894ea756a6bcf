//! Users & IAM → Service accounts, API keys and the audit log. Owners only: every function
//! here is under `/fn/owner/` and refuses anyone else on the server.
use crate::error::AppError;
use crate::model::{
    ApiKeyPage, AuditPage, NewToken, Role, ServiceAccountInfo, ServiceAccountPage, TokenInfo,
};
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "owner/service_accounts", output = crate::wire::Json)]
pub async fn list_service_accounts(
    paging_token: Option<String>,
) -> Result<ServiceAccountPage, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    let query = sa::AccountQuery {
        paging_token,
        ..Default::default()
    };
    sa::list(&state.db, &actor, &meta, &query)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/create_service_account", output = crate::wire::Json)]
pub async fn create_service_account(
    name: String,
    role: Option<Role>,
) -> Result<ServiceAccountInfo, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::create(&state.db, &state.clock, &actor, &meta, &name, role)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/delete_service_account", output = crate::wire::Json)]
pub async fn delete_service_account(account: String) -> Result<(), AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::delete(&state.db, &state.clock, &actor, &meta, &account)
        .await
        .map_err(auth::refuse)
}

/// A new key for `account`: an optional name, expiry (Unix seconds) and networks (CIDRs
/// separated by commas, spaces or new lines).
#[server(prefix = "/fn", endpoint = "owner/create_api_key", output = crate::wire::Json)]
pub async fn create_api_key(
    account: String,
    name: Option<String>,
    expires_at: Option<i64>,
    allowed_cidrs: Option<String>,
) -> Result<NewToken, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    let request = sa::NewKeyRequest {
        name,
        expires_at,
        allowed_cidrs: allowed_cidrs
            .unwrap_or_default()
            .split([',', ' ', '\n', '\r', '\t'])
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
    };
    sa::create_key(&state.db, &state.clock, &actor, &meta, &account, &request)
        .await
        .map_err(auth::refuse)
}

/// Overlapping rotation: a new key now, the old one working for `grace_seconds` more.
#[server(prefix = "/fn", endpoint = "owner/rotate_api_key", output = crate::wire::Json)]
pub async fn rotate_api_key(key_id: String, grace_seconds: i64) -> Result<NewToken, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::rotate_key_with_grace(
        &state.db,
        &state.clock,
        &actor,
        &meta,
        &key_id,
        grace_seconds,
    )
    .await
    .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/service_account_keys", output = crate::wire::Json)]
pub async fn list_service_account_keys(account: String) -> Result<Vec<TokenInfo>, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::list_keys(&state.db, &actor, &meta, &account)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/revoke_all_keys", output = crate::wire::Json)]
pub async fn revoke_all_keys(account: String) -> Result<u64, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::revoke_all_keys(&state.db, &state.clock, &actor, &meta, &account)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/api_keys", output = crate::wire::Json)]
pub async fn list_api_keys(
    email: Option<String>,
    paging_token: Option<String>,
    unused_for_days: Option<u32>,
) -> Result<ApiKeyPage, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    let query = sa::KeyQuery {
        email: email.filter(|e| !e.trim().is_empty()),
        count: None,
        paging_token,
        unused_for_days,
    };
    sa::list_api_keys(&state.db, &state.clock, &actor, &meta, &query)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/revoke_api_key", output = crate::wire::Json)]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    sa::revoke_key(&state.db, &state.clock, &actor, &meta, &key_id)
        .await
        .map_err(auth::refuse)
}

#[server(prefix = "/fn", endpoint = "owner/audit", output = crate::wire::Json)]
pub async fn list_audit(
    email: Option<String>,
    paging_token: Option<String>,
) -> Result<AuditPage, AppError> {
    use crate::server::{audit, auth};
    let (state, actor, meta) = auth::require_actor().await?;
    audit::list(
        &state.db,
        &actor,
        &meta,
        email.as_deref().filter(|e| !e.trim().is_empty()),
        paging_token.as_deref(),
    )
    .await
    .map_err(auth::refuse)
}

/// Emergency revoke, or (with `dry_run`) the count it would revoke. The console asks for the
/// organization's name before revoking; the server checks it, so a stray request cannot.
#[server(prefix = "/fn", endpoint = "owner/revoke_matching", output = crate::wire::Json)]
pub async fn revoke_matching_keys(
    created_before: Option<i64>,
    created_by: Option<String>,
    kind: crate::model::KeyKind,
    dry_run: bool,
    confirm_organization: Option<String>,
) -> Result<u64, AppError> {
    use crate::server::{auth, service_accounts as sa};
    let (state, actor, meta) = auth::require_actor().await?;
    actor.require_owner().map_err(auth::refuse)?;
    if !dry_run && confirm_organization.as_deref().map(str::trim) != Some(state.org.name.as_str()) {
        return Err(auth::refuse(AppError::InvalidInput(
            "type the organization's name to confirm".into(),
        )));
    }
    let filter = sa::KeyFilter {
        created_before,
        created_by: created_by.filter(|e| !e.trim().is_empty()),
        kind,
    };
    sa::revoke_matching(&state.db, &state.clock, &actor, &meta, &filter, dry_run)
        .await
        .map_err(auth::refuse)
}
