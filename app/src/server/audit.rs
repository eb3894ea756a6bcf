//! The audit log: time, actor (and which token, by last six), action, target, source IP and
//! request id, for every credential and membership change and every sign-in.
use super::actor::{Actor, RequestMeta};
use sqlx::{Any, Executor};

pub struct Target<'a> {
    pub kind: &'a str,
    pub id: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub fn user(id: &'a str, email: &'a str) -> Self {
        Target {
            kind: "user",
            id: Some(id),
            email: Some(email),
        }
    }
}

pub async fn record<'e, E>(
    executor: E,
    now: i64,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    action: &str,
    target: Target<'_>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    write(executor, now, actor, meta, action, target, detail, false).await
}

/// Refusals that can arrive by the thousand (refused sign-ins, a key used from outside its
/// networks) are kept as one row per action, source address, target and minute
/// (`repeat_count` counts them), so a flood adds rows at the rate the rate limits allow
/// addresses, not at the rate it sends requests. The row keeps the first refusal's actor,
/// request id and detail.
pub async fn record_repeated<'e, E>(
    executor: E,
    now: i64,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    action: &str,
    target: Target<'_>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    write(executor, now, actor, meta, action, target, detail, true).await
}

/// A refused sign-in (see [`record_repeated`]); `reason` says why.
pub async fn record_refused_signin<'e, E>(
    executor: E,
    now: i64,
    meta: &RequestMeta,
    reason: &str,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let target = Target {
        kind: "user",
        id: None,
        email: None,
    };
    record_repeated(
        executor,
        now,
        None,
        meta,
        "signin.refused",
        target,
        Some(reason),
    )
    .await
}

/// One audit row; with `repeated`, the row of this action, address, target and minute, or one
/// more on its count.
#[allow(clippy::too_many_arguments)]
async fn write<'e, E>(
    executor: E,
    now: i64,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    action: &str,
    target: Target<'_>,
    detail: Option<&str>,
    repeated: bool,
) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let (id, on_conflict) = if repeated {
        let minute = now.div_euclid(60);
        let source = meta.source_ip.as_deref().unwrap_or("unknown");
        let key = format!("{action}\n{source}\n{}", target.id.unwrap_or_default());
        (
            format!(
                "aud_rep_{minute}_{}",
                &super::tokens::hash_token(&key)[..24]
            ),
            " ON CONFLICT (id) DO UPDATE SET repeat_count = audit_events.repeat_count + 1",
        )
    } else {
        (format!("aud_{}", uuid::Uuid::new_v4().simple()), "")
    };
    sqlx::query(&format!(
        "INSERT INTO audit_events (id, at, actor_kind, actor_id, actor_email, actor_token, action, \
         target_kind, target_id, target_email, source_ip, request_id, detail, repeat_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1){on_conflict}"
    ))
    .bind(id)
    .bind(now)
    .bind(actor.map_or("anonymous", |a| a.kind.as_str()))
    .bind(actor.map(|a| a.id.clone()))
    .bind(actor.map(|a| a.email.clone()))
    .bind(actor.and_then(|a| a.token.as_ref().map(|(_, last_six)| last_six.clone())))
    .bind(action)
    .bind(target.kind)
    .bind(target.id)
    .bind(target.email)
    .bind(meta.source_ip.clone())
    .bind(meta.request_id.clone())
    .bind(detail)
    .execute(executor)
    .await?;
    Ok(())
}

/// Audit rows, newest first, optionally only those whose actor or target email starts with
/// `email`. Owner-only.
pub async fn list(
    db: &super::db::Db,
    actor: &Actor,
    meta: &RequestMeta,
    email: Option<&str>,
    paging_token: Option<&str>,
) -> Result<crate::model::AuditPage, crate::error::AppError> {
    use super::paging;
    use crate::error::AppError;
    use crate::model::{AuditEntry, AuditPage};
    use sqlx::Row;
    actor.require_owner()?;
    const PAGE: i64 = 50;
    let (before_at, before_id) = match paging_token.filter(|t| !t.is_empty()) {
        Some(token) => match paging::decode(token, 2).as_deref() {
            Some([at, id]) => (
                at.parse::<i64>().map_err(|_| {
                    AppError::InvalidInput("paging_token: not a paging token".into())
                })?,
                id.clone(),
            ),
            _ => {
                return Err(AppError::InvalidInput(
                    "paging_token: not a paging token".into(),
                ))
            }
        },
        None => (i64::MAX, String::new()),
    };
    let email = email
        .map(|e| paging::like_pattern(e, true))
        .unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, at, actor_kind, actor_email, actor_token, action, target_kind, target_id, target_email, \
           source_ip, request_id, detail, repeat_count FROM audit_events \
         WHERE (at < $1 OR (at = $1 AND ($2 = '' OR id < $2))) \
           AND ($3 = '' OR LOWER(actor_email) LIKE $3 ESCAPE '\\' OR LOWER(target_email) LIKE $3 ESCAPE '\\') \
         ORDER BY at DESC, id DESC LIMIT $4",
    )
    .bind(before_at)
    .bind(&before_id)
    .bind(&email)
    .bind(PAGE + 1)
    .fetch_all(db.pool())
    .await
    .map_err(|e| meta.internal("listing audit rows", &e))?;
    let mut results = Vec::new();
    let mut last_key = None;
    for row in rows.iter().take(PAGE as usize) {
        let entry = (|| {
            let actor_kind: String = row.try_get("actor_kind")?;
            let actor_email: Option<String> = row.try_get("actor_email")?;
            let target_email: Option<String> = row.try_get("target_email")?;
            let target_id: Option<String> = row.try_get("target_id")?;
            let at: i64 = row.try_get("at")?;
            let id: String = row.try_get("id")?;
            let detail: Option<String> = row.try_get("detail")?;
            let repeat_count: i64 = row.try_get("repeat_count")?;
            let detail = match (detail, repeat_count) {
                (d, n) if n <= 1 => d,
                (Some(d), n) => Some(format!("{d} (and {} more that minute)", n - 1)),
                (None, n) => Some(format!("{n} times that minute")),
            };
            last_key = Some((at, id));
            Ok::<_, sqlx::Error>(AuditEntry {
                at,
                actor: actor_email.unwrap_or(actor_kind),
                actor_token: row.try_get("actor_token")?,
                action: row.try_get("action")?,
                target: target_email.or(target_id),
                source_ip: row.try_get("source_ip")?,
                request_id: row.try_get("request_id")?,
                detail,
            })
        })()
        .map_err(|e| meta.internal("reading an audit row", &e))?;
        results.push(entry);
    }
    let next_paging_token = if rows.len() > PAGE as usize {
        last_key.map(|(at, id)| paging::encode(&[&at.to_string(), &id]))
    } else {
        None
    };
    Ok(AuditPage {
        results,
        next_paging_token,
    })
}
