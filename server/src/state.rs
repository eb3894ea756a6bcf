//! What every handler shares: the app's state plus the server's own (SAML SP, limits, policy).
//! Its own module, so `routes` and `api` both depend on it and not on each other.
use crate::blocking::BlockingPool;
use crate::config::IpNet;
use crate::dev_idp::DevIdp;
use crate::front_door::rate_limit::RateLimiter;
use crate::saml::idp_metadata::SamlHandle;
use app::server::state::AppState;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Who becomes an owner on first sign-in.
#[derive(Clone, Debug, Default)]
pub struct RolePolicy {
    pub owner_emails: Vec<String>,
    pub owner_groups: Vec<String>,
    /// First sign-in only, or every sign-in (`GATEHOUSE_ROLE_SYNC`).
    pub sync: app::server::users::RoleSync,
}

impl RolePolicy {
    pub fn initial_role(&self, email: &str, groups: &[String]) -> app::model::Role {
        let by_email = self.owner_emails.iter().any(|e| e == email);
        let by_group = groups.iter().any(|g| self.owner_groups.contains(g));
        if by_email || by_group {
            app::model::Role::Owner
        } else {
            app::model::Role::Collaborator
        }
    }
}

#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    /// The SAML SP; `current()` is the SP as of the last good IdP metadata.
    pub saml: Arc<SamlHandle>,
    pub dev_idp: Option<Arc<DevIdp>>,
    pub roles: Arc<RolePolicy>,
    /// `scheme://host[:port]` of the public URL, for the cross-site check.
    pub public_origin: Arc<str>,
    /// The public URL is https: cookies are `Secure` (and the sign-in binding `SameSite=None`).
    pub https: bool,
    /// SAML responses are checked here: off the async workers, bounded, with a time limit.
    pub saml_checks: BlockingPool,
    pub limits: Arc<Limits>,
    pub trusted_proxies: Arc<[IpNet]>,
}

/// Per-client-address limits.
#[derive(Debug)]
pub struct Limits {
    /// `/saml/login` and `/saml/acs` requests.
    pub signin: RateLimiter,
    /// Failed bearer authentications; once reached, every bearer request is refused (429).
    pub auth_failures: RateLimiter,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(state: &ServerState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<ServerState> for AppState {
    fn from_ref(state: &ServerState) -> Self {
        state.app.clone()
    }
}
