//! What every request passes before it reaches a handler: the client's address (behind trusted
//! proxies only), a request id we made ourselves, per-address rate limits, and the security
//! headers on the way out.
pub mod client_ip;
pub mod headers;
pub mod rate_limit;

use axum::extract::Request;
use axum::http::HeaderName;

/// A client-chosen `x-request-id` would end up in logs and audit rows: always make our own.
pub async fn drop_client_request_id(mut request: Request) -> Request {
    request
        .headers_mut()
        .remove(HeaderName::from_static("x-request-id"));
    request
}
