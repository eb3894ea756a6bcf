//! Server-side SAML state shared by every replica: issued AuthnRequest ids (consumed once)
//! and the assertion replay cache.
use sqlx::{Any, AnyPool, Row};

/// An issued AuthnRequest: its id, where to go afterwards, and the hash of the nonce in the
/// cookie of the browser that started it.
pub struct IssuedRequest<'a> {
    pub id: &'a str,
    pub kind: RequestKind,
    pub next_path: &'a str,
    pub browser_binding: &'a str,
}

/// What an issued request was; a response is matched only against its own kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    Authn,
    Logout,
}

impl RequestKind {
    fn as_str(self) -> &'static str {
        match self {
            RequestKind::Authn => "authn",
            RequestKind::Logout => "logout",
        }
    }
}

/// Records an issued AuthnRequest or LogoutRequest.
pub async fn insert_request(
    pool: &AnyPool,
    request: &IssuedRequest<'_>,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saml_requests (id, next_path, created_at, expires_at, browser_binding, kind) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request.id)
    .bind(request.next_path)
    .bind(now)
    .bind(expires_at)
    .bind(request.browser_binding)
    .bind(request.kind.as_str())
    .execute(pool)
    .await?;
    Ok(())
}

/// What became of an attempt to consume a request id.
#[derive(Debug, PartialEq, Eq)]
pub enum Consumed {
    /// Issued to this browser, unexpired, unused: here is its `next` path. It is gone now.
    Next(String),
    /// Issued, unexpired and unused, but to another browser. It is left for its own browser.
    OtherBrowser,
    /// Never issued, expired, or used before.
    Unknown,
}

/// Consumes a request id answered in the browser whose cookie nonce hashes to
/// `browser_binding`. A second call with the same id finds it `Unknown`.
pub async fn consume_request(
    tx: &mut sqlx::Transaction<'_, Any>,
    kind: RequestKind,
    request_id: &str,
    browser_binding: Option<&str>,
    now: i64,
) -> Result<Consumed, sqlx::Error> {
    if let Some(binding) = browser_binding.filter(|b| !b.is_empty()) {
        let row = sqlx::query(
            "DELETE FROM saml_requests WHERE id = $1 AND expires_at > $2 AND browser_binding = $3 \
             AND kind = $4 RETURNING next_path",
        )
        .bind(request_id)
        .bind(now)
        .bind(binding)
        .bind(kind.as_str())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = row {
            return Ok(Consumed::Next(row.try_get("next_path")?));
        }
    }
    let live = sqlx::query(
        "SELECT 1 AS one FROM saml_requests WHERE id = $1 AND expires_at > $2 AND kind = $3",
    )
    .bind(request_id)
    .bind(now)
    .bind(kind.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(if live.is_some() {
        Consumed::OtherBrowser
    } else {
        Consumed::Unknown
    })
}

/// Remembers an assertion id until it expires. Returns false when it was seen before: a replay.
pub async fn record_assertion(
    tx: &mut sqlx::Transaction<'_, Any>,
    assertion_id: &str,
    expires_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO saml_assertions_seen (assertion_id, expires_at) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(assertion_id)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes expired request ids, replay-cache entries and sessions.
pub async fn purge_expired(pool: &AnyPool, now: i64) -> Result<u64, sqlx::Error> {
    let mut purged = 0;
    for sql in [
        "DELETE FROM saml_requests WHERE expires_at <= $1",
        "DELETE FROM saml_assertions_seen WHERE expires_at <= $1",
        "DELETE FROM sessions WHERE expires_at <= $1",
    ] {
        purged += sqlx::query(sql)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected();
    }
    Ok(purged)
}
