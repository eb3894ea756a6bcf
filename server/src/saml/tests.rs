//! Each refusal, with a response crafted by samael's IdP side (the development IdP's signer).
use super::*;
use crate::config::AttributeNames;
use crate::dev_idp::{confirmation_data, DevIdp, RequestInfo, DEMO_USERS};
use samael::schema::Response;

const BASE: &str = "http://127.0.0.1:3999";

struct Fixture {
    idp: DevIdp,
    sp: SamlSp,
    request: RequestInfo,
}

fn options(allow_sha1: bool, allow_idp_initiated: bool) -> SpOptions {
    SpOptions {
        public_base_url: BASE.to_string(),
        allow_sha1,
        allow_idp_initiated,
        attributes: AttributeNames {
            email: "email".into(),
            display_name: "displayName".into(),
            groups: "groups".into(),
        },
        key: None,
        sign_requests: false,
        require_encryption: false,
        allow_rsa1_5: false,
        next_certificate: None,
    }
}

fn fixture_with(allow_sha1: bool, allow_idp_initiated: bool) -> Fixture {
    let idp = DevIdp::generate(BASE).unwrap();
    let sp = SamlSp::new(idp.metadata(), options(allow_sha1, allow_idp_initiated)).unwrap();
    let request = RequestInfo {
        id: "id-3f0c7f5e-6f2a-4a51-9d9c-2b0e2f1f0a11".into(),
        acs_url: sp.acs_url().to_string(),
        issuer: sp.entity_id().to_string(),
    };
    Fixture { idp, sp, request }
}

fn fixture() -> Fixture {
    fixture_with(false, false)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn grace() -> &'static crate::dev_idp::DemoUser {
    &DEMO_USERS[1]
}

impl Fixture {
    fn response(&self) -> Response {
        self.idp.response_for(grace(), &self.request, now())
    }

    fn signed(&self, response: &Response) -> String {
        self.idp.sign(response).unwrap()
    }

    fn check(&self, xml: &str) -> Result<ValidatedResponse, Refusal> {
        self.sp.validate_xml(xml, time::OffsetDateTime::now_utc())
    }

    fn refusal(&self, xml: &str) -> RefusalKind {
        match self.check(xml) {
            Ok(v) => panic!("accepted a response that must be refused: {v:?}"),
            Err(r) => r.kind,
        }
    }
}

/// The span of the first `<…:Assertion …>…</…:Assertion>` element.
fn assertion_span(xml: &str) -> (usize, usize) {
    let open = xml.find(":Assertion ").unwrap();
    let start = xml[..open].rfind('<').unwrap();
    let close = xml.find(":Assertion>").unwrap();
    (start, close + ":Assertion>".len())
}

#[test]
fn a_signed_response_for_our_request_is_accepted() {
    let f = fixture();
    let v = f.check(&f.signed(&f.response())).unwrap();
    assert_eq!(v.email, "grace@example.com");
    assert_eq!(v.display_name, "Grace Hopper");
    assert_eq!(v.groups, vec!["ml-research"]);
    assert_eq!(v.in_response_to.as_deref(), Some(f.request.id.as_str()));
    assert!(!v.assertion_id.is_empty());
    assert!(v.replay_expires_at > chrono::Utc::now().timestamp());
}

#[test]
fn the_base64_form_is_accepted_too() {
    let f = fixture();
    let b64 = f
        .idp
        .signed_response_b64(grace(), &f.request, now())
        .unwrap();
    assert!(f.sp.validate(&b64, time::OffsetDateTime::now_utc()).is_ok());
}

#[test]
fn a_tampered_response_is_refused() {
    let f = fixture();
    let xml = f
        .signed(&f.response())
        .replace("grace@example.com", "mallory@example.com");
    assert_eq!(f.refusal(&xml), RefusalKind::BadSignature);
}

#[test]
fn a_response_signed_by_another_key_is_refused() {
    let f = fixture();
    let other = DevIdp::generate(BASE).unwrap();
    let xml = other
        .sign(&other.response_for(grace(), &f.request, now()))
        .unwrap();
    assert_eq!(f.refusal(&xml), RefusalKind::BadSignature);
}

#[test]
fn an_unsigned_response_is_refused() {
    let f = fixture();
    let mut response = f.response();
    response.signature = None;
    let xml = response.to_string().unwrap();
    assert_eq!(f.refusal(&xml), RefusalKind::Unsigned);
}

#[test]
fn a_response_for_another_audience_is_refused() {
    let f = fixture();
    let mut request = f.request.clone();
    request.issuer = "https://other-sp.example/metadata".into();
    let xml = f.signed(&f.idp.response_for(grace(), &request, now()));
    let refusal = f.check(&xml).unwrap_err();
    assert_eq!(refusal.kind, RefusalKind::Audience);
    // samael's comparison refuses it (ours only requires that a restriction exists).
    assert!(refusal.detail.contains("udience"), "{}", refusal.detail);
}

#[test]
fn a_response_without_audience_restriction_is_refused() {
    let f = fixture();
    let mut response = f.response();
    response
        .assertion
        .as_mut()
        .unwrap()
        .conditions
        .as_mut()
        .unwrap()
        .audience_restrictions = None;
    // Our check, not samael's (which accepts a missing restriction).
    let refusal = f.check(&f.signed(&response)).unwrap_err();
    assert_eq!(refusal.kind, RefusalKind::Audience);
    assert_eq!(refusal.detail, "no AudienceRestriction");
}

#[test]
fn a_response_without_conditions_is_refused() {
    let f = fixture();
    let mut response = f.response();
    response.assertion.as_mut().unwrap().conditions = None;
    let refusal = f.check(&f.signed(&response)).unwrap_err();
    assert_eq!(refusal.kind, RefusalKind::Audience);
    assert!(
        refusal.detail.starts_with("no Conditions"),
        "{}",
        refusal.detail
    );
}

#[test]
fn an_expired_response_is_refused() {
    let f = fixture();
    let an_hour_ago = now() - chrono::Duration::hours(1);
    let xml = f.signed(&f.idp.response_for(grace(), &f.request, an_hour_ago));
    assert_eq!(f.refusal(&xml), RefusalKind::Expired);
}

#[test]
fn a_fresh_response_is_expired_by_our_clock_once_its_window_passed() {
    // samael checks the system clock; this checks the injectable one.
    let f = fixture();
    let xml = f.signed(&f.response());
    let later = time::OffsetDateTime::now_utc() + time::Duration::minutes(30);
    let refusal = f.sp.validate_xml(&xml, later).unwrap_err();
    assert_eq!(refusal.kind, RefusalKind::Expired, "{refusal}");
}

#[test]
fn a_doctype_is_refused() {
    let f = fixture();
    let xml = f.signed(&f.response());
    let insert_at = if xml.starts_with("<?xml") {
        xml.find("?>").unwrap() + 2
    } else {
        0
    };
    let evil = format!(
        "{}<!DOCTYPE Response [<!ENTITY boom \"boom\">]>{}",
        &xml[..insert_at],
        &xml[insert_at..]
    );
    assert_eq!(f.refusal(&evil), RefusalKind::Doctype);
}

#[test]
fn two_assertions_are_refused() {
    let f = fixture();
    let xml = f.signed(&f.response());
    let (start, end) = assertion_span(&xml);
    let doubled = format!("{}{}{}", &xml[..end], &xml[start..end], &xml[end..]);
    assert_eq!(f.refusal(&doubled), RefusalKind::AssertionCount);
}

#[test]
fn a_response_without_assertion_is_refused() {
    let f = fixture();
    let xml = f.signed(&f.response());
    let (start, end) = assertion_span(&xml);
    let stripped = format!("{}{}", &xml[..start], &xml[end..]);
    assert_eq!(f.refusal(&stripped), RefusalKind::AssertionCount);
}

#[test]
fn sha1_digests_are_refused_unless_allowed() {
    let f = fixture_with(false, false);
    let mut response = f.response();
    for r in &mut response.signature.as_mut().unwrap().signed_info.reference {
        r.digest_method.algorithm = samael::signature::DigestAlgorithm::Sha1;
    }
    let xml = f.signed(&response);
    assert_eq!(f.refusal(&xml), RefusalKind::WeakAlgorithm);

    let lenient = SamlSp::new(f.idp.metadata(), options(true, false)).unwrap();
    assert!(lenient
        .validate_xml(&xml, time::OffsetDateTime::now_utc())
        .is_ok());
}

#[test]
fn unsolicited_responses_are_refused_unless_idp_initiated_login_is_enabled() {
    let f = fixture();
    let mut response = f.response();
    response.in_response_to = None;
    for d in confirmation_data(&mut response) {
        d.in_response_to = None;
    }
    let xml = f.signed(&response);
    assert_eq!(f.refusal(&xml), RefusalKind::Unsolicited);

    let open = SamlSp::new(f.idp.metadata(), options(false, true)).unwrap();
    let v = open
        .validate_xml(&xml, time::OffsetDateTime::now_utc())
        .unwrap();
    assert_eq!(v.in_response_to, None);
}

#[test]
fn a_response_to_another_request_is_refused_by_samael() {
    let f = fixture();
    let mut response = f.response();
    // The Response says one id, the signed assertion another.
    response.in_response_to = Some("id-someone-else".into());
    assert_eq!(f.refusal(&f.signed(&response)), RefusalKind::UnknownRequest);
}

#[test]
fn a_response_without_name_id_or_email_is_refused() {
    let f = fixture();
    let mut response = f.response();
    let assertion = response.assertion.as_mut().unwrap();
    assertion.subject.as_mut().unwrap().name_id = None;
    assertion.attribute_statements = None;
    assert_eq!(f.refusal(&f.signed(&response)), RefusalKind::NoSubject);
}

#[test]
fn a_response_with_a_bad_email_is_refused() {
    let f = fixture();
    let mut response = f.response();
    let assertion = response.assertion.as_mut().unwrap();
    assertion.attribute_statements = None;
    assertion
        .subject
        .as_mut()
        .unwrap()
        .name_id
        .as_mut()
        .unwrap()
        .value = "not-an-email".into();
    assert_eq!(f.refusal(&f.signed(&response)), RefusalKind::BadEmail);
}

#[test]
fn garbage_is_refused_as_malformed() {
    let f = fixture();
    let now = time::OffsetDateTime::now_utc();
    for junk in ["", "!!!not base64!!!", "PHJvb3Q+", "AAAA"] {
        assert_eq!(
            f.sp.validate(junk, now).unwrap_err().kind,
            RefusalKind::Malformed,
            "{junk:?}"
        );
    }
    let huge = "A".repeat(MAX_RESPONSE_BYTES + 1);
    assert_eq!(
        f.sp.validate(&huge, now).unwrap_err().kind,
        RefusalKind::TooLarge
    );
}

#[test]
fn metadata_without_a_signing_certificate_fails_closed() {
    let idp = DevIdp::generate(BASE).unwrap();
    let mut metadata = idp.metadata();
    for d in metadata.idp_sso_descriptors.iter_mut().flatten() {
        d.key_descriptors.clear();
    }
    assert!(matches!(
        SamlSp::new(metadata, options(false, false)),
        Err(SamlSetupError::NoSigningCertificate)
    ));
}

#[test]
fn sp_metadata_names_the_entity_id_and_the_post_acs() {
    let f = fixture();
    let xml = f.sp.metadata_xml().unwrap();
    let parsed: samael::metadata::EntityDescriptor = xml.parse().unwrap();
    assert_eq!(
        parsed.entity_id.as_deref(),
        Some("http://127.0.0.1:3999/saml/metadata")
    );
    let sp = &parsed.sp_sso_descriptors.unwrap()[0];
    let acs = &sp.assertion_consumer_services[0];
    assert_eq!(acs.location, "http://127.0.0.1:3999/saml/acs");
    assert_eq!(acs.binding, samael::metadata::HTTP_POST_BINDING);
}

#[test]
fn authn_requests_carry_our_request_id_and_acs() {
    let f = fixture();
    let url = f.sp.authn_request_url("id-abc").unwrap();
    assert!(url
        .as_str()
        .starts_with("http://127.0.0.1:3999/dev-idp/sso?SAMLRequest="));
    let raw = url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .unwrap()
        .1
        .to_string();
    let parsed = crate::dev_idp::parse_redirect_request(&raw).unwrap();
    assert_eq!(parsed.id, "id-abc");
    assert_eq!(parsed.acs_url, f.sp.acs_url());
    assert_eq!(parsed.issuer, f.sp.entity_id());
}

/// The signed response with its Reference URI (`#<response ID>`) replaced.
fn with_reference(xml: &str, uri: &str) -> String {
    let start = xml.find("Reference URI=\"").unwrap() + "Reference URI=\"".len();
    let end = start + xml[start..].find('"').unwrap();
    format!("{}{}{}", &xml[..start], uri, &xml[end..])
}

#[test]
fn a_reference_outside_the_signed_element_is_refused_before_xmlsec_sees_it() {
    let f = fixture();
    let xml = f.signed(&f.response());
    for uri in ["file:///etc/passwd", "http://127.0.0.1:9/", "#nope", ""] {
        let tampered = with_reference(&xml, uri);
        let expected = if uri.is_empty() {
            // A whole-document reference is allowed in shape; the digest then fails.
            RefusalKind::BadSignature
        } else {
            RefusalKind::ForbiddenSignature
        };
        assert_eq!(f.refusal(&tampered), expected, "{uri:?}");
    }
}

#[test]
fn md5_is_refused_even_when_sha1_is_allowed() {
    let f = fixture();
    let lenient = SamlSp::new(f.idp.metadata(), options(true, false)).unwrap();
    let xml = f.signed(&f.response());
    for (from, to) in [
        (
            "http://www.w3.org/2001/04/xmlenc#sha256",
            "http://www.w3.org/2001/04/xmldsig-more#md5",
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        ),
    ] {
        assert!(xml.contains(from), "{from}");
        let weak = xml.replace(from, to);
        let refusal = lenient
            .validate_xml(&weak, time::OffsetDateTime::now_utc())
            .unwrap_err();
        assert_eq!(refusal.kind, RefusalKind::WeakAlgorithm, "{to}");
    }
}

/// Defence in depth, below the prescan: even a document that reaches samael directly cannot
/// make xmlsec open a file (a FIFO would block the thread forever) or fetch a URL.
#[test]
fn xmlsec_itself_cannot_open_files_or_fetch_urls() {
    let f = fixture(); // building the SP removes xmlsec's I/O callbacks
    let dir = std::env::temp_dir().join(format!("gatehouse-xmlsec-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/digest-me", listener.local_addr().unwrap());
    let xml = f.signed(&f.response());
    let sp = std::sync::Arc::new(f.sp);
    for uri in [
        url.clone(),
        format!("file://{}", fifo.display()),
        fifo.display().to_string(),
    ] {
        let tampered = with_reference(&xml, &uri);
        let (done, outcome) = std::sync::mpsc::channel();
        let sp = sp.clone();
        std::thread::spawn(move || {
            let _ = done.send(sp.sp.parse_xml_response(&tampered, None).is_ok());
        });
        let accepted = outcome
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("xmlsec blocked on the reference {uri:?}"));
        assert!(!accepted, "{uri:?}");
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "xmlsec connected to {url}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sp_metadata_is_one_strictly_well_formed_document_valid_against_the_saml_schema() {
    let f = fixture();
    let xml = f.sp.metadata_xml().unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert_eq!(xml.matches("<?xml").count(), 1, "{xml}");
    // No SLO without a key to sign its messages; no validUntil to go stale in an IdP's copy.
    assert!(!xml.contains("SingleLogoutService"), "{xml}");
    assert!(!xml.contains("validUntil"), "{xml}");
    let doc = strict_parse(&xml).expect("well-formed");
    assert!(expat_accepts(&xml), "Python's expat refused {xml}");
    let schema = "/usr/share/simplesamlphp/schemas/saml-schema-metadata-2.0.xsd";
    assert!(
        std::path::Path::new(schema).exists(),
        "{schema} is missing: scripts/install-deps.sh installs simplesamlphp, which ships it"
    );
    let mut parser = libxml::schemas::SchemaParserContext::from_file(schema);
    let mut validator = libxml::schemas::SchemaValidationContext::from_parser(&mut parser)
        .unwrap_or_else(|e| panic!("schema: {e:?}"));
    if let Err(errors) = validator.validate_document(&doc) {
        panic!(
            "metadata is not valid SAML 2.0 metadata: {:?}\n{xml}",
            errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>()
        );
    }
    // The document Gatehouse served before this check existed is refused by the same parser.
    let doubled = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}");
    assert!(strict_parse(&doubled).is_err());
    assert!(!expat_accepts(&doubled));
}

/// libxml2 without its error recovery (the crate's default recovers).
fn strict_parse(xml: &str) -> Result<libxml::tree::Document, libxml::parser::XmlParseError> {
    libxml::parser::Parser::default().parse_string_with_options(
        xml,
        libxml::parser::ParserOptions {
            recover: false,
            no_net: true,
            ..Default::default()
        },
    )
}

/// Python's expat, the parser IdP tooling commonly uses and the one that refused our old metadata.
fn expat_accepts(xml: &str) -> bool {
    use std::io::Write as _;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, xml.parsers.expat\n\
             xml.parsers.expat.ParserCreate().Parse(sys.stdin.buffer.read(), True)",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write");
    child.wait().expect("python3 ran").success()
}

/// A fresh response changed by `tweak`, signed: the refusal it gets.
fn refusal_after(tweak: impl FnOnce(&mut Response)) -> Refusal {
    let f = fixture();
    let mut response = f.response();
    tweak(&mut response);
    f.check(&f.signed(&response)).unwrap_err()
}

fn assertion_of(r: &mut Response) -> &mut samael::schema::Assertion {
    r.assertion.as_mut().unwrap()
}

#[test]
fn a_not_before_in_the_future_is_refused() {
    let r = refusal_after(|r| {
        assertion_of(r).conditions.as_mut().unwrap().not_before =
            Some(now() + chrono::Duration::hours(1));
    });
    assert_eq!(r.kind, RefusalKind::NotYetValid, "{r}");
}

#[test]
fn an_issue_instant_in_the_future_is_refused() {
    let r = refusal_after(|r| assertion_of(r).issue_instant = now() + chrono::Duration::hours(1));
    assert_eq!(r.kind, RefusalKind::NotYetValid, "{r}");
}

#[test]
fn a_response_for_another_recipient_is_refused() {
    let r = refusal_after(|r| {
        for d in confirmation_data(r) {
            d.recipient = Some("https://other-sp.example/acs".into());
        }
    });
    assert_eq!(r.kind, RefusalKind::Recipient, "{r}");
}

#[test]
fn a_response_for_another_destination_is_refused() {
    let r = refusal_after(|r| r.destination = Some("https://other-sp.example/acs".into()));
    assert_eq!(r.kind, RefusalKind::Recipient, "{r}");
}

#[test]
fn a_response_from_another_issuer_is_refused() {
    let r = refusal_after(|r| {
        let other = Some("https://other-idp.example/metadata".to_string());
        if let Some(issuer) = r.issuer.as_mut() {
            issuer.value = other.clone();
        }
        assertion_of(r).issuer.value = other;
    });
    assert_eq!(r.kind, RefusalKind::Issuer, "{r}");
}

#[test]
fn an_idp_error_status_is_refused() {
    let r = refusal_after(|r| {
        r.status.as_mut().unwrap().status_code.value =
            Some("urn:oasis:names:tc:SAML:2.0:status:Requester".into());
    });
    assert_eq!(r.kind, RefusalKind::IdpError, "{r}");
}

#[test]
fn an_assertion_without_an_id_is_refused() {
    let r = refusal_after(|r| assertion_of(r).id = String::new());
    assert!(
        matches!(r.kind, RefusalKind::Malformed | RefusalKind::BadSignature),
        "{r}"
    );
}

/// Signature wrapping: the signed response is kept (so the signature still verifies) but
/// hidden, and a forged response with Mallory's assertion is put where a naive SP reads.
#[test]
fn a_signature_wrapping_attack_is_refused() {
    let f = fixture();
    let signed = f.signed(&f.response());
    let mut forged = f.response();
    forged.id = "forged-response".into();
    let assertion = assertion_of(&mut forged);
    assertion.id = "forged-assertion".into();
    let forged_xml = samael::traits::ToXml::to_string(&forged)
        .unwrap()
        .replace("grace@example.com", "mallory@example.com");
    let body_start = signed
        .find("<saml2p:Response")
        .or_else(|| signed.find("<samlp:Response"))
        .unwrap_or(0);
    let original = &signed[body_start..];
    // Variant 1: the original inside the forged one, next to the forged assertion.
    let close = forged_xml.rfind("</").unwrap();
    let wrapped = format!(
        "{}{}{}",
        &forged_xml[..close],
        original,
        &forged_xml[close..]
    );
    // Variant 2: the forged assertion injected into the signed response, before the real one.
    let (a_start, _) = assertion_span(&forged_xml);
    let (_, a_end) = assertion_span(&forged_xml);
    let evil_assertion = &forged_xml[a_start..a_end];
    let (s_start, _) = assertion_span(&signed);
    let injected = format!(
        "{}{}{}",
        &signed[..s_start],
        evil_assertion,
        &signed[s_start..]
    );
    for (name, xml) in [("wrapped", wrapped), ("injected", injected)] {
        match f.check(&xml) {
            Ok(v) => panic!("{name}: accepted as {}", v.email),
            Err(r) => assert_ne!(r.kind, RefusalKind::Busy, "{name}"),
        }
    }
}

/// Comment injection: exclusive c14n drops comments, so a comment inside a signed value keeps
/// the signature valid. A parser that stops reading text at the comment would see a shorter,
/// different address. The whole value must be read, or the response refused.
#[test]
fn a_comment_inside_the_signed_email_never_shortens_it() {
    let f = fixture();
    let mut response = f.response();
    let long = "grace@example.com.evil.test";
    let assertion = assertion_of(&mut response);
    if let Some(name_id) = assertion.subject.as_mut().unwrap().name_id.as_mut() {
        name_id.value = long.into();
    }
    for value in assertion
        .attribute_statements
        .iter_mut()
        .flatten()
        .flat_map(|s| s.attributes.iter_mut())
        .flat_map(|a| a.values.iter_mut())
    {
        if value.value.as_deref() == Some("grace@example.com") {
            value.value = Some(long.into());
        }
    }
    let xml = f.signed(&response);
    assert_eq!(f.check(&xml).unwrap().email, long, "the untouched response");
    let injected = xml.replace(long, "grace@example.com<!---->.evil.test");
    assert_ne!(injected, xml);
    match f.check(&injected) {
        Ok(v) => assert_eq!(v.email, long, "the comment shortened the address"),
        Err(r) => assert_ne!(r.kind, RefusalKind::Busy, "{r}"),
    }
}

#[test]
fn with_an_sp_key_authn_requests_are_signed_and_the_metadata_says_so() {
    let idp = DevIdp::generate(BASE).unwrap();
    let key = crate::saml::sp_key::SpKey::generate("sp").unwrap();
    let cert_pem = key.certificate_pem().unwrap();
    let sp = SamlSp::new(
        idp.metadata(),
        SpOptions {
            key: Some(key),
            sign_requests: true,
            ..options(false, false)
        },
    )
    .unwrap();
    let url = sp.authn_request_url("id-signed").unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(query
        .iter()
        .any(|(k, v)| k == "SigAlg" && v == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"));
    assert!(query.iter().any(|(k, _)| k == "Signature"));
    let verifier = samael::crypto::UrlVerifier::from_x509_cert_pem(&cert_pem).unwrap();
    assert!(verifier.verify_signed_request_url(&url).unwrap());
    // A tampered request no longer verifies.
    let tampered = url::Url::parse(&url.as_str().replace("SAMLRequest=", "SAMLRequest=A")).unwrap();
    assert!(!verifier
        .verify_signed_request_url(&tampered)
        .unwrap_or(false));

    let xml = sp.metadata_xml().unwrap();
    assert!(xml.contains("AuthnRequestsSigned=\"true\""), "{xml}");
    assert!(xml.contains("use=\"signing\""), "{xml}");
    assert!(xml.contains("use=\"encryption\""), "{xml}");
    assert!(
        xml.contains("<md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"http://127.0.0.1:3999/saml/slo\""),
        "{xml}"
    );
    let doc = strict_parse(&xml).unwrap();
    let mut parser = libxml::schemas::SchemaParserContext::from_file(
        "/usr/share/simplesamlphp/schemas/saml-schema-metadata-2.0.xsd",
    );
    let mut validator = libxml::schemas::SchemaValidationContext::from_parser(&mut parser).unwrap();
    assert!(validator.validate_document(&doc).is_ok(), "{xml}");
}

#[test]
fn during_a_rollover_the_metadata_lists_the_current_and_the_next_certificate() {
    let idp = DevIdp::generate(BASE).unwrap();
    let current = crate::saml::sp_key::SpKey::generate("now").unwrap();
    let next = crate::saml::sp_key::SpKey::generate("next").unwrap();
    let (current_der, next_der) = (
        current.certificate_der().unwrap(),
        next.certificate_der().unwrap(),
    );
    let sp = SamlSp::new(
        idp.metadata(),
        SpOptions {
            key: Some(current),
            sign_requests: true,
            next_certificate: Some(next_der.clone()),
            ..options(false, false)
        },
    )
    .unwrap();
    let parsed: samael::metadata::EntityDescriptor = sp.metadata_xml().unwrap().parse().unwrap();
    let descriptors = parsed.sp_sso_descriptors.unwrap()[0]
        .key_descriptors
        .clone()
        .unwrap();
    let certs_for = |key_use: &str| -> Vec<String> {
        descriptors
            .iter()
            .filter(|d| d.key_use.as_deref() == Some(key_use))
            .flat_map(|d| {
                d.key_info
                    .x509_data
                    .iter()
                    .flat_map(|x| x.certificates.clone())
            })
            .collect()
    };
    let certs = certs_for("signing");
    let b64 = |der: &[u8]| base64::engine::general_purpose::STANDARD.encode(der);
    assert_eq!(
        certs,
        vec![b64(&current_der), b64(&next_der)],
        "current first, then next"
    );
    assert_eq!(
        certs_for("encryption"),
        vec![b64(&current_der)],
        "only the key we hold can decrypt"
    );
}

mod encrypted {
    //! Encrypted assertions: each accepted form, and each refusal.
    use super::*;
    use crate::saml::decrypt::testing::{encrypt, Encryption, GCM_OAEP};
    use crate::saml::sp_key::SpKey;

    struct Encrypted {
        f: Fixture,
        cert: Vec<u8>,
    }

    fn setup(tweak: impl FnOnce(&mut SpOptions)) -> Encrypted {
        let idp = DevIdp::generate(BASE).unwrap();
        let key = SpKey::generate("sp").unwrap();
        let cert = key.certificate_der().unwrap();
        let mut opts = SpOptions {
            key: Some(key),
            ..options(false, false)
        };
        tweak(&mut opts);
        let sp = SamlSp::new(idp.metadata(), opts).unwrap();
        let request = RequestInfo {
            id: "id-5b0c7f5e-6f2a-4a51-9d9c-2b0e2f1f0a22".into(),
            acs_url: sp.acs_url().to_string(),
            issuer: sp.entity_id().to_string(),
        };
        Encrypted {
            f: Fixture { idp, sp, request },
            cert,
        }
    }

    /// The response shell (no assertion, unsigned) with `inner` where the assertion was.
    fn shell_with(f: &Fixture, inner: &str) -> String {
        let mut response = f.response();
        response.assertion = None;
        response.signature = None;
        let xml = response.to_string().unwrap();
        let close = xml.rfind("</").unwrap();
        format!("{}{inner}{}", &xml[..close], &xml[close..])
    }

    fn encrypted_response(e: &Encrypted, how: &Encryption<'_>) -> String {
        let assertion = e.f.idp.signed_assertion_xml(&e.f.response()).unwrap();
        shell_with(&e.f, &encrypt(&assertion, &e.cert, how))
    }

    #[test]
    fn an_encrypted_signed_assertion_is_accepted_with_gcm_and_with_cbc() {
        let e = setup(|_| {});
        for content in [
            "http://www.w3.org/2009/xmlenc11#aes256-gcm",
            "http://www.w3.org/2009/xmlenc11#aes128-gcm",
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        ] {
            let how = Encryption {
                content,
                ..GCM_OAEP
            };
            let v = e.f.check(&encrypted_response(&e, &how)).unwrap();
            assert_eq!(v.email, "grace@example.com", "{content}");
            assert_eq!(v.in_response_to.as_deref(), Some(e.f.request.id.as_str()));
        }
    }

    #[test]
    fn an_assertion_encrypted_for_another_key_is_refused() {
        let e = setup(|_| {});
        let other = SpKey::generate("other").unwrap().certificate_der().unwrap();
        let assertion = e.f.idp.signed_assertion_xml(&e.f.response()).unwrap();
        let xml = shell_with(&e.f, &encrypt(&assertion, &other, &GCM_OAEP));
        assert_eq!(e.f.refusal(&xml), RefusalKind::Undecryptable);
    }

    #[test]
    fn rsa_1_5_key_transport_is_refused_unless_configured() {
        let how = Encryption {
            key_transport: "http://www.w3.org/2001/04/xmlenc#rsa-1_5",
            ..GCM_OAEP
        };
        let e = setup(|_| {});
        assert_eq!(
            e.f.refusal(&encrypted_response(&e, &how)),
            RefusalKind::EncryptionAlgorithm
        );
        let allowed = setup(|o| o.allow_rsa1_5 = true);
        assert!(allowed.f.check(&encrypted_response(&allowed, &how)).is_ok());
    }

    #[test]
    fn a_content_algorithm_outside_the_list_is_refused() {
        let e = setup(|_| {});
        let how = Encryption {
            content: "http://www.w3.org/2001/04/xmlenc#tripledes-cbc",
            ..GCM_OAEP
        };
        assert_eq!(
            e.f.refusal(&encrypted_response(&e, &how)),
            RefusalKind::EncryptionAlgorithm
        );
    }

    #[test]
    fn an_unsigned_assertion_is_refused_after_decryption_even_in_a_signed_response() {
        let e = setup(|_| {});
        let response = e.f.response();
        let assertion = response.assertion.clone().unwrap().to_string().unwrap();
        let encrypted = encrypt(&assertion, &e.cert, &GCM_OAEP);
        assert_eq!(
            e.f.refusal(&shell_with(&e.f, &encrypted)),
            RefusalKind::Unsigned
        );
        // The IdP signs the response around the encrypted assertion: still refused, because
        // what is accepted is the decrypted assertion, and that is unsigned.
        let mut signed_outer = response.clone();
        signed_outer.assertion = None;
        let unsigned_shell = signed_outer.to_string().unwrap();
        let close = unsigned_shell.rfind("</").unwrap();
        let with_encrypted = format!(
            "{}{encrypted}{}",
            &unsigned_shell[..close],
            &unsigned_shell[close..]
        );
        assert!(with_encrypted.contains("Signature"), "a signature template");
        let signed = crate::dev_idp::sign_xml_for_tests(&e.f.idp, &with_encrypted);
        assert_eq!(e.f.refusal(&signed), RefusalKind::Unsigned);
    }

    #[test]
    fn an_assertion_signed_by_another_idp_is_refused_after_decryption() {
        let e = setup(|_| {});
        let other = DevIdp::generate(BASE).unwrap();
        let assertion = other.signed_assertion_xml(&e.f.response()).unwrap();
        let xml = shell_with(&e.f, &encrypt(&assertion, &e.cert, &GCM_OAEP));
        assert_eq!(e.f.refusal(&xml), RefusalKind::BadSignature);
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let e = setup(|_| {});
        let xml = encrypted_response(&e, &GCM_OAEP);
        // Flip one base64 character of the content's CipherValue (the last one in the text).
        let at = xml.rfind("</xenc:CipherValue>").unwrap() - 10;
        let mut bytes = xml.into_bytes();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let xml = String::from_utf8(bytes).unwrap();
        assert_eq!(e.f.refusal(&xml), RefusalKind::Undecryptable);
    }

    #[test]
    fn a_plaintext_that_is_not_one_assertion_is_refused() {
        let e = setup(|_| {});
        let assertion = e.f.idp.signed_assertion_xml(&e.f.response()).unwrap();
        let body = assertion
            .trim_start_matches(|c| c != '>')
            .trim_start_matches('>');
        for plaintext in [
            format!("{body}{body}"),
            format!("</saml2:EncryptedAssertion>{body}"),
            "<saml2:Assertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"><x>"
                .to_string(),
        ] {
            let xml = shell_with(&e.f, &encrypt(&plaintext, &e.cert, &GCM_OAEP));
            let kind = e.f.refusal(&xml);
            assert!(
                matches!(
                    kind,
                    RefusalKind::Undecryptable | RefusalKind::AssertionCount
                ),
                "{kind:?} for {plaintext:.60}"
            );
        }
    }

    #[test]
    fn a_cipher_reference_is_refused_before_anything_is_fetched() {
        let e = setup(|_| {});
        let xml = encrypted_response(&e, &GCM_OAEP).replacen(
            "<xenc:CipherData><xenc:CipherValue>",
            "<xenc:CipherData><xenc:CipherReference URI=\"http://127.0.0.1:9/x\"/><xenc:CipherValue>",
            1,
        );
        assert_eq!(e.f.refusal(&xml), RefusalKind::ForbiddenSignature);
    }

    #[test]
    fn a_plain_assertion_is_refused_when_encryption_is_required() {
        let e = setup(|o| o.require_encryption = true);
        let plain = e.f.signed(&e.f.response());
        assert_eq!(e.f.refusal(&plain), RefusalKind::NotEncrypted);
        assert!(e.f.check(&encrypted_response(&e, &GCM_OAEP)).is_ok());
    }

    #[test]
    fn without_an_sp_key_an_encrypted_assertion_is_unsupported() {
        let e = setup(|o| o.key = None);
        assert_eq!(
            e.f.refusal(&encrypted_response(&e, &GCM_OAEP)),
            RefusalKind::Unsupported
        );
    }
}

mod single_logout {
    //! Logout messages on the HTTP-POST binding, and the Redirect binding's algorithm check.
    use super::*;
    use crate::saml::logout::{self, Binding, Inbound, Outbound, Received, Subject};
    use crate::saml::sp_key::SpKey;
    use samael::metadata::{Endpoint, HTTP_POST_BINDING};

    const IDP_SLO: &str = "http://127.0.0.1:3999/idp/slo";

    /// An SP whose IdP offers SLO on HTTP-POST only; the IdP signs with `idp_key`.
    fn post_only(idp_key: &SpKey) -> SamlSp {
        let idp = DevIdp::generate(BASE).unwrap();
        let mut metadata = idp.metadata();
        let descriptor = &mut metadata.idp_sso_descriptors.as_mut().unwrap()[0];
        descriptor.single_logout_services = vec![Endpoint {
            binding: HTTP_POST_BINDING.into(),
            location: IDP_SLO.into(),
            response_location: None,
        }];
        descriptor.key_descriptors[0].key_info.x509_data = Some(samael::key_info::X509Data {
            certificates: vec![base64::engine::general_purpose::STANDARD
                .encode(idp_key.certificate_der().unwrap())],
        });
        SamlSp::new(
            metadata,
            SpOptions {
                key: Some(SpKey::generate("sp").unwrap()),
                ..options(false, false)
            },
        )
        .unwrap()
    }

    fn post_fields(outbound: Outbound) -> (String, Vec<(&'static str, String)>) {
        match outbound {
            Outbound::Post { action, fields } => (action, fields),
            Outbound::Redirect(url) => panic!("expected the POST binding, got {url}"),
        }
    }

    #[test]
    fn to_a_post_only_idp_the_logout_request_is_xml_signed_and_xmlsec1_verifies_it() {
        let idp_key = SpKey::generate("idp").unwrap();
        let sp = post_only(&idp_key);
        assert_eq!(sp.idp_slo().unwrap().binding, Binding::Post);
        let subject = Subject {
            name_id: "grace@example.com",
            name_id_format: None,
            session_index: Some("_s1"),
        };
        let (action, fields) = post_fields(
            sp.logout_request("_lr1", &subject, time::OffsetDateTime::now_utc())
                .unwrap(),
        );
        assert_eq!(action, IDP_SLO);
        let xml = String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(&fields[0].1)
                .unwrap(),
        )
        .unwrap();
        assert!(
            xml.contains("<samlp:SessionIndex>_s1</samlp:SessionIndex>"),
            "{xml}"
        );

        // A second implementation: the xmlsec1 command, with our metadata's certificate.
        let dir = std::env::temp_dir().join(format!("gh-slo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("sp.pem");
        let metadata = sp.metadata_xml().unwrap();
        let start = metadata.find("X509Certificate>").unwrap() + "X509Certificate>".len();
        let b64 = &metadata[start..start + metadata[start..].find('<').unwrap()];
        std::fs::write(
            &cert,
            format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n"),
        )
        .unwrap();
        let verify = |doc: &str| {
            let file = dir.join("message.xml");
            std::fs::write(&file, doc).unwrap();
            std::process::Command::new("xmlsec1")
                .args(["--verify", "--pubkey-cert-pem"])
                .arg(&cert)
                .args([
                    "--id-attr:ID",
                    "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
                ])
                .arg(&file)
                .output()
                .expect("xmlsec1 (scripts/install-deps.sh installs it)")
                .status
                .success()
        };
        assert!(verify(&xml), "xmlsec1 verifies our signature");
        assert!(
            !verify(&xml.replace("grace@", "mallory@")),
            "and refuses it tampered"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn idp_request(idp_key: &SpKey, sp: &SamlSp, id: &str) -> String {
        let xml = logout::logout_request_xml(
            id,
            &format!("{BASE}{}", app::urls::DEV_IDP_METADATA),
            sp.slo_url(),
            &Subject {
                name_id: "grace@example.com",
                name_id_format: None,
                session_index: None,
            },
            time::OffsetDateTime::now_utc(),
        );
        logout::sign_enveloped(
            &xml,
            id,
            idp_key.private_key(),
            &idp_key.certificate_der().unwrap(),
        )
        .unwrap()
    }

    fn post(sp: &SamlSp, xml: &str) -> Result<Inbound, Refusal> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(xml);
        sp.verify_logout_message(
            &Received::Post {
                saml_request: Some(&encoded),
                saml_response: None,
                relay_state: Some("back"),
            },
            time::OffsetDateTime::now_utc(),
        )
    }

    #[test]
    fn a_posted_logout_request_is_accepted_only_with_the_idps_signature_on_its_root() {
        let idp_key = SpKey::generate("idp").unwrap();
        let sp = post_only(&idp_key);
        let signed = idp_request(&idp_key, &sp, "_in1");
        match post(&sp, &signed).unwrap() {
            Inbound::Request {
                name_id,
                relay_state,
                ..
            } => {
                assert_eq!(name_id, "grace@example.com");
                assert_eq!(relay_state.as_deref(), Some("back"));
            }
            other => panic!("{other:?}"),
        }
        let tampered = signed.replace("grace@", "ada@");
        assert_eq!(
            post(&sp, &tampered).unwrap_err().kind,
            RefusalKind::BadSignature
        );
        let forger = SpKey::generate("forger").unwrap();
        let forged = idp_request(&forger, &sp, "_in2");
        assert_eq!(
            post(&sp, &forged).unwrap_err().kind,
            RefusalKind::BadSignature
        );
        let start = signed.find("<ds:Signature").unwrap();
        let end = signed.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        let unsigned = format!("{}{}", &signed[..start], &signed[end..]);
        assert_eq!(
            post(&sp, &unsigned).unwrap_err().kind,
            RefusalKind::Unsigned
        );
        let doctype = format!("<!DOCTYPE x [<!ENTITY e \"e\">]>{signed}");
        assert_eq!(post(&sp, &doctype).unwrap_err().kind, RefusalKind::Doctype);
    }

    #[test]
    fn a_redirect_message_signed_with_rsa_sha1_is_refused_unless_sha1_is_allowed() {
        let f = fixture();
        let query = "SAMLRequest=AA&SigAlg=http%3A%2F%2Fwww.w3.org%2F2000%2F09%2Fxmldsig%23rsa-sha1&Signature=AA";
        let refusal =
            f.sp.verify_logout_message(&Received::Redirect(query), time::OffsetDateTime::now_utc())
                .unwrap_err();
        assert_eq!(refusal.kind, RefusalKind::WeakAlgorithm);
        let lenient = fixture_with(true, false);
        let refusal = lenient
            .sp
            .verify_logout_message(&Received::Redirect(query), time::OffsetDateTime::now_utc())
            .unwrap_err();
        assert_eq!(
            refusal.kind,
            RefusalKind::BadSignature,
            "checked, not refused by name"
        );
    }
}
