//! A fast path for JSON specs: the same position-keeping tree as [`super::yaml`], built by a
//! strict JSON reader.
//!
//! JSON is YAML, so `yaml::parse` reads a `.json` spec too, but yaml-rust2's general scanner
//! spent a third of the lint of a 3.7 MB spec (BENCHMARKS.md, issue 21). This reader accepts
//! only strict JSON (RFC 8259) and gives up on anything else, so the caller falls back to the
//! YAML parser for every document it does not take, and that parser's errors stay the ones
//! reported. On what it takes, it builds the tree yaml-rust2 would: the same positions (1-based
//! lines, a CR LF counting as one break; columns in characters; a string at its opening quote, a
//! collection at its bracket), the same scalars (numbers resolved by `yaml::resolve_scalar`), the
//! same duplicate keys in the same order, and the same nesting and node limits.

use std::collections::HashSet;

use yaml_rust2::scanner::TScalarStyle;

use super::yaml::{Document, Entry, Kind, MAX_NODES, Mapping, Node, Pos, join, resolve_scalar};

/// Collections nested deeper than this are left to yaml-rust2, which refuses them: it counts
/// flow levels (every level of a JSON document) in a `u8`.
const MAX_FLOW_DEPTH: usize = 255;

/// Up to this many keys, a mapping finds duplicates by scanning its entries.
const SCAN_LIMIT: usize = 16;

/// Reads `src` as one strict JSON value; `None` when it is not one (or exceeds the limits), in
/// which case the YAML parser must read it.
pub fn parse(src: &str) -> Option<Document> {
    let mut reader = Reader {
        text: src,
        src: src.as_bytes(),
        at: 0,
        line: 1,
        col: 1,
        nodes: 0,
        duplicate_keys: Vec::new(),
    };
    reader.skip_whitespace();
    let root = reader.value(&Path::Root, 0)?;
    reader.skip_whitespace();
    if reader.at != reader.src.len() {
        return None;
    }
    Some(Document {
        root,
        duplicate_keys: reader.duplicate_keys,
    })
}

/// Where a value sits, for the pointer of a duplicate key: built only when one is found.
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => join(&parent.pointer(), key),
            Path::Index(parent, i) => format!("{}/{i}", parent.pointer()),
        }
    }
}

/// The reading position in the source and what has been collected so far.
struct Reader<'s> {
    text: &'s str,
    /// `text`'s bytes.
    src: &'s [u8],
    /// Byte offset of the next byte.
    at: usize,
    /// 1-based line of the next byte.
    line: usize,
    /// 1-based column, in characters, of the next byte.
    col: usize,
    /// Nodes read, keys included (as the YAML builder counts them).
    nodes: usize,
    duplicate_keys: Vec<String>,
}

impl Reader<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.at).copied()
    }

    /// Steps over one byte that is not a line break.
    fn bump(&mut self) {
        // A UTF-8 continuation byte continues the character already counted.
        if self.src[self.at] & 0xC0 != 0x80 {
            self.col += 1;
        }
        self.at += 1;
    }

    fn skip_whitespace(&mut self) {
        // Plain loops over locals: `cargo xtask lint` runs unoptimised, where every call counts.
        let (src, mut at) = (self.src, self.at);
        while at < src.len() {
            match src[at] {
                b' ' | b'\t' => {
                    self.col += 1;
                    at += 1;
                }
                b'\n' => {
                    at += 1;
                    self.line += 1;
                    self.col = 1;
                }
                b'\r' => {
                    at += 1;
                    if at < src.len() && src[at] == b'\n' {
                        at += 1;
                    }
                    self.line += 1;
                    self.col = 1;
                }
                _ => break,
            }
        }
        self.at = at;
    }

    /// Counts one node against the budget.
    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// Reads one value at the current position.
    fn value(&mut self, path: &Path, depth: usize) -> Option<Node> {
        let pos = self.pos();
        self.count()?;
        let kind = match self.peek()? {
            b'{' => self.object(path, depth)?,
            b'[' => self.array(path, depth)?,
            b'"' => Kind::Str(self.string()?),
            b'-' | b'0'..=b'9' => self.number()?,
            _ => self.literal()?,
        };
        Some(Node { pos, kind })
    }

    fn object(&mut self, path: &Path, depth: usize) -> Option<Kind> {
        if depth >= MAX_FLOW_DEPTH {
            return None;
        }
        self.bump();
        let mut entries = Vec::new();
        let mut keys = HashSet::new();
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.bump();
            return Some(Kind::Map(Mapping::new(entries)));
        }
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            let key_pos = self.pos();
            self.count()?;
            let key = self.string()?;
            self.skip_whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.bump();
            self.skip_whitespace();
            let value = self.value(&Path::Key(path, &key), depth + 1)?;
            // Most mappings are small: a scan is cheaper than hashing until one is not.
            let duplicate = if entries.len() < SCAN_LIMIT {
                entries.iter().any(|e: &Entry| e.key == key)
            } else {
                if keys.is_empty() {
                    keys.extend(entries.iter().map(|e| e.key.clone()));
                }
                !keys.insert(key.clone())
            };
            if duplicate {
                self.duplicate_keys.push(join(&path.pointer(), &key));
            }
            entries.push(Entry {
                key,
                key_pos,
                value,
            });
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.bump();
                    self.skip_whitespace();
                }
                b'}' => {
                    self.bump();
                    return Some(Kind::Map(Mapping::new(entries)));
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, path: &Path, depth: usize) -> Option<Kind> {
        if depth >= MAX_FLOW_DEPTH {
            return None;
        }
        self.bump();
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.bump();
            return Some(Kind::Seq(items));
        }
        loop {
            let item = self.value(&Path::Index(path, items.len()), depth + 1)?;
            items.push(item);
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.bump();
                    self.skip_whitespace();
                }
                b']' => {
                    self.bump();
                    return Some(Kind::Seq(items));
                }
                _ => return None,
            }
        }
    }

    /// Reads a string, the opening quote included.
    fn string(&mut self) -> Option<String> {
        self.bump();
        let mut out = String::new();
        loop {
            // The run of plain bytes up to the next quote, escape or control character.
            let (src, start) = (self.src, self.at);
            let mut at = start;
            while at < src.len() {
                let b = src[at];
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                // A UTF-8 continuation byte continues the character already counted.
                if b & 0xC0 != 0x80 {
                    self.col += 1;
                }
                at += 1;
            }
            self.at = at;
            // The run stops at ASCII bytes (or the end): it is whole characters of the `str`.
            out.push_str(self.text.get(start..at)?);
            match self.peek()? {
                b'"' => {
                    self.bump();
                    return Some(out);
                }
                b'\\' => {
                    self.bump();
                    let escaped = self.peek()?;
                    self.bump();
                    out.push(match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    });
                }
                // A raw control character (a line break among them) is not JSON.
                _ => return None,
            }
        }
    }

    /// The character of a `\u` escape (after the `u`), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high);
        }
        if self.peek()? != b'\\' {
            return None;
        }
        self.bump();
        if self.peek()? != b'u' {
            return None;
        }
        self.bump();
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return None;
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.at..self.at + 4)?;
        let text = std::str::from_utf8(digits).ok()?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let value = u32::from_str_radix(text, 16).ok()?;
        for _ in 0..4 {
            self.bump();
        }
        Some(value)
    }

    /// Reads a number by JSON's grammar and resolves it as YAML resolves the same plain scalar.
    fn number(&mut self) -> Option<Kind> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.bump();
        }
        match self.peek()? {
            b'0' => self.bump(),
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.bump();
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.bump();
            if matches!(self.peek(), Some(b'-' | b'+')) {
                self.bump();
            }
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        let text = std::str::from_utf8(&self.src[start..self.at]).ok()?;
        Some(resolve_scalar(text, TScalarStyle::Plain, None))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.bump();
        }
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Option<Kind> {
        for (word, kind) in [
            ("true", Kind::Bool(true)),
            ("false", Kind::Bool(false)),
            ("null", Kind::Null),
        ] {
            if self.src[self.at..].starts_with(word.as_bytes()) {
                for _ in 0..word.len() {
                    self.bump();
                }
                return Some(kind);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::yaml;
    use super::*;

    /// Asserts that both readers build the same tree: kinds, keys and every position.
    fn assert_same(json: &Node, yaml: &Node, at: &str) {
        assert_eq!(json.pos, yaml.pos, "position of {at:?}");
        match (&json.kind, &yaml.kind) {
            (Kind::Map(a), Kind::Map(b)) => {
                let (a, b) = (a.entries(), b.entries());
                assert_eq!(a.len(), b.len(), "entries of {at:?}");
                for (a, b) in a.iter().zip(b) {
                    let child = join(at, &a.key);
                    assert_eq!(a.key, b.key, "key in {at:?}");
                    assert_eq!(a.key_pos, b.key_pos, "key position of {child:?}");
                    assert_same(&a.value, &b.value, &child);
                }
            }
            (Kind::Seq(a), Kind::Seq(b)) => {
                assert_eq!(a.len(), b.len(), "items of {at:?}");
                for (i, (a, b)) in a.iter().zip(b).enumerate() {
                    assert_same(a, b, &format!("{at}/{i}"));
                }
            }
            (Kind::Null, Kind::Null) => {}
            (Kind::Bool(a), Kind::Bool(b)) => assert_eq!(a, b, "{at:?}"),
            (Kind::Number(a), Kind::Number(b)) => assert_eq!(a, b, "{at:?}"),
            (Kind::Str(a), Kind::Str(b)) => assert_eq!(a, b, "{at:?}"),
            (a, b) => panic!("{at:?}: {a:?} against {b:?}"),
        }
    }

    fn same_as_yaml(src: &str) {
        let json = parse(src).unwrap_or_else(|| panic!("JSON reader refused {src:?}"));
        let yaml = yaml::parse(src).expect("YAML parses it");
        assert_same(&json.root, &yaml.root, "");
        assert_eq!(json.duplicate_keys, yaml.duplicate_keys);
    }

    #[test]
    fn builds_the_tree_the_yaml_parser_builds() {
        for src in [
            "{}",
            "[]",
            " \n{\"a\": 1}\n",
            "{\"a\":{\"b\":[1,-2.5e3,0.0,true,false,null,\"x\"]},\"c\":[]}",
            "{\n  \"a\": [\n    {\"k\": \"v\"},\n    [1, 2]\n  ],\n  \"b\": {}\n}\n",
            // Columns count characters, not bytes; a CR LF is one line break, a CR alone too.
            "{\"é€😀\": \"ü\", \"n\": \"x\"}",
            "{\r\n  \"a\": 1,\r\n  \"b\":\r [2]\r\n}",
            "{\n\t\"tab\": 1}",
            r#"{"e": "\" \\ \/ \b \f \n \r \t \u00e9", "\u0041": 1}"#,
            // Numbers as the YAML core schema resolves them: beyond 64 bits, a float.
            "[0, -0, 18446744073709551615, 18446744073709551616, -9223372036854775808, 1E2, 1e-400]",
            // Duplicate keys, nested first.
            "{\"a\": {\"x\": 1, \"x\": 2}, \"a\": 3, \"b/~\": {\"y\": 1, \"y\": 1}, \"b/~\": 0}",
        ] {
            same_as_yaml(src);
        }
    }

    #[test]
    fn reads_what_yaml_rust2_refuses_of_json() {
        // A character beyond the BMP escaped as a surrogate pair is JSON; yaml-rust2 reads each
        // half alone and gives up.
        let src = r#"{"e": "\ud83d\ude00"}"#;
        assert!(yaml::parse(src).is_err());
        let doc = parse(src).expect("JSON");
        assert_eq!(doc.root.to_json()["e"], "\u{1f600}");
    }

    #[test]
    fn refuses_what_is_not_strict_json() {
        for src in [
            "",
            "openapi: 3.0.3\n",
            "{a: 1}",
            "{\"a\": 1,}",
            "[1, 2,]",
            "{\"a\": 1} x",
            "{\"a\": 1}\n---\n{}",
            "{\"a\": 'x'}",
            "{\"a\": \"line\nbreak\"}",
            "{\"a\": \"\\x\"}",
            "{\"a\": \"\\ud800\"}",
            "{\"a\": \"\\udc00\"}",
            "{\"a\": 01}",
            "{\"a\": 1.}",
            "{\"a\": .5}",
            "{\"a\": +1}",
            "{\"a\": 1e}",
            "{\"a\": tru}",
            "{\"a\" 1}",
            "{\"a\": [1 2]}",
            "{\"a\"",
            "\"unterminated",
        ] {
            assert!(parse(src).is_none(), "{src:?}");
        }
    }

    #[test]
    fn keeps_the_yaml_limits() {
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_FLOW_DEPTH + 1),
            "]".repeat(MAX_FLOW_DEPTH + 1)
        );
        assert!(parse(&deep).is_none());
        assert!(yaml::parse(&deep).is_err());
        let shallow = format!(
            "{}{}",
            "[".repeat(MAX_FLOW_DEPTH),
            "]".repeat(MAX_FLOW_DEPTH)
        );
        assert!(parse(&shallow).is_some());
        assert!(yaml::parse(&shallow).is_ok());
    }

    /// Every JSON file the linter's tests read: the real specs (3.7 MB of GitHub's among
    /// them), the fixtures and the OAI examples.
    #[test]
    fn the_test_corpora_read_the_same_as_with_yaml() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
        let mut files = Vec::new();
        let mut dirs = vec![dir];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("the test directory lists") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() >= 9, "{files:?}");
        for path in files {
            let src = std::fs::read_to_string(&path).expect("the file reads");
            let src = src.strip_prefix('\u{feff}').unwrap_or(&src);
            match (parse(src), yaml::parse(src)) {
                (Some(json), Ok(yaml)) => {
                    assert_same(&json.root, &yaml.root, "");
                    assert_eq!(json.duplicate_keys, yaml.duplicate_keys, "{path:?}");
                }
                // The fixtures hold broken documents on purpose; the real specs are JSON.
                (None, _) => assert!(
                    !path.components().any(|c| c.as_os_str() == "real-specs"),
                    "{path:?}: the JSON reader refuses a real spec"
                ),
                (Some(_), Err(err)) => panic!("{path:?}: only YAML refuses it: {err:?}"),
            }
        }
    }
}
