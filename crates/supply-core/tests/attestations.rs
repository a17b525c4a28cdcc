//! DSSE and in-toto against real data: the DSSE specification's test vector, and a real cosign
//! `.att` written by slsa-github-generator (its envelope checked with its certificate's key, its
//! provenance read and a policy evaluated over it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::path::Path;
use supply_core::verify::Code;

use base64::Engine as _;
use supply_core::attest::dsse::{self, Envelope};
use supply_core::attest::intoto::Statement;
use supply_core::attest::policy::Policy;
use supply_core::attest::slsa;
use supply_core::digest::Digest;
use supply_core::keys::VerifyingKey;
use supply_core::verify::attestation::check_attestation;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata")
            .join(path),
    )
    .unwrap()
}

/// Big-endian bytes of a decimal number (the vector gives the key as decimal integers).
fn decimal_to_bytes(decimal: &str, length: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; length];
    for digit in decimal.bytes() {
        let mut carry = u32::from(digit - b'0');
        for byte in bytes.iter_mut().rev() {
            let value = u32::from(*byte) * 10 + carry;
            *byte = (value & 0xff) as u8;
            carry = value >> 8;
        }
    }
    bytes
}

/// A PEM public key from SPKI DER.
fn pem(spki: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(spki);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

/// SPKI prefix of every P-256 public key (SEQUENCE, id-ecPublicKey, prime256v1, BIT STRING).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

#[test]
fn dsse_specification_vector() {
    let vector: serde_json::Value =
        serde_json::from_slice(&read("dsse/protocol-test-vector.json")).unwrap();
    let payload_type = vector["payloadType"].as_str().unwrap();
    let body = vector["serializedBodyUtf8"].as_str().unwrap();
    assert_eq!(
        dsse::pae(payload_type, body.as_bytes()),
        vector["expectedPAE"].as_str().unwrap().as_bytes()
    );
    let mut spki = P256_SPKI_PREFIX.to_vec();
    spki.push(0x04);
    spki.extend(decimal_to_bytes(vector["key"]["x"].as_str().unwrap(), 32));
    spki.extend(decimal_to_bytes(vector["key"]["y"].as_str().unwrap(), 32));
    let key = VerifyingKey::from_pem(&pem(&spki)).unwrap();
    let envelope: Envelope = serde_json::from_value(vector["envelope"].clone()).unwrap();
    assert_eq!(envelope.verify(&key).unwrap(), body.as_bytes());
    let mut wrong_type = envelope;
    wrong_type.payload_type = "http://example.com/Other".into();
    assert!(
        wrong_type.verify(&key).is_err(),
        "the payload type is signed too"
    );
}

/// The key of the certificate in the real `.att` layer's annotation.
fn certificate_key() -> VerifyingKey {
    let manifest: serde_json::Value =
        serde_json::from_slice(&read("cosign/real-att/manifest.json")).unwrap();
    let certificate = manifest["layers"][0]["annotations"]["dev.sigstore.cosign/certificate"]
        .as_str()
        .unwrap();
    let body: String = certificate
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let at = der
        .windows(P256_SPKI_PREFIX.len())
        .position(|w| w == P256_SPKI_PREFIX)
        .expect("a P-256 key in the certificate");
    VerifyingKey::from_pem(&pem(&der[at..at + 91])).unwrap()
}

#[test]
fn real_cosign_attestation_verifies_and_its_provenance_is_evaluated() {
    let envelope = read("cosign/real-att/envelope.json");
    let digest: Digest = String::from_utf8(read("cosign/real-att/image.digest"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let key = certificate_key();
    let provenance_v02 = "https://slsa.dev/provenance/v0.2";
    let policy = Policy::parse(
        "[provenance]\nbuilder-id-prefix = \"https://github.com/slsa-framework/slsa-github-generator/\"\nsource-repository = \"https://github.com/slsa-framework/example-package\"\nsource-ref = \"refs/heads/main\"\n",
    )
    .unwrap();
    let statement = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &key,
        &digest,
        provenance_v02,
        &policy,
    )
    .unwrap();
    assert_eq!(
        statement.statement_type,
        "https://in-toto.io/Statement/v0.1"
    );
    let facts = slsa::build_facts(&statement.predicate);
    assert_eq!(
        facts.builder_id.as_deref(),
        Some(
            "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0"
        )
    );

    // The same envelope, each check broken in turn.
    let other_image = Digest::sha256(b"another image");
    let error = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &key,
        &other_image,
        provenance_v02,
        &policy,
    )
    .unwrap_err();
    assert_eq!(codes(&error), [Code::SubjectMismatch], "{error}");
    let error = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &key,
        &digest,
        slsa_v1(),
        &policy,
    )
    .unwrap_err();
    assert_eq!(codes(&error), [Code::PredicateTypeMismatch], "{error}");
    let wrong_branch =
        Policy::parse("[provenance]\nsource-ref = \"refs/heads/release\"\n").unwrap();
    let error = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &key,
        &digest,
        provenance_v02,
        &wrong_branch,
    )
    .unwrap_err();
    assert_eq!(codes(&error), [Code::PolicySourceRefMismatch], "{error}");
    assert!(
        error.to_string().contains("source ref is refs/heads/main"),
        "{error}"
    );
    let other_builder =
        Policy::parse("[provenance]\nbuilder-id = \"https://example.com/evil\"\n").unwrap();
    let error = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &key,
        &digest,
        provenance_v02,
        &other_builder,
    )
    .unwrap_err();
    assert_eq!(codes(&error), [Code::PolicyBuilderMismatch], "{error}");
    let other_key = supply_core::keys::SigningKey::generate().verifying_key();
    let error = check_attestation(
        "application/vnd.dsse.envelope.v1+json",
        &envelope,
        &other_key,
        &digest,
        provenance_v02,
        &policy,
    )
    .unwrap_err();
    assert_eq!(codes(&error), [Code::SignatureInvalid], "{error}");
    let statement_bytes = Envelope::from_json(&envelope)
        .unwrap()
        .payload_bytes()
        .unwrap();
    assert!(
        Statement::parse(&statement_bytes)
            .unwrap()
            .has_subject(&digest)
    );
}

fn slsa_v1() -> &'static str {
    "https://slsa.dev/provenance/v1"
}

/// The codes of a rejection's findings.
fn codes(rejection: &supply_core::verify::attestation::Rejection) -> Vec<Code> {
    rejection.findings("layer").iter().map(|f| f.code).collect()
}
