//! One structural walk over the document that lists what the rules look at: operations,
//! schemas, parameters, headers, media types and references, each with its JSON pointer.
//!
//! The walk follows the OpenAPI 3.0 object model rather than scanning every mapping, so that a
//! property called `example` or an example value holding a `$ref` key is never mistaken for a
//! keyword. Referenced objects are not entered: each object is listed once, where it is defined.

use super::yaml::{Node, join, join_index};

/// The HTTP methods a path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An operation under `paths` (operations inside callbacks are walked but not listed).
pub struct Operation<'a> {
    /// The path template, e.g. `/v1/meetings/{meetingId}`.
    pub path: &'a str,
    /// The pointer of the path item.
    pub path_ptr: String,
    /// The method key, e.g. `get`.
    pub method: &'a str,
    /// The pointer of the operation.
    pub ptr: String,
    /// The operation.
    pub node: &'a Node,
}

/// An object defined in place (not a `$ref`), with its pointer.
pub struct Site<'a> {
    /// Where it is.
    pub ptr: String,
    /// The object.
    pub node: &'a Node,
}

/// A schema defined in place.
pub struct SchemaSite<'a> {
    /// Where it is.
    pub ptr: String,
    /// The schema.
    pub node: &'a Node,
    /// For a member of `allOf`/`anyOf`/`oneOf`: the index (in [`Index::schemas`]) of the schema
    /// holding the composition, whose properties the member may require.
    pub composition_parent: Option<usize>,
    /// Whether this schema is the value of a `properties` entry.
    pub is_property: bool,
}

/// A `$ref` object.
pub struct RefSite<'a> {
    /// The pointer of the object holding `$ref`.
    pub ptr: String,
    /// The reference as written.
    pub target: &'a str,
    /// The object holding `$ref`.
    pub node: &'a Node,
    /// Whether this is a path item `$ref`, where sibling fields are allowed.
    pub path_item: bool,
}

/// Everything the walk found.
#[derive(Default)]
pub struct Index<'a> {
    /// Operations under `paths`, in document order.
    pub operations: Vec<Operation<'a>>,
    /// Schemas defined in place, parents before their subschemas.
    pub schemas: Vec<SchemaSite<'a>>,
    /// Parameter objects defined in place.
    pub parameters: Vec<Site<'a>>,
    /// Header objects defined in place.
    pub headers: Vec<Site<'a>>,
    /// Media type objects (entries of a `content` map).
    pub media_types: Vec<Site<'a>>,
    /// Every `$ref` object met by the walk.
    pub refs: Vec<RefSite<'a>>,
}

impl<'a> Index<'a> {
    /// Walks the document.
    pub fn build(root: &'a Node) -> Self {
        let mut index = Index::default();
        if let Some(paths) = root.get("paths").and_then(Node::as_map) {
            for e in paths {
                if e.key.starts_with("x-") {
                    continue;
                }
                let ptr = join(&join("", "paths"), &e.key);
                index.path_item(&ptr, &e.value, Some(&e.key));
            }
        }
        // Redocly's extension for the events a service sends (OpenAPI 3.1's `webhooks`): path
        // items outside `paths`, walked like callbacks so what they refer to counts as used and
        // their examples are checked, but not listed as operations (no client is generated).
        if let Some(webhooks) = root.get("x-webhooks").and_then(Node::as_map) {
            for e in webhooks {
                let ptr = join(&join("", "x-webhooks"), &e.key);
                index.path_item(&ptr, &e.value, None);
            }
        }
        if let Some(components) = root.get("components").and_then(Node::as_map) {
            for section in components {
                let Some(entries) = section.value.as_map() else {
                    continue;
                };
                let section_ptr = join("/components", &section.key);
                for e in entries {
                    let ptr = join(&section_ptr, &e.key);
                    let v = &e.value;
                    match section.key.as_str() {
                        "schemas" => index.schema(&ptr, v, None, false),
                        "responses" => index.response(&ptr, v),
                        "parameters" => index.parameter(&ptr, v),
                        "examples" | "links" | "securitySchemes" => {
                            index.reference(&ptr, v);
                        }
                        "requestBodies" => index.request_body(&ptr, v),
                        "headers" => index.header(&ptr, v),
                        "callbacks" => index.callback(&ptr, v),
                        _ => {}
                    }
                }
            }
        }
        index
    }

    /// Records `node` if it is a `$ref` object; returns whether it was.
    fn reference(&mut self, ptr: &str, node: &'a Node) -> bool {
        self.reference_of(ptr, node, false)
    }

    fn reference_of(&mut self, ptr: &str, node: &'a Node, path_item: bool) -> bool {
        match node.get("$ref") {
            Some(target) => {
                if let Some(target) = target.as_str() {
                    self.refs.push(RefSite {
                        ptr: ptr.to_string(),
                        target,
                        node,
                        path_item,
                    });
                }
                true
            }
            None => false,
        }
    }

    fn path_item(&mut self, ptr: &str, node: &'a Node, path: Option<&'a str>) {
        // A path item may carry `$ref` and fields side by side, so keep walking after it.
        self.reference_of(ptr, node, true);
        self.parameters_list(&join(ptr, "parameters"), node.get("parameters"));
        for method in METHODS {
            let Some(op) = node.get(method) else { continue };
            let op_ptr = join(ptr, method);
            if let Some(path) = path {
                self.operations.push(Operation {
                    path,
                    path_ptr: ptr.to_string(),
                    method,
                    ptr: op_ptr.clone(),
                    node: op,
                });
            }
            self.operation(&op_ptr, op);
        }
    }

    fn operation(&mut self, ptr: &str, node: &'a Node) {
        self.parameters_list(&join(ptr, "parameters"), node.get("parameters"));
        if let Some(body) = node.get("requestBody") {
            self.request_body(&join(ptr, "requestBody"), body);
        }
        if let Some(responses) = node.get("responses").and_then(Node::as_map) {
            let responses_ptr = join(ptr, "responses");
            for e in responses {
                if !e.key.starts_with("x-") {
                    self.response(&join(&responses_ptr, &e.key), &e.value);
                }
            }
        }
        if let Some(callbacks) = node.get("callbacks").and_then(Node::as_map) {
            let callbacks_ptr = join(ptr, "callbacks");
            for e in callbacks {
                self.callback(&join(&callbacks_ptr, &e.key), &e.value);
            }
        }
    }

    fn callback(&mut self, ptr: &str, node: &'a Node) {
        if self.reference(ptr, node) {
            return;
        }
        for e in node.as_map().unwrap_or_default() {
            if !e.key.starts_with("x-") {
                self.path_item(&join(ptr, &e.key), &e.value, None);
            }
        }
    }

    fn parameters_list(&mut self, ptr: &str, list: Option<&'a Node>) {
        for (i, p) in list
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            self.parameter(&join_index(ptr, i), p);
        }
    }

    fn parameter(&mut self, ptr: &str, node: &'a Node) {
        if self.reference(ptr, node) {
            return;
        }
        self.parameters.push(Site {
            ptr: ptr.to_string(),
            node,
        });
        self.parameter_like(ptr, node);
    }

    fn header(&mut self, ptr: &str, node: &'a Node) {
        if self.reference(ptr, node) {
            return;
        }
        self.headers.push(Site {
            ptr: ptr.to_string(),
            node,
        });
        self.parameter_like(ptr, node);
    }

    /// The parts parameters and headers share.
    fn parameter_like(&mut self, ptr: &str, node: &'a Node) {
        if let Some(schema) = node.get("schema") {
            self.schema(&join(ptr, "schema"), schema, None, false);
        }
        self.content(&join(ptr, "content"), node.get("content"));
        self.examples(&join(ptr, "examples"), node.get("examples"));
    }

    fn request_body(&mut self, ptr: &str, node: &'a Node) {
        if self.reference(ptr, node) {
            return;
        }
        self.content(&join(ptr, "content"), node.get("content"));
    }

    fn response(&mut self, ptr: &str, node: &'a Node) {
        if self.reference(ptr, node) {
            return;
        }
        if let Some(headers) = node.get("headers").and_then(Node::as_map) {
            let headers_ptr = join(ptr, "headers");
            for e in headers {
                self.header(&join(&headers_ptr, &e.key), &e.value);
            }
        }
        self.content(&join(ptr, "content"), node.get("content"));
        if let Some(links) = node.get("links").and_then(Node::as_map) {
            let links_ptr = join(ptr, "links");
            for e in links {
                self.reference(&join(&links_ptr, &e.key), &e.value);
            }
        }
    }

    fn content(&mut self, ptr: &str, content: Option<&'a Node>) {
        for e in content.and_then(Node::as_map).unwrap_or_default() {
            let mt_ptr = join(ptr, &e.key);
            let mt = &e.value;
            self.media_types.push(Site {
                ptr: mt_ptr.clone(),
                node: mt,
            });
            if let Some(schema) = mt.get("schema") {
                self.schema(&join(&mt_ptr, "schema"), schema, None, false);
            }
            self.examples(&join(&mt_ptr, "examples"), mt.get("examples"));
            if let Some(encoding) = mt.get("encoding").and_then(Node::as_map) {
                let encoding_ptr = join(&mt_ptr, "encoding");
                for enc in encoding {
                    let Some(headers) = enc.value.get("headers").and_then(Node::as_map) else {
                        continue;
                    };
                    let headers_ptr = join(&join(&encoding_ptr, &enc.key), "headers");
                    for h in headers {
                        self.header(&join(&headers_ptr, &h.key), &h.value);
                    }
                }
            }
        }
    }

    fn examples(&mut self, ptr: &str, examples: Option<&'a Node>) {
        for e in examples.and_then(Node::as_map).unwrap_or_default() {
            self.reference(&join(ptr, &e.key), &e.value);
        }
    }

    fn schema(&mut self, ptr: &str, node: &'a Node, parent: Option<usize>, is_property: bool) {
        if !node.is_map() || self.reference(ptr, node) {
            return;
        }
        let me = self.schemas.len();
        self.schemas.push(SchemaSite {
            ptr: ptr.to_string(),
            node,
            composition_parent: parent,
            is_property,
        });
        if let Some(props) = node.get("properties").and_then(Node::as_map) {
            let props_ptr = join(ptr, "properties");
            for e in props {
                self.schema(&join(&props_ptr, &e.key), &e.value, None, true);
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = node.get(key) {
                self.schema(&join(ptr, key), sub, None, false);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            let list_ptr = join(ptr, key);
            for (i, sub) in node
                .get(key)
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                self.schema(&join_index(&list_ptr, i), sub, Some(me), false);
            }
        }
    }
}
