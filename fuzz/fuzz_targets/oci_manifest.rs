//! Registry answers: manifests and indexes (with their descriptors), as any media type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::oci::manifest::{DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use supply_core::oci::{Descriptor, RawManifest};

fuzz_target!(|data: &[u8]| {
    for media_type in [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, ""] {
        let _ = RawManifest::new(media_type, data.to_vec()).decode();
    }
    if let Ok(descriptor) = serde_json::from_slice::<Descriptor>(data) {
        let _ = serde_json::to_vec(&descriptor);
    }
});
