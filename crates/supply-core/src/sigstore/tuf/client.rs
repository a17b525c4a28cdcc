//! The TUF client workflow (specification 1.0 §5, as python-tuf's ngclient and go-tuf run it):
//! the root chain from the pinned root, then timestamp, snapshot and targets with their
//! rollback, version and expiry checks, then one target by its length and hashes. Every file is
//! size-capped; the cache is re-verified from the pinned root on every run, and offline runs
//! use only it.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::metadata::{Metadata, check_file};
use super::{TufError, TufOptions};

const MAX_ROOT_ROTATIONS: u64 = 256;
const ROOT_MAX: u64 = 512_000;
const TIMESTAMP_MAX: u64 = 16_384;
const SNAPSHOT_MAX: u64 = 2_000_000;
const TARGETS_MAX: u64 = 5_000_000;
const TARGET_MAX: u64 = 16 * 1024 * 1024;

pub(crate) struct Client<'a> {
    options: &'a TufOptions,
    http: reqwest::Client,
    root: Metadata,
    root_bytes: Vec<u8>,
}

impl<'a> Client<'a> {
    pub(crate) fn new(options: &'a TufOptions) -> Result<Self, TufError> {
        let root = Metadata::parse(&options.pinned_root, "root")?;
        root.check_signed_by(
            root.field("keys").unwrap_or(&Value::Null),
            root.field("roles")
                .and_then(|r| r.get("root"))
                .unwrap_or(&Value::Null),
            "root",
        )?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .user_agent(concat!("supply/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TufError::Network {
                url: options.metadata_url.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            options,
            http,
            root_bytes: options.pinned_root.clone(),
            root,
        })
    }

    /// Refreshes the metadata and returns the target's verified bytes.
    pub(crate) async fn target(&mut self, name: &str) -> Result<Vec<u8>, TufError> {
        // Offline with nothing cached is its own answer, whatever the pinned root's age.
        if self.options.offline && self.cached("timestamp.json").is_none() {
            return Err(TufError::Offline {
                file: "timestamp.json",
            });
        }
        self.update_root().await?;
        let timestamp = self.update_timestamp().await?;
        let snapshot = self.update_snapshot(&timestamp).await?;
        let targets = self.update_targets(&snapshot).await?;
        let entry = targets
            .field("targets")
            .and_then(|t| t.get(name))
            .ok_or_else(|| TufError::TargetMissing(name.to_owned()))?
            .clone();
        if entry.get("length").and_then(Value::as_u64).is_none()
            || entry
                .get("hashes")
                .and_then(Value::as_object)
                .is_none_or(serde_json::Map::is_empty)
        {
            return Err(TufError::Invalid {
                role: "targets",
                reason: format!("the entry for {name} has no length or hashes"),
            });
        }
        let cached_name = format!("targets/{}", quote(name));
        if let Some(cached) = self.cached(&cached_name)
            && check_file(&entry, &cached, name).is_ok()
        {
            return Ok(cached);
        }
        self.online("the target")?;
        let file = if self.consistent() {
            let hash = entry
                .get("hashes")
                .and_then(|h| {
                    h.get("sha256")
                        .or_else(|| h.as_object().and_then(|o| o.values().next()))
                })
                .and_then(Value::as_str)
                .unwrap_or_default();
            format!("{hash}.{name}")
        } else {
            name.to_owned()
        };
        let limit = entry
            .get("length")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(TARGET_MAX);
        let url = format!("{}/{file}", self.options.targets_url.trim_end_matches('/'));
        let bytes = self
            .get(&url, limit)
            .await?
            .ok_or_else(|| TufError::TargetMissing(name.to_owned()))?;
        check_file(&entry, &bytes, name)?;
        self.persist(&cached_name, &bytes)?;
        Ok(bytes)
    }

    fn consistent(&self) -> bool {
        self.root
            .field("consistent_snapshot")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn role_keys(&self, role: &str) -> (&Value, &Value) {
        (
            self.root.field("keys").unwrap_or(&Value::Null),
            self.root
                .field("roles")
                .and_then(|r| r.get(role))
                .unwrap_or(&Value::Null),
        )
    }

    /// §5.3: each next root must be signed by the old root's and its own root keys and have
    /// exactly the next version; the final root must not be expired.
    async fn update_root(&mut self) -> Result<(), TufError> {
        let start = self.root.version;
        for version in start + 1..=start + MAX_ROOT_ROTATIONS {
            let name = format!("root_history/{version}.root.json");
            let cached = self
                .cached(&name)
                .and_then(|bytes| self.next_root(&bytes, version).ok().map(|m| (bytes, m)));
            let (bytes, next) = match cached {
                Some(found) => found,
                None if self.options.offline => break,
                None => {
                    let url = format!(
                        "{}/{version}.root.json",
                        self.options.metadata_url.trim_end_matches('/')
                    );
                    let Some(bytes) = self.get(&url, ROOT_MAX).await? else {
                        break;
                    };
                    let next = self.next_root(&bytes, version)?;
                    self.persist(&name, &bytes)?;
                    (bytes, next)
                }
            };
            self.root = next;
            self.root_bytes = bytes;
        }
        if self.root.expired(self.options.now) {
            return Err(TufError::Expired { role: "root" });
        }
        let root_bytes = self.root_bytes.clone();
        self.persist("root.json", &root_bytes)
    }

    fn next_root(&self, bytes: &[u8], version: u64) -> Result<Metadata, TufError> {
        let next = Metadata::parse(bytes, "root")?;
        let (keys, role) = self.role_keys("root");
        next.check_signed_by(keys, role, "root")?;
        if next.version != version {
            return Err(TufError::Version {
                role: "root",
                expected: version,
                found: next.version,
            });
        }
        next.check_signed_by(
            next.field("keys").unwrap_or(&Value::Null),
            next.field("roles")
                .and_then(|r| r.get("root"))
                .unwrap_or(&Value::Null),
            "root",
        )?;
        Ok(next)
    }

    /// §5.4: a newer (or the same) timestamp, for no older snapshot, not expired.
    async fn update_timestamp(&self) -> Result<Metadata, TufError> {
        let (keys, role) = self.role_keys("timestamp");
        let load = |bytes: &[u8]| -> Result<Metadata, TufError> {
            let metadata = Metadata::parse(bytes, "timestamp")?;
            metadata.check_signed_by(keys, role, "timestamp")?;
            snapshot_version(&metadata).ok_or(TufError::Invalid {
                role: "timestamp",
                reason: "no snapshot.json version".into(),
            })?;
            Ok(metadata)
        };
        // The cached one, even expired, is the rollback reference; one that no longer verifies
        // (a rotated key) is dropped.
        let trusted = self.cached("timestamp.json").and_then(|b| load(&b).ok());
        let new = if self.options.offline {
            trusted.clone().ok_or(TufError::Offline {
                file: "timestamp.json",
            })?
        } else {
            let url = format!(
                "{}/timestamp.json",
                self.options.metadata_url.trim_end_matches('/')
            );
            let bytes = self
                .get(&url, TIMESTAMP_MAX)
                .await?
                .ok_or(TufError::Missing {
                    file: "timestamp.json".into(),
                })?;
            let new = load(&bytes)?;
            if let Some(trusted) = &trusted {
                if new.version < trusted.version {
                    return Err(TufError::Rollback {
                        role: "timestamp",
                        trusted: trusted.version,
                        new: new.version,
                    });
                }
                if snapshot_version(&new) < snapshot_version(trusted) {
                    return Err(TufError::Rollback {
                        role: "snapshot",
                        trusted: snapshot_version(trusted).unwrap_or(0),
                        new: snapshot_version(&new).unwrap_or(0),
                    });
                }
            }
            if new.expired(self.options.now) {
                return Err(TufError::Expired { role: "timestamp" });
            }
            // The same version as the cached one: keep the cached file.
            if trusted.as_ref().is_none_or(|t| t.version != new.version) {
                self.persist("timestamp.json", &bytes)?;
            }
            new
        };
        if new.expired(self.options.now) {
            return Err(TufError::Expired { role: "timestamp" });
        }
        Ok(new)
    }

    /// §5.5: the snapshot the timestamp names, no file dropped or rolled back, not expired.
    async fn update_snapshot(&self, timestamp: &Metadata) -> Result<Metadata, TufError> {
        let entry = timestamp
            .field("meta")
            .and_then(|m| m.get("snapshot.json"))
            .cloned()
            .unwrap_or(Value::Null);
        let wanted = snapshot_version(timestamp).unwrap_or(0);
        let (keys, role) = self.role_keys("snapshot");
        let load = |bytes: &[u8]| -> Result<Metadata, TufError> {
            let metadata = Metadata::parse(bytes, "snapshot")?;
            metadata.check_signed_by(keys, role, "snapshot")?;
            Ok(metadata)
        };
        let trusted = self.cached("snapshot.json").and_then(|b| load(&b).ok());
        if let Some(trusted) = &trusted
            && trusted.version == wanted
            && !trusted.expired(self.options.now)
        {
            return Ok(trusted.clone());
        }
        self.online("snapshot.json")?;
        let name = if self.consistent() {
            format!("{wanted}.snapshot.json")
        } else {
            "snapshot.json".into()
        };
        let limit = entry
            .get("length")
            .and_then(Value::as_u64)
            .unwrap_or(SNAPSHOT_MAX)
            .min(SNAPSHOT_MAX);
        let url = format!("{}/{name}", self.options.metadata_url.trim_end_matches('/'));
        let bytes = self
            .get(&url, limit)
            .await?
            .ok_or(TufError::Missing { file: name.clone() })?;
        check_file(&entry, &bytes, "snapshot.json")?;
        let new = load(&bytes)?;
        if let Some(trusted) = &trusted {
            for (file, old) in trusted
                .field("meta")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let old_version = old.get("version").and_then(Value::as_u64).unwrap_or(0);
                let new_version = new
                    .field("meta")
                    .and_then(|m| m.get(file))
                    .and_then(|e| e.get("version"))
                    .and_then(Value::as_u64);
                match new_version {
                    Some(v) if v >= old_version => {}
                    _ => {
                        return Err(TufError::Rollback {
                            role: "snapshot",
                            trusted: old_version,
                            new: new_version.unwrap_or(0),
                        });
                    }
                }
            }
        }
        if new.expired(self.options.now) {
            return Err(TufError::Expired { role: "snapshot" });
        }
        if new.version != wanted {
            return Err(TufError::Version {
                role: "snapshot",
                expected: wanted,
                found: new.version,
            });
        }
        self.persist("snapshot.json", &bytes)?;
        Ok(new)
    }

    /// §5.6: the top-level targets the snapshot names, not expired (Sigstore's targets are all
    /// top-level; its one delegation, for npm's keys, is never walked).
    async fn update_targets(&self, snapshot: &Metadata) -> Result<Metadata, TufError> {
        let entry = snapshot
            .field("meta")
            .and_then(|m| m.get("targets.json"))
            .cloned()
            .ok_or(TufError::Invalid {
                role: "snapshot",
                reason: "no targets.json entry".into(),
            })?;
        let wanted = entry.get("version").and_then(Value::as_u64).unwrap_or(0);
        let (keys, role) = self.role_keys("targets");
        let now = self.options.now;
        let load = |bytes: &[u8]| -> Result<Metadata, TufError> {
            check_file(&entry, bytes, "targets.json")?;
            let metadata = Metadata::parse(bytes, "targets")?;
            metadata.check_signed_by(keys, role, "targets")?;
            if metadata.version != wanted {
                return Err(TufError::Version {
                    role: "targets",
                    expected: wanted,
                    found: metadata.version,
                });
            }
            if metadata.expired(now) {
                return Err(TufError::Expired { role: "targets" });
            }
            Ok(metadata)
        };
        if let Some(cached) = self.cached("targets.json").and_then(|b| load(&b).ok()) {
            return Ok(cached);
        }
        self.online("targets.json")?;
        let name = if self.consistent() {
            format!("{wanted}.targets.json")
        } else {
            "targets.json".into()
        };
        let limit = entry
            .get("length")
            .and_then(Value::as_u64)
            .unwrap_or(TARGETS_MAX)
            .min(TARGETS_MAX);
        let url = format!("{}/{name}", self.options.metadata_url.trim_end_matches('/'));
        let bytes = self
            .get(&url, limit)
            .await?
            .ok_or(TufError::Missing { file: name })?;
        let targets = load(&bytes)?;
        self.persist("targets.json", &bytes)?;
        Ok(targets)
    }

    fn online(&self, file: &'static str) -> Result<(), TufError> {
        if self.options.offline {
            Err(TufError::Offline { file })
        } else {
            Ok(())
        }
    }

    /// GET `url`, at most `limit` bytes; `None` for 403/404 (the end of the root chain).
    async fn get(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, TufError> {
        let network = |reason: String| TufError::Network {
            url: url.to_owned(),
            reason,
        };
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| network(e.to_string()))?;
        let status = response.status().as_u16();
        if status == 403 || status == 404 {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(network(format!("HTTP {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| network(e.to_string()))? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(network(format!("more than {limit} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    fn cache_path(&self, name: &str) -> Option<PathBuf> {
        self.options.cache_dir.as_ref().map(|dir| dir.join(name))
    }

    fn cached(&self, name: &str) -> Option<Vec<u8>> {
        let path = self.cache_path(name)?;
        crate::fsio::read_bounded(&path, TARGET_MAX).ok()
    }

    fn persist(&self, name: &str, bytes: &[u8]) -> Result<(), TufError> {
        let Some(path) = self.cache_path(name) else {
            return Ok(());
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| cache_error(parent, e))?;
        }
        crate::fsio::write_atomic(&path, bytes).map_err(|e| TufError::Cache {
            path: path.clone(),
            reason: e.to_string(),
        })
    }
}

fn snapshot_version(timestamp: &Metadata) -> Option<u64> {
    timestamp
        .field("meta")?
        .get("snapshot.json")?
        .get("version")?
        .as_u64()
}

fn cache_error(path: &Path, error: std::io::Error) -> TufError {
    TufError::Cache {
        path: path.to_path_buf(),
        reason: error.to_string(),
    }
}

/// A target name as a single file name in the cache.
fn quote(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
