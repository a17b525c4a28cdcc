//! Where keyless signing goes: Fulcio, Rekor and optionally a timestamp authority, given as
//! URLs or chosen from a Sigstore `SigningConfig` (v0.2: each service with its API version and
//! validity; the first one valid now with a version we speak is used, as sigstore-go's `ANY`
//! selector does).

use serde::Deserialize;

use super::KeylessError;
use crate::sigstore::encoding;

const SIGNING_CONFIG_V02: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
const MAX_SIGNING_CONFIG_BYTES: usize = 1024 * 1024;

/// The services' URLs.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Services {
    /// Fulcio's base URL (`/api/v2/signingCert` is appended).
    pub fulcio: String,
    /// Rekor v1's base URL (`/api/v1/log/entries` is appended).
    pub rekor: String,
    /// The timestamp authority's full URL (RFC 3161 over HTTP), if one is used.
    pub tsa: Option<String>,
}

impl Services {
    /// The public-good instance (its timestamp authority included, as cosign v3 uses it).
    pub fn public_good() -> Self {
        Self {
            fulcio: "https://fulcio.sigstore.dev".into(),
            rekor: "https://rekor.sigstore.dev".into(),
            tsa: Some("https://timestamp.sigstore.dev/api/v1/timestamp".into()),
        }
    }

    /// The public-good staging instance.
    pub fn staging() -> Self {
        Self {
            fulcio: "https://fulcio.sigstage.dev".into(),
            rekor: "https://rekor.sigstage.dev".into(),
            tsa: Some("https://timestamp.sigstage.dev/api/v1/timestamp".into()),
        }
    }

    /// The services a `SigningConfig` v0.2 names, valid at `now` (Unix seconds).
    pub fn from_signing_config(json: &[u8], now: i64) -> Result<Self, KeylessError> {
        let invalid = |reason: String| KeylessError::SigningConfig { reason };
        if json.len() > MAX_SIGNING_CONFIG_BYTES {
            return Err(invalid("larger than 1 MiB".into()));
        }
        let config: RawConfig =
            serde_json::from_slice(json).map_err(|e| invalid(format!("does not parse: {e}")))?;
        if config.media_type != SIGNING_CONFIG_V02 {
            return Err(invalid(format!(
                "media type {:?}, expected {SIGNING_CONFIG_V02}",
                config.media_type
            )));
        }
        let fulcio = select(&config.ca_urls, 1, now)?
            .ok_or_else(|| invalid("no certificate authority (Fulcio API v1) valid now".into()))?;
        // Rekor v2 entries are written through another API; only v1 is spoken here.
        let rekor = select(&config.rekor_tlog_urls, 1, now)?
            .ok_or_else(|| invalid("no Rekor v1 transparency log valid now".into()))?;
        let tsa = select(&config.tsa_urls, 1, now)?;
        Ok(Self { fulcio, rekor, tsa })
    }

    pub(crate) fn fulcio_endpoint(&self) -> String {
        format!("{}/api/v2/signingCert", self.fulcio.trim_end_matches('/'))
    }

    pub(crate) fn rekor_endpoint(&self) -> String {
        format!("{}/api/v1/log/entries", self.rekor.trim_end_matches('/'))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<RawService>,
    #[serde(default)]
    rekor_tlog_urls: Vec<RawService>,
    #[serde(default)]
    tsa_urls: Vec<RawService>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawService {
    url: String,
    #[serde(default)]
    major_api_version: u32,
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

/// The first service of `version` valid at `now`.
fn select(services: &[RawService], version: u32, now: i64) -> Result<Option<String>, KeylessError> {
    for service in services {
        if service.major_api_version != version {
            continue;
        }
        let time = |text: &Option<String>| -> Result<Option<i64>, KeylessError> {
            text.as_deref()
                .map(encoding::rfc3339_seconds)
                .transpose()
                .map_err(|e| KeylessError::SigningConfig {
                    reason: format!("{}: {e}", service.url),
                })
        };
        let validity = service.valid_for.as_ref();
        let start = time(&validity.and_then(|v| v.start.clone()))?;
        let end = time(&validity.and_then(|v| v.end.clone()))?;
        if start.is_some_and(|s| s > now) || end.is_some_and(|e| e <= now) {
            continue;
        }
        if !(service.url.starts_with("https://") || service.url.starts_with("http://")) {
            return Err(KeylessError::SigningConfig {
                reason: format!("{:?} is not an http(s) URL", service.url),
            });
        }
        return Ok(Some(service.url.clone()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_first_valid_service_of_a_known_version_is_chosen() {
        let config = br#"{
          "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
          "caUrls": [{"url": "https://old.example", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}},
                     {"url": "https://fulcio.example", "majorApiVersion": 1, "validFor": {"start": "2021-01-01T00:00:00Z"}}],
          "rekorTlogUrls": [{"url": "https://rekor2.example", "majorApiVersion": 2, "validFor": {"start": "2021-01-01T00:00:00Z"}},
                            {"url": "https://rekor.example", "majorApiVersion": 1, "validFor": {"start": "2021-01-01T00:00:00Z"}}],
          "tsaUrls": [], "rekorTlogConfig": {"selector": "ANY"}, "tsaConfig": {"selector": "ANY"}
        }"#;
        let services = Services::from_signing_config(config, 1_700_000_000).unwrap();
        assert_eq!(services.fulcio, "https://fulcio.example");
        assert_eq!(services.rekor, "https://rekor.example");
        assert_eq!(services.tsa, None);
        assert_eq!(
            services.rekor_endpoint(),
            "https://rekor.example/api/v1/log/entries"
        );
    }

    #[test]
    fn a_config_without_a_usable_service_is_an_error() {
        let v1 = br#"{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.1+json"}"#;
        assert!(Services::from_signing_config(v1, 0).is_err());
        let no_rekor = br#"{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [{"url": "https://f.example", "majorApiVersion": 1}]}"#;
        let error = Services::from_signing_config(no_rekor, 0).unwrap_err();
        assert!(error.to_string().contains("Rekor"), "{error}");
    }
}
