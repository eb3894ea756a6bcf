pub mod api_keys;
pub mod audit;
pub mod credentials;
pub mod home;
pub mod iam;
pub mod not_found;
pub mod service_accounts;
pub mod sign_in;
