//! Version orderings for evaluating OSV ranges.
//!
//! An OSV range's events only mean something under an ordering: a range of type `SEMVER` is
//! evaluated with SemVer 2.0.0 precedence ([`semver`]), and a range of type `ECOSYSTEM` with the
//! ordering of the package's own ecosystem: SemVer again for crates.io and npm, and for PyPI
//! PEP 440 as Python's `packaging` orders versions ([`pep440`]), where `1.0 == 1.0.0`,
//! `1.0.dev0 < 1.0a0` and an epoch outranks everything else. Comparing version strings, or
//! applying one ecosystem's rules to another's versions, gets ranges wrong, so each ordering is
//! its own type, and a version that does not parse under it is reported as such rather than
//! guessed at.

pub mod pep440;
pub mod semver;
