use super::*;

fn rendered(text: &str) -> String {
    let mut out = Out::new(Vec::new(), None);
    out.string(text);
    String::from_utf8(out.buf).unwrap()
}

#[test]
fn strings_are_escaped_like_serde_json() {
    let mut samples: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    samples.extend(
        [
            "",
            "plain ascii text longer than a word",
            "ü and 🦀 stay as they are",
            "quote \" in the middle of a long string, and a \\ too",
            "12345678\"",
            "1234567\n",
            "\u{7f}\u{1f}\u{0}tail",
        ]
        .map(str::to_owned),
    );
    for sample in samples {
        assert_eq!(
            rendered(&sample),
            serde_json::to_string(&sample).unwrap(),
            "{sample:?}"
        );
    }
}

/// Every lockfile fixture, with the options that change the document's shape: the bytes
/// are the serde model's, pretty-printed by serde_json.
#[test]
fn every_fixture_renders_as_serde_json_does() {
    use crate::sbom::{BuildOptions, SpecVersion, discover, time::Timestamp};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lockfiles");
    let mut checked = 0;
    let mut large = 0;
    for ecosystem in std::fs::read_dir(&root).unwrap() {
        let ecosystem = ecosystem.unwrap().path();
        if !ecosystem.is_dir() {
            continue;
        }
        for case in std::fs::read_dir(ecosystem).unwrap() {
            let case = case.unwrap().path();
            if !case.is_dir() {
                continue;
            }
            for options in [
                BuildOptions::default(),
                BuildOptions {
                    spec_version: SpecVersion::V1_5,
                    exclude_dev: true,
                    timestamp: Some(Timestamp::fixed(1_700_000_000)),
                },
            ] {
                let bom = discover::generate(&case, options).unwrap().bom;
                // Streamed first (nothing rendered yet), after some bytes already there.
                let mut file = std::io::Cursor::new(b"prefix".to_vec());
                file.seek(SeekFrom::End(0)).unwrap();
                bom.write_json(&mut file).unwrap();
                let streamed = file.into_inner();

                let mut expected = serde_json::to_string_pretty(&bom.document).unwrap();
                expected.push('\n');
                let serial = content_uuid(Sha256::digest(&expected).into());
                let expected = expected.replacen(ZERO_SERIAL, &serial, 1);
                assert!(bom.json() == expected, "{}", case.display());
                assert!(
                    streamed.strip_prefix(b"prefix") == Some(expected.as_bytes()),
                    "{}",
                    case.display()
                );
                large += usize::from(expected.len() > 2 * CHUNK);
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked} documents");
    assert!(large >= 7, "{large} documents streamed in several pieces");
}

/// A writer that fails the first write past `room` bytes, and counts what comes after.
struct Full {
    written: Vec<u8>,
    room: usize,
    failed: bool,
    writes_after_failure: usize,
}

impl Write for Full {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.failed {
            self.writes_after_failure += 1;
        } else if self.written.len() + bytes.len() > self.room {
            self.failed = true;
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.written.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Full {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match to {
            SeekFrom::Current(0) => Ok(self.written.len() as u64),
            _ => Err(io::Error::other("only the position is asked for")),
        }
    }
}

#[test]
fn a_failed_write_is_reported_and_nothing_more_is_written() {
    use crate::sbom::{BuildOptions, discover};
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lockfiles/npm/large");
    let bom = discover::generate(&root, BuildOptions::default())
        .unwrap()
        .bom;
    let mut full = Full {
        written: Vec::new(),
        room: 3 * CHUNK,
        failed: false,
        writes_after_failure: 0,
    };
    let error = bom.write_json(&mut full).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert_eq!(full.writes_after_failure, 0);
    assert!((2 * CHUNK..=3 * CHUNK).contains(&full.written.len()));
    // The pieces that went out are the document's (past the serial's placeholder).
    let json = bom.json().as_bytes();
    assert_eq!(json.get(400..full.written.len()), full.written.get(400..));
}

proptest::proptest! {
    #[test]
    fn any_string_is_escaped_like_serde_json(text in "\\PC*|[\\x00-\\x7f]{0,40}") {
        proptest::prop_assert_eq!(rendered(&text), serde_json::to_string(&text).unwrap());
    }
}
