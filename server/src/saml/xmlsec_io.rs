//! Defence in depth behind the prescan's reference filter: xmlsec resolves a `ds:Reference`
//! URI through its own list of I/O callbacks (file, and http/ftp through libxml2) while it
//! computes digests — before it checks `SignatureValue`. samael never restricts that. Emptying
//! the list once, right after samael initialises xmlsec, leaves xmlsec unable to open or fetch
//! anything: a reference that is not to the same document fails instead of reaching the
//! network or the file system. Same-document references (`""`, `#id`) do not use the list.
//! See docs/decisions/0006-same-document-references.md.
use samael::crypto::{CertificateDer, Crypto, CryptoProvider};
use std::sync::Once;

extern "C" {
    /// `xmlsec/io.h`: removes every registered I/O callback (libxmlsec1, linked by samael).
    fn xmlSecIOCleanupCallbacks();
    /// `xmlsec/errors.h`: whether xmlsec prints its errors to stderr.
    fn xmlSecErrorsDefaultCallbackEnableOutput(enabled: std::os::raw::c_int);
}

static HARDEN: Once = Once::new();

/// Makes xmlsec unable to resolve external URIs, for the life of the process. Idempotent.
pub fn forbid_external_references() {
    HARDEN.call_once(|| {
        // Any key load makes samael run its one-time xmlsec initialisation (which registers
        // the default callbacks); this one fails on purpose, after initialising.
        // SAFETY: plain C calls on xmlsec's global settings, made once, before any SamlSp
        // exists (so no signature is being checked on another thread).
        unsafe { xmlSecErrorsDefaultCallbackEnableOutput(0) };
        let _ = Crypto::verify_signed_xml("<x/>", &CertificateDer::from(vec![0u8]), None);
        unsafe {
            xmlSecErrorsDefaultCallbackEnableOutput(1);
            xmlSecIOCleanupCallbacks();
        }
    });
}
