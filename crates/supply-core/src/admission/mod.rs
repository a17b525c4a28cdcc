//! Admission: sigstore policy-controller's `ClusterImagePolicy` ([`policy`]), matched with
//! its globs ([`glob`]), evaluated against images with cached, single-flight verification
//! ([`evaluate`], [`cache`]), and Kubernetes `AdmissionReview` in and out ([`review`]). The
//! HTTP server around it lives in the CLI (`supply admission serve`); everything it decides
//! is decided here.

pub mod cache;
pub mod evaluate;
pub mod glob;
pub mod policy;
pub mod review;

pub use evaluate::{CacheConfig, Evaluator, ImageDecision, PolicyOutcome};
pub use policy::{NoMatch, PolicyFile, PolicyLoadError, PolicySet, TrustRoot, TrustRoots};
pub use review::{ImageAt, Review, ReviewError};
