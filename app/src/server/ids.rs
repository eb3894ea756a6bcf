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

pub fn new_org_id() -> String {
    // Shorter than other ids: it is shown in the header and becomes part of
    // service-account email domains.
    let id = random_id("");
    format!("org_{}", &id[..20])
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
        assert!(new_org_id().starts_with("org_"));
        let req = new_saml_request_id();
        assert!(req.starts_with("id-") && req.len() == 39);
    }
}
