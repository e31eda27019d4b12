//! Path rules: the form of path keys, their templates and parameters, and paths that collide.

use std::collections::{HashMap, HashSet};

use super::rules::Rule;
use super::structure::parameter_key;
use super::yaml::{Node, join, join_index};
use super::{Ctx, Findings};

/// One piece of a path segment: literal text or a `{parameter}`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
}

/// A path segment (between two `/`).
type Segment = Vec<Part>;

/// Splits a segment into literal and parameter parts; `Err` for bad braces.
fn parse_segment(segment: &str) -> Result<Segment, String> {
    let mut parts = Vec::new();
    let mut rest = segment;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                parts.push(Part::Literal(rest.to_string()));
                break;
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(format!("`}}` without `{{` in `{segment}`"));
            }
            Some(i) => {
                if i > 0 {
                    parts.push(Part::Literal(rest[..i].to_string()));
                }
                let after = &rest[i + 1..];
                let end = after
                    .find(['{', '}'])
                    .filter(|&j| after.as_bytes()[j] == b'}')
                    .ok_or_else(|| format!("`{{` without `}}` in `{segment}`"))?;
                let name = &after[..end];
                if name.is_empty() {
                    return Err(format!("empty `{{}}` in `{segment}`"));
                }
                parts.push(Part::Param(name.to_string()));
                rest = &after[end + 1..];
            }
        }
    }
    Ok(parts)
}

/// A path key, checked for form and parsed into segments.
struct PathInfo<'a> {
    key: &'a str,
    ptr: String,
    item: &'a Node,
    /// `None` when the template is malformed.
    segments: Option<Vec<Segment>>,
}

impl PathInfo<'_> {
    fn names(&self) -> Vec<&str> {
        self.segments
            .iter()
            .flatten()
            .flatten()
            .filter_map(|p| match p {
                Part::Param(n) => Some(n.as_str()),
                Part::Literal(_) => None,
            })
            .collect()
    }
}

/// All path rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    let Some(paths) = ctx.root.get("paths").and_then(Node::as_map) else {
        return;
    };
    let mut infos = Vec::new();
    for e in paths {
        if e.key.starts_with("x-") {
            continue;
        }
        let ptr = join("/paths", &e.key);
        let segments = path_form(&e.key, &ptr, out);
        infos.push(PathInfo {
            key: &e.key,
            ptr,
            item: &e.value,
            segments,
        });
    }
    for info in &infos {
        template_parameters(ctx, info, out);
    }
    collisions(&infos, out);
    not_required(ctx, out);
}

/// `path-empty`, `path-trailing-slash`, `path-query`, `path-template-invalid`; returns the
/// segments of a well-formed template.
fn path_form(key: &str, ptr: &str, out: &mut Findings) -> Option<Vec<Segment>> {
    if key.is_empty() {
        out.add(Rule::PathEmpty, ptr, "the path is empty");
        return None;
    }
    let mut path = key;
    if let Some(i) = path.find(['?', '#']) {
        out.add(
            Rule::PathQuery,
            ptr,
            format!(
                "path `{key}` carries `{}`: declare query parameters with `in: query`",
                &path[i..]
            ),
        );
        path = &path[..i];
    }
    if path.len() > 1 && path.ends_with('/') {
        out.add(
            Rule::PathTrailingSlash,
            ptr,
            format!("path `{key}` ends with `/`"),
        );
        path = path.trim_end_matches('/');
    }
    // A key not starting with `/` is an `oas3-schema` finding; still read its template.
    let body = path.strip_prefix('/').unwrap_or(path);
    if body.is_empty() {
        return Some(Vec::new());
    }
    if body.split('/').any(str::is_empty) {
        out.add(
            Rule::PathEmpty,
            ptr,
            format!("path `{key}` has an empty segment (`//`)"),
        );
    }
    let mut segments = Vec::new();
    for segment in body.split('/') {
        match parse_segment(segment) {
            Ok(parts) => segments.push(parts),
            Err(why) => {
                out.add(
                    Rule::PathTemplateInvalid,
                    ptr,
                    format!("path `{key}`: {why}"),
                );
                return None;
            }
        }
    }
    Some(segments)
}

/// `path-param-duplicate`, `path-params-undeclared`, `path-param-unused` for one path.
fn template_parameters(ctx: &Ctx, info: &PathInfo, out: &mut Findings) {
    let Some(_) = info.segments else { return };
    let names = info.names();
    let mut seen = HashSet::new();
    for name in &names {
        if !seen.insert(*name) {
            out.add(
                Rule::PathParamDuplicate,
                info.ptr.clone(),
                format!("path `{}` uses `{{{name}}}` twice", info.key),
            );
        }
    }
    let template: HashSet<&str> = names.iter().copied().collect();

    // Path parameters declared in a list, reporting the unused ones as we go.
    let declared_in = |list_ptr: String, list: Option<&Node>, out: &mut Findings| {
        let mut declared = HashSet::new();
        for (i, p) in list
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let ptr = join_index(&list_ptr, i);
            if let Some((name, location)) = parameter_key(ctx, p, &ptr)
                && location == "path"
            {
                if !template.contains(name.as_str()) {
                    out.add(
                        Rule::PathParamUnused,
                        ptr,
                        format!("path parameter `{name}` is not in the path `{}`", info.key),
                    );
                }
                declared.insert(name);
            }
        }
        declared
    };
    let item_declared = declared_in(
        join(&info.ptr, "parameters"),
        info.item.get("parameters"),
        out,
    );
    for op in ctx
        .index
        .operations
        .iter()
        .filter(|o| o.path_ptr == info.ptr)
    {
        let op_declared = declared_in(join(&op.ptr, "parameters"), op.node.get("parameters"), out);
        let mut missing: Vec<&str> = template
            .iter()
            .copied()
            .filter(|n| !item_declared.contains(*n) && !op_declared.contains(*n))
            .collect();
        missing.sort_unstable();
        for name in missing {
            out.add(
                Rule::PathParamsUndeclared,
                op.ptr.clone(),
                format!(
                    "{} {}: `{{{name}}}` has no `in: path` parameter",
                    op.method.to_uppercase(),
                    info.key
                ),
            );
        }
    }
}

/// `path-param-not-required`, on every path parameter defined in place.
fn not_required(ctx: &Ctx, out: &mut Findings) {
    for p in &ctx.index.parameters {
        if p.node.str_at("in") != Some("path") {
            continue;
        }
        match p.node.get("required") {
            Some(r) if r.as_bool() == Some(true) => {}
            Some(_) => out.add(
                Rule::PathParamNotRequired,
                join(&p.ptr, "required"),
                "a path parameter must be `required: true`",
            ),
            None => out.add(
                Rule::PathParamNotRequired,
                p.ptr.clone(),
                "a path parameter must be `required: true`",
            ),
        }
    }
}

/// How a segment of one path relates to the same segment of another.
#[derive(PartialEq, Eq)]
enum Overlap {
    /// No concrete segment matches both.
    Disjoint,
    /// The same pattern.
    Same,
    /// Both can match; the first is more specific (e.g. a literal against `{id}`).
    FirstNarrower,
    /// Both can match; the second is more specific.
    SecondNarrower,
    /// Both can match and neither contains the other.
    Crossing,
}

fn is_single_param(s: &Segment) -> bool {
    matches!(s.as_slice(), [Part::Param(_)])
}

fn literal_of(s: &Segment) -> Option<&str> {
    match s.as_slice() {
        [Part::Literal(l)] => Some(l),
        [] => Some(""),
        _ => None,
    }
}

/// Whether a literal segment matches a template segment (each parameter matches 1+ chars).
fn matches(template: &[Part], text: &str) -> bool {
    match template.split_first() {
        None => text.is_empty(),
        Some((Part::Literal(l), rest)) => text
            .strip_prefix(l.as_str())
            .is_some_and(|t| matches(rest, t)),
        Some((Part::Param(_), rest)) => (1..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| matches(rest, &text[i..])),
    }
}

/// The literal text before the first and after the last parameter of a mixed segment.
fn affixes(s: &Segment) -> (&str, &str) {
    let prefix = match s.first() {
        Some(Part::Literal(l)) => l.as_str(),
        _ => "",
    };
    let suffix = match s.last() {
        Some(Part::Literal(l)) if s.len() > 1 => l.as_str(),
        _ => "",
    };
    (prefix, suffix)
}

fn overlap(a: &Segment, b: &Segment) -> Overlap {
    let shape = |s: &Segment| {
        s.iter()
            .map(|p| match p {
                Part::Literal(l) => l.clone(),
                Part::Param(_) => "{}".to_string(),
            })
            .collect::<String>()
    };
    if shape(a) == shape(b) {
        return Overlap::Same;
    }
    match (literal_of(a), literal_of(b)) {
        (Some(_), Some(_)) => Overlap::Disjoint,
        (Some(text), None) => {
            if matches(b, text) {
                Overlap::FirstNarrower
            } else {
                Overlap::Disjoint
            }
        }
        (None, Some(text)) => {
            if matches(a, text) {
                Overlap::SecondNarrower
            } else {
                Overlap::Disjoint
            }
        }
        (None, None) => {
            if is_single_param(b) {
                return Overlap::FirstNarrower;
            }
            if is_single_param(a) {
                return Overlap::SecondNarrower;
            }
            // Two mixed segments: they can only meet if their fixed ends agree.
            let ((pa, sa), (pb, sb)) = (affixes(a), affixes(b));
            let agree = |x: &str, y: &str, prefix: bool| {
                if prefix {
                    x.starts_with(y) || y.starts_with(x)
                } else {
                    x.ends_with(y) || y.ends_with(x)
                }
            };
            if agree(pa, pb, true) && agree(sa, sb, false) {
                Overlap::Crossing
            } else {
                Overlap::Disjoint
            }
        }
    }
}

/// `paths-identical` and `paths-ambiguous`.
fn collisions(infos: &[PathInfo], out: &mut Findings) {
    let mut by_shape: HashMap<Vec<String>, &str> = HashMap::new();
    for (i, b) in infos.iter().enumerate() {
        let Some(b_segments) = &b.segments else {
            continue;
        };
        for a in &infos[..i] {
            let Some(a_segments) = &a.segments else {
                continue;
            };
            if a_segments.len() != b_segments.len() {
                continue;
            }
            let mut a_narrower = false;
            let mut b_narrower = false;
            let mut crossing = false;
            let mut disjoint = false;
            for (sa, sb) in a_segments.iter().zip(b_segments) {
                match overlap(sa, sb) {
                    Overlap::Disjoint => {
                        disjoint = true;
                        break;
                    }
                    Overlap::Same => {}
                    Overlap::FirstNarrower => a_narrower = true,
                    Overlap::SecondNarrower => b_narrower = true,
                    Overlap::Crossing => crossing = true,
                }
            }
            if disjoint {
                continue;
            }
            if !a_narrower && !b_narrower && !crossing {
                // Same shape: reported once below as identical.
                continue;
            }
            // One path strictly narrower than the other is fine: the literal route wins.
            if crossing || (a_narrower && b_narrower) {
                out.add(
                    Rule::PathsAmbiguous,
                    b.ptr.clone(),
                    format!(
                        "path `{}` and `{}` can match the same request and neither is more specific",
                        b.key, a.key
                    ),
                );
            }
        }
        let shape: Vec<String> = b_segments
            .iter()
            .map(|s| {
                s.iter()
                    .map(|p| match p {
                        Part::Literal(l) => l.clone(),
                        Part::Param(_) => "{}".to_string(),
                    })
                    .collect()
            })
            .collect();
        match by_shape.get(&shape) {
            Some(first) => out.add(
                Rule::PathsIdentical,
                b.ptr.clone(),
                format!(
                    "path `{}` is the same template as `{first}` (they differ only in parameter names or a trailing slash)",
                    b.key
                ),
            ),
            None => {
                by_shape.insert(shape, b.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(s: &str) -> Segment {
        parse_segment(s).expect("valid segment")
    }

    #[test]
    fn segments() {
        assert_eq!(
            seg("{id}.json"),
            vec![Part::Param("id".into()), Part::Literal(".json".into())]
        );
        assert!(parse_segment("{id").is_err());
        assert!(parse_segment("id}").is_err());
        assert!(parse_segment("{}").is_err());
        assert!(parse_segment("{a{b}}").is_err());
    }

    #[test]
    fn overlaps() {
        assert!(overlap(&seg("a"), &seg("b")) == Overlap::Disjoint);
        assert!(overlap(&seg("{x}"), &seg("{y}")) == Overlap::Same);
        assert!(overlap(&seg("me"), &seg("{id}")) == Overlap::FirstNarrower);
        assert!(overlap(&seg("{id}.json"), &seg("{id}")) == Overlap::FirstNarrower);
        assert!(overlap(&seg("a.json"), &seg("{id}.json")) == Overlap::FirstNarrower);
        assert!(overlap(&seg("a.xml"), &seg("{id}.json")) == Overlap::Disjoint);
        assert!(overlap(&seg("{a}.xml"), &seg("{id}.json")) == Overlap::Disjoint);
        assert!(overlap(&seg("x{a}"), &seg("{b}y")) == Overlap::Crossing);
    }
}
