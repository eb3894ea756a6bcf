use crate::error::AppError;
use crate::model::{Me, SignInInfo};
use leptos::prelude::*;

/// The signed-in member. Answers `Unauthorized` (HTTP 401) without a session.
#[server(prefix = "/fn", endpoint = "me", output = crate::wire::Json)]
pub async fn get_me() -> Result<Me, AppError> {
    let (state, user) = crate::server::auth::require_user().await?;
    Ok(crate::server::auth::me(&state, user))
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
