//! The one error type that crosses the wire. Users get a plain message (and, for our own
//! failures, a request id to quote); the full chain goes to the server log.
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// On the wire: `{"code": "<snake_case variant>", "detail": <string | object>}` (the `detail` of
/// a variant without data is absent). Serialized by serde's derive; read back by the hand-written
/// [`Deserialize`] below, which is a fraction of the derived one's WASM size and accepts exactly
/// what the derive writes (a unit test checks every variant).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
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

    /// How long to wait before trying again (`Retry-After`), for the errors that mean "later".
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            AppError::RateLimited {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            AppError::Unavailable => Some(1),
            _ => None,
        }
    }
}

const CODES: &[&str] = &[
    "unauthorized",
    "owners_only",
    "invalid_input",
    "not_found",
    "conflict",
    "internal",
    "transport",
    "rate_limited",
    "unavailable",
    "too_large",
    "token_expired",
    "source_not_allowed",
];

/// Every field any variant's `detail` carries: a string for the tuple variants, an object for
/// the struct variants.
#[derive(Default)]
struct Detail {
    text: Option<String>,
    request_id: Option<String>,
    retry_after_seconds: Option<u64>,
    expired_at: Option<i64>,
    source_ip: Option<String>,
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DetailVisitor;
        impl<'de> Visitor<'de> for DetailVisitor {
            type Value = Detail;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an error detail (a string or an object)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Detail, E> {
                Ok(Detail {
                    text: Some(v.to_string()),
                    ..Detail::default()
                })
            }
            fn visit_unit<E: de::Error>(self) -> Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<Detail, E> {
                Ok(Detail::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Detail, A::Error> {
                let mut detail = Detail::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "request_id" => detail.request_id = Some(map.next_value()?),
                        "retry_after_seconds" => {
                            detail.retry_after_seconds = Some(map.next_value()?)
                        }
                        "expired_at" => detail.expired_at = Some(map.next_value()?),
                        "source_ip" => detail.source_ip = Some(map.next_value()?),
                        _ => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(detail)
            }
        }
        deserializer.deserialize_any(DetailVisitor)
    }
}

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            code: String,
            #[serde(default)]
            detail: Detail,
        }
        fn need<T, E: de::Error>(value: Option<T>) -> Result<T, E> {
            value.ok_or_else(|| E::missing_field("detail"))
        }
        let Wire { code, detail } = Wire::deserialize(deserializer)?;
        Ok(match code.as_str() {
            "unauthorized" => AppError::Unauthorized,
            "owners_only" => AppError::OwnersOnly,
            "invalid_input" => AppError::InvalidInput(need(detail.text)?),
            "not_found" => AppError::NotFound,
            "conflict" => AppError::Conflict(need(detail.text)?),
            "internal" => AppError::Internal {
                request_id: need(detail.request_id)?,
            },
            "transport" => AppError::Transport(need(detail.text)?),
            "rate_limited" => AppError::RateLimited {
                retry_after_seconds: need(detail.retry_after_seconds)?,
            },
            "unavailable" => AppError::Unavailable,
            "too_large" => AppError::TooLarge,
            "token_expired" => AppError::TokenExpired {
                expired_at: need(detail.expired_at)?,
            },
            "source_not_allowed" => AppError::SourceNotAllowed {
                source_ip: need(detail.source_ip)?,
            },
            other => return Err(de::Error::unknown_variant(other, CODES)),
        })
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::wire::Wire;

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

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn every_variant_reads_back_what_it_writes() {
        let all = [
            AppError::Unauthorized,
            AppError::OwnersOnly,
            AppError::InvalidInput("bad \"name\"".into()),
            AppError::NotFound,
            AppError::Conflict("taken".into()),
            AppError::Internal {
                request_id: "req-1".into(),
            },
            AppError::Transport("offline".into()),
            AppError::RateLimited {
                retry_after_seconds: 7,
            },
            AppError::Unavailable,
            AppError::TooLarge,
            AppError::TokenExpired { expired_at: -3 },
            AppError::SourceNotAllowed {
                source_ip: "10.0.0.1".into(),
            },
        ];
        assert_eq!(all.len(), super::CODES.len());
        for error in all {
            let json = serde_json::to_string(&error).expect("serializes");
            let back: AppError = serde_json::from_str(&json).expect(&json);
            assert_eq!(back, error, "{json}");
        }
    }

    #[test]
    fn unknown_codes_and_missing_details_are_refused() {
        for json in [
            r#"{"code":"nope"}"#,
            r#"{"code":"conflict"}"#,
            r#"{"code":"internal","detail":{}}"#,
            r#"{"code":"rate_limited","detail":{"retry_after_seconds":"x"}}"#,
            r#"{"detail":"x"}"#,
        ] {
            assert!(serde_json::from_str::<AppError>(json).is_err(), "{json}");
        }
    }
}
