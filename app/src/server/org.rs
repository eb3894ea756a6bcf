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
pub async fn ensure_organization(
    db: &Db,
    configured_id: Option<&str>,
    name: &str,
    now: i64,
) -> Result<Organization, OrgError> {
    let existing = sqlx::query("SELECT id, name FROM organizations ORDER BY created_at LIMIT 1")
        .fetch_optional(db.pool())
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
                .execute(db.pool())
                .await?;
        }
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
        .execute(db.pool())
        .await?;
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
