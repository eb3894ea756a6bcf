//! Types that cross the wire between server functions and the browser.
use serde::{Deserialize, Serialize};
use std::fmt;

/// A member's role in the organization. `Owner` is the administrator role.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Collaborator,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Collaborator => "collaborator",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "owner" => Some(Role::Owner),
            "collaborator" => Some(Role::Collaborator),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in member and their organization, as the console header shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: String,
    pub org_name: String,
    /// For owners: the IdP metadata's last refresh failed (the last good copy is in use).
    pub idp_warning: bool,
}

/// Who a bearer token belongs to (`GET /api/v1/users/me`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub email: String,
    /// `user` or `service_account`.
    pub kind: String,
    pub role: Role,
    pub organization_id: String,
    pub organization_name: String,
}

/// The identity provider the console trusts, and the SP metadata to hand it
/// (`GET /api/v1/identity_provider`, owners).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub entity_id: String,
    /// Where the metadata comes from: a URL, a file, or the built-in development IdP.
    pub metadata_source: String,
    pub sso_url: String,
    /// The IdP's Single Logout endpoint, if its metadata lists one.
    pub slo_url: Option<String>,
    /// Every signing certificate in the metadata; all of them are trusted.
    pub certificates: Vec<IdpCertificate>,
    /// Unix seconds of the last successful load of the metadata.
    pub last_refresh_at: Option<i64>,
    /// Unix seconds of the last attempt, successful or not.
    pub last_attempt_at: Option<i64>,
    /// Why the last attempt failed, while the last good metadata stays in use.
    pub last_error: Option<String>,
    /// Unix seconds of the next scheduled refresh (URL sources).
    pub next_refresh_at: Option<i64>,
    /// The metadata must carry a valid signature by a pinned certificate.
    pub metadata_signature_pinned: bool,
    pub sp_entity_id: String,
    pub sp_metadata_url: String,
    /// The SP metadata XML, for the IdP's administrator.
    pub sp_metadata_xml: String,
}

/// A certificate from the IdP's metadata.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpCertificate {
    pub subject: String,
    /// Unix seconds after which the certificate is no longer valid.
    pub not_after: i64,
    /// SHA-256 of the DER certificate, hex, colon-separated.
    pub sha256_fingerprint: String,
}

/// `{"result": …}`: the envelope of every single-object API response. This and the types
/// below are the one wire contract: the server serialises them, the CLI reads them, and the
/// OpenAPI document (docs/openapi.json) is generated from them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiResult<T> {
    pub result: T,
}

/// `{"results": […], "metadata": {"next_paging_token": …}}`: the envelope of API lists.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiList<T> {
    pub results: Vec<T>,
    #[serde(default)]
    pub metadata: ApiListMetadata,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiListMetadata {
    /// Pass as `paging_token` for the next page; null on the last page.
    pub next_paging_token: Option<String>,
}

/// The time now, Unix seconds: the browser's clock after hydration, the system's on the server.
pub fn now_unix() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or_default()
    }
}

/// "expires in 12 days", "expires today", "expired 3 days ago", "never expires".
pub fn expiry_text(expires_at: Option<i64>, now: i64) -> String {
    let Some(at) = expires_at else {
        return "never expires".to_string();
    };
    if at <= now {
        return match (now - at) / 86_400 {
            0 => "expired today".to_string(),
            1 => "expired yesterday".to_string(),
            n => format!("expired {n} days ago"),
        };
    }
    match (at - now) / 86_400 {
        0 => "expires today".to_string(),
        1 => "expires tomorrow".to_string(),
        n => format!("expires in {n} days"),
    }
}

/// A network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses and normalises (host bits cleared); a bare address is a /32 or /128.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: std::net::IpAddr = addr.parse().map_err(|_| {
            format!("{text:?} is not an IP network (like 10.0.0.0/8 or 2001:db8::/32)")
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(Cidr {
            network: mask(addr, prefix),
            prefix,
        })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let ip = match (self.network, ip) {
            (std::net::IpAddr::V4(_), std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => std::net::IpAddr::V4(v4),
                None => return false,
            },
            (_, ip) => ip,
        };
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask(addr: std::net::IpAddr, prefix: u8) -> std::net::IpAddr {
    match addr {
        std::net::IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            std::net::IpAddr::V4((bits & m).into())
        }
        std::net::IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            std::net::IpAddr::V6((bits & m).into())
        }
    }
}

/// Parses a list of networks, at most 32, normalised and without duplicates.
pub fn parse_cidrs<S: AsRef<str>>(items: &[S]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for item in items
        .iter()
        .map(AsRef::as_ref)
        .filter(|i| !i.trim().is_empty())
    {
        let cidr = Cidr::parse(item)?.to_string();
        if !out.contains(&cidr) {
            out.push(cidr);
        }
    }
    if out.len() > 32 {
        return Err("at most 32 networks per key".into());
    }
    Ok(out)
}

/// The organisation's rule for personal tokens (`GET/PUT /api/v1/organization/token_policy`).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPolicy {
    /// Personal tokens must expire within this many days; `null`: no maximum.
    pub personal_token_max_days: Option<i64>,
    /// Set by `GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS` (the console cannot change it).
    #[serde(default)]
    pub set_by_configuration: bool,
}

/// Which keys an emergency revoke considers.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// People's personal (CLI) tokens.
    User,
    /// Service-account keys.
    ServiceAccount,
    #[default]
    All,
}

/// `POST /api/v1/api_keys/revoke`: revoke every live key matching all the given conditions.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeMatching {
    /// Keys created strictly before this time (Unix seconds).
    pub created_before: Option<i64>,
    /// Keys created by this person or service account (email).
    pub created_by: Option<String>,
    /// `user`, `service_account` or `all` (the default).
    pub kind: Option<KeyKind>,
    /// Count only; revoke nothing.
    pub dry_run: Option<bool>,
}

/// How many keys matched (a dry run) or were revoked.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchingCount {
    pub count: u64,
    pub dry_run: bool,
}

/// How many keys a "revoke all" revoked.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedCount {
    pub revoked: u64,
}

/// `{"error": {"code", "message", "request_id"}}`: every API error.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    /// `unauthorized`, `forbidden`, `invalid_request`, `not_found`, `conflict`,
    /// `rate_limited` (429, with `Retry-After`), `too_large` (413), `unavailable` (503) or
    /// `internal`.
    pub code: String,
    pub message: String,
    /// Quote it when reporting a problem; it is in the server log too.
    pub request_id: String,
}

/// What the sign-in page needs to know before anyone is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInInfo {
    pub org_name: String,
    pub dev_idp: bool,
}

/// A token as lists show it: never the token itself.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// The last six characters, the only part ever shown again.
    pub last_six: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Unix seconds after which the key stops working; `null`: never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// The client address of the last use (written at most once a minute).
    #[serde(default)]
    pub last_used_ip: Option<String>,
    #[serde(default)]
    pub last_used_user_agent: Option<String>,
    /// Networks the key may be used from; empty: anywhere.
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
}

/// A freshly issued token: the only response that ever contains the plaintext.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub token: String,
    pub info: TokenInfo,
}

/// Someone an owner removed: their sign-ins are refused until an owner allows them back.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovedMember {
    /// Lower-cased.
    pub email: String,
    pub removed_at: i64,
    /// The owner who removed them (their email at the time).
    pub removed_by: Option<String>,
}

/// A member of the organization.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub is_service_account: bool,
    pub created_at: i64,
    pub last_sign_in_at: Option<i64>,
}

/// One page of members; `next_paging_token` fetches the next one.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    pub results: Vec<Member>,
    pub next_paging_token: Option<String>,
}

pub const MAX_SERVICE_ACCOUNT_NAME_LEN: usize = 63;

/// The service-account name rule: 1–63 of `a-z 0-9 -`, starting with a letter. Returns the
/// trimmed name, or which rule failed. Shared by the server and the console's form.
pub fn check_service_account_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    let len = name.chars().count();
    if len > MAX_SERVICE_ACCOUNT_NAME_LEN {
        return Err(format!(
            "must be at most {MAX_SERVICE_ACCOUNT_NAME_LEN} characters (it has {len})"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "may contain only lowercase letters, digits and hyphens ({bad:?} is not allowed)"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter".into());
    }
    Ok(name.to_string())
}

/// Formats Unix seconds as `2026-11-23 10:45 UTC` (no time-zone database in the browser bundle).
pub fn format_timestamp(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM` (an HTML `datetime-local` value, or the CLI's `--created-before`),
/// or a bare `YYYY-MM-DD` (midnight), as UTC; Unix seconds.
pub fn parse_utc_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, time) = text.split_once(['T', ' ']).unwrap_or((text, "00:00"));
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hour, minute) = (t.next()??, t.next()??);
    let second = t.next().flatten().unwrap_or(0);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
    {
        return None;
    }
    // Days-from-civil (H. Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let unix = days * 86_400 + hour * 3600 + minute * 60 + second;
    // Refuse dates that do not exist (31 February): they would not round-trip.
    format_timestamp(unix)
        .starts_with(&format!("{year:04}-{month:02}-{day:02}"))
        .then_some(unix)
}

#[cfg(test)]
mod tests {
    #[test]
    fn networks_parse_normalise_and_match() {
        use super::Cidr;
        let net = Cidr::parse("10.1.2.3/8").unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains("10.200.0.1".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(
            net.contains("::ffff:10.0.0.9".parse().unwrap()),
            "IPv4-mapped IPv6"
        );
        let v6 = Cidr::parse("2001:db8::1/32").unwrap();
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert_eq!(
            Cidr::parse("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("example.com/8").is_err());
        assert_eq!(
            super::parse_cidrs(&["10.0.0.0/8", " 10.9.9.9/8 ", ""]).unwrap(),
            vec!["10.0.0.0/8"]
        );
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("203.0.113.5".parse().unwrap()));
    }

    #[test]
    fn expiry_reads_naturally() {
        let now = 1_000_000_000;
        assert_eq!(super::expiry_text(None, now), "never expires");
        assert_eq!(
            super::expiry_text(Some(now + 40 * 86_400 + 5), now),
            "expires in 40 days"
        );
        assert_eq!(
            super::expiry_text(Some(now + 86_400 + 5), now),
            "expires tomorrow"
        );
        assert_eq!(super::expiry_text(Some(now + 5), now), "expires today");
        assert_eq!(super::expiry_text(Some(now - 5), now), "expired today");
        assert_eq!(
            super::expiry_text(Some(now - 3 * 86_400 - 5), now),
            "expired 3 days ago"
        );
    }

    #[test]
    fn datetimes_parse_as_utc() {
        assert_eq!(super::parse_utc_datetime("1970-01-01T00:00"), Some(0));
        assert_eq!(
            super::parse_utc_datetime("2026-11-23T10:45"),
            Some(1_795_430_700)
        );
        assert_eq!(super::parse_utc_datetime("2000-02-29"), Some(951_782_400));
        assert_eq!(
            super::parse_utc_datetime("2026-11-23 10:45:30"),
            Some(1_795_430_730)
        );
        assert_eq!(super::parse_utc_datetime("2026-02-31"), None);
        assert_eq!(super::parse_utc_datetime("yesterday"), None);
        assert_eq!(super::parse_utc_datetime("2026-13-01"), None);
    }

    #[test]
    fn timestamps_format_in_utc() {
        assert_eq!(super::format_timestamp(0), "1970-01-01 00:00 UTC");
        assert_eq!(
            super::format_timestamp(1_795_430_700),
            "2026-11-23 10:45 UTC"
        );
        assert_eq!(super::format_timestamp(951_782_400), "2000-02-29 00:00 UTC");
    }
}

/// A service account as lists show it.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountInfo {
    pub id: String,
    pub name: String,
    /// `<name>@org-<organization id>.serviceaccount.com`
    pub email: String,
    pub role: Role,
    pub active_keys: i64,
    pub created_at: i64,
    pub created_by: String,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccountPage {
    pub results: Vec<ServiceAccountInfo>,
    pub next_paging_token: Option<String>,
}

/// A key in the organization-wide keys view: never the key itself.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    pub id: String,
    /// `service_account` or `user`.
    pub owner_kind: String,
    pub owner_email: Option<String>,
    pub name: String,
    pub last_six: String,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub last_used_ip: Option<String>,
    #[serde(default)]
    pub last_used_user_agent: Option<String>,
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyPage {
    pub results: Vec<ApiKeyInfo>,
    pub next_paging_token: Option<String>,
}

/// One row of the audit log.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub actor_token: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
    pub detail: Option<String>,
}

#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub results: Vec<AuditEntry>,
    pub next_paging_token: Option<String>,
}
