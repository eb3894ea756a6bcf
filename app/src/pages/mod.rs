pub mod credentials;
pub mod home;
pub mod iam;
pub mod not_found;
pub mod sign_in;
