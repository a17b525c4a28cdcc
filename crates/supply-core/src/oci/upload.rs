//! Pushing blobs (monolithic or in chunks) and manifests.

use bytes::Bytes;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION,
};
use reqwest::{Method, StatusCode};

use super::api;
use super::manifest::RawManifest;
use super::transport::{Request, header_text};
use super::{Reference, RegistryClient, RegistryError};
use crate::digest::Digest;

impl RegistryClient {
    /// Uploads a blob in one request unless the registry already has it; returns its digest.
    pub async fn push_blob(
        &self,
        reference: &Reference,
        bytes: Vec<u8>,
    ) -> Result<Digest, RegistryError> {
        self.push_blob_in_chunks(reference, bytes, None).await
    }

    /// Uploads a blob in chunks of `chunk_size` bytes (`PATCH` with `Content-Range`), or in
    /// one request when `chunk_size` is `None`. Skipped when the blob already exists.
    pub async fn push_blob_in_chunks(
        &self,
        reference: &Reference,
        bytes: Vec<u8>,
        chunk_size: Option<usize>,
    ) -> Result<Digest, RegistryError> {
        let digest = Digest::sha256(&bytes);
        if self.blob_exists(reference, &digest).await? {
            return Ok(digest);
        }
        let mut location = self.start_upload(reference).await?;
        let bytes = Bytes::from(bytes);
        let final_body = match chunk_size {
            None => bytes.clone(),
            Some(size) => {
                let size = size.max(1);
                let mut offset = 0;
                while offset < bytes.len() {
                    let end = (offset + size).min(bytes.len());
                    let mut headers = HeaderMap::new();
                    headers.insert(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    );
                    headers.insert(
                        CONTENT_RANGE,
                        header_value(&format!("{offset}-{}", end - 1))?,
                    );
                    headers.insert(CONTENT_LENGTH, header_value(&(end - offset).to_string())?);
                    let response = self
                        .send(
                            Request::new(Method::PATCH, reference, location.clone())
                                .with_headers(headers)
                                .body(bytes.slice(offset..end))
                                .push(),
                        )
                        .await?;
                    let response = self
                        .expect_success(reference, "PATCH", response, "blob upload chunk")
                        .await?;
                    location = self.location(reference, &response)?;
                    offset = end;
                }
                Bytes::new()
            }
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let path = format!("{location}{separator}digest={digest}");
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        let response = self
            .send(
                Request::new(Method::PUT, reference, path)
                    .with_headers(headers)
                    .body(final_body)
                    .push(),
            )
            .await?;
        let what = format!("blob {digest} upload");
        let response = self
            .expect_success(reference, "PUT", response, &what)
            .await?;
        if response.status() != StatusCode::CREATED {
            return Err(self.protocol(
                reference,
                format!(
                    "answered {} instead of 201 to the blob upload",
                    response.status()
                ),
            ));
        }
        Ok(digest)
    }

    /// Whether the repository has the blob (`HEAD`).
    pub async fn blob_exists(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", reference.repository());
        let response = self
            .send(Request::new(Method::HEAD, reference, path).push())
            .await?;
        match response.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => self
                .expect_success(reference, "HEAD", response, "blob")
                .await
                .map(|_| false),
        }
    }

    /// Uploads a manifest under the reference's tag (or digest); checks the registry stored
    /// exactly these bytes. Returns the manifest digest.
    pub async fn push_manifest(
        &self,
        reference: &Reference,
        manifest: &RawManifest,
    ) -> Result<Digest, RegistryError> {
        let path = format!(
            "/v2/{}/manifests/{}",
            reference.repository(),
            reference.manifest_key()
        );
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, header_value(&manifest.media_type)?);
        let response = self
            .send(
                Request::new(Method::PUT, reference, path)
                    .with_headers(headers)
                    .body(Bytes::from(manifest.bytes.clone()))
                    .push(),
            )
            .await?;
        let what = format!("manifest {reference} upload");
        let response = self
            .expect_success(reference, "PUT", response, &what)
            .await?;
        let stored = header_text(response.headers(), "docker-content-digest")
            .and_then(|v| v.parse::<Digest>().ok());
        if let Some(stored) = stored.filter(|d| *d != manifest.digest) {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: manifest.digest.clone(),
                actual: stored,
            });
        }
        Ok(manifest.digest.clone())
    }

    async fn start_upload(&self, reference: &Reference) -> Result<String, RegistryError> {
        let path = format!("/v2/{}/blobs/uploads/", reference.repository());
        let response = self
            .send(Request::new(Method::POST, reference, path).push())
            .await?;
        let response = self
            .expect_success(reference, "POST", response, "blob upload")
            .await?;
        self.location(reference, &response)
    }

    fn location(
        &self,
        reference: &Reference,
        response: &reqwest::Response,
    ) -> Result<String, RegistryError> {
        let location = header_text(response.headers(), LOCATION.as_str()).ok_or_else(|| {
            self.protocol(reference, "an upload answer has no Location header".into())
        })?;
        // Locations are resolved against the registry's URL and must stay on its origin:
        // uploads carry our credentials.
        let base = self
            .origin(reference)?
            .join(response.url().path())
            .map_err(|e| self.protocol(reference, format!("cannot resolve the upload URL: {e}")))?;
        api::same_origin_path(&base, &location).ok_or_else(|| {
            self.protocol(
                reference,
                format!(
                    "upload Location points to another origin ({}); refused",
                    crate::text::printable(&location)
                ),
            )
        })
    }

    fn protocol(&self, reference: &Reference, message: String) -> RegistryError {
        RegistryError::Protocol {
            registry: reference.registry().to_owned(),
            message,
        }
    }
}

fn header_value(text: &str) -> Result<HeaderValue, RegistryError> {
    HeaderValue::from_str(text).map_err(|_| RegistryError::Protocol {
        registry: "(request)".into(),
        message: format!("{text:?} is not a valid header value"),
    })
}
