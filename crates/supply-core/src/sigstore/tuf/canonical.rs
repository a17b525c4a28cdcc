//! The canonical JSON TUF signatures cover (securesystemslib's, OLPC-style): object keys sorted
//! by their UTF-8 bytes, no whitespace, strings with only `\` and `"` escaped (a PEM key's
//! newlines stay raw bytes), integers only. Computed from the document as parsed, unknown
//! fields included, never from a re-serialized struct.

use serde_json::Value;

/// The canonical bytes of `value`, or `None` when it holds a non-integer number.
pub(crate) fn canonical(value: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write(value, &mut out)?;
    Some(out)
}

fn write(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else {
                out.extend_from_slice(n.as_u64()?.to_string().as_bytes());
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(key, out);
                out.push(b':');
                write(item, out)?;
            }
            out.push(b'}');
        }
    }
    Some(())
}

fn string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for byte in s.bytes() {
        if byte == b'\\' || byte == b'"' {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn olpc_canonical_form() {
        let value: Value = serde_json::from_str(
            r#"{"b": [1, true, null], "a": "x\"y\\z\nline", "é": -3, "A": {"z": 1, "y": 2}}"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(canonical(&value).unwrap()).unwrap(),
            "{\"A\":{\"y\":2,\"z\":1},\"a\":\"x\\\"y\\\\z\nline\",\"b\":[1,true,null],\"é\":-3}"
        );
        assert!(canonical(&serde_json::json!({"f": 1.5})).is_none());
    }
}
