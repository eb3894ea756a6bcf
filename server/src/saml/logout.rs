//! SAML Single Logout (SAML Profiles §4.4), both ways, on the HTTP-Redirect and HTTP-POST
//! bindings.
//!
//! Outbound messages (our `LogoutRequest` when a user signs out, our `LogoutResponse` to the
//! IdP's request) are always signed with the SP key: on HTTP-Redirect as `SigAlg` + `Signature`
//! over the query string (Bindings §3.4.4.1), on HTTP-POST as an enveloped XML signature.
//!
//! Inbound messages must be signed by one of the IdP's signing certificates, name the IdP as
//! issuer and our SLO URL as destination, and be fresh. A Redirect signature is checked over the
//! query string exactly as received; a POST message goes through the same pre-scan as responses
//! (no DOCTYPE, same-document references only) and must carry exactly one signature, on its
//! root element, before xmlsec sees it.
use super::prescan;
use super::{Refusal, RefusalKind, SamlSp, CLOCK_SKEW_SECONDS};
use crate::html::escape;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::{Signer, Verifier};
use quick_xml::events::Event;
use quick_xml::Reader;
use samael::crypto::{Crypto, CryptoProvider};
use samael::metadata::{HTTP_POST_BINDING, HTTP_REDIRECT_BINDING};
use std::io::{Read, Write};
use time::OffsetDateTime;
use url::Url;

/// How long an inbound LogoutRequest is good for after its IssueInstant, and how long its ID is
/// remembered against replay.
pub const LOGOUT_MESSAGE_TTL_SECONDS: i64 = 10 * 60;
/// Largest SAML message we inflate from a Redirect binding.
const MAX_INFLATED_BYTES: u64 = 64 * 1024;
/// Largest RelayState we echo.
const MAX_RELAY_STATE: usize = 512;

const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Redirect,
    Post,
}

/// The IdP's SingleLogoutService: where requests go, and where responses go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdpSlo {
    pub binding: Binding,
    pub location: String,
    pub response_location: String,
}

/// Picks the IdP's SLO endpoint from its metadata: HTTP-Redirect if offered, else HTTP-POST.
pub fn idp_slo(idp: &samael::metadata::EntityDescriptor) -> Option<IdpSlo> {
    let endpoints: Vec<_> = idp
        .idp_sso_descriptors
        .iter()
        .flatten()
        .flat_map(|d| d.single_logout_services.iter())
        .collect();
    [
        (HTTP_REDIRECT_BINDING, Binding::Redirect),
        (HTTP_POST_BINDING, Binding::Post),
    ]
    .into_iter()
    .find_map(|(uri, binding)| {
        endpoints
            .iter()
            .find(|e| e.binding == uri && Url::parse(&e.location).is_ok())
            .map(|e| IdpSlo {
                binding,
                location: e.location.clone(),
                response_location: e
                    .response_location
                    .clone()
                    .filter(|l| Url::parse(l).is_ok())
                    .unwrap_or_else(|| e.location.clone()),
            })
    })
}

/// A message for the browser to carry to the IdP.
#[derive(Debug, PartialEq, Eq)]
pub enum Outbound {
    Redirect(Url),
    Post {
        action: String,
        fields: Vec<(&'static str, String)>,
    },
}

/// The subject of a LogoutRequest we send.
pub struct Subject<'a> {
    pub name_id: &'a str,
    pub name_id_format: Option<&'a str>,
    pub session_index: Option<&'a str>,
}

/// A verified inbound message.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound {
    /// The IdP asks us to end a subject's sessions.
    Request {
        id: String,
        name_id: String,
        session_indexes: Vec<String>,
        relay_state: Option<String>,
    },
    /// The IdP answers our LogoutRequest.
    Response {
        in_response_to: String,
        success: bool,
    },
}

/// What arrived at `/saml/slo`, before any check.
pub enum Received<'a> {
    /// The raw query string of a GET (HTTP-Redirect binding).
    Redirect(&'a str),
    /// The fields of a POST (HTTP-POST binding).
    Post {
        saml_request: Option<&'a str>,
        saml_response: Option<&'a str>,
        relay_state: Option<&'a str>,
    },
}

fn refuse(kind: RefusalKind, detail: impl Into<String>) -> Refusal {
    Refusal::new(kind, detail)
}

fn instant(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

impl SamlSp {
    /// Our SingleLogoutService URL (both bindings).
    pub fn slo_url(&self) -> &str {
        &self.slo_url
    }

    /// The IdP's SLO endpoint, when its metadata lists one.
    pub fn idp_slo(&self) -> Option<&IdpSlo> {
        self.idp_slo.as_ref()
    }

    /// A signed LogoutRequest for `subject`, to the IdP's SLO endpoint.
    pub fn logout_request(
        &self,
        id: &str,
        subject: &Subject<'_>,
        now: OffsetDateTime,
    ) -> Result<Outbound, String> {
        let slo = self.idp_slo.as_ref().ok_or("the IdP has no SLO endpoint")?;
        let xml = logout_request_xml(id, &self.entity_id, &slo.location, subject, now);
        self.outbound(slo.binding, &slo.location, "SAMLRequest", &xml, None, id)
    }

    /// Our signed LogoutResponse to the IdP's LogoutRequest `in_response_to`.
    pub fn logout_response(
        &self,
        id: &str,
        in_response_to: &str,
        relay_state: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Outbound, String> {
        let slo = self.idp_slo.as_ref().ok_or("the IdP has no SLO endpoint")?;
        let xml = logout_response_xml(
            id,
            &self.entity_id,
            &slo.response_location,
            in_response_to,
            now,
        );
        self.outbound(
            slo.binding,
            &slo.response_location,
            "SAMLResponse",
            &xml,
            relay_state,
            id,
        )
    }

    fn outbound(
        &self,
        binding: Binding,
        location: &str,
        parameter: &'static str,
        xml: &str,
        relay_state: Option<&str>,
        id: &str,
    ) -> Result<Outbound, String> {
        let key = self.key.as_ref().ok_or("no SP key to sign with")?;
        let relay_state = relay_state.filter(|r| !r.is_empty() && r.len() <= MAX_RELAY_STATE);
        match binding {
            Binding::Redirect => {
                let query = redirect_query(parameter, xml, relay_state, key.private_key())?;
                let separator = if location.contains('?') { '&' } else { '?' };
                Url::parse(&format!("{location}{separator}{query}"))
                    .map_err(|e| e.to_string())
                    .map(Outbound::Redirect)
            }
            Binding::Post => {
                let cert = key.certificate_der().map_err(|e| e.to_string())?;
                let signed = sign_enveloped(xml, id, key.private_key(), &cert)?;
                let mut fields = vec![(
                    parameter,
                    base64::engine::general_purpose::STANDARD.encode(signed),
                )];
                if let Some(relay) = relay_state {
                    fields.push(("RelayState", relay.to_string()));
                }
                Ok(Outbound::Post {
                    action: location.to_string(),
                    fields,
                })
            }
        }
    }

    /// Verifies an inbound message and reads what it says. `now` is the injectable clock.
    pub fn verify_logout_message(
        &self,
        received: &Received<'_>,
        now: OffsetDateTime,
    ) -> Result<Inbound, Refusal> {
        let (xml, relay_state) = match received {
            Received::Redirect(query) => self.verify_redirect(query)?,
            Received::Post {
                saml_request,
                saml_response,
                relay_state,
            } => {
                let encoded = match (saml_request, saml_response) {
                    (Some(m), None) | (None, Some(m)) => *m,
                    _ => {
                        return Err(refuse(
                            RefusalKind::Malformed,
                            "expected exactly one of SAMLRequest and SAMLResponse",
                        ))
                    }
                };
                (self.verify_post(encoded)?, relay_state.map(str::to_string))
            }
        };
        let message = read_message(&xml)?;
        if message.issuer.as_deref() != Some(self.idp_entity_id.as_str()) {
            return Err(refuse(
                RefusalKind::Issuer,
                format!("issuer {:?}", message.issuer),
            ));
        }
        if message.destination.as_deref() != Some(self.slo_url.as_str()) {
            return Err(refuse(
                RefusalKind::Recipient,
                format!("destination {:?}", message.destination),
            ));
        }
        let now_s = now.unix_timestamp();
        let issued = message
            .issue_instant
            .ok_or_else(|| refuse(RefusalKind::Malformed, "no IssueInstant"))?;
        if issued > now_s + CLOCK_SKEW_SECONDS {
            return Err(refuse(
                RefusalKind::NotYetValid,
                "IssueInstant in the future",
            ));
        }
        if issued + LOGOUT_MESSAGE_TTL_SECONDS + CLOCK_SKEW_SECONDS < now_s
            || message
                .not_on_or_after
                .is_some_and(|t| t + CLOCK_SKEW_SECONDS <= now_s)
        {
            return Err(refuse(
                RefusalKind::Expired,
                "the logout message is too old",
            ));
        }
        if message.id.is_empty() || message.id.len() > 256 {
            return Err(refuse(RefusalKind::Malformed, "no usable ID"));
        }
        let relay_state = relay_state.filter(|r| r.len() <= MAX_RELAY_STATE);
        match message.root.as_str() {
            "LogoutRequest" => {
                let name_id = message
                    .name_id
                    .filter(|n| !n.is_empty() && n.len() <= 256)
                    .ok_or_else(|| refuse(RefusalKind::NoSubject, "no NameID"))?;
                Ok(Inbound::Request {
                    id: message.id,
                    name_id,
                    session_indexes: message.session_indexes,
                    relay_state,
                })
            }
            _ => Ok(Inbound::Response {
                in_response_to: message.in_response_to.ok_or_else(|| {
                    refuse(
                        RefusalKind::Unsolicited,
                        "a LogoutResponse without InResponseTo",
                    )
                })?,
                success: message.status.as_deref() == Some(SUCCESS),
            }),
        }
    }

    fn verify_redirect(&self, query: &str) -> Result<(String, Option<String>), Refusal> {
        let mut fields: Vec<(&str, &str)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(refuse(
                    RefusalKind::Malformed,
                    format!("{name} given twice"),
                ));
            }
            fields.push((name, value));
        }
        let raw = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let decode = |v: &str| -> Result<String, Refusal> {
            url::form_urlencoded::parse(format!("v={v}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .ok_or_else(|| refuse(RefusalKind::Malformed, "undecodable query value"))
        };
        let (parameter, message) = match (raw("SAMLRequest"), raw("SAMLResponse")) {
            (Some(m), None) => ("SAMLRequest", m),
            (None, Some(m)) => ("SAMLResponse", m),
            _ => {
                return Err(refuse(
                    RefusalKind::Malformed,
                    "expected exactly one of SAMLRequest and SAMLResponse",
                ))
            }
        };
        let (Some(sig_alg), Some(signature)) = (raw("SigAlg"), raw("Signature")) else {
            return Err(refuse(RefusalKind::Unsigned, "no SigAlg/Signature"));
        };
        let digest = match decode(sig_alg)?.as_str() {
            RSA_SHA256 => MessageDigest::sha256(),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => MessageDigest::sha384(),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => MessageDigest::sha512(),
            prescan::RSA_SHA1 if self.allow_sha1 => MessageDigest::sha1(),
            other => {
                return Err(refuse(
                    RefusalKind::WeakAlgorithm,
                    format!("SigAlg {other:?}"),
                ))
            }
        };
        // Bindings §3.4.4.1: the signed octets are the parameters as they were sent.
        let mut signed = format!("{parameter}={message}");
        if let Some(relay) = raw("RelayState") {
            signed.push_str(&format!("&RelayState={relay}"));
        }
        signed.push_str(&format!("&SigAlg={sig_alg}"));
        let signature = base64::engine::general_purpose::STANDARD
            .decode(decode(signature)?.trim())
            .map_err(|e| refuse(RefusalKind::BadSignature, format!("Signature base64: {e}")))?;
        let verified = self.idp_certificates().iter().any(|cert| {
            openssl::x509::X509::from_der(cert.der_data())
                .and_then(|x| x.public_key())
                .and_then(|key| {
                    let mut verifier = Verifier::new(digest, &key)?;
                    verifier.update(signed.as_bytes())?;
                    verifier.verify(&signature)
                })
                .unwrap_or(false)
        });
        if !verified {
            return Err(refuse(RefusalKind::BadSignature, "query signature"));
        }
        let xml = inflate(&decode(message)?)?;
        // The signature covers the text; the pre-scan still refuses DOCTYPEs and deep nesting
        // before anything else parses it.
        prescan::prescan_root(&xml, &[b"LogoutRequest", b"LogoutResponse"])
            .map_err(|(kind, detail)| refuse(kind, detail))?;
        let relay_state = raw("RelayState").map(decode).transpose()?;
        Ok((xml, relay_state))
    }

    fn verify_post(&self, encoded: &str) -> Result<String, Refusal> {
        if encoded.len() > super::MAX_RESPONSE_BYTES {
            return Err(refuse(RefusalKind::TooLarge, "message too large"));
        }
        let compact: String = encoded
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let xml = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| refuse(RefusalKind::Malformed, "not base64 of UTF-8"))?;
        let scan = prescan::prescan_root(&xml, &[b"LogoutRequest", b"LogoutResponse"])
            .map_err(|(kind, detail)| refuse(kind, detail))?;
        if scan.signatures != 1 || scan.root_signature.is_none() {
            return Err(refuse(
                RefusalKind::Unsigned,
                "a POSTed logout message needs one signature, on its root element",
            ));
        }
        if let Some(algorithm) = scan.disallowed_algorithm(self.allow_sha1) {
            return Err(refuse(
                RefusalKind::WeakAlgorithm,
                format!("algorithm {algorithm:?}"),
            ));
        }
        let verified = self
            .idp_certificates()
            .iter()
            .any(|cert| Crypto::verify_signed_xml(xml.as_bytes(), cert, Some("ID")).is_ok());
        if !verified {
            return Err(refuse(RefusalKind::BadSignature, "XML signature"));
        }
        Ok(xml)
    }
}

/// The HTTP-Redirect binding's query string for `xml` (DEFLATE, base64), signed with `key`
/// (RSA-SHA256 over `param=…&RelayState=…&SigAlg=…`, Bindings §3.4.4.1).
pub fn redirect_query(
    parameter: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: &PKey<Private>,
) -> Result<String, String> {
    let mut deflater =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater
        .write_all(xml.as_bytes())
        .map_err(|e| e.to_string())?;
    let deflated = deflater.finish().map_err(|e| e.to_string())?;
    let mut query = format!(
        "{parameter}={}",
        form_encode(&base64::engine::general_purpose::STANDARD.encode(deflated))
    );
    if let Some(relay) = relay_state {
        query.push_str(&format!("&RelayState={}", form_encode(relay)));
    }
    query.push_str(&format!("&SigAlg={}", form_encode(RSA_SHA256)));
    let mut signer = Signer::new(MessageDigest::sha256(), key).map_err(|e| e.to_string())?;
    signer.update(query.as_bytes()).map_err(|e| e.to_string())?;
    let signature = signer.sign_to_vec().map_err(|e| e.to_string())?;
    query.push_str(&format!(
        "&Signature={}",
        form_encode(&base64::engine::general_purpose::STANDARD.encode(signature))
    ));
    Ok(query)
}

/// Inflates an HTTP-Redirect binding message (at most 64 KiB of XML).
pub fn inflate(encoded: &str) -> Result<String, Refusal> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|e| refuse(RefusalKind::Malformed, format!("base64: {e}")))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_string(&mut xml)
        .map_err(|e| refuse(RefusalKind::Malformed, format!("DEFLATE: {e}")))?;
    if xml.len() as u64 > MAX_INFLATED_BYTES {
        return Err(refuse(RefusalKind::TooLarge, "inflated message too large"));
    }
    Ok(xml)
}

/// The root element's name and ID of a message nobody verified (the dev IdP's use).
pub fn unverified_root_and_id(xml: &str) -> Result<(String, String), Refusal> {
    prescan::prescan_root(xml, &[b"LogoutRequest", b"LogoutResponse"])
        .map_err(|(kind, detail)| refuse(kind, detail))?;
    let message = read_message(xml)?;
    Ok((message.root, message.id))
}

/// Signs a protocol message with an enveloped signature on its root (xmlsec, exclusive c14n,
/// RSA-SHA256, SHA-256 digest), inserting the signature after the Issuer as the schema wants.
pub fn sign_enveloped(
    xml: &str,
    id: &str,
    key: &PKey<Private>,
    cert: &[u8],
) -> Result<String, String> {
    let at = xml
        .find("</saml:Issuer>")
        .map(|i| i + "</saml:Issuer>".len())
        .ok_or("no Issuer to sign after")?;
    sign_enveloped_at(xml, at, id, key, cert)
}

/// Signs the root element (whose ID is `id`) with an enveloped signature placed at byte `at`.
pub fn sign_enveloped_at(
    xml: &str,
    at: usize,
    id: &str,
    key: &PKey<Private>,
    cert: &[u8],
) -> Result<String, String> {
    let template = format!(
        "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>\
         <ds:SignatureMethod Algorithm=\"{RSA_SHA256}\"/><ds:Reference URI=\"#{}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue/>\
         </ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data>\
         <ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>",
        escape(id),
        base64::engine::general_purpose::STANDARD.encode(cert)
    );
    let unsigned = format!("{}{template}{}", &xml[..at], &xml[at..]);
    let der = key.private_key_to_der().map_err(|e| e.to_string())?;
    Crypto::sign_xml(unsigned.as_bytes(), &der).map_err(|e| e.to_string())
}

#[derive(Debug, Default)]
struct Message {
    root: String,
    id: String,
    issue_instant: Option<i64>,
    not_on_or_after: Option<i64>,
    destination: Option<String>,
    in_response_to: Option<String>,
    issuer: Option<String>,
    name_id: Option<String>,
    session_indexes: Vec<String>,
    status: Option<String>,
}

fn timestamp(value: &str) -> Option<i64> {
    OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// Reads the fields we use from a verified LogoutRequest / LogoutResponse.
fn read_message(xml: &str) -> Result<Message, Refusal> {
    let malformed = |e: String| refuse(RefusalKind::Malformed, e);
    let mut reader = Reader::from_str(xml);
    let mut message = Message::default();
    let mut path: Vec<Vec<u8>> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(format!("XML error: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_vec();
                let attr = |local: &[u8]| -> Result<Option<String>, Refusal> {
                    for a in e.attributes() {
                        let a = a.map_err(|err| malformed(format!("attribute: {err}")))?;
                        if a.key.local_name().as_ref() == local {
                            return a
                                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .map(|v| Some(v.into_owned()))
                                .map_err(|err| malformed(format!("attribute: {err}")));
                        }
                    }
                    Ok(None)
                };
                if path.is_empty() {
                    message.root = String::from_utf8_lossy(&name).into_owned();
                    message.id = attr(b"ID")?.unwrap_or_default();
                    message.issue_instant = attr(b"IssueInstant")?.as_deref().and_then(timestamp);
                    message.not_on_or_after = attr(b"NotOnOrAfter")?.as_deref().and_then(timestamp);
                    message.destination = attr(b"Destination")?;
                    message.in_response_to = attr(b"InResponseTo")?;
                } else if path.len() == 2
                    && name == b"StatusCode"
                    && path.last().is_some_and(|p| p == b"Status")
                {
                    message.status = attr(b"Value")?;
                }
                if matches!(event, Event::Start(_)) {
                    path.push(name);
                }
            }
            Event::Text(t) => {
                let text = t
                    .xml_content(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| malformed(format!("text: {e}")))?
                    .trim()
                    .to_string();
                if path.len() == 2 {
                    match path.last().map(Vec::as_slice) {
                        Some(b"Issuer") => message.issuer = Some(text),
                        Some(b"NameID") => message.name_id = Some(text),
                        Some(b"SessionIndex") if message.session_indexes.len() < 16 => {
                            message.session_indexes.push(text)
                        }
                        _ => {}
                    }
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(message)
}

fn protocol_message(
    element: &str,
    id: &str,
    issuer: &str,
    destination: &str,
    in_response_to: Option<&str>,
    body: &str,
    now: OffsetDateTime,
) -> String {
    let in_response_to = in_response_to
        .map(|r| format!(" InResponseTo=\"{}\"", escape(r)))
        .unwrap_or_default();
    format!(
        "<samlp:{element} xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{}\" Version=\"2.0\" \
         IssueInstant=\"{}\" Destination=\"{}\"{in_response_to}><saml:Issuer>{}</saml:Issuer>\
         {body}</samlp:{element}>",
        escape(id),
        instant(now),
        escape(destination),
        escape(issuer),
    )
}

/// A LogoutRequest from `issuer` to `destination` for `subject`.
pub fn logout_request_xml(
    id: &str,
    issuer: &str,
    destination: &str,
    subject: &Subject<'_>,
    now: OffsetDateTime,
) -> String {
    let format = subject
        .name_id_format
        .map(|f| format!(" Format=\"{}\"", escape(f)))
        .unwrap_or_default();
    let session_index = subject
        .session_index
        .map(|s| format!("<samlp:SessionIndex>{}</samlp:SessionIndex>", escape(s)))
        .unwrap_or_default();
    let body = format!(
        "<saml:NameID{format}>{}</saml:NameID>{session_index}",
        escape(subject.name_id)
    );
    protocol_message("LogoutRequest", id, issuer, destination, None, &body, now)
}

/// A successful LogoutResponse from `issuer` to `destination`.
pub fn logout_response_xml(
    id: &str,
    issuer: &str,
    destination: &str,
    in_response_to: &str,
    now: OffsetDateTime,
) -> String {
    let body = format!("<samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"/></samlp:Status>");
    protocol_message(
        "LogoutResponse",
        id,
        issuer,
        destination,
        Some(in_response_to),
        &body,
        now,
    )
}
