//! The database: one `sqlx::AnyPool` over SQLite or PostgreSQL, chosen by URL at start-up.
//!
//! All SQL in this crate is portable between the two (`$n` placeholders, `BIGINT` Unix-second
//! timestamps, `TEXT` ids, `ON CONFLICT`, `RETURNING`); see docs/decisions/0001-one-sql-dialect.md.
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The advisory-lock key that serialises creating the PostgreSQL-only email index.
const EMAIL_INDEX_LOCK: i64 = 7_406_114_225_961_729;

/// How long a request waits for a pooled connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// For dedicated connections. Holds the URL, password included: never print it.
    options: Arc<AnyConnectOptions>,
}

/// By hand: the derived form would print the connection URL with its password.
impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("pool_size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("GATEHOUSE_DATABASE_URL must start with sqlite:// or postgres:// (got scheme {0:?})")]
    UnsupportedScheme(String),
    #[error("could not create the directory for the SQLite file {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not lock {path} while migrating: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply database migrations: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl Db {
    /// Connects, enables WAL and a busy timeout on SQLite, and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Db, DbSetupError> {
        sqlx::any::install_default_drivers();
        let scheme = url
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let (backend, url) = match scheme.as_str() {
            "sqlite" => (Backend::Sqlite, prepare_sqlite_url(url)?),
            "postgres" | "postgresql" => (Backend::Postgres, url.to_string()),
            other => return Err(DbSetupError::UnsupportedScheme(other.to_string())),
        };
        let options = AnyConnectOptions::from_str(&url).map_err(DbSetupError::Connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
            // Short: while the database is unreachable the pool keeps retrying the connection
            // until this runs out, and a request should fail fast (503) rather than hang.
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // An idle SQLite connection is a handle to a local file: it cannot have been
            // dropped by a server or a network, so pinging it on every checkout (a round trip
            // to its worker thread) buys nothing. PostgreSQL keeps the check.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| Box::pin(prepare_connection(conn, backend)))
            .connect_with(options.clone())
            .await
            .map_err(DbSetupError::Connect)?;
        // sqlx holds a PostgreSQL advisory lock while it migrates: replicas starting together
        // apply each migration once, the others wait and find it applied. Its SQLite migrator
        // takes no lock: two processes starting on one file hold a lock file instead.
        let setup_lock = match sqlite_file(&url) {
            Some(path) => Some(lock_file(format!("{path}.migrate-lock")).await?),
            None => None,
        };
        MIGRATOR.run(&pool).await.map_err(DbSetupError::Migrate)?;
        drop(setup_lock);
        let db = Db {
            pool,
            backend,
            options: Arc::new(options),
        };
        if backend == Backend::Postgres {
            // The one backend-specific index: prefix ranges on service-account emails. SQLite
            // answers the same filter with a byte range on the portable index. Two replicas
            // running `CREATE INDEX IF NOT EXISTS` at once can both pass the check and one then
            // fails on the catalogue's unique index: serialise them.
            let mut tx = db
                .begin_exclusive(EMAIL_INDEX_LOCK)
                .await
                .map_err(DbSetupError::Connect)?;
            // In the "C" collation: email prefixes are byte ranges, indexable with bound
            // parameters (the earlier text_pattern_ops index served only LIKE with a constant).
            tx.execute("DROP INDEX IF EXISTS service_accounts_email_pattern")
                .await
                .map_err(DbSetupError::Connect)?;
            tx.execute(
                "CREATE INDEX IF NOT EXISTS service_accounts_email_c \
                 ON service_accounts (org_id, email COLLATE \"C\")",
            )
            .await
            .map_err(DbSetupError::Connect)?;
            tx.commit().await.map_err(DbSetupError::Connect)?;
        }
        Ok(db)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade its lock
    /// while another writer is active and would fail with SQLITE_BUSY instead of waiting.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// A write transaction that also excludes every other holder of `lock` (a PostgreSQL
    /// transaction-scoped advisory lock; SQLite's `BEGIN IMMEDIATE` already excludes all other
    /// writers). For start-up steps that read, then insert: replicas starting together must not
    /// both insert.
    pub async fn begin_exclusive(
        &self,
        lock: i64,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock)
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Opens a connection outside the pool, with the same session settings, for a task that
    /// keeps one connection for its whole life (see `token_lookup`): no checkout and no
    /// liveness ping on return, so each query is a single round trip.
    pub async fn connect_dedicated(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut conn = self.options.connect().await?;
        prepare_connection(&mut conn, self.backend).await?;
        Ok(conn)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// (connections open, of which idle), for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Ready to serve: the database answers and every migration this binary knows is applied
    /// (a replica of an older version beside a newer schema, or the reverse, is not ready).
    pub async fn readiness(&self) -> Result<(), String> {
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success = TRUE ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| {
            tracing::warn!("readiness: {e}");
            "the database does not answer".to_string()
        })?;
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        if applied != known {
            return Err(format!(
                "migrations: {} applied, this version expects {}",
                applied.len(),
                known.len()
            ));
        }
        Ok(())
    }
}

/// Whether `err` means the database cannot be reached right now — it is down, restarting,
/// refusing connections, or every pooled connection stayed busy past the acquire timeout —
/// rather than a bug. Requests that hit it are answered 503 with `Retry-After` (never 401 or
/// 500), and the pool reconnects by itself once the database is back.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // PostgreSQL: 08xxx connection exceptions, 57P01–57P03 (shutting down, crash
            // recovery, not yet accepting connections), 53300 too many connections.
            // SQLite: 5 (SQLITE_BUSY after the busy timeout).
            code.starts_with("08")
                || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300" | "5")
        }),
        _ => false,
    }
}

/// [`is_unavailable`] for any error value: true only for a `sqlx::Error` that says so, or a
/// session error whose store could not reach the database.
pub fn unavailable<E: 'static>(err: &E) -> bool {
    let err = err as &dyn std::any::Any;
    err.downcast_ref::<sqlx::Error>()
        .is_some_and(is_unavailable)
        || err
            .downcast_ref::<tower_sessions::session::Error>()
            .is_some_and(super::session_store::is_unavailable)
}

/// Session settings every connection gets, pooled or not.
async fn prepare_connection(conn: &mut AnyConnection, backend: Backend) -> Result<(), sqlx::Error> {
    if backend == Backend::Sqlite {
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA busy_timeout = 5000").await?;
        conn.execute("PRAGMA foreign_keys = ON").await?;
        conn.execute("PRAGMA synchronous = NORMAL").await?;
    }
    Ok(())
}

/// The file of a SQLite URL (none for `:memory:`).
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// An exclusive lock on `path` (created if missing), held until the file is dropped. Waits
/// for another holder on a blocking thread.
async fn lock_file(path: String) -> Result<std::fs::File, DbSetupError> {
    let err = |source| DbSetupError::Lock {
        path: path.clone(),
        source,
    };
    let locked = tokio::task::spawn_blocking({
        let path = path.clone();
        move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        }
    })
    .await
    .map_err(|e| err(std::io::Error::other(e)))?;
    locked.map_err(err)
}

/// Creates the SQLite file's directory and asks SQLite to create the file if missing.
fn prepare_sqlite_url(url: &str) -> Result<String, DbSetupError> {
    if let Some(path) = sqlite_file(url) {
        let create_err = |source| DbSetupError::CreateDir {
            path: path.clone(),
            source,
        };
        if let Some(parent) = std::path::Path::new(&path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(create_err)?;
            }
        }
        owner_only_file(std::path::Path::new(&path)).map_err(create_err)?;
    }
    Ok(if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The database holds session ids, token hashes and the audit log: only its owner may read it.
/// Created here with mode 0600 (never a world-readable moment), an existing file is tightened;
/// SQLite gives its -wal and -shm files the database file's mode.
fn owner_only_file(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// True when the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_output_never_contains_the_connection_url() {
        // Stands in for a PostgreSQL URL with a password: the derived Debug of the connect
        // options would print the whole URL.
        let dir = std::env::temp_dir().join(format!("gatehouse-db-{}", std::process::id()));
        let url = format!("sqlite://{}/not-for-logs.db", dir.display());
        let db = Db::connect(&url).await.expect("connect");
        let printed = format!("{db:?}");
        assert!(printed.contains("Sqlite"), "{printed}");
        assert!(!printed.contains("not-for-logs"), "{printed}");
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_sqlite_file_and_its_wal_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("gatehouse-mode-{}", uuid::Uuid::new_v4()));
        let file = dir.join("gatehouse.db");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("connect");
        sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ('o1', 'O', 0)")
            .execute(db.pool())
            .await
            .expect("write");
        for name in ["gatehouse.db", "gatehouse.db-wal", "gatehouse.db-shm"] {
            let mode = std::fs::metadata(dir.join(name))
                .expect(name)
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
        }
        db.close().await;
        // An existing file with a loose mode is tightened at start.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("reconnect");
        let mode = std::fs::metadata(&file).expect("db").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod unavailable_tests {
    use super::{is_unavailable, unavailable};

    #[test]
    fn an_unreachable_database_is_told_apart_from_a_bug() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_unavailable(&sqlx::Error::Io(refused)));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::PoolClosed));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
        assert!(unavailable(&sqlx::Error::PoolTimedOut));
        assert!(!unavailable(&"a plain message"));
    }
}
