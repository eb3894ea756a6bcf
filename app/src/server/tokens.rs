//! The token format, in one place.
//!
//! `<prefix><32 base62 random chars><6 base62 checksum chars>`, e.g. `gtu_…`: the prefix says
//! what the token is (secret scanners can match it), 32 base62 characters carry ~190 bits of
//! randomness, and the CRC-32 checksum lets a typo or a truncated paste be refused without a
//! database lookup. Only the SHA-256 of a token is stored (high-entropy tokens need no slow
//! hash), with its last six characters for display.
use rand::Rng;
use sha2::{Digest, Sha256};
use std::fmt;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
/// Longer input is refused before any other work.
pub const MAX_TOKEN_LEN: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A user's personal CLI token.
    User,
    /// A service account's API key.
    ServiceAccount,
}

impl TokenKind {
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::User => "gtu_",
            TokenKind::ServiceAccount => "gts_",
        }
    }

    pub fn owner_kind(self) -> &'static str {
        match self {
            TokenKind::User => "user",
            TokenKind::ServiceAccount => "service_account",
        }
    }

    const ALL: [TokenKind; 2] = [TokenKind::User, TokenKind::ServiceAccount];
}

/// A plaintext token. It exists only between creation and the one response that shows it;
/// `Debug` and `Display` never print it.
pub struct SecretToken(String);

impl SecretToken {
    pub fn generate(kind: TokenKind) -> SecretToken {
        let mut rng = rand::rngs::OsRng;
        let mut token = String::with_capacity(kind.prefix().len() + RANDOM_LEN + CHECKSUM_LEN);
        token.push_str(kind.prefix());
        for _ in 0..RANDOM_LEN {
            token.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
        }
        let checksum = checksum_chars(&token);
        token.push_str(&checksum);
        SecretToken(token)
    }

    /// The plaintext, for the single response that hands it over.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }

    pub fn last_six(&self) -> String {
        last_six(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretToken(…{})", self.last_six())
    }
}

/// A token that passed the format and checksum check (it may still be unknown or revoked).
#[derive(PartialEq, Eq)]
pub struct ParsedToken<'a> {
    pub kind: TokenKind,
    raw: &'a str,
}

impl ParsedToken<'_> {
    pub fn hash(&self) -> String {
        hash_token(self.raw)
    }

    pub fn last_six(&self) -> String {
        last_six(self.raw)
    }
}

impl fmt::Debug for ParsedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParsedToken({:?}, …{})", self.kind, self.last_six())
    }
}

/// Checks prefix, length, alphabet and checksum. No database involved.
pub fn parse(raw: &str) -> Option<ParsedToken<'_>> {
    if raw.len() > MAX_TOKEN_LEN {
        return None;
    }
    let kind = TokenKind::ALL
        .into_iter()
        .find(|k| raw.starts_with(k.prefix()))?;
    let rest = &raw[kind.prefix().len()..];
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (body, checksum) = raw.split_at(raw.len() - CHECKSUM_LEN);
    (checksum_chars(body) == checksum).then_some(ParsedToken { kind, raw })
}

pub fn hash_token(raw: &str) -> String {
    let digest = Sha256::digest(raw.as_bytes());
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

fn last_six(raw: &str) -> String {
    raw[raw.len().saturating_sub(6)..].to_string()
}

fn checksum_chars(body: &str) -> String {
    let mut value = crc32(body.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// CRC-32 (IEEE), as GitHub uses for its token checksums.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_parse_and_carry_their_kind() {
        for kind in TokenKind::ALL {
            let token = SecretToken::generate(kind);
            assert!(token.expose().starts_with(kind.prefix()));
            assert_eq!(token.expose().len(), 42);
            let parsed = parse(token.expose()).expect("a fresh token parses");
            assert_eq!(parsed.kind, kind);
            assert_eq!(parsed.hash(), token.hash());
            assert_eq!(parsed.last_six(), token.last_six());
        }
    }

    #[test]
    fn tokens_are_unique() {
        let a = SecretToken::generate(TokenKind::User);
        let b = SecretToken::generate(TokenKind::User);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let token = SecretToken::generate(TokenKind::User);
        let raw = token.expose();
        let i = 10;
        let c = raw.as_bytes()[i];
        let other = if c == b'a' { 'b' } else { 'a' };
        let typo = format!("{}{}{}", &raw[..i], other, &raw[i + 1..]);
        assert!(parse(&typo).is_none());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = SecretToken::generate(TokenKind::User);
        let wrong_prefix = good.expose().replacen("gtu_", "ghp_", 1);
        let garbage = "x".repeat(10_000);
        for bad in [
            "",
            "gtu_",
            "Bearer",
            &wrong_prefix,
            &good.expose()[..41],
            &garbage,
        ] {
            assert!(parse(bad).is_none(), "{bad:.20}");
        }
        let non_alnum = format!("{}-{}", &good.expose()[..20], &good.expose()[21..]);
        assert!(parse(&non_alnum).is_none());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let token = SecretToken::generate(TokenKind::User);
        let debug = format!("{token:?} {:?}", parse(token.expose()).unwrap());
        assert!(!debug.contains(&token.expose()[4..36]), "{debug}");
        assert!(debug.contains(&token.last_six()));
    }

    #[test]
    fn the_stored_hash_is_lowercase_hex_sha256() {
        // FIPS 180-2 test vector: stored hashes must stay byte-identical across releases, or
        // every issued token stops working.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
