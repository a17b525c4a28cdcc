//! The one blocking facade over the async network entry points, for synchronous callers: the
//! CLI, the C API and Rust tools without a runtime of their own.
//!
//! Every call runs on one process-wide multi-thread tokio runtime, started on first use, so
//! calls from many threads share it, and a [`RegistryClient`] used here keeps its pooled
//! connections valid between calls (they belong to the runtime that opened them: use a client
//! either through this facade or on your own runtime, not both). Called from inside a tokio
//! runtime, where blocking would stall or deadlock the caller's executor, every function
//! returns [`BlockingError::InsideAsyncRuntime`] instead: async callers use the async API.
//!
//! **Invariant:** this is the only `block_on` in the library.
//!
//! ```
//! use supply_core::oci::{ClientOptions, Reference, RegistryClient};
//! use supply_core::verify::VerifyOptions;
//! use supply_core::{Classify, ErrorKind, blocking, keys::SigningKey};
//!
//! let client = RegistryClient::new(ClientOptions { max_retries: 0, ..ClientOptions::default() })?;
//! let image: Reference = "127.0.0.1:1/app:v1".parse()?;
//! let options = VerifyOptions::with_key(SigningKey::generate().verifying_key());
//! match blocking::verify_image(&client, &image, &options) {
//!     Ok(verdict) => println!("accepted: {}, findings: {:?}", verdict.accepted, verdict.codes()),
//!     // Nothing listens on port 1: the registry is unreachable, nothing was decided.
//!     Err(error) => assert!(error.kind().is_unreachable()),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

use crate::attach::{self, AttachError, Attachments};
use crate::attest::intoto::Subject;
use crate::attest::subject::{self, SubjectError, SubjectSource};
use crate::attest::{self, AttestError, AttestOptions, Attested};
use crate::digest::Digest;
use crate::keyless;
use crate::keys::SigningKey;
use crate::oci::{Reference, RegistryClient, RegistryError};
use crate::sign::{self, SignError, SignOptions, Signed};
use crate::verify::attestation::{self, AttestationOptions};
use crate::verify::{self, Verdict, VerifyError, VerifyOptions};

/// The facade could not run the work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockingError {
    /// Called on a thread that is running an async runtime.
    #[error(
        "the blocking API was called from inside an async runtime, where it would stall the executor; use the async functions there"
    )]
    InsideAsyncRuntime,
    /// The runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl crate::error::Classify for BlockingError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Internal
    }
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

fn block_on<T, E: From<BlockingError>>(future: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(BlockingError::InsideAsyncRuntime.into());
    }
    let runtime = match RUNTIME.get() {
        Some(runtime) => runtime,
        None => {
            let built = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("supply-blocking")
                .build()
                .map_err(BlockingError::Runtime)?;
            // If another thread won the race, `built` is dropped and theirs is used.
            RUNTIME.get_or_init(|| built)
        }
    };
    runtime.block_on(future)
}

/// The digest an image reference names (a tag resolved with one request).
pub fn resolve(client: &RegistryClient, image: &Reference) -> Result<Digest, RegistryError> {
    block_on(client.resolve(image))
}

/// [`sign::sign_image`], blocking.
pub fn sign_image(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    block_on(sign::sign_image(client, image, key, options))
}

/// [`sign::bundle::sign_image_bundle`], blocking.
pub fn sign_image_bundle(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    block_on(sign::bundle::sign_image_bundle(client, image, key, options))
}

/// [`sign::bundle::sign_image_bundle_with`] (a key or keyless), blocking.
pub fn sign_image_bundle_with(
    client: &RegistryClient,
    image: &Reference,
    signer: sign::bundle::BundleSigner<'_>,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    block_on(sign::bundle::sign_image_bundle_with(
        client, image, signer, options,
    ))
}

/// [`sign::sign_image_keyless_legacy`], blocking.
pub fn sign_image_keyless_legacy(
    client: &RegistryClient,
    image: &Reference,
    signer: &keyless::KeylessSigner,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    block_on(sign::sign_image_keyless_legacy(
        client, image, signer, options,
    ))
}

/// [`attest::attest_image_keyless_legacy`], blocking.
pub fn attest_image_keyless_legacy(
    client: &RegistryClient,
    image: &Reference,
    signer: &keyless::KeylessSigner,
    options: &AttestOptions,
) -> Result<Attested, AttestError> {
    block_on(attest::attest_image_keyless_legacy(
        client, image, signer, options,
    ))
}

/// [`crate::vuln::update::update`], blocking.
pub fn vuln_db_update(
    mirror: &str,
    dir: &std::path::Path,
    ecosystems: &[String],
    timeout: std::time::Duration,
) -> Result<Vec<crate::vuln::update::Updated>, crate::vuln::ScanError> {
    block_on(crate::vuln::update::update(
        mirror, dir, ecosystems, timeout,
    ))
}

/// [`sign::bundle::attest_image_bundle`], blocking.
pub fn attest_image_bundle(
    client: &RegistryClient,
    image: &Reference,
    signer: sign::bundle::BundleSigner<'_>,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<(Digest, Reference), SignError> {
    block_on(sign::bundle::attest_image_bundle(
        client,
        image,
        signer,
        predicate_type,
        predicate,
    ))
}

/// The identity token from `source` (asking GitHub Actions when that is the source), then an
/// ephemeral key certified for it: [`keyless::KeylessSigner::new`], blocking.
pub fn keyless_signer(
    options: &keyless::KeylessOptions,
    source: keyless::token::TokenSource,
) -> Result<keyless::KeylessSigner, keyless::KeylessError> {
    block_on(async {
        let http = keyless::Http::new(options.timeout)?;
        let token = source.token(&http).await?;
        keyless::KeylessSigner::with_http(options, &token, http).await
    })
}

/// [`keyless::KeylessSigner::sign_artifact`], blocking.
pub fn keyless_sign_artifact(
    signer: &keyless::KeylessSigner,
    artifact: &[u8],
) -> Result<crate::sigstore::Bundle, keyless::KeylessError> {
    block_on(signer.sign_artifact(artifact))
}

/// [`keyless::KeylessSigner::sign_statement`], blocking.
pub fn keyless_sign_statement(
    signer: &keyless::KeylessSigner,
    statement: &crate::attest::intoto::Statement,
) -> Result<crate::sigstore::Bundle, keyless::KeylessError> {
    block_on(signer.sign_statement(statement))
}

/// [`verify::verify_image`], blocking.
pub fn verify_image(
    client: &RegistryClient,
    image: &Reference,
    options: &VerifyOptions,
) -> Result<Verdict, VerifyError> {
    block_on(verify::verify_image(client, image, options))
}

/// [`attest::attest_image`], blocking.
pub fn attest_image(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &AttestOptions,
) -> Result<Attested, AttestError> {
    block_on(attest::attest_image(client, image, key, options))
}

/// [`attestation::verify_attestations`], blocking.
pub fn verify_attestations(
    client: &RegistryClient,
    image: &Reference,
    options: &AttestationOptions,
) -> Result<Verdict, VerifyError> {
    block_on(attestation::verify_attestations(client, image, options))
}

/// [`attach::list`], blocking.
pub fn attachments(client: &RegistryClient, image: &Reference) -> Result<Attachments, AttachError> {
    block_on(attach::list(client, image))
}

/// [`subject::resolve_subjects`], blocking.
pub fn resolve_subjects(
    client: &RegistryClient,
    sources: &[SubjectSource],
) -> Result<Vec<Subject>, SubjectError> {
    block_on(subject::resolve_subjects(client, sources))
}

/// [`crate::sigstore::tuf::fetch_target`], blocking.
pub fn tuf_fetch_target(
    options: &crate::sigstore::tuf::TufOptions,
    name: &str,
) -> Result<Vec<u8>, crate::sigstore::tuf::TufError> {
    block_on(crate::sigstore::tuf::fetch_target(options, name))
}

/// [`crate::sigstore::tuf::trusted_root`], blocking.
pub fn tuf_trusted_root(
    options: &crate::sigstore::tuf::TufOptions,
) -> Result<crate::sigstore::TrustedRoot, crate::sigstore::tuf::TufError> {
    block_on(crate::sigstore::tuf::trusted_root(options))
}

/// [`sign::sign_blob`] (pure; here so synchronous callers find every entry point in one place).
pub fn sign_blob(key: &SigningKey, bytes: &[u8]) -> String {
    sign::sign_blob(key, bytes)
}

/// [`verify::verify_blob`] (pure).
pub fn verify_blob(
    subject: &str,
    bytes: &[u8],
    signature: &[u8],
    key: &crate::keys::VerifyingKey,
) -> Verdict {
    verify::verify_blob(subject, bytes, signature, key)
}

/// [`crate::admission::Evaluator::evaluate`] for several images at once (concurrently),
/// blocking; the decisions in the order of `images`.
pub fn evaluate_images(
    evaluator: &std::sync::Arc<crate::admission::Evaluator>,
    set: &crate::admission::PolicySet,
    images: &[String],
) -> Result<Vec<crate::admission::ImageDecision>, BlockingError> {
    block_on(async {
        let decisions = images.iter().map(|image| evaluator.evaluate(set, image));
        Ok::<_, BlockingError>(futures_util::future::join_all(decisions).await)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use crate::error::Classify as _;
    use crate::oci::ClientOptions;

    #[test]
    fn refuses_to_block_inside_a_runtime() {
        let client = RegistryClient::new(ClientOptions::default()).unwrap();
        let image: Reference = "127.0.0.1:1/a:b".parse().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let error = runtime
            .block_on(async { resolve(&client, &image) })
            .unwrap_err();
        assert!(matches!(
            error,
            RegistryError::Blocking(BlockingError::InsideAsyncRuntime)
        ));
        assert_eq!(error.kind(), ErrorKind::Internal);
    }

    #[test]
    fn many_threads_share_one_runtime() {
        let client = RegistryClient::new(ClientOptions {
            max_retries: 0,
            ..ClientOptions::default()
        })
        .unwrap();
        let image: Reference = "127.0.0.1:1/a:b".parse().unwrap();
        std::thread::scope(|scope| {
            let calls: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| resolve(&client, &image)))
                .collect();
            for call in calls {
                let error = call.join().unwrap().unwrap_err();
                assert_eq!(error.kind(), ErrorKind::Network, "{error}");
            }
        });
    }
}
