//! Black-box tests: the real server on port 0 with a fresh database, driven over HTTP.
//! Every scenario runs against SQLite and against PostgreSQL.
mod audit;
mod credentials;
mod front_door;
mod helpers;
mod idp_metadata;
mod key_lifecycle;
mod members;
mod migrations;
mod openapi;
mod operations;
mod service_accounts;
mod sessions;
mod sign_in;
mod single_logout;
mod time;
