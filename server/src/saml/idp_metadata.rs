//! The IdP's metadata, kept current without a restart.
//!
//! From a URL it is fetched again on a schedule (hourly by default, sooner when the metadata's
//! `cacheDuration` or `validUntil` asks); from a file it is read again when the file changes.
//! Every signing certificate in it is trusted, so an IdP's certificate rollover (old, then old
//! and new, then new) needs no restart and fails no sign-in. A failed refresh keeps the last
//! good metadata in use, logs, and shows owners a warning (`IdentityProvider::last_error`).
//! Optionally the metadata must be signed by a pinned certificate.
//!
//! The document is untrusted input: at most 1 MiB, no DOCTYPE, and a signature (if pinned)
//! goes through the same pre-scan as responses (same-document references only) first.
use super::prescan;
use super::{SamlSetupError, SamlSp, SpOptions};
use app::model::{IdentityProvider, IdpCertificate};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
use samael::metadata::EntityDescriptor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

/// Largest metadata document we read.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;
/// How often a metadata file's modification time is looked at.
const FILE_POLL: Duration = Duration::from_secs(5);
/// The soonest a URL is fetched again, whatever the metadata says.
const MIN_REFRESH: Duration = Duration::from_secs(60);

/// Where the IdP metadata comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataSource {
    Url(String),
    File(PathBuf),
    /// The built-in development IdP: generated in-process, never refreshed.
    Dev,
}

impl MetadataSource {
    pub fn parse(source: &str) -> MetadataSource {
        if source.starts_with("http://") || source.starts_with("https://") {
            MetadataSource::Url(source.to_string())
        } else {
            MetadataSource::File(PathBuf::from(source))
        }
    }

    fn describe(&self) -> String {
        match self {
            MetadataSource::Url(url) => url.clone(),
            MetadataSource::File(path) => format!("file {}", path.display()),
            MetadataSource::Dev => "the built-in development IdP".to_string(),
        }
    }
}

/// Parsed metadata and what it says about its own freshness.
#[derive(Debug)]
pub struct Loaded {
    pub descriptor: EntityDescriptor,
    /// `cacheDuration`, if any.
    pub cache_duration: Option<Duration>,
    /// `validUntil`, Unix seconds, if any.
    pub valid_until: Option<i64>,
}

/// `xs:duration` as metadata uses it (`PT1H`, `P1D`, `PT30M`, `P1DT12H`); months and years
/// are not used for caching and are refused.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let rest = text.trim().strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut seconds = 0f64;
    let mut take = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let factor = units.iter().find(|(u, _)| *u == c)?.1;
                seconds += number.parse::<f64>().ok()? * factor;
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    take(date, &[('D', 86_400.0), ('W', 7.0 * 86_400.0)])?;
    if let Some(time) = time {
        take(time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)])?;
    }
    (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Checks and parses a metadata document. With `pin`, the document must carry exactly one
/// signature, on its root element, that verifies with the pinned certificate.
pub fn parse(xml: &str, pin: Option<&CertificateDer>) -> Result<Loaded, String> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(format!("larger than {MAX_METADATA_BYTES} bytes"));
    }
    let scan = prescan::prescan_root(xml, &[b"EntityDescriptor"])
        .map_err(|(kind, detail)| format!("refused before parsing ({kind:?}): {detail}"))?;
    if let Some(pin) = pin {
        if scan.signatures != 1 || scan.root_signature.is_none() {
            return Err(
                "the metadata is not signed on its root element (a signing certificate is pinned)"
                    .into(),
            );
        }
        if let Some(algorithm) = scan.disallowed_algorithm(false) {
            return Err(format!("the metadata signature uses {algorithm:?}"));
        }
        Crypto::verify_signed_xml(xml.as_bytes(), pin, Some("ID")).map_err(|e| {
            format!("the metadata signature does not verify with the pinned certificate: {e}")
        })?;
    }
    let descriptor: EntityDescriptor =
        xml.parse().map_err(|e| format!("not SAML metadata: {e}"))?;
    Ok(Loaded {
        cache_duration: descriptor
            .cache_duration
            .as_deref()
            .and_then(parse_duration),
        valid_until: descriptor.valid_until.map(|t| t.timestamp()),
        descriptor,
    })
}

/// Reads the metadata from its source, once.
pub async fn read(source: &MetadataSource, client: &reqwest::Client) -> Result<String, String> {
    match source {
        MetadataSource::Url(url) => {
            let mut response = client
                .get(url)
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .map_err(|e| format!("cannot fetch {url}: {e}"))?;
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| format!("reading {url}: {e}"))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_METADATA_BYTES {
                    return Err(format!("{url} sent more than {MAX_METADATA_BYTES} bytes"));
                }
            }
            String::from_utf8(body).map_err(|_| format!("{url} did not send UTF-8"))
        }
        MetadataSource::File(path) => {
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if bytes.len() > MAX_METADATA_BYTES {
                return Err(format!(
                    "{} is larger than {MAX_METADATA_BYTES} bytes",
                    path.display()
                ));
            }
            String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", path.display()))
        }
        MetadataSource::Dev => Err("the development IdP has no metadata to read".into()),
    }
}

/// An outbound client for metadata: 10 s per request, no redirects to other schemes.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| e.to_string())
}

fn certificate_info(der: &[u8]) -> Option<IdpCertificate> {
    let cert = openssl::x509::X509::from_der(der).ok()?;
    let subject = cert
        .subject_name()
        .entries()
        .filter_map(|e| {
            let key = e.object().nid().short_name().ok()?;
            let value = e.data().to_string().ok()?;
            Some(format!("{key}={value}"))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let epoch = openssl::asn1::Asn1Time::from_unix(0).ok()?;
    let diff = epoch.diff(cert.not_after()).ok()?;
    let digest = openssl::hash::hash(openssl::hash::MessageDigest::sha256(), der).ok()?;
    Some(IdpCertificate {
        subject,
        not_after: i64::from(diff.days) * 86_400 + i64::from(diff.secs),
        sha256_fingerprint: digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
    })
}

/// The running SP and how it stays current. Handlers take [`SamlHandle::current`] once per
/// request; a refresh swaps in a new SP without disturbing requests in flight.
pub struct SamlHandle {
    current: RwLock<Arc<SamlSp>>,
    options: SpOptions,
    source: MetadataSource,
    pin: Option<CertificateDer>,
    refresh_every: Duration,
    client: reqwest::Client,
    status: Arc<RwLock<IdentityProvider>>,
    /// The file's modification time at the last read (file sources).
    file_seen: Mutex<Option<SystemTime>>,
    /// When the next URL fetch is due, from the last good metadata's own hints.
    next_due: Mutex<Option<Duration>>,
}

impl std::fmt::Debug for SamlHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SamlHandle")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

pub struct HandleSettings {
    pub source: MetadataSource,
    pub pin: Option<CertificateDer>,
    pub refresh_every: Duration,
    /// Where owners read the status (shared with the app's server functions).
    pub status: Arc<RwLock<IdentityProvider>>,
}

impl SamlHandle {
    /// Builds the SP from metadata already loaded (at start, where a failure stops the server).
    pub fn new(
        loaded: Loaded,
        options: SpOptions,
        settings: HandleSettings,
        now: i64,
    ) -> Result<SamlHandle, SamlSetupError> {
        let sp = SamlSp::new(loaded.descriptor.clone(), options.clone())?;
        let handle = SamlHandle {
            current: RwLock::new(Arc::new(sp)),
            options,
            file_seen: Mutex::new(match &settings.source {
                MetadataSource::File(path) => {
                    std::fs::metadata(path).and_then(|m| m.modified()).ok()
                }
                _ => None,
            }),
            source: settings.source,
            pin: settings.pin,
            refresh_every: settings.refresh_every,
            client: client().map_err(SamlSetupError::Build)?,
            status: settings.status,
            next_due: Mutex::new(None),
        };
        handle.record_success(&loaded, now);
        Ok(handle)
    }

    /// The SP as of now.
    pub fn current(&self) -> Arc<SamlSp> {
        match self.current.read() {
            Ok(sp) => Arc::clone(&sp),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn status(&self) -> IdentityProvider {
        match self.status.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn update_status(&self, change: impl FnOnce(&mut IdentityProvider)) {
        match self.status.write() {
            Ok(mut s) => change(&mut s),
            Err(poisoned) => change(&mut poisoned.into_inner()),
        }
    }

    /// How long until the next URL fetch: the configured period, or sooner when the metadata's
    /// `cacheDuration` or `validUntil` asks, never sooner than a minute.
    fn period_after(&self, loaded: &Loaded, now: i64) -> Duration {
        let mut period = self.refresh_every;
        if let Some(cache) = loaded.cache_duration {
            period = period.min(cache);
        }
        if let Some(until) = loaded.valid_until {
            let left = u64::try_from(until - now).unwrap_or(0);
            period = period.min(Duration::from_secs(left / 2));
        }
        period.max(MIN_REFRESH)
    }

    fn record_success(&self, loaded: &Loaded, now: i64) {
        let sp = self.current();
        let certificates = sp
            .idp_certificates()
            .iter()
            .filter_map(|cert| certificate_info(cert.der_data()))
            .collect();
        let period = self.period_after(loaded, now);
        if let Ok(mut due) = self.next_due.lock() {
            *due = Some(period);
        }
        let next = matches!(self.source, MetadataSource::Url(_))
            .then(|| now + i64::try_from(period.as_secs()).unwrap_or(3600));
        let sp_metadata_xml = sp.metadata_xml().unwrap_or_default();
        self.update_status(|s| {
            *s = IdentityProvider {
                entity_id: sp.idp_entity_id().to_string(),
                metadata_source: self.source.describe(),
                sso_url: sp.idp_sso_url().to_string(),
                slo_url: sp.idp_slo().map(|slo| slo.location.clone()),
                certificates,
                last_refresh_at: Some(now),
                last_attempt_at: Some(now),
                last_error: None,
                next_refresh_at: next,
                metadata_signature_pinned: self.pin.is_some(),
                sp_entity_id: sp.entity_id().to_string(),
                sp_metadata_url: sp.entity_id().to_string(),
                sp_metadata_xml,
            };
        });
    }

    fn record_failure(&self, error: &str, now: i64) {
        tracing::warn!(source = %self.source.describe(), "IdP metadata refresh failed; keeping the last good metadata: {error}");
        let retry = matches!(self.source, MetadataSource::Url(_))
            .then(|| now + i64::try_from(MIN_REFRESH.as_secs()).unwrap_or(60));
        self.update_status(|s| {
            s.last_attempt_at = Some(now);
            s.last_error = Some(error.to_string());
            s.next_refresh_at = retry;
        });
    }

    /// Reads the metadata again and, if it is good, swaps in a new SP. A failure keeps the
    /// last good SP and is recorded for owners. Returns whether the new metadata is in use.
    pub async fn refresh(&self, now: i64) -> bool {
        if self.source == MetadataSource::Dev {
            return false;
        }
        let outcome = match read(&self.source, &self.client).await {
            Ok(xml) => parse(&xml, self.pin.as_ref()).and_then(|loaded| {
                SamlSp::new(loaded.descriptor.clone(), self.options.clone())
                    .map(|sp| (loaded, sp))
                    .map_err(|e| e.to_string())
            }),
            Err(e) => Err(e),
        };
        match outcome {
            Ok((loaded, sp)) => {
                match self.current.write() {
                    Ok(mut current) => *current = Arc::new(sp),
                    Err(poisoned) => *poisoned.into_inner() = Arc::new(sp),
                }
                self.record_success(&loaded, now);
                tracing::info!(source = %self.source.describe(), "IdP metadata refreshed");
                true
            }
            Err(e) => {
                self.record_failure(&e, now);
                false
            }
        }
    }

    /// Whether the metadata file changed since it was last read.
    fn file_changed(&self) -> bool {
        let MetadataSource::File(path) = &self.source else {
            return false;
        };
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        match self.file_seen.lock() {
            Ok(mut seen) if *seen != modified => {
                *seen = modified;
                true
            }
            _ => false,
        }
    }

    /// Keeps the metadata current until the task is aborted: a URL on its schedule, a file
    /// when it changes. `now` reads the application clock.
    pub async fn keep_current(self: Arc<Self>, now: impl Fn() -> i64) {
        match &self.source {
            MetadataSource::Dev => std::future::pending::<()>().await,
            MetadataSource::File(_) => loop {
                tokio::time::sleep(FILE_POLL).await;
                if self.file_changed() {
                    self.refresh(now()).await;
                }
            },
            MetadataSource::Url(_) => loop {
                let wait = if self.status().last_error.is_some() {
                    MIN_REFRESH
                } else {
                    self.next_due
                        .lock()
                        .ok()
                        .and_then(|d| *d)
                        .unwrap_or(self.refresh_every)
                };
                tokio::time::sleep(wait).await;
                self.refresh(now()).await;
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_metadata_writes_them() {
        assert_eq!(parse_duration("PT1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("P1D"), Some(Duration::from_secs(86_400)));
        assert_eq!(
            parse_duration("P1DT12H30M"),
            Some(Duration::from_secs(131_400))
        );
        assert_eq!(parse_duration("PT90S"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("P1M"), None, "months are not a fixed length");
        assert_eq!(parse_duration("1H"), None);
        assert_eq!(parse_duration("PT"), None);
    }

    #[test]
    fn a_doctype_or_an_oversized_document_is_refused_before_parsing() {
        let doctype = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">&e;</md:EntityDescriptor>";
        assert!(parse(doctype, None).unwrap_err().contains("Doctype"));
        let big = format!(
            "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"x\">{}</md:EntityDescriptor>",
            " ".repeat(MAX_METADATA_BYTES)
        );
        assert!(parse(&big, None).unwrap_err().contains("larger"));
    }
}
