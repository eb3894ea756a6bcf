//! The organization's members: listing (filtered, keyset-paged), changing roles and removing
//! people. Changes are owner-only and keep at least one owner.
use super::actor::{Actor, RequestMeta};
use super::audit::{self, Target};
use super::clock::Clock;
use super::credentials;
use super::db::Db;
use super::paging;
use super::tokens::TokenKind;
use super::users::{self, User};
use crate::error::AppError;
use crate::model::{Member, MemberPage, RemovedMember, Role};
use sqlx::{Any, Row};

#[derive(Clone, Debug, Default)]
pub struct MemberQuery {
    /// Email prefix, case-insensitive.
    pub email: Option<String>,
    /// Substring of the display name, case-insensitive.
    pub name: Option<String>,
    pub is_service_account: Option<bool>,
    pub count: Option<u32>,
    pub paging_token: Option<String>,
}

/// User ids are `usr_` and 32 lower-case hex digits.
pub fn parse_user_id(raw: &str) -> Result<&str, AppError> {
    let ok = raw.len() == 36
        && raw.starts_with("usr_")
        && raw[4..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if ok {
        Ok(raw)
    } else {
        Err(AppError::InvalidInput(format!(
            "user_id: {raw:?} is not a user id (usr_…)"
        )))
    }
}

fn member_of(user: &User) -> Member {
    Member {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.display_name.clone(),
        role: user.role,
        is_service_account: false,
        created_at: user.created_at,
        last_sign_in_at: user.last_sign_in_at,
    }
}

pub async fn list(
    db: &Db,
    org_id: &str,
    query: &MemberQuery,
    meta: &RequestMeta,
) -> Result<MemberPage, AppError> {
    let count = paging::page_size(query.count)?;
    let (after_email, after_id) =
        match paging::decode_optional(query.paging_token.as_deref(), 2)?.as_deref() {
            Some([email, id]) => (email.clone(), id.clone()),
            _ => (String::new(), String::new()),
        };
    let email = query
        .email
        .as_deref()
        .map(|e| paging::like_pattern(e, true))
        .unwrap_or_default();
    let name = query
        .name
        .as_deref()
        .map(|n| paging::like_pattern(n, false))
        .unwrap_or_default();
    // -1: both kinds; 0: people only; 1: service accounts only.
    let kind = match query.is_service_account {
        None => -1i64,
        Some(false) => 0,
        Some(true) => 1,
    };
    let rows = sqlx::query(
        "SELECT id, email, display_name, role, created_at, last_sign_in_at, is_sa FROM ( \
           SELECT id, org_id, email, display_name, role, created_at, last_sign_in_at, 0 AS is_sa FROM users \
           UNION ALL \
           SELECT id, org_id, email, name AS display_name, role, created_at, NULL AS last_sign_in_at, 1 AS is_sa \
           FROM service_accounts \
         ) m \
         WHERE org_id = $1 \
           AND ($2 = -1 OR is_sa = $2) \
           AND ($3 = '' OR LOWER(email) LIKE $3 ESCAPE '\\') \
           AND ($4 = '' OR LOWER(display_name) LIKE $4 ESCAPE '\\') \
           AND (email > $5 OR (email = $5 AND id > $6)) \
         ORDER BY email, id LIMIT $7",
    )
    .bind(org_id)
    .bind(kind)
    .bind(&email)
    .bind(&name)
    .bind(&after_email)
    .bind(&after_id)
    .bind(i64::from(count) + 1)
    .fetch_all(db.pool())
    .await
    .map_err(|e| meta.internal("listing members", &e))?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows.iter().take(count as usize) {
        let member = (|| {
            let role: String = row.try_get("role")?;
            let is_sa: i64 = row.try_get("is_sa")?;
            Ok::<_, sqlx::Error>(Member {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                name: row.try_get("display_name")?,
                role: Role::parse(&role).unwrap_or(Role::Collaborator),
                is_service_account: is_sa == 1,
                created_at: row.try_get("created_at")?,
                last_sign_in_at: row.try_get("last_sign_in_at")?,
            })
        })()
        .map_err(|e| meta.internal("reading a member", &e))?;
        results.push(member);
    }
    let next_paging_token = if rows.len() > count as usize {
        results.last().map(|m| paging::encode(&[&m.email, &m.id]))
    } else {
        None
    };
    Ok(MemberPage {
        results,
        next_paging_token,
    })
}

/// Serializes membership changes of one organization (a row lock on PostgreSQL; SQLite has
/// one writer anyway), so two owners demoting each other cannot leave none.
pub(crate) async fn lock_org(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
        .bind(org_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn owner_count(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users WHERE org_id = $1 AND role = 'owner'")
        .bind(org_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")
}

enum Outcome<T> {
    Done(T),
    Refused(AppError),
}

pub async fn change_role(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    user_id: &str,
    role: Role,
) -> Result<Member, AppError> {
    actor.require_owner()?;
    let user_id = parse_user_id(user_id)?;
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        lock_org(&mut tx, &actor.org_id).await?;
        let Some(target) = users::find_by_id(&mut *tx, user_id)
            .await?
            .filter(|u| u.org_id == actor.org_id)
        else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        if target.role == Role::Owner
            && role != Role::Owner
            && owner_count(&mut tx, &actor.org_id).await? <= 1
        {
            return Ok(Outcome::Refused(last_owner(&target)));
        }
        if target.role != role {
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(&target.id)
                .execute(&mut *tx)
                .await?;
            audit::record(
                &mut *tx,
                now,
                Some(actor),
                meta,
                "user.role_changed",
                Target::user(&target.id, &target.email),
                Some(&format!("{} -> {}", target.role, role)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Outcome::Done(member_of(&User { role, ..target })))
    };
    match run
        .await
        .map_err(|e| meta.internal("changing a role", &e))?
    {
        Outcome::Done(member) => Ok(member),
        Outcome::Refused(err) => Err(err),
    }
}

/// Removes a member: their tokens are revoked and their sessions end in the same transaction.
/// (If the IdP still lets them in, a later SSO sign-in creates a new collaborator.)
/// Removes a member: their tokens are revoked, their sessions end, and — unless
/// `revoke_created_keys` is false — every live service-account key they created is revoked too,
/// so a departing owner keeps no access through a key they made. Returns how many
/// service-account keys were revoked.
pub async fn remove(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    user_id: &str,
    revoke_created_keys: bool,
) -> Result<u64, AppError> {
    actor.require_owner()?;
    let user_id = parse_user_id(user_id)?;
    let now = clock.unix();
    let run = async {
        let mut tx = db.begin_write().await?;
        lock_org(&mut tx, &actor.org_id).await?;
        let Some(target) = users::find_by_id(&mut *tx, user_id)
            .await?
            .filter(|u| u.org_id == actor.org_id)
        else {
            return Ok(Outcome::Refused(AppError::NotFound));
        };
        if target.role == Role::Owner && owner_count(&mut tx, &actor.org_id).await? <= 1 {
            return Ok(Outcome::Refused(last_owner(&target)));
        }
        let revoked =
            credentials::revoke_all(&mut *tx, TokenKind::User, &target.id, &actor.id, now).await?;
        let created_keys = if revoke_created_keys {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
                 WHERE org_id = $3 AND owner_kind = 'service_account' AND created_by = $4 \
                 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(&actor.id)
            .bind(&actor.org_id)
            .bind(&target.id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            0
        };
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&target.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(&target.id)
            .execute(&mut *tx)
            .await?;
        // Remembered, so that signing in through the IdP again does not quietly bring them back.
        sqlx::query(
            "INSERT INTO removed_members (org_id, email, removed_at, removed_by) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id, email) DO UPDATE SET removed_at = $3, removed_by = $4",
        )
        .bind(&actor.org_id)
        .bind(target.email.to_ascii_lowercase())
        .bind(now)
        .bind(&actor.email)
        .execute(&mut *tx)
        .await?;
        let keys = if revoke_created_keys {
            format!(", {created_keys} service-account keys they created revoked")
        } else {
            ", service-account keys they created kept".to_string()
        };
        audit::record(
            &mut *tx,
            now,
            Some(actor),
            meta,
            "user.removed",
            Target::user(&target.id, &target.email),
            Some(&format!("{revoked} tokens revoked, sessions ended{keys}")),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(Outcome::Done(created_keys))
    };
    match run
        .await
        .map_err(|e| meta.internal("removing a user", &e))?
    {
        Outcome::Done(keys) => Ok(keys),
        Outcome::Refused(err) => Err(err),
    }
}

/// Whether `email` was removed from the organisation (and not allowed back since).
pub async fn removal<'e, E>(
    executor: E,
    org_id: &str,
    email: &str,
) -> Result<Option<RemovedMember>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    sqlx::query(
        "SELECT email, removed_at, removed_by FROM removed_members WHERE org_id = $1 AND email = $2",
    )
    .bind(org_id)
    .bind(email.to_ascii_lowercase())
    .fetch_optional(executor)
    .await?
    .map(|row| removed_from_row(&row))
    .transpose()
}

fn removed_from_row(row: &sqlx::any::AnyRow) -> Result<RemovedMember, sqlx::Error> {
    Ok(RemovedMember {
        email: row.try_get("email")?,
        removed_at: row.try_get("removed_at")?,
        removed_by: row.try_get("removed_by")?,
    })
}

/// Everyone removed and not allowed back, most recent first (owners). At most 500: a list to
/// read, not to page through.
pub async fn list_removed(
    db: &Db,
    actor: &Actor,
    meta: &RequestMeta,
) -> Result<Vec<RemovedMember>, AppError> {
    actor.require_owner()?;
    let rows = sqlx::query(
        "SELECT email, removed_at, removed_by FROM removed_members WHERE org_id = $1 \
         ORDER BY removed_at DESC, email LIMIT 500",
    )
    .bind(&actor.org_id)
    .fetch_all(db.pool())
    .await
    .map_err(|e| meta.internal("listing removed members", &e))?;
    rows.iter()
        .map(removed_from_row)
        .collect::<Result<_, _>>()
        .map_err(|e| meta.internal("reading a removed member", &e))
}

/// Lets a removed person sign in again (owners); they come back as a new member, with the
/// role the IdP's groups give them. `NotFound` if that email is not on the removed list.
pub async fn allow_back(
    db: &Db,
    clock: &Clock,
    actor: &Actor,
    meta: &RequestMeta,
    email: &str,
) -> Result<(), AppError> {
    actor.require_owner()?;
    let email = email.trim().to_ascii_lowercase();
    let run = async {
        let mut tx = db.begin_write().await?;
        let gone = sqlx::query("DELETE FROM removed_members WHERE org_id = $1 AND email = $2")
            .bind(&actor.org_id)
            .bind(&email)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        audit::record(
            &mut *tx,
            clock.unix(),
            Some(actor),
            meta,
            "user.allowed_back",
            Target {
                kind: "user",
                id: None,
                email: Some(&email),
            },
            None,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(true)
    };
    match run
        .await
        .map_err(|e| meta.internal("allowing a member back", &e))?
    {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

fn last_owner(target: &User) -> AppError {
    AppError::Conflict(format!(
        "{} is the last owner: make someone else an owner first",
        target.email
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_checked() {
        assert!(parse_user_id("usr_0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "usr_",
            "usr_XYZ",
            "tok_0123456789abcdef0123456789abcdef",
            "usr_0123456789abcdef0123456789abcdeg",
        ] {
            assert!(parse_user_id(bad).is_err(), "{bad}");
        }
    }
}
