//! The C API from C: the committed header matches what cbindgen generates from the code, and a C
//! program compiled with gcc against it makes a valid SBOM and gets errors back as codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::path::Path;

mod cbuild;
use cbuild::run_everywhere;

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

/// The header's version macros are Cargo.toml's version.
#[test]
fn header_version_is_the_crates() {
    let header = std::fs::read_to_string(crate_dir().join("include/supply.h")).unwrap();
    let define = |name: &str| {
        header
            .lines()
            .find_map(|l| l.strip_prefix(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("no {name} in the header"))
            .trim_matches('"')
            .to_owned()
    };
    assert_eq!(define("SUPPLY_VERSION"), env!("CARGO_PKG_VERSION"));
    assert_eq!(
        define("SUPPLY_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        define("SUPPLY_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        define("SUPPLY_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
}

#[test]
fn a_c_program_makes_and_validates_sboms() {
    let lockfile = crate_dir().join("../../testdata/lockfiles/cargo/small/Cargo.lock");
    let sbom = run_everywhere("sbom.c", &[&lockfile]);
    assert!(
        sbom.contains("\"specVersion\": \"1.6\"") && sbom.contains("pkg:cargo/serde@"),
        "{sbom}"
    );
}

#[test]
fn the_boundary_turns_bad_calls_and_panics_into_codes() {
    let sigstore = crate_dir().join("../../testdata/sigstore");
    let root = sigstore.join("trusted_root_pgi.json");
    let bundle = sigstore.join("conformance/happy-path-v0.3/bundle.sigstore.json");
    let artifact = sigstore.join("conformance/a.txt");
    let identity = Path::new(
        "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
    );
    let issuer = Path::new("https://token.actions.githubusercontent.com");
    run_everywhere("boundary.c", &[&root, &bundle, &artifact, identity, issuer]);
}

fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let output = std::process::Command::new(cbuild::tool("pkg-config", "pkg-config"))
        .args(args)
        .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pkg-config {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn needed_libraries(binary: &Path) -> String {
    let output = std::process::Command::new(cbuild::tool("readelf", "binutils"))
        .arg("-d")
        .arg(binary)
        .output()
        .unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains("(NEEDED)") || l.contains("(SONAME)"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a C user does: install, then build with pkg-config, shared and static.
#[test]
fn the_installed_library_links_through_pkg_config() {
    let prefix = tempfile::tempdir().unwrap();
    let install = std::process::Command::new("bash")
        .arg(crate_dir().join("../../scripts/install-c-api.sh"))
        .arg(prefix.path())
        .arg("debug")
        .env("SUPPLY_SKIP_BUILD", "1")
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "install-c-api.sh: {}",
        String::from_utf8_lossy(&install.stderr)
    );
    let lib = prefix.path().join("lib");
    let version = env!("CARGO_PKG_VERSION");
    // build.rs: 0.MINOR while the major version is 0.
    let soname = format!("libsupply.so.0.{}", env!("CARGO_PKG_VERSION_MINOR"));
    assert!(lib.join(format!("libsupply.so.{version}")).is_file());
    assert_eq!(
        std::fs::read_link(lib.join("libsupply.so")).unwrap(),
        Path::new(&soname)
    );
    assert!(
        needed_libraries(&lib.join("libsupply.so")).contains(&format!("[{soname}]")),
        "SONAME"
    );
    assert_eq!(
        pkg_config(prefix.path(), &["--modversion", "supply"]),
        [version]
    );

    let lockfile = crate_dir().join("../../testdata/lockfiles/cargo/small/Cargo.lock");
    let out = tempfile::tempdir().unwrap();
    let shared = out.path().join("shared");
    let mut flags = pkg_config(prefix.path(), &["--cflags", "--libs", "supply"]);
    flags.push(format!("-Wl,-rpath,{}", lib.display()));
    cbuild::compile_with("sbom.c", &shared, &flags);
    assert!(
        needed_libraries(&shared).contains(&format!("[{soname}]")),
        "the program loads the library by its SONAME: {}",
        needed_libraries(&shared)
    );
    let statically = out.path().join("static");
    let flags = pkg_config(prefix.path(), &["--cflags", "--libs", "supply-static"]);
    cbuild::compile_with("sbom.c", &statically, &flags);
    assert!(
        !needed_libraries(&statically).contains("libsupply"),
        "{}",
        needed_libraries(&statically)
    );
    for program in [&shared, &statically] {
        let run = std::process::Command::new(program)
            .arg(&lockfile)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}: {}",
            program.display(),
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(String::from_utf8_lossy(&run.stdout).contains("pkg:cargo/serde@"));
    }
}
