//! Server functions, one file per feature. Each is a thin adapter: find the caller, call a
//! service, map the error.
pub mod credentials;
pub mod identity_provider;
pub mod members;
pub mod service_accounts;
pub mod session;
