use std::path::Path;

use super::super::{
    Check, Mode, NoMatch, PolicyFile, PolicyLoadError, PolicySet, TrustRoot, TrustRoots,
};
use crate::keys::SigningKey;
use crate::verify::{Formats, KeySource};

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(name)
}

fn pgi() -> TrustRoot {
    TrustRoot::from_json(&std::fs::read(testdata("sigstore/trusted_root_pgi.json")).unwrap())
        .unwrap()
}

fn with_key(text: &str) -> String {
    let pem = SigningKey::generate().verifying_key().to_pem().unwrap();
    let indented: String = pem.lines().map(|l| format!("        {l}\n")).collect();
    text.replace("KEY_PEM\n", &indented)
}

fn load(text: &str, roots: &TrustRoots) -> Result<PolicySet, PolicyLoadError> {
    let file = PolicyFile::parse(Path::new("p.yaml"), text.to_owned())?;
    PolicySet::compile(&[file], roots, NoMatch::Deny)
}

fn roots() -> TrustRoots {
    TrustRoots {
        default: Some(pgi()),
        named: [("private".to_owned(), pgi())].into(),
    }
}

#[test]
fn a_file_of_two_policies_compiles_to_what_it_says() {
    let text =
        with_key(&std::fs::read_to_string(testdata("admission/key-and-keyless.yaml")).unwrap());
    let file = PolicyFile::parse(Path::new("p.yaml"), text.clone()).unwrap();
    assert!(file.needs_default_root());
    let set = PolicySet::compile(&[file], &roots(), NoMatch::Deny).unwrap();
    let [keyed, keyless] = set.policies.as_slice() else {
        panic!("two policies");
    };
    assert_eq!(keyed.name, "signed-by-release-key");
    assert_eq!((keyed.mode, keyed.origin.1), (Mode::Enforce, 1));
    assert!(matches!(
        &keyed.authorities[0].check,
        Check::Signed { key: KeySource::Key(_), trusted_root: None, formats: Formats::Any, attestations } if attestations.is_empty()
    ));
    assert_eq!(keyed.authorities[0].name, "release-key");
    assert_eq!((keyless.mode, keyless.origin.1), (Mode::Warn, 2));
    assert_eq!(keyless.authorities[0].name, "authority-0");
    let Check::Signed {
        key: KeySource::AnyIdentity(identities),
        trusted_root: Some(root),
        formats,
        attestations,
    } = &keyless.authorities[0].check
    else {
        panic!("keyless")
    };
    assert_eq!(identities.len(), 1);
    assert_eq!(*formats, Formats::Bundle);
    assert!(
        root.tlogs
            .iter()
            .all(|l| l.base_url == "https://rekor.sigstore.dev")
    );
    assert!(
        root.certificate_authorities
            .iter()
            .all(|ca| ca.uri == "https://fulcio.sigstore.dev")
    );
    assert_eq!(
        attestations[0].predicate_type,
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(
        attestations[0]
            .conditions
            .provenance
            .source_repository
            .as_deref(),
        Some("https://github.com/o/app")
    );
    assert!(matches!(
        &keyless.authorities[1].check,
        Check::Static { pass: false, .. }
    ));
    assert_ne!(keyed.hash, keyless.hash);
    // The same text gives the same hashes; an edit changes them.
    let again = load(&text, &roots()).unwrap();
    assert_eq!(again.policies[0].hash, keyed.hash);
    let edited = load(&text.replace("team: platform", "team: security"), &roots()).unwrap();
    assert_ne!(edited.policies[0].hash, keyed.hash);
}

const HEAD: &str = "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: p\nspec:\n  images:\n  - glob: \"r/**\"\n";

/// (spec tail, the text on the line named, is "unsupported", words the message must contain)
#[test]
fn every_problem_names_its_document_and_line() {
    let cases: &[(&str, &str, bool, &str)] = &[
        (
            "  authorities:\n  - static:\n      action: pass\n  colour: red\n",
            "colour: red",
            false,
            "unknown field `colour`",
        ),
        (
            "  authorities:\n  - key:\n      kms: awskms:///alias/x\n",
            "kms:",
            true,
            "key.kms is not supported",
        ),
        (
            "  authorities:\n  - key:\n      secretRef:\n        name: k\n",
            "secretRef:",
            true,
            "secretRef is not supported",
        ),
        (
            "  authorities:\n  - key:\n      data: nope\n",
            "data: nope",
            false,
            "not a public key",
        ),
        (
            "  authorities:\n  - key:\n      data: x\n      hashAlgorithm: sha512\n",
            "data: x",
            true,
            "hashAlgorithm is not supported",
        ),
        (
            "  authorities:\n  - static:\n      action: pass\n  policy:\n    type: cue\n    data: x\n",
            "type: cue",
            true,
            "spec.policy is not supported",
        ),
        (
            "  authorities:\n  - static:\n      action: pass\n  match:\n  - resource: pods\n",
            "- resource: pods",
            true,
            "spec.match is not supported",
        ),
        (
            "  authorities: []\n",
            "apiVersion",
            false,
            "spec.authorities is empty",
        ),
        (
            "  mode: audit\n  authorities:\n  - static:\n      action: pass\n",
            "mode: audit",
            false,
            "mode \"audit\"",
        ),
        (
            "  authorities:\n  - static:\n      action: maybe\n",
            "action: maybe",
            false,
            "static action \"maybe\"",
        ),
        (
            "  authorities:\n  - static:\n      action: pass\n    key:\n      data: x\n",
            "- static:",
            false,
            "only one of key, keyless, static",
        ),
        (
            "  authorities:\n  - name: nothing\n",
            "- name: nothing",
            false,
            "needs one of key, keyless, static",
        ),
        (
            "  authorities:\n  - source:\n    - oci: r/sigs\n    static:\n      action: pass\n",
            "- oci: r/sigs",
            true,
            "source is not supported",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subject: s\n      insecureIgnoreSCT: true\n",
            "identities:",
            true,
            "insecureIgnoreSCT is not supported",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n",
            "- issuer: i",
            false,
            "needs subject or subjectRegExp",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subjectRegExp: \"(\"\n",
            "- issuer: i",
            false,
            "not a regular expression",
        ),
        (
            "  authorities:\n  - keyless:\n      identities: []\n",
            "identities: []",
            false,
            "identities is empty",
        ),
        (
            "  authorities:\n  - keyless:\n      trustRootRef: elsewhere\n      identities:\n      - issuer: i\n        subject: s\n",
            "trustRootRef: elsewhere",
            false,
            "\"elsewhere\" names no trusted root",
        ),
        (
            "  authorities:\n  - keyless:\n      url: https://fulcio.example\n      identities:\n      - issuer: i\n        subject: s\n",
            "url: https://fulcio.example",
            false,
            "no certificate authority of the trusted root",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subject: s\n    attestations:\n    - name: a\n      predicateType: slsaprovenance1\n      policy:\n        type: rego\n        data: x\n",
            "type: rego",
            true,
            "rego policies are not evaluated",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subject: s\n    attestations:\n    - name: a\n      predicateType: cyclonedx\n      policy:\n        type: supply\n        data: |\n          [provenance]\n          source-ref = \"refs/heads/main\"\n",
            "- name: a",
            false,
            "cannot apply to https://cyclonedx.org/bom",
        ),
        (
            "  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subject: s\n    signatureFormat: sigstore\n",
            "signatureFormat: sigstore",
            false,
            "signatureFormat \"sigstore\"",
        ),
    ];
    for (tail, marker, unsupported, words) in cases {
        let text = format!("{HEAD}{tail}");
        let line = 1 + text.lines().position(|l| l.contains(marker)).unwrap() as u64;
        let error = load(&text, &roots()).expect_err(tail);
        let (found_document, found_line) = match &error {
            PolicyLoadError::Invalid { document, line, .. } => {
                assert!(!unsupported, "{tail}: {error}");
                (*document, *line)
            }
            PolicyLoadError::Unsupported { document, line, .. } => {
                assert!(unsupported, "{tail}: {error}");
                (*document, *line)
            }
            other => panic!("{tail}: {other}"),
        };
        let message = error.to_string();
        assert!(message.starts_with("p.yaml: document"), "{message}");
        assert!(message.contains(words), "{tail}: {message}");
        assert_eq!((found_document, found_line), (1, line), "{tail}: {message}");
    }
}

#[test]
fn documents_are_counted_and_the_rest_of_the_file_is_checked() {
    let good = format!("{HEAD}  authorities:\n  - static:\n      action: pass\n");
    let second_bad = format!(
        "---\n{good}---\n# a comment\n{}",
        good.replace("name: p", "name: q")
            .replace("action: pass", "action: pass\n  extra: 1")
    );
    let error = load(&second_bad, &roots()).unwrap_err();
    assert!(
        matches!(
            error,
            PolicyLoadError::Invalid {
                document: 2,
                line: 24,
                ..
            }
        ),
        "{error}"
    );
    let twice = format!("{good}---\n{good}");
    assert!(matches!(
        load(&twice, &roots()),
        Err(PolicyLoadError::Duplicate { .. })
    ));
    let other_kind = good.replace("kind: ClusterImagePolicy", "kind: ImagePolicy");
    assert!(
        load(&other_kind, &roots())
            .unwrap_err()
            .to_string()
            .contains("kind \"ImagePolicy\"")
    );
    let other_version = good.replace("v1beta1", "v2");
    assert!(
        load(&other_version, &roots())
            .unwrap_err()
            .to_string()
            .contains("apiVersion")
    );
    assert!(
        load("", &roots())
            .unwrap_err()
            .to_string()
            .contains("no ClusterImagePolicy")
    );
    assert!(load("a: [1,\n", &roots()).is_err());
    assert!(load("\u{0}\u{1}", &roots()).is_err());
    // Keyless without any root to check it under.
    let keyless = format!(
        "{HEAD}  authorities:\n  - keyless:\n      identities:\n      - issuer: i\n        subject: s\n"
    );
    let error = load(&keyless, &TrustRoots::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("needs the default Sigstore trusted root"),
        "{error}"
    );
}

#[test]
fn a_key_authority_with_a_log_or_timestamps_gets_a_root() {
    let tail = "  authorities:\n  - key:\n      data: |\nKEY_PEM\n    ctlog:\n      trustRootRef: private\n";
    let set = load(&with_key(&format!("{HEAD}{tail}")), &roots()).unwrap();
    assert!(
        matches!(&set.policies[0].authorities[0].check, Check::Signed { trusted_root: Some(root), .. } if !root.tlogs.is_empty())
    );
    let tail = "  authorities:\n  - key:\n      data: |\nKEY_PEM\n    ctlog:\n      trustRootRef: private\n    rfc3161timestamp:\n      trustRootRef: private\n";
    let error = load(&with_key(&format!("{HEAD}{tail}")), &roots()).unwrap_err();
    // The public-good root has no timestamp authority.
    assert!(
        error.to_string().contains("no timestamp authority"),
        "{error}"
    );
}
