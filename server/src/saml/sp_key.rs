//! Gatehouse's own SAML key pair: it signs AuthnRequests (HTTP-Redirect binding, RSA-SHA256)
//! and is published in the SP metadata. From `GATEHOUSE_SP_KEY` / `GATEHOUSE_SP_CERT` (PEM), or
//! generated at the first start and kept in the database so every replica uses the same one.
//! The private key is never logged and never in `Debug`.
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::{X509NameBuilder, X509};
use sqlx::Row;
use std::fmt;

#[derive(Clone)]
pub struct SpKey {
    key: PKey<Private>,
    cert: X509,
}

impl fmt::Debug for SpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpKey")
            .field("certificate_not_after", &self.cert.not_after().to_string())
            .field("private_key", &"<hidden>")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpKeyError {
    #[error("{0}")]
    Read(String),
    #[error("generating the SP key pair: {0}")]
    Generate(#[from] openssl::error::ErrorStack),
    #[error("storing the SP key pair: {0}")]
    Db(#[from] sqlx::Error),
}

const VALID_DAYS: u32 = 3650;

impl SpKey {
    /// From PEM text: a private key (PKCS#8 or PKCS#1) and its certificate.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<SpKey, SpKeyError> {
        let key = PKey::private_key_from_pem(key_pem)
            .map_err(|e| SpKeyError::Read(format!("not a PEM private key: {e}")))?;
        let cert = X509::from_pem(cert_pem)
            .map_err(|e| SpKeyError::Read(format!("not a PEM certificate: {e}")))?;
        let matches = cert
            .public_key()
            .map(|public| public.public_eq(&key))
            .unwrap_or(false);
        if !matches {
            return Err(SpKeyError::Read(
                "the certificate does not belong to the private key".into(),
            ));
        }
        if key.rsa().is_err() {
            return Err(SpKeyError::Read("the SP key must be an RSA key".into()));
        }
        Ok(SpKey { key, cert })
    }

    /// From the two configured files.
    pub fn from_files(key_path: &str, cert_path: &str) -> Result<SpKey, SpKeyError> {
        let read = |path: &str| {
            std::fs::read(path).map_err(|e| SpKeyError::Read(format!("cannot read {path}: {e}")))
        };
        SpKey::from_pem(&read(key_path)?, &read(cert_path)?)
    }

    /// A new RSA-2048 key and a self-signed certificate naming `entity_id`.
    pub fn generate(entity_id: &str) -> Result<SpKey, SpKeyError> {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let mut name = X509NameBuilder::new()?;
        let cn: String = entity_id.chars().take(64).collect();
        name.append_entry_by_text("CN", &cn)?;
        let name = name.build();
        let mut serial = BigNum::new()?;
        serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
        let mut cert = X509::builder()?;
        cert.set_version(2)?;
        let serial = serial.to_asn1_integer()?;
        cert.set_serial_number(&serial)?;
        cert.set_subject_name(&name)?;
        cert.set_issuer_name(&name)?;
        cert.set_pubkey(&key)?;
        let (not_before, not_after) = (
            Asn1Time::days_from_now(0)?,
            Asn1Time::days_from_now(VALID_DAYS)?,
        );
        cert.set_not_before(&not_before)?;
        cert.set_not_after(&not_after)?;
        cert.sign(&key, MessageDigest::sha256())?;
        Ok(SpKey {
            key,
            cert: cert.build(),
        })
    }

    /// The stored key pair, or a new one stored now. Replicas starting together agree: the
    /// first insert wins and everyone reads that row.
    pub async fn load_or_create(
        db: &app::server::db::Db,
        entity_id: &str,
        now: i64,
    ) -> Result<SpKey, SpKeyError> {
        let read = || async {
            sqlx::query("SELECT private_key_pem, certificate_pem FROM sp_keys WHERE id = 'current'")
                .fetch_optional(db.pool())
                .await
        };
        if let Some(row) = read().await? {
            return Self::from_row(&row);
        }
        let fresh = SpKey::generate(entity_id)?;
        let key_pem = String::from_utf8_lossy(&fresh.key.private_key_to_pem_pkcs8()?).into_owned();
        let cert_pem = String::from_utf8_lossy(&fresh.cert.to_pem()?).into_owned();
        sqlx::query(
            "INSERT INTO sp_keys (id, private_key_pem, certificate_pem, created_at) \
             VALUES ('current', $1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(key_pem)
        .bind(cert_pem)
        .bind(now)
        .execute(db.pool())
        .await?;
        match read().await? {
            Some(row) => Self::from_row(&row),
            None => Err(SpKeyError::Read("the stored SP key vanished".into())),
        }
    }

    fn from_row(row: &sqlx::any::AnyRow) -> Result<SpKey, SpKeyError> {
        let key: String = row.try_get("private_key_pem")?;
        let cert: String = row.try_get("certificate_pem")?;
        SpKey::from_pem(key.as_bytes(), cert.as_bytes())
    }
}

/// A certificate file (PEM) as DER, for the metadata.
pub fn certificate_file_der(path: &str) -> Result<Vec<u8>, SpKeyError> {
    let pem =
        std::fs::read(path).map_err(|e| SpKeyError::Read(format!("cannot read {path}: {e}")))?;
    let cert = X509::from_pem(&pem)
        .map_err(|e| SpKeyError::Read(format!("{path} is not a PEM certificate: {e}")))?;
    Ok(cert.to_der()?)
}

impl SpKey {
    pub fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The certificate, DER, for metadata.
    pub fn certificate_der(&self) -> Result<Vec<u8>, SpKeyError> {
        Ok(self.cert.to_der()?)
    }

    pub fn certificate_pem(&self) -> Result<String, SpKeyError> {
        Ok(String::from_utf8_lossy(&self.cert.to_pem()?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_private_key() {
        let key = SpKey::generate("http://127.0.0.1:3000/saml/metadata").unwrap();
        let pem = String::from_utf8(key.key.private_key_to_pem_pkcs8().unwrap()).unwrap();
        let printed = format!("{key:?}");
        assert!(printed.contains("<hidden>"), "{printed}");
        let body = pem.lines().nth(1).unwrap();
        assert!(!printed.contains(body), "{printed}");
    }

    #[test]
    fn a_certificate_of_another_key_is_refused() {
        let a = SpKey::generate("a").unwrap();
        let b = SpKey::generate("b").unwrap();
        let err = SpKey::from_pem(
            &a.key.private_key_to_pem_pkcs8().unwrap(),
            &b.cert.to_pem().unwrap(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
        assert!(SpKey::from_pem(
            &a.key.private_key_to_pem_pkcs8().unwrap(),
            &a.cert.to_pem().unwrap()
        )
        .is_ok());
    }
}
