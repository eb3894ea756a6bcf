//! `EncryptedAssertion` (XML Encryption), decrypted with the SP key by our own code on OpenSSL.
//!
//! samael's decryption accepts RSA PKCS#1 v1.5 unconditionally, knows only AES-128, and hands
//! back an assertion whose own signature nobody checks. Here: the key transport is RSA-OAEP
//! (`xmlenc#rsa-oaep-mgf1p`, or `xmlenc11#rsa-oaep` with its digest and MGF), PKCS#1 v1.5 only
//! when configured; the content is AES-128/192/256 in GCM or CBC. Only `CipherValue`s are read:
//! a `CipherReference` (a URI to fetch) is refused. Every failure is the same refusal to the
//! client, whatever step failed, so the response does not act as a padding or key oracle.
//!
//! The plaintext must be exactly one `Assertion` element. The caller splices it into the
//! response in place of the `EncryptedAssertion` and runs every check again — the prescan
//! and samael's signature verification included — so an assertion is accepted only when the
//! IdP signed the assertion itself (encryption to our public key proves nothing: anyone can
//! encrypt to it).
use base64::Engine as _;
use openssl::md::{Md, MdRef};
use openssl::pkey::{PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::symm::{Cipher, Crypter, Mode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

const RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

/// Content encryption algorithms we decrypt, in the order the metadata offers them.
pub const CONTENT_ALGORITHMS: [&str; 6] = [
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2009/xmlenc11#aes192-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
];
/// Key transport algorithms we accept by default, as the metadata offers them.
pub const KEY_TRANSPORT_ALGORITHMS: [&str; 2] = [RSA_OAEP, RSA_OAEP_MGF1P];

/// At most this many `EncryptedKey`s (one per recipient) are tried.
const MAX_ENCRYPTED_KEYS: usize = 4;

/// Why an encrypted assertion was not decrypted: for the log only.
#[derive(Debug, PartialEq, Eq)]
pub enum DecryptError {
    /// The algorithm is not one we accept (the detail names it).
    Algorithm(String),
    /// Anything else: the structure, the base64, the key, the padding, the tag.
    Failed(String),
}

impl DecryptError {
    pub fn detail(&self) -> String {
        match self {
            DecryptError::Algorithm(a) => format!("algorithm {a:?} is not accepted"),
            DecryptError::Failed(d) => d.clone(),
        }
    }
}

fn failed(detail: impl Into<String>) -> DecryptError {
    DecryptError::Failed(detail.into())
}

#[derive(Debug, Default)]
struct EncryptedKey {
    method: Option<String>,
    digest: Option<String>,
    mgf: Option<String>,
    cipher: String,
}

#[derive(Debug, Default)]
struct Parsed {
    data_method: Option<String>,
    data_cipher: Option<String>,
    keys: Vec<EncryptedKey>,
}

fn algorithm(e: &BytesStart<'_>) -> Result<Option<String>, DecryptError> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| failed(format!("attribute: {err}")))?;
        if attr.key.local_name().as_ref() == b"Algorithm" {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| failed(format!("attribute value: {err}")))?;
            return Ok(Some(value.trim().to_string()));
        }
    }
    Ok(None)
}

/// Reads the `EncryptedAssertion` element's text (already through the prescan).
fn parse(xml: &str) -> Result<Parsed, DecryptError> {
    let mut reader = Reader::from_str(xml);
    let mut parsed = Parsed::default();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut data_count = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| failed(format!("XML error: {e}")))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name().as_ref().to_vec();
                let in_key = stack.iter().any(|n| n == b"EncryptedKey");
                let parent = stack.last().map(Vec::as_slice);
                match name.as_slice() {
                    b"CipherReference" => return Err(failed("a CipherReference (a URI to fetch)")),
                    b"RetrievalMethod" => return Err(failed("a RetrievalMethod in KeyInfo")),
                    b"OAEPparams" => return Err(failed("OAEPparams are not supported")),
                    b"EncryptedData" => {
                        data_count += 1;
                        if in_key || data_count > 1 {
                            return Err(failed("more than one EncryptedData"));
                        }
                    }
                    b"EncryptedKey" => {
                        if parsed.keys.len() == MAX_ENCRYPTED_KEYS {
                            return Err(failed("too many EncryptedKey elements"));
                        }
                        parsed.keys.push(EncryptedKey::default());
                    }
                    b"EncryptionMethod" => {
                        let method = algorithm(e)?;
                        match (in_key, parsed.keys.last_mut()) {
                            (true, Some(key)) => key.method = method,
                            _ if parent == Some(b"EncryptedData") => parsed.data_method = method,
                            _ => {}
                        }
                    }
                    b"DigestMethod" if in_key && parent == Some(b"EncryptionMethod") => {
                        if let Some(key) = parsed.keys.last_mut() {
                            key.digest = algorithm(e)?;
                        }
                    }
                    b"MGF" if in_key && parent == Some(b"EncryptionMethod") => {
                        if let Some(key) = parsed.keys.last_mut() {
                            key.mgf = algorithm(e)?;
                        }
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(name);
                }
            }
            Event::Text(t) if stack.last().map(Vec::as_slice) == Some(b"CipherValue") => {
                let text = t
                    .xml_content(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| failed(format!("CipherValue text: {e}")))?;
                if stack.iter().any(|n| n == b"EncryptedKey") {
                    if let Some(key) = parsed.keys.last_mut() {
                        key.cipher.push_str(&text);
                    }
                } else if stack.iter().any(|n| n == b"EncryptedData") {
                    parsed
                        .data_cipher
                        .get_or_insert_with(String::new)
                        .push_str(&text);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if data_count != 1 {
        return Err(failed("no EncryptedData"));
    }
    Ok(parsed)
}

fn base64(text: &str) -> Result<Vec<u8>, DecryptError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| failed(format!("base64: {e}")))
}

fn digest(uri: Option<&str>) -> Result<&'static MdRef, DecryptError> {
    Ok(match uri {
        None | Some("http://www.w3.org/2000/09/xmldsig#sha1") => Md::sha1(),
        Some("http://www.w3.org/2001/04/xmlenc#sha256") => Md::sha256(),
        Some("http://www.w3.org/2001/04/xmldsig-more#sha384") => Md::sha384(),
        Some("http://www.w3.org/2001/04/xmlenc#sha512") => Md::sha512(),
        Some(other) => return Err(DecryptError::Algorithm(other.to_string())),
    })
}

fn mgf(uri: Option<&str>) -> Result<&'static MdRef, DecryptError> {
    Ok(match uri {
        None | Some("http://www.w3.org/2009/xmlenc11#mgf1sha1") => Md::sha1(),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha256") => Md::sha256(),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha384") => Md::sha384(),
        Some("http://www.w3.org/2009/xmlenc11#mgf1sha512") => Md::sha512(),
        Some(other) => return Err(DecryptError::Algorithm(other.to_string())),
    })
}

/// The content key, from one `EncryptedKey`. OAEP's SHA-1 default is not a signature use of
/// SHA-1 and remains sound; it is what most IdPs send.
fn unwrap_key(
    key: &EncryptedKey,
    private: &PKey<Private>,
    allow_rsa1_5: bool,
) -> Result<Vec<u8>, DecryptError> {
    let method = key.method.as_deref().unwrap_or_default();
    let ciphertext = base64(&key.cipher)?;
    let openssl = |e: openssl::error::ErrorStack| failed(format!("key transport: {e}"));
    let mut ctx = PkeyCtx::new(private).map_err(openssl)?;
    ctx.decrypt_init().map_err(openssl)?;
    match method {
        RSA_OAEP_MGF1P | RSA_OAEP => {
            ctx.set_rsa_padding(Padding::PKCS1_OAEP).map_err(openssl)?;
            ctx.set_rsa_oaep_md(digest(key.digest.as_deref())?)
                .map_err(openssl)?;
            let mgf_md = if method == RSA_OAEP {
                mgf(key.mgf.as_deref())?
            } else {
                Md::sha1()
            };
            ctx.set_rsa_mgf1_md(mgf_md).map_err(openssl)?;
        }
        RSA_1_5 if allow_rsa1_5 => ctx.set_rsa_padding(Padding::PKCS1).map_err(openssl)?,
        other => return Err(DecryptError::Algorithm(other.to_string())),
    }
    let mut out = Vec::new();
    ctx.decrypt_to_vec(&ciphertext, &mut out).map_err(openssl)?;
    Ok(out)
}

fn decrypt_content(method: &str, key: &[u8], data: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let (cipher, gcm) = match method {
        "http://www.w3.org/2009/xmlenc11#aes128-gcm" => (Cipher::aes_128_gcm(), true),
        "http://www.w3.org/2009/xmlenc11#aes192-gcm" => (Cipher::aes_192_gcm(), true),
        "http://www.w3.org/2009/xmlenc11#aes256-gcm" => (Cipher::aes_256_gcm(), true),
        "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => (Cipher::aes_128_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => (Cipher::aes_192_cbc(), false),
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => (Cipher::aes_256_cbc(), false),
        other => return Err(DecryptError::Algorithm(other.to_string())),
    };
    if key.len() != cipher.key_len() {
        return Err(failed("the content key has the wrong length"));
    }
    let openssl = |e: openssl::error::ErrorStack| failed(format!("content: {e}"));
    if gcm {
        // XML Encryption 1.1 §5.2.4: a 96-bit IV, the ciphertext, a 128-bit tag.
        const IV: usize = 12;
        const TAG: usize = 16;
        if data.len() < IV + TAG {
            return Err(failed("GCM data too short"));
        }
        let (iv, rest) = data.split_at(IV);
        let (ciphertext, tag) = rest.split_at(rest.len() - TAG);
        let mut crypter = Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).map_err(openssl)?;
        crypter.set_tag(tag).map_err(openssl)?;
        let mut out = vec![0u8; ciphertext.len() + cipher.block_size()];
        let mut n = crypter.update(ciphertext, &mut out).map_err(openssl)?;
        n += crypter.finalize(&mut out[n..]).map_err(openssl)?;
        out.truncate(n);
        Ok(out)
    } else {
        // §5.2.1: the IV, then blocks padded as in ISO 10126 (only the last byte is defined).
        const BLOCK: usize = 16;
        if data.len() < 2 * BLOCK || !data.len().is_multiple_of(BLOCK) {
            return Err(failed("CBC data is not whole blocks"));
        }
        let (iv, ciphertext) = data.split_at(BLOCK);
        let mut crypter = Crypter::new(cipher, Mode::Decrypt, key, Some(iv)).map_err(openssl)?;
        crypter.pad(false);
        let mut out = vec![0u8; ciphertext.len() + BLOCK];
        let mut n = crypter.update(ciphertext, &mut out).map_err(openssl)?;
        n += crypter.finalize(&mut out[n..]).map_err(openssl)?;
        out.truncate(n);
        let pad = usize::from(out.last().copied().unwrap_or(0));
        if pad == 0 || pad > BLOCK || pad > out.len() {
            return Err(failed("bad CBC padding"));
        }
        out.truncate(out.len() - pad);
        Ok(out)
    }
}

/// Checks that the plaintext is exactly one element named `Assertion`, with nothing around it
/// but whitespace (no DOCTYPE, no processing instruction, no second element, no closing tag
/// that would reach out of the `EncryptedAssertion` once spliced back into the response).
fn single_assertion(plaintext: &str) -> Result<(), DecryptError> {
    let mut reader = Reader::from_str(plaintext);
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        match reader
            .read_event()
            .map_err(|e| failed(format!("decrypted XML: {e}")))?
        {
            Event::Start(e) | Event::Empty(e) if depth == 0 => {
                roots += 1;
                if roots > 1 || e.local_name().as_ref() != b"Assertion" {
                    return Err(failed("the plaintext is not one Assertion element"));
                }
                // An empty root (`<Assertion/>`) has no content: the later checks refuse it.
                depth = usize::from(plaintext_is_start(&reader, plaintext));
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                if depth == 0 {
                    return Err(failed("a closing tag outside the assertion"));
                }
                depth -= 1;
            }
            Event::Text(t) if depth == 0 => {
                if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(failed("text outside the assertion"));
                }
            }
            Event::Eof => break,
            Event::Empty(_) | Event::Text(_) | Event::CData(_) | Event::Comment(_) => {}
            Event::GeneralRef(_) if depth > 0 => {}
            other => return Err(failed(format!("{other:?} in the decrypted assertion"))),
        }
    }
    if roots != 1 || depth != 0 {
        return Err(failed(
            "the plaintext is not one complete Assertion element",
        ));
    }
    Ok(())
}

/// Whether the element just read was a start tag (not `<…/>`).
fn plaintext_is_start(reader: &Reader<&[u8]>, text: &str) -> bool {
    let end = usize::try_from(reader.buffer_position()).unwrap_or(0);
    end < 2 || text.as_bytes().get(end - 2) != Some(&b'/')
}

/// The plaintext without surrounding whitespace and a leading XML declaration, which some
/// encrypters serialise and which cannot stand in the middle of the response.
fn without_declaration(text: &str) -> &str {
    let text = text.trim_start_matches('\u{feff}').trim();
    match text.strip_prefix("<?xml ") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(text, |(_, after)| after.trim()),
        None => text,
    }
}

/// Decrypts an `EncryptedAssertion` element (its XML text) to the XML text of its assertion.
pub fn decrypt_assertion(
    encrypted: &str,
    private: &PKey<Private>,
    allow_rsa1_5: bool,
) -> Result<String, DecryptError> {
    let parsed = parse(encrypted)?;
    let data_method = parsed.data_method.as_deref().unwrap_or_default();
    if !CONTENT_ALGORITHMS.contains(&data_method) {
        return Err(DecryptError::Algorithm(data_method.to_string()));
    }
    let data = base64(parsed.data_cipher.as_deref().unwrap_or_default())?;
    if parsed.keys.is_empty() {
        return Err(failed("no EncryptedKey"));
    }
    let mut last = failed("no EncryptedKey");
    for key in &parsed.keys {
        match unwrap_key(key, private, allow_rsa1_5) {
            Ok(content_key) => {
                let plaintext = decrypt_content(data_method, &content_key, &data)?;
                let text = String::from_utf8(plaintext)
                    .map_err(|_| failed("the decrypted assertion is not UTF-8"))?;
                let text = without_declaration(&text);
                single_assertion(text)?;
                return Ok(text.to_string());
            }
            // A weak algorithm is reported as such, whichever key carried it.
            Err(e @ DecryptError::Algorithm(_)) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(test)]
pub mod testing {
    //! An encrypter (the IdP's side), for tests: what IdPs send, built with OpenSSL.
    use super::*;
    use openssl::rand::rand_bytes;
    use openssl::x509::X509;

    pub struct Encryption<'a> {
        pub content: &'a str,
        pub key_transport: &'a str,
    }

    pub const GCM_OAEP: Encryption<'static> = Encryption {
        content: "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        key_transport: RSA_OAEP_MGF1P,
    };

    /// `<saml:EncryptedAssertion>` holding `assertion_xml`, for the holder of `cert_der`.
    pub fn encrypt(assertion_xml: &str, cert_der: &[u8], how: &Encryption<'_>) -> String {
        let (cipher, gcm) = match how.content {
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => (Cipher::aes_256_gcm(), true),
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => (Cipher::aes_128_gcm(), true),
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => (Cipher::aes_128_cbc(), false),
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => (Cipher::aes_256_cbc(), false),
            // An algorithm we refuse: encrypt with AES-128-CBC, label it as asked.
            _ => (Cipher::aes_128_cbc(), false),
        };
        let mut key = vec![0u8; cipher.key_len()];
        rand_bytes(&mut key).unwrap();
        let mut data;
        if gcm {
            let mut iv = [0u8; 12];
            rand_bytes(&mut iv).unwrap();
            let mut tag = [0u8; 16];
            let ct = openssl::symm::encrypt_aead(
                cipher,
                &key,
                Some(&iv),
                &[],
                assertion_xml.as_bytes(),
                &mut tag,
            )
            .unwrap();
            data = iv.to_vec();
            data.extend(ct);
            data.extend(tag);
        } else {
            let mut iv = [0u8; 16];
            rand_bytes(&mut iv).unwrap();
            let mut plain = assertion_xml.as_bytes().to_vec();
            let pad = 16 - plain.len() % 16;
            plain.extend(std::iter::repeat_n(0xA5u8, pad - 1));
            plain.push(u8::try_from(pad).unwrap());
            let mut crypter = Crypter::new(cipher, Mode::Encrypt, &key, Some(&iv)).unwrap();
            crypter.pad(false);
            let mut out = vec![0u8; plain.len() + 16];
            let mut n = crypter.update(&plain, &mut out).unwrap();
            n += crypter.finalize(&mut out[n..]).unwrap();
            out.truncate(n);
            data = iv.to_vec();
            data.extend(out);
        }
        let public = X509::from_der(cert_der).unwrap().public_key().unwrap();
        let mut ctx = PkeyCtx::new(&public).unwrap();
        ctx.encrypt_init().unwrap();
        if how.key_transport == RSA_1_5 {
            ctx.set_rsa_padding(Padding::PKCS1).unwrap();
        } else {
            ctx.set_rsa_padding(Padding::PKCS1_OAEP).unwrap();
        }
        let mut wrapped = Vec::new();
        ctx.encrypt_to_vec(&key, &mut wrapped).unwrap();
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        format!(
            r#"<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="{content}"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="{transport}"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>{key}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>{data}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>"#,
            content = how.content,
            transport = how.key_transport,
            key = b64(&wrapped),
            data = b64(&data),
        )
    }
}
