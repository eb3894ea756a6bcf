//! Identifier generation: a type prefix and 128 random bits, so ids are unguessable and say
//! what they name.
use rand::RngCore;

fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + 32);
    out.push_str(prefix);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

pub fn new_user_id() -> String {
    random_id("usr_")
}

/// Shorter than other ids and a valid DNS label (lower-case hex, no `_`): it is shown in the
/// header and is the host part of service-account emails, `…@org-<id>.serviceaccount.com`.
pub fn new_org_id() -> String {
    let id = random_id("");
    id[..20].to_string()
}

/// SAML request ids must be XML NCNames (no leading digit), and must not be guessable.
pub fn new_saml_request_id() -> String {
    format!("id-{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_their_prefix_and_are_distinct() {
        let a = new_user_id();
        let b = new_user_id();
        assert!(a.starts_with("usr_") && a.len() == 36);
        assert_ne!(a, b);
        // An organization id is a DNS label: it is the host part of service-account emails.
        let org = new_org_id();
        assert_eq!(org.len(), 20);
        assert!(org
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        let req = new_saml_request_id();
        assert!(req.starts_with("id-") && req.len() == 39);
    }
}
