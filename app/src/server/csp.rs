//! The per-request Content-Security-Policy nonce. The server's security-headers middleware
//! puts it in the request's extensions and names it in the CSP header; the app shell hands it
//! to Leptos, whose hydration and streaming scripts then carry it.
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// Makes this request's nonce the one Leptos puts on its inline scripts.
pub fn provide_request_nonce() {
    let nonce = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(value));
    }
}
