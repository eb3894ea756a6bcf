//! Where the server and the token come from: flag, then environment, then the credentials
//! file (`~/.gatehouse/credentials.json`, or `GATEHOUSE_CREDENTIALS_FILE`).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_HOST: &str = "http://127.0.0.1:3000";

/// `~/.gatehouse/credentials.json`: one token per console, and the console to use when none
/// is named. A token is only ever sent to the host it was stored for.
///
/// ```json
/// {"current": "https://gatehouse.example.com",
///  "hosts": {"https://gatehouse.example.com": {"token": "gtu_…"}}}
/// ```
///
/// The single-host format of earlier releases (`{"host", "token"}`) is read as one entry.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CredentialsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    #[serde(default)]
    hosts: BTreeMap<String, HostCredentials>,
    #[serde(default, skip_serializing)]
    host: Option<String>,
    #[serde(default, skip_serializing)]
    token: Option<String>,
}

#[derive(Clone, Serialize, Deserialize)]
struct HostCredentials {
    token: String,
}

/// Hosts compare without letter case or a trailing slash.
fn host_key(host: &str) -> String {
    host.trim_end_matches('/').to_ascii_lowercase()
}

impl CredentialsFile {
    /// Folds the legacy single-host fields into the per-host map.
    fn upgraded(mut self) -> Self {
        if let (Some(host), Some(token)) = (self.host.take(), self.token.take()) {
            self.hosts
                .entry(host_key(&host))
                .or_insert(HostCredentials { token });
            self.current.get_or_insert(host);
        }
        self
    }

    /// The token stored for `host`, and for no other.
    pub fn token_for(&self, host: &str) -> Option<String> {
        self.hosts.get(&host_key(host)).map(|h| h.token.clone())
    }

    /// The hosts a token is stored for (for messages).
    pub fn hosts(&self) -> Vec<String> {
        self.hosts.keys().cloned().collect()
    }

    /// Stores `token` for `host` and makes it the current host.
    pub fn set(&mut self, host: &str, token: String) {
        self.hosts.insert(host_key(host), HostCredentials { token });
        self.current = Some(host.trim_end_matches('/').to_string());
    }

    /// Forgets `host`'s token; true when nothing is left.
    pub fn forget(&mut self, host: &str) -> bool {
        self.hosts.remove(&host_key(host));
        if self
            .current
            .as_deref()
            .is_some_and(|c| host_key(c) == host_key(host))
        {
            self.current = None;
        }
        self.hosts.is_empty()
    }
}

impl fmt::Debug for CredentialsFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsFile")
            .field("current", &self.current)
            .field("hosts", &self.hosts.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
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
        Ok(text) => serde_json::from_str::<CredentialsFile>(&text)
            .map(|f| Some(f.upgraded()))
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
    write_to(&path, &tmp, &text)?;
    Ok(path)
}

/// Writes `text` to `tmp` (created 0600 with `O_EXCL`, after removing — never following —
/// anything already there) and renames it over `path`.
fn write_to(path: &std::path::Path, tmp: &std::path::Path, text: &str) -> Result<(), String> {
    // A leftover from an interrupted write, or something planted there: removed, not followed.
    match std::fs::remove_file(tmp) {
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
            .open(tmp)
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    }
    std::fs::rename(tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
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
    fn tokens_are_kept_per_host_and_the_legacy_format_is_read() {
        let legacy: CredentialsFile =
            serde_json::from_str(r#"{"host": "https://A.example/", "token": "gtu_a"}"#).unwrap();
        let mut file = legacy.upgraded();
        assert_eq!(file.current.as_deref(), Some("https://A.example/"));
        assert_eq!(
            file.token_for("https://a.example").as_deref(),
            Some("gtu_a")
        );
        assert_eq!(file.token_for("https://b.example"), None);
        file.set("https://b.example", "gtu_b".into());
        assert_eq!(file.current.as_deref(), Some("https://b.example"));
        assert_eq!(
            file.token_for("https://a.example").as_deref(),
            Some("gtu_a")
        );
        let text = serde_json::to_string(&file).unwrap();
        assert!(!text.contains("\"token\":\"gtu_a\",\"host\""), "{text}");
        assert!(!format!("{file:?}").contains("gtu_"), "Debug hides tokens");
        assert!(!file.forget("https://b.example"));
        assert!(file.forget("https://a.example"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temporary_name_is_replaced_not_followed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("gatehouse-cred-{}", random_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let (path, tmp, target) = (
            dir.join("credentials.json"),
            dir.join("credentials.json.x.tmp"),
            dir.join("elsewhere.txt"),
        );
        std::fs::write(&target, "").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&target, &tmp).unwrap();
        write_to(&path, &tmp, "{\"secret\": true}").unwrap();
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "",
            "written through the link"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(std::fs::read_to_string(&path).unwrap().contains("secret"));
        let _ = std::fs::remove_dir_all(&dir);
    }

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
