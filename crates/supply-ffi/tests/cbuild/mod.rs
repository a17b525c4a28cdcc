//! Building and running the C test programs, shared by the C API's own tests and the
//! end-to-end ones that need a registry (`tests/it/c_api.rs` includes this file): compiled
//! with warnings as errors against the committed header and the static library, then run
//! plainly, under valgrind and built with AddressSanitizer and UBSan.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (both including crates live in `crates/<name>`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ffi_dir() -> PathBuf {
    root().join("crates/supply-ffi")
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

pub(crate) fn static_library() -> PathBuf {
    let library = target_dir().join("debug/libsupply.a");
    assert!(
        library.is_file(),
        "{} is missing: run `cargo build -p supply-ffi`",
        library.display()
    );
    library
}

pub(crate) fn tool(program: &str, package: &str) -> String {
    assert!(
        Command::new(program).arg("--version").output().is_ok(),
        "{program} is not installed: run `apt-get install -y {package}` (scripts/test.sh does)"
    );
    program.to_owned()
}

/// Compiles a C test program with warnings as errors; `flags` say where the header and the
/// library come from (and any extra options, e.g. sanitizers).
pub(crate) fn compile_with(source: &str, out: &Path, flags: &[String]) {
    let output = Command::new(tool("cc", "gcc"))
        .arg(ffi_dir().join("tests/c").join(source))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .args(flags)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cc {source} {flags:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Compiles against the committed header and the static library of the build tree.
fn compile(source: &str, out: &Path, extra: &[&str]) {
    let mut flags: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    flags.push(format!("-I{}", ffi_dir().join("include").display()));
    flags.push(static_library().display().to_string());
    flags.extend(["-lpthread", "-ldl", "-lm"].map(str::to_owned));
    compile_with(source, out, &flags);
}

/// Runs a program plainly, under valgrind, and built with AddressSanitizer and UBSan: each
/// must succeed (valgrind: no invalid access, no definite leak).
pub(crate) fn run_everywhere(source: &str, args: &[&Path]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    compile(source, &plain, &[]);
    let run = Command::new(&plain)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{source}: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let valgrind = Command::new(tool("valgrind", "valgrind"))
        .args([
            "-q",
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
        ])
        .arg(&plain)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        valgrind.status.success(),
        "valgrind {source}: {}",
        String::from_utf8_lossy(&valgrind.stderr)
    );
    let sanitized = dir.path().join("sanitized");
    compile(
        source,
        &sanitized,
        &["-fsanitize=address,undefined", "-fno-sanitize-recover=all"],
    );
    let asan = Command::new(&sanitized)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env("ASAN_OPTIONS", "detect_leaks=1")
        .output()
        .unwrap();
    assert!(
        asan.status.success(),
        "ASan {source}: {}",
        String::from_utf8_lossy(&asan.stderr)
    );
    String::from_utf8(run.stdout).unwrap()
}
