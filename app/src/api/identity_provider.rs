//! Users & IAM → Identity provider (owners): the IdP the console trusts, the state of its
//! metadata, and the SP metadata to hand to the IdP's administrator.
use crate::error::AppError;
use crate::model::IdentityProvider;
use leptos::prelude::*;

#[server(prefix = "/fn", endpoint = "owner/identity_provider", output = crate::wire::Json)]
pub async fn get_identity_provider() -> Result<IdentityProvider, AppError> {
    use crate::server::auth;
    let (state, user) = auth::require_user().await?;
    auth::require_owner(&user)?;
    Ok(crate::server::idp::status(&state))
}
