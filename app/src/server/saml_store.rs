//! Server-side SAML state shared by every replica: issued AuthnRequest ids (consumed once)
//! and the assertion replay cache.
use sqlx::{Any, AnyPool, Row};

/// Records an issued AuthnRequest id and where to send the user afterwards.
pub async fn insert_request(
    pool: &AnyPool,
    request_id: &str,
    next_path: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saml_requests (id, next_path, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(request_id)
    .bind(next_path)
    .bind(now)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Consumes a request id: returns its `next` path if it was issued, is unexpired and has not
/// been used before. A second call with the same id returns `None`.
pub async fn consume_request(
    tx: &mut sqlx::Transaction<'_, Any>,
    request_id: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "DELETE FROM saml_requests WHERE id = $1 AND expires_at > $2 RETURNING next_path",
    )
    .bind(request_id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| r.try_get("next_path")).transpose()
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
