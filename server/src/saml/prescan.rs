//! A streaming pass over the raw response XML, before samael (and so libxml2 and xmlsec) sees
//! it, for what samael does not check: DOCTYPE declarations (entity expansion, XXE), nesting
//! depth, the number of assertions, the signature and digest algorithms, and — the one that
//! keeps an anonymous POST from making the server fetch or open anything — the shape of every
//! XML signature: each `Reference` must point at the element that carries the signature
//! (`#<its ID>`) or at the whole document (`""`), only the enveloped-signature and exclusive
//! canonicalisation transforms are allowed, and `Object`, `Manifest`, `RetrievalMethod` and
//! any other URI inside a signature are refused. See docs/decisions/0006-same-document-references.md.
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::RefusalKind;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prescan {
    pub in_response_to: Option<String>,
    /// `Assertion` and `EncryptedAssertion` elements together.
    pub assertions: usize,
    /// The byte span of the (first) `EncryptedAssertion`, a child of the root.
    pub encrypted_assertion: Option<(usize, usize)>,
    /// The byte span of a `Signature` that is a child of the root (the response's own).
    pub root_signature: Option<(usize, usize)>,
    pub signatures: usize,
    pub algorithms: Vec<(AlgorithmElement, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgorithmElement {
    SignatureMethod,
    DigestMethod,
}

/// Deeper than any real response (about 8 levels); bounds the parser's work and stack.
pub const MAX_DEPTH: usize = 48;

const ENVELOPED_SIGNATURE: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const EXCLUSIVE_C14N: [&str; 2] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
];
/// Canonicalisation of SignedInfo: exclusive, or inclusive 1.0/1.1 (no transforms of their own).
const CANONICALIZATION_METHODS: [&str; 6] = [
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2006/12/xml-c14n11",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments",
];
/// Elements of XML-DSig that make the verifier fetch, open or process more than the document.
const FORBIDDEN_IN_SIGNATURE: [&[u8]; 5] = [
    b"Object",
    b"Manifest",
    b"RetrievalMethod",
    b"SignatureProperties",
    b"Signature",
];

/// Signature algorithms accepted by default: RSA and ECDSA with SHA-2.
pub const STRONG_SIGNATURE_METHODS: [&str; 6] = [
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
];
/// Digest algorithms accepted by default: SHA-2.
pub const STRONG_DIGEST_METHODS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
/// What `GATEHOUSE_ALLOW_SHA1` adds, and nothing else: RSA-SHA1 and the SHA-1 digest.
pub const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
pub const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

impl Prescan {
    /// The first SignatureMethod or DigestMethod outside the allow-list, if any.
    pub fn disallowed_algorithm(&self, allow_sha1: bool) -> Option<&str> {
        self.algorithms
            .iter()
            .find(|(element, uri)| {
                let uri = uri.as_str();
                let allowed = match element {
                    AlgorithmElement::SignatureMethod => {
                        STRONG_SIGNATURE_METHODS.contains(&uri) || (allow_sha1 && uri == RSA_SHA1)
                    }
                    AlgorithmElement::DigestMethod => {
                        STRONG_DIGEST_METHODS.contains(&uri) || (allow_sha1 && uri == SHA1_DIGEST)
                    }
                };
                !allowed
            })
            .map(|(_, uri)| uri.as_str())
    }
}

type Refused = (RefusalKind, String);

fn forbidden(detail: impl Into<String>) -> Refused {
    (RefusalKind::ForbiddenSignature, detail.into())
}

fn attribute(e: &BytesStart<'_>, local: &[u8]) -> Result<Option<String>, Refused> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| (RefusalKind::Malformed, format!("attribute: {err}")))?;
        if attr.key.local_name().as_ref() == local {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| (RefusalKind::Malformed, format!("attribute value: {err}")))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// The open element on the stack: whether it is a Signature, and its ID.
struct Open {
    is_signature: bool,
    id: Option<String>,
}

/// Where we are inside a `Signature`: the ID of the element it signs (its parent).
struct InSignature {
    depth: usize,
    signed_id: Option<String>,
}

fn check_inside_signature(
    name: &[u8],
    e: &BytesStart<'_>,
    signature: &InSignature,
) -> Result<(), Refused> {
    if FORBIDDEN_IN_SIGNATURE.contains(&name) {
        return Err(forbidden(format!(
            "{} inside a Signature",
            String::from_utf8_lossy(name)
        )));
    }
    match name {
        b"Reference" => {
            let uri = attribute(e, b"URI")?
                .ok_or_else(|| forbidden("a Reference without a URI attribute"))?;
            let same_element = signature
                .signed_id
                .as_deref()
                .is_some_and(|id| !id.is_empty() && uri.strip_prefix('#') == Some(id));
            if !(uri.is_empty() || same_element) {
                return Err(forbidden(format!(
                    "Reference URI {uri:?} is not the signed element ({:?})",
                    signature.signed_id
                )));
            }
        }
        b"Transform" => {
            let algorithm = attribute(e, b"Algorithm")?.unwrap_or_default();
            if algorithm != ENVELOPED_SIGNATURE && !EXCLUSIVE_C14N.contains(&algorithm.as_str()) {
                return Err(forbidden(format!("Transform {algorithm:?}")));
            }
        }
        b"CanonicalizationMethod" => {
            let algorithm = attribute(e, b"Algorithm")?.unwrap_or_default();
            if !CANONICALIZATION_METHODS.contains(&algorithm.as_str()) {
                return Err(forbidden(format!("CanonicalizationMethod {algorithm:?}")));
            }
        }
        _ => {
            if attribute(e, b"URI")?.is_some() {
                return Err(forbidden(format!(
                    "a URI on {} inside a Signature",
                    String::from_utf8_lossy(name)
                )));
            }
        }
    }
    Ok(())
}

/// The pre-scan of a SAML `Response`.
pub fn prescan(xml: &str) -> Result<Prescan, (RefusalKind, String)> {
    prescan_root(xml, &[b"Response"])
}

/// The pre-scan of a document whose root element is one of `roots` (by local name).
pub fn prescan_root(xml: &str, roots: &[&[u8]]) -> Result<Prescan, (RefusalKind, String)> {
    let mut reader = Reader::from_str(xml);
    let mut out = Prescan::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut signature: Option<InSignature> = None;
    let mut seen_root = false;
    // Where the span being measured started, and at which depth it closes.
    let mut open_span: Option<(usize, usize, bool)> = None;
    loop {
        let event_start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| (RefusalKind::Malformed, format!("XML error: {e}")))?;
        match event {
            Event::DocType(_) => {
                return Err((RefusalKind::Doctype, "DOCTYPE declaration present".into()))
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(event, Event::Start(_));
                let local = e.local_name();
                let name = local.as_ref();
                if stack.is_empty() {
                    if seen_root {
                        return Err((RefusalKind::Malformed, "more than one root element".into()));
                    }
                    seen_root = true;
                    if !roots.contains(&name) {
                        return Err((
                            RefusalKind::Malformed,
                            format!("root element is {:?}", String::from_utf8_lossy(name)),
                        ));
                    }
                    out.in_response_to = attribute(e, b"InResponseTo")?;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err((
                        RefusalKind::Malformed,
                        format!("nested deeper than {MAX_DEPTH}"),
                    ));
                }
                if let Some(sig) = &signature {
                    check_inside_signature(name, e, sig)?;
                }
                match name {
                    b"Assertion" => out.assertions += 1,
                    b"EncryptedAssertion" => {
                        out.assertions += 1;
                        if stack.len() != 1 || !is_start {
                            return Err((
                                RefusalKind::Malformed,
                                "an EncryptedAssertion that is not a child of the response".into(),
                            ));
                        }
                        if out.encrypted_assertion.is_none() {
                            open_span = Some((event_start, stack.len(), true));
                        }
                    }
                    b"CipherReference" => {
                        return Err(forbidden("a CipherReference (a URI to fetch)"));
                    }
                    b"Signature" => {
                        out.signatures += 1;
                        if stack.len() == 1 && out.root_signature.is_none() {
                            open_span = Some((event_start, stack.len(), false));
                        }
                    }
                    // Algorithms of signatures; an EncryptedKey's digest is checked when it
                    // is decrypted.
                    b"SignatureMethod" | b"DigestMethod" if signature.is_some() => {
                        let element = if name == b"SignatureMethod" {
                            AlgorithmElement::SignatureMethod
                        } else {
                            AlgorithmElement::DigestMethod
                        };
                        let algorithm = attribute(e, b"Algorithm")?.unwrap_or_default();
                        out.algorithms.push((element, algorithm));
                    }
                    _ => {}
                }
                let is_signature = name == b"Signature";
                if is_signature {
                    if !is_start {
                        return Err(forbidden("an empty Signature element"));
                    }
                    signature = Some(InSignature {
                        depth: stack.len(),
                        signed_id: stack.last().and_then(|parent| parent.id.clone()),
                    });
                }
                if is_start {
                    stack.push(Open {
                        is_signature,
                        id: attribute(e, b"ID")?,
                    });
                }
            }
            Event::End(_) => {
                let closed = stack.pop();
                if let Some((start, depth, encrypted)) = open_span {
                    if depth == stack.len() {
                        let end = usize::try_from(reader.buffer_position()).unwrap_or(0);
                        if encrypted {
                            out.encrypted_assertion = Some((start, end));
                        } else {
                            out.root_signature = Some((start, end));
                        }
                        open_span = None;
                    }
                }
                if closed.is_some_and(|c| c.is_signature)
                    && signature.as_ref().is_some_and(|s| s.depth == stack.len())
                {
                    signature = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err((RefusalKind::Malformed, "no root element".into()));
    }
    if !stack.is_empty() {
        return Err((RefusalKind::Malformed, "unterminated XML".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_response_to_and_counts_assertions() {
        let xml = r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" InResponseTo="id-1"><saml:Assertion ID="a"/></samlp:Response>"#;
        let p = prescan(xml).unwrap();
        assert_eq!(p.in_response_to.as_deref(), Some("id-1"));
        assert_eq!(p.assertions, 1);
    }

    #[test]
    fn refuses_doctype() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><Response/>"#;
        assert_eq!(prescan(xml).unwrap_err().0, RefusalKind::Doctype);
    }

    const SIGNED: &str = r##"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1" InResponseTo="id-1"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="SIGALG"/><ds:Reference URI="REF"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="TRANSFORM"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="DIGEST"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue><ds:KeyInfo>KEYINFO</ds:KeyInfo>EXTRA</ds:Signature><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1"/></samlp:Response>"##;

    /// The signed skeleton above with one part replaced.
    fn signed(part: &str, value: &str) -> String {
        let defaults = [
            (
                "SIGALG",
                "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            ),
            ("REF", "#r1"),
            ("TRANSFORM", "http://www.w3.org/2001/10/xml-exc-c14n#"),
            ("DIGEST", "http://www.w3.org/2001/04/xmlenc#sha256"),
            (
                "KEYINFO",
                "<ds:X509Data><ds:X509Certificate>AA==</ds:X509Certificate></ds:X509Data>",
            ),
            ("EXTRA", ""),
        ];
        let mut xml = SIGNED.replace(part, value);
        for (name, default) in defaults {
            xml = xml.replace(name, default);
        }
        xml
    }

    fn refusal(xml: &str) -> RefusalKind {
        prescan(xml).expect_err("refused").0
    }

    #[test]
    fn accepts_a_reference_to_the_signed_element_or_the_whole_document() {
        let scan = prescan(&signed("REF", "#r1")).unwrap();
        assert_eq!(scan.signatures, 1);
        assert_eq!(scan.disallowed_algorithm(false), None);
        assert!(prescan(&signed("REF", "")).is_ok());
    }

    #[test]
    fn refuses_references_outside_the_signed_element() {
        for uri in [
            "http://127.0.0.1:9/x",
            "file:///etc/passwd",
            "file:///tmp/a-fifo",
            "#a1",
            "#",
            "other.xml#r1",
            "#xpointer(/)",
            "&#x66;ile:///etc/passwd",
        ] {
            assert_eq!(
                refusal(&signed("REF", uri)),
                RefusalKind::ForbiddenSignature,
                "{uri}"
            );
        }
        let no_uri = signed("URI=\"REF\"", "");
        assert_eq!(refusal(&no_uri), RefusalKind::ForbiddenSignature);
    }

    #[test]
    fn refuses_transforms_other_than_enveloped_and_exclusive_c14n() {
        for algorithm in [
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
            "http://www.w3.org/TR/1999/REC-xslt-19991116",
            "http://www.w3.org/2002/06/xmldsig-filter2",
            "http://www.w3.org/2000/09/xmldsig#base64",
            "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
        ] {
            assert_eq!(
                refusal(&signed("TRANSFORM", algorithm)),
                RefusalKind::ForbiddenSignature,
                "{algorithm}"
            );
        }
        assert!(prescan(&signed(
            "TRANSFORM",
            "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
        ))
        .is_ok());
    }

    #[test]
    fn refuses_objects_manifests_and_uris_in_key_info() {
        for (part, value) in [
            ("EXTRA", "<ds:Object><x/></ds:Object>"),
            ("EXTRA", "<ds:Object/>"),
            ("EXTRA", "<ds:Manifest/>"),
            (
                "KEYINFO",
                "<ds:RetrievalMethod URI=\"http://127.0.0.1:9/key\"/>",
            ),
            ("KEYINFO", "<ds:X509Data URI=\"file:///etc/passwd\"/>"),
            ("KEYINFO", "<ds:Signature><ds:SignedInfo/></ds:Signature>"),
        ] {
            assert_eq!(
                refusal(&signed(part, value)),
                RefusalKind::ForbiddenSignature,
                "{value}"
            );
        }
    }

    #[test]
    fn allows_only_sha2_unless_sha1_is_allowed_and_never_md5() {
        let sha1 = signed("SIGALG", RSA_SHA1)
            .replace("http://www.w3.org/2001/04/xmlenc#sha256", SHA1_DIGEST);
        let scan = prescan(&sha1).unwrap();
        assert_eq!(scan.disallowed_algorithm(false), Some(RSA_SHA1));
        assert_eq!(scan.disallowed_algorithm(true), None);
        for (part, weak) in [
            ("SIGALG", "http://www.w3.org/2001/04/xmldsig-more#rsa-md5"),
            ("DIGEST", "http://www.w3.org/2001/04/xmldsig-more#md5"),
            ("SIGALG", "http://www.w3.org/2000/09/xmldsig#hmac-sha1"),
            ("SIGALG", "http://www.w3.org/2000/09/xmldsig#dsa-sha1"),
        ] {
            let scan = prescan(&signed(part, weak)).unwrap();
            assert_eq!(scan.disallowed_algorithm(true), Some(weak), "{weak}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = format!(
            "<Response>{}{}</Response>",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_eq!(refusal(&deep), RefusalKind::Malformed);
    }

    #[test]
    fn refuses_other_roots_and_broken_xml() {
        assert_eq!(
            prescan("<LogoutRequest/>").unwrap_err().0,
            RefusalKind::Malformed
        );
        assert_eq!(
            prescan("<Response><a>").unwrap_err().0,
            RefusalKind::Malformed
        );
    }
}
