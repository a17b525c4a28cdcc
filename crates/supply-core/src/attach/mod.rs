//! cosign's attachments to an image: the `sha256-<hex>.sig` / `.att` images and their layers.
//! `fetch` reads their payloads within fixed bounds, whatever the attached image claims.

pub mod fetch;

pub use fetch::{FetchLimits, Unusable};
