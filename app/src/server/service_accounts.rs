//! Service accounts: non-human identities owned by the organization, and their API keys.
//! Every operation here is owner-only. Keys use the token module with the `gts_` prefix, are
//! shown once, never expire, and are identified afterwards by their last six characters.
use super::actor::{Actor, RequestMeta};
use super::audit::{self, Target};
use super::clock::Clock;
use super::credentials::{self, token_name};
use super::db::{is_unique_violation, Backend, Db};
use super::paging;
use super::tokens::TokenKind;
use crate::error::AppError;
use crate::model::{
    ApiKeyInfo, ApiKeyPage, NewToken, Role, ServiceAccountInfo, ServiceAccountPage, TokenInfo,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAccount {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub created_at: i64,
    pub created_by: String,
}

impl ServiceAccount {
    pub fn actor(&self) -> Actor {
        Actor {
            kind: super::actor::ActorKind::ServiceAccount,
            id: self.id.clone(),
            email: self.email.clone(),
            role: self.role,
            org_id: self.org_id.clone(),
            token: None,
        }
    }

    fn target(&self) -> Target<'_> {
        Target {
            kind: "service_account",
            id: Some(&self.id),
            email: Some(&self.email),
        }
    }
}

/// A valid service-account name (the rule lives in [`crate::model`], shared with the form).
pub fn parse_name(raw: &str) -> Result<String, AppError> {
    crate::model::check_service_account_name(raw)
        .map_err(|why| AppError::InvalidInput(format!("name: {why}")))
}

/// `<name>@org-<organization id>.serviceaccount.com`
pub fn email_for(name: &str, org_id: &str) -> String {
    format!("{name}@org-{org_id}.serviceaccount.com")
}

const COLUMNS: &str = "id, org_id, name, email, role, created_at, created_by";

fn from_row(row: &AnyRow) -> Result<ServiceAccount, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(ServiceAccount {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: Role::parse(&role).unwrap_or(Role::Collaborator),
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}

pub async fn find_by_id<'e, E>(executor: E, id: &str) -> Result<Option<ServiceAccount>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {COLUMNS} FROM service_accounts WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Finds an account of the organization by id (`sa_…`) or by name.
pub async fn resolve<'e, E>(
    executor: E,
    org_id: &str,
    id_or_name: &str,
) -> Result<Option<ServiceAccount>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let column = if id_or_name.starts_with("sa_") {
        "id"
    } else {
        "name"
    };
    let sql = format!("SELECT {COLUMNS} FROM service_accounts WHERE org_id = $1 AND {column} = $2");
    sqlx::query(&sql)
        .bind(org_id)
        .bind(id_or_name.trim())
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Finds the account and takes its row lock for the rest of the transaction, so key creation,
/// "revoke all" and deletion of one account never interleave. `None`: no such account.
async fn resolve_locked(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
    id_or_name: &str,
) -> Result<Option<ServiceAccount>, sqlx::Error> {
    let Some(account) = resolve(&mut **tx, org_id, id_or_name).await? else {
        return Ok(None);
    };
    let locked = sqlx::query("UPDATE service_accounts SET name = name WHERE id = $1")
        .bind(&account.id)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    Ok(locked.then_some(account))
}

fn info(account: &ServiceAccount, active_keys: i64) -> ServiceAccountInfo {
    ServiceAccountInfo {
        id: account.id.clone(),
        name: account.name.clone(),
        email: account.email.clone(),
        role: account.role,
        active_keys,
        created_at: account.created_at,
        created_by: account.created_by.clone(),
    }
}

enum Outcome<T> {
    Done(T),
    Refused(AppError),
}

fn finish<T>(
    result: Result<Outcome<T>, sqlx::Error>,
    meta: &RequestMeta,
    context: &str,
) -> Result<T, AppError> {
    match result.map_err(|e| meta.internal(context, &e))? {
        Outcome::Done(v) => Ok(v),
        Outcome::Refused(e) => Err(e),
    }
}

pub async fn create(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    name: &str,
    role: Option<Role>,
) -> Result<ServiceAccountInfo, AppError> {
    actor.require_owner()?;
    let name = parse_name(name)?;
    let account = ServiceAccount {
        id: format!("sa_{}", uuid::Uuid::new_v4().simple()),
        org_id: actor.org_id.clone(),
        email: email_for(&name, &actor.org_id),
        name,
        role: role.unwrap_or(Role::Collaborator),
        created_at: clock.unix(),
        created_by: actor.email.clone(),
    };
    let run = async {
        let mut tx = db.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO service_accounts (id, org_id, name, email, role, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&account.id)
        .bind(&account.org_id)
        .bind(&account.name)
        .bind(&account.email)
        .bind(account.role.as_str())
        .bind(account.created_at)
        .bind(&account.created_by)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => {
                return Ok(Outcome::Refused(AppError::Conflict(format!(
                    "name: a service account named {:?} already exists",
                    account.name
                ))))
            }
            other => other?,
        };
        audit::record(
            &mut *tx,
            account.created_at,
            Some(actor),
            meta,
            "service_account.created",
            account.target(),
            Some(&format!("role {}", account.role)),
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(info(&account, 0)))
    };
    finish(run.await, meta, "creating a service account")
}

pub async fn get(
    db: &Db,
    actor: &Actor,
    meta: &RequestMeta,
    id_or_name: &str,
) -> Result<ServiceAccountInfo, AppError> {
    actor.require_owner()?;
    let account = resolve(db.pool(), &actor.org_id, id_or_name)
        .await
        .map_err(|e| meta.internal("loading a service account", &e))?
        .ok_or(AppError::NotFound)?;
    let keys = active_key_count(db, &account.id)
        .await
        .map_err(|e| meta.internal("counting keys", &e))?;
    Ok(info(&account, keys))
}

async fn active_key_count(db: &Db, account_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM api_tokens WHERE owner_kind = 'service_account' AND owner_id = $1 AND revoked_at IS NULL")
        .bind(account_id)
        .fetch_one(db.pool())
        .await?
        .try_get("n")
}

#[derive(Clone, Debug, Default)]
pub struct AccountQuery {
    /// Name prefix.
    pub name: Option<String>,
    /// Email prefix.
    pub email: Option<String>,
    pub count: Option<u32>,
    pub paging_token: Option<String>,
}

pub async fn list(
    db: &Db,
    actor: &Actor,
    meta: &RequestMeta,
    query: &AccountQuery,
) -> Result<ServiceAccountPage, AppError> {
    actor.require_owner()?;
    let count = paging::page_size(query.count)?;
    let after = match query.paging_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => paging::decode(token, 1)
            .and_then(|mut p| p.pop())
            .ok_or_else(paging::bad_token)?,
        None => String::new(),
    };
    let name = query
        .name
        .as_deref()
        .map(|n| paging::like_pattern(n, true))
        .unwrap_or_default();
    let email = query
        .email
        .as_deref()
        .map(|e| paging::like_pattern(e, true))
        .unwrap_or_default();
    // The page first (a walk of the (org_id, name) index, fenced so that no statistics can
    // turn it into a join), then each of its rows' active keys counted on the owner index: the
    // plan is the same right after a bulk load as after ANALYZE. Only the filters given are in
    // the statement: an optional `($3 = '' OR …)` makes a generic plan guess that almost no
    // row matches and sort every account instead of walking the index (25 ms at 100 000). The
    // limit is a literal (a validated number) for the same reason as in `list_api_keys`.
    let mut filters = String::new();
    let mut next = 3;
    if !name.is_empty() {
        filters.push_str(&format!(" AND sa.name LIKE ${next} ESCAPE '\\'"));
        next += 1;
    }
    if !email.is_empty() {
        filters.push_str(&format!(" AND LOWER(sa.email) LIKE ${next} ESCAPE '\\'"));
    }
    let sql = format!(
        "WITH page AS MATERIALIZED (\
           SELECT sa.id, sa.org_id, sa.name, sa.email, sa.role, sa.created_at, sa.created_by \
           FROM service_accounts sa \
           WHERE sa.org_id = $1 AND sa.name > $2{filters} \
           ORDER BY sa.name LIMIT {}) \
         SELECT page.*, \
           (SELECT COUNT(*) FROM api_tokens t WHERE t.owner_kind = 'service_account' \
              AND t.owner_id = page.id AND t.revoked_at IS NULL) AS active_keys \
         FROM page ORDER BY page.name",
        count + 1
    );
    let mut statement = sqlx::query(&sql).bind(&actor.org_id).bind(&after);
    for value in [&name, &email] {
        if !value.is_empty() {
            statement = statement.bind(value);
        }
    }
    let rows = statement
        .fetch_all(db.pool())
        .await
        .map_err(|e| meta.internal("listing service accounts", &e))?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows.iter().take(count as usize) {
        let account = from_row(row).map_err(|e| meta.internal("reading a service account", &e))?;
        let keys: i64 = row
            .try_get("active_keys")
            .map_err(|e| meta.internal("reading a key count", &e))?;
        results.push(info(&account, keys));
    }
    let next_paging_token = (rows.len() > count as usize)
        .then(|| results.last().map(|a| paging::encode(&[&a.name])))
        .flatten();
    Ok(ServiceAccountPage {
        results,
        next_paging_token,
    })
}

/// Deletes the account and revokes all its keys in the same transaction.
pub async fn delete(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    id_or_name: &str,
) -> Result<(), AppError> {
    actor.require_owner()?;
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        let Some(account) = resolve_locked(&mut tx, &actor.org_id, id_or_name).await? else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        let revoked = credentials::revoke_all(
            &mut *tx,
            TokenKind::ServiceAccount,
            &account.id,
            &actor.id,
            now,
        )
        .await?;
        sqlx::query("DELETE FROM service_accounts WHERE id = $1")
            .bind(&account.id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "service_account.deleted",
            account.target(),
            Some(&format!("{revoked} keys revoked")),
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(()))
    };
    finish(run.await, meta, "deleting a service account")
}

/// What an owner asks for when creating a key.
#[derive(Clone, Debug, Default)]
pub struct NewKeyRequest {
    pub name: Option<String>,
    /// Unix seconds; `None`: the key never expires (the default for service-account keys).
    pub expires_at: Option<i64>,
    pub allowed_cidrs: Vec<String>,
}

/// Creates a key for the account: the plaintext is in this response only.
pub async fn create_key(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    id_or_name: &str,
    request: &NewKeyRequest,
) -> Result<NewToken, AppError> {
    actor.require_owner()?;
    let key_name = token_name(request.name.as_deref(), "API key")?;
    let now = clock.unix();
    let options =
        credentials::KeyOptions::checked(request.expires_at, &request.allowed_cidrs, None, now)?;
    let run = async {
        let mut tx = db.begin_write().await?;
        let Some(account) = resolve_locked(&mut tx, &actor.org_id, id_or_name).await? else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        let new = credentials::insert_token_with(
            &mut tx,
            &account.org_id,
            TokenKind::ServiceAccount,
            &account.id,
            &key_name,
            actor,
            now,
            &options,
        )
        .await?;
        audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "api_key.created",
            account.target(),
            Some(&format!(
                "key …{} ({}){}",
                new.info.last_six,
                options
                    .expires_at
                    .map_or("never expires".to_string(), |t| format!("expires at {t}")),
                if options.allowed_cidrs.is_empty() {
                    String::new()
                } else {
                    format!(", from {}", options.allowed_cidrs.join(", "))
                }
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(new))
    };
    finish(run.await, meta, "creating an API key")
}

/// A service account rotating its own key (`POST /users/me/rotate_key` with a `gts_` key):
/// the presented key is revoked and a new one, with the same name, is returned — the account's
/// other keys are untouched, so one automation rotating its key does not break another. Any
/// role may do this: it changes nothing but the caller's own credential.
pub async fn rotate_own_key(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<NewToken, AppError> {
    let Some((presented, _)) = actor.token.clone() else {
        return Err(AppError::Unauthorized);
    };
    if actor.kind != super::actor::ActorKind::ServiceAccount {
        return Err(AppError::InvalidInput(
            "only a service-account key rotates itself this way".into(),
        ));
    }
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        let Some(account) = resolve_locked(&mut tx, &actor.org_id, &actor.id).await? else {
            return Ok(Outcome::Refused(AppError::Unauthorized));
        };
        let old = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND owner_kind = 'service_account' AND owner_id = $4 \
             AND revoked_at IS NULL RETURNING name, last_six, created_at, expires_at, allowed_cidrs",
        )
        .bind(now)
        .bind(&actor.id)
        .bind(&presented)
        .bind(&account.id)
        .fetch_optional(&mut *tx)
        .await?;
        // Revoked meanwhile (by an owner, or a concurrent rotation): no new key for it.
        let Some(old) = old else {
            return Ok(Outcome::Refused(AppError::Unauthorized));
        };
        let new = issue_successor(&mut tx, &account, &old, actor, meta, now, "").await?;
        tx.commit().await?;
        Ok(Outcome::Done(new))
    };
    finish(run.await, meta, "rotating a service account's own key")
}

/// Issues the successor of a rotated key (`old`: its row, with name, last_six, created_at,
/// expires_at, allowed_cidrs) and audits the rotation. The successor keeps the name, the
/// networks and the lifetime's length (a key made to live 30 days is replaced by one that
/// lives 30 days from now).
async fn issue_successor(
    tx: &mut sqlx::Transaction<'_, Any>,
    account: &ServiceAccount,
    old: &AnyRow,
    actor: &Actor,
    meta: &RequestMeta,
    now: i64,
    detail: &str,
) -> Result<NewToken, sqlx::Error> {
    let name: String = old.try_get("name")?;
    let old_six: String = old.try_get("last_six")?;
    let created_at: i64 = old.try_get("created_at")?;
    let expires_at: Option<i64> = old.try_get("expires_at")?;
    let options = credentials::KeyOptions {
        expires_at: expires_at.map(|at| now + (at - created_at).max(60)),
        allowed_cidrs: credentials::cidrs_from_column(old.try_get("allowed_cidrs")?),
    };
    let new = credentials::insert_token_with(
        tx,
        &account.org_id,
        TokenKind::ServiceAccount,
        &account.id,
        &name,
        actor,
        now,
        &options,
    )
    .await?;
    audit::record(
        &mut **tx,
        now,
        Some(actor),
        meta,
        "api_key.rotated",
        account.target(),
        Some(&format!(
            "key …{old_six} replaced by …{}{detail}",
            new.info.last_six
        )),
    )
    .await?;
    Ok(new)
}

/// The longest overlap of a rotation: seven days.
pub const MAX_GRACE_SECONDS: i64 = 7 * 86_400;

/// Overlapping rotation (owners): a new key for the same account, with the same name, networks
/// and lifetime, shown once; the old key keeps working for `grace_seconds` (0 to 7 days) and
/// then expires — so a deployment can switch without a moment when neither works.
pub async fn rotate_key_with_grace(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    key_id: &str,
    grace_seconds: i64,
) -> Result<NewToken, AppError> {
    actor.require_owner()?;
    if !(0..=MAX_GRACE_SECONDS).contains(&grace_seconds) {
        return Err(AppError::InvalidInput(format!(
            "grace_seconds: from 0 to {MAX_GRACE_SECONDS} (seven days)"
        )));
    }
    let now = clock.unix();
    let until = now + grace_seconds;
    let run = async {
        let mut tx = db.begin_write().await?;
        let old = sqlx::query(
            "SELECT owner_id, name, last_six, created_at, expires_at, allowed_cidrs FROM api_tokens \
             WHERE id = $1 AND org_id = $2 AND owner_kind = 'service_account' \
             AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(key_id)
        .bind(&actor.org_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = old else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        let owner_id: String = old.try_get("owner_id")?;
        // The account's lock orders this against revoke-all and deletion.
        let Some(account) = resolve_locked(&mut tx, &actor.org_id, &owner_id).await? else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        let previous: Option<i64> = old.try_get("expires_at")?;
        let old_until = previous.map_or(until, |at| at.min(until));
        let shortened = sqlx::query(
            "UPDATE api_tokens SET expires_at = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(old_until)
        .bind(key_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if shortened == 0 {
            return Ok(Outcome::Refused(AppError::NotFound));
        }
        let overlap =
            format!("; the old key works until {old_until} ({grace_seconds} s of overlap asked)");
        let new = issue_successor(&mut tx, &account, &old, actor, meta, now, &overlap).await?;
        tx.commit().await?;
        Ok(Outcome::Done(new))
    };
    finish(run.await, meta, "rotating a key")
}

pub async fn list_keys(
    db: &Db,
    actor: &Actor,
    meta: &RequestMeta,
    id_or_name: &str,
) -> Result<Vec<TokenInfo>, AppError> {
    actor.require_owner()?;
    let account = resolve(db.pool(), &actor.org_id, id_or_name)
        .await
        .map_err(|e| meta.internal("loading a service account", &e))?
        .ok_or(AppError::NotFound)?;
    credentials::list_active(db, TokenKind::ServiceAccount, &account.id)
        .await
        .map_err(|e| meta.internal("listing keys", &e))
}

/// "Revoke all keys": one transaction, under the account's lock. Returns how many.
pub async fn revoke_all_keys(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    id_or_name: &str,
) -> Result<u64, AppError> {
    actor.require_owner()?;
    let run = async {
        let mut tx = db.begin_write().await?;
        let Some(account) = resolve_locked(&mut tx, &actor.org_id, id_or_name).await? else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        // Read the time after taking the lock: every key committed before it is revoked.
        let now = clock.unix();
        let revoked = credentials::revoke_all(
            &mut *tx,
            TokenKind::ServiceAccount,
            &account.id,
            &actor.id,
            now,
        )
        .await?;
        audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "api_key.revoked_all",
            account.target(),
            Some(&format!("{revoked} keys revoked")),
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(revoked))
    };
    finish(run.await, meta, "revoking keys")
}

/// Revokes one key of the organization (a service account's or a person's).
pub async fn revoke_key(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    key_id: &str,
) -> Result<(), AppError> {
    actor.require_owner()?;
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        let row = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
             WHERE id = $3 AND org_id = $4 AND revoked_at IS NULL RETURNING owner_kind, owner_id, last_six",
        )
        .bind(now)
        .bind(&actor.id)
        .bind(key_id)
        .bind(&actor.org_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        let owner_kind: String = row.try_get("owner_kind")?;
        let owner_id: String = row.try_get("owner_id")?;
        let last_six: String = row.try_get("last_six")?;
        let target = Target {
            kind: if owner_kind == "user" {
                "user"
            } else {
                "service_account"
            },
            id: Some(&owner_id),
            email: None,
        };
        audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "api_key.revoked",
            target,
            Some(&format!("key …{last_six}")),
        )
        .await?;
        tx.commit().await?;
        Ok(Outcome::Done(()))
    };
    finish(run.await, meta, "revoking a key")
}

#[derive(Clone, Debug, Default)]
pub struct KeyQuery {
    /// Service-account email, exact or prefix.
    pub email: Option<String>,
    pub count: Option<u32>,
    pub paging_token: Option<String>,
    /// Only keys unused for at least this many days (never-used keys count from creation).
    pub unused_for_days: Option<u32>,
}

fn key_from_row(row: &AnyRow) -> Result<ApiKeyInfo, sqlx::Error> {
    Ok(ApiKeyInfo {
        id: row.try_get("id")?,
        owner_kind: row.try_get("owner_kind")?,
        owner_email: row.try_get("owner_email")?,
        name: row.try_get("name")?,
        last_six: row.try_get("last_six")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by_email")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_ip: row.try_get("last_used_ip")?,
        last_used_user_agent: row.try_get("last_used_user_agent")?,
        allowed_cidrs: credentials::cidrs_from_column(row.try_get("allowed_cidrs")?),
    })
}

/// The largest `unused_for_days` (a little over ten years).
const MAX_UNUSED_DAYS: u32 = 3660;

/// Every active key of the organization, newest first, optionally only those of service
/// accounts whose email matches (exactly or by prefix). Keyset-paged, so the last page of a
/// million keys costs what the first does.
pub async fn list_api_keys(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    query: &KeyQuery,
) -> Result<ApiKeyPage, AppError> {
    actor.require_owner()?;
    let count = paging::page_size(query.count)?;
    // A computed integer, inlined like the limit.
    let stale = match query.unused_for_days {
        Some(days) if days > MAX_UNUSED_DAYS => {
            return Err(AppError::InvalidInput(format!(
                "unused_for_days: at most {MAX_UNUSED_DAYS}"
            )))
        }
        Some(days) => format!(
            " AND COALESCE(t.last_used_at, t.created_at) < {}",
            clock.unix() - i64::from(days) * 86_400
        ),
        None => String::new(),
    };
    let (before_at, before_id) = match query.paging_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => match paging::decode(token, 2).as_deref() {
            Some([at, id]) => (
                at.parse::<i64>().map_err(|_| paging::bad_token())?,
                id.clone(),
            ),
            _ => return Err(paging::bad_token()),
        },
        None => (i64::MAX, String::new()),
    };
    // A complete address is matched exactly (indexed); anything else is a prefix.
    let raw_email = query
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    let exact = raw_email.contains('@') && raw_email.ends_with(".serviceaccount.com");
    let range = !exact && !raw_email.is_empty();
    let email = raw_email.clone();
    // A row-value comparison, so both backends seek the live-keys index to the page start
    // (the first page starts before (i64::MAX, "")). The limit is a literal (a validated
    // number): with `LIMIT $n` a generic PostgreSQL plan assumes a large result and picks a
    // parallel plan for what is a 51-row index walk.
    let keyset = format!(
        "t.revoked_at IS NULL AND (t.created_at, t.id) < ($2, $3){stale} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT {}",
        count + 1
    );
    let columns = "t.id, t.owner_kind, t.owner_id, t.name, t.last_six, t.created_at, \
                   t.created_by_email, t.last_used_at, t.expires_at, t.last_used_ip, \
                   t.last_used_user_agent, t.allowed_cidrs";
    let sql = if email.is_empty() {
        // The page of keys first — a backward walk of the live-keys index, fenced so no
        // statistics can make it a join over every key — then only its rows' owners.
        format!(
            "WITH page AS MATERIALIZED (SELECT {columns} FROM api_tokens t \
               WHERE t.org_id = $1 AND $4 = '' AND {keyset}) \
             SELECT page.*, COALESCE(sa.email, u.email) AS owner_email FROM page \
             LEFT JOIN service_accounts sa ON page.owner_kind = 'service_account' AND sa.id = page.owner_id \
             LEFT JOIN users u ON page.owner_kind = 'user' AND u.id = page.owner_id \
             ORDER BY page.created_at DESC, page.id DESC"
        )
    } else {
        // A prefix is a byte range [prefix, prefix+1) on the indexed email — on PostgreSQL in
        // the "C" collation, which its index uses (created at start-up): a range with bound
        // parameters stays an index scan in a generic plan, where `LIKE $n` cannot.
        let account_filter = match (exact, db.backend()) {
            (true, _) => "sa.email = $4",
            (false, Backend::Sqlite) => "sa.email >= $4 AND sa.email < $5",
            (false, Backend::Postgres) => {
                "sa.email COLLATE \"C\" >= $4 AND sa.email COLLATE \"C\" < $5"
            }
        };
        // Driven from the matching accounts, then their keys by the owner index — not by
        // walking every live key of the organization in date order until enough match. The
        // accounts are a MATERIALIZED CTE (an optimization fence: PostgreSQL reorders joins
        // freely; SQLite honours it too).
        format!(
            "WITH sa AS MATERIALIZED (SELECT sa.id, sa.email FROM service_accounts sa \
               WHERE sa.org_id = $1 AND {account_filter}) \
             SELECT {columns}, sa.email AS owner_email \
             FROM sa CROSS JOIN api_tokens t \
             WHERE t.owner_kind = 'service_account' AND t.owner_id = sa.id AND {keyset}"
        )
    };
    let (_, range_end) = prefix_range(&raw_email);
    let mut statement = sqlx::query(&sql)
        .bind(&actor.org_id)
        .bind(before_at)
        .bind(&before_id)
        .bind(&email);
    if range {
        statement = statement.bind(&range_end);
    }
    let rows = statement
        .fetch_all(db.pool())
        .await
        .map_err(|e| meta.internal("listing keys", &e))?;
    let results = rows
        .iter()
        .take(count as usize)
        .map(key_from_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| meta.internal("reading a key", &e))?;
    let next_paging_token = (rows.len() > count as usize)
        .then(|| {
            results
                .last()
                .map(|k| paging::encode(&[&k.created_at.to_string(), &k.id]))
        })
        .flatten();
    Ok(ApiKeyPage {
        results,
        next_paging_token,
    })
}

/// The half-open byte range of strings starting with `prefix` (ASCII; anything else gets a
/// range that matches nothing, and the filter falls back to matching nothing rather than all).
fn prefix_range(prefix: &str) -> (String, String) {
    let mut end = prefix.as_bytes().to_vec();
    match end.last_mut() {
        Some(last) if last.is_ascii() && *last < 0x7e => {
            *last += 1;
            (
                prefix.to_string(),
                String::from_utf8_lossy(&end).into_owned(),
            )
        }
        _ => (prefix.to_string(), prefix.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_cover_exactly_the_prefix() {
        assert_eq!(prefix_range("etl-"), ("etl-".into(), "etl.".into()));
        let (a, b) = prefix_range("sa-0050000@");
        assert!(
            a.as_str() <= "sa-0050000@org-x.serviceaccount.com"
                && "sa-0050000@org-x.serviceaccount.com" < b.as_str()
        );
        let outside = "sa-00500000@x";
        assert!(!(outside >= a.as_str() && outside < b.as_str()));
    }

    #[test]
    fn names_follow_the_rules_and_errors_say_which_failed() {
        for ok in ["a", "etl-prod", "model-serving-2", &"a".repeat(63)] {
            assert_eq!(parse_name(ok).unwrap(), ok);
        }
        let cases = [
            ("", "must not be empty"),
            ("   ", "must not be empty"),
            (&"a".repeat(64) as &str, "at most 63"),
            ("ETL", "only lowercase letters, digits and hyphens ('E'"),
            ("etl_prod", "('_' is not allowed)"),
            ("etl prod", "(' ' is not allowed)"),
            ("9lives", "must start with a lowercase letter"),
            ("-dash", "must start with a lowercase letter"),
            ("é", "('é' is not allowed)"),
        ];
        for (name, why) in cases {
            let err = parse_name(name).unwrap_err().to_string();
            assert!(err.starts_with("name: "), "{err}");
            assert!(err.contains(why), "{name:?}: {err:?} should say {why:?}");
        }
    }

    #[test]
    fn emails_name_the_organization() {
        assert_eq!(
            email_for("etl", "2b2f0c9d41e8a7b6c5d4"),
            "etl@org-2b2f0c9d41e8a7b6c5d4.serviceaccount.com"
        );
    }
}

/// Which keys an emergency revoke takes: all conditions hold together.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeyFilter {
    /// Keys created strictly before this Unix time.
    pub created_before: Option<i64>,
    /// Keys created by this person or service account (email, case-insensitive).
    pub created_by: Option<String>,
    pub kind: crate::model::KeyKind,
}

impl KeyFilter {
    /// A filter that names nothing would take every key of the organisation: say so explicitly
    /// with `kind: all` plus another condition, or pick a kind.
    fn check(&self) -> Result<(), AppError> {
        if self.created_before.is_none()
            && self.created_by.is_none()
            && self.kind == crate::model::KeyKind::All
        {
            return Err(AppError::InvalidInput(
                "name at least one condition: created_before, created_by, or a kind other than all"
                    .into(),
            ));
        }
        if let Some(email) = &self.created_by {
            if email.trim().is_empty() || email.len() > 320 {
                return Err(AppError::InvalidInput(
                    "created_by must be an email address".into(),
                ));
            }
        }
        Ok(())
    }

    /// `WHERE` conditions after `org_id = $1 AND revoked_at IS NULL`, binding from `$first`.
    fn conditions(&self, first: usize) -> (String, Vec<FilterValue>) {
        let mut sql = String::new();
        let mut values = Vec::new();
        let mut n = first;
        if let Some(before) = self.created_before {
            sql.push_str(&format!(" AND created_at < ${n}"));
            values.push(FilterValue::Int(before));
            n += 1;
        }
        if let Some(email) = &self.created_by {
            sql.push_str(&format!(" AND LOWER(created_by_email) = ${n}"));
            values.push(FilterValue::Text(email.trim().to_lowercase()));
        }
        match self.kind {
            crate::model::KeyKind::User => sql.push_str(" AND owner_kind = 'user'"),
            crate::model::KeyKind::ServiceAccount => {
                sql.push_str(" AND owner_kind = 'service_account'")
            }
            crate::model::KeyKind::All => {}
        }
        (sql, values)
    }
}

enum FilterValue {
    Int(i64),
    Text(String),
}

/// Binds a filter's values, in order, after what the query already binds.
fn bind_filter<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    values: &'q [FilterValue],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for v in values {
        query = match v {
            FilterValue::Int(i) => query.bind(*i),
            FilterValue::Text(t) => query.bind(t.as_str()),
        };
    }
    query
}

/// Emergency revoke: every live key of the organisation that matches `filter` (personal
/// tokens and service-account keys alike), in one transaction with one audit row naming the
/// filter and the count. With `dry_run`, only counts. Returns the count.
pub async fn revoke_matching(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    filter: &KeyFilter,
    dry_run: bool,
) -> Result<u64, AppError> {
    actor.require_owner()?;
    filter.check()?;
    let (conditions, values) = filter.conditions(if dry_run { 2 } else { 4 });
    let run = async {
        let mut tx = db.begin_write().await?;
        let now = clock.unix();
        let count = if dry_run {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM api_tokens WHERE org_id = $1 AND revoked_at IS NULL{conditions}"
            );
            let mut query = sqlx::query(&sql).bind(&actor.org_id);
            query = bind_filter(query, &values);
            let n: i64 = query.fetch_one(&mut *tx).await?.try_get("n")?;
            u64::try_from(n).unwrap_or(0)
        } else {
            let sql = format!(
                "UPDATE api_tokens SET revoked_at = $2, revoked_by = $3 \
                 WHERE org_id = $1 AND revoked_at IS NULL{conditions}"
            );
            let mut query = sqlx::query(&sql)
                .bind(&actor.org_id)
                .bind(now)
                .bind(&actor.id);
            query = bind_filter(query, &values);
            let revoked = query.execute(&mut *tx).await?.rows_affected();
            let described = serde_json::to_string(filter).unwrap_or_default();
            audit::record(
                &mut *tx,
                now,
                Some(actor),
                meta,
                "api_key.revoked_matching",
                Target {
                    kind: "organization",
                    id: Some(&actor.org_id),
                    email: None,
                },
                Some(&format!("{revoked} keys revoked matching {described}")),
            )
            .await?;
            revoked
        };
        tx.commit().await?;
        Ok(Outcome::Done(count))
    };
    finish(run.await, meta, "revoking matching keys")
}
