//! `supply sbom` as a user runs it: outputs, determinism, options, and bad input.

use std::path::Path;

use crate::util::{sbom_of, stderr, stdout, supply, supply_in, testdata};

fn case(path: &str) -> std::path::PathBuf {
    testdata().join("lockfiles").join(path)
}

#[test]
fn same_input_gives_byte_identical_output() {
    let lockfile = case("npm/workspaces/package-lock.json");
    let (first, _) = sbom_of(&lockfile, &[]);
    let (second, _) = sbom_of(&lockfile, &[]);
    assert_eq!(first, second);
    let sbom: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(sbom["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert!(first.contains("\"cdx:reproducible\""));
}

#[test]
fn output_file_is_written_and_matches_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sbom.json");
    let lockfile = case("cargo/small/Cargo.lock");
    let output = supply(&[
        "sbom",
        lockfile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing on stdout with -o");
    let (expected, _) = sbom_of(&lockfile, &[]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
}

#[test]
fn spec_version_1_5_is_valid_1_5() {
    let (text, sbom) = sbom_of(&case("uv/workspace"), &["--spec-version", "1.5"]);
    assert_eq!(sbom["specVersion"], "1.5");
    assert!(
        !text.contains("source-distribution"),
        "1.5 has no source-distribution type"
    );
    assert!(!text.contains("acknowledgement"));
}

#[test]
fn exclude_dev_removes_dev_only_packages() {
    let dir = case("npm/workspaces");
    let (_, all) = sbom_of(&dir, &[]);
    let (_, prod) = sbom_of(&dir, &["--exclude-dev"]);
    let scopes = |sbom: &serde_json::Value| -> Vec<String> {
        sbom["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["scope"].to_string())
            .collect()
    };
    assert!(
        scopes(&all).iter().any(|s| s == "\"excluded\""),
        "fixture has dev packages"
    );
    assert!(!scopes(&prod).iter().any(|s| s == "\"excluded\""));
    assert!(
        prod["components"].as_array().unwrap().len() < all["components"].as_array().unwrap().len()
    );
}

#[test]
fn directory_with_several_lockfiles_gives_one_sbom() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("cargo/small/Cargo.lock", "Cargo.lock"),
        ("uv/small/uv.lock", "py/uv.lock"),
        ("npm/v3-small/package-lock.json", "web/package-lock.json"),
        (
            "npm/v2/package-lock.json",
            "web/node_modules/x/package-lock.json",
        ),
    ] {
        let target = dir.path().join(to);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(case(from), target).unwrap();
    }
    let (_, sbom) = sbom_of(dir.path(), &[]);
    let lockfiles: Vec<&str> = sbom["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "supply:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        lockfiles,
        ["Cargo.lock", "py/uv.lock", "web/package-lock.json"]
    );
    let purls: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    for prefix in ["pkg:cargo/", "pkg:pypi/", "pkg:npm/"] {
        assert!(
            purls.iter().any(|p| p.starts_with(prefix)),
            "has {prefix} components"
        );
    }
}

#[test]
fn validate_accepts_our_output_and_rejects_broken_documents() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let lockfile = case("cargo/workspace/Cargo.lock");
    let output = supply(&[
        "sbom",
        lockfile.to_str().unwrap(),
        "-o",
        good.to_str().unwrap(),
    ]);
    assert!(output.status.success());
    let output = supply(&["sbom", "validate", good.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let text = std::fs::read_to_string(&good).unwrap();
    let broken = text.replacen(
        "\"dependsOn\": [\n",
        "\"dependsOn\": [\n        \"ghost\",\n",
        1,
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.replace("\"SHA-256\"", "\"SHA-257\"")).unwrap();
    let output = supply(&["sbom", "validate", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report = stdout(&output);
    assert!(
        report.contains("\"ghost\" is not the bom-ref of any component"),
        "{report}"
    );
    assert!(report.contains("SHA-257"), "{report}");

    std::fs::write(&bad, "{\"bomFormat\": \"CycloneDX\"").unwrap();
    let output = supply(&["sbom", "validate", bad.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "unreadable is an error, not a verdict"
    );
}

/// Runs `supply sbom` on a broken lockfile and returns its error text, checking that it exits
/// 2 and leaves no output file behind.
fn rejected(file_name: &str, content: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lockfile = dir.path().join(file_name);
    std::fs::write(&lockfile, content).unwrap();
    let out = dir.path().join("out.json");
    let output = supply_in(dir.path(), &["sbom", file_name, "-o", "out.json"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{file_name}: {}",
        stderr(&output)
    );
    assert!(!out.exists(), "no output file after an error");
    assert!(output.stdout.is_empty());
    let message = stderr(&output);
    assert!(!message.contains("panicked"), "{message}");
    assert!(
        message.contains(file_name),
        "error names the file: {message}"
    );
    message
}

#[test]
fn bad_lockfiles_give_located_errors() {
    let truncated = &std::fs::read(case("npm/v3-small/package-lock.json")).unwrap()[..200];
    let message = rejected("package-lock.json", truncated);
    assert!(message.contains("line "), "{message}");

    let message = rejected(
        "Cargo.lock",
        b"version = 4\n[[package]]\nname = \"a\"\nname = \"b\"\n",
    );
    assert!(message.contains("line 4"), "{message}");

    let message = rejected(
        "uv.lock",
        b"version = 1\n[[package]]\nname = \"a\"\n# \xff\xfe\n",
    );
    assert!(
        message.contains("not UTF-8") && message.contains("line 4"),
        "{message}"
    );

    let message = rejected(
        "package-lock.json",
        b"{\"lockfileVersion\": 3, \"packages\": {\"\": {\"dev\": 1}}}",
    );
    assert!(message.contains("invalid type"), "{message}");

    let message = rejected("Cargo.lock", b"version = 99\n");
    assert!(
        message.contains("lockfile version 99 is not supported"),
        "{message}"
    );

    let message = rejected("uv.lock", b"version = 2\n");
    assert!(message.contains("not supported"), "{message}");
}

#[test]
fn unknown_and_missing_inputs_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Gemfile.lock"), "").unwrap();
    let output = supply_in(dir.path(), &["sbom", "Gemfile.lock"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a lockfile supply reads"));

    let output = supply_in(dir.path(), &["sbom", "."]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("no lockfile (Cargo.lock") && message.contains("hint:"),
        "{message}"
    );

    let output = supply_in(dir.path(), &["sbom", "missing/Cargo.lock"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("missing/Cargo.lock"));
}

#[test]
fn bad_source_date_epoch_is_an_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(["sbom", case("cargo/small").to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn sbom_of_this_repository() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let (_, sbom) = sbom_of(&repo, &[]);
    let names: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"supply-core"), "{names:?}");
    assert!(names.contains(&"serde"));
}

/// Regression (exit 101 before): a large uv.lock, parsed on two threads, whose middle byte
/// falls inside a multi-byte character of a comment.
#[test]
fn large_uv_lock_with_non_ascii_text_in_the_middle() {
    let original = std::fs::read_to_string(case("uv/large/uv.lock")).unwrap();
    let comment = "Ünïcödé café — 日本語 😀";
    let start = original[..original.len() / 2].rfind('\n').unwrap() + 1;
    // Pad so the edited file's middle byte is the second byte of `Ü`.
    let pad = original.len() + comment.len() + 3 - 2 * (start + 2 + 1);
    let edited = format!(
        "{}# {}{comment}\n{}",
        &original[..start],
        "-".repeat(pad),
        &original[start..]
    );
    assert!(!edited.is_char_boundary(edited.len() / 2));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("uv.lock"), &edited).unwrap();
    let (_, sbom) = sbom_of(&dir.path().join("uv.lock"), &[]);
    let (_, reference) = sbom_of(&case("uv/large/uv.lock"), &[]);
    assert_eq!(sbom["components"], reference["components"]);
}

/// Regression (exit 101 before): npm v1 alias versions with nothing, or a non-ASCII character,
/// after `npm:`.
#[test]
fn npm_v1_odd_alias_versions() {
    for version in ["npm:", "npm:ü@1.0.0"] {
        let dir = tempfile::tempdir().unwrap();
        let lock = format!(
            r#"{{"name": "app", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
                 "dependencies": {{"alias": {{"version": "{version}", "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}}}}}"#
        );
        std::fs::write(dir.path().join("package-lock.json"), lock).unwrap();
        let (_, sbom) = sbom_of(&dir.path().join("package-lock.json"), &[]);
        assert_eq!(sbom["components"].as_array().unwrap().len(), 1, "{version}");
    }
}

/// The synthetic root of a multi-root workspace was named after the folder the lockfile sits
/// in, so two clones of one project gave two SBOMs.
#[test]
fn the_sbom_does_not_depend_on_where_the_project_was_cloned() {
    let dir = tempfile::tempdir().unwrap();
    let sbom_in = |clone: &str, fixture: &str, extra: &[&str]| {
        // One parent per fixture, so each clone holds one lockfile.
        let lockfile = dir
            .path()
            .join(fixture.replace('/', "-"))
            .join(clone)
            .join(Path::new(fixture).file_name().unwrap());
        std::fs::create_dir_all(lockfile.parent().unwrap()).unwrap();
        std::fs::copy(case(fixture), &lockfile).unwrap();
        sbom_of(lockfile.parent().unwrap(), extra)
    };
    for fixture in ["uv/workspace/uv.lock", "cargo/workspace/Cargo.lock"] {
        let (one, sbom) = sbom_in("checkout-one", fixture, &[]);
        let (other, _) = sbom_in("other-clone", fixture, &[]);
        assert_eq!(one, other, "{fixture}");
        let root = &sbom["metadata"]["component"];
        assert_eq!(
            root["bom-ref"], "supply:root",
            "{fixture} has several roots"
        );
        if fixture.starts_with("uv/") {
            // The project at the workspace root names the whole.
            assert_eq!(
                (&root["name"], &root["version"]),
                (&"ws-root".into(), &"0.1.0".into())
            );
        } else {
            // Cargo.lock does not say which package (if any) sits at the workspace root.
            assert_eq!(root["name"], "root", "{fixture}");
            assert!(root.get("version").is_none());
        }
    }
    let (_, sbom) = sbom_in(
        "x",
        "cargo/workspace/Cargo.lock",
        &["--name", "acme", "--version", "2.0.0"],
    );
    let root = &sbom["metadata"]["component"];
    assert_eq!(
        (&root["name"], &root["version"]),
        (&"acme".into(), &"2.0.0".into())
    );
    // The flags win over the lockfile's own root too.
    let (_, sbom) = sbom_of(&case("npm/v3-small/package-lock.json"), &["--name", "shop"]);
    assert_eq!(sbom["metadata"]["component"]["name"], "shop");
}

#[test]
fn a_lockfile_that_is_not_json_is_named_once() {
    let message = rejected("package-lock.json", b"<html>not a lockfile</html>\n");
    assert_eq!(
        message.matches("package-lock.json").count(),
        1,
        "the path once: {message}"
    );
    assert!(message.contains("not JSON"), "{message}");
    assert!(message.contains("line 1, column 1"), "{message}");
    assert!(!message.contains("ident"), "no serde jargon: {message}");
}

#[test]
fn one_lockfile_per_project_directory_and_a_note_saying_which() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("web");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::copy(
        case("npm/v3-small/package-lock.json"),
        web.join("package-lock.json"),
    )
    .unwrap();
    std::fs::write(web.join("yarn.lock"), "# yarn lockfile v1\n").unwrap();
    std::fs::write(web.join("pnpm-lock.yaml"), "lockfileVersion: '9.0'\n").unwrap();
    let output = supply(&["sbom", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("note: web: reading package-lock.json, not pnpm-lock.yaml or yarn.lock"),
        "{message}"
    );
    let sbom: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let lockfiles: Vec<&str> = sbom["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "supply:lockfile")
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(lockfiles, ["web/package-lock.json"]);
}
