//! What the server holds that can change under it: the policies and the TLS certificate.
//! A thread watches the files (and SIGHUP requests) and swaps in new versions; a file that no
//! longer loads leaves the previous version serving, and says so.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use supply_core::admission::PolicySet;

use super::metrics::Metrics;
use crate::cli::{PolicyArgs, TrustArgs};

/// The current policies and certificate.
pub(crate) struct Live {
    policies: RwLock<Arc<PolicySet>>,
    pub(crate) certificate: Option<Arc<Certificate>>,
    reload_requested: AtomicBool,
}

impl Live {
    pub(crate) fn new(policies: PolicySet, certificate: Option<Arc<Certificate>>) -> Self {
        Self {
            policies: RwLock::new(Arc::new(policies)),
            certificate,
            reload_requested: AtomicBool::new(false),
        }
    }

    pub(crate) fn policies(&self) -> Arc<PolicySet> {
        self.policies
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Asks the watcher to reload now (SIGHUP).
    pub(crate) fn request_reload(&self) {
        self.reload_requested.store(true, Ordering::SeqCst);
    }
}

/// The serving certificate, swappable while connections continue.
#[derive(Debug)]
pub(crate) struct Certificate {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificate {
    pub(crate) fn load(cert: &PathBuf, key: &PathBuf) -> anyhow::Result<Self> {
        Ok(Self {
            current: RwLock::new(Arc::new(certified_key(cert, key)?)),
        })
    }

    fn replace(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
    }
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

fn certified_key(cert: &PathBuf, key: &PathBuf) -> anyhow::Result<CertifiedKey> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    // The key's bytes are never printed: only whether it parsed.
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|_| anyhow::anyhow!("{} holds no usable private key", key.display()))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&private)
        .map_err(|_| anyhow::anyhow!("{}: the key type is not supported", key.display()))?;
    Ok(CertifiedKey::new(chain, signing))
}

/// What the watcher needs to reload.
pub(crate) struct Sources {
    pub(crate) policy: PolicyArgs,
    pub(crate) trust: TrustArgs,
    pub(crate) tls: Option<(PathBuf, PathBuf)>,
}

impl Sources {
    fn files(&self) -> Vec<PathBuf> {
        let mut files = self.policy.files.clone();
        files.extend(self.policy.trust_roots.iter().map(|(_, p)| p.clone()));
        files.extend(self.trust.trusted_root.clone());
        if let Some((cert, key)) = &self.tls {
            files.extend([cert.clone(), key.clone()]);
        }
        files
    }
}

type Fingerprint = Vec<Option<(SystemTime, u64)>>;

fn fingerprint(files: &[PathBuf]) -> Fingerprint {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// Starts the watcher thread: every `period`, or at once after SIGHUP, reloads what changed.
/// A plain thread, not a task: loading may fetch the trusted root through the blocking facade.
pub(crate) fn watch(live: Arc<Live>, sources: Sources, metrics: Arc<Metrics>, period: Duration) {
    std::thread::Builder::new()
        .name("supply-reload".into())
        .spawn(move || {
            let files = sources.files();
            let mut seen = fingerprint(&files);
            loop {
                std::thread::sleep(period);
                let asked = live.reload_requested.swap(false, Ordering::SeqCst);
                let now = fingerprint(&files);
                if !asked && now == seen {
                    continue;
                }
                seen = now;
                reload(&live, &sources, &metrics);
            }
        })
        .map(drop)
        .unwrap_or_else(|e| log(&format!("cannot start the reload thread: {e}")));
}

fn reload(live: &Live, sources: &Sources, metrics: &Metrics) {
    let policies = crate::cmd::admission::load_policies(&sources.policy, &sources.trust);
    let certificate = match (&sources.tls, &live.certificate) {
        (Some((cert, key)), Some(_)) => Some(certified_key(cert, key)),
        _ => None,
    };
    match (policies, certificate) {
        (Ok(set), certificate) => {
            let count = set.policies.len();
            *live.policies.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(set);
            metrics.policies.store(count as u64, Ordering::Relaxed);
            match certificate {
                Some(Ok(key)) => {
                    if let Some(current) = &live.certificate {
                        current.replace(key);
                    }
                }
                Some(Err(error)) => {
                    metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                    log(&format!(
                        "certificate reload failed, keeping the previous one: {error:#}"
                    ));
                    return;
                }
                None => {}
            }
            metrics.reloads_ok.fetch_add(1, Ordering::Relaxed);
            log(&format!("reloaded: {count} policies"));
        }
        (Err(error), _) => {
            metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
            log(&format!(
                "policy reload failed, keeping the previous policies: {error:#}"
            ));
        }
    }
}

pub(crate) fn log(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "supply admission: {line}");
}
