//! Users: the organization's members, created on their first SSO sign-in.
use super::ids;
use crate::model::Role;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// What a successful SSO sign-in tells us about a person.
#[derive(Clone, Debug)]
pub struct SignInProfile {
    /// Already lower-cased and validated.
    pub email: String,
    pub display_name: String,
    /// The role a *new* user gets; existing users keep the role they have.
    pub initial_role: Role,
}

const USER_COLUMNS: &str = "id, org_id, email, display_name, role, created_at, last_sign_in_at";

fn from_row(row: &AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "role".into(),
            source: format!("unknown role {role:?}").into(),
        })?,
        created_at: row.try_get("created_at")?,
        last_sign_in_at: row.try_get("last_sign_in_at")?,
    })
}

pub async fn find_by_id<'e, E>(executor: E, id: &str) -> Result<Option<User>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    sqlx::query(&sql)
        .bind(id)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub async fn find_by_email<'e, E>(executor: E, email: &str) -> Result<Option<User>, sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE LOWER(email) = LOWER($1)");
    sqlx::query(&sql)
        .bind(email)
        .fetch_optional(executor)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Creates the user on first sign-in, or refreshes the display name and last sign-in time.
/// Two first sign-ins racing each other end with one row: the unique index on the lower-cased
/// email decides, and the loser reads the winner's row.
/// When roles follow the IdP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoleSync {
    /// The IdP's groups decide a member's role once, at their first sign-in (the default:
    /// owners manage roles in the console afterwards).
    #[default]
    FirstSignIn,
    /// The IdP's groups are re-evaluated at every sign-in; a change is audited, and the
    /// organisation's last owner is never demoted this way.
    EverySignIn,
}

/// With [`RoleSync::EverySignIn`], gives `user` the role the IdP's groups say, inside the
/// sign-in transaction. Returns the user as now stored.
pub async fn sync_role_on_sign_in(
    tx: &mut sqlx::Transaction<'_, Any>,
    user: User,
    from_idp: Role,
    meta: &super::actor::RequestMeta,
    now: i64,
) -> Result<User, sqlx::Error> {
    if user.role == from_idp {
        return Ok(user);
    }
    super::members::lock_org(tx, &user.org_id).await?;
    let (action, detail, role) =
        if user.role == Role::Owner && super::members::owner_count(tx, &user.org_id).await? <= 1 {
            (
                "user.role_sync_skipped",
                format!(
                    "IdP groups say {from_idp}, kept {}: the last owner is never demoted",
                    user.role
                ),
                user.role,
            )
        } else {
            sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(from_idp.as_str())
                .bind(&user.id)
                .execute(&mut **tx)
                .await?;
            (
                "user.role_changed",
                format!("{} -> {from_idp} (IdP groups at sign-in)", user.role),
                from_idp,
            )
        };
    super::audit::record(
        &mut **tx,
        now,
        None,
        meta,
        action,
        super::audit::Target::user(&user.id, &user.email),
        Some(&detail),
    )
    .await?;
    Ok(User { role, ..user })
}

pub async fn upsert_on_sign_in(
    tx: &mut sqlx::Transaction<'_, Any>,
    org_id: &str,
    profile: &SignInProfile,
    now: i64,
) -> Result<User, sqlx::Error> {
    if let Some(existing) = find_by_email(&mut **tx, &profile.email).await? {
        sqlx::query("UPDATE users SET display_name = $1, last_sign_in_at = $2 WHERE id = $3")
            .bind(&profile.display_name)
            .bind(now)
            .bind(&existing.id)
            .execute(&mut **tx)
            .await?;
        return Ok(User {
            display_name: profile.display_name.clone(),
            last_sign_in_at: Some(now),
            ..existing
        });
    }
    sqlx::query(
        "INSERT INTO users (id, org_id, email, display_name, role, created_at, last_sign_in_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(ids::new_user_id())
    .bind(org_id)
    .bind(&profile.email)
    .bind(&profile.display_name)
    .bind(profile.initial_role.as_str())
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    find_by_email(&mut **tx, &profile.email)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn count(pool: &sqlx::AnyPool) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM users")
        .fetch_one(pool)
        .await?
        .try_get("n")
}
