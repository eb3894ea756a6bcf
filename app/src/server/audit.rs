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
    sqlx::query(
        "INSERT INTO audit_events (id, at, actor_kind, actor_id, actor_email, actor_token, action, \
         target_kind, target_id, target_email, source_ip, request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(format!("aud_{}", uuid::Uuid::new_v4().simple()))
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
