use super::*;

fn scalar(text: &str) -> Node {
    Node::Scalar(text.to_owned())
}

fn map(entries: &[(&str, Node)]) -> Node {
    Node::Map(
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// The error message and line of a refused document.
fn refusal(text: &str) -> (String, usize) {
    match parse(text) {
        Err(LockfileError::Syntax { line, message, .. }) => (message, line),
        other => panic!("expected a syntax error for {text:?}, got {other:?}"),
    }
}

#[test]
fn block_mappings_nest_by_indentation() {
    let doc = parse("a: 1\nb:\n  c: x y\n  d:\n    e: ''\nf: g\n").unwrap();
    assert_eq!(
        doc,
        map(&[
            ("a", scalar("1")),
            (
                "b",
                map(&[("c", scalar("x y")), ("d", map(&[("e", scalar(""))]))])
            ),
            ("f", scalar("g")),
        ])
    );
    assert_eq!(doc.get("b").and_then(|b| b.str_at("c")), Some("x y"));
    assert_eq!(doc.str_at("missing"), None);
}

#[test]
fn empty_values_and_null_stay_text() {
    let doc = parse("a:\nb: null\nc: ~\nd: true\n").unwrap();
    assert_eq!(doc.str_at("a"), Some(""));
    assert_eq!(doc.str_at("b"), Some("null"));
    assert_eq!(doc.str_at("c"), Some("~"));
    assert_eq!(doc.str_at("d"), Some("true"));
}

#[test]
fn sequences_block_compact_and_at_key_indentation() {
    let doc =
        parse("list:\n  - a\n  - b: 1\n    c: 2\n  - - x\n    - y\nsame:\n- p\n- q\nend: 1\n")
            .unwrap();
    let list = doc.get("list").and_then(Node::as_seq).unwrap();
    assert_eq!(list[0], scalar("a"));
    assert_eq!(list[1], map(&[("b", scalar("1")), ("c", scalar("2"))]));
    assert_eq!(list[2], Node::Seq(vec![scalar("x"), scalar("y")]));
    assert_eq!(
        doc.get("same").and_then(Node::as_seq),
        Some(&[scalar("p"), scalar("q")][..])
    );
    assert_eq!(doc.str_at("end"), Some("1"));
}

#[test]
fn quoted_keys_and_values_with_colons() {
    let text = "'@babel/core@7.0.0(supports-color@5.5.0)': {a: b}\n\
                \"lodash@npm:^4.17.21, lodash@npm:^4.0.0\":\n  version: 4.17.21\n\
                'it''s': \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\uD83D\\uDE00\"\n";
    let doc = parse(text).unwrap();
    assert_eq!(
        doc.get("@babel/core@7.0.0(supports-color@5.5.0)"),
        Some(&map(&[("a", scalar("b"))]))
    );
    assert_eq!(
        doc.get("lodash@npm:^4.17.21, lodash@npm:^4.0.0")
            .and_then(|n| n.str_at("version")),
        Some("4.17.21")
    );
    assert_eq!(doc.str_at("it's"), Some("tab\there \"q\" \\ é 😀 😀"));
}

#[test]
fn quoted_scalars_fold_line_breaks() {
    let doc = parse("a: 'one\n  two\n\n  three'\nb: \"x\\\n   y\"\n").unwrap();
    assert_eq!(doc.str_at("a"), Some("one two\nthree"));
    assert_eq!(doc.str_at("b"), Some("xy"));
}

#[test]
fn flow_collections_nest_and_span_lines() {
    let doc = parse(
        "resolution: {integrity: sha512-abc==, tarball: https://r.example/x/-/x-1.tgz}\n\
         os: [darwin, 'linux']\n\
         long: {a: [1, {b: c}],\n   d: 'e', f: g\n   h, i: }\n\
         empty: {}\nnone: []\n",
    )
    .unwrap();
    let resolution = doc.get("resolution").unwrap();
    assert_eq!(resolution.str_at("integrity"), Some("sha512-abc=="));
    assert_eq!(
        resolution.str_at("tarball"),
        Some("https://r.example/x/-/x-1.tgz")
    );
    assert_eq!(
        doc.get("os"),
        Some(&Node::Seq(vec![scalar("darwin"), scalar("linux")]))
    );
    let long = doc.get("long").unwrap();
    assert_eq!(
        long.get("a"),
        Some(&Node::Seq(vec![scalar("1"), map(&[("b", scalar("c"))])]))
    );
    assert_eq!(long.str_at("f"), Some("g h"));
    assert_eq!(long.str_at("i"), Some(""));
    assert_eq!(doc.get("empty"), Some(&Node::Map(Vec::new())));
    assert_eq!(doc.get("none"), Some(&Node::Seq(Vec::new())));
}

#[test]
fn comments_markers_bom_and_crlf_are_tolerated() {
    let text = "\u{feff}%YAML 1.2\n---\r\n# head\r\na: 1 # trailing\r\nb: x#y\r\n\r\n  # indented comment\r\nc:\r\n  - 'q' # c\r\n...\r\n";
    let doc = parse(text).unwrap();
    assert_eq!(doc.str_at("a"), Some("1"));
    assert_eq!(doc.str_at("b"), Some("x#y"));
    assert_eq!(
        doc.get("c").and_then(Node::as_seq),
        Some(&[scalar("q")][..])
    );
    assert_eq!(parse("").unwrap(), scalar(""));
    assert_eq!(parse("# only a comment\n").unwrap(), scalar(""));
}

#[test]
fn refusals_name_the_construct_and_line() {
    let cases: &[(&str, &str, usize)] = &[
        ("a: &x 1\n", "anchors", 1),
        ("a: 1\nb: *x\n", "aliases", 2),
        ("a: !!str 1\n", "tags", 1),
        ("<<: {a: 1}\n", "merge keys", 1),
        ("a: {<<: b}\n", "merge keys", 1),
        ("? a\n: b\n", "complex mapping keys", 1),
        ("a: 1\n---\nb: 2\n", "several YAML documents", 2),
        ("a: |\n  x\n", "block scalars", 1),
        ("a: 1\na: 2\n", "duplicate key \"a\"", 2),
        ("x: {a: 1, a: 2}\n", "duplicate key \"a\"", 1),
        ("a:\n\tb: 1\n", "tab characters", 2),
        ("a: 1\n  b: 2\n", "unexpected indentation", 2),
        ("a: b: c\n", "`: ` inside a plain value", 1),
        ("a: {b: c\n", "unclosed `{`", 1),
        ("a: [b, c\n", "unclosed `[`", 1),
        ("a: 'open\n", "unclosed quoted scalar", 1),
        ("a: \"\\q\"\n", "invalid escape", 1),
        ("a: \"\\uD800\"\n", "invalid escape", 1),
        ("a: [b: c]\n", "mappings inside flow sequences", 1),
        ("a: 'x' y\n", "unexpected text after the value", 1),
        ("just text\nkey: v\n", "after the top-level value", 2),
        ("%TAG ! x\n---\na: 1\n", "directives", 1),
        ("a: - b\n", "block sequence cannot start", 1),
        ("- a\nb: 1\n", "after the top-level value", 2),
    ];
    for (text, expected, line) in cases {
        let (message, found_line) = refusal(text);
        assert!(
            message.contains(expected),
            "{text:?}: {message:?} lacks {expected:?}"
        );
        assert_eq!(found_line, *line, "{text:?}: {message}");
    }
}

#[test]
fn nesting_is_bounded() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(refusal(&deep).0.contains("nesting deeper than 64"));
    let mut block = String::new();
    for depth in 0..=MAX_DEPTH {
        block.push_str(&" ".repeat(depth));
        block.push_str("k:\n");
    }
    block.push_str(&" ".repeat(MAX_DEPTH + 1));
    block.push_str("k: v\n");
    assert!(refusal(&block).0.contains("nesting deeper than 64"));
}

#[test]
fn hostile_inputs_do_not_panic() {
    let samples = [
        "\"",
        "'",
        "{",
        "[",
        "a: \"\\",
        "a: \"\\u12",
        "- ",
        "-",
        ":",
        ": x",
        "a:\n-",
        "{a",
        "[,]",
        "{,}",
        "a: {b: [c, {d: ",
        "\u{feff}",
        "é: ü\n  ö",
        "a: 'é\r",
        "\r\n\r",
        "a: \"x\\\r",
        "k: v\r",
        "{a: b}: c",
        "- - - -",
        "x\n\t",
        "a: [b\n\n",
        "---",
        "--- x",
        "...\nq",
    ];
    for sample in samples {
        let _ = parse(sample);
    }
    // Every prefix of a real document, cut at every character boundary.
    let text = include_str!("../../../../testdata/lockfiles/pnpm/v9-small/pnpm-lock.yaml");
    for (i, _) in text.char_indices() {
        let _ = parse(&text[..i]);
    }
}

#[test]
fn large_documents_parse_in_linear_time() {
    let mut text = String::from("packages:\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "  '@s/p{i}@1.0.0(r@1)':\n    resolution: {{integrity: sha512-{i}==}}\n    dependencies:\n      x: 1.0.0\n"
        ));
    }
    let start = std::time::Instant::now();
    let doc = parse(&text).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        doc.get("packages").and_then(Node::as_map).map(<[_]>::len),
        Some(20_000)
    );
    // Generous for debug builds on a loaded machine; a quadratic parser takes minutes here.
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
    let mut duplicated = text.clone();
    duplicated.push_str("  '@s/p7@1.0.0(r@1)': {}\n");
    assert!(refusal(&duplicated).0.contains("duplicate key"));
}

#[test]
fn real_pnpm_lockfile() {
    let text = include_str!("../../../../testdata/lockfiles/pnpm/v9-small/pnpm-lock.yaml");
    let doc = parse(text).unwrap();
    assert_eq!(doc.str_at("lockfileVersion"), Some("9.0"));
    let root = doc.get("importers").and_then(|i| i.get(".")).unwrap();
    assert_eq!(
        root.get("dependencies")
            .and_then(|d| d.get("@types/node"))
            .and_then(|n| n.str_at("version")),
        Some("20.11.0")
    );
    let packages = doc.get("packages").and_then(Node::as_map).unwrap();
    let keys: Vec<&str> = packages.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "@types/node@20.11.0",
            "is-number@7.0.0",
            "undici-types@5.26.5"
        ]
    );
    assert_eq!(
        doc.get("packages")
            .and_then(|p| p.get("is-number@7.0.0"))
            .and_then(|p| p.get("engines"))
            .and_then(|e| e.str_at("node")),
        Some(">=0.12.0")
    );
    assert_eq!(
        doc.get("snapshots")
            .and_then(|s| s.get("undici-types@5.26.5")),
        Some(&Node::Map(Vec::new()))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Text made of YAML's indicators, quotes, escapes and line breaks never panics.
    #[test]
    fn yaml_like_text_never_panics(text in "[ a-z0-9:'\"{}\\[\\],#&*!|>?%@\\-\\\\\n\t\r\u{e9}\u{feff}]{0,300}") {
        let _ = parse(&text);
    }
}
