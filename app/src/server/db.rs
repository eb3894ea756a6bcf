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
            .acquire_timeout(Duration::from_secs(10))
            // An idle SQLite connection is a handle to a local file: it cannot have been
            // dropped by a server or a network, so pinging it on every checkout (a round trip
            // to its worker thread) buys nothing. PostgreSQL keeps the check.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _meta| Box::pin(prepare_connection(conn, backend)))
            .connect_with(options.clone())
            .await
            .map_err(DbSetupError::Connect)?;
        MIGRATOR.run(&pool).await.map_err(DbSetupError::Migrate)?;
        if backend == Backend::Postgres {
            // The one backend-specific index: prefix LIKE on service-account emails. SQLite
            // answers the same filter with a byte range on the portable index.
            pool.execute(
                "CREATE INDEX IF NOT EXISTS service_accounts_email_pattern \
                 ON service_accounts (org_id, email text_pattern_ops)",
            )
            .await
            .map_err(DbSetupError::Connect)?;
        }
        Ok(Db {
            pool,
            backend,
            options: Arc::new(options),
        })
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

    pub async fn close(&self) {
        self.pool.close().await;
    }
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

/// Creates the SQLite file's directory and asks SQLite to create the file if missing.
fn prepare_sqlite_url(url: &str) -> Result<String, DbSetupError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or_default();
    if !path.is_empty() && path != ":memory:" {
        let create_err = |source| DbSetupError::CreateDir {
            path: path.to_string(),
            source,
        };
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(create_err)?;
            }
        }
        owner_only_file(std::path::Path::new(path)).map_err(create_err)?;
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
