//! The Credentials page: the signed-in member's personal CLI tokens.
use crate::error::AppError;
use crate::model::{NewToken, TokenInfo, TokenPolicy};
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "my_tokens", output = crate::wire::Json)]
pub async fn list_my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    use crate::server::{auth, credentials, tokens::TokenKind};
    let (state, actor, meta) = auth::require_actor().await?;
    credentials::list_active(&state.db, TokenKind::User, &actor.id)
        .await
        .map_err(|e| auth::refuse(meta.internal("listing tokens", &e)))
}

/// A new personal token, named and expiring at `expires_at` (Unix seconds) or never — within
/// the organisation's maximum when one is set.
#[server(prefix = "/fn", endpoint = "create_my_token", output = crate::wire::Json)]
pub async fn create_my_token(
    name: Option<String>,
    expires_at: Option<i64>,
) -> Result<NewToken, AppError> {
    use crate::server::{auth, credentials, org};
    let (state, actor, meta) = auth::require_actor().await?;
    let max_days = org::max_token_days(&state, &meta)
        .await
        .map_err(auth::refuse)?;
    credentials::create_own_token(
        &state.db,
        &state.clock,
        &actor,
        &meta,
        name.as_deref(),
        expires_at,
        max_days,
    )
    .await
    .map_err(auth::refuse)
}

/// The organisation's personal-token rule (any member: the create dialog follows it).
#[server(prefix = "/fn", endpoint = "token_policy", output = crate::wire::Json)]
pub async fn get_token_policy() -> Result<TokenPolicy, AppError> {
    use crate::server::{auth, org};
    let (state, _actor, meta) = auth::require_actor().await?;
    org::token_policy(&state.db, &state.org.id, state.personal_token_max_days)
        .await
        .map_err(|e| auth::refuse(meta.internal("reading the token policy", &e)))
}

/// Owners set (or clear) the maximum lifetime of personal tokens.
#[server(prefix = "/fn", endpoint = "owner/set_token_policy", output = crate::wire::Json)]
pub async fn set_token_policy(max_days: Option<i64>) -> Result<TokenPolicy, AppError> {
    use crate::server::{auth, org};
    let (state, actor, meta) = auth::require_actor().await?;
    org::set_token_policy(
        &state.db,
        &state.clock,
        &actor,
        &meta,
        state.personal_token_max_days,
        max_days,
    )
    .await
    .map_err(auth::refuse)
}

/// "Revoke all credentials": every token of mine is revoked and one new token issued.
#[server(prefix = "/fn", endpoint = "revoke_all_my_credentials", output = crate::wire::Json)]
pub async fn revoke_all_my_credentials() -> Result<NewToken, AppError> {
    use crate::server::{auth, credentials, users};
    let (state, actor, meta) = auth::require_actor().await?;
    let me = users::find_by_id(state.db.pool(), &actor.id)
        .await
        .map_err(|e| auth::refuse(meta.internal("loading the user", &e)))?
        .ok_or_else(|| auth::refuse(AppError::Unauthorized))?;
    let max_days = crate::server::org::max_token_days(&state, &meta)
        .await
        .map_err(auth::refuse)?;
    credentials::rotate_user_key(&state.db, &state.clock, &actor, &meta, &me, max_days)
        .await
        .map_err(auth::refuse)
}

/// "Sign out everywhere": ends every browser session of mine, this one included, on every
/// replica. Tokens are not touched (that is "Revoke all credentials"). Returns how many
/// sessions ended.
#[server(prefix = "/fn", endpoint = "sign_out_everywhere", output = crate::wire::Json)]
pub async fn sign_out_everywhere() -> Result<u64, AppError> {
    use crate::server::audit::{self, Target};
    use crate::server::{auth, session_store};
    let (state, actor, meta) = auth::require_actor().await?;
    let ended = session_store::delete_sessions_of_user(&state.db, &actor.id)
        .await
        .map_err(|e| auth::refuse(meta.internal("ending sessions", &e)))?;
    audit::record(
        state.db.pool(),
        state.clock.unix(),
        Some(&actor),
        &meta,
        "sessions.signed_out_everywhere",
        Target::user(&actor.id, &actor.email),
        Some(&format!("{ended} sessions ended")),
    )
    .await
    .map_err(|e| auth::refuse(meta.internal("auditing sign-out everywhere", &e)))?;
    Ok(ended)
}
