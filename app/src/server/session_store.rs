//! A tower-sessions store on the shared pool. Unlike the stock sqlx stores it keeps the
//! signed-in user's id in its own indexed column, so every session of a user can be ended at
//! once (removal, role change) on every replica.
use super::clock::Clock;
use super::db::Db;
use super::tokens::hash_token;
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// The session key under which the signed-in user's id is kept.
pub const USER_ID_KEY: &str = "user_id";
/// The session key of the SAML sign-in it came from (a [`SamlLogin`]), for Single Logout.
pub const SAML_LOGIN_KEY: &str = "saml_login";

/// Who the IdP said signed in, and in which of its sessions: what a LogoutRequest names.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SamlLogin {
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
}

/// How long a session lives: `idle_seconds` after its last request (sliding), and never more
/// than `absolute_seconds` after sign-in, whatever the activity.
#[derive(Clone, Copy, Debug)]
pub struct SessionLimits {
    pub idle_seconds: i64,
    pub absolute_seconds: i64,
}

/// Sessions in the database, keyed by the SHA-256 of the session id: a copy of the table (a
/// backup, a read replica, a support dump) holds nothing that signs anyone in.
///
/// The idle timeout slides: the session layer saves on every response (`always_save`), and
/// `save` moves `expires_at` forward — but writes only when the data changed or the expiry
/// moved by more than a minute, and only to a row that still exists, so a session ended
/// during a request (removal, sign out everywhere) is never brought back.
#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
    clock: Clock,
    limits: SessionLimits,
}

impl DbSessionStore {
    pub fn new(db: Db, clock: Clock, limits: SessionLimits) -> Self {
        DbSessionStore { db, clock, limits }
    }
}

/// Writes of the sliding expiry are skipped while it moved less than this.
const EXPIRY_WRITE_GRANULARITY_SECONDS: i64 = 60;

/// How a store error that means "the database cannot be reached" starts: tower-sessions carries
/// store errors as strings, and such a request is answered 503 (try again), not 500.
const UNAVAILABLE: &str = "database unavailable: ";

tokio::task_local! {
    /// Set when this request's session store could not reach the database (see
    /// [`noting_unavailability`]).
    static UNAVAILABLE_SEEN: std::cell::Cell<bool>;
}

/// Runs a request, and says whether its session store failed to reach the database meanwhile.
/// tower-sessions turns a failed save (after the handler: the sliding expiry) into an empty 500
/// of its own; with this, the server can answer such a request like every other one while the
/// database is down — 503, try again.
pub async fn noting_unavailability<F: std::future::Future>(request: F) -> (F::Output, bool) {
    UNAVAILABLE_SEEN
        .scope(std::cell::Cell::new(false), async {
            let output = request.await;
            (output, UNAVAILABLE_SEEN.with(std::cell::Cell::get))
        })
        .await
}

fn backend(err: sqlx::Error) -> Error {
    if super::db::is_unavailable(&err) {
        let _ = UNAVAILABLE_SEEN.try_with(|seen| seen.set(true));
        Error::Backend(format!("{UNAVAILABLE}{err}"))
    } else {
        Error::Backend(err.to_string())
    }
}

/// Whether a session error says the database could not be reached (see [`backend`]).
pub fn is_unavailable(err: &tower_sessions::session::Error) -> bool {
    matches!(
        err,
        tower_sessions::session::Error::Store(Error::Backend(message))
            if message.starts_with(UNAVAILABLE)
    )
}

/// What the database stores in place of a session id.
pub fn stored_id(id: &Id) -> String {
    hash_token(&id.to_string())
}

fn saml_login_of(record: &Record) -> (Option<String>, Option<String>) {
    match record
        .data
        .get(SAML_LOGIN_KEY)
        .and_then(|v| serde_json::from_value::<SamlLogin>(v.clone()).ok())
    {
        Some(login) => (Some(login.name_id), login.session_index),
        None => (None, None),
    }
}

fn user_id_of(record: &Record) -> Option<String> {
    record
        .data
        .get(USER_ID_KEY)
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let now = self.clock.unix();
        let (name_id, session_index) = saml_login_of(record);
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, user_id, data, expires_at, created_at, saml_name_id, \
                 saml_session_index) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(stored_id(&record.id))
            .bind(user_id_of(record))
            .bind(&data)
            .bind(now + self.limits.idle_seconds)
            .bind(now)
            .bind(&name_id)
            .bind(&session_index)
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            // 128-bit id collision: practically impossible, but never overwrite a session.
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        let expires_at = self.clock.unix() + self.limits.idle_seconds;
        let (name_id, session_index) = saml_login_of(record);
        sqlx::query(
            "UPDATE sessions SET user_id = $2, data = $3, expires_at = $4, saml_name_id = $6, \
             saml_session_index = $7 WHERE id = $1 AND (data <> $3 OR expires_at < $5)",
        )
        .bind(stored_id(&record.id))
        .bind(user_id_of(record))
        .bind(&data)
        .bind(expires_at)
        .bind(expires_at - EXPIRY_WRITE_GRANULARITY_SECONDS)
        .bind(name_id)
        .bind(session_index)
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = self.clock.unix();
        let row = sqlx::query(
            "SELECT data, expires_at FROM sessions \
             WHERE id = $1 AND expires_at > $2 AND created_at > $3",
        )
        .bind(stored_id(id))
        .bind(now)
        .bind(now - self.limits.absolute_seconds)
        .fetch_optional(self.db.pool())
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: String = row.try_get("data").map_err(backend)?;
        let expires_at: i64 = row.try_get("expires_at").map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(stored_id(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of a user, on every replica (the next request finds no session row).
pub async fn delete_sessions_of_user(
    db: &Db,
    user_id: &str,
) -> std::result::Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?
        .rows_affected())
}

/// Ends the sessions an IdP's LogoutRequest names: every session signed in as `name_id`, or
/// only those of the given IdP session indexes when it lists any. Returns the users whose
/// sessions ended (one entry per session).
pub async fn delete_sessions_of_saml_subject(
    db: &Db,
    name_id: &str,
    session_indexes: &[String],
) -> std::result::Result<Vec<String>, sqlx::Error> {
    let rows = if session_indexes.is_empty() {
        sqlx::query("DELETE FROM sessions WHERE saml_name_id = $1 RETURNING user_id")
            .bind(name_id)
            .fetch_all(db.pool())
            .await?
    } else {
        let mut rows = Vec::new();
        for index in session_indexes {
            rows.extend(
                sqlx::query(
                    "DELETE FROM sessions WHERE saml_name_id = $1 AND saml_session_index = $2 \
                     RETURNING user_id",
                )
                .bind(name_id)
                .bind(index)
                .fetch_all(db.pool())
                .await?,
            );
        }
        rows
    };
    Ok(rows
        .iter()
        .filter_map(|r| r.try_get::<Option<String>, _>("user_id").ok().flatten())
        .collect())
}
