//! A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution) on a free
//! 127.0.0.1 port with its own storage folder: plain HTTP, plain HTTP with htpasswd basic auth,
//! or TLS with basic auth, its certificate signed by a CA made here with openssl or self-signed
//! the common way (`openssl req -x509`, which marks it `CA:TRUE`). A missing tool fails the test
//! with the command that installs it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const USER: &str = "supply-tester";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) struct Registry {
    child: Child,
    /// Storage, config and TLS material; removed on drop.
    pub(crate) dir: tempfile::TempDir,
    /// `127.0.0.1:<port>`.
    pub(crate) host: String,
    /// For the TLS registry: the CA certificate that signed its server certificate (or, when
    /// self-signed, that certificate itself).
    pub(crate) ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    PlainWithAuth,
    TlsWithAuth,
    SelfSignedWithAuth,
}

/// Fails the test with an install hint when a tool is missing.
pub(crate) fn require_tool(program: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file());
    found.unwrap_or_else(|| {
        panic!("`{program}` is not installed: run `apt-get install -y {package}` (scripts/test.sh does this)")
    })
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Registry {
    /// Plain HTTP, no auth.
    pub(crate) fn plain() -> Self {
        Self::start(Mode::Plain)
    }

    /// Plain HTTP with htpasswd basic auth for `USER`/`PASSWORD`.
    pub(crate) fn plain_with_auth() -> Self {
        Self::start(Mode::PlainWithAuth)
    }

    /// TLS with a test CA, htpasswd basic auth for `USER`/`PASSWORD`.
    pub(crate) fn tls_with_auth() -> Self {
        Self::start(Mode::TlsWithAuth)
    }

    /// TLS with a self-signed `CA:TRUE` certificate for 127.0.0.1, basic auth.
    pub(crate) fn self_signed_with_auth() -> Self {
        Self::start(Mode::SelfSignedWithAuth)
    }

    fn start(mode: Mode) -> Self {
        let binary = require_tool("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let host = format!("127.0.0.1:{port}");
        let storage = dir.path().join("storage");
        std::fs::create_dir(&storage).unwrap();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {host}\n  secret: supply-test-secret\n",
            storage.display()
        );
        let mut ca_file = None;
        if matches!(mode, Mode::TlsWithAuth | Mode::SelfSignedWithAuth) {
            let ca = if mode == Mode::TlsWithAuth {
                make_tls_material(dir.path())
            } else {
                make_self_signed(dir.path())
            };
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                dir.path().join("server.pem").display(),
                dir.path().join("server.key").display(),
            ));
            ca_file = Some(ca);
        }
        if mode != Mode::Plain {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: supply-test\n    path: {}\n",
                make_htpasswd(dir.path()).display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(binary)
            .arg("serve")
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let registry = Self {
            child,
            dir,
            host,
            ca_file,
        };
        registry.wait_until_listening();
        registry
    }

    fn wait_until_listening(&self) {
        let start = Instant::now();
        while TcpStream::connect(&self.host).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "docker-registry did not listen on {}",
                self.host
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `host/repository:tag` on this registry.
    pub(crate) fn image(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.host)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a server certificate for 127.0.0.1/localhost signed by it; returns the CA's path.
pub(crate) fn make_tls_material(dir: &Path) -> PathBuf {
    let openssl = require_tool("openssl", "openssl");
    let ca_key = dir.join("ca.key");
    let ca = dir.join("ca.pem");
    self_signed(
        &openssl,
        "/CN=supply test CA",
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        &ca_key,
        &ca,
    );
    let key = dir.join("server.key");
    let csr = dir.join("server.csr");
    run(Command::new(&openssl)
        .args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&csr));
    let extensions = dir.join("server.ext");
    std::fs::write(&extensions, "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n").unwrap();
    run(Command::new(&openssl)
        .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
        .arg("-in")
        .arg(&csr)
        .arg("-CA")
        .arg(&ca)
        .arg("-CAkey")
        .arg(&ca_key)
        .arg("-extfile")
        .arg(&extensions)
        .arg("-out")
        .arg(dir.join("server.pem")));
    ca
}

/// A server certificate made the way most guides say (`openssl req -x509 -newkey … -addext
/// subjectAltName=IP:127.0.0.1`): self-signed, and marked `CA:TRUE` by OpenSSL 3's defaults.
/// Returns its path (the file a user passes as `--ca-file`).
pub(crate) fn make_self_signed(dir: &Path) -> PathBuf {
    let openssl = require_tool("openssl", "openssl");
    let certificate = dir.join("server.pem");
    self_signed(
        &openssl,
        "/CN=127.0.0.1",
        &["subjectAltName=IP:127.0.0.1"],
        &dir.join("server.key"),
        &certificate,
    );
    certificate
}

/// `openssl req -x509` with a new P-256 key, valid two days, with these extensions.
fn self_signed(openssl: &Path, subject: &str, extensions: &[&str], key: &Path, out: &Path) {
    let mut command = Command::new(openssl);
    command.args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        subject,
    ]);
    for extension in extensions {
        command.args(["-addext", extension]);
    }
    run(command.arg("-keyout").arg(key).arg("-out").arg(out));
}

fn make_htpasswd(dir: &Path) -> PathBuf {
    let htpasswd = require_tool("htpasswd", "apache2-utils");
    let output = Command::new(htpasswd)
        .args(["-Bbn", USER, PASSWORD])
        .output()
        .unwrap();
    assert!(output.status.success());
    let path = dir.join("htpasswd");
    std::fs::write(&path, output.stdout).unwrap();
    path
}
