//! A streaming pass over the raw response XML, before samael sees it, for what samael does not
//! check: DOCTYPE declarations (entity expansion, XXE), the number of assertions, and the
//! signature and digest algorithms. It also reads the root's InResponseTo.
use quick_xml::events::Event;
use quick_xml::Reader;

use super::RefusalKind;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Prescan {
    pub in_response_to: Option<String>,
    pub assertions: usize,
    pub signatures: usize,
    pub algorithms: Vec<String>,
}

const WEAK_ALGORITHM_MARKERS: [&str; 3] = ["sha1", "md5", "sha224"];

impl Prescan {
    /// True when any SignatureMethod or DigestMethod uses SHA-1 (or worse).
    pub fn uses_weak_algorithm(&self) -> bool {
        self.algorithms.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            WEAK_ALGORITHM_MARKERS.iter().any(|weak| a.ends_with(weak))
        })
    }
}

pub fn prescan(xml: &str) -> Result<Prescan, (RefusalKind, String)> {
    let mut reader = Reader::from_str(xml);
    let mut out = Prescan::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
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
                if depth == 0 {
                    if seen_root {
                        return Err((RefusalKind::Malformed, "more than one root element".into()));
                    }
                    seen_root = true;
                    if name != b"Response" {
                        return Err((
                            RefusalKind::Malformed,
                            format!("root element is {:?}", String::from_utf8_lossy(name)),
                        ));
                    }
                    for attr in e.attributes().flatten() {
                        if attr.key.local_name().as_ref() == b"InResponseTo" {
                            out.in_response_to =
                                Some(String::from_utf8_lossy(&attr.value).into_owned());
                        }
                    }
                }
                match name {
                    b"Assertion" | b"EncryptedAssertion" => out.assertions += 1,
                    b"Signature" => out.signatures += 1,
                    b"SignatureMethod" | b"DigestMethod" => {
                        for attr in e.attributes().flatten() {
                            if attr.key.as_ref() == b"Algorithm" {
                                out.algorithms
                                    .push(String::from_utf8_lossy(&attr.value).into_owned());
                            }
                        }
                    }
                    _ => {}
                }
                if is_start {
                    depth += 1;
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err((RefusalKind::Malformed, "no root element".into()));
    }
    if depth != 0 {
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

    #[test]
    fn flags_sha1() {
        let xml = r#"<Response><Signature><SignedInfo><SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></SignedInfo></Signature></Response>"#;
        assert!(prescan(xml).unwrap().uses_weak_algorithm());
        let xml = r#"<Response><Signature><SignedInfo><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></SignedInfo></Signature></Response>"#;
        assert!(!prescan(xml).unwrap().uses_weak_algorithm());
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
