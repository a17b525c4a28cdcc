//! SHA-256 of a stream of pieces on a second thread, while the caller produces the next piece.
//!
//! Why: the serial number is a hash of the whole document, and hashing 3–5 MB was 7% of a
//! large Poetry run, on one core of a machine that has two. The pieces are copied into a
//! few recycled buffers (a bounded channel: at most four pieces exist at once), so memory
//! stays flat. Without a second thread (spawning failed) the pieces are hashed in place:
//! same digest, only slower.

use std::io;
use std::sync::mpsc;

use sha2::{Digest, Sha256};

/// Pieces in flight between the producer and the hashing thread.
const IN_FLIGHT: usize = 2;

/// Runs `produce`, which hands each piece of the stream to the function it is given, in
/// order; returns what `produce` returned and the SHA-256 of the pieces.
pub(super) fn sha256_of<R>(
    produce: impl FnOnce(&mut dyn FnMut(&[u8])) -> io::Result<R>,
) -> io::Result<(R, [u8; 32])> {
    std::thread::scope(|scope| {
        let (to_hasher, pieces) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
        let hasher = std::thread::Builder::new()
            .name("sbom-sha256".into())
            .spawn_scoped(scope, move || {
                let mut hasher = Sha256::new();
                for piece in pieces {
                    hasher.update(&piece);
                    // The producer may be done and gone; the buffer is then just dropped.
                    let _ = recycle.send(piece);
                }
                <[u8; 32]>::from(hasher.finalize())
            });
        let Ok(hasher) = hasher else {
            let mut inline = Sha256::new();
            let result = produce(&mut |piece| inline.update(piece))?;
            return Ok((result, inline.finalize().into()));
        };
        let mut lost = false;
        let result = produce(&mut |piece| {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(piece);
            // Fails only when the hashing thread is gone; `join` says so below.
            lost |= to_hasher.send(buf).is_err();
        });
        drop(to_hasher);
        let digest = hasher.join();
        let result = result?;
        match digest {
            Ok(digest) if !lost => Ok((result, digest)),
            _ => Err(io::Error::other("the thread hashing the document stopped")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_that_of_the_pieces_in_order() {
        let pieces: Vec<Vec<u8>> = (0..50u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
        let (count, digest) = sha256_of(|hash| {
            for piece in &pieces {
                hash(piece);
            }
            Ok(pieces.len())
        })
        .unwrap();
        assert_eq!(count, 50);
        let whole: Vec<u8> = pieces.concat();
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(&whole)));
    }

    #[test]
    fn no_pieces_is_the_digest_of_nothing() {
        let ((), digest) = sha256_of(|_| Ok(())).unwrap();
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn the_producers_error_is_returned() {
        let error = sha256_of(|hash| -> io::Result<()> {
            hash(b"some");
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
    }
}
