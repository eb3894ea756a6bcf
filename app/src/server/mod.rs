//! Server-only code (feature `ssr`): state, persistence, sessions and the auth guard.
//! Nothing in here reaches the WASM bundle.
pub mod actor;
pub mod audit;
pub mod auth;
pub mod credentials;
pub mod members;
pub mod clock;
pub mod db;
pub mod ids;
pub mod org;
pub mod saml_store;
pub mod session_store;
pub mod state;
pub mod tokens;
pub mod users;
