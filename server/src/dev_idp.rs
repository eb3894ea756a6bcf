//! The built-in development IdP: a page of demo users that produces a real, signed SAML
//! Response (RSA-SHA256, key generated at start-up) and POSTs it to the same ACS as any other
//! IdP. There is no shortcut around validation. Enabled only by `GATEHOUSE_DEV_IDP`, and
//! refused by configuration on a non-loopback public URL unless forced.
use crate::saml::logout;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use samael::attribute::{Attribute, AttributeValue};
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
use samael::idp::response_builder::build_response_template;
use samael::idp::verified_request::UnverifiedAuthnRequest;
use samael::idp::{CertificateParams, IdentityProvider, KeyType, Rsa};
use samael::key_info::{KeyInfo, X509Data};
use samael::metadata::{
    Endpoint, EntityDescriptor, IdpSsoDescriptor, KeyDescriptor, HTTP_REDIRECT_BINDING,
};
use samael::schema::{AttributeStatement, Response, SubjectConfirmationData, SubjectNameID};
use samael::signature::DigestAlgorithm;
use samael::traits::ToXml;
use std::io::Read;

const EMAIL_FORMAT: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

pub struct DemoUser {
    pub email: &'static str,
    pub display_name: &'static str,
    pub groups: &'static [&'static str],
    pub blurb: &'static str,
}

/// The demo accounts. Ada's group is in the default `GATEHOUSE_OWNER_GROUPS`.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        email: "ada@example.com",
        display_name: "Ada Lovelace",
        groups: &["gatehouse-owners", "ml-platform"],
        blurb: "owner (group gatehouse-owners)",
    },
    DemoUser {
        email: "grace@example.com",
        display_name: "Grace Hopper",
        groups: &["ml-research"],
        blurb: "collaborator (group ml-research)",
    },
    DemoUser {
        email: "alan@example.com",
        display_name: "Alan Turing",
        groups: &["ml-research", "interns"],
        blurb: "collaborator (groups ml-research, interns)",
    },
];

pub fn demo_user(email: &str) -> Option<&'static DemoUser> {
    DEMO_USERS.iter().find(|u| u.email == email)
}

/// What the dev IdP needs from an AuthnRequest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestInfo {
    pub id: String,
    pub acs_url: String,
    pub issuer: String,
}

pub struct DevIdp {
    idp: IdentityProvider,
    cert: CertificateDer,
    entity_id: String,
    sso_url: String,
    slo_url: String,
}

impl DevIdp {
    pub fn generate(public_base_url: &str) -> Result<DevIdp, String> {
        let base = public_base_url.trim_end_matches('/');
        let idp = IdentityProvider::generate_new(KeyType::Rsa(Rsa::Rsa2048))
            .map_err(|e| e.to_string())?;
        let cert = idp
            .create_certificate(&CertificateParams {
                common_name: "Gatehouse development IdP",
                issuer_name: "Gatehouse development IdP",
                days_until_expiration: 365,
            })
            .map_err(|e| e.to_string())?;
        Ok(DevIdp {
            idp,
            cert,
            entity_id: format!("{base}{}", app::urls::DEV_IDP_METADATA),
            sso_url: format!("{base}{}", app::urls::DEV_IDP_SSO),
            slo_url: format!("{base}{}", app::urls::DEV_IDP_SLO),
        })
    }

    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// IdP metadata: entity id, signing certificate, SSO endpoint (HTTP-Redirect).
    pub fn metadata(&self) -> EntityDescriptor {
        EntityDescriptor {
            entity_id: Some(self.entity_id.clone()),
            idp_sso_descriptors: Some(vec![IdpSsoDescriptor {
                id: None,
                valid_until: None,
                cache_duration: None,
                error_url: None,
                signature: None,
                organization: None,
                contact_people: Vec::new(),
                artifact_resolution_service: Vec::new(),
                single_logout_services: vec![Endpoint {
                    binding: HTTP_REDIRECT_BINDING.into(),
                    location: self.slo_url.clone(),
                    response_location: None,
                }],
                manage_name_id_services: Vec::new(),
                name_id_formats: vec![EMAIL_FORMAT.into()],
                want_authn_requests_signed: Some(false),
                name_id_mapping_services: Vec::new(),
                assertion_id_request_services: Vec::new(),
                attribute_profiles: Vec::new(),
                attributes: Vec::new(),
                protocol_support_enumeration: Some("urn:oasis:names:tc:SAML:2.0:protocol".into()),
                key_descriptors: vec![KeyDescriptor {
                    key_use: Some("signing".into()),
                    key_info: KeyInfo {
                        id: None,
                        x509_data: Some(X509Data {
                            certificates: vec![base64::engine::general_purpose::STANDARD
                                .encode(self.cert.der_data())],
                        }),
                    },
                    encryption_methods: None,
                }],
                single_sign_on_services: vec![Endpoint {
                    binding: HTTP_REDIRECT_BINDING.into(),
                    location: self.sso_url.clone(),
                    response_location: None,
                }],
            }]),
            ..EntityDescriptor::default()
        }
    }

    pub fn metadata_xml(&self) -> Result<String, String> {
        self.metadata().to_string().map_err(|e| format!("{e:?}"))
    }

    /// An unsigned response for `user`, answering `request`, valid for five minutes from
    /// `now`. Tests change it before [`DevIdp::sign`] to craft bad responses.
    pub fn response_for(
        &self,
        user: &DemoUser,
        request: &RequestInfo,
        now: DateTime<Utc>,
    ) -> Response {
        let mut response = build_response_template(
            &self.cert,
            user.email,
            &request.issuer,
            &self.entity_id,
            &request.acs_url,
            &request.id,
            &[],
        );
        response.issue_instant = now;
        if let Some(signature) = response.signature.as_mut() {
            for reference in &mut signature.signed_info.reference {
                reference.digest_method.algorithm = DigestAlgorithm::Sha256;
            }
        }
        if let Some(assertion) = response.assertion.as_mut() {
            assertion.issue_instant = now;
            // Each sign-in is its own IdP session: Single Logout can name it.
            for statement in assertion.authn_statements.iter_mut().flatten() {
                statement.session_index =
                    Some(format!("_dev-session-{}", uuid::Uuid::new_v4().simple()));
            }
            if let Some(conditions) = assertion.conditions.as_mut() {
                conditions.not_before = Some(now - Duration::minutes(1));
                conditions.not_on_or_after = Some(now + Duration::minutes(5));
            }
            if let Some(subject) = assertion.subject.as_mut() {
                subject.name_id = Some(SubjectNameID {
                    format: Some(EMAIL_FORMAT.into()),
                    value: user.email.to_string(),
                });
                for confirmation in subject.subject_confirmations.iter_mut().flatten() {
                    if let Some(data) = confirmation.subject_confirmation_data.as_mut() {
                        data.not_on_or_after = Some(now + Duration::minutes(5));
                    }
                }
            }
            let value = |v: &str| AttributeValue {
                attribute_type: Some("xs:string".into()),
                value: Some(v.to_string()),
            };
            let attribute = |name: &str, values: Vec<AttributeValue>| Attribute {
                friendly_name: None,
                name: Some(name.to_string()),
                name_format: Some("urn:oasis:names:tc:SAML:2.0:attrname-format:basic".into()),
                values,
            };
            assertion.attribute_statements = Some(vec![AttributeStatement {
                attributes: vec![
                    attribute("email", vec![value(user.email)]),
                    attribute("displayName", vec![value(user.display_name)]),
                    attribute("groups", user.groups.iter().map(|g| value(g)).collect()),
                ],
            }]);
        }
        response
    }

    /// Signs the response (enveloped signature over the Response element) and returns its XML.
    pub fn sign(&self, response: &Response) -> Result<String, String> {
        let unsigned = response.to_string().map_err(|e| format!("{e:?}"))?;
        self.sign_xml(&unsigned)
    }

    /// The IdP's signing key, for the HTTP-Redirect binding's query signatures.
    fn private_key(&self) -> Result<openssl::pkey::PKey<openssl::pkey::Private>, String> {
        let der = self
            .idp
            .export_private_key_der()
            .map_err(|e| e.to_string())?;
        openssl::pkey::PKey::private_key_from_der(&der).map_err(|e| e.to_string())
    }

    /// The query string of a signed LogoutRequest (HTTP-Redirect) ending `name_id`'s sessions
    /// at the SP whose SLO URL is `sp_slo_url`: what an IdP sends when someone signs out there.
    pub fn logout_request_query(
        &self,
        sp_slo_url: &str,
        name_id: &str,
        session_index: Option<&str>,
        now: time::OffsetDateTime,
    ) -> Result<String, String> {
        let id = format!("_dev-{}", uuid::Uuid::new_v4().simple());
        let subject = logout::Subject {
            name_id,
            name_id_format: Some(EMAIL_FORMAT),
            session_index,
        };
        let xml = logout::logout_request_xml(&id, &self.entity_id, sp_slo_url, &subject, now);
        logout::redirect_query("SAMLRequest", &xml, None, &self.private_key()?)
    }

    /// The query string of a signed, successful LogoutResponse (HTTP-Redirect) to the SP's
    /// LogoutRequest `in_response_to`.
    pub fn logout_response_query(
        &self,
        sp_slo_url: &str,
        in_response_to: &str,
        relay_state: Option<&str>,
        now: time::OffsetDateTime,
    ) -> Result<String, String> {
        let id = format!("_dev-{}", uuid::Uuid::new_v4().simple());
        let xml =
            logout::logout_response_xml(&id, &self.entity_id, sp_slo_url, in_response_to, now);
        logout::redirect_query("SAMLResponse", &xml, relay_state, &self.private_key()?)
    }

    /// The response's assertion alone, signed by this IdP (an enveloped signature on the
    /// assertion, as IdPs send inside an `EncryptedAssertion`), as standalone XML.
    pub fn signed_assertion_xml(&self, response: &Response) -> Result<String, String> {
        let mut assertion = response
            .assertion
            .clone()
            .ok_or("the response has no assertion")?;
        let mut signature = samael::signature::Signature::template(&assertion.id, &self.cert);
        for reference in &mut signature.signed_info.reference {
            reference.digest_method.algorithm = DigestAlgorithm::Sha256;
        }
        assertion.signature = Some(signature);
        let unsigned = assertion.to_string().map_err(|e| format!("{e:?}"))?;
        self.sign_xml(&unsigned)
    }

    fn sign_xml(&self, unsigned: &str) -> Result<String, String> {
        let key = self
            .idp
            .export_private_key_der()
            .map_err(|e| e.to_string())?;
        Crypto::sign_xml(unsigned, key.as_slice()).map_err(|e| e.to_string())
    }

    /// A signed response for `user`, base64-encoded as the HTTP-POST binding carries it.
    pub fn signed_response_b64(
        &self,
        user: &DemoUser,
        request: &RequestInfo,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let xml = self.sign(&self.response_for(user, request, now))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(xml))
    }
}

/// Signs whatever XML a test built (its first signature template), with the IdP's key.
#[cfg(test)]
pub fn sign_xml_for_tests(idp: &DevIdp, unsigned: &str) -> String {
    idp.sign_xml(unsigned).unwrap()
}

/// Decodes an HTTP-Redirect binding `SAMLRequest` (base64 of raw DEFLATE).
pub fn parse_redirect_request(saml_request: &str) -> Result<RequestInfo, String> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(saml_request.trim())
        .map_err(|e| format!("SAMLRequest is not base64: {e}"))?;
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(compressed.as_slice())
        .take(64 * 1024)
        .read_to_string(&mut xml)
        .map_err(|e| format!("SAMLRequest is not DEFLATE-compressed XML: {e}"))?;
    let request = UnverifiedAuthnRequest::from_xml(&xml)
        .map_err(|e| format!("SAMLRequest is not an AuthnRequest: {e}"))?
        .request;
    Ok(RequestInfo {
        id: request.id,
        acs_url: request
            .assertion_consumer_service_url
            .ok_or("the AuthnRequest names no AssertionConsumerServiceURL")?,
        issuer: request
            .issuer
            .and_then(|i| i.value)
            .ok_or("the AuthnRequest names no Issuer")?,
    })
}

/// Every `SubjectConfirmationData` of a response's assertion: where tests (and the dev IdP)
/// change recipients, request ids and lifetimes.
pub fn confirmation_data(
    response: &mut Response,
) -> impl Iterator<Item = &mut SubjectConfirmationData> {
    response
        .assertion
        .iter_mut()
        .filter_map(|a| a.subject.as_mut())
        .flat_map(|s| s.subject_confirmations.iter_mut().flatten())
        .filter_map(|c| c.subject_confirmation_data.as_mut())
}
