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

pub fn read() -> Result<Option<CredentialsFile>, String> {
    let path = path()?;
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
    let tmp = path.with_extension("json.tmp");
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
