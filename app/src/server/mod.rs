//! Server-only code (feature `ssr`): state, persistence, sessions and the auth guard.
//! Nothing in here reaches the WASM bundle.
pub mod actor;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod credentials;
pub mod csp;
pub mod db;
pub mod idp;
pub mod ids;
pub mod members;
pub mod org;
pub mod paging;
pub mod saml_store;
pub mod service_accounts;
pub mod session_store;
pub mod state;
pub mod token_lookup;
pub mod tokens;
pub mod users;
