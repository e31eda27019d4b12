//! A YAML (and so JSON) tree that remembers where every node came from.
//!
//! serde_yaml drops positions, and every finding must name a line, so the linter builds its own
//! tree from `yaml-rust2`'s event parser. The tree is deliberately JSON-shaped (string keys,
//! JSON scalars) because an OpenAPI document is a JSON document written in YAML.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Deeper nesting than this is refused: the rules recurse over the tree.
const MAX_DEPTH: usize = 256;
/// More nodes than this (after alias expansion) is refused: guards against "billion laughs".
pub const MAX_NODES: usize = 2_000_000;

/// A 1-based line and column in the source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

impl Pos {
    fn from_marker(m: &Marker) -> Self {
        // yaml-rust2 counts lines from 1 and columns from 0.
        Pos {
            line: m.line(),
            col: m.col() + 1,
        }
    }
}

/// One node of the document.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where the node starts (for a mapping value, where its key starts is in [`Entry::key_pos`]).
    pub pos: Pos,
    /// What the node holds.
    pub kind: Kind,
}

/// The content of a node, already resolved to JSON types (YAML 1.2 core schema).
#[derive(Clone, Debug)]
pub enum Kind {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer or a finite float.
    Number(Number),
    /// Any other scalar (also `.inf` / `.nan`, which JSON cannot hold).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Mapping),
}

/// Mappings with more entries than this get an index by key.
const INDEXED_FROM: usize = 16;

/// A mapping's entries in source order, and for a large one, where each key is.
#[derive(Clone, Debug)]
pub struct Mapping {
    entries: Vec<Entry>,
    /// The position in `entries` of the last entry of each key, for a mapping of more than
    /// [`INDEXED_FROM`] entries: the rules and the positions look up keys in `paths` and
    /// `components/schemas` (900 entries in GitHub's spec) thousands of times.
    index: Option<HashMap<String, usize>>,
}

impl Mapping {
    /// The mapping of `entries`.
    pub fn new(entries: Vec<Entry>) -> Self {
        let index = (entries.len() > INDEXED_FROM).then(|| {
            entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect()
        });
        Mapping { entries, index }
    }

    /// The entries, in source order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry under `key` (the last one when a key is duplicated, as in JSON).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        match &self.index {
            Some(index) => index.get(key).map(|&i| &self.entries[i]),
            None => self.entries.iter().rev().find(|e| e.key == key),
        }
    }
}

/// One key/value pair of a mapping.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The key, as written (a YAML `200:` key is the string `"200"`, as in JSON).
    pub key: String,
    /// Where the key starts: the line reported for findings about this entry.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// A parsed document and what the parser noticed beyond plain syntax errors.
#[derive(Debug)]
pub struct Document {
    /// The root node (a `Null` node for an empty file).
    pub root: Node,
    /// JSON pointers of keys that appear twice in one mapping (they resolve to the last one).
    pub duplicate_keys: Vec<String>,
}

/// A YAML error: the document cannot be linted at all.
#[derive(Debug)]
pub struct ParseError {
    /// Where the parser gave up.
    pub pos: Pos,
    /// What went wrong.
    pub message: String,
}

impl Node {
    /// The value under `key` if this is a mapping (the last one when a key is duplicated, as in JSON).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry under `key` if this is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// The entries if this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.kind {
            Kind::Map(map) => Some(map.entries()),
            _ => None,
        }
    }

    /// The items if this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// `node.get(key)` as a string.
    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// Whether this is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// The JSON type name of the node, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Number(n) if n.is_f64() => "number",
            Kind::Number(_) => "integer",
            Kind::Str(_) => "string",
            Kind::Seq(_) => "array",
            Kind::Map(_) => "object",
        }
    }

    /// The node as a JSON value (for a duplicated key the last value wins, as in JSON parsers).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => Value::Number(n.clone()),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                let mut map = Map::with_capacity(entries.entries().len());
                for e in entries.entries() {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The position to report for `pointer`: the deepest existing node on the way, using the key's
    /// position for mapping entries.
    pub fn pos_of(&self, pointer: &str) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for token in tokens(pointer) {
            match &node.kind {
                Kind::Map(map) => match map.get(&token) {
                    Some(e) => {
                        pos = e.key_pos;
                        node = &e.value;
                    }
                    None => break,
                },
                Kind::Seq(items) => match token.parse::<usize>().ok().and_then(|i| items.get(i)) {
                    Some(item) => {
                        pos = item.pos;
                        node = item;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        pos
    }

    /// The node at `pointer`, if it exists.
    pub fn at(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for token in tokens(pointer) {
            node = match &node.kind {
                Kind::Map(_) => node.get(&token)?,
                Kind::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// Appends one token to a JSON pointer, escaping `~` and `/`.
pub fn join(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            _ => out.push(c),
        }
    }
    out
}

/// Appends an array index to a JSON pointer.
pub fn join_index(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

/// Splits a JSON pointer into unescaped tokens (`""` is the root and has none).
pub fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    tokens(pointer).map(Cow::into_owned)
}

/// [`pointer_tokens`], borrowing the tokens that have no escape: the look-ups take most.
fn tokens(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(|t| {
        if t.contains('~') {
            Cow::Owned(t.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(t)
        }
    })
}

/// Parses the first document of `src`.
pub fn parse(src: &str) -> Result<Document, ParseError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(src);
    loop {
        let (event, marker) = parser.next_token().map_err(|e| ParseError {
            pos: Pos::from_marker(e.marker()),
            message: e.info().to_string(),
        })?;
        match event {
            Event::StreamEnd => break,
            // Only the first document is linted: an OpenAPI file holds one.
            Event::DocumentEnd => break,
            other => builder.event(other, &marker)?,
        }
    }
    let root = builder.root.unwrap_or(Node {
        pos: Pos { line: 1, col: 1 },
        kind: Kind::Null,
    });
    Ok(Document {
        root,
        duplicate_keys: builder.duplicate_keys,
    })
}

/// A collection being built.
enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
        pointer: String,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// The keys seen so far, to spot duplicates without a quadratic scan.
        keys: HashSet<String>,
        pending_key: Option<(String, Pos)>,
        pointer: String,
    },
}

/// Turns parser events into a [`Node`] tree.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    /// Anchored nodes, with their size in nodes for the alias-expansion budget.
    anchors: HashMap<usize, (Node, usize)>,
    /// Node sizes of the open collections, to size anchored collections.
    sizes: Vec<usize>,
    nodes: usize,
    duplicate_keys: Vec<String>,
}

impl Builder {
    fn event(&mut self, event: Event, marker: &Marker) -> Result<(), ParseError> {
        let pos = Pos::from_marker(marker);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    pos,
                    kind: resolve_scalar(&text, style, tag.as_ref()),
                };
                // A plain scalar used as a key keeps its text: `200:` is the key "200".
                if let Some(Frame::Map {
                    pending_key: pending @ None,
                    ..
                }) = self.stack.last_mut()
                {
                    *pending = Some((text, pos));
                    self.count(1)?;
                    return Ok(());
                }
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.push(node, 1)
            }
            Event::Alias(id) => {
                let (node, size) = self.anchors.get(&id).cloned().ok_or_else(|| ParseError {
                    pos,
                    message: format!("unknown alias {id}"),
                })?;
                if let Some(Frame::Map {
                    pending_key: pending @ None,
                    ..
                }) = self.stack.last_mut()
                {
                    let key = match &node.kind {
                        Kind::Str(s) => s.clone(),
                        Kind::Null => "null".to_string(),
                        Kind::Bool(b) => b.to_string(),
                        Kind::Number(n) => n.to_string(),
                        _ => return Err(complex_key(pos)),
                    };
                    *pending = Some((key, pos));
                    self.count(1)?;
                    return Ok(());
                }
                self.push(node, size)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if matches!(
                    self.stack.last(),
                    Some(Frame::Map {
                        pending_key: None,
                        ..
                    })
                ) {
                    return Err(complex_key(pos));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(ParseError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                let pointer = self.child_pointer();
                self.count(1)?;
                self.sizes.push(1);
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            pos,
                            anchor,
                            items: Vec::new(),
                            pointer,
                        }
                    } else {
                        Frame::Map {
                            pos,
                            anchor,
                            entries: Vec::new(),
                            keys: HashSet::new(),
                            pending_key: None,
                            pointer,
                        }
                    });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let size = self.sizes.pop().unwrap_or(1);
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        pos, anchor, items, ..
                    }) => (
                        Node {
                            pos,
                            kind: Kind::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        anchor,
                        entries,
                        ..
                    }) => {
                        // A block mapping's start event comes after its first key was scanned:
                        // the first key is where the mapping really starts.
                        let pos = match entries.first() {
                            Some(e) if (e.key_pos.line, e.key_pos.col) < (pos.line, pos.col) => {
                                e.key_pos
                            }
                            _ => pos,
                        };
                        (
                            Node {
                                pos,
                                kind: Kind::Map(Mapping::new(entries)),
                            },
                            anchor,
                        )
                    }
                    None => return Ok(()),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                // The nodes were already counted as they arrived.
                self.attach(node, size)
            }
            Event::StreamStart | Event::DocumentStart | Event::DocumentEnd | Event::Nothing => {
                Ok(())
            }
            Event::StreamEnd => Ok(()),
        }
    }

    /// Counts `n` new nodes against the budget.
    fn count(&mut self, n: usize) -> Result<(), ParseError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(ParseError {
                pos: Pos::default(),
                message: format!("more than {MAX_NODES} nodes (alias expansion?)"),
            });
        }
        Ok(())
    }

    /// Adds a new leaf (or an alias copy of `size` nodes) to the open collection.
    fn push(&mut self, node: Node, size: usize) -> Result<(), ParseError> {
        self.count(size)?;
        self.attach(node, size)
    }

    /// Hangs a finished node on its parent (or makes it the root).
    fn attach(&mut self, node: Node, size: usize) -> Result<(), ParseError> {
        if let Some(s) = self.sizes.last_mut() {
            *s = s.saturating_add(size);
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                keys,
                pending_key,
                pointer,
                ..
            }) => {
                if let Some((key, key_pos)) = pending_key.take() {
                    if !keys.insert(key.clone()) {
                        self.duplicate_keys.push(join(pointer, &key));
                    }
                    entries.push(Entry {
                        key,
                        key_pos,
                        value: node,
                    });
                }
            }
        }
        Ok(())
    }

    /// The pointer of the collection about to be opened.
    fn child_pointer(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { items, pointer, .. }) => join_index(pointer, items.len()),
            Some(Frame::Map {
                pending_key,
                pointer,
                ..
            }) => match pending_key {
                Some((key, _)) => join(pointer, key),
                None => pointer.clone(),
            },
        }
    }
}

fn complex_key(pos: Pos) -> ParseError {
    ParseError {
        pos,
        message: "a mapping key must be a scalar (JSON has only string keys)".to_string(),
    }
}

/// Resolves a scalar by the YAML 1.2 core schema (what serde_yaml 0.9 does too).
pub fn resolve_scalar(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Kind {
    if let Some(tag) = tag {
        // `!!str 1` is the string "1"; other standard tags resolve as plain scalars would.
        if tag.suffix == "str" || tag.suffix.ends_with(":str") {
            return Kind::Str(text.to_string());
        }
    } else if style != TScalarStyle::Plain {
        return Kind::Str(text.to_string());
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Kind::Null,
        "true" | "True" | "TRUE" => return Kind::Bool(true),
        "false" | "False" | "FALSE" => return Kind::Bool(false),
        _ => {}
    }
    // Most plain scalars are words and sentences: only a digit, a sign or a point can start a
    // number (and skipping the scans below matters in the debug build `cargo xtask` runs).
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        return Kind::Str(text.to_string());
    }
    if let Some(n) = parse_int(text) {
        return Kind::Number(n);
    }
    if is_float(text)
        && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64)
    {
        return Kind::Number(n);
    }
    Kind::Str(text.to_string())
}

/// Integers of the core schema: decimal (with sign), `0x` hex and `0o` octal.
fn parse_int(text: &str) -> Option<Number> {
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Number::from);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(Number::from);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    if let Ok(i) = unsigned.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = unsigned.parse::<u64>() {
        return Some(Number::from(u));
    }
    // Beyond 64 bits: keep the magnitude as a float, as JSON parsers do.
    unsigned.parse::<f64>().ok().and_then(Number::from_f64)
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exponent_ok = match exponent {
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
        None => true,
    };
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_keys() {
        let doc = parse("a:\n  b: 1\n  c:\n    - x\n    - y: 2\n").expect("parses");
        assert_eq!(doc.root.pos_of("/a/b"), Pos { line: 2, col: 3 });
        assert_eq!(doc.root.pos_of("/a/c/1"), Pos { line: 5, col: 7 });
        assert_eq!(doc.root.pos_of("/a/c/1/y"), Pos { line: 5, col: 7 });
        // A missing node reports its deepest existing ancestor.
        assert_eq!(doc.root.pos_of("/a/zzz/q"), Pos { line: 1, col: 1 });
    }

    #[test]
    fn scalars_resolve_like_json() {
        let doc = parse("a: 1\nb: '1'\nc: 1.5\nd: ~\ne: true\nf: 18446744073709551616\n200: x\n")
            .expect("parses");
        let json = doc.root.to_json();
        assert_eq!(json["a"], serde_json::json!(1));
        assert_eq!(json["b"], serde_json::json!("1"));
        assert_eq!(json["c"], serde_json::json!(1.5));
        assert_eq!(json["d"], Value::Null);
        assert_eq!(json["e"], serde_json::json!(true));
        assert!(json["f"].is_f64());
        assert_eq!(json["200"], serde_json::json!("x"));
    }

    #[test]
    fn large_mappings_find_keys_as_small_ones() {
        // Past INDEXED_FROM entries a mapping looks keys up in its index: the last of a
        // duplicated key wins there too, and missing keys stay missing.
        for n in [3, INDEXED_FROM + 5] {
            let mut src: String = (0..n).map(|i| format!("k{i}: {i}\n")).collect();
            src.push_str("k1: last\n");
            let doc = parse(&src).expect("parses");
            assert_eq!(doc.root.str_at("k1"), Some("last"), "{n} entries");
            assert_eq!(
                doc.root.get("k2").map(Node::to_json),
                Some(serde_json::json!(2))
            );
            assert!(doc.root.get("nope").is_none());
            assert_eq!(
                doc.root.pos_of("/k1"),
                Pos {
                    line: n + 1,
                    col: 1
                }
            );
        }
    }

    #[test]
    fn duplicate_keys_and_aliases() {
        let doc = parse("a: &x {k: 1}\nb: *x\na: 2\n").expect("parses");
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(doc.duplicate_keys[0], "/a");
        assert_eq!(doc.root.to_json()["b"]["k"], serde_json::json!(1));
    }

    #[test]
    fn errors_and_limits() {
        assert!(parse("a: [1, 2\n").is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        assert!(parse(bomb).is_err());
        assert!(matches!(
            parse("").expect("empty parses").root.kind,
            Kind::Null
        ));
        assert!(parse("{[1]: 2}").is_err());
    }
}
