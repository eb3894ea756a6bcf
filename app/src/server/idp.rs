//! What the console knows of its identity provider, as the server's metadata refresher last
//! recorded it.
use super::state::AppState;
use crate::model::IdentityProvider;

pub fn status(state: &AppState) -> IdentityProvider {
    match state.identity_provider.read() {
        Ok(status) => status.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}
