//! Attestation policies (TOML), evaluated over a fixed provenance predicate when they parse.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use supply_core::attest::policy::Policy;

static PREDICATE: LazyLock<serde_json::Value> = LazyLock::new(|| {
    serde_json::json!({
        "buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {"ref": "refs/heads/main", "repository": "https://github.com/o/r"}}},
        "runDetails": {"builder": {"id": "https://github.com/o/r/.github/workflows/x.yml@refs/heads/main"}}
    })
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(policy) = Policy::parse(text) {
        let _ = policy.provenance_violations(&PREDICATE);
    }
});
