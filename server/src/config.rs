//! Configuration, layered: built-in defaults, then an optional TOML file (`--config`), then
//! `GATEHOUSE_*` environment variables. Validated once at start-up: an invalid setting stops
//! the server with a message naming it. `Debug` never shows a secret.
use serde::Deserialize;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use url::Url;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/gatehouse.db";
pub const DEFAULT_LISTEN_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_METRICS_ADDR: &str = "127.0.0.1:9464";
pub const DEFAULT_ORG_NAME: &str = "My Organization";
pub const DEFAULT_OWNER_GROUPS: &str = "gatehouse-owners";

/// Where the IdP's metadata comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdpSource {
    /// A file path or an http(s) URL of IdP metadata XML.
    Metadata(String),
    /// The built-in development IdP.
    Dev,
}

/// Names of the SAML attributes read from assertions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeNames {
    pub email: String,
    pub display_name: String,
    pub groups: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen_addr: SocketAddr,
    /// Where Prometheus metrics are served (`None`: nowhere). Never the public listener.
    pub metrics_addr: Option<SocketAddr>,
    pub public_url: Url,
    pub database_url: DatabaseUrl,
    pub idp: IdpSource,
    pub org_id: Option<String>,
    pub org_name: String,
    pub owner_emails: Vec<String>,
    pub owner_groups: Vec<String>,
    pub allow_idp_initiated: bool,
    pub allow_sha1: bool,
    pub attributes: AttributeNames,
    pub session_idle_minutes: i64,
    pub session_max_hours: i64,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies).
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per client IP and minute to `/saml/login` and `/saml/acs` together.
    pub signin_rate_per_minute: u32,
    /// Failed bearer authentications per client IP and minute before 429.
    pub auth_failures_per_minute: u32,
    /// A request not answered within this long (a body that trickles in, say) gets 408.
    pub request_timeout_seconds: u64,
    /// The SP key pair's PEM files (key, certificate); `None` generates one and keeps it in
    /// the database.
    pub sp_key_files: Option<(String, String)>,
    /// Sign AuthnRequests with the SP key (and say so in the metadata).
    pub sign_authn_requests: bool,
    /// The certificate of the SP key that comes next (PEM file): listed in the metadata beside
    /// the current one, so IdPs trust it before the switch.
    pub sp_next_cert: Option<String>,
    /// Whether IdP groups decide roles at the first sign-in only or at every sign-in.
    pub role_sync: app::server::users::RoleSync,
    /// Refuse assertions that are not encrypted to the SP key.
    pub require_encrypted_assertions: bool,
    /// Also accept the RSA PKCS#1 v1.5 key transport of encrypted assertions (Bleichenbacher-prone).
    pub allow_rsa1_5: bool,
    /// How often IdP metadata from a URL is fetched again (a file is re-read when it changes),
    /// unless the metadata's own `cacheDuration`/`validUntil` asks for sooner.
    pub idp_metadata_refresh_seconds: u64,
    /// A PEM certificate the IdP metadata must be signed with (pinning), if any.
    pub idp_metadata_signing_cert: Option<String>,
    /// Personal tokens must expire within this many days (overrides the console's setting).
    pub personal_token_max_days: Option<i64>,
}

impl Config {
    pub fn public_url_is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public base URL without a trailing slash, for building absolute URLs.
    pub fn base_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }
}

/// A database URL whose `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("********"));
                f.write_str(url.as_str())
            }
            _ => f.write_str(&self.0),
        }
    }
}

/// An invalid setting: which one, and what is wrong with it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

fn invalid(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        message: message.into(),
    }
}

/// The TOML file: the same settings as the environment, lower-case without the prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen_addr: Option<String>,
    metrics_addr: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    idp_metadata: Option<String>,
    dev_idp: Option<bool>,
    org_id: Option<String>,
    org_name: Option<String>,
    owner_emails: Option<Vec<String>>,
    owner_groups: Option<Vec<String>>,
    allow_idp_initiated: Option<bool>,
    allow_sha1: Option<bool>,
    email_attribute: Option<String>,
    name_attribute: Option<String>,
    groups_attribute: Option<String>,
    session_idle_minutes: Option<i64>,
    session_max_hours: Option<i64>,
    trusted_proxies: Option<Vec<String>>,
    signin_rate_per_minute: Option<u32>,
    auth_failures_per_minute: Option<u32>,
    request_timeout_seconds: Option<u64>,
    sp_key: Option<String>,
    sp_cert: Option<String>,
    sign_authn_requests: Option<bool>,
    sp_next_cert: Option<String>,
    role_sync: Option<String>,
    require_encrypted_assertions: Option<bool>,
    allow_rsa1_5: Option<bool>,
    idp_metadata_refresh_seconds: Option<u64>,
    idp_metadata_signing_cert: Option<String>,
    personal_token_max_days: Option<i64>,
}

/// One setting's value and where it came from, for error messages.
struct Layered<'a> {
    file: &'a FileConfig,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Layered<'_> {
    fn env_name(key: &str) -> String {
        format!("GATEHOUSE_{}", key.to_ascii_uppercase())
    }

    fn string(&self, key: &str, from_file: &Option<String>) -> Option<(String, String)> {
        let env_name = Self::env_name(key);
        if let Some(v) = (self.env)(&env_name) {
            return Some((env_name, v));
        }
        from_file
            .clone()
            .map(|v| (format!("{key} (config file)"), v))
    }

    fn boolean(&self, key: &str, from_file: Option<bool>) -> Result<Option<bool>, ConfigError> {
        let env_name = Self::env_name(key);
        if let Some(v) = (self.env)(&env_name) {
            return match v.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" => Ok(Some(false)),
                _ => Err(invalid(
                    &env_name,
                    format!("expected true or false, got {v:?}"),
                )),
            };
        }
        Ok(from_file)
    }

    fn list(&self, key: &str, from_file: &Option<Vec<String>>) -> Option<(String, Vec<String>)> {
        let env_name = Self::env_name(key);
        if let Some(v) = (self.env)(&env_name) {
            let items = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            return Some((env_name, items));
        }
        from_file
            .clone()
            .map(|v| (format!("{key} (config file)"), v))
    }
}

impl Config {
    /// Loads from the process environment and, if given, a TOML file.
    pub fn load(config_file: Option<&std::path::Path>) -> Result<Config, ConfigError> {
        let text = match config_file {
            Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
                invalid("--config", format!("cannot read {}: {e}", path.display()))
            })?),
            None => None,
        };
        Config::from_sources(text.as_deref(), &|name| std::env::var(name).ok())
    }

    /// Builds the configuration from a TOML text and an environment lookup.
    pub fn from_sources(
        toml_text: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file: FileConfig = match toml_text {
            Some(text) => toml::from_str(text)
                .map_err(|e| invalid("--config", format!("not a valid config file: {e}")))?,
            None => FileConfig::default(),
        };
        let l = Layered { file: &file, env };

        let listen_addr = match l.string("listen_addr", &l.file.listen_addr) {
            Some((name, v)) => v.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    &name,
                    format!("expected an address like 127.0.0.1:3000, got {v:?}"),
                )
            })?,
            None => DEFAULT_LISTEN_ADDR
                .parse()
                .map_err(|_| invalid("GATEHOUSE_LISTEN_ADDR", "bad built-in default"))?,
        };

        let metrics_addr = match l.string("metrics_addr", &l.file.metrics_addr) {
            Some((_, v)) if matches!(v.trim(), "" | "off" | "none") => None,
            Some((name, v)) => Some(v.trim().parse::<SocketAddr>().map_err(|_| {
                invalid(
                    &name,
                    format!("expected an address like 127.0.0.1:9464, or off; got {v:?}"),
                )
            })?),
            None => Some(
                DEFAULT_METRICS_ADDR
                    .parse()
                    .map_err(|_| invalid("GATEHOUSE_METRICS_ADDR", "bad built-in default"))?,
            ),
        };
        if metrics_addr.is_some_and(|m| m.port() != 0 && m == listen_addr) {
            return Err(invalid(
                "GATEHOUSE_METRICS_ADDR",
                "must differ from GATEHOUSE_LISTEN_ADDR: metrics are not served on the public port",
            ));
        }

        let public_url = match l.string("public_url", &l.file.public_url) {
            Some((name, v)) => parse_public_url(&name, &v)?,
            None => {
                // A URL made up from a non-loopback listen address would be a guess that
                // decides the SAML audience, the cookie's Secure flag and the dev IdP check.
                if !listen_addr.ip().is_loopback() {
                    return Err(invalid(
                        "GATEHOUSE_PUBLIC_URL",
                        format!(
                            "is required when listening on a non-loopback address ({listen_addr}): \
                             set the URL people reach Gatehouse at"
                        ),
                    ));
                }
                let host = match listen_addr.ip() {
                    IpAddr::V6(ip) => format!("[{ip}]"),
                    IpAddr::V4(ip) => ip.to_string(),
                };
                parse_public_url(
                    "GATEHOUSE_PUBLIC_URL",
                    &format!("http://{host}:{}", listen_addr.port()),
                )?
            }
        };

        let database_url = match l.string("database_url", &l.file.database_url) {
            Some((name, v)) => {
                let lower = v.to_ascii_lowercase();
                if !(lower.starts_with("sqlite:")
                    || lower.starts_with("postgres://")
                    || lower.starts_with("postgresql://"))
                {
                    return Err(invalid(
                        &name,
                        "must start with sqlite:// or postgres:// (the value is not shown: it may hold a password)",
                    ));
                }
                DatabaseUrl(v)
            }
            None => DatabaseUrl(DEFAULT_DATABASE_URL.to_string()),
        };

        let metadata = l
            .string("idp_metadata", &l.file.idp_metadata)
            .filter(|(_, v)| !v.trim().is_empty());
        let dev_idp = l.boolean("dev_idp", l.file.dev_idp)?;
        if (env)("GATEHOUSE_DEV_IDP_FORCE").is_some() {
            return Err(invalid(
                "GATEHOUSE_DEV_IDP_FORCE",
                "is no longer supported: the development IdP only runs on loopback",
            ));
        }
        let idp = match (metadata, dev_idp) {
            (Some((name, _)), Some(true)) => {
                return Err(invalid(
                    "GATEHOUSE_DEV_IDP",
                    format!("cannot be true while {name} is set: choose one identity provider"),
                ))
            }
            (Some((name, v)), _) => {
                let v = v.trim().to_string();
                if v.starts_with("http://") || v.starts_with("https://") {
                    Url::parse(&v).map_err(|e| invalid(&name, format!("not a valid URL: {e}")))?;
                }
                IdpSource::Metadata(v)
            }
            (None, Some(false)) => {
                return Err(invalid(
                    "GATEHOUSE_IDP_METADATA",
                    "is required when GATEHOUSE_DEV_IDP is false: nobody could sign in",
                ))
            }
            (None, _) => IdpSource::Dev,
        };
        if idp == IdpSource::Dev && !(is_loopback(&public_url) && listen_addr.ip().is_loopback()) {
            return Err(invalid(
                "GATEHOUSE_DEV_IDP",
                format!(
                    "the development IdP signs anyone in, so it runs only when both the listen address \
                     ({listen_addr}) and the public URL ({public_url}) are loopback. \
                     Configure GATEHOUSE_IDP_METADATA for a real identity provider"
                ),
            ));
        }

        let org_id = match l.string("org_id", &l.file.org_id) {
            Some((name, v)) => {
                let v = v.trim().to_string();
                if !valid_org_id(&v) {
                    let hint = match v.strip_prefix("org_") {
                        Some(rest) => format!(
                            " (organization ids are DNS labels now: {v:?} became {:?})",
                            rest.replace('_', "-")
                        ),
                        None => String::new(),
                    };
                    return Err(invalid(
                        &name,
                        format!("{v:?} is not a valid organization id: use 3-63 characters a-z, 0-9 and -, not starting or ending with -{hint}"),
                    ));
                }
                Some(v)
            }
            None => None,
        };

        let org_name = match l.string("org_name", &l.file.org_name) {
            Some((name, v)) => {
                let v = v.trim().to_string();
                if v.is_empty() || v.chars().count() > 100 || v.chars().any(char::is_control) {
                    return Err(invalid(&name, "must be 1-100 printable characters"));
                }
                v
            }
            None => DEFAULT_ORG_NAME.to_string(),
        };

        let owner_emails = match l.list("owner_emails", &l.file.owner_emails) {
            Some((name, list)) => list
                .into_iter()
                .map(|e| {
                    normalize_email(&e)
                        .ok_or_else(|| invalid(&name, format!("{e:?} is not an email address")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let owner_groups = match l.list("owner_groups", &l.file.owner_groups) {
            Some((_, list)) => list,
            None => vec![DEFAULT_OWNER_GROUPS.to_string()],
        };

        let allow_idp_initiated = l
            .boolean("allow_idp_initiated", l.file.allow_idp_initiated)?
            .unwrap_or(false);
        let allow_sha1 = l.boolean("allow_sha1", l.file.allow_sha1)?.unwrap_or(false);

        let attr = |key: &str,
                    file: &Option<String>,
                    default: &str|
         -> Result<String, ConfigError> {
            match l.string(key, file) {
                Some((name, v)) if v.trim().is_empty() => Err(invalid(&name, "must not be empty")),
                Some((_, v)) => Ok(v.trim().to_string()),
                None => Ok(default.to_string()),
            }
        };
        let attributes = AttributeNames {
            email: attr("email_attribute", &l.file.email_attribute, "email")?,
            display_name: attr("name_attribute", &l.file.name_attribute, "displayName")?,
            groups: attr("groups_attribute", &l.file.groups_attribute, "groups")?,
        };

        let session_idle_minutes = match l.string(
            "session_idle_minutes",
            &l.file.session_idle_minutes.map(|m| m.to_string()),
        ) {
            Some((name, v)) => match v.trim().parse::<i64>() {
                Ok(m) if (5..=7 * 24 * 60).contains(&m) => m,
                _ => {
                    return Err(invalid(
                        &name,
                        format!("expected minutes from 5 to 10080, got {v:?}"),
                    ))
                }
            },
            None => 8 * 60,
        };

        let session_max_hours = match l.string(
            "session_max_hours",
            &l.file.session_max_hours.map(|m| m.to_string()),
        ) {
            Some((name, v)) => match v.trim().parse::<i64>() {
                Ok(h) if (1..=30 * 24).contains(&h) && h * 60 >= session_idle_minutes => h,
                _ => {
                    return Err(invalid(
                        &name,
                        format!(
                            "expected hours from 1 to 720, and not less than the idle timeout \
                             ({session_idle_minutes} minutes), got {v:?}"
                        ),
                    ))
                }
            },
            None => (24).max((session_idle_minutes + 59) / 60),
        };

        let trusted_proxies = match l.list("trusted_proxies", &l.file.trusted_proxies) {
            Some((name, list)) => list
                .iter()
                .map(|p| {
                    IpNet::parse(p).ok_or_else(|| {
                        invalid(&name, format!("{p:?} is not an IP address or CIDR range"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        let per_minute = |key: &str, file: Option<u32>, default: u32| -> Result<u32, ConfigError> {
            match l.string(key, &file.map(|n| n.to_string())) {
                Some((name, v)) => match v.trim().parse::<u32>() {
                    Ok(n) if (1..=100_000).contains(&n) => Ok(n),
                    _ => Err(invalid(
                        &name,
                        format!("expected requests per minute from 1 to 100000, got {v:?}"),
                    )),
                },
                None => Ok(default),
            }
        };
        let signin_rate_per_minute =
            per_minute("signin_rate_per_minute", l.file.signin_rate_per_minute, 60)?;
        let auth_failures_per_minute = per_minute(
            "auth_failures_per_minute",
            l.file.auth_failures_per_minute,
            30,
        )?;

        let request_timeout_seconds = match l.string(
            "request_timeout_seconds",
            &l.file.request_timeout_seconds.map(|n| n.to_string()),
        ) {
            Some((name, v)) => match v.trim().parse::<u64>() {
                Ok(n) if (1..=600).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        &name,
                        format!("expected seconds from 1 to 600, got {v:?}"),
                    ))
                }
            },
            None => 30,
        };
        let idp_metadata_refresh_seconds = match l.string(
            "idp_metadata_refresh_seconds",
            &l.file.idp_metadata_refresh_seconds.map(|n| n.to_string()),
        ) {
            Some((name, v)) => match v.trim().parse::<u64>() {
                Ok(n) if (5..=7 * 24 * 3600).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        &name,
                        format!("expected seconds from 5 to 604800, got {v:?}"),
                    ))
                }
            },
            None => 3600,
        };

        let personal_token_max_days = match l.string(
            "personal_token_max_days",
            &l.file.personal_token_max_days.map(|n| n.to_string()),
        ) {
            Some((name, v)) => match v.trim().parse::<i64>() {
                Ok(n) if (1..=3650).contains(&n) => Some(n),
                _ => {
                    return Err(invalid(
                        &name,
                        format!("expected days from 1 to 3650, got {v:?}"),
                    ))
                }
            },
            None => None,
        };

        let sp_key_files = match (
            l.string("sp_key", &l.file.sp_key),
            l.string("sp_cert", &l.file.sp_cert),
        ) {
            (Some((_, key)), Some((_, cert))) => {
                Some((key.trim().to_string(), cert.trim().to_string()))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "GATEHOUSE_SP_CERT",
                    "is required with GATEHOUSE_SP_KEY (the certificate of that key, PEM)",
                ))
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "GATEHOUSE_SP_KEY",
                    "is required with GATEHOUSE_SP_CERT (the private key, PEM)",
                ))
            }
        };
        let sign_authn_requests = l
            .boolean("sign_authn_requests", l.file.sign_authn_requests)?
            .unwrap_or(true);

        let role_sync = match l.string("role_sync", &l.file.role_sync) {
            Some((name, v)) => match v.trim() {
                "first_sign_in" => app::server::users::RoleSync::FirstSignIn,
                "every_sign_in" => app::server::users::RoleSync::EverySignIn,
                other => {
                    return Err(invalid(
                        &name,
                        format!("expected first_sign_in or every_sign_in, got {other:?}"),
                    ))
                }
            },
            None => app::server::users::RoleSync::FirstSignIn,
        };

        Ok(Config {
            listen_addr,
            metrics_addr,
            public_url,
            database_url,
            idp,
            org_id,
            org_name,
            owner_emails,
            owner_groups,
            allow_idp_initiated,
            allow_sha1,
            attributes,
            session_idle_minutes,
            session_max_hours,
            trusted_proxies,
            signin_rate_per_minute,
            auth_failures_per_minute,
            request_timeout_seconds,
            sp_key_files,
            sign_authn_requests,
            sp_next_cert: l
                .string("sp_next_cert", &l.file.sp_next_cert)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty()),
            role_sync,
            require_encrypted_assertions: l
                .boolean(
                    "require_encrypted_assertions",
                    l.file.require_encrypted_assertions,
                )?
                .unwrap_or(false),
            allow_rsa1_5: l
                .boolean("allow_rsa1_5", l.file.allow_rsa1_5)?
                .unwrap_or(false),
            idp_metadata_refresh_seconds,
            personal_token_max_days,
            idp_metadata_signing_cert: l
                .string(
                    "idp_metadata_signing_cert",
                    &l.file.idp_metadata_signing_cert,
                )
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        })
    }
}

fn parse_public_url(name: &str, v: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(v.trim()).map_err(|e| invalid(name, format!("not a valid URL: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(name, "must be an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.host_str().is_none() {
        return Err(invalid(
            name,
            "must be a base URL without query or fragment",
        ));
    }
    if url.path() != "/" {
        return Err(invalid(
            name,
            "serving under a sub-path is not supported; use a bare origin",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An IP address or a CIDR range, for the trusted-proxy list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// A DNS label (it becomes part of service-account email domains).
fn valid_org_id(v: &str) -> bool {
    (3..=63).contains(&v.len())
        && !v.starts_with('-')
        && !v.ends_with('-')
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Lower-cases and checks the shape of an email address. Non-ASCII addresses are refused:
/// SQLite's `LOWER` folds ASCII only and PostgreSQL's folds Unicode, so two spellings of one
/// non-ASCII address could be one user on one backend and two on the other (decision 0007).
pub fn normalize_email(raw: &str) -> Option<String> {
    if !raw.is_ascii() {
        return None;
    }
    let email = raw.trim().to_ascii_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    ok.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(toml: Option<&str>, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(toml, &|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_give_a_local_sqlite_console_with_the_dev_idp() {
        let c = load(None, &[]).unwrap();
        assert_eq!(c.listen_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:3000/");
        assert_eq!(c.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(c.idp, IdpSource::Dev);
        assert_eq!(c.owner_groups, vec!["gatehouse-owners"]);
        assert!(!c.allow_sha1 && !c.allow_idp_initiated);
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let toml = r#"
            org_name = "From File"
            public_url = "http://localhost:4000"
            owner_emails = ["Boss@Example.com"]
        "#;
        let c = load(Some(toml), &[("GATEHOUSE_ORG_NAME", "From Env")]).unwrap();
        assert_eq!(c.org_name, "From Env");
        assert_eq!(c.public_url.as_str(), "http://localhost:4000/");
        assert_eq!(c.owner_emails, vec!["boss@example.com"]);
    }

    #[test]
    fn lists_in_the_environment_are_comma_separated() {
        let c = load(
            None,
            &[
                ("GATEHOUSE_OWNER_EMAILS", "a@x.io, B@x.io"),
                ("GATEHOUSE_OWNER_GROUPS", "admins,ops"),
            ],
        )
        .unwrap();
        assert_eq!(c.owner_emails, vec!["a@x.io", "b@x.io"]);
        assert_eq!(c.owner_groups, vec!["admins", "ops"]);
    }

    #[test]
    fn each_invalid_setting_is_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("GATEHOUSE_PUBLIC_URL", "not a url")],
                "GATEHOUSE_PUBLIC_URL",
            ),
            (
                &[("GATEHOUSE_PUBLIC_URL", "ftp://x.io")],
                "GATEHOUSE_PUBLIC_URL",
            ),
            (
                &[("GATEHOUSE_LISTEN_ADDR", "localhost")],
                "GATEHOUSE_LISTEN_ADDR",
            ),
            (
                &[("GATEHOUSE_DATABASE_URL", "mysql://u:p@h/db")],
                "GATEHOUSE_DATABASE_URL",
            ),
            (&[("GATEHOUSE_DEV_IDP", "maybe")], "GATEHOUSE_DEV_IDP"),
            (&[("GATEHOUSE_DEV_IDP", "false")], "GATEHOUSE_IDP_METADATA"),
            (
                &[("GATEHOUSE_ORG_ID", "Org With Spaces")],
                "GATEHOUSE_ORG_ID",
            ),
            (&[("GATEHOUSE_ORG_ID", "org_abc123")], "GATEHOUSE_ORG_ID"),
            (&[("GATEHOUSE_ORG_ID", "-abc")], "GATEHOUSE_ORG_ID"),
            (&[("GATEHOUSE_ROLE_SYNC", "always")], "GATEHOUSE_ROLE_SYNC"),
            (
                &[("GATEHOUSE_OWNER_EMAILS", "not-an-email")],
                "GATEHOUSE_OWNER_EMAILS",
            ),
            (
                &[("GATEHOUSE_SESSION_IDLE_MINUTES", "1")],
                "GATEHOUSE_SESSION_IDLE_MINUTES",
            ),
            (
                &[
                    ("GATEHOUSE_IDP_METADATA", "/etc/idp.xml"),
                    ("GATEHOUSE_DEV_IDP", "true"),
                ],
                "GATEHOUSE_DEV_IDP",
            ),
        ];
        for (env, setting) in cases {
            let err = load(None, env).unwrap_err();
            assert_eq!(err.setting, *setting, "{env:?} gave {err}");
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let err = load(Some("pubic_url = \"http://x\""), &[]).unwrap_err();
        assert_eq!(err.setting, "--config");
        assert!(err.message.contains("pubic_url"), "{}", err.message);
    }

    #[test]
    fn the_dev_idp_runs_only_when_listen_address_and_public_url_are_both_loopback() {
        let err = load(
            None,
            &[("GATEHOUSE_PUBLIC_URL", "https://console.example.com")],
        )
        .unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_DEV_IDP");
        // The hole this closes: all interfaces, with a loopback public URL.
        let err = load(
            None,
            &[
                ("GATEHOUSE_LISTEN_ADDR", "0.0.0.0:3000"),
                ("GATEHOUSE_PUBLIC_URL", "http://127.0.0.1:3000"),
            ],
        )
        .unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_DEV_IDP");
        // Forcing is gone.
        let err = load(
            None,
            &[
                ("GATEHOUSE_PUBLIC_URL", "https://console.example.com"),
                ("GATEHOUSE_DEV_IDP_FORCE", "true"),
            ],
        )
        .unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_DEV_IDP_FORCE");
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.5:80",
            "http://[::1]:3000",
        ] {
            assert!(load(None, &[("GATEHOUSE_PUBLIC_URL", ok)]).is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_non_loopback_listen_address_needs_an_explicit_public_url() {
        for addr in ["0.0.0.0:3000", "[::]:3000", "10.1.2.3:3000"] {
            let err = load(
                None,
                &[
                    ("GATEHOUSE_LISTEN_ADDR", addr),
                    ("GATEHOUSE_IDP_METADATA", "/etc/idp.xml"),
                ],
            )
            .unwrap_err();
            assert_eq!(err.setting, "GATEHOUSE_PUBLIC_URL", "{addr}");
        }
        let ok = load(
            None,
            &[
                ("GATEHOUSE_LISTEN_ADDR", "0.0.0.0:3000"),
                ("GATEHOUSE_PUBLIC_URL", "https://console.example.com"),
                ("GATEHOUSE_IDP_METADATA", "/etc/idp.xml"),
            ],
        )
        .unwrap();
        assert_eq!(ok.public_url.as_str(), "https://console.example.com/");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_cidr_ranges() {
        let c = load(
            None,
            &[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/8, ::1, 192.168.1.7")],
        )
        .unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(c.trusted_proxies[0].contains(ip("10.200.3.4")));
        assert!(!c.trusted_proxies[0].contains(ip("11.0.0.1")));
        assert!(c.trusted_proxies[0].contains(ip("::ffff:10.0.0.1")));
        assert!(c.trusted_proxies[1].contains(ip("::1")));
        assert!(!c.trusted_proxies[2].contains(ip("192.168.1.8")));
        assert_eq!(
            load(None, &[("GATEHOUSE_TRUSTED_PROXIES", "10.0.0.0/33")])
                .unwrap_err()
                .setting,
            "GATEHOUSE_TRUSTED_PROXIES"
        );
        assert_eq!(
            IpNet::parse("0.0.0.0/0").map(|n| n.contains(ip("8.8.8.8"))),
            Some(true)
        );
    }

    #[test]
    fn the_absolute_session_lifetime_is_at_least_the_idle_timeout() {
        let c = load(None, &[]).unwrap();
        assert_eq!((c.session_idle_minutes, c.session_max_hours), (480, 24));
        let err = load(
            None,
            &[
                ("GATEHOUSE_SESSION_IDLE_MINUTES", "600"),
                ("GATEHOUSE_SESSION_MAX_HOURS", "2"),
            ],
        )
        .unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_SESSION_MAX_HOURS");
    }

    #[test]
    fn the_sp_key_and_certificate_come_together() {
        let c = load(None, &[]).unwrap();
        assert!(c.sign_authn_requests && c.sp_key_files.is_none());
        let err = load(None, &[("GATEHOUSE_SP_KEY", "/k.pem")]).unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_SP_CERT");
        let err = load(None, &[("GATEHOUSE_SP_CERT", "/c.pem")]).unwrap_err();
        assert_eq!(err.setting, "GATEHOUSE_SP_KEY");
        let c = load(
            None,
            &[
                ("GATEHOUSE_SP_KEY", "/k.pem"),
                ("GATEHOUSE_SP_CERT", "/c.pem"),
                ("GATEHOUSE_SIGN_AUTHN_REQUESTS", "false"),
            ],
        )
        .unwrap();
        assert_eq!(c.sp_key_files, Some(("/k.pem".into(), "/c.pem".into())));
        assert!(!c.sign_authn_requests);
    }

    #[test]
    fn debug_output_never_shows_the_database_password() {
        let c = load(
            None,
            &[(
                "GATEHOUSE_DATABASE_URL",
                "postgres://app:s3cret-pw@db.internal/gatehouse",
            )],
        )
        .unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret-pw"), "{debug}");
        assert!(debug.contains("db.internal"));
        let err = load(
            None,
            &[("GATEHOUSE_DATABASE_URL", "mysql://app:s3cret-pw@h/db")],
        )
        .unwrap_err();
        assert!(!err.to_string().contains("s3cret-pw"));
    }

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "ada@localhost",
            "a b@x.io",
            "a@x.io@y.io",
            // Non-ASCII is refused, so both backends fold case the same way.
            "ÅSA@example.com",
            "asa@exämple.com",
            "ǅ@x.io",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
    }
}
