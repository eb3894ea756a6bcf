//! Every URL the console links to or serves, in one place.

pub const HOME: &str = "/";
pub const SIGN_IN: &str = "/signin";
pub const CREDENTIALS: &str = "/credentials";
pub const IAM: &str = "/iam";
pub const IAM_API_KEYS: &str = "/iam/api-keys";
pub const IAM_AUDIT: &str = "/iam/audit";
pub const IAM_IDENTITY_PROVIDER: &str = "/iam/identity-provider";
pub const IAM_EMERGENCY_REVOKE: &str = "/iam/emergency-revoke";
pub const SAML_LOGIN: &str = "/saml/login";
pub const SAML_ACS: &str = "/saml/acs";
pub const SAML_METADATA: &str = "/saml/metadata";
pub const SAML_SLO: &str = "/saml/slo";
pub const LOGOUT: &str = "/logout";
pub const DEV_IDP_SSO: &str = "/dev-idp/sso";
pub const DEV_IDP_METADATA: &str = "/dev-idp/metadata";
pub const DEV_IDP_SLO: &str = "/dev-idp/slo";
pub const HEALTH: &str = "/healthz";
pub const READY: &str = "/readyz";
/// Prefix of the Leptos server-function endpoints (`/fn/<endpoint>`).
pub const SERVER_FN_PREFIX: &str = "/fn";

/// Console pages that need a signed-in user; the server redirects to sign-in before rendering.
pub fn is_console_page(path: &str) -> bool {
    path == HOME
        || [CREDENTIALS, IAM].iter().any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Longest `next` kept (it is stored with every sign-in attempt); longer ones go home.
pub const MAX_NEXT_LEN: usize = 512;

/// `next` is only ever a local absolute path: `/…` but not `//…` (protocol-relative) nor
/// `/\…` (which browsers treat like `//`), with no scheme and no control characters, at
/// most [`MAX_NEXT_LEN`] bytes. Anything else falls back to `/`.
pub fn safe_next_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && p.len() <= MAX_NEXT_LEN
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            p.to_string()
        }
        _ => HOME.to_string(),
    }
}

/// The sign-in page URL that brings the user back to `next` afterwards.
pub fn sign_in_with_next(next: &str) -> String {
    format!("{SIGN_IN}?next={}", encode_query_value(next))
}

/// The SSO start URL that brings the user back to `next` afterwards.
pub fn saml_login_with_next(next: &str) -> String {
    format!("{SAML_LOGIN}?next={}", encode_query_value(next))
}

/// The keys view, filtered to one service account's keys.
pub fn api_keys_for(email: &str) -> String {
    format!("{IAM_API_KEYS}?email={}", encode_query_value(email))
}

/// Percent-encodes a query value (all but unreserved characters and `/`).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_kept() {
        assert_eq!(safe_next_path(Some("/credentials")), "/credentials");
        assert_eq!(safe_next_path(Some("/iam?tab=users")), "/iam?tab=users");
    }

    #[test]
    fn foreign_or_odd_next_values_fall_back_to_home() {
        for bad in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            "/ok\r\nSet-Cookie: x=y",
        ] {
            assert_eq!(
                safe_next_path(Some(bad)),
                "/",
                "{bad:?} must not be followed"
            );
        }
        assert_eq!(safe_next_path(None), "/");
    }

    #[test]
    fn next_is_percent_encoded_in_links() {
        assert_eq!(
            sign_in_with_next("/a b?c=d&e"),
            "/signin?next=/a%20b%3Fc%3Dd%26e"
        );
    }
}
