//! Security headers on every response, and a fresh CSP nonce for every request.
//!
//! The policy lets the console's own scripts run: Leptos' hydration and streaming scripts carry
//! the request's nonce (the app shell reads it from the request, see `app::app::shell`), the
//! WASM is compiled under `'wasm-unsafe-eval'`, and the SAML auto-post page's one inline script
//! is allowed by its hash. Nothing may frame the console. Responses are `no-store` unless they
//! are static assets: pages show who is signed in, and some responses carry a new token.
use crate::html::AUTO_POST_SCRIPT;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub use app::server::csp::CspNonce;

#[derive(Clone, Debug)]
pub struct SecurityHeaders {
    /// `https` public URL: add HSTS.
    pub hsts: bool,
    auto_post_hash: Arc<str>,
}

impl SecurityHeaders {
    pub fn new(hsts: bool) -> Self {
        let digest = Sha256::digest(AUTO_POST_SCRIPT.as_bytes());
        SecurityHeaders {
            hsts,
            auto_post_hash: base64::engine::general_purpose::STANDARD
                .encode(digest)
                .into(),
        }
    }

    pub fn content_security_policy(&self, nonce: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'sha256-{}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
             base-uri 'none'; frame-ancestors 'none'",
            self.auto_post_hash
        )
    }
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Paths whose responses may be cached: the bundle and the icon.
fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico"
}

/// A bundle file whose name carries its content hash (`/pkg/gatehouse.<22 base64url
/// characters>.wasm`, as cargo-leptos' `hash-files` names them): a new build is a new name, so
/// the file under this name never changes.
fn is_content_hashed(path: &str) -> bool {
    let Some(name) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let mut parts = name.split('.');
    let (Some(stem), Some(hash), Some(ext)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !stem.is_empty()
        && !stem.contains('/')
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && matches!(ext, "js" | "wasm" | "css")
        && parts.next().is_none()
}

pub async fn apply(
    State(policy): State<Arc<SecurityHeaders>>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = new_nonce();
    request
        .extensions_mut()
        .insert(CspNonce(nonce.as_str().into()));
    let path = request.uri().path();
    let cache = if is_content_hashed(path) {
        "public, max-age=31536000, immutable"
    } else if is_static_asset(path) {
        "no-cache"
    } else {
        "no-store"
    };
    let mut response = next.run(request).await;
    // An error for a static path (a 404 for a hashed name) is never kept.
    let status = response.status();
    let cache = if cache != "no-store" && (status.is_client_error() || status.is_server_error()) {
        "no-cache"
    } else {
        cache
    };
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&policy.content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if policy.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Hashed bundle files are kept for a year; other static files keep their names from build to
    // build, so a browser may keep them but must revalidate (cheap: a 304), and a deployment
    // never pairs new HTML with an old bundle.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn only_bundle_files_named_with_a_content_hash_are_immutable() {
        assert!(is_content_hashed(
            "/pkg/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.wasm"
        ));
        assert!(is_content_hashed(
            "/pkg/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.js"
        ));
        assert!(is_content_hashed(
            "/pkg/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.css"
        ));
        for not_hashed in [
            "/pkg/gatehouse.css",
            "/pkg/gatehouse.wasm",
            "/pkg/gatehouse.short.js",
            "/pkg/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.wasm.br",
            "/pkg/gatehouse.AbCdEfGhIjKlMnOpQrSt+/.js",
            "/pkg/.AbCdEfGhIjKlMnOpQrSt-_.js",
            "/pkg/sub/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.js",
            "/favicon.AbCdEfGhIjKlMnOpQrSt-_.css",
            "/api/v1/gatehouse.AbCdEfGhIjKlMnOpQrSt-_.js",
        ] {
            assert!(!is_content_hashed(not_hashed), "{not_hashed}");
        }
    }
}
