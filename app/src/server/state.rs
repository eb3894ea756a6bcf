//! What every request handler and server function can reach.
use super::clock::Clock;
use super::db::Db;
use super::org::Organization;
use super::token_lookup::TokenLookup;

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub org: Organization,
    /// Bearer-token lookups (batched, never cached).
    pub token_lookup: TokenLookup,
    /// Whether the built-in development IdP is serving sign-ins.
    pub dev_idp: bool,
    /// `GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS`: overrides what owners set in the console.
    pub personal_token_max_days: Option<i64>,
    /// What the console knows of its IdP (kept current by the server's metadata refresher).
    pub identity_provider: std::sync::Arc<std::sync::RwLock<crate::model::IdentityProvider>>,
}
