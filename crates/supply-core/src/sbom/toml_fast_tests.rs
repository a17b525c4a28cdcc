#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)]

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

/// The tree as the `toml` crate's own value, to compare with what `toml` reads; `None` if a
/// datetime we took is one `toml` would not read (a divergence).
fn to_toml(value: &Value<'_>) -> Option<toml::Value> {
    Some(match value {
        Value::String(text) => toml::Value::String(text.to_string()),
        Value::Integer(number) => toml::Value::Integer(*number),
        Value::Boolean(flag) => toml::Value::Boolean(*flag),
        Value::Datetime(raw) => toml::Value::Datetime(raw.parse().ok()?),
        Value::Array { items, .. } => {
            toml::Value::Array(items.iter().map(to_toml).collect::<Option<_>>()?)
        }
        Value::Table(table) => toml::Value::Table(table_to_toml(table)?),
    })
}

fn table_to_toml(table: &Table<'_>) -> Option<toml::Table> {
    table
        .entries
        .iter()
        .map(|(k, v)| Some((k.to_string(), to_toml(v)?)))
        .collect()
}

/// The differential property: when the fast reader takes a text, `toml` reads it too and
/// reads the same thing. Returns whether the fast reader took it.
fn agrees(text: &str) -> bool {
    let Ok(fast) = parse(text) else {
        return false;
    };
    let reference = text.parse::<toml::Table>();
    let fast = table_to_toml(&fast);
    assert!(
        reference.is_ok() && fast.is_some(),
        "fast reader took what toml refuses: {text:?}\ntoml: {reference:?}"
    );
    assert_eq!(fast, reference.ok(), "different values for {text:?}");
    true
}

fn toml_fixtures() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "toml" || e == "lock") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lockfiles");
    let mut out = Vec::new();
    for eco in ["cargo", "uv", "poetry", "pylock"] {
        walk(&root.join(eco), &mut out);
    }
    out.sort();
    out
}

#[test]
fn every_toml_fixture_reads_the_same_and_real_lockfiles_take_the_fast_path() {
    let fixtures = toml_fixtures();
    assert!(fixtures.len() >= 20, "found {}", fixtures.len());
    let mut declined = Vec::new();
    for path in &fixtures {
        let text = std::fs::read_to_string(path).unwrap();
        if !agrees(&text) && text.parse::<toml::Table>().is_ok() {
            declined.push(path.display().to_string());
        }
    }
    // Every valid fixture, all of them written by the real tools, takes the fast path: a
    // decline there would mean the speed-up misses real lockfiles.
    assert!(declined.is_empty(), "declined: {declined:#?}");
}

#[test]
fn what_toml_refuses_is_declined() {
    let refused = [
        "a = 1\na = 2\n",
        "[a]\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "[a.b]\n[a]\nb = 1\n",
        "[[a]]\n[a]\n",
        "[a]\n[[a]]\n",
        "a = []\n[[a]]\n",
        "a = {b = 1}\n[a.c]\n",
        "a = {b = 1, b = 2}\n",
        "a = \"\\q\"\n",
        "a = \"\\uD800\"\n",
        "a = \"x\u{1}\"\n",
        "a = 'x\u{7f}'\n",
        "a = 01\n",
        "a = 9223372036854775808\n",
        "a = truex\n",
        "a = 1 b = 2\n",
        "a = 2023-02-29\n",
        "a = 2024-13-01\n",
        "a = 2024-01-01T24:00:00Z\n",
        "a = 2024-01-01T00:00:00+24:00\n",
        "a = 2024-01-01T00:00:00.\n",
        "a = \"unterminated\n",
        "a = 1 # bad \u{1} comment\n",
        "a = 1\r",
        "[a\n",
        "[[a]\n",
        "= 1\n",
        "a =\n",
    ];
    for text in refused {
        assert!(text.parse::<toml::Table>().is_err(), "toml takes {text:?}");
        assert_eq!(parse(text).err(), Some(Decline), "{text:?}");
    }
}

#[test]
fn what_lockfiles_use_reads_as_toml_reads_it() {
    let taken = [
        "version = 4\n\n[[package]]\nname = \"a\"\ndependencies = [\n \"b\",\n \"c 1.0\",\n]\n",
        "[[package]]\nname = 'x'\n[package.source]\nregistry = \"r\"\n[[package]]\nname = \"y\"\n",
        "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
        "[a.b.c]\n[a]\nd = true\n",
        "a = { url = \"u\", hash = \"sha256:00\", size = 5, upload-time = 2024-02-29T10:11:12.345Z }\n",
        "t = [2024-01-01, 07:32:00, 1979-05-27T07:32:00-08:00, 1979-05-27t00:00:00z]\n",
        "\"quoted key\" = \"\\u00e9\\t\\\"\\\\ \\U0001F600\"\n'lit' = 'C:\\path'\n",
        "a = -0\nb = +7\nc = -9223372036854775808\n",
        "a = [ ]\nb = [[1, 2], [\"x\"], {}]\n# comment é\r\nc = {}\n",
        "[ spaced . 'header' ]\nx = 1\n",
        "",
        "\n\n# only a comment",
    ];
    for text in taken {
        assert!(agrees(text), "declined {text:?}");
    }
    // Left to `toml`: taken by it, declined here.
    for text in [
        "a = \"\"\"multi\"\"\"\n",
        "a = 1.5\n",
        "a = 1_000\n",
        "a = 0x10\n",
        "a.b = 1\n",
        "a = 1979-05-27 07:32:00Z\n",
        "a = inf\n",
        // TOML 1.1, which `toml` reads: a trailing comma and newlines in inline tables.
        "a = {b = 1,}\n",
        "a = {b = 1\n}\n",
    ] {
        assert!(text.parse::<toml::Table>().is_ok(), "{text:?}");
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn deep_nesting_declines_instead_of_overflowing_the_stack() {
    let deep = format!("a = {}1{}\n", "[".repeat(200_000), "]".repeat(200_000));
    assert_eq!(parse(&deep).err(), Some(Decline));
    let inline = format!("a = {}1{}\n", "{b = ".repeat(200_000), "}".repeat(200_000));
    assert_eq!(parse(&inline).err(), Some(Decline));
    let ok = format!(
        "a = {}1{}\n",
        "[".repeat(parser::MAX_DEPTH),
        "]".repeat(parser::MAX_DEPTH)
    );
    assert!(agrees(&ok));
}

#[test]
fn large_tables_still_find_duplicates() {
    let mut text: String = (0..100).map(|i| format!("k{i} = {i}\n")).collect();
    assert!(agrees(&text));
    text.push_str("k42 = 0\n");
    assert!(parse(&text).is_err());

    let pairs: Vec<String> = (0..100).map(|i| format!("k{i} = {i}")).collect();
    let inline = format!("t = {{ {} }}\n", pairs.join(", "));
    assert!(agrees(&inline));
    for duplicate in ["k3 = 0", "k42 = 0", "k99 = 0"] {
        let text = format!("t = {{ {}, {duplicate} }}\n", pairs.join(", "));
        assert!(parse(&text).is_err(), "{duplicate}");
    }
}

#[test]
fn values_stay_small() {
    // Memory touched is most of a large lockfile's parse on a VM (see ARCHITECTURE, "Where
    // SBOM time goes"): a table's key index inline doubled every value of the tree.
    assert!(
        std::mem::size_of::<Value<'_>>() <= 48,
        "{}",
        std::mem::size_of::<Value<'_>>()
    );
}

#[test]
fn arrays_and_inline_tables_get_exactly_the_room_they_need() {
    let text = concat!(
        "files = [\n",
        "  {file = \"a-1.0.tar.gz\", hash = \"sha256:00\"},\n",
        "  { name = \"b\", hashes = { sha256 = \"11\" }, size = 3 },\n",
        "  [1, [2, 3, 4], 5, 6, 7],\n",
        "]\n",
    );
    assert!(agrees(text));
    let root = parse(text).unwrap();
    fn capacities(value: &Value<'_>, out: &mut Vec<usize>) {
        match value {
            Value::Array { items, .. } => {
                out.push(items.capacity());
                items.iter().for_each(|item| capacities(item, out));
            }
            Value::Table(table) => {
                out.push(table.entries.capacity());
                table.entries.iter().for_each(|(_, v)| capacities(v, out));
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    let (_, files) = root.entries.first().unwrap();
    capacities(files, &mut found);
    // `files`, its two tables (the second's nested one), the array in an array.
    assert_eq!(found, [3, 2, 3, 1, 5, 3]);
}

#[test]
fn serde_reads_what_toml_reads() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Doc {
        name: String,
        count: Option<u32>,
        #[serde(default)]
        tags: Vec<String>,
        table: std::collections::BTreeMap<String, i64>,
        kind: Kind,
        either: Either,
    }
    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Git,
    }
    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Table { v: String },
    }
    let text = "name = \"n\"\ncount = 3\nignored = 2024-01-01\nkind = \"git\"\neither = { v = \"x\" }\n[table]\nb = 2\na = 1\n";
    let fast: Doc = from_str(text).unwrap();
    let reference: Doc = toml::from_str(text).unwrap();
    assert_eq!(fast, reference);
    // The wrong type is an error here too (the caller then lets `toml` word it).
    assert!(from_str::<Doc>(&text.replace("count = 3", "count = \"3\"")).is_none());
    // A datetime asked for as a value: left to `toml`.
    assert!(from_str::<toml::Table>("a = 2024-01-01\n").is_none());
}

#[test]
fn strings_without_escapes_are_lent_from_the_text() {
    use std::borrow::Cow;

    use crate::sbom::de::Text;

    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(borrow)]
        plain: Text<'a>,
        #[serde(borrow)]
        escaped: Text<'a>,
        #[serde(borrow)]
        nested: Vec<std::collections::BTreeMap<Text<'a>, Text<'a>>>,
        #[serde(borrow)]
        either: Either<'a>,
    }
    // serde buffers an untagged enum's content first; the borrow must survive that too.
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        One(#[serde(borrow)] Text<'a>),
        #[expect(dead_code, reason = "the shape serde tries first")]
        Table {
            v: i64,
        },
    }
    let text = "plain = \"https://x/a.whl\"\nescaped = \"a\\u0062\"\nnested = [{ k = \"v\" }]\neither = \"e\"\n";
    let doc: Doc<'_> = from_str(text).unwrap();
    let lent = |t: &Text<'_>| matches!(t.0, Cow::Borrowed(_));
    assert!(lent(&doc.plain), "a plain string is borrowed");
    assert_eq!(&*doc.plain, "https://x/a.whl");
    assert!(
        !lent(&doc.escaped),
        "an escaped one is decoded into its own string"
    );
    assert_eq!(&*doc.escaped, "ab");
    let (key, value) = doc.nested[0].iter().next().unwrap();
    assert!(lent(key) && lent(value));
    let Either::One(one) = &doc.either else {
        panic!("a string is the first shape")
    };
    assert!(lent(one));
}

fn mutated() -> impl Strategy<Value = String> {
    let seeds: Vec<String> = toml_fixtures()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|t| t.len() < 4_000)
        .collect();
    let alphabet: Vec<char> = "[]{}=,.\"'\\#\n\r\t -+:0123456789abeftuxzTZ_é\u{1}"
        .chars()
        .collect();
    (
        prop::sample::select(seeds),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::sample::select(alphabet),
                0..3u8,
            ),
            1..6,
        ),
    )
        .prop_map(|(seed, edits)| {
            let mut chars: Vec<char> = seed.chars().collect();
            for (at, c, op) in edits {
                if chars.is_empty() {
                    chars.push(c);
                    continue;
                }
                let i = at.index(chars.len());
                match op {
                    0 => chars.insert(i, c),
                    1 => chars[i] = c,
                    _ => {
                        chars.remove(i);
                    }
                }
            }
            chars.into_iter().collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mutated_lockfiles_never_read_differently(text in mutated()) {
        agrees(&text);
    }
}
