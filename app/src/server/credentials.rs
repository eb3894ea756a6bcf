//! API tokens: issuing, listing, revoking and authenticating. Personal CLI tokens now;
//! service-account keys use the same functions with another [`TokenKind`].
use super::actor::{Actor, ActorKind, RequestMeta};
use super::audit::{self, Target};
use super::clock::Clock;
use super::db::Db;
use super::token_lookup::{LookupError, TokenLookup};
use super::tokens::{self, SecretToken, TokenKind};
use super::users::User;
use crate::error::AppError;
use crate::model::{NewToken, Role, TokenInfo};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

pub const MAX_TOKEN_NAME_LEN: usize = 100;
/// `last_used_at` is written at most this often per token, to keep reads cheap.
const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

/// Checks a token name; empty means "use the default".
pub fn token_name(raw: Option<&str>, default: &str) -> Result<String, AppError> {
    let name = raw.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Ok(default.to_string());
    }
    if name.chars().count() > MAX_TOKEN_NAME_LEN {
        return Err(AppError::InvalidInput(format!(
            "name: at most {MAX_TOKEN_NAME_LEN} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::InvalidInput(
            "name: control characters are not allowed".into(),
        ));
    }
    Ok(name.to_string())
}

/// The columns every token listing reads (prefix them with the table alias where joined).
pub const TOKEN_COLUMNS: &str = "id, name, last_six, created_at, last_used_at, expires_at, \
     last_used_ip, last_used_user_agent, allowed_cidrs";

/// The stored allow-list (`"10.0.0.0/8,2001:db8::/32"`) as a list.
pub fn cidrs_from_column(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub fn info_from_row(row: &AnyRow) -> Result<TokenInfo, sqlx::Error> {
    Ok(TokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        last_six: row.try_get("last_six")?,
        created_at: row.try_get("created_at")?,
        last_used_at: row.try_get("last_used_at")?,
        expires_at: row.try_get("expires_at")?,
        last_used_ip: row.try_get("last_used_ip")?,
        last_used_user_agent: row.try_get("last_used_user_agent")?,
        allowed_cidrs: cidrs_from_column(row.try_get("allowed_cidrs")?),
    })
}

/// What a new key may carry besides its name: an expiry and networks it may be used from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyOptions {
    pub expires_at: Option<i64>,
    /// Normalised CIDRs (see [`crate::model::parse_cidrs`]); empty: anywhere.
    pub allowed_cidrs: Vec<String>,
}

/// The longest an expiry may be set into the future: ten years.
const MAX_EXPIRY_SECONDS: i64 = 10 * 365 * 86_400;

impl KeyOptions {
    /// Checks what a caller asked for: an expiry in the future (at most ten years away, and
    /// within `max_days` when a maximum applies), and well-formed networks.
    pub fn checked(
        expires_at: Option<i64>,
        allowed_cidrs: &[String],
        max_days: Option<i64>,
        now: i64,
    ) -> Result<KeyOptions, AppError> {
        if let Some(at) = expires_at {
            if at <= now {
                return Err(AppError::InvalidInput(
                    "expires_at: must be in the future".into(),
                ));
            }
            if at - now > MAX_EXPIRY_SECONDS {
                return Err(AppError::InvalidInput(
                    "expires_at: at most ten years from now (or no expiry)".into(),
                ));
            }
        }
        if let Some(days) = max_days {
            match expires_at {
                Some(at) if at - now <= days * 86_400 => {}
                _ => {
                    return Err(AppError::InvalidInput(format!(
                        "expires_at: this organization's personal tokens live at most {days} days; \
                         choose an expiry within {days} days"
                    )))
                }
            }
        }
        let allowed_cidrs = crate::model::parse_cidrs(allowed_cidrs)
            .map_err(|e| AppError::InvalidInput(format!("allowed_cidrs: {e}")))?;
        Ok(KeyOptions {
            expires_at,
            allowed_cidrs,
        })
    }
}

/// Inserts a new token for `owner_id`; the plaintext is returned once and never stored.
pub async fn insert_token(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
    kind: TokenKind,
    owner_id: &str,
    name: &str,
    created_by: &Actor,
    now: i64,
) -> Result<NewToken, sqlx::Error> {
    insert_token_with(
        tx,
        org_id,
        kind,
        owner_id,
        name,
        created_by,
        now,
        &KeyOptions::default(),
    )
    .await
}

/// [`insert_token`] with an expiry and network allow-list.
#[allow(clippy::too_many_arguments)]
pub async fn insert_token_with(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
    kind: TokenKind,
    owner_id: &str,
    name: &str,
    created_by: &Actor,
    now: i64,
    options: &KeyOptions,
) -> Result<NewToken, sqlx::Error> {
    let secret = SecretToken::generate(kind);
    let id = format!("tok_{}", uuid::Uuid::new_v4().simple());
    let cidrs = (!options.allowed_cidrs.is_empty()).then(|| options.allowed_cidrs.join(","));
    sqlx::query(
        "INSERT INTO api_tokens (id, org_id, owner_kind, owner_id, name, token_hash, last_six, \
         created_at, created_by, created_by_email, expires_at, allowed_cidrs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(kind.owner_kind())
    .bind(owner_id)
    .bind(name)
    .bind(secret.hash())
    .bind(secret.last_six())
    .bind(now)
    .bind(&created_by.id)
    .bind(&created_by.email)
    .bind(options.expires_at)
    .bind(cidrs)
    .execute(&mut **tx)
    .await?;
    Ok(NewToken {
        token: secret.expose().to_string(),
        info: TokenInfo {
            id,
            name: name.to_string(),
            last_six: secret.last_six(),
            created_at: now,
            last_used_at: None,
            expires_at: options.expires_at,
            last_used_ip: None,
            last_used_user_agent: None,
            allowed_cidrs: options.allowed_cidrs.clone(),
        },
    })
}

/// Revokes every active token of an owner; returns how many.
pub async fn revoke_all<'e, E>(
    executor: E,
    kind: TokenKind,
    owner_id: &str,
    revoked_by: &str,
    now: i64,
) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    Ok(sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
         WHERE owner_kind = $3 AND owner_id = $4 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(revoked_by)
    .bind(kind.owner_kind())
    .bind(owner_id)
    .execute(executor)
    .await?
    .rows_affected())
}

pub async fn list_active(
    db: &Db,
    kind: TokenKind,
    owner_id: &str,
) -> Result<Vec<TokenInfo>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens \
         WHERE owner_kind = $1 AND owner_id = $2 AND revoked_at IS NULL \
         ORDER BY created_at DESC, id"
    ))
    .bind(kind.owner_kind())
    .bind(owner_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(info_from_row)
    .collect()
}

/// Creates a personal token for the actor, expiring at `expires_at` (or never). With an
/// organisation maximum (`max_days`), an expiry within it is required.
pub async fn create_own_token(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    name: Option<&str>,
    expires_at: Option<i64>,
    max_days: Option<i64>,
) -> Result<NewToken, AppError> {
    let name = token_name(name, "CLI token")?;
    let now = clock.unix();
    let options = KeyOptions::checked(expires_at, &[], max_days, now)?;
    let run = async {
        let mut tx = db.begin_write().await?;
        let new = insert_token_with(
            &mut tx,
            &actor.org_id,
            TokenKind::User,
            &actor.id,
            &name,
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
            "token.created",
            Target::user(&actor.id, &actor.email),
            Some(&format!("token …{}", new.info.last_six)),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(new)
    };
    run.await.map_err(|e| meta.internal("creating a token", &e))
}

/// "Revoke all credentials" / rotate key: in one transaction, revoke every active token of
/// `target` and issue one new token. Either both happen or neither does.
/// Revokes every token of `target` and issues one new token (which, under an organisation
/// maximum of `max_days`, expires after that many days).
pub async fn rotate_user_key(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    target: &User,
    max_days: Option<i64>,
) -> Result<NewToken, AppError> {
    if actor.id != target.id {
        actor.require_owner()?;
    }
    let now = clock.unix();
    let name = if actor.id == target.id {
        "Rotated CLI token".to_string()
    } else {
        format!("Rotated by {}", actor.email)
    };
    let run = async {
        let mut tx = db.begin_write().await?;
        let revoked = revoke_all(&mut *tx, TokenKind::User, &target.id, &actor.id, now).await?;
        let options = KeyOptions {
            expires_at: max_days.map(|d| now + d * 86_400),
            allowed_cidrs: Vec::new(),
        };
        let new = insert_token_with(
            &mut tx,
            &target.org_id,
            TokenKind::User,
            &target.id,
            &name,
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
            "token.rotated",
            Target::user(&target.id, &target.email),
            Some(&format!("revoked {revoked}, issued …{}", new.info.last_six)),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(new)
    };
    run.await.map_err(|e| meta.internal("rotating a key", &e))
}

/// Authentication could not be decided (the database failed): 503 when it is unreachable,
/// else 500 — never a 401.
#[derive(Debug, thiserror::Error)]
pub enum AuthenticateError {
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("recording the token's last use: {0}")]
    Database(#[from] sqlx::Error),
}

/// Why a bearer token was not accepted. All are answered 401; the last two say why.
#[derive(Debug, PartialEq, Eq)]
pub enum BearerRefusal {
    Missing,
    Malformed,
    UnknownOrRevoked,
    Expired {
        at: i64,
    },
    /// The key is limited to networks the client is not in.
    SourceNotAllowed {
        actor: Box<Actor>,
    },
}

/// Where a request came from, for allow-lists and "last used".
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub ip: Option<std::net::IpAddr>,
    pub user_agent: Option<&'a str>,
}

/// The most of a user agent we keep.
const MAX_USER_AGENT: usize = 200;

/// Authenticates a raw bearer token: format and checksum first (no database hit for
/// garbage), then an indexed lookup by hash (batched with concurrent requests, never cached:
/// see [`TokenLookup`]), so a revoked token fails on the very next request on every replica.
/// An expired key, or one used from outside its networks, is refused; a good one records when,
/// from where and with what client it was used — at most once a minute.
pub async fn authenticate(
    lookup: &TokenLookup,
    db: &Db,
    clock: &Clock,
    raw: Option<&str>,
    client: Client<'_>,
) -> Result<Result<Actor, BearerRefusal>, AuthenticateError> {
    let Some(raw) = raw else {
        return Ok(Err(BearerRefusal::Missing));
    };
    let Some(parsed) = tokens::parse(raw) else {
        return Ok(Err(BearerRefusal::Malformed));
    };
    let Some(record) = lookup.find(parsed.hash()).await? else {
        return Ok(Err(BearerRefusal::UnknownOrRevoked));
    };
    let (Some(email), Some(role), Some(org_id)) =
        (record.owner_email, record.owner_role, record.owner_org)
    else {
        // The owner was removed or deleted.
        return Ok(Err(BearerRefusal::UnknownOrRevoked));
    };
    let kind = match record.owner_kind.as_str() {
        "user" => ActorKind::User,
        "service_account" => ActorKind::ServiceAccount,
        _ => return Ok(Err(BearerRefusal::UnknownOrRevoked)),
    };
    let now = clock.unix();
    if let Some(at) = record.expires_at.filter(|at| *at <= now) {
        return Ok(Err(BearerRefusal::Expired { at }));
    }
    let token_id = record.token_id;
    let actor = Actor {
        kind,
        id: record.owner_id,
        email,
        role: Role::parse(&role).unwrap_or(Role::Collaborator),
        org_id,
        token: Some((token_id.clone(), record.last_six)),
    };
    if let Some(cidrs) = record.allowed_cidrs.as_deref().filter(|c| !c.is_empty()) {
        let allowed = client.ip.is_some_and(|ip| {
            cidrs
                .split(',')
                .filter_map(|c| crate::model::Cidr::parse(c).ok())
                .any(|net| net.contains(ip))
        });
        if !allowed {
            return Ok(Err(BearerRefusal::SourceNotAllowed {
                actor: Box::new(actor),
            }));
        }
    }
    if record
        .last_used_at
        .is_none_or(|t| now - t >= LAST_USED_GRANULARITY_SECONDS)
    {
        let agent = client.user_agent.map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT)
                .collect::<String>()
        });
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1, last_used_ip = $2, last_used_user_agent = $3 \
             WHERE id = $4",
        )
        .bind(now)
        .bind(client.ip.map(|ip| ip.to_string()))
        .bind(agent)
        .bind(&token_id)
        .execute(db.pool())
        .await?;
    }
    Ok(Ok(actor))
}
