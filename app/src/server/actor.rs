//! Who is acting, and on which request: every operation names its actor, which makes the
//! authorization check and the audit row one place.
use super::users::User;
use crate::error::AppError;
use crate::model::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    User,
    ServiceAccount,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::ServiceAccount => "service_account",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
    pub email: String,
    pub role: Role,
    pub org_id: String,
    /// The API token the request came with (its id and last six), if not a browser session.
    pub token: Option<(String, String)>,
}

impl Actor {
    pub fn from_user(user: &User) -> Actor {
        Actor {
            kind: ActorKind::User,
            id: user.id.clone(),
            email: user.email.clone(),
            role: user.role,
            org_id: user.org_id.clone(),
            token: None,
        }
    }

    /// The one owner guard. Every owner-only operation starts with it.
    pub fn require_owner(&self) -> Result<(), AppError> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(AppError::OwnersOnly)
        }
    }
}

/// Facts about the request an operation runs in, for logs and audit rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestMeta {
    pub request_id: String,
    pub source_ip: Option<String>,
}

/// The client's address as the server's front door resolved it (the TCP peer, or behind a
/// trusted proxy the address it forwarded for), in each request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp {
    pub ip: std::net::IpAddr,
    /// The TCP peer itself (differs from `ip` behind a trusted proxy).
    pub peer: std::net::IpAddr,
}

impl RequestMeta {
    /// A request's id and client address, as the server's front door set them.
    pub fn from_parts(headers: &http::HeaderMap, extensions: &http::Extensions) -> Self {
        RequestMeta {
            request_id: Self::request_id_of(headers),
            source_ip: extensions.get::<ClientIp>().map(|c| c.ip.to_string()),
        }
    }

    /// The one reader of a request's id (always made by the server, never the client's).
    pub fn request_id_of(headers: &http::HeaderMap) -> String {
        headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("unknown")
            .to_string()
    }

    /// Logs an internal failure with this request's id; users get a plain message and the id.
    /// An unreachable database is not a bug: that is [`AppError::Unavailable`] (503).
    pub fn internal<E: std::fmt::Display + 'static>(&self, context: &str, err: &E) -> AppError {
        if super::db::unavailable(err) {
            tracing::warn!(request_id = %self.request_id, "{context}: database unavailable: {err}");
            return AppError::Unavailable;
        }
        tracing::error!(request_id = %self.request_id, "{context}: {err}");
        AppError::Internal {
            request_id: self.request_id.clone(),
        }
    }
}
