//! Documentation rules (warnings): summaries, descriptions, info contact and license, tags.

use std::collections::HashSet;

use super::rules::Rule;
use super::yaml::{Node, join, join_index, pointer_tokens};
use super::{Ctx, Findings};

/// Whether `node[key]` is a non-blank string.
fn has_text(node: &Node, key: &str) -> bool {
    node.str_at(key).is_some_and(|s| !s.trim().is_empty())
}

/// All documentation rules.
pub fn check(ctx: &Ctx, out: &mut Findings) {
    operations(ctx, out);
    for p in &ctx.index.parameters {
        if !has_text(p.node, "description") {
            let name = p.node.str_at("name").unwrap_or("?");
            out.add(
                Rule::ParameterDescription,
                p.ptr.clone(),
                format!("parameter `{name}` has no description"),
            );
        }
    }
    for s in ctx.index.schemas.iter().filter(|s| s.is_property) {
        if !has_text(s.node, "description") {
            let name = pointer_tokens(&s.ptr).last().unwrap_or_default();
            out.add(
                Rule::PropertyDescription,
                s.ptr.clone(),
                format!("property `{name}` has no description"),
            );
        }
    }
    if let Some(info) = ctx.root.get("info").filter(|i| i.is_map()) {
        if info.get("contact").is_none() {
            out.add(Rule::InfoContact, "/info", "`info` has no `contact`");
        }
        if info.get("license").is_none() {
            out.add(Rule::InfoLicense, "/info", "`info` has no `license`");
        }
    }
    tags(ctx, out);
}

/// `operation-summary`, `operation-description`, `operation-tags`.
fn operations(ctx: &Ctx, out: &mut Findings) {
    for op in &ctx.index.operations {
        let label = format!("{} {}", op.method.to_uppercase(), op.path);
        if !has_text(op.node, "summary") {
            out.add(
                Rule::OperationSummary,
                op.ptr.clone(),
                format!("{label} has no summary"),
            );
        }
        if !has_text(op.node, "description") {
            out.add(
                Rule::OperationDescription,
                op.ptr.clone(),
                format!("{label} has no description"),
            );
        }
        if op
            .node
            .get("tags")
            .and_then(Node::as_seq)
            .is_none_or(<[Node]>::is_empty)
        {
            out.add(
                Rule::OperationTags,
                op.ptr.clone(),
                format!("{label} has no tags"),
            );
        }
    }
}

/// `tag-undefined`, `tag-description`.
fn tags(ctx: &Ctx, out: &mut Findings) {
    let declared_list = ctx
        .root
        .get("tags")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let mut declared = HashSet::new();
    for (i, tag) in declared_list.iter().enumerate() {
        let Some(name) = tag.str_at("name") else {
            continue;
        };
        declared.insert(name);
        if !has_text(tag, "description") {
            out.add(
                Rule::TagDescription,
                join_index("/tags", i),
                format!("tag `{name}` has no description"),
            );
        }
    }
    for op in &ctx.index.operations {
        let tags_ptr = join(&op.ptr, "tags");
        for (i, tag) in op
            .node
            .get("tags")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            if let Some(name) = tag.as_str()
                && !declared.contains(name)
            {
                out.add(
                    Rule::TagUndefined,
                    join_index(&tags_ptr, i),
                    format!("tag `{name}` is not declared in the top-level `tags`"),
                );
            }
        }
    }
}
