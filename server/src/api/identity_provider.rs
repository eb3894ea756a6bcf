//! The identity provider, as owners see it on the console's Identity provider page.
use super::{ErrorResponse, Owner};
use crate::state::ServerState;
use app::model::{ApiResult as Envelope, IdentityProvider};
use axum::extract::State;
use axum::Json;

/// The IdP the console trusts: entity id, endpoints, every signing certificate (all trusted)
/// with its expiry, when its metadata was last refreshed and why the last refresh failed, and
/// the SP metadata to hand to the IdP (owners).
#[utoipa::path(get, path = "/api/v1/identity_provider", tag = "identity provider", security(("bearer" = [])),
    responses((status = 200, body = Envelope<IdentityProvider>), (status = 401, body = ErrorResponse),
        (status = 403, body = ErrorResponse)))]
pub async fn get(
    State(state): State<ServerState>,
    _owner: Owner,
) -> Json<Envelope<IdentityProvider>> {
    Json(Envelope {
        result: app::server::idp::status(&state.app),
    })
}
