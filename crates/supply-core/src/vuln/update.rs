//! `db update`: the per-ecosystem OSV archives fetched from a mirror (OSV's own layout,
//! `<mirror>/<ecosystem>/all.zip`) for air-gapped use. Each download is size-bounded, checked
//! (a readable zip whose entries are OSV records) and only then renamed over the old archive,
//! so a truncated or corrupt download never replaces a good database. The prepared index is
//! rebuilt afterwards, so the scans that follow read it instead of the archives.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::ScanError;

/// The ecosystems supply scans.
pub const ECOSYSTEMS: &[&str] = &["crates.io", "PyPI", "npm"];

/// What updating did, per ecosystem: the archive written and its size.
#[derive(Clone, Debug)]
pub struct Updated {
    /// The ecosystem.
    pub ecosystem: String,
    /// The archive written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: usize,
    /// How many records it holds.
    pub records: usize,
}

fn network(url: &str, reason: String) -> ScanError {
    ScanError::Mirror {
        url: url.to_owned(),
        reason,
    }
}

/// Downloads each ecosystem's archive from `mirror` into `dir` (`<ecosystem>.zip`).
pub async fn update(
    mirror: &str,
    dir: &Path,
    ecosystems: &[String],
    timeout: Duration,
) -> Result<Vec<Updated>, ScanError> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!("supply/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| network(mirror, e.to_string()))?;
    std::fs::create_dir_all(dir).map_err(|e| ScanError::Record {
        file: dir.to_owned(),
        reason: e.to_string(),
    })?;
    let mut done = Vec::new();
    for ecosystem in ecosystems {
        let url = format!("{}/{ecosystem}/all.zip", mirror.trim_end_matches('/'));
        let mut response = client
            .get(&url)
            .send()
            .await
            .map_err(|e| network(&url, e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(network(
                &url,
                format!("HTTP {}", response.status().as_u16()),
            ));
        }
        let declared = response.content_length();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| network(&url, e.without_url().to_string()))?
        {
            if (body.len() + chunk.len()) as u64 > super::db::MAX_ARCHIVE_BYTES {
                return Err(network(
                    &url,
                    format!("larger than {} bytes", super::db::MAX_ARCHIVE_BYTES),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        if declared.is_some_and(|d| d != body.len() as u64) {
            return Err(network(&url, "the download is truncated".into()));
        }
        // Checked where it will live (same filesystem, so the rename is atomic), under a name
        // the loader skips.
        let temporary = dir.join(format!(".{ecosystem}.zip.partial"));
        std::fs::write(&temporary, &body).map_err(|e| ScanError::Record {
            file: temporary.clone(),
            reason: e.to_string(),
        })?;
        let mut check = super::db::Database::default();
        let records = match check.load_archive_checked(&temporary) {
            Ok(()) => check.len(),
            Err(e) => {
                let _ = std::fs::remove_file(&temporary);
                return Err(network(&url, format!("not a usable OSV archive: {e}")));
            }
        };
        let path = dir.join(format!("{ecosystem}.zip"));
        std::fs::rename(&temporary, &path).map_err(|e| ScanError::Record {
            file: path.clone(),
            reason: e.to_string(),
        })?;
        tracing::info!(
            ecosystem,
            records,
            bytes = body.len(),
            "OSV archive updated"
        );
        done.push(Updated {
            ecosystem: ecosystem.clone(),
            path,
            bytes: body.len(),
            records,
        });
    }
    // The prepared index now, so that the first scan after an update is a warm one.
    if !done.is_empty() {
        let (_, used) = super::Database::load_indexed(dir, false, &[])?;
        tracing::info!(?used, "prepared index");
    }
    Ok(done)
}
