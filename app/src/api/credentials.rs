//! The Credentials page: the signed-in member's personal CLI tokens.
use crate::error::AppError;
use crate::model::{NewToken, TokenInfo};
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "my_tokens")]
pub async fn list_my_tokens() -> Result<Vec<TokenInfo>, AppError> {
    use crate::server::{auth, credentials, tokens::TokenKind};
    let (state, actor, meta) = auth::require_actor().await?;
    credentials::list_active(&state.db, TokenKind::User, &actor.id)
        .await
        .map_err(|e| auth::refuse(meta.internal("listing tokens", &e)))
}

#[server(prefix = "/fn", endpoint = "create_my_token")]
pub async fn create_my_token(name: Option<String>) -> Result<NewToken, AppError> {
    use crate::server::{auth, credentials};
    let (state, actor, meta) = auth::require_actor().await?;
    credentials::create_own_token(&state.db, &state.clock, &actor, &meta, name.as_deref())
        .await
        .map_err(auth::refuse)
}

/// "Revoke all credentials": every token of mine is revoked and one new token issued.
#[server(prefix = "/fn", endpoint = "revoke_all_my_credentials")]
pub async fn revoke_all_my_credentials() -> Result<NewToken, AppError> {
    use crate::server::{auth, credentials, users};
    let (state, actor, meta) = auth::require_actor().await?;
    let me = users::find_by_id(state.db.pool(), &actor.id)
        .await
        .map_err(|e| auth::refuse(meta.internal("loading the user", &e)))?
        .ok_or_else(|| auth::refuse(AppError::Unauthorized))?;
    credentials::rotate_user_key(&state.db, &state.clock, &actor, &meta, &me)
        .await
        .map_err(auth::refuse)
}

/// "Sign out everywhere": ends every browser session of mine, this one included, on every
/// replica. Tokens are not touched (that is "Revoke all credentials"). Returns how many
/// sessions ended.
#[server(prefix = "/fn", endpoint = "sign_out_everywhere")]
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
