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
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthorized => 401,
            AppError::OwnersOnly => 403,
            AppError::InvalidInput(_) => 400,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
