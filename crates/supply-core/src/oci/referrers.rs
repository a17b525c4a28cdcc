//! OCI 1.1 referrers of a manifest: the referrers API, with the `sha256-<hex>` fallback index
//! for registries without it.

use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};

use super::api;
use super::manifest::{Descriptor, Index, Manifest, OCI_INDEX};
use super::transport::{Request, header_text};
use super::{MAX_MANIFEST_BYTES, Reference, RegistryClient, RegistryError};
use crate::digest::Digest;

impl RegistryClient {
    /// Referrers of `digest` in the reference's repository, optionally only of one artifact
    /// type. Returns the descriptors and whether the registry has the referrers API.
    pub async fn referrers(
        &self,
        reference: &Reference,
        digest: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<(Vec<Descriptor>, bool), RegistryError> {
        let mut path = format!("/v2/{}/referrers/{digest}", reference.repository());
        if let Some(artifact_type) = artifact_type {
            path.push_str("?artifactType=");
            path.push_str(&percent_encode(artifact_type));
        }
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(OCI_INDEX));
        let what = format!("referrers of {digest}");
        let response = self
            .send(Request::new(Method::GET, reference, path).with_headers(headers))
            .await?;
        let content_type = header_text(response.headers(), "content-type").unwrap_or_default();
        let (index, api) = if response.status() == StatusCode::OK
            && content_type.starts_with(OCI_INDEX)
        {
            let body = self
                .read_limited(reference, response, MAX_MANIFEST_BYTES, &what)
                .await?;
            let index: Index =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                    registry: reference.registry().to_owned(),
                    message: format!("referrers answer is not an image index: {e}"),
                })?;
            (index, true)
        } else if response.status() == StatusCode::NOT_FOUND || response.status() == StatusCode::OK
        {
            // No API (distribution 2.8 answers 404): the fallback tag holds an index, if any.
            let tag = api::fallback_reference(reference, digest)?;
            match self.manifest(&tag).await {
                Ok(raw) => match raw.decode() {
                    Ok(Manifest::Index(index)) => (index, false),
                    Ok(Manifest::Image(_)) => (Index::empty(), false),
                    Err(source) => {
                        return Err(RegistryError::Manifest {
                            what: tag.to_string(),
                            source,
                        });
                    }
                },
                Err(e) if e.is_not_found() => (Index::empty(), false),
                Err(e) => return Err(e),
            }
        } else {
            let status = response.status();
            return Err(
                match self.expect_success(reference, "GET", response, &what).await {
                    Err(e) => e,
                    Ok(_) => RegistryError::Protocol {
                        registry: reference.registry().to_owned(),
                        message: format!("unexpected referrers answer {status}"),
                    },
                },
            );
        };
        // A registry may ignore the filter (it says so in OCI-Filters-Applied): filter again.
        let manifests = index
            .manifests
            .into_iter()
            .filter(|d| artifact_type.is_none_or(|t| d.artifact_type.as_deref() == Some(t)))
            .collect();
        Ok((manifests, api))
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
