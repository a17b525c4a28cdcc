//! Just enough of PEP 508 markers and PEP 440 specifiers to read Python lockfiles offline.
//!
//! Markers are evaluated in three-valued logic against what a lockfile reader knows: which
//! extras and dependency groups are selected. Every other variable (`python_version`,
//! `sys_platform`, …) is unknown, so `python_version < "3.11" and "dev" in dependency_groups`
//! is false without the group but `python_version < "3.11"` alone is unknown, never false. A
//! marker we cannot parse is unknown as a whole: the caller then keeps its strongest reading.
//!
//! Specifiers answer "may this locked version be the one this constraint means?"; anything
//! unparseable answers yes, so an edge is only dropped when the versions truly disagree.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::purl::normalize_pypi_name;
use crate::vuln::version::pep440::Version;

/// A truth value that may be unknown.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Truth {
    False,
    True,
    Unknown,
}

/// Which extras (or groups) are selected.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Selected<'a> {
    /// Every one of them, whatever its name.
    All,
    /// Exactly these (PEP 503-normalised names).
    These(&'a BTreeSet<String>),
}

impl Selected<'_> {
    fn contains(self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::These(set) => set.contains(&normalize_pypi_name(name)),
        }
    }
}

/// What is known when a marker is evaluated.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Context<'a> {
    pub(crate) extras: Selected<'a>,
    pub(crate) groups: Selected<'a>,
}

/// Evaluates `marker`; unparseable input is [`Truth::Unknown`].
pub(crate) fn evaluate(marker: &str, context: Context<'_>) -> Truth {
    let Some(tokens) = tokenize(marker) else {
        return Truth::Unknown;
    };
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        context,
    };
    match parser.or_expression(0) {
        Some(truth) if parser.at == tokens.len() => truth,
        _ => Truth::Unknown,
    }
}

/// Nesting beyond this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Token<'a> {
    And,
    Close,
    Name(&'a str),
    Op(&'static str),
    Open,
    Or,
    Text(&'a str),
}

const OPERATORS: [&str; 8] = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"];

fn tokenize(text: &str) -> Option<Vec<Token<'_>>> {
    let mut tokens = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else {
            return Some(tokens);
        };
        let (token, len) = match first {
            '(' => (Token::Open, 1),
            ')' => (Token::Close, 1),
            '\'' | '"' => {
                let end = rest.get(1..)?.find(first)?;
                (Token::Text(rest.get(1..=end)?), end + 2)
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                    .unwrap_or(rest.len());
                let word = rest.get(..len)?;
                let token = match word {
                    "and" => Token::And,
                    "or" => Token::Or,
                    "in" => Token::Op("in"),
                    "not" => {
                        let after = rest.get(len..)?.trim_start();
                        let after_in = after.strip_prefix("in")?;
                        if after_in.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                            return None;
                        }
                        rest = after_in;
                        tokens.push(Token::Op("not in"));
                        continue;
                    }
                    _ => Token::Name(word),
                };
                (token, len)
            }
            _ => {
                let op = OPERATORS.into_iter().find(|op| rest.starts_with(op))?;
                (Token::Op(op), op.len())
            }
        };
        tokens.push(token);
        rest = rest.get(len..)?;
    }
}

struct Parser<'t, 'c> {
    tokens: &'t [Token<'t>],
    at: usize,
    context: Context<'c>,
}

impl<'t> Parser<'t, '_> {
    fn next(&mut self) -> Option<Token<'t>> {
        let token = *self.tokens.get(self.at)?;
        self.at += 1;
        Some(token)
    }

    fn peek(&self) -> Option<Token<'t>> {
        self.tokens.get(self.at).copied()
    }

    fn or_expression(&mut self, depth: usize) -> Option<Truth> {
        let mut value = self.and_expression(depth)?;
        while self.peek() == Some(Token::Or) {
            self.at += 1;
            let right = self.and_expression(depth)?;
            value = match (value, right) {
                (Truth::True, _) | (_, Truth::True) => Truth::True,
                (Truth::False, Truth::False) => Truth::False,
                _ => Truth::Unknown,
            };
        }
        Some(value)
    }

    fn and_expression(&mut self, depth: usize) -> Option<Truth> {
        let mut value = self.atom(depth)?;
        while self.peek() == Some(Token::And) {
            self.at += 1;
            let right = self.atom(depth)?;
            value = match (value, right) {
                (Truth::False, _) | (_, Truth::False) => Truth::False,
                (Truth::True, Truth::True) => Truth::True,
                _ => Truth::Unknown,
            };
        }
        Some(value)
    }

    fn atom(&mut self, depth: usize) -> Option<Truth> {
        if self.peek() == Some(Token::Open) {
            if depth >= MAX_DEPTH {
                return None;
            }
            self.at += 1;
            let value = self.or_expression(depth + 1)?;
            return (self.next()? == Token::Close).then_some(value);
        }
        let left = self.next()?;
        let Token::Op(op) = self.next()? else {
            return None;
        };
        let right = self.next()?;
        let context = self.context;
        let membership = |selected: Selected<'_>, name: &str, negated: bool| {
            if selected.contains(name) != negated {
                Truth::True
            } else {
                Truth::False
            }
        };
        Some(match (left, op, right) {
            (Token::Text(name), "in" | "not in", Token::Name(set)) => {
                let selected = match set {
                    "extras" => context.extras,
                    "dependency_groups" => context.groups,
                    _ => return Some(Truth::Unknown),
                };
                membership(selected, name, op == "not in")
            }
            (Token::Name("extra"), "==" | "!=", Token::Text(name))
            | (Token::Text(name), "==" | "!=", Token::Name("extra")) => {
                membership(context.extras, name, op == "!=")
            }
            (Token::Name(_) | Token::Text(_), _, Token::Name(_) | Token::Text(_)) => Truth::Unknown,
            _ => return None,
        })
    }
}

/// Whether `version` may satisfy the PEP 440 specifier set `spec` (`>=1.2,<2`, `*`, `1.0`,
/// `==3.*`). Unsure (unparseable) answers yes.
pub(crate) fn satisfies(version: &str, spec: &str) -> bool {
    spec.split(',')
        .all(|clause| clause_allows(version, clause.trim()))
}

fn clause_allows(version: &str, clause: &str) -> bool {
    if clause.is_empty() || clause == "*" {
        return true;
    }
    if let Some(exact) = clause.strip_prefix("===") {
        return version.trim() == exact.trim();
    }
    let (op, wanted) = ["==", "!=", "~=", "<=", ">=", "<", ">"]
        .into_iter()
        .find_map(|op| Some((op, clause.strip_prefix(op)?.trim())))
        .unwrap_or(("==", clause));
    // A local label on the candidate is ignored unless the specifier names one (PEP 440).
    let candidate_text = match (version.split_once('+'), wanted.contains('+')) {
        (Some((public, _)), false) => public,
        _ => version,
    };
    let Ok(candidate) = Version::parse(candidate_text) else {
        return true;
    };
    if let Some(prefix) = wanted.strip_suffix(".*") {
        let Ok(prefix) = Version::parse(prefix) else {
            return true;
        };
        let matched = has_release_prefix(&candidate, &prefix);
        return match op {
            "==" => matched,
            "!=" => !matched,
            _ => true,
        };
    }
    let Ok(wanted) = Version::parse(wanted) else {
        return true;
    };
    let order = candidate.cmp(&wanted);
    match op {
        "==" => order == Ordering::Equal,
        "!=" => order != Ordering::Equal,
        "<=" => order != Ordering::Greater,
        ">=" => order != Ordering::Less,
        "<" => order == Ordering::Less,
        ">" => order == Ordering::Greater,
        // `~=1.4.5` is `>=1.4.5, ==1.4.*`.
        _ => {
            let release = wanted.release();
            let prefix_len = release.len().saturating_sub(1).max(1);
            order != Ordering::Less
                && candidate.epoch() == wanted.epoch()
                && (0..prefix_len).all(|i| segment(&candidate, i) == release.get(i).cloned())
        }
    }
}

/// Release segment `i`, a missing one reading as zero (`1.2 == 1.2.0`).
fn segment(version: &Version, i: usize) -> Option<crate::vuln::version::pep440::Number> {
    Some(version.release().get(i).cloned().unwrap_or_default())
}

fn has_release_prefix(candidate: &Version, prefix: &Version) -> bool {
    candidate.epoch() == prefix.epoch()
        && (0..prefix.release().len()).all(|i| segment(candidate, i) == segment(prefix, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn extras_and_groups_decide_only_what_they_can() {
        let none = set(&[]);
        let default = set(&["default"]);
        let context = Context {
            extras: Selected::These(&none),
            groups: Selected::These(&default),
        };
        let cases = [
            ("\"default\" in dependency_groups", Truth::True),
            ("'dev' in dependency_groups", Truth::False),
            ("'dev' not in dependency_groups", Truth::True),
            ("extra == \"fancy\"", Truth::False),
            ("extra != 'fancy'", Truth::True),
            ("python_version < \"3.11\"", Truth::Unknown),
            (
                "python_version < \"3.11\" and \"dev\" in dependency_groups",
                Truth::False,
            ),
            (
                "\"dev\" in dependency_groups or \"fancy\" in extras",
                Truth::False,
            ),
            (
                "sys_platform == 'win32' or 'dev' in dependency_groups",
                Truth::Unknown,
            ),
            (
                "(extra == 'a' or extra == 'b') and os_name == 'nt'",
                Truth::False,
            ),
            ("extra == 'a' or", Truth::Unknown),
            ("extra = 'a'", Truth::Unknown),
            ("\"unterminated", Truth::Unknown),
        ];
        for (marker, expected) in cases {
            assert_eq!(evaluate(marker, context), expected, "{marker}");
        }
        let all = Context {
            extras: Selected::All,
            groups: Selected::These(&default),
        };
        assert_eq!(evaluate("extra == \"Fancy_Extra\"", all), Truth::True);
        assert_eq!(
            evaluate("'dev' in dependency_groups or 'x' in extras", all),
            Truth::True
        );
    }

    #[test]
    fn deep_nesting_is_unknown_not_a_crash() {
        let none = set(&[]);
        let context = Context {
            extras: Selected::These(&none),
            groups: Selected::These(&none),
        };
        let marker = format!("{}extra == 'a'{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(evaluate(&marker, context), Truth::Unknown);
        assert_eq!(evaluate("((extra == 'a'))", context), Truth::False);
    }

    #[test]
    fn specifiers() {
        assert!(satisfies("2.0.2", ">=1.24"));
        assert!(!satisfies("1.26.4", ">=2"));
        assert!(satisfies("1.45.2", "1.45.2"));
        assert!(!satisfies("1.45.3", "1.45.2"));
        assert!(satisfies("13.0.3", "==13.0.*"));
        assert!(!satisfies("13.1.0", "==13.0.*"));
        assert!(satisfies("2.2.6", ">=1.5,<3"));
        assert!(!satisfies("3.0", ">=1.5,<3"));
        assert!(satisfies("1.4.7", "~=1.4.5"));
        assert!(!satisfies("1.5.0", "~=1.4.5"));
        assert!(satisfies("2.5.1+cpu", "<=2.5.1"));
        assert!(satisfies("anything", "*"));
        assert!(satisfies("not-a-version", ">=1"));
        assert!(satisfies("1.0", "^1.0"));
    }
}
