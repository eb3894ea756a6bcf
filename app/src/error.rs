//! The one error type that crosses the wire. Users get a plain message (and, for our own
//! failures, a request id to quote); the full chain goes to the server log.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    #[error("You are not signed in, or your session has ended. Sign in again.")]
    Unauthorized,
    #[error("Only organization owners can do this.")]
    OwnersOnly,
    #[error("{0}")]
    InvalidInput(String),
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. Quote request id {request_id} when reporting it.")]
    Internal { request_id: String },
    #[error("Could not reach the server: {0}")]
    Transport(String),
    #[error("Too many requests from your address. Try again in {retry_after_seconds} seconds.")]
    RateLimited { retry_after_seconds: u64 },
    /// Overloaded, or the database is unreachable for now (down, restarting): 503 + Retry-After.
    #[error("Gatehouse is briefly unavailable (busy, or its database is restarting). Try again in a few seconds.")]
    Unavailable,
    #[error("The request is too large.")]
    TooLarge,
    #[error("This token expired at {expired_at} (Unix seconds). Create a new one.")]
    TokenExpired { expired_at: i64 },
    #[error("This key may not be used from {source_ip}: it is limited to certain networks.")]
    SourceNotAllowed { source_ip: String },
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized
            | AppError::TokenExpired { .. }
            | AppError::SourceNotAllowed { .. } => 401,
            AppError::OwnersOnly => 403,
            AppError::InvalidInput(_) => 400,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::TooLarge => 413,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// On the server, the framework's own failures to read a call's arguments are the caller's
    /// fault (400, not 500); on the client, everything else is a transport failure.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m) => {
                AppError::InvalidInput(format!("The request's arguments could not be read: {m}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
