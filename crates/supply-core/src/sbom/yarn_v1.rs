//! Yarn classic `yarn.lock` (`# yarn lockfile v1`): not YAML but Yarn's own syntax.
//!
//! Entries start at column 0 with their descriptors (`"a@^1", a@^1.2:`); fields are indented
//! by two spaces (`version "1.2.3"`, `resolved "url#sha1"`, `integrity sha512-…`), and
//! `dependencies:` / `optionalDependencies:` open a block one level deeper of `name "range"`
//! lines. Strings are JSON-quoted or bare words (ending at a space, `:` or `,`); comments fill
//! whole lines. Anything else is refused with its line and column: tabs or odd indentation,
//! deeper nesting than the format uses, duplicate keys, a descriptor listed by two entries.
//!
//! `resolved` decides the source: a tarball URL (its `#<sha1>` fragment is the tarball's SHA-1,
//! used when there is no `integrity`), a git URL (`#<commit>`, which is not a hash), or local
//! `file:`; a `file:`/`link:` range is local whatever `resolved` says.

use std::collections::{HashMap, HashSet};

use super::graph::{self, ExternalReference, Hash, HashAlg, Package, ReferenceKind};
use super::{
    DepGraph, Edge, LockfileError, add_synthetic_root, alias_name, finish, named_package,
    new_graph, npm_purl, parse_integrity, set_git, set_tarball, split_descriptor,
};

/// Entries, then a block of fields, then one of dependencies: deeper is never written.
const MAX_LEVEL: usize = 3;

struct Entry {
    offset: usize,
    descriptors: Vec<String>,
    fields: Vec<Field>,
}

struct Field {
    key: String,
    offset: usize,
    value: Value,
}

enum Value {
    Text(String),
    Block(Vec<Field>),
}

impl Entry {
    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    fn text(&self, text: &str, key: &str) -> Result<Option<&str>, LockfileError> {
        match self.field(key) {
            None => Ok(None),
            Some(Field {
                value: Value::Text(value),
                ..
            }) => Ok(Some(value)),
            Some(field) => Err(LockfileError::at_offset(
                text,
                field.offset,
                format!("`{key}` must be a value, not a block"),
            )),
        }
    }
}

/// Parses v1 text (the header was checked by the caller).
pub(super) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let entries = read_entries(text)?;
    let mut graph = new_graph("1");
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        for descriptor in &entry.descriptors {
            if by_descriptor.insert(descriptor, i).is_some() {
                return Err(LockfileError::at_offset(
                    text,
                    entry.offset,
                    format!("descriptor `{descriptor}` is listed by two entries"),
                ));
            }
        }
        graph.packages.push(to_package(text, entry)?);
    }
    let mut edges = Vec::new();
    let mut requested: HashSet<String> = HashSet::new();
    for (from, entry) in entries.iter().enumerate() {
        for (block, optional) in [("dependencies", false), ("optionalDependencies", true)] {
            let Some(field) = entry.field(block) else {
                continue;
            };
            let Value::Block(dependencies) = &field.value else {
                return Err(LockfileError::at_offset(
                    text,
                    field.offset,
                    format!("`{block}` must be a block of `name \"range\"` lines"),
                ));
            };
            for dependency in dependencies {
                let Value::Text(range) = &dependency.value else {
                    return Err(LockfileError::at_offset(
                        text,
                        dependency.offset,
                        "a dependency must be `name \"range\"`",
                    ));
                };
                let descriptor = format!("{}@{range}", dependency.key);
                let found = by_descriptor.get(descriptor.as_str()).copied();
                requested.insert(descriptor.clone());
                match found {
                    Some(to) => edges.push(Edge { from, to, optional }),
                    None => graph.warnings.push(format!(
                        "`{}` depends on `{descriptor}`, which the lockfile does not define",
                        entry.descriptors.first().map_or("", String::as_str)
                    )),
                }
            }
        }
    }
    // Only a manifest (the root's or a workspace's) can have asked for a descriptor that no
    // entry requests.
    let direct = (0..entries.len())
        .filter(|&i| {
            entries[i]
                .descriptors
                .iter()
                .any(|d| !requested.contains(d))
        })
        .collect();
    let root = add_synthetic_root(&mut graph, &mut edges, direct);
    Ok(finish(graph, &edges, &[], vec![root]))
}

fn to_package(text: &str, entry: &Entry) -> Result<Package, LockfileError> {
    let first = entry.descriptors.first().map_or("", String::as_str);
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: first.to_owned(),
        field,
        value: value.to_owned(),
        reason,
    };
    let mut real_name: Option<&str> = None;
    let mut aliases = Vec::new();
    let mut local_range = None;
    for descriptor in &entry.descriptors {
        let (name, range) = split_descriptor(descriptor).ok_or_else(|| {
            LockfileError::at_offset(
                text,
                entry.offset,
                format!("`{descriptor}` is not a `name@range` descriptor"),
            )
        })?;
        let real = match alias_name(range) {
            Some(target) => {
                aliases.push(name);
                target
            }
            None => name,
        };
        if real_name.is_some_and(|n| n != real) {
            return Err(LockfileError::at_offset(
                text,
                entry.offset,
                "the descriptors of one entry name different packages",
            ));
        }
        real_name = Some(real);
        if let Some(path) = range
            .strip_prefix("file:")
            .or_else(|| range.strip_prefix("link:"))
        {
            local_range = Some(path);
        }
    }
    let real_name = real_name.unwrap_or(first);
    let version = entry
        .text(text, "version")?
        .ok_or_else(|| invalid("version", "", "missing"))?;
    let mut package = named_package(real_name, Some(version));
    aliases.sort_unstable();
    aliases.dedup();
    for alias in aliases {
        package
            .properties
            .push(("supply:yarn:alias".into(), alias.to_owned()));
    }
    if let Some(integrity) = entry.text(text, "integrity")? {
        package.hashes = parse_integrity(integrity).ok_or_else(|| {
            invalid(
                "integrity",
                integrity,
                "not a sha1/sha256/sha384/sha512 SRI string",
            )
        })?;
    }
    let resolved = entry.text(text, "resolved")?;
    if let Some(path) = local_range.or_else(|| resolved.and_then(|r| r.strip_prefix("file:"))) {
        let path = path.split_once('#').map_or(path, |(p, _)| p);
        let path = path.trim_start_matches("./");
        package.local = Some(if path.is_empty() { "." } else { path }.to_owned());
        return Ok(package);
    }
    match resolved {
        Some(url) if is_git(url) => match url.split_once('#') {
            Some((repository, commit)) if !commit.is_empty() => {
                set_git(&mut package, repository, commit);
            }
            _ => {
                package.purl = Some(npm_purl(&package).to_string());
                package.external_references.push(ExternalReference {
                    kind: ReferenceKind::Vcs,
                    url: graph::strip_credentials(url),
                    hashes: Vec::new(),
                });
            }
        },
        Some(url) => {
            let (base, fragment) = url.split_once('#').unwrap_or((url, ""));
            if package.hashes.is_empty()
                && let Some(sha1) = Hash::from_hex(HashAlg::Sha1, fragment)
            {
                package.hashes.push(sha1);
            }
            set_tarball(&mut package, real_name, &graph::strip_credentials(base));
        }
        None => package.purl = Some(npm_purl(&package).to_string()),
    }
    Ok(package)
}

/// Whether `resolved` is a git clone (whose fragment is a commit) rather than a tarball.
fn is_git(url: &str) -> bool {
    let base = url.split_once('#').map_or(url, |(b, _)| b);
    ["git:", "git+", "ssh:"].iter().any(|p| url.starts_with(p)) || base.ends_with(".git")
}

struct Line<'a> {
    /// Byte offset of the first character after the indentation.
    offset: usize,
    level: usize,
    content: &'a str,
}

fn lines(text: &str) -> Result<Vec<Line<'_>>, LockfileError> {
    let mut lines = Vec::new();
    let mut start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while let Some(rest) = text.get(start..).filter(|r| !r.is_empty()) {
        let end = rest.find('\n').map_or(text.len(), |i| start + i);
        let raw = rest[..end - start].trim_end_matches('\r');
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let content = raw[indent..].trim_end();
        if !content.is_empty() && !content.starts_with('#') {
            if content.starts_with('\t') {
                return Err(LockfileError::at_offset(
                    text,
                    start + indent,
                    "tabs are not allowed in indentation",
                ));
            }
            if indent % 2 != 0 {
                return Err(LockfileError::at_offset(
                    text,
                    start + indent,
                    "indentation must be a multiple of two spaces",
                ));
            }
            lines.push(Line {
                offset: start + indent,
                level: indent / 2,
                content,
            });
        }
        start = end + 1;
    }
    Ok(lines)
}

fn read_entries(text: &str) -> Result<Vec<Entry>, LockfileError> {
    let lines = lines(text)?;
    let mut entries = Vec::new();
    let mut pos = 0;
    while let Some(line) = lines.get(pos) {
        if line.level != 0 {
            return Err(LockfileError::at_offset(
                text,
                line.offset,
                "unexpected indentation",
            ));
        }
        let tokens = tokenize(text, line)?;
        let descriptors = header(&tokens).ok_or_else(|| {
            LockfileError::at_offset(
                text,
                line.offset,
                "expected a package entry (`\"name@range\", …:`)",
            )
        })?;
        pos += 1;
        let fields = block(text, &lines, &mut pos, 1)?;
        entries.push(Entry {
            offset: line.offset,
            descriptors,
            fields,
        });
    }
    Ok(entries)
}

/// The fields at `level`, from `lines[*pos]` until a line with less indentation.
fn block(
    text: &str,
    lines: &[Line<'_>],
    pos: &mut usize,
    level: usize,
) -> Result<Vec<Field>, LockfileError> {
    let mut fields: Vec<Field> = Vec::new();
    while let Some(line) = lines.get(*pos) {
        if line.level < level {
            break;
        }
        if line.level > level || level >= MAX_LEVEL {
            return Err(LockfileError::at_offset(
                text,
                line.offset,
                "unexpected indentation",
            ));
        }
        let mut tokens = tokenize(text, line)?.into_iter();
        *pos += 1;
        let (key, value) = match (tokens.next(), tokens.next(), tokens.next()) {
            (Some(Token::Text(key)), Some(Token::Text(value)), None) => (key, Value::Text(value)),
            (Some(Token::Text(key)), Some(Token::Colon), None) => {
                (key, Value::Block(block(text, lines, pos, level + 1)?))
            }
            _ => {
                return Err(LockfileError::at_offset(
                    text,
                    line.offset,
                    "expected `key value` or `key:`",
                ));
            }
        };
        if fields.iter().any(|f| f.key == key) {
            return Err(LockfileError::at_offset(
                text,
                line.offset,
                format!("duplicate key `{key}`"),
            ));
        }
        fields.push(Field {
            key,
            offset: line.offset,
            value,
        });
    }
    Ok(fields)
}

enum Token {
    Text(String),
    Colon,
    Comma,
}

/// `a, "b":` → the descriptors; `None` for any other shape.
fn header(tokens: &[Token]) -> Option<Vec<String>> {
    let (Token::Colon, rest) = tokens.split_last()? else {
        return None;
    };
    let mut descriptors = Vec::new();
    for (i, token) in rest.iter().enumerate() {
        match (i % 2, token) {
            (0, Token::Text(text)) => descriptors.push(text.clone()),
            (1, Token::Comma) => {}
            _ => return None,
        }
    }
    (rest.len() % 2 == 1).then_some(descriptors)
}

fn tokenize(text: &str, line: &Line<'_>) -> Result<Vec<Token>, LockfileError> {
    let content = line.content;
    let bytes = content.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b' ' => i += 1,
            b':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            b',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            b'#' => break,
            b'"' => {
                let mut end = i + 1;
                loop {
                    match bytes.get(end) {
                        Some(b'\\') => end += 2,
                        Some(b'"') => break,
                        Some(_) => end += 1,
                        None => {
                            return Err(LockfileError::at_offset(
                                text,
                                line.offset + i,
                                "unterminated string",
                            ));
                        }
                    }
                }
                // `end` is at a `"`, so the slice ends on a character boundary.
                let quoted = content.get(i..=end).unwrap_or_default();
                let value: String = serde_json::from_str(quoted).map_err(|_| {
                    LockfileError::at_offset(text, line.offset + i, "invalid string escape")
                })?;
                tokens.push(Token::Text(value));
                i = end + 1;
            }
            _ => {
                let end = bytes[i..]
                    .iter()
                    .position(|b| matches!(b, b' ' | b':' | b','))
                    .map_or(bytes.len(), |n| i + n);
                tokens.push(Token::Text(content[i..end].to_owned()));
                i = end;
            }
        }
    }
    Ok(tokens)
}
