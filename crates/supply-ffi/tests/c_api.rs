//! The C API from C: the committed header matches what cbindgen generates from the code, and a C
//! program compiled with gcc against it makes a valid SBOM and gets errors back as codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn generated_header() -> Vec<u8> {
    let config = cbindgen::Config::from_file(crate_dir().join("cbindgen.toml")).unwrap();
    let mut header = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir())
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut header);
    header
}

#[test]
fn committed_header_matches_the_code() {
    let path = crate_dir().join("include/supply.h");
    let generated = generated_header();
    if std::env::var_os("SUPPLY_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/supply.h is out of date: run `SUPPLY_UPDATE_HEADER=1 cargo test -p supply-ffi --test c_api` and commit it"
    );
}

fn static_library() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| crate_dir().join("../../target"), PathBuf::from);
    let library = target.join("debug/libsupply_ffi.a");
    assert!(
        library.is_file(),
        "{} is missing: run `cargo build -p supply-ffi`",
        library.display()
    );
    library
}

#[test]
fn a_c_program_makes_a_valid_sbom() {
    let gcc = ["gcc", "cc"]
        .iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("gcc is installed (apt-get install gcc)");
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("sbom");
    let output = Command::new(gcc)
        .arg(crate_dir().join("tests/c/sbom.c"))
        .arg("-Wall")
        .arg("-Werror")
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(static_library())
        .args(["-lpthread", "-ldl", "-lm", "-o"])
        .arg(&program)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "gcc: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lockfile = crate_dir().join("../../testdata/lockfiles/cargo/small/Cargo.lock");
    let run = Command::new(&program)
        .arg(lockfile)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "the C program failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Under valgrind too: no invalid access and no definite leak across the boundary.
    let valgrind = Command::new("valgrind")
        .args([
            "-q",
            "--error-exitcode=3",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
        ])
        .arg(&program)
        .arg(crate_dir().join("../../testdata/lockfiles/cargo/small/Cargo.lock"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("valgrind is installed (apt-get install valgrind; scripts/test.sh does)");
    assert!(
        valgrind.status.success(),
        "valgrind: {}",
        String::from_utf8_lossy(&valgrind.stderr)
    );
    let sbom = String::from_utf8(run.stdout).unwrap();
    assert!(
        sbom.contains("\"specVersion\": \"1.6\"") && sbom.contains("pkg:cargo/serde@"),
        "{sbom}"
    );
}
