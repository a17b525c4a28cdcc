//! A stream of pieces written and hashed (SHA-256) on a second thread, while the caller
//! produces the next piece.
//!
//! Why: the serial number is a hash of the whole document, and hashing 3–5 MB was 7% of a
//! large Poetry run, on one core of a machine that has two; the `write` calls that put the
//! same megabytes into the page cache were another 7%. Both run behind the renderer. The
//! pieces are copied into a few recycled buffers (a bounded channel: at most four pieces exist
//! at once), so memory stays flat. Without a second thread (spawning failed) the pieces are
//! written and hashed in place: same bytes and digest, only slower. After a failed write
//! nothing more is written, and that write's error is the one returned.

use std::io::{self, Write};
use std::sync::mpsc;

use sha2::{Digest, Sha256};

/// Pieces in flight between the producer and the writing thread.
const IN_FLIGHT: usize = 2;

/// Runs `produce`; the pieces it hands over are written to `out` and hashed. Returns what
/// `produce` returned and the SHA-256 of the pieces.
pub(super) fn write_hashed<W: Write + Send, R>(
    out: &mut W,
    produce: impl FnOnce(&mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<R>,
) -> io::Result<(R, [u8; 32])> {
    // `Err(produce)`: no second thread, `produce` not run yet.
    let threaded = std::thread::scope(|scope| {
        let (to_writer, pieces) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (recycle, recycled) = mpsc::channel::<Vec<u8>>();
        let out = &mut *out;
        let writer = std::thread::Builder::new()
            .name("sbom-write".into())
            .spawn_scoped(scope, move || -> io::Result<[u8; 32]> {
                let mut hasher = Sha256::new();
                // A failed write ends the loop, the receiver goes away and the producer stops.
                for piece in pieces {
                    out.write_all(&piece)?;
                    hasher.update(&piece);
                    // The producer may be done and gone; the buffer is then just dropped.
                    let _ = recycle.send(piece);
                }
                Ok(<[u8; 32]>::from(hasher.finalize()))
            });
        let Ok(writer) = writer else {
            return Err(produce);
        };
        let stopped = || io::Error::other("the thread writing the document stopped");
        let result = produce(&mut |piece| {
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(piece);
            to_writer.send(buf).map_err(|_| stopped())
        });
        drop(to_writer);
        // The writer's error first: the producer's is then only that the writer stopped.
        Ok(match writer.join() {
            Ok(Ok(digest)) => result.map(|result| (result, digest)),
            Ok(Err(error)) => Err(error),
            Err(_) => Err(stopped()),
        })
    });
    match threaded {
        Ok(done) => done,
        Err(produce) => in_place(out, produce),
    }
}

/// Without a second thread: each piece written, then hashed, as it comes.
fn in_place<W: Write, R>(
    out: &mut W,
    produce: impl FnOnce(&mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<R>,
) -> io::Result<(R, [u8; 32])> {
    let mut hasher = Sha256::new();
    let result = produce(&mut |piece| {
        out.write_all(piece)?;
        hasher.update(piece);
        Ok(())
    })?;
    Ok((result, hasher.finalize().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces() -> Vec<Vec<u8>> {
        (0..50u8).map(|i| vec![i; 1000 + usize::from(i)]).collect()
    }

    #[test]
    fn the_pieces_are_written_and_hashed_in_order_either_way() {
        let pieces = pieces();
        let whole: Vec<u8> = pieces.concat();
        let produce = |hand: &mut dyn FnMut(&[u8]) -> io::Result<()>| {
            for piece in &pieces {
                hand(piece)?;
            }
            Ok(pieces.len())
        };
        let mut threaded = Vec::new();
        let (count, digest) = write_hashed(&mut threaded, produce).unwrap();
        assert_eq!(count, 50);
        assert_eq!(threaded, whole);
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(&whole)));
        let mut inline = Vec::new();
        assert_eq!(in_place(&mut inline, produce).unwrap(), (50, digest));
        assert_eq!(inline, whole);
    }

    #[test]
    fn no_pieces_is_nothing_written_and_the_digest_of_nothing() {
        let mut out = Vec::new();
        let ((), digest) = write_hashed(&mut out, |_| Ok(())).unwrap();
        assert!(out.is_empty());
        assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(b"")));
    }

    #[test]
    fn the_producers_error_is_returned() {
        let error = write_hashed(&mut Vec::new(), |hand| -> io::Result<()> {
            hand(b"some")?;
            Err(io::Error::other("bad document"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "bad document");
    }

    /// Takes `room` bytes, then fails every write and counts the tries.
    struct Full {
        written: Vec<u8>,
        room: usize,
        tries_after_failure: usize,
    }

    impl Write for Full {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if self.written.len() + bytes.len() > self.room {
                self.tries_after_failure += 1;
                return Err(io::ErrorKind::StorageFull.into());
            }
            self.written.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn small_disk() -> Full {
        Full {
            written: Vec::new(),
            room: 10_000,
            tries_after_failure: 0,
        }
    }

    #[test]
    fn a_failed_write_stops_the_stream_and_its_error_is_returned_either_way() {
        let pieces = pieces();
        let mut handed = 0;
        let mut full = small_disk();
        let error = write_hashed(&mut full, |hand| {
            for piece in &pieces {
                handed += 1;
                hand(piece)?;
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert_eq!(full.tries_after_failure, 1);
        assert_eq!(
            full.written,
            pieces.concat().get(..full.written.len()).unwrap()
        );
        // The producer learns of it within the pieces in flight.
        assert!(handed < 10 + IN_FLIGHT + 3, "{handed}");

        let mut full = small_disk();
        let error = in_place(&mut full, |hand| {
            for piece in &pieces {
                hand(piece)?;
            }
            Ok(())
        })
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert_eq!(full.tries_after_failure, 1);
    }
}
