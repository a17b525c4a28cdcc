//! What the admission tests share: a real registry holding signed, unsigned, wrongly signed,
//! attested and bundle-signed images (made with the `supply` binary, as a user would), policy
//! files in policy-controller's format, and the webhook server started as a process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use supply_core::digest::Digest;
use supply_core::oci::Reference;

use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{Registry, make_tls_material};
use crate::util::stderr;

pub(crate) const PASSWORD: &str = "admission password";

pub(crate) fn supply(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut all = vec![("COSIGN_PASSWORD", PASSWORD)];
    all.extend_from_slice(envs);
    crate::util::supply_env(dir, args, &all)
}

fn ok(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

fn github(repository: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_ACTIONS", "true".into()),
        ("GITHUB_SERVER_URL", "https://github.com".into()),
        ("GITHUB_REPOSITORY", repository.into()),
        ("GITHUB_REF", "refs/heads/main".into()),
        (
            "GITHUB_WORKFLOW_REF",
            format!("{repository}/.github/workflows/release.yml@refs/heads/main"),
        ),
        (
            "GITHUB_SHA",
            "0123456789abcdef0123456789abcdef01234567".into(),
        ),
        ("GITHUB_RUN_ID", "42".into()),
        ("GITHUB_RUN_ATTEMPT", "1".into()),
        ("GITHUB_EVENT_NAME", "push".into()),
    ]
}

/// The registry and what it holds.
pub(crate) struct Images {
    pub(crate) registry: Registry,
    pub(crate) dir: tempfile::TempDir,
    /// Signed with `cosign.key` (legacy `.sig` tag).
    pub(crate) signed: String,
    /// Nothing attached.
    pub(crate) unsigned: String,
    /// Signed with `other.key`.
    pub(crate) wrong: String,
    /// Provenance from octo/app attested with `cosign.key` (no signature).
    pub(crate) attested: String,
    /// Provenance from octo/fork attested with `cosign.key`.
    pub(crate) attested_elsewhere: String,
    /// Signed with `cosign.key` as a Sigstore bundle referrer (cosign v3's format).
    pub(crate) bundle: String,
    digests: Vec<(String, Digest)>,
}

impl Images {
    pub(crate) fn new() -> Self {
        let registry = Registry::plain();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        ok(supply(d, &["generate-key-pair"], &[]));
        ok(supply(
            d,
            &["generate-key-pair", "--output-key-prefix", "other"],
            &[],
        ));
        let names = [
            "signed",
            "unsigned",
            "wrong",
            "attested",
            "attested-elsewhere",
            "bundle",
        ];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = client_for(&registry, None);
        let digests: Vec<(String, Digest)> = names
            .iter()
            .map(|name| {
                let image = registry.image(&format!("app/{name}"), "v1");
                let reference: Reference = image.parse().unwrap();
                let pushed = runtime.block_on(push_test_image(&client, &reference, name));
                (image, pushed.digest)
            })
            .collect();
        let image = |name: &str| registry.image(&format!("app/{name}"), "v1");
        ok(supply(
            d,
            &["sign", "--key", "cosign.key", &image("signed")],
            &[],
        ));
        ok(supply(
            d,
            &["sign", "--key", "other.key", &image("wrong")],
            &[],
        ));
        ok(supply(
            d,
            &[
                "sign",
                "--new-bundle-format",
                "--key",
                "cosign.key",
                &image("bundle"),
            ],
            &[],
        ));
        for (name, repository) in [
            ("attested", "octo/app"),
            ("attested-elsewhere", "octo/fork"),
        ] {
            let env = github(repository);
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let predicate = format!("{name}.json");
            ok(supply(
                d,
                &["provenance", "--subject", &image(name), "-o", &predicate],
                &env,
            ));
            ok(supply(
                d,
                &[
                    "attest",
                    "--key",
                    "cosign.key",
                    "--type",
                    "slsaprovenance1",
                    "--predicate",
                    &predicate,
                    &image(name),
                ],
                &[],
            ));
        }
        Self {
            signed: image("signed"),
            unsigned: image("unsigned"),
            wrong: image("wrong"),
            attested: image("attested"),
            attested_elsewhere: image("attested-elsewhere"),
            bundle: image("bundle"),
            registry,
            dir,
            digests,
        }
    }

    pub(crate) fn digest(&self, image: &str) -> &Digest {
        &self.digests.iter().find(|(i, _)| i == image).unwrap().1
    }

    /// Writes a policy file: `PUBKEY` becomes `cosign.pub` (indented for a `data: |` block at
    /// 8 spaces), `HOST` the registry.
    pub(crate) fn policy(&self, name: &str, text: &str) -> PathBuf {
        let key = std::fs::read_to_string(self.dir.path().join("cosign.pub")).unwrap();
        let indented: String = key.lines().map(|l| format!("        {l}\n")).collect();
        let text = text
            .replace("PUBKEY\n", &indented)
            .replace("HOST", &self.registry.host);
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A ClusterImagePolicy over `HOST/app/**` trusting `cosign.pub`, in `mode`.
pub(crate) fn key_policy(name: &str, glob: &str, mode: &str) -> String {
    format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: {name}\nspec:\n  mode: {mode}\n  images:\n  - glob: \"{glob}\"\n  authorities:\n  - name: release-key\n    key:\n      data: |\nPUBKEY\n"
    )
}

/// The webhook server as a process, over HTTPS with a test CA.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    pub(crate) ca: Vec<u8>,
    _tls: tempfile::TempDir,
}

impl Server {
    pub(crate) fn start(dir: &Path, args: &[&str]) -> Self {
        let tls = tempfile::tempdir().unwrap();
        let ca = make_tls_material(tls.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_supply"))
            .args(["admission", "serve", "--listen", &listen, "--tls-cert"])
            .arg(tls.path().join("server.pem"))
            .arg("--tls-key")
            .arg(tls.path().join("server.key"))
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(tls.path().join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            url: format!("https://127.0.0.1:{port}"),
            ca: std::fs::read(ca).unwrap(),
            _tls: tls,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(&listen).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited with {status}: {}", server.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    pub(crate) fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&self.ca).unwrap())
            .build()
            .unwrap()
    }

    /// What the server wrote to standard error so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self._tls.path().join("server.log")).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `HUP`) to the server.
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the server to exit, at most `limit`; its status and what it logged.
    pub(crate) fn wait(mut self, limit: Duration) -> (std::process::ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.log());
            }
            assert!(
                start.elapsed() < limit,
                "the server did not exit within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
