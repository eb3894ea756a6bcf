//! Black-box tests: the real server on port 0 with a fresh database, driven over HTTP.
//! Every scenario runs against SQLite and against PostgreSQL.
mod helpers;
mod sessions;
mod sign_in;
