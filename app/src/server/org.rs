//! The organization this deployment serves: one row, created on first start.
use super::db::Db;
use super::ids;
use sqlx::Row;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub name: String,
}

/// Loads the organization, creating it on first start. A configured id or name wins over
/// what is stored (the name is updated; a different configured id is an error, because ids
/// end up in service-account emails and must never silently change).
/// The advisory-lock key that serialises organisation set-up across replicas.
const ORG_SETUP_LOCK: i64 = 7_406_114_225_961_730;

pub async fn ensure_organization(
    db: &Db,
    configured_id: Option<&str>,
    name: &str,
    now: i64,
) -> Result<Organization, OrgError> {
    // Replicas starting together on an empty database: one creates the organisation, the
    // others wait for the lock and then find it.
    let mut tx = db.begin_exclusive(ORG_SETUP_LOCK).await?;
    let existing = sqlx::query("SELECT id, name FROM organizations ORDER BY created_at LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = existing {
        let id: String = row.try_get("id")?;
        if let Some(wanted) = configured_id {
            if wanted != id {
                return Err(OrgError::IdMismatch {
                    stored: id,
                    configured: wanted.to_string(),
                });
            }
        }
        let stored_name: String = row.try_get("name")?;
        if stored_name != name {
            sqlx::query("UPDATE organizations SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        return Ok(Organization {
            id,
            name: name.to_string(),
        });
    }
    let id = configured_id
        .map(str::to_string)
        .unwrap_or_else(ids::new_org_id);
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Organization {
        id,
        name: name.to_string(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error(
        "GATEHOUSE_ORG_ID is {configured:?} but this database belongs to organization {stored:?}"
    )]
    IdMismatch { stored: String, configured: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// The longest organisation maximum for personal tokens, in days.
pub const MAX_TOKEN_DAYS: i64 = 3650;

/// The maximum lifetime of personal tokens: the configured one
/// (`GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS`) wins over the one owners set in the console.
pub async fn token_policy(
    db: &Db,
    org_id: &str,
    configured: Option<i64>,
) -> Result<crate::model::TokenPolicy, sqlx::Error> {
    if let Some(days) = configured {
        return Ok(crate::model::TokenPolicy {
            personal_token_max_days: Some(days),
            set_by_configuration: true,
        });
    }
    let row = sqlx::query("SELECT personal_token_max_days FROM organizations WHERE id = $1")
        .bind(org_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(crate::model::TokenPolicy {
        personal_token_max_days: match row {
            Some(row) => row.try_get("personal_token_max_days")?,
            None => None,
        },
        set_by_configuration: false,
    })
}

/// Owners set (or clear, with `None`) the maximum lifetime of personal tokens. Tokens that
/// exist keep their expiry; the maximum applies to tokens created from now on.
pub async fn set_token_policy(
    db: &Db,
    clock: &super::clock::Clock,
    actor: &super::actor::Actor,
    meta: &super::actor::RequestMeta,
    configured: Option<i64>,
    max_days: Option<i64>,
) -> Result<crate::model::TokenPolicy, crate::error::AppError> {
    use crate::error::AppError;
    actor.require_owner()?;
    if configured.is_some() {
        return Err(AppError::InvalidInput(
            "the maximum is set by GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS; change the configuration"
                .into(),
        ));
    }
    if let Some(days) = max_days {
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(AppError::InvalidInput(format!(
                "personal_token_max_days: from 1 to {MAX_TOKEN_DAYS}, or null for no maximum"
            )));
        }
    }
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        sqlx::query("UPDATE organizations SET personal_token_max_days = $1 WHERE id = $2")
            .bind(max_days)
            .bind(&actor.org_id)
            .execute(&mut *tx)
            .await?;
        super::audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "org.token_policy_changed",
            super::audit::Target {
                kind: "organization",
                id: Some(&actor.org_id),
                email: None,
            },
            Some(&match max_days {
                Some(d) => format!("personal tokens live at most {d} days"),
                None => "no maximum lifetime for personal tokens".to_string(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    };
    run.await
        .map_err(|e| meta.internal("changing the token policy", &e))?;
    Ok(crate::model::TokenPolicy {
        personal_token_max_days: max_days,
        set_by_configuration: false,
    })
}

/// The maximum lifetime in days that applies to personal tokens issued now, if any.
pub async fn max_token_days(
    state: &super::state::AppState,
    meta: &super::actor::RequestMeta,
) -> Result<Option<i64>, crate::error::AppError> {
    token_policy(&state.db, &state.org.id, state.personal_token_max_days)
        .await
        .map(|p| p.personal_token_max_days)
        .map_err(|e| meta.internal("reading the token policy", &e))
}
