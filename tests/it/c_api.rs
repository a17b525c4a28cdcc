//! The C API against the real registry: a C program signs, verifies (accepted, another key,
//! an unreachable registry), attests and verifies from many threads on one context — plainly,
//! under valgrind and with ASan/UBSan — and Python loads `libsupply.so` through ctypes for the
//! same round trip. The programs link the build tree's static library; installing and linking
//! through pkg-config is `crates/supply-ffi/tests/c_api.rs`.

use std::path::Path;
use std::process::Command;

#[path = "../../crates/supply-ffi/tests/cbuild/mod.rs"]
mod cbuild;

use crate::registry::push_image;
use crate::registry_fixture::Registry;
use crate::util::{stderr, stdout, test_python};

#[test]
fn c_programs_sign_and_verify_through_the_registry() {
    let registry = Registry::plain();
    let image = push_image(&registry, "capi/app");
    let bundle = push_image(&registry, "capi/bundle");
    let args = [
        Path::new(&image),
        Path::new(&bundle),
        Path::new("127.0.0.1:1/capi/gone:v1"),
    ];
    let out = cbuild::run_everywhere("registry.c", &args);
    assert_eq!(out.trim(), "ok");
}

#[test]
fn python_ctypes_signs_and_verifies() {
    let registry = Registry::plain();
    let image = push_image(&registry, "ctypes/app");
    let library = cbuild::target_dir().join("debug/libsupply.so");
    assert!(
        library.is_file(),
        "{} is missing: run `cargo build -p supply-ffi`",
        library.display()
    );
    let script = cbuild::root().join("tests/python/ctypes_sign_verify.py");
    let output = Command::new(test_python())
        .arg(script)
        .arg(&library)
        .arg(&image)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).starts_with("ok 0."), "{}", stdout(&output));
}
