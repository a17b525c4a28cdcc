//! ClusterImagePolicy YAML: parsed (several documents), compiled against an empty set of
//! trusted roots, and, when it compiles, matched against a few image names.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use supply_core::admission::{NoMatch, PolicyFile, PolicySet, TrustRoots};
use supply_core::oci::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = PolicyFile::parse(Path::new("fuzz.yaml"), text.to_owned()) else {
        return;
    };
    let _ = file.needs_default_root();
    let Ok(set) = PolicySet::compile(&[file], &TrustRoots::default(), NoMatch::Deny) else {
        return;
    };
    for written in [
        "nginx",
        "ghcr.io/o/app:v1",
        "localhost:5000/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        if let Ok(image) = written.parse::<Reference>() {
            let _ = set.matching(&image, written).count();
        }
    }
});
