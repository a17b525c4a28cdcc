//! Fetching the layers of an attached cosign image (`.sig` / `.att`) without letting the image
//! decide what that costs: each distinct blob is fetched once however many descriptors name it,
//! at most `concurrency` at a time, each read capped at its declared size (itself capped), all of
//! them together within a byte budget, and each handed to the caller as it arrives, so memory
//! holds about one payload per fetch in flight.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt as _;

use crate::digest::Digest;
use crate::oci::{Descriptor, Reference, RegistryClient, RegistryError};
use crate::verify::finding::Code;

/// What one verification may fetch.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct FetchLimits {
    /// Largest single payload.
    pub max_payload: u64,
    /// All payloads of one verification together.
    pub budget: u64,
    /// Fetches in flight at once.
    pub concurrency: usize,
}

/// Why a layer's payload was not fetched or not usable. Each is a decision about this layer
/// (the registry answered; what it served is unusable), never a network failure.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Unusable {
    /// The descriptor declares more bytes than a payload may have.
    #[error("the payload is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The blob is not as large as its descriptor says.
    #[error("the payload has {actual} bytes, its descriptor says {declared}")]
    SizeMismatch {
        /// Declared size.
        declared: u64,
        /// Bytes received (at most the declared size plus one: reading stops there).
        actual: u64,
    },
    /// Fetching it would exceed what one verification may download.
    #[error("the attached payloads exceed the budget of {budget} bytes for one verification")]
    BudgetExhausted {
        /// The budget.
        budget: u64,
    },
    /// The registry has no such blob.
    #[error("the registry has no payload blob {digest}")]
    Missing {
        /// The layer digest.
        digest: Digest,
    },
    /// The registry served bytes that do not hash to the layer digest.
    #[error("the payload blob does not match its digest {digest}")]
    DigestMismatch {
        /// The layer digest.
        digest: Digest,
    },
}

impl Unusable {
    /// The finding's code.
    pub fn code(&self) -> Code {
        match self {
            Self::TooLarge { .. } => Code::PayloadTooLarge,
            Self::SizeMismatch { .. } => Code::PayloadSizeMismatch,
            Self::BudgetExhausted { .. } => Code::FetchBudgetExhausted,
            Self::Missing { .. } => Code::PayloadMissing,
            Self::DigestMismatch { .. } => Code::PayloadDigestMismatch,
        }
    }
}

/// Layers grouped by digest, each group with the indexes of its descriptors.
type Group = (Digest, Vec<usize>);

/// Fetches the payloads of `layers` (blobs of `reference`'s repository) and calls `check` once
/// per distinct digest, with the indexes of the descriptors that name it and the payload (or
/// why it is unusable). `check`'s results are returned sorted by descriptor index. A network
/// failure on any blob is `Err`: the caller could not decide and must fail closed.
pub(crate) async fn for_each_payload<T>(
    client: &RegistryClient,
    reference: &Reference,
    layers: &[Descriptor],
    limits: FetchLimits,
    mut check: impl FnMut(&[usize], Result<&[u8], Unusable>) -> Vec<(usize, T)>,
) -> Result<Vec<(usize, T)>, RegistryError> {
    let mut by_digest: BTreeMap<&Digest, Vec<usize>> = BTreeMap::new();
    for (index, layer) in layers.iter().enumerate() {
        by_digest.entry(&layer.digest).or_default().push(index);
    }
    let mut groups: Vec<Group> = by_digest
        .into_iter()
        .map(|(digest, indexes)| (digest.clone(), indexes))
        .collect();
    // First appearance first, so the layer order of the image decides what is fetched first.
    groups.sort_by_key(|(_, indexes)| indexes.first().copied());
    let spent = AtomicU64::new(0);
    let fetches = groups.into_iter().map(|(digest, indexes)| {
        let spent = &spent;
        async move {
            let declared = indexes
                .iter()
                .filter_map(|&i| layers.get(i))
                .map(|layer| layer.size)
                .max()
                .unwrap_or(0);
            let outcome = fetch_one(client, reference, &digest, declared, limits, spent).await;
            (indexes, outcome)
        }
    });
    let mut stream =
        futures_util::stream::iter(fetches).buffer_unordered(limits.concurrency.max(1));
    let mut results = Vec::with_capacity(layers.len());
    while let Some((indexes, outcome)) = stream.next().await {
        let payload = outcome?;
        match payload {
            Ok(bytes) => {
                // Descriptors that disagree with the bytes about their size are refused alone.
                let (agreeing, disagreeing): (Vec<usize>, Vec<usize>) = indexes
                    .iter()
                    .partition(|&&i| layers.get(i).is_some_and(|l| l.size == bytes.len() as u64));
                for index in disagreeing {
                    let declared = layers.get(index).map_or(0, |l| l.size);
                    results.extend(check(
                        &[index],
                        Err(Unusable::SizeMismatch {
                            declared,
                            actual: bytes.len() as u64,
                        }),
                    ));
                }
                if !agreeing.is_empty() {
                    results.extend(check(&agreeing, Ok(&bytes)));
                }
            }
            Err(unusable) => results.extend(check(&indexes, Err(unusable))),
        }
    }
    results.sort_by_key(|(index, _)| *index);
    Ok(results)
}

/// Fetches one blob of `declared` bytes, reserving them from the shared budget first.
async fn fetch_one(
    client: &RegistryClient,
    reference: &Reference,
    digest: &Digest,
    declared: u64,
    limits: FetchLimits,
    spent: &AtomicU64,
) -> Result<Result<Vec<u8>, Unusable>, RegistryError> {
    if declared > limits.max_payload {
        return Ok(Err(Unusable::TooLarge {
            size: declared,
            limit: limits.max_payload,
        }));
    }
    let before = spent.fetch_add(declared, Ordering::Relaxed);
    if before.saturating_add(declared) > limits.budget {
        return Ok(Err(Unusable::BudgetExhausted {
            budget: limits.budget,
        }));
    }
    match client.blob_limited(reference, digest, declared).await {
        Ok(bytes) => Ok(Ok(bytes)),
        // More bytes than declared: reading stopped at the declared size.
        Err(RegistryError::TooLarge { .. }) => Ok(Err(Unusable::SizeMismatch {
            declared,
            actual: declared + 1,
        })),
        Err(RegistryError::DigestMismatch { .. }) => Ok(Err(Unusable::DigestMismatch {
            digest: digest.clone(),
        })),
        Err(RegistryError::NotFound { .. }) => Ok(Err(Unusable::Missing {
            digest: digest.clone(),
        })),
        Err(e) => Err(e),
    }
}
