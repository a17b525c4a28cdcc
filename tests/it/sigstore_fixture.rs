//! A loopback Sigstore instance for keyless signing: `tests/sigstore-mock/server.js`, Fulcio,
//! Rekor v1 and an RFC 3161 timestamp authority built on sigstore-js's `@sigstore/mock`
//! handlers (real CA, CT log, log and TSA keys), plus a GitHub Actions token endpoint. It
//! writes the trusted root, signing config and sigstore-python trust config that hold its keys,
//! and stops when its stdin closes (when this fixture is dropped, or the test process dies).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine as _;

use crate::registry_fixture::require_tool;

pub(crate) struct Sigstore {
    child: Child,
    pub(crate) dir: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
}

impl Sigstore {
    pub(crate) fn start() -> Self {
        let node = require_tool("node", "nodejs");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sigstore-mock");
        assert!(
            root.join("node_modules/@sigstore/mock").is_dir(),
            "the loopback Sigstore's packages are missing: run `npm ci --prefix tests/sigstore-mock` (scripts/test.sh does)"
        );
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(node)
            .arg(root.join("server.js"))
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the loopback Sigstore did not start ({e}): {line:?}"));
        let url = ready["url"].as_str().unwrap().to_owned();
        Self { child, dir, url }
    }

    pub(crate) fn trusted_root(&self) -> PathBuf {
        self.dir.path().join("trusted_root.json")
    }

    pub(crate) fn signing_config(&self) -> PathBuf {
        self.dir.path().join("signing_config.json")
    }

    pub(crate) fn trust_config(&self) -> PathBuf {
        self.dir.path().join("trust_config.json")
    }

    /// The keyless flags for this instance (all three services), with `fault` injected
    /// (`/fault/<mode>` before every path) when given.
    pub(crate) fn flags(&self, fault: Option<&str>) -> Vec<String> {
        let base = match fault {
            Some(mode) => format!("{}/fault/{mode}", self.url),
            None => self.url.clone(),
        };
        vec![
            "--fulcio-url".into(),
            base.clone(),
            "--rekor-url".into(),
            base.clone(),
            "--timestamp-server-url".into(),
            format!("{base}/api/v1/timestamp"),
            "--trusted-root".into(),
            self.trusted_root().display().to_string(),
        ]
    }
}

impl Drop for Sigstore {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An OIDC identity token for `email` from `issuer`, valid for ten minutes. Fulcio (here, the
/// loopback one) checks the claims, not the signature of this JWT.
pub(crate) fn token(issuer: &str, email: &str) -> String {
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(serde_json::json!({"alg": "ES256", "typ": "JWT"})),
        b64(serde_json::json!({
            "iss": issuer, "sub": email, "email": email, "email_verified": true,
            "aud": "sigstore", "iat": now, "exp": now + 600,
        }))
    )
}
