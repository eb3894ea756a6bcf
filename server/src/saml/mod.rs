//! Gatehouse as a SAML 2.0 Service Provider, on samael.
//!
//! samael verifies the signature (reducing the document to what is signed, which defeats
//! signature wrapping), issuer, destination, recipient, InResponseTo and validity windows.
//! On top of that, because samael does not, this module: refuses DOCTYPEs; refuses to start
//! without an IdP signing certificate (samael would silently skip verification); requires an
//! AudienceRestriction naming us; requires exactly one assertion; requires a subject; refuses
//! SHA-1 unless allowed; and checks validity windows against the injectable clock. Request-id
//! consumption and the replay cache need the database and live in the ACS handler.
pub mod decrypt;
pub mod idp_metadata;
pub mod logout;
pub mod prescan;
pub mod sp_key;
pub mod xmlsec_io;

use crate::config::AttributeNames;
use base64::Engine as _;
use samael::crypto::AllowedSignatureAlgorithm;
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{
    EncryptionMethod, Endpoint, EntityDescriptor, IndexedEndpoint, KeyDescriptor, SpSsoDescriptor,
    HTTP_POST_BINDING, HTTP_REDIRECT_BINDING,
};
use samael::schema::Assertion;
use samael::service_provider::{Error as SpError, ServiceProvider, ServiceProviderBuilder};
use samael::traits::ToXml;
use std::fmt;
use time::OffsetDateTime;
use url::Url;

/// Largest SAMLResponse we read (base64 text). Real responses are a few KB.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// How long an issued AuthnRequest may be answered.
pub const REQUEST_TTL_SECONDS: i64 = 10 * 60;
const EMAIL_NAME_ID_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// Allowed clock difference with the IdP.
pub const CLOCK_SKEW_SECONDS: i64 = 180;
/// How long an accepted assertion id is remembered when it states no expiry of its own.
const DEFAULT_REPLAY_WINDOW_SECONDS: i64 = 60 * 60;

pub struct SamlSp {
    sp: ServiceProvider,
    entity_id: String,
    acs_url: String,
    slo_url: String,
    idp_sso_url: String,
    idp_entity_id: String,
    /// The IdP's SingleLogoutService, if its metadata lists one.
    idp_slo: Option<logout::IdpSlo>,
    allow_sha1: bool,
    allow_idp_initiated: bool,
    attributes: AttributeNames,
    /// The SP key pair: decrypts assertions, and signs AuthnRequests when `sign_requests`.
    key: Option<sp_key::SpKey>,
    sign_requests: bool,
    require_encryption: bool,
    allow_rsa1_5: bool,
    /// The next SP certificate (DER), published beside the current one during a rollover.
    next_certificate: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SamlSetupError {
    #[error("the IdP metadata has no signing certificate: refusing to accept unsigned sign-ins")]
    NoSigningCertificate,
    #[error("the IdP metadata has an unreadable signing certificate: {0}")]
    BadCertificate(String),
    #[error("the IdP metadata has no SingleSignOnService with the HTTP-Redirect binding")]
    NoRedirectEndpoint,
    #[error("the IdP metadata has no entityID")]
    NoEntityId,
    #[error("could not build the service provider: {0}")]
    Build(String),
}

/// Settings of the SP side that come from configuration.
#[derive(Clone)]
pub struct SpOptions {
    pub public_base_url: String,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    pub attributes: AttributeNames,
    /// The SP key pair: encrypted assertions are decrypted with it, and (with
    /// `sign_requests`) AuthnRequests signed (RSA-SHA256, HTTP-Redirect binding).
    pub key: Option<sp_key::SpKey>,
    pub sign_requests: bool,
    /// Refuse assertions that are not encrypted.
    pub require_encryption: bool,
    /// Accept RSA PKCS#1 v1.5 key transport (off unless configured).
    pub allow_rsa1_5: bool,
    /// A rollover's next certificate (DER): listed in the metadata, not yet used.
    pub next_certificate: Option<Vec<u8>>,
}

/// A response that passed every check that does not need the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedResponse {
    pub in_response_to: Option<String>,
    pub assertion_id: String,
    /// Unix seconds until which the assertion id must be remembered against replay.
    pub replay_expires_at: i64,
    pub email: String,
    pub display_name: String,
    pub groups: Vec<String>,
    /// The subject's NameID (value and format) and the IdP's session index: what a
    /// LogoutRequest names. Without a NameID, the email stands in.
    pub name_id: String,
    pub name_id_format: Option<String>,
    pub session_index: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    TooLarge,
    Malformed,
    Doctype,
    AssertionCount,
    Unsigned,
    BadSignature,
    WeakAlgorithm,
    ForbiddenSignature,
    Busy,
    OtherBrowser,
    Expired,
    NotYetValid,
    Audience,
    Recipient,
    Issuer,
    IdpError,
    Unsolicited,
    UnknownRequest,
    Replay,
    NoSubject,
    BadEmail,
    Unsupported,
    NotEncrypted,
    EncryptionAlgorithm,
    Undecryptable,
    /// A valid response for someone an owner removed (and has not allowed back).
    Removed,
}

impl RefusalKind {
    /// The sentence shown after "Sign-in failed: ".
    pub fn message(self) -> &'static str {
        match self {
            RefusalKind::TooLarge => "the identity provider's response was too large",
            RefusalKind::Malformed => "the identity provider's response could not be read",
            RefusalKind::Doctype => "the identity provider's response contained a forbidden DOCTYPE declaration",
            RefusalKind::AssertionCount => "the identity provider's response must contain exactly one assertion",
            RefusalKind::Unsigned => "the identity provider's response was not signed",
            RefusalKind::BadSignature => "the identity provider's response signature was invalid",
            RefusalKind::WeakAlgorithm => "the identity provider's response was signed with an algorithm that is not allowed (SHA-1 needs GATEHOUSE_ALLOW_SHA1; MD5 never)",
            RefusalKind::ForbiddenSignature => "the identity provider's response had a signature that refers to something outside the signed response",
            RefusalKind::Busy => "Gatehouse is busy checking other sign-ins; please try again in a moment",
            RefusalKind::OtherBrowser => "this sign-in was started in another browser, or this browser did not keep its sign-in cookie; please start again here",
            RefusalKind::Expired => "the identity provider's response was expired",
            RefusalKind::NotYetValid => "the identity provider's response is not valid yet (check the clocks)",
            RefusalKind::Audience => "the identity provider's response was meant for a different service",
            RefusalKind::Recipient => "the identity provider's response was addressed to a different URL",
            RefusalKind::Issuer => "the identity provider's response came from an unexpected issuer",
            RefusalKind::IdpError => "the identity provider reported an error",
            RefusalKind::Unsolicited => "sign-ins started at the identity provider are not enabled; start from this console",
            RefusalKind::UnknownRequest => "the sign-in attempt was unknown, expired or already used; please start again",
            RefusalKind::Replay => "the identity provider's response was already used",
            RefusalKind::NoSubject => "the identity provider's response did not say who you are",
            RefusalKind::BadEmail => "the identity provider did not send a valid email address",
            RefusalKind::Unsupported => "the identity provider's response uses a feature Gatehouse does not support",
            RefusalKind::NotEncrypted => "the identity provider's assertion was not encrypted, and this Gatehouse requires encryption",
            RefusalKind::EncryptionAlgorithm => "the identity provider encrypted the assertion with an algorithm Gatehouse does not accept (use RSA-OAEP with AES-GCM or AES-CBC)",
            RefusalKind::Undecryptable => "the identity provider's encrypted assertion could not be decrypted with this Gatehouse's key",
            RefusalKind::Removed => "an owner removed you from this organization; ask an owner to allow you back",
        }
    }
}

/// Why a response was refused: a kind for the user, a detail for the log.
#[derive(Debug)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub detail: String,
}

impl Refusal {
    pub fn new(kind: RefusalKind, detail: impl Into<String>) -> Self {
        Refusal {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

const STRONG_ALGORITHMS: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
];

impl SamlSp {
    pub fn new(idp: EntityDescriptor, options: SpOptions) -> Result<Self, SamlSetupError> {
        let base = options.public_base_url.trim_end_matches('/');
        let entity_id = format!("{base}{}", app::urls::SAML_METADATA);
        let acs_url = format!("{base}{}", app::urls::SAML_ACS);
        xmlsec_io::forbid_external_references();
        let idp_entity_id = idp.entity_id.clone().unwrap_or_default();
        if idp_entity_id.is_empty() {
            return Err(SamlSetupError::NoEntityId);
        }
        let idp_slo = logout::idp_slo(&idp);
        let sp = ServiceProviderBuilder::default()
            .entity_id(entity_id.clone())
            .acs_url(acs_url.clone())
            .metadata_url(entity_id.clone())
            .idp_metadata(idp)
            .authn_name_id_format(Some(EMAIL_NAME_ID_FORMAT.to_string()))
            .allow_idp_initiated(options.allow_idp_initiated)
            // samael's list has no RSA-SHA1, so with ALLOW_SHA1 it is off and the prescan's
            // positive allow-list (which adds RSA-SHA1 and nothing else) is the one in force.
            .allowed_signature_algorithms(if options.allow_sha1 {
                None
            } else {
                Some(STRONG_ALGORITHMS.to_vec())
            })
            .max_clock_skew(chrono::Duration::seconds(CLOCK_SKEW_SECONDS))
            .max_issue_delay(chrono::Duration::seconds(CLOCK_SKEW_SECONDS))
            .build()
            .map_err(|e| SamlSetupError::Build(e.to_string()))?;
        // Fail closed: without a certificate samael would accept unsigned responses.
        match sp.idp_signing_certs() {
            Ok(Some(certs)) if !certs.is_empty() => {}
            Ok(_) => return Err(SamlSetupError::NoSigningCertificate),
            Err(e) => return Err(SamlSetupError::BadCertificate(e.to_string())),
        }
        let idp_sso_url = sp
            .sso_binding_location(HTTP_REDIRECT_BINDING)
            .ok_or(SamlSetupError::NoRedirectEndpoint)?;
        Ok(SamlSp {
            sp,
            entity_id,
            acs_url,
            slo_url: format!("{base}{}", app::urls::SAML_SLO),
            idp_sso_url,
            idp_entity_id,
            idp_slo,
            allow_sha1: options.allow_sha1,
            allow_idp_initiated: options.allow_idp_initiated,
            attributes: options.attributes,
            key: options.key,
            sign_requests: options.sign_requests,
            require_encryption: options.require_encryption,
            allow_rsa1_5: options.allow_rsa1_5,
            next_certificate: options.next_certificate,
        })
    }

    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    pub fn idp_entity_id(&self) -> &str {
        &self.idp_entity_id
    }

    pub fn idp_sso_url(&self) -> &str {
        &self.idp_sso_url
    }

    /// Every signing certificate of the IdP: all are trusted.
    pub fn idp_certificates(&self) -> Vec<samael::crypto::CertificateDer> {
        self.sp
            .idp_signing_certs()
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The key that signs our requests, when requests are signed.
    fn signing_key(&self) -> Option<&sp_key::SpKey> {
        self.key.as_ref().filter(|_| self.sign_requests)
    }

    pub fn acs_url(&self) -> &str {
        &self.acs_url
    }

    /// SP metadata XML for the IdP to import: one well-formed document (samael writes the XML
    /// declaration itself), the ACS on HTTP-POST, signed assertions wanted, the NameID format
    /// we ask for, Single Logout on both bindings. No
    /// `validUntil`: a copy uploaded once to an IdP must not go stale.
    pub fn metadata_xml(&self) -> Result<String, String> {
        let current = match &self.key {
            Some(key) => Some(key.certificate_der().map_err(|e| e.to_string())?),
            None => None,
        };
        let descriptor_for =
            |key_use: &str, der: &Vec<u8>, methods: Option<Vec<EncryptionMethod>>| KeyDescriptor {
                key_use: Some(key_use.to_string()),
                key_info: KeyInfo {
                    id: None,
                    x509_data: Some(X509Data {
                        certificates: vec![base64::engine::general_purpose::STANDARD.encode(der)],
                    }),
                },
                encryption_methods: methods,
            };
        let mut key_descriptors = Vec::new();
        if let Some(current) = current.as_ref() {
            // Signing: the current certificate, then (during a rollover) the next one.
            if self.sign_requests {
                for der in [Some(current), self.next_certificate.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    key_descriptors.push(descriptor_for("signing", der, None));
                }
            }
            // Encryption: only the key we hold can decrypt.
            let methods = decrypt::CONTENT_ALGORITHMS
                .iter()
                .chain(decrypt::KEY_TRANSPORT_ALGORITHMS.iter())
                .map(|a| EncryptionMethod {
                    algorithm: (*a).to_string(),
                })
                .collect();
            key_descriptors.push(descriptor_for("encryption", current, Some(methods)));
        }
        let signs_requests = self.signing_key().is_some();
        let descriptor = EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            sp_sso_descriptors: Some(vec![SpSsoDescriptor {
                protocol_support_enumeration: Some(
                    "urn:oasis:names:tc:SAML:2.0:protocol".to_string(),
                ),
                key_descriptors: Some(key_descriptors).filter(|k| !k.is_empty()),
                name_id_formats: Some(vec![EMAIL_NAME_ID_FORMAT.to_string()]),
                authn_requests_signed: Some(signs_requests),
                want_assertions_signed: Some(true),
                // Single Logout needs our signature on every message: only with a key.
                single_logout_services: self.key.as_ref().map(|_| {
                    [HTTP_REDIRECT_BINDING, HTTP_POST_BINDING]
                        .into_iter()
                        .map(|binding| Endpoint {
                            binding: binding.to_string(),
                            location: self.slo_url.clone(),
                            response_location: None,
                        })
                        .collect()
                }),
                assertion_consumer_services: vec![IndexedEndpoint {
                    binding: HTTP_POST_BINDING.to_string(),
                    location: self.acs_url.clone(),
                    index: 0,
                    is_default: Some(true),
                    ..IndexedEndpoint::default()
                }],
                ..SpSsoDescriptor::default()
            }]),
            ..EntityDescriptor::default()
        };
        descriptor.to_string().map_err(|e| format!("{e:?}"))
    }

    /// The IdP URL (HTTP-Redirect binding) that carries an AuthnRequest with `request_id`.
    pub fn authn_request_url(&self, request_id: &str) -> Result<Url, String> {
        let mut request = self
            .sp
            .make_authentication_request(&self.idp_sso_url)
            .map_err(|e| e.to_string())?;
        request.id = request_id.to_string();
        let url = match self.signing_key() {
            // SAML Bindings §3.4.4.1: SigAlg and Signature over the query string.
            Some(key) => request.signed_redirect("", key.private_key()),
            None => request.redirect(""),
        };
        url.map_err(|e| e.to_string())?
            .ok_or_else(|| "the AuthnRequest has no destination".to_string())
    }

    /// Every check of a base64 `SAMLResponse` that does not need the database.
    pub fn validate(
        &self,
        saml_response: &str,
        now: OffsetDateTime,
    ) -> Result<ValidatedResponse, Refusal> {
        if saml_response.len() > MAX_RESPONSE_BYTES {
            return Err(Refusal::new(
                RefusalKind::TooLarge,
                format!("{} bytes", saml_response.len()),
            ));
        }
        let compact: String = saml_response
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| Refusal::new(RefusalKind::Malformed, format!("base64: {e}")))?;
        let xml = String::from_utf8(bytes)
            .map_err(|_| Refusal::new(RefusalKind::Malformed, "not UTF-8"))?;
        self.validate_xml(&xml, now)
    }

    pub fn validate_xml(
        &self,
        xml: &str,
        now: OffsetDateTime,
    ) -> Result<ValidatedResponse, Refusal> {
        let scan = prescan::prescan(xml).map_err(|(kind, detail)| Refusal::new(kind, detail))?;
        if scan.assertions != 1 {
            return Err(Refusal::new(
                RefusalKind::AssertionCount,
                format!("{} assertions", scan.assertions),
            ));
        }
        match scan.encrypted_assertion {
            Some(span) => {
                let decrypted = self.decrypted_view(xml, span, scan.root_signature)?;
                let scan = prescan::prescan(&decrypted)
                    .map_err(|(kind, detail)| Refusal::new(kind, detail))?;
                if scan.assertions != 1 || scan.encrypted_assertion.is_some() {
                    return Err(Refusal::new(
                        RefusalKind::AssertionCount,
                        "the decrypted response does not hold exactly one plain assertion",
                    ));
                }
                self.validate_scanned(&decrypted, scan, now)
            }
            None if self.require_encryption => Err(Refusal::new(
                RefusalKind::NotEncrypted,
                "a plain Assertion while encryption is required",
            )),
            None => self.validate_scanned(xml, scan, now),
        }
    }

    /// The response with its `EncryptedAssertion` replaced by the decrypted assertion and its
    /// own signature (which covered the encrypted form) left out: what is accepted must then
    /// carry the IdP's signature on the assertion itself.
    fn decrypted_view(
        &self,
        xml: &str,
        encrypted: (usize, usize),
        root_signature: Option<(usize, usize)>,
    ) -> Result<String, Refusal> {
        let key = self.key.as_ref().ok_or_else(|| {
            Refusal::new(
                RefusalKind::Unsupported,
                "an encrypted assertion and no SP key",
            )
        })?;
        let assertion = decrypt::decrypt_assertion(
            &xml[encrypted.0..encrypted.1],
            key.private_key(),
            self.allow_rsa1_5,
        )
        .map_err(|e| {
            let kind = match e {
                decrypt::DecryptError::Algorithm(_) => RefusalKind::EncryptionAlgorithm,
                decrypt::DecryptError::Failed(_) => RefusalKind::Undecryptable,
            };
            Refusal::new(kind, e.detail())
        })?;
        let mut cuts = vec![(encrypted, assertion.as_str())];
        if let Some(signature) = root_signature {
            cuts.push((signature, ""));
        }
        cuts.sort_by_key(|((start, _), _)| *start);
        let mut view = String::with_capacity(xml.len());
        let mut at = 0;
        for ((start, end), replacement) in cuts {
            view.push_str(&xml[at..start]);
            view.push_str(replacement);
            at = end;
        }
        view.push_str(&xml[at..]);
        Ok(view)
    }

    fn validate_scanned(
        &self,
        xml: &str,
        scan: prescan::Prescan,
        now: OffsetDateTime,
    ) -> Result<ValidatedResponse, Refusal> {
        if scan.signatures == 0 {
            return Err(Refusal::new(RefusalKind::Unsigned, "no Signature element"));
        }
        if let Some(algorithm) = scan.disallowed_algorithm(self.allow_sha1) {
            return Err(Refusal::new(
                RefusalKind::WeakAlgorithm,
                format!("algorithm {algorithm:?}"),
            ));
        }
        if scan.in_response_to.is_none() && !self.allow_idp_initiated {
            return Err(Refusal::new(RefusalKind::Unsolicited, "no InResponseTo"));
        }
        let possible: Vec<&str> = scan.in_response_to.as_deref().into_iter().collect();
        let assertion = self
            .sp
            .parse_xml_response(xml, Some(&possible))
            .map_err(refusal_from_samael)?;
        self.check_assertion(&assertion, scan.in_response_to, now)
    }

    fn check_assertion(
        &self,
        assertion: &Assertion,
        in_response_to: Option<String>,
        now: OffsetDateTime,
    ) -> Result<ValidatedResponse, Refusal> {
        let now_s = now.unix_timestamp();
        let conditions = assertion.conditions.as_ref().ok_or_else(|| {
            Refusal::new(
                RefusalKind::Audience,
                "no Conditions, so no AudienceRestriction",
            )
        })?;
        // samael compares an AudienceRestriction with our entity id when there is one (and
        // refuses first), but accepts an assertion without any: requiring one is ours.
        if conditions
            .audience_restrictions
            .as_ref()
            .is_none_or(|r| r.is_empty())
        {
            return Err(Refusal::new(
                RefusalKind::Audience,
                "no AudienceRestriction",
            ));
        }
        // Validity windows, against our clock (samael checks the system clock).
        let mut expiries = Vec::new();
        if let Some(t) = conditions.not_on_or_after {
            expiries.push(t.timestamp());
        }
        let subject = assertion
            .subject
            .as_ref()
            .ok_or_else(|| Refusal::new(RefusalKind::NoSubject, "no Subject"))?;
        for confirmation in subject.subject_confirmations.iter().flatten() {
            if let Some(t) = confirmation
                .subject_confirmation_data
                .as_ref()
                .and_then(|d| d.not_on_or_after)
            {
                expiries.push(t.timestamp());
            }
        }
        if expiries.iter().any(|&t| t + CLOCK_SKEW_SECONDS <= now_s) {
            return Err(Refusal::new(
                RefusalKind::Expired,
                format!("NotOnOrAfter {expiries:?} at {now_s}"),
            ));
        }
        if let Some(t) = conditions.not_before {
            if now_s + CLOCK_SKEW_SECONDS < t.timestamp() {
                return Err(Refusal::new(
                    RefusalKind::NotYetValid,
                    format!("NotBefore {t}"),
                ));
            }
        }
        if assertion.issue_instant.timestamp() > now_s + CLOCK_SKEW_SECONDS {
            return Err(Refusal::new(
                RefusalKind::NotYetValid,
                "IssueInstant in the future",
            ));
        }

        let name_id = subject
            .name_id
            .as_ref()
            .map(|n| n.value.trim().to_string())
            .filter(|v| !v.is_empty());
        let name_id_format = subject.name_id.as_ref().and_then(|n| n.format.clone());
        let session_index = assertion
            .authn_statements
            .iter()
            .flatten()
            .find_map(|s| s.session_index.clone())
            .filter(|s| !s.is_empty() && s.len() <= 256);
        let email_attr = self
            .attribute(assertion, &self.attributes.email)
            .into_iter()
            .next();
        let raw_email = email_attr.or_else(|| name_id.clone()).ok_or_else(|| {
            Refusal::new(RefusalKind::NoSubject, "no NameID and no email attribute")
        })?;
        let email = crate::config::normalize_email(&raw_email)
            .ok_or_else(|| Refusal::new(RefusalKind::BadEmail, format!("{raw_email:?}")))?;
        let display_name = self
            .attribute(assertion, &self.attributes.display_name)
            .into_iter()
            .next()
            .map(|n| {
                n.chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect::<String>()
            })
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
        let groups = self.attribute(assertion, &self.attributes.groups);
        let replay_expires_at = expiries
            .iter()
            .max()
            .map(|t| t + CLOCK_SKEW_SECONDS)
            .unwrap_or(now_s + DEFAULT_REPLAY_WINDOW_SECONDS);
        if assertion.id.trim().is_empty() {
            return Err(Refusal::new(RefusalKind::Malformed, "assertion without ID"));
        }
        let name_id = name_id
            .filter(|n| n.len() <= 256)
            .unwrap_or_else(|| email.clone());
        Ok(ValidatedResponse {
            in_response_to,
            assertion_id: assertion.id.clone(),
            replay_expires_at,
            email,
            display_name: display_name.trim().to_string(),
            groups,
            name_id,
            name_id_format,
            session_index,
        })
    }

    /// All values of the attribute with this Name (or FriendlyName).
    fn attribute(&self, assertion: &Assertion, name: &str) -> Vec<String> {
        assertion
            .attribute_statements
            .iter()
            .flatten()
            .flat_map(|s| s.attributes.iter())
            .filter(|a| a.name.as_deref() == Some(name) || a.friendly_name.as_deref() == Some(name))
            .flat_map(|a| a.values.iter())
            .filter_map(|v| v.value.as_ref())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

fn refusal_from_samael(err: SpError) -> Refusal {
    let kind = match &err {
        SpError::FailedToValidateSignature => RefusalKind::BadSignature,
        SpError::AssertionExpired { .. }
        | SpError::ResponseExpired { .. }
        | SpError::AssertionConditionExpired { .. }
        | SpError::AssertionSubjectConfirmationExpired { .. } => RefusalKind::Expired,
        SpError::AssertionConditionExpiredBefore { .. }
        | SpError::AssertionSubjectConfirmationExpiredBefore { .. } => RefusalKind::NotYetValid,
        SpError::AssertionConditionAudienceRestrictionFailed { .. } => RefusalKind::Audience,
        SpError::DestinationValidationError { .. } | SpError::AssertionRecipientMismatch { .. } => {
            RefusalKind::Recipient
        }
        SpError::AssertionIssuerMismatch { .. } | SpError::ResponseIssuerMismatch { .. } => {
            RefusalKind::Issuer
        }
        SpError::ResponseBadStatusCode { .. } => RefusalKind::IdpError,
        SpError::AssertionInResponseToInvalid { .. }
        | SpError::ResponseInResponseToInvalid { .. } => RefusalKind::UnknownRequest,
        SpError::EncryptedAssertionsNotYetSupported
        | SpError::MissingPrivateKeySP
        | SpError::FailedToDecryptAssertion => RefusalKind::Unsupported,
        _ => RefusalKind::Malformed,
    };
    Refusal::new(kind, err.to_string())
}

#[cfg(test)]
mod tests;
