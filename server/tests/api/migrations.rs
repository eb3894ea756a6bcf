//! Upgrading a database that already holds data: the previous release's schema, real rows,
//! then every migration of this release.
use crate::helpers::*;
use crate::on_both_backends;
use sqlx::Row;

on_both_backends!(
    the_front_door_migration_keeps_members_tokens_and_audit_rows,
    legacy_organization_ids_become_dns_labels_everywhere,
);

/// A fresh database at the schema of every migration before `version`, holding `rows`.
/// Returns its URL and the temporary directory (SQLite's file lives there).
async fn database_before(
    backend: Backend,
    version: i64,
    rows: &[&str],
) -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("gatehouse-mig-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = fresh_database_url(backend, &dir).await;
    sqlx::any::install_default_drivers();
    let pool_url = match backend {
        Backend::Sqlite => format!("{url}?mode=rwc"),
        Backend::Postgres => url.clone(),
    };
    let pool = sqlx::AnyPool::connect(&pool_url).await.unwrap();
    let mut previous = sqlx::migrate::Migrator::new(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations"
    )))
    .await
    .unwrap();
    let all = previous.migrations.len();
    previous.migrations = previous
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    assert!(previous.migrations.len() < all, "a later migration exists");
    previous.run(&pool).await.unwrap();
    for sql in rows {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    (url, dir)
}

/// Removes what [`database_before`] made.
async fn remove_database(backend: Backend, url: &str, dir: &std::path::Path) {
    let _ = std::fs::remove_dir_all(dir);
    if let Backend::Postgres = backend {
        let name = url.rsplit('/').next().unwrap().to_string();
        let admin = std::env::var("GATEHOUSE_TEST_POSTGRES_URL").unwrap();
        use sqlx::{Connection as _, Executor as _};
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .unwrap();
    }
}

async fn the_front_door_migration_keeps_members_tokens_and_audit_rows(backend: Backend) {
    let rows = [
        "INSERT INTO organizations (id, name, created_at) VALUES ('org_old', 'Old Org', 1)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) \
         VALUES ('usr_a', 'org_old', 'ada@example.com', 'Ada', 'owner', 1)",
        "INSERT INTO api_tokens (id, org_id, owner_kind, owner_id, name, token_hash, last_six, \
         created_at, created_by) VALUES ('tok_a', 'org_old', 'user', 'usr_a', 'laptop', 'h1', \
         'abcdef', 1, 'usr_a')",
        "INSERT INTO sessions (id, user_id, data, expires_at) VALUES ('plain-id', 'usr_a', '{}', 99999999999)",
        "INSERT INTO saml_requests (id, next_path, created_at, expires_at) VALUES ('id-1', '/', 1, 99999999999)",
        "INSERT INTO audit_events (id, at, actor_kind, action) VALUES ('aud_1', 1, 'user', 'token.created')",
    ];
    let (url, dir) = database_before(backend, 20261129000001, &rows).await;

    // This release starts on it.
    let db = app::server::db::Db::connect(&url).await.unwrap();
    let count = |sql: &'static str| {
        let pool = db.pool().clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get::<i64, _>("n")
                .unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) AS n FROM users").await, 1);
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM api_tokens WHERE revoked_at IS NULL").await,
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) AS n FROM audit_events WHERE repeat_count = 1").await,
        1,
        "old audit rows count once"
    );
    // Plaintext session ids and unbound sign-in attempts cannot be kept (documented in the
    // migration): everyone signs in again once.
    assert_eq!(count("SELECT COUNT(*) AS n FROM sessions").await, 0);
    assert_eq!(count("SELECT COUNT(*) AS n FROM saml_requests").await, 0);
    // And the new columns work.
    sqlx::query(
        "INSERT INTO sessions (id, user_id, data, expires_at, created_at) \
         VALUES ('hashed', 'usr_a', '{}', 2, 1)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    db.close().await;
    remove_database(backend, &url, &dir).await;
}

async fn legacy_organization_ids_become_dns_labels_everywhere(backend: Backend) {
    let rows = [
        "INSERT INTO organizations (id, name, created_at) VALUES ('org_2b2f0c9d41e8a7b6c5d4', 'Old Org', 1)",
        "INSERT INTO users (id, org_id, email, display_name, role, created_at) \
         VALUES ('usr_a', 'org_2b2f0c9d41e8a7b6c5d4', 'ada@example.com', 'Ada', 'owner', 1)",
        "INSERT INTO service_accounts (id, org_id, name, email, role, created_at, created_by) \
         VALUES ('sa_1', 'org_2b2f0c9d41e8a7b6c5d4', 'etl-bot', \
         'etl-bot@org-org_2b2f0c9d41e8a7b6c5d4.serviceaccount.com', 'collaborator', 1, 'usr_a')",
        "INSERT INTO api_tokens (id, org_id, owner_kind, owner_id, name, token_hash, last_six, \
         created_at, created_by) VALUES ('tok_a', 'org_2b2f0c9d41e8a7b6c5d4', 'service_account', \
         'sa_1', 'key', 'h1', 'abcdef', 1, 'usr_a')",
    ];
    let (url, dir) = database_before(backend, 20261129000002, &rows).await;

    let db = app::server::db::Db::connect(&url).await.unwrap();
    let one = |sql: &'static str| {
        let pool = db.pool().clone();
        async move {
            sqlx::query(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
                .try_get::<String, _>(0)
                .unwrap()
        }
    };
    let new_id = "2b2f0c9d41e8a7b6c5d4";
    assert_eq!(one("SELECT id FROM organizations").await, new_id);
    assert_eq!(one("SELECT org_id FROM users").await, new_id);
    assert_eq!(one("SELECT org_id FROM api_tokens").await, new_id);
    assert_eq!(one("SELECT org_id FROM service_accounts").await, new_id);
    assert_eq!(
        one("SELECT email FROM service_accounts").await,
        format!("etl-bot@org-{new_id}.serviceaccount.com")
    );
    // The organization loads under its new id, and the old configured id is refused.
    let org = app::server::org::ensure_organization(&db, Some(new_id), "Old Org", 2)
        .await
        .unwrap();
    assert_eq!(org.id, new_id);
    db.close().await;
    remove_database(backend, &url, &dir).await;
}
