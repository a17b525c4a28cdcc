#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::*;
use crate::vuln::component::parse_purl;

fn copy_db(to: &Path) {
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv"),
        to,
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, target).unwrap();
        }
    }
}

fn components() -> Vec<crate::vuln::Component> {
    [
        "pkg:pypi/django@3.2.0",
        "pkg:pypi/jinja2@2.10",
        "pkg:pypi/requests@2.19.0",
        "pkg:pypi/pillow@8.0.0",
        "pkg:cargo/edge-crate@0.4.9",
        "pkg:npm/%40edge/pre@2.0.0-beta.10",
        "pkg:pypi/not-in-the-database@1.0",
    ]
    .iter()
    .map(|p| parse_purl(p).unwrap())
    .collect()
}

/// What a scan of `components` finds: (purl, finding id, fixed version).
fn findings(db: &Database) -> Vec<(String, String, Option<String>)> {
    let scan = crate::vuln::scan(
        db,
        &components(),
        &Default::default(),
        &Default::default(),
        "2026-12-02",
    );
    let mut found: Vec<_> = scan
        .findings
        .iter()
        .map(|f| (f.purl.clone(), f.id.clone(), f.fixed.clone()))
        .collect();
    found.sort();
    found
}

#[test]
fn a_warm_scan_reads_the_index_and_finds_what_a_full_load_finds() {
    let dir = tempfile::tempdir().unwrap();
    copy_db(dir.path());
    let full = Database::load(dir.path(), false).unwrap();
    let expected = findings(&full);
    assert!(expected.len() >= 10, "{expected:?}");

    let (cold, used) = Database::load_indexed(dir.path(), false, &components()).unwrap();
    assert_eq!(used, IndexUse::Built);
    assert!(dir.path().join(FILE_NAME).is_file());
    assert_eq!(findings(&cold), expected);

    let (warm, used) = Database::load_indexed(dir.path(), false, &components()).unwrap();
    assert_eq!(used, IndexUse::Warm);
    assert_eq!(findings(&warm), expected);
    assert!(
        warm.len() < full.len(),
        "only the records about the packages"
    );
    assert_eq!(warm.total(), full.len());
}

#[test]
fn a_changed_database_makes_the_index_stale() {
    let dir = tempfile::tempdir().unwrap();
    copy_db(dir.path());
    let wanted = [parse_purl("pkg:pypi/brand-new@1.0").unwrap()];
    Database::load_indexed(dir.path(), false, &wanted).unwrap();
    std::fs::write(
        dir.path().join("pypi/NEW-1.json"),
        br#"{"id": "NEW-1", "affected": [{"package": {"ecosystem": "PyPI", "name": "brand-new"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}"#,
    )
    .unwrap();
    let (db, used) = Database::load_indexed(dir.path(), false, &wanted).unwrap();
    assert_eq!(used, IndexUse::Built);
    assert_eq!(db.about("PyPI", "brand-new").count(), 1);
    let (db, used) = Database::load_indexed(dir.path(), false, &wanted).unwrap();
    assert_eq!(used, IndexUse::Warm);
    assert_eq!(db.about("PyPI", "brand-new").count(), 1);
}

#[test]
fn a_corrupt_index_is_rebuilt_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    copy_db(dir.path());
    let expected = findings(&Database::load(dir.path(), false).unwrap());
    Database::load_indexed(dir.path(), false, &components()).unwrap();
    let path = dir.path().join(FILE_NAME);
    let good = std::fs::read(&path).unwrap();
    // Truncated; every record's bytes changed; the key table's count changed.
    let section_len = |at: usize| {
        usize::try_from(u64::from_le_bytes(good[at..at + 8].try_into().unwrap())).unwrap()
    };
    let keys_at = 44 + 12 + section_len(44);
    let table_at = keys_at + 12 + section_len(keys_at);
    let bodies_at = table_at + 12 + section_len(table_at);
    let mut garbled = good.clone();
    for byte in &mut garbled[bodies_at..] {
        if *byte == b'1' {
            *byte = b'2';
        }
    }
    let mut huge_count = good.clone();
    huge_count[keys_at + 12..keys_at + 16].copy_from_slice(&u32::MAX.to_le_bytes());
    for broken in [good[..good.len() / 2].to_vec(), garbled, huge_count] {
        std::fs::write(&path, &broken).unwrap();
        let (db, used) = Database::load_indexed(dir.path(), false, &components()).unwrap();
        assert_eq!(used, IndexUse::Built);
        assert_eq!(findings(&db), expected);
    }
}

#[test]
fn an_index_made_while_skipping_invalid_records_does_not_hide_them() {
    let dir = tempfile::tempdir().unwrap();
    copy_db(dir.path());
    std::fs::write(dir.path().join("pypi/BAD.json"), b"{\"id\": 5}").unwrap();
    let (db, _) = Database::load_indexed(dir.path(), true, &components()).unwrap();
    assert_eq!(db.skipped.len(), 1);
    let (db, used) = Database::load_indexed(dir.path(), true, &components()).unwrap();
    assert_eq!((used, db.skipped.len()), (IndexUse::Warm, 1));
    let strict = Database::load_indexed(dir.path(), false, &components());
    assert!(
        matches!(strict, Err(crate::vuln::ScanError::Record { .. })),
        "{strict:?}"
    );
}

#[test]
fn an_unwritable_index_still_scans() {
    let dir = tempfile::tempdir().unwrap();
    copy_db(dir.path());
    std::fs::create_dir(dir.path().join(FILE_NAME)).unwrap();
    let expected = findings(&Database::load(dir.path(), false).unwrap());
    let (db, used) = Database::load_indexed(dir.path(), false, &components()).unwrap();
    assert_eq!(used, IndexUse::Unwritable);
    assert_eq!(findings(&db), expected);
}
