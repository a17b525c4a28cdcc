//! Sigstore bundles: parsed, written back and parsed again, and run through the whole keyless
//! verifier (certificates, SCTs, Rekor bodies and proofs, checkpoints, RFC 3161 timestamps)
//! under the public-good trusted root.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use supply_core::sigstore::identity::{Identity, Matcher};
use supply_core::sigstore::verify::{Artifact, Expected, verify_bundle};
use supply_core::sigstore::{Bundle, TrustedRoot};

static ROOT: LazyLock<TrustedRoot> = LazyLock::new(|| {
    TrustedRoot::from_json(include_bytes!(
        "../../testdata/sigstore/trusted_root_pgi.json"
    ))
    .expect("the public-good root")
});
static EXPECTED: LazyLock<Expected> = LazyLock::new(|| {
    Expected::Identity(Identity {
        subject: Matcher::Exact("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main".into()),
        issuer: Matcher::Exact("https://token.actions.githubusercontent.com".into()),
        extensions: Default::default(),
    })
});

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_json(data) else {
        return;
    };
    let again = Bundle::from_json(&bundle.to_json()).expect("a written bundle parses");
    assert_eq!(again.content, bundle.content);
    let _ = verify_bundle(
        &bundle,
        Artifact::Bytes(b"DO NOT MODIFY ME!\n"),
        &EXPECTED,
        &ROOT,
        1_796_083_200,
    );
    let _ = verify_bundle(
        &bundle,
        Artifact::Sha256(&[0u8; 32]),
        &EXPECTED,
        &ROOT,
        1_796_083_200,
    );
});
