//! Where the server and the token come from: flag, then environment, then the credentials
//! file (`~/.gatehouse/credentials.json`, or `GATEHOUSE_CREDENTIALS_FILE`).
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_HOST: &str = "http://127.0.0.1:3000";

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CredentialsFile {
    pub host: Option<String>,
    pub token: Option<String>,
}

impl fmt::Debug for CredentialsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsFile")
            .field("host", &self.host)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

pub fn path() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("GATEHOUSE_CREDENTIALS_FILE").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME").ok_or("HOME is not set; set GATEHOUSE_CREDENTIALS_FILE")?;
    Ok(PathBuf::from(home)
        .join(".gatehouse")
        .join("credentials.json"))
}

/// Reads the credentials file. Like ssh with its keys, a file that other users can read is
/// refused, with the command that fixes it.
pub fn read() -> Result<Option<CredentialsFile>, String> {
    let path = path()?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(&path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} can be read by other users (mode {mode:o}); fix it with: chmod 600 {}",
                path.display(),
                path.display()
            ));
        }
    }
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is not a valid credentials file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the file readable by its owner only, atomically. The temporary file is created
/// with mode 0600 (`O_EXCL`: never through a link, never an older file's mode), so the token is
/// not readable by anyone else at any moment; the directory is created 0700.
pub fn write(credentials: &CredentialsFile) -> Result<PathBuf, String> {
    let path = path()?;
    if let Some(dir) = path.parent() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder
            .create(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    // A name of our own each time: nobody can prepare it in advance.
    let tmp = path.with_extension(format!("json.{}.tmp", random_suffix()));
    let text = serde_json::to_string_pretty(credentials).map_err(|e| e.to_string())?;
    // A leftover from an interrupted write, or something planted there: removed, not followed.
    match std::fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot replace {}: {e}", tmp.display())),
    }
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&tmp)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    }
    std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS's randomness per process; mixed with the time and pid.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

/// Plain http only to this machine; anything else needs https (or `--insecure`).
pub fn transport_is_safe(host: &str) -> bool {
    let Some(rest) = host.strip_prefix("http://") else {
        return true;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let hostname = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    hostname.eq_ignore_ascii_case("localhost")
        || hostname
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The same console, whatever the letter case or a trailing slash.
pub fn same_host(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

pub fn remove() -> Result<Option<PathBuf>, String> {
    let path = path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

/// Where the token in use came from (rotation updates the file only if it came from there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Flag,
    Environment,
    File,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_safe_only_to_this_machine() {
        for ok in [
            "https://gatehouse.example.com",
            "http://127.0.0.1:3000",
            "http://localhost:3000/",
            "http://[::1]:3000",
            "http://127.0.0.53",
        ] {
            assert!(transport_is_safe(ok), "{ok}");
        }
        for bad in [
            "http://gatehouse.example.com",
            "http://10.0.0.5:3000",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
        ] {
            assert!(!transport_is_safe(bad), "{bad}");
        }
    }
}
