//! Registry credentials: given explicitly, or read the way the docker CLI reads them from
//! `config.json` (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): a per-registry
//! `credHelpers` entry first, then the `credsStore`, then the inline `auths`. Helpers are the
//! `docker-credential-<name>` programs, asked with `get`.
//!
//! Invariant: a password or token never appears in `Debug`, logs or errors, and is wiped from
//! memory when dropped.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::RegistryError;
use super::reference::DOCKER_HUB;

/// The key Docker Hub credentials are stored under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// A user name and a secret (password or token) for one registry.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    secret: Zeroizing<String>,
}

impl Credentials {
    /// Credentials from a user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            secret: Zeroizing::new(password.into()),
        }
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// `Basic …` header value.
    pub(crate) fn basic_header(&self) -> String {
        let raw = Zeroizing::new(format!("{}:{}", self.username, self.secret.as_str()));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
        )
    }

    /// The secret, for the token endpoint's basic auth (reqwest takes it by value).
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("secret", &"<redacted>")
            .finish()
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    creds_store: Option<String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperAnswer {
    username: String,
    secret: String,
}

/// Where the docker CLI keeps its configuration.
pub fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker/config.json"))
}

/// Credentials for `registry` from a docker config file; `Ok(None)` when it has none (or the
/// file does not exist).
pub fn from_docker_config(
    path: &Path,
    registry: &str,
) -> Result<Option<Credentials>, RegistryError> {
    let text = match std::fs::read(path) {
        Ok(bytes) if bytes.len() > 1024 * 1024 => {
            return Err(config_error(path, "larger than 1 MiB".into()));
        }
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(config_error(path, e.to_string())),
    };
    let config: DockerConfig =
        serde_json::from_slice(&text).map_err(|e| config_error(path, e.to_string()))?;
    let helper = config
        .cred_helpers
        .iter()
        .find(|(key, _)| normalize_key(key) == normalize_key(registry))
        .map(|(_, helper)| helper)
        .or(config.creds_store.as_ref());
    if let Some(helper) = helper
        && let Some(credentials) = run_helper(helper, registry)?
    {
        return Ok(Some(credentials));
    }
    let entry = config
        .auths
        .iter()
        .find(|(key, _)| normalize_key(key) == normalize_key(registry))
        .map(|(_, entry)| entry);
    entry
        .map(|e| decode_entry(path, e))
        .transpose()
        .map(Option::flatten)
}

fn decode_entry(path: &Path, entry: &AuthEntry) -> Result<Option<Credentials>, RegistryError> {
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| config_error(path, "an `auth` value is not base64".into()))?;
        let decoded = Zeroizing::new(
            String::from_utf8(decoded)
                .map_err(|_| config_error(path, "an `auth` value is not UTF-8".into()))?,
        );
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| config_error(path, "an `auth` value is not user:password".into()))?;
        return Ok(Some(Credentials::new(user, password)));
    }
    if let Some(token) = &entry.identitytoken {
        // An identity token is used as the password with the placeholder user docker writes.
        return Ok(Some(Credentials::new("<token>", token.as_str())));
    }
    Ok(match (&entry.username, &entry.password) {
        (Some(user), Some(password)) => Some(Credentials::new(user.as_str(), password.as_str())),
        _ => None,
    })
}

/// Asks `docker-credential-<helper> get` for the registry's credentials.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Credentials>, RegistryError> {
    let program = format!("docker-credential-{helper}");
    let helper_error = |message: String| RegistryError::CredentialHelper {
        helper: program.clone(),
        message,
    };
    let server = if normalize_key(registry) == DOCKER_HUB {
        DOCKER_HUB_KEY
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| helper_error(format!("cannot run it: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|e| helper_error(format!("cannot write to it: {e}")))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| helper_error(format!("it did not finish: {e}")))?;
    let stdout = Zeroizing::new(output.stdout);
    if !output.status.success() {
        let said = String::from_utf8_lossy(&stdout).trim().to_owned();
        if said.contains("credentials not found") {
            return Ok(None);
        }
        // Only the helper's own stdout message, which by protocol carries no secret.
        return Err(helper_error(format!(
            "exited with {}: {}",
            output.status,
            truncate(&said)
        )));
    }
    let answer: HelperAnswer = serde_json::from_slice(&stdout).map_err(|_| {
        helper_error("answered with something other than {Username, Secret} JSON".into())
    })?;
    let answer_secret = Zeroizing::new(answer.secret);
    Ok(Some(Credentials::new(
        answer.username,
        answer_secret.as_str(),
    )))
}

/// `https://index.docker.io/v1/`, `registry-1.docker.io`, `http://host:5000/x` → comparable host.
fn normalize_key(key: &str) -> String {
    let without_scheme = key.split_once("://").map_or(key, |(_, rest)| rest);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_owned()
        }
        _ => host,
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

fn config_error(path: &Path, reason: String) -> RegistryError {
    RegistryError::DockerConfig {
        path: path.to_path_buf(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn reads_inline_auths_under_any_key_form() {
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let (_dir, path) = config(&format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}},
                 "http://localhost:5000": {{"username": "bob", "password": "pw"}}}}}}"#
        ));
        let hub = from_docker_config(&path, "docker.io").unwrap().unwrap();
        assert_eq!(hub.username(), "alice");
        assert_eq!(hub.secret(), "s3cret");
        let local = from_docker_config(&path, "localhost:5000")
            .unwrap()
            .unwrap();
        assert_eq!(local.username(), "bob");
        assert!(from_docker_config(&path, "ghcr.io").unwrap().is_none());
        assert!(
            from_docker_config(&path.with_file_name("missing.json"), "x")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_and_errors() {
        let credentials = Credentials::new("alice", "hunter2");
        assert!(!format!("{credentials:?}").contains("hunter2"));
        let (_dir, path) = config(r#"{"auths": {"r.example": {"auth": "not base64!"}}}"#);
        let error = from_docker_config(&path, "r.example")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("not base64") && !error.contains("not base64!\""),
            "{error}"
        );
    }

    #[test]
    fn missing_helper_is_a_clear_error() {
        let (_dir, path) =
            config(r#"{"credHelpers": {"r.example": "supply-test-no-such-helper"}}"#);
        let error = from_docker_config(&path, "r.example")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("docker-credential-supply-test-no-such-helper"),
            "{error}"
        );
    }
}
