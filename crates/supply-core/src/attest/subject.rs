//! What provenance is about: files (hashed while read, never held in memory) and images (their
//! tag resolved to the manifest digest once).

use std::path::PathBuf;

use super::intoto::Subject;
use crate::fsio::{self, FileError};
use crate::oci::{Reference, ReferenceError, RegistryClient, RegistryError};

/// A subject as given: a file or an image.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum SubjectSource {
    /// A local file.
    File(PathBuf),
    /// An image reference.
    Image(Reference),
}

impl SubjectSource {
    /// A path naming an existing file is a file; anything else must be an image reference.
    pub fn parse(text: &str) -> Result<Self, SubjectError> {
        let path = PathBuf::from(text);
        if path.is_file() {
            return Ok(Self::File(path));
        }
        text.parse()
            .map(Self::Image)
            .map_err(|source| SubjectError::Neither {
                text: text.to_owned(),
                source,
            })
    }
}

/// A subject could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubjectError {
    /// Not an existing file, and not an image reference either.
    #[error("{text:?} is neither a file nor an image reference")]
    Neither {
        /// What was given.
        text: String,
        /// Why it is no reference.
        #[source]
        source: ReferenceError,
    },
    /// The file could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// The image could not be resolved.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl crate::error::Classify for SubjectError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Neither { .. } => crate::ErrorKind::InvalidInput,
            Self::File(e) => e.kind(),
            Self::Registry(e) => e.kind(),
        }
    }
}

impl From<crate::blocking::BlockingError> for SubjectError {
    fn from(error: crate::blocking::BlockingError) -> Self {
        Self::Registry(error.into())
    }
}

/// The in-toto subjects for these sources, in order: files by their SHA-256 (named by their
/// file name), images by their manifest digest (named by their repository).
pub async fn resolve_subjects(
    client: &RegistryClient,
    sources: &[SubjectSource],
) -> Result<Vec<Subject>, SubjectError> {
    let mut subjects = Vec::with_capacity(sources.len());
    for source in sources {
        subjects.push(match source {
            SubjectSource::File(path) => {
                let owned = path.clone();
                let digest = tokio::task::spawn_blocking(move || fsio::sha256_file(&owned))
                    .await
                    .map_err(|e| FileError::Read {
                        path: path.clone(),
                        source: std::io::Error::other(e),
                    })??;
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                Subject::new(name, &digest)
            }
            SubjectSource::Image(image) => {
                Subject::new(Some(image.repository_name()), &client.resolve(image).await?)
            }
        });
    }
    Ok(subjects)
}
