//! The values a generated client cannot be built without, compared between the client being
//! replaced and the new one.
//!
//! The workspace builds generated types through progenitor's builders, so a property the spec
//! adds as optional needs no change to hand-written code. The price: a property added as
//! *required* no longer breaks compilation; the builder fails at run time ("no value supplied
//! for …"). `cargo xtask codegen` reads the builders' defaults of both clients and reports every
//! required value an existing type or operation gained, so the breakage is still named when the
//! spec changes, as the compiler named it when the body was a struct literal.

use std::collections::BTreeSet;
use std::fmt;

/// What needs the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// A generated type (`types::NAME`), built through `types::NAME::builder()`.
    Type,
    /// An operation's request builder (`Client::method()`), a required parameter or body.
    Operation,
}

/// One required value: a property of a type, or a parameter of an operation.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Required {
    /// A type or an operation.
    pub owner: Owner,
    /// The Rust name of the type or of the operation's builder.
    pub name: String,
    /// The Rust name of the property or parameter.
    pub field: String,
}

impl fmt::Display for Required {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.owner {
            Owner::Type => write!(
                f,
                "`types::{}` has a new required property `{}`",
                self.name, self.field
            ),
            Owner::Operation => write!(
                f,
                "the operation builder `{}` has a new required parameter `{}`",
                self.name, self.field
            ),
        }
    }
}

/// The required values of the generated client `source`, from its builders' defaults: typify
/// starts a required property at `Err("no value supplied for NAME")`, progenitor a required
/// parameter at `Err("NAME was not initialized")`.
pub fn required(source: &str) -> BTreeSet<Required> {
    const PROPERTY: (&str, &str) = ("\"no value supplied for ", "\"");
    const PARAMETER: (&str, &str) = ("\"", " was not initialized\"");
    let mut out = BTreeSet::new();
    let mut owner: Option<(Owner, String)> = None;
    for line in source.lines() {
        let line = line.trim();
        if let Some(name) = line
            .strip_prefix("impl ::std::default::Default for ")
            .and_then(|rest| rest.strip_suffix(" {"))
        {
            owner = Some((Owner::Type, name.to_string()));
        } else if let Some(name) = line
            .strip_prefix("impl<'a> ")
            .and_then(|rest| rest.strip_suffix("<'a> {"))
        {
            owner = Some((Owner::Operation, name.to_string()));
        } else if line.starts_with("impl") {
            owner = None;
        }
        let Some((kind, name)) = &owner else { continue };
        let (start, end) = match kind {
            Owner::Type => PROPERTY,
            Owner::Operation => PARAMETER,
        };
        let Some(from) = line.find(start) else {
            continue;
        };
        let rest = &line[from + start.len()..];
        if let Some(to) = rest.find(end) {
            let field = &rest[..to];
            if !field.is_empty() && !field.contains(char::is_whitespace) {
                out.insert(Required {
                    owner: *kind,
                    name: name.clone(),
                    field: field.to_string(),
                });
            }
        }
    }
    out
}

/// The required values `new` adds to types and operations `old` already has (a new type or
/// operation breaks no code that exists).
pub fn added(old: &str, new: &str) -> Vec<Required> {
    let before = required(old);
    let existing: BTreeSet<(Owner, &str)> = owners(old);
    required(new)
        .into_iter()
        .filter(|r| !before.contains(r) && existing.contains(&(r.owner, r.name.as_str())))
        .collect()
}

/// Every type and operation builder of a generated client, required values or not.
fn owners(source: &str) -> BTreeSet<(Owner, &str)> {
    source
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            if let Some(name) = line
                .strip_prefix("impl ::std::default::Default for ")
                .and_then(|rest| rest.strip_suffix(" {"))
            {
                Some((Owner::Type, name))
            } else {
                line.strip_prefix("impl<'a> ")
                    .and_then(|rest| rest.strip_suffix("<'a> {"))
                    .map(|name| (Owner::Operation, name))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"
        impl ::std::default::Default for Body {
            fn default() -> Self {
                Self {
                    a: Err("no value supplied for a".to_string()),
                    b: Ok(Default::default()),
                }
            }
        }
        impl<'a> Send<'a> {
            pub fn new(client: &'a super::Client) -> Self {
                Self {
                    client: client,
                    id: Err("id was not initialized".to_string()),
                    q: Ok(None),
                }
            }
        }
    "#;

    #[test]
    fn reads_the_builders_defaults() {
        let found: Vec<String> = required(OLD)
            .iter()
            .map(|r| format!("{}.{}", r.name, r.field))
            .collect();
        assert_eq!(found, ["Body.a", "Send.id"]);
    }

    #[test]
    fn an_optional_value_or_a_new_type_adds_nothing_a_required_one_is_named() {
        let optional = OLD.replace(
            "b: Ok(Default::default()),",
            "b: Ok(Default::default()),\n c: Ok(Default::default()),",
        );
        assert!(added(OLD, &optional).is_empty());
        let new_type = format!(
            "{OLD}\nimpl ::std::default::Default for Other {{\n x: Err(\"no value supplied for x\".to_string()),\n}}"
        );
        assert!(added(OLD, &new_type).is_empty());

        let now_required = OLD.replace(
            "b: Ok(Default::default()),",
            "b: Err(\n\"no value supplied for b\".to_string(),\n),",
        );
        let now_required = now_required.replace(
            "q: Ok(None),",
            "q: Err(\"q was not initialized\".to_string()),",
        );
        let found: Vec<String> = added(OLD, &now_required)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "`types::Body` has a new required property `b`",
                "the operation builder `Send` has a new required parameter `q`"
            ]
        );
    }

    #[test]
    fn the_checked_in_client_has_the_dismiss_bodys_required_properties() {
        let client = std::fs::read_to_string(crate::workspace_root().join(super::super::OUTPUT))
            .expect("the checked-in client");
        let found = required(&client);
        for field in ["instanceid", "reason_code"] {
            assert!(
                found.contains(&Required {
                    owner: Owner::Type,
                    name: "DismissMeetingRequest".to_string(),
                    field: field.to_string(),
                }),
                "{field}: {found:?}"
            );
        }
        assert!(found.iter().any(|r| r.owner == Owner::Operation
            && r.name == "GetMeeting"
            && r.field == "instanceid"));
    }
}
