//! Cosign interop through an independent implementation: sigstore-rs (crate `sigstore`,
//! pinned to 0.14.0), run against a real local OCI registry (CNCF distribution on
//! `127.0.0.1:<port>`, plain HTTP, no auth).
//!
//! * [`sigstore_sign`] / [`sigstore_sign_encrypted`] / [`sigstore_sign_pkcs8_der`]: sigstore-rs
//!   signs an image that is already in the registry with an ECDSA P-256 key. It pushes the
//!   legacy cosign signature image, `<repo>:sha256-<hex>.sig`, whose layer has media type
//!   `application/vnd.dev.cosign.simplesigning.v1+json` and carries the annotation
//!   `dev.cosignproject.cosign/signature`.
//! * [`sigstore_verify`]: sigstore-rs fetches the `.sig` image (ours or its own) and counts
//!   the layers whose signature verifies with a PEM public key. This is fully offline: no
//!   Rekor, Fulcio or TUF. The cosign client is built without a trust root, so no Rekor
//!   bundle or Fulcio certificate is needed, and none is trusted.
//!
//! The functions are `async`. They must be polled inside a Tokio runtime, because
//! sigstore-rs's OCI client is reqwest/hyper. Either flavour works, current-thread or
//! multi-thread.
//!
//! What sigstore-rs 0.14.0 does that the caller should know:
//! * The simple-signing payload it writes has `critical.identity.docker-reference` set to
//!   the whole reference it was given (`host/repo@sha256:…`). cosign writes the bare
//!   repository (`host/repo`). It has `"optional": null`, and it is serialized compactly
//!   by serde_json.
//! * `push_signature` writes one OCI image manifest with only the given layers to the
//!   `.sig` tag. It does not append to an existing `.sig` manifest the way cosign does: it
//!   replaces it.
//! * On reading, every layer of the `.sig` manifest must have the simple-signing media type,
//!   because oci-client rejects the pull otherwise. The signature annotation must be
//!   standard, padded, unwrapped base64 of an ASN.1/DER ECDSA signature over the exact layer
//!   bytes, because 0.14.0 decodes it strictly.
//! * `trusted_signature_layers` also asks the registry's OCI referrers API for Sigstore
//!   bundles. Without a Rekor key those are always dropped. If the registry has no referrers
//!   API, the request fails, and the failure is only logged through `tracing`.

use sigstore::cosign::constraint::{Constraint, PrivateKeySigner};
use sigstore::cosign::verification_constraint::{
    PublicKeyVerifier, VerificationConstraint, VerificationConstraintVec,
};
use sigstore::cosign::{
    Client, ClientBuilder, CosignCapabilities, SignatureLayer, verify_constraints,
};
use sigstore::crypto::SigningScheme;
use sigstore::crypto::signing_key::SigStoreKeyPair;
use sigstore::registry::{Auth, ClientConfig, ClientProtocol, OciReference};
use zeroize::Zeroizing;

/// The only scheme these helpers use: cosign's default, ECDSA P-256 with SHA-256 and an
/// ASN.1/DER signature.
const SCHEME: SigningScheme = SigningScheme::ECDSA_P256_SHA256_ASN1;

/// Signs `registry_host/repository@image_digest` with a PKCS#8 PEM (`PRIVATE KEY`) ECDSA
/// P-256 private key, and pushes the legacy cosign `.sig` signature image via sigstore-rs.
pub async fn sigstore_sign(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
    private_key_pem_pkcs8: &str,
) -> Result<(), String> {
    // An empty password makes sigstore-rs read the key as unencrypted PKCS#8 PEM
    // (`SigStoreKeyPair::from_pem`, label `PRIVATE KEY`).
    let signer = PrivateKeySigner::new_with_raw(
        Zeroizing::new(private_key_pem_pkcs8.as_bytes().to_vec()),
        Zeroizing::new(Vec::new()),
        &SCHEME,
    )
    .map_err(|e| format!("sigstore-rs rejected the PKCS#8 PEM private key: {e}"))?;
    sign_and_push(registry_host, repository, image_digest, &signer).await
}

/// Like [`sigstore_sign`], but the key is cosign's encrypted PEM
/// (`ENCRYPTED SIGSTORE PRIVATE KEY` or the older `ENCRYPTED COSIGN PRIVATE KEY`, which is
/// scrypt + secretbox) and is decrypted by sigstore-rs with `password`. The password must
/// not be empty, because sigstore-rs treats an empty one as "unencrypted".
pub async fn sigstore_sign_encrypted(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
    encrypted_private_key_pem: &str,
    password: &str,
) -> Result<(), String> {
    if password.is_empty() {
        return Err("an encrypted cosign key needs a non-empty password".to_owned());
    }
    let signer = PrivateKeySigner::new_with_raw(
        Zeroizing::new(encrypted_private_key_pem.as_bytes().to_vec()),
        Zeroizing::new(password.as_bytes().to_vec()),
        &SCHEME,
    )
    .map_err(|e| format!("sigstore-rs could not decrypt/read the cosign private key: {e}"))?;
    sign_and_push(registry_host, repository, image_digest, &signer).await
}

/// Like [`sigstore_sign`], but the key is raw PKCS#8 DER bytes.
pub async fn sigstore_sign_pkcs8_der(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
    private_key_der_pkcs8: &[u8],
) -> Result<(), String> {
    let signer = SigStoreKeyPair::from_der(private_key_der_pkcs8)
        .and_then(|pair| pair.to_sigstore_signer(&SCHEME))
        .map_err(|e| format!("sigstore-rs rejected the PKCS#8 DER private key: {e}"))?;
    let signer = PrivateKeySigner::new_with_signer(signer);
    sign_and_push(registry_host, repository, image_digest, &signer).await
}

/// Verifies, with sigstore-rs and offline, the legacy `.sig` signatures of
/// `registry_host/repository@image_digest` against `public_key_pem`, a PEM
/// `PUBLIC KEY` (SPKI, ECDSA P-256). Returns how many signature layers verify. It is an
/// error if there are none, or if no `.sig` image or layer could be read.
pub async fn sigstore_verify(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
    public_key_pem: &str,
) -> Result<usize, String> {
    let image = image_reference(registry_host, repository, image_digest)?;
    let verifier = PublicKeyVerifier::new(public_key_pem.as_bytes(), &SCHEME)
        .map_err(|e| format!("sigstore-rs rejected the public key: {e}"))?;

    let mut client = cosign_client()?;
    // This triangulates internally: a HEAD on the manifest gives the digest, then it reads
    // `<repo>:sha256-<hex>.sig`. A layer is kept only if its media type is simple-signing,
    // its blob matches its descriptor digest, its payload's `docker-manifest-digest` equals
    // the image digest, and it has the signature annotation. The signature itself is not
    // checked here. The verifier below checks it.
    let layers: Vec<SignatureLayer> = client
        .trusted_signature_layers(&Auth::Anonymous, &image)
        .await
        .map_err(|e| format!("sigstore-rs could not fetch signature layers of {image}: {e}"))?;
    if layers.is_empty() {
        return Err(format!(
            "sigstore-rs found no usable signature layer for {image} \
             (no `.sig` image, or every layer was rejected; see tracing output)"
        ));
    }

    let mut verified = 0usize;
    let mut failures = Vec::new();
    for (index, layer) in layers.iter().enumerate() {
        if layer.simple_signing.critical.image.docker_manifest_digest != image_digest {
            failures.push(format!("layer {index}: payload names another digest"));
            continue;
        }
        match verifier.verify(layer) {
            Ok(true) => verified += 1,
            Ok(false) => failures.push(format!(
                "layer {index} ({}): signature does not verify with the key",
                layer.oci_digest
            )),
            Err(e) => failures.push(format!("layer {index} ({}): {e}", layer.oci_digest)),
        }
    }
    if verified == 0 {
        return Err(format!(
            "none of the {} signature layer(s) of {image} verifies with the key: {}",
            layers.len(),
            failures.join("; ")
        ));
    }

    // Cross-check through the crate's own policy entry point as well. It passes when at
    // least one layer satisfies every constraint.
    let constraints: VerificationConstraintVec = vec![Box::new(verifier)];
    verify_constraints(&layers, constraints.iter())
        .map_err(|e| format!("sigstore-rs verify_constraints disagreed: {e}"))?;

    Ok(verified)
}

/// Shared signing path: triangulate, build the simple-signing layer, sign it, push the `.sig`.
async fn sign_and_push(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
    signer: &PrivateKeySigner,
) -> Result<(), String> {
    let image = image_reference(registry_host, repository, image_digest)?;
    let auth = Auth::Anonymous;
    let mut client = cosign_client()?;

    // A HEAD on the manifest. It yields the digest, which must be ours because the
    // reference is by digest and oci-client checks it, and the target
    // `host/repo:sha256-<hex>.sig`.
    let (cosign_image, source_digest) = client
        .triangulate(&image, &auth)
        .await
        .map_err(|e| format!("sigstore-rs could not resolve {image}: {e}"))?;
    if source_digest != image_digest {
        return Err(format!(
            "registry resolved {image} to {source_digest}, expected {image_digest}"
        ));
    }
    let expected_tag = format!("{}.sig", image_digest.replacen(':', "-", 1));
    if cosign_image.tag() != Some(expected_tag.as_str()) {
        return Err(format!(
            "sigstore-rs chose signature image {cosign_image}, expected tag {expected_tag}"
        ));
    }

    let mut layer = SignatureLayer::new_unsigned(&image, &source_digest)
        .map_err(|e| format!("sigstore-rs could not build the simple-signing payload: {e}"))?;
    match signer.add_constraint(&mut layer) {
        Ok(true) => {}
        Ok(false) => return Err("sigstore-rs did not sign the layer".to_owned()),
        Err(e) => return Err(format!("sigstore-rs signing failed: {e}")),
    }

    client
        .push_signature(None, &auth, &cosign_image, vec![layer])
        .await
        .map_err(|e| format!("sigstore-rs could not push {cosign_image}: {e}"))?;
    Ok(())
}

/// `host/repo@sha256:<hex>`, validated, as sigstore-rs's reference type.
fn image_reference(
    registry_host: &str,
    repository: &str,
    image_digest: &str,
) -> Result<OciReference, String> {
    let hex = image_digest
        .strip_prefix("sha256:")
        .ok_or_else(|| format!("image digest must be sha256:<hex>, got {image_digest:?}"))?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(format!(
            "image digest must be sha256:<64 lowercase hex>, got {image_digest:?}"
        ));
    }
    let whole = format!("{registry_host}/{repository}@{image_digest}");
    let image: OciReference = whole
        .parse()
        .map_err(|e| format!("sigstore-rs rejected reference {whole:?}: {e}"))?;
    // With no dot, colon or "localhost" in the host, the reference would parse as a
    // docker.io path. Make sure the registry was read as the host we were given.
    if image.registry() != registry_host {
        return Err(format!(
            "reference {whole:?} parsed with registry {:?}, not {registry_host:?}",
            image.registry()
        ));
    }
    Ok(image)
}

/// A cosign client that talks plain HTTP to the registry. It is built with no trust root,
/// which means no Rekor keys and no Fulcio certs, so nothing is fetched, and bundles and
/// certificates in layers are ignored.
fn cosign_client() -> Result<Client, String> {
    let oci_config = ClientConfig {
        protocol: ClientProtocol::Http,
        ..Default::default()
    };
    ClientBuilder::default()
        .with_oci_client_config(oci_config)
        .build()
        .map_err(|e| format!("sigstore-rs could not build the cosign client: {e}"))
}
