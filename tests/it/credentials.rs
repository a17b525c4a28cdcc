//! Credentials never leave the registry they belong to, and registries with the certificates
//! users actually make are reachable. The registry is the real one (with basic auth); a proxy
//! in front of it sends what an attacker controlling the answers would send (foreign `Link`
//! and `Location` URLs, a redirect to a "CDN" that then asks for credentials, a plain-HTTP
//! token realm, an HTTPS→HTTP redirect), and a second listener, the attacker's, records every
//! request it gets: none may carry an `Authorization` header or the password.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use supply_core::oci::auth::Credentials;
use supply_core::oci::{ClientOptions, Reference, RegistryClient, RegistryError};

use crate::fault_proxy::{Action, Proxy, Rule};
use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{PASSWORD, Registry, USER, make_self_signed};
use crate::util::stderr;

fn respond(status: u16, headers: &[(&str, String)], body: &str) -> Action {
    Action::Respond {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

/// Every request the attacker got, and that none carried credentials.
fn assert_no_credentials(attacker: &Proxy) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    for head in attacker.heads() {
        let lower = head.to_ascii_lowercase();
        assert!(
            !lower.contains("\nauthorization:"),
            "credentials sent to the attacker: {head}"
        );
        assert!(!head.contains(&basic) && !head.contains(PASSWORD), "{head}");
    }
}

fn authenticated_client(ca_file: Option<&Path>) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        credentials: Some(Credentials::new(USER, PASSWORD)),
        docker_config: None,
        ca_file: ca_file.map(Path::to_path_buf),
        max_retries: 0,
        ..ClientOptions::default()
    })
    .unwrap()
}

/// A plain registry with basic auth holding one image, and that image's name behind a proxy
/// with `rules`.
async fn behind_proxy(rules: Vec<Rule>) -> (Registry, Proxy, Reference) {
    let registry = Registry::plain_with_auth();
    let direct = RegistryClient::new(ClientOptions {
        credentials: Some(Credentials::new(USER, PASSWORD)),
        docker_config: None,
        ..ClientOptions::default()
    })
    .unwrap();
    let upstream: Reference = registry.image("creds/app", "v1").parse().unwrap();
    push_test_image(&direct, &upstream, "credentials").await;
    let proxy = Proxy::start(registry.host.clone(), rules).await;
    let reference = format!("{}/creds/app:v1", proxy.host).parse().unwrap();
    (registry, proxy, reference)
}

#[tokio::test]
async fn a_link_to_another_host_is_not_followed() {
    let attacker = Proxy::listener(vec![Rule::new(
        None,
        "",
        usize::MAX,
        respond(200, &[], r#"{"tags":["stolen"]}"#),
    )])
    .await;
    let link = format!("<http://{}/page2>; rel=\"next\"", attacker.host);
    let (_registry, _proxy, reference) = behind_proxy(vec![Rule::new(
        Some("GET"),
        "/tags/list",
        1,
        respond(200, &[("Link", link)], r#"{"tags":["v1"]}"#),
    )])
    .await;
    let client = authenticated_client(None);
    // Authenticate first (the registry challenges), so a credential is there to leak.
    client.resolve(&reference).await.unwrap();
    let error = client.tags(&reference, 1).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::Protocol { .. })
            && error.to_string().contains("another origin"),
        "{error}"
    );
    assert!(attacker.heads().is_empty(), "{:?}", attacker.heads());
}

#[tokio::test]
async fn upload_locations_cannot_name_another_host() {
    let attacker =
        Proxy::listener(vec![Rule::new(None, "", usize::MAX, respond(201, &[], ""))]).await;
    // `@host/x` glued after the registry's host string would make the registry's host the
    // user info and the attacker the host; `//host/x` is a network-path reference.
    for location in [
        format!("@{}/upload", attacker.host),
        format!("//{}/upload", attacker.host),
        format!("http://{}/upload", attacker.host),
    ] {
        let (_registry, _proxy, reference) = behind_proxy(vec![Rule::new(
            Some("POST"),
            "/blobs/uploads/",
            1,
            respond(202, &[("Location", location.clone())], ""),
        )])
        .await;
        let client = authenticated_client(None);
        let result = client
            .push_blob(&reference, format!("blob for {location}").into_bytes())
            .await;
        assert!(result.is_err(), "{location}: {result:?}");
        assert!(
            attacker.heads().is_empty(),
            "{location}: {:?}",
            attacker.heads()
        );
    }
}

#[tokio::test]
async fn a_cdn_asking_for_credentials_does_not_get_the_registrys() {
    // The "CDN" the registry redirects blob reads to answers 401 with a token realm of its own.
    let attacker = Proxy::listener(vec![Rule::new(
        None,
        "/token",
        usize::MAX,
        respond(200, &[], r#"{"token":"t"}"#),
    )])
    .await;
    let challenge = format!(
        "Bearer realm=\"http://{}/token\",service=\"cdn\"",
        attacker.host
    );
    attacker.add_rule(Rule::new(
        None,
        "/blob",
        usize::MAX,
        respond(401, &[("WWW-Authenticate", challenge)], ""),
    ));
    let (_registry, _proxy, reference) = behind_proxy(vec![Rule::new(
        Some("GET"),
        "/blobs/sha256:",
        usize::MAX,
        respond(
            307,
            &[("Location", format!("http://{}/blob", attacker.host))],
            "",
        ),
    )])
    .await;
    let client = authenticated_client(None);
    let digest = client.resolve(&reference).await.unwrap();
    let manifest = client
        .manifest(&reference.with_digest(digest))
        .await
        .unwrap();
    let supply_core::oci::Manifest::Image(image) = manifest.decode().unwrap() else {
        panic!("an image")
    };
    let error = client
        .blob(&reference, &image.layers[0].digest)
        .await
        .unwrap_err();
    assert!(
        matches!(error, RegistryError::Unauthorized { .. }),
        "{error}"
    );
    assert!(
        !attacker.heads().is_empty(),
        "the redirect was followed (to the blob store)"
    );
    assert!(
        attacker.seen().iter().all(|line| !line.contains("/token")),
        "no token request to the CDN's realm: {:?}",
        attacker.seen()
    );
    assert_no_credentials(&attacker);
}

/// A TLS front (certificate self-signed, trusted through the CA file) for a plain registry.
async fn tls_front(
    dir: &Path,
    upstream: &Registry,
    rules: Vec<Rule>,
) -> (Proxy, std::path::PathBuf) {
    let certificate = make_self_signed(dir);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&certificate)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let proxy = Proxy::start_tls(upstream.host.clone(), rules, Arc::new(config)).await;
    (proxy, certificate)
}

#[tokio::test]
async fn an_https_registry_cannot_send_credentials_over_plain_http() {
    let attacker = Proxy::listener(vec![Rule::new(
        None,
        "",
        usize::MAX,
        respond(200, &[], r#"{"token":"t"}"#),
    )])
    .await;
    let registry = Registry::plain_with_auth();
    let dir = tempfile::tempdir().unwrap();
    let realm = format!(
        "Bearer realm=\"http://{}/token\",service=\"r\"",
        attacker.host
    );
    let redirect = format!("http://{}/blob", attacker.host);
    let (front, certificate) = tls_front(
        dir.path(),
        &registry,
        vec![
            Rule::new(
                Some("HEAD"),
                "/manifests/v1",
                1,
                respond(401, &[("WWW-Authenticate", realm)], ""),
            ),
            Rule::new(
                Some("GET"),
                "/blobs/",
                usize::MAX,
                respond(307, &[("Location", redirect)], ""),
            ),
        ],
    )
    .await;
    let reference: Reference = format!("{}/creds/app:v1", front.host).parse().unwrap();
    let client = authenticated_client(Some(&certificate));

    // A token realm over plain HTTP for a registry reached over TLS.
    let error = client.resolve(&reference).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::InsecureRealm { .. }),
        "{error}"
    );

    // An HTTPS→HTTP redirect (the Basic challenge is the real registry's, through the front).
    let blob = supply_core::digest::Digest::sha256(b"x");
    let error = client.blob(&reference, &blob).await.unwrap_err();
    assert!(matches!(error, RegistryError::Redirect { .. }), "{error}");
    assert!(attacker.heads().is_empty(), "{:?}", attacker.heads());
}

fn supply(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supply"));
    command
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "pw")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"));
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().unwrap()
}

/// Regression: a registry certificate made with `openssl req -x509 … subjectAltName=IP:…`
/// (`CA:TRUE`), given as the CA file, was refused with `CaUsedAsEndEntity`.
#[test]
fn a_self_signed_registry_certificate_given_as_ca_file_is_trusted_as_itself() {
    let registry = Registry::self_signed_with_auth();
    let ca_file = registry.ca_file.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = supply(dir.path(), &["generate-key-pair"], &[]);
    assert!(keys.status.success(), "{}", stderr(&keys));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let image = registry.image("selfsigned/app", "v1");
    let reference: Reference = image.parse().unwrap();
    rt.block_on(push_test_image(
        &client_for(&registry, Some(Credentials::new(USER, PASSWORD))),
        &reference,
        "self-signed",
    ));
    let ca = ca_file.to_str().unwrap();

    // Basic auth from the flags.
    let with_flags = |command: &str| {
        supply(
            dir.path(),
            &[
                command,
                "--key",
                if command == "sign" {
                    "cosign.key"
                } else {
                    "cosign.pub"
                },
                "--ca-file",
                ca,
                "--registry-username",
                USER,
                "--registry-password",
                PASSWORD,
                &image,
            ],
            &[],
        )
    };
    let signed = with_flags("sign");
    assert!(signed.status.success(), "{}", stderr(&signed));
    let verified = with_flags("verify");
    assert!(verified.status.success(), "{}", stderr(&verified));

    // Credentials from docker's config.json; the CA from SSL_CERT_FILE.
    let config = dir.path().join("docker");
    std::fs::create_dir(&config).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        config.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.host),
    )
    .unwrap();
    let verified = supply(
        dir.path(),
        &["verify", "--key", "cosign.pub", &image],
        &[("DOCKER_CONFIG", &config), ("SSL_CERT_FILE", &ca_file)],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));

    // The exact certificate is trusted for the names it carries only: `localhost` is not one.
    let port = registry.host.rsplit_once(':').unwrap().1;
    let by_name = format!("localhost:{port}/selfsigned/app:v1");
    let refused = supply(
        dir.path(),
        &["verify", "--key", "cosign.pub", "--ca-file", ca, &by_name],
        &[("DOCKER_CONFIG", &config)],
    );
    // Could not verify (the registry is not trusted): exit 3, with the hint.
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("certificate") && stderr(&refused).contains("hint: "),
        "{}",
        stderr(&refused)
    );

    // Another self-signed certificate in the CA file does not make this one trusted.
    let other = tempfile::tempdir().unwrap();
    let other_ca = make_self_signed(other.path());
    let refused = supply(
        dir.path(),
        &[
            "verify",
            "--key",
            "cosign.pub",
            "--ca-file",
            other_ca.to_str().unwrap(),
            &image,
        ],
        &[("DOCKER_CONFIG", &config)],
    );
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
}
