//! Who is calling. Every server function that needs a session starts with [`require_user`];
//! every owner-only one continues with [`require_owner`]. The check is made here, on the
//! server, on every call: hiding a button in the UI is not enforcement.
use super::actor::{Actor, RequestMeta};
use super::session_store::USER_ID_KEY;
use super::state::AppState;
use super::users::{self, User};
use crate::error::AppError;
use crate::model::Role;
use leptos::prelude::*;
use tower_sessions::Session;

/// The signed-in user behind a session, read fresh from the database on every call so that a
/// removed user or changed role takes effect on the very next request.
pub async fn session_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    let user_id: Option<String> = session
        .get(USER_ID_KEY)
        .await
        .map_err(|e| internal_error("reading the session", &e))?;
    let Some(user_id) = user_id else {
        return Ok(None);
    };
    let user = users::find_by_id(state.db.pool(), &user_id)
        .await
        .map_err(|e| internal_error("loading the signed-in user", &e))?;
    if user.is_none() {
        // The user was removed: this session must not come back to life.
        let _ = session.flush().await;
    }
    Ok(user)
}

/// The caller of a server function: the application state and the signed-in user.
/// Answers `Unauthorized` (HTTP 401) when there is no valid session.
pub async fn require_user() -> Result<(AppState, User), AppError> {
    let state = app_state()?;
    let session: Session = leptos_axum::extract()
        .await
        .map_err(|e| internal_error("extracting the session", &e))?;
    match session_user(&state, &session).await? {
        Some(user) => Ok((state, user)),
        None => Err(refuse(AppError::Unauthorized)),
    }
}

/// What the console shows of the signed-in `user`: the `get_me` server function's answer, and
/// what the page middleware hands the console layout when it renders a page.
pub fn me(state: &AppState, user: User) -> crate::model::Me {
    let idp_warning = user.role == crate::model::Role::Owner
        && crate::server::idp::status(state).last_error.is_some();
    crate::model::Me {
        idp_warning,
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        org_id: state.org.id.clone(),
        org_name: state.org.name.clone(),
    }
}

/// The one owner guard. Answers `OwnersOnly` (HTTP 403) for anyone but an owner.
pub fn require_owner(user: &User) -> Result<(), AppError> {
    if user.role == Role::Owner {
        Ok(())
    } else {
        Err(refuse(AppError::OwnersOnly))
    }
}

/// The caller of a server function as an [`Actor`], with the request's id and source address.
pub async fn require_actor() -> Result<(AppState, Actor, RequestMeta), AppError> {
    let (state, user) = require_user().await?;
    Ok((state, Actor::from_user(&user), request_meta()))
}

pub fn request_meta() -> RequestMeta {
    match use_context::<http::request::Parts>() {
        Some(parts) => RequestMeta::from_parts(&parts.headers, &parts.extensions),
        None => RequestMeta {
            request_id: "unknown".into(),
            source_ip: None,
        },
    }
}

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| internal_error("finding the app state", &"missing context"))
}

/// Sets the HTTP status of the current server-function response (or page) to match `err`, with
/// `Retry-After` where the answer is "try again" (as the HTTP API does).
pub fn refuse(err: AppError) -> AppError {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(err.status()) {
            options.set_status(status);
        }
        if let Some(seconds) = err.retry_after_seconds() {
            options.insert_header(http::header::RETRY_AFTER, seconds.into());
        }
    }
    err
}

/// Logs an internal failure with the request id and returns the plain error users see
/// ([`RequestMeta::internal`], with the status set on the server-function response).
pub fn internal_error<E: std::fmt::Display + 'static>(context: &str, err: &E) -> AppError {
    let meta = use_context::<http::request::Parts>()
        .map(|parts| RequestMeta::from_parts(&parts.headers, &parts.extensions))
        .unwrap_or_else(|| RequestMeta {
            request_id: "unknown".into(),
            source_ip: None,
        });
    refuse(meta.internal(context, err))
}
