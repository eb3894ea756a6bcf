use crate::error::AppError;
use crate::model::{Me, SignInInfo};
use leptos::prelude::*;

/// The signed-in member. Answers `Unauthorized` (HTTP 401) without a session.
#[server(prefix = "/fn", endpoint = "me", output = crate::wire::Json)]
pub async fn get_me() -> Result<Me, AppError> {
    let (state, user) = crate::server::auth::require_user().await?;
    let idp_warning = user.role == crate::model::Role::Owner
        && crate::server::idp::status(&state).last_error.is_some();
    Ok(Me {
        idp_warning,
        user_id: user.id,
        email: user.email,
        display_name: user.display_name,
        role: user.role,
        org_id: state.org.id,
        org_name: state.org.name,
    })
}

/// Public facts the sign-in page shows.
#[server(prefix = "/fn", endpoint = "sign_in_info", output = crate::wire::Json)]
pub async fn get_sign_in_info() -> Result<SignInInfo, AppError> {
    let state = crate::server::auth::app_state()?;
    Ok(SignInInfo {
        org_name: state.org.name,
        dev_idp: state.dev_idp,
    })
}
