//! Registry faults, injected by a proxy in front of the real registry: the client retries
//! what is transient, times out what stalls, and never uses content that fails its checks.

use std::time::{Duration, Instant};

use supply_core::digest::Digest;
use supply_core::oci::{ClientOptions, Reference, RegistryClient, RegistryError};

use crate::fault_proxy::{Action, Proxy, Rule};
use crate::registry::{TestImage, client_for, push_test_image};
use crate::registry_fixture::Registry;

struct Setup {
    registry: Registry,
    proxy: Proxy,
    reference: Reference,
    image: TestImage,
}

async fn setup(rules: Vec<Rule>) -> Setup {
    let registry = Registry::plain();
    let direct = client_for(&registry, None);
    let upstream_ref: Reference = registry.image("faults/app", "v1").parse().unwrap();
    let image = push_test_image(&direct, &upstream_ref, "faults").await;
    let proxy = Proxy::start(registry.host.clone(), rules).await;
    let reference = format!("{}/faults/app:v1", proxy.host).parse().unwrap();
    Setup {
        registry,
        proxy,
        reference,
        image,
    }
}

fn client(max_blob_bytes: u64) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        docker_config: None,
        request_timeout: Duration::from_secs(2),
        initial_backoff: Duration::from_millis(10),
        max_blob_bytes,
        ..ClientOptions::default()
    })
    .unwrap()
}

fn status(code: u16) -> Action {
    Action::Respond {
        status: code,
        headers: vec![],
        body: vec![],
    }
}

#[tokio::test]
async fn server_error_then_success_is_retried() {
    let s = setup(vec![Rule::new(None, "/manifests/v1", 1, status(500))]).await;
    assert_eq!(
        client(1 << 20).resolve(&s.reference).await.unwrap(),
        s.image.digest
    );
    assert_eq!(s.proxy.count("/manifests/v1"), 2, "{:?}", s.proxy.seen());
}

#[tokio::test]
async fn persistent_server_errors_give_up_with_the_status() {
    let s = setup(vec![Rule::new(None, "/manifests/v1", 100, status(503))]).await;
    let error = client(1 << 20).resolve(&s.reference).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::Status { status: 503, .. }),
        "{error}"
    );
    assert_eq!(s.proxy.count("/manifests/v1"), 4, "first try and 3 retries");
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let busy = Action::Respond {
        status: 429,
        headers: vec![("Retry-After".into(), "1".into())],
        body: vec![],
    };
    let s = setup(vec![Rule::new(None, "/manifests/v1", 1, busy)]).await;
    let start = Instant::now();
    assert_eq!(
        client(1 << 20).resolve(&s.reference).await.unwrap(),
        s.image.digest
    );
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "waited as asked before retrying"
    );
    assert_eq!(s.proxy.count("/manifests/v1"), 2);
}

#[tokio::test]
async fn stalled_response_times_out() {
    let s = setup(vec![Rule::new(None, "/manifests/v1", 100, Action::Stall)]).await;
    let error = client(1 << 20).manifest(&s.reference).await.unwrap_err();
    assert!(matches!(error, RegistryError::Timeout { .. }), "{error}");
    assert!(error.to_string().contains("did not answer"), "{error}");
}

#[tokio::test]
async fn content_that_does_not_match_its_digest_is_rejected() {
    let s = setup(vec![]).await;
    let blob_digest = Digest::sha256(&s.image.layers[0]);
    let forged = Action::Respond {
        status: 200,
        headers: vec![],
        body: b"forged bytes".to_vec(),
    };
    let lying_tag = Action::Respond {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "application/vnd.oci.image.manifest.v1+json".into()),
            ("Docker-Content-Digest".into(), s.image.digest.to_string()),
        ],
        body: br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#.to_vec(),
    };
    let proxy = Proxy::start(
        s.registry.host.clone(),
        vec![
            Rule::new(
                Some("GET"),
                format!("/blobs/{blob_digest}"),
                1,
                forged.clone(),
            ),
            Rule::new(
                Some("GET"),
                format!("/manifests/{}", s.image.digest),
                1,
                forged,
            ),
            Rule::new(Some("GET"), "/manifests/v1", 1, lying_tag),
        ],
    )
    .await;
    let reference: Reference = format!("{}/faults/app:v1", proxy.host).parse().unwrap();
    let client = client(1 << 20);
    let error = client.blob(&reference, &blob_digest).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::DigestMismatch { .. }),
        "{error}"
    );
    let error = client
        .manifest(&reference.with_digest(s.image.digest.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, RegistryError::DigestMismatch { .. }),
        "{error}"
    );
    let error = client.manifest(&reference).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::DigestMismatch { .. }),
        "a tag answer contradicting its digest header: {error}"
    );
}

#[tokio::test]
async fn truncated_body_is_an_error() {
    let s = setup(vec![]).await;
    let digest = Digest::sha256(&s.image.layers[1]);
    let cut = Action::Truncate {
        declared: s.image.layers[1].len(),
        body: s.image.layers[1][..1000].to_vec(),
    };
    let proxy = Proxy::start(
        s.registry.host.clone(),
        vec![Rule::new(Some("GET"), format!("/blobs/{digest}"), 100, cut)],
    )
    .await;
    let reference: Reference = format!("{}/faults/app:v1", proxy.host).parse().unwrap();
    assert!(client(1 << 20).blob(&reference, &digest).await.is_err());
}

#[tokio::test]
async fn redirect_to_a_blob_store_is_followed_and_checked() {
    let s = setup(vec![]).await;
    let digest = Digest::sha256(&s.image.layers[0]);
    let store_path = format!("/blobstore/{}", digest.hex());
    // The "blob store" is a second proxy serving the bytes at its own path.
    let serve = Action::Respond {
        status: 200,
        headers: vec![],
        body: s.image.layers[0].clone(),
    };
    let store = Proxy::start(
        s.registry.host.clone(),
        vec![Rule::new(Some("GET"), store_path.clone(), 1, serve)],
    )
    .await;
    let redirect = Action::Respond {
        status: 307,
        headers: vec![(
            "Location".into(),
            format!("http://{}{store_path}", store.host),
        )],
        body: vec![],
    };
    let front = Proxy::start(
        s.registry.host.clone(),
        vec![Rule::new(
            Some("GET"),
            format!("/blobs/{digest}"),
            1,
            redirect,
        )],
    )
    .await;
    let reference: Reference = format!("{}/faults/app:v1", front.host).parse().unwrap();
    assert_eq!(
        client(1 << 20).blob(&reference, &digest).await.unwrap(),
        s.image.layers[0]
    );
    assert_eq!(store.count(&store_path), 1, "the blob came from the store");
}

#[tokio::test]
async fn oversized_content_is_refused() {
    let s = setup(vec![]).await;
    let big = Digest::sha256(&s.image.layers[1]);
    let error = client(1000).blob(&s.reference, &big).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::TooLarge { limit: 1000, .. }),
        "{error}"
    );
    let huge = Action::Respond {
        status: 200,
        headers: vec![(
            "Content-Type".into(),
            "application/vnd.oci.image.manifest.v1+json".into(),
        )],
        body: vec![b' '; 5 * 1024 * 1024],
    };
    let proxy = Proxy::start(
        s.registry.host.clone(),
        vec![Rule::new(Some("GET"), "/manifests/v1", 1, huge)],
    )
    .await;
    let reference: Reference = format!("{}/faults/app:v1", proxy.host).parse().unwrap();
    let error = client(1 << 20).manifest(&reference).await.unwrap_err();
    assert!(matches!(error, RegistryError::TooLarge { .. }), "{error}");
}

#[tokio::test]
async fn tag_pages_are_followed_through_link_headers() {
    let page = |tags: &str, next: Option<&str>| {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        if let Some(next) = next {
            headers.push(("Link".to_owned(), format!("<{next}>; rel=\"next\"")));
        }
        Action::Respond {
            status: 200,
            headers,
            body: format!(r#"{{"name":"faults/app","tags":[{tags}]}}"#).into_bytes(),
        }
    };
    let s = setup(vec![
        Rule::new(
            Some("GET"),
            "/tags/list?n=1",
            1,
            page(r#""a""#, Some("/v2/faults/app/tags/list?last=a&n=1")),
        ),
        Rule::new(
            Some("GET"),
            "last=a",
            1,
            page(r#""b""#, Some("/v2/faults/app/tags/list?last=b&n=1")),
        ),
        Rule::new(Some("GET"), "last=b", 1, page(r#""c""#, None)),
    ])
    .await;
    let tags = client(1 << 20).tags(&s.reference, 1).await.unwrap();
    assert_eq!(tags, ["a", "b", "c"]);
}
