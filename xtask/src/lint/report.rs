//! Output: `file:line:col: severity[rule] message` lines, or one JSON array.

use serde_json::json;

use super::Finding;
use super::rules::Rule;

/// Output format of `cargo xtask lint`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `file:line:col: severity[rule] message`, one finding a line.
    Text,
    /// One JSON array of `{"rule", "severity", "file", "pointer", "line", "column", "message"}`.
    Json,
}

/// A finding with its file and position.
#[derive(Debug)]
pub struct Reported {
    /// The rule that fired.
    pub rule: Rule,
    /// The file, as given on the command line.
    pub file: String,
    /// JSON pointer of the offending node.
    pub pointer: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Attaches the file name and sorts by position.
pub fn locate(file: &str, findings: Vec<Finding>) -> Vec<Reported> {
    let mut out: Vec<Reported> = findings
        .into_iter()
        .map(|f| {
            let pos = f.pos.unwrap_or_default();
            Reported {
                rule: f.rule,
                file: file.to_string(),
                pointer: f.pointer,
                line: pos.line,
                column: pos.col,
                message: f.message,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (a.line, a.column, a.rule.name(), &a.pointer).cmp(&(
            b.line,
            b.column,
            b.rule.name(),
            &b.pointer,
        ))
    });
    out
}

/// Renders all findings in `format`.
pub fn render(findings: &[Reported], format: Format) -> String {
    match format {
        Format::Text => findings
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{}: {}[{}] {}\n",
                    f.file,
                    f.line,
                    f.column,
                    f.rule.severity(),
                    f.rule.name(),
                    f.message
                )
            })
            .collect(),
        Format::Json => {
            let array: Vec<_> = findings
                .iter()
                .map(|f| {
                    json!({
                        "rule": f.rule.name(),
                        "severity": f.rule.severity().to_string(),
                        "file": f.file,
                        "pointer": f.pointer,
                        "line": f.line,
                        "column": f.column,
                        "message": f.message,
                    })
                })
                .collect();
            // Serializing plain JSON values cannot fail.
            let mut text = serde_json::to_string_pretty(&array).unwrap_or_else(|_| "[]".into());
            text.push('\n');
            text
        }
    }
}
