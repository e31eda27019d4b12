//! `tencent-meeting dismiss --from FILE`: many meetings, streamed with bounded concurrency and
//! memory, each with its own result line, then a summary.

use std::io::IsTerminal as _;
use std::path::Path;

use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressStyle};
use tencent_meeting::Client;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio_stream::wrappers::LinesStream;

use crate::args::{DismissArgs, OutputFormat};
use crate::dismiss::{call, print_prepared};
use crate::outcome::{self, Exit};

/// Dismisses every ID in `path`. Exits 0 when all succeeded, else with the most serious failure's
/// code (3 transport > 1 API > 2 validation).
pub async fn run(client: &Client, args: &DismissArgs, path: &Path) -> Exit {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return Exit::Usage;
        }
    };
    let progress = progress_bar(path).await;
    let ids = LinesStream::new(BufReader::new(file).lines()).filter_map(|line| async move {
        match line {
            Ok(line) => meeting_id_of(&line).map(|id| Ok(id.to_string())),
            Err(e) => Some(Err(e)),
        }
    });
    let results = ids
        .map(|id| async move {
            match id {
                Ok(id) => {
                    let result = if args.dry_run {
                        call(client, args, &id).prepare().await.map(Done::Prepared)
                    } else {
                        call(client, args, &id).send().await.map(Done::Dismissed)
                    };
                    Ok((id, result))
                }
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(args.concurrency as usize);
    let mut results = std::pin::pin!(results);

    let (mut ok, mut failed, mut worst) = (0u64, 0u64, Exit::Ok);
    while let Some(item) = results.next().await {
        let (id, result) = match item {
            Ok(pair) => pair,
            Err(e) => {
                progress.suspend(|| eprintln!("error: reading {}: {e}", path.display()));
                worst = worse(worst, Exit::Usage);
                break;
            }
        };
        progress.inc(1);
        match result {
            Ok(done) => {
                ok += 1;
                progress.suspend(|| match done {
                    Done::Dismissed(d) => match args.output {
                        OutputFormat::Text => println!("{}", outcome::dismissed_text(&d)),
                        OutputFormat::Json => println!("{}", outcome::dismissed_json(&d)),
                    },
                    Done::Prepared(p) => print_prepared(&p, args.output),
                });
            }
            Err(e) => {
                failed += 1;
                worst = worse(worst, Exit::of(&e));
                progress.suspend(|| match args.output {
                    OutputFormat::Text => println!("failed: {}", outcome::error_text(&id, &e)),
                    OutputFormat::Json => println!("{}", outcome::error_json(&id, &e)),
                });
            }
        }
    }
    progress.finish_and_clear();
    eprintln!(
        "summary: {} meeting(s): {ok} {}, {failed} failed",
        ok + failed,
        if args.dry_run {
            "prepared"
        } else {
            "dismissed"
        }
    );
    worst
}

enum Done {
    Dismissed(tencent_meeting::Dismissed),
    Prepared(tencent_meeting::PreparedRequest),
}

/// The meeting ID on a line: text before any `#`, trimmed; `None` for a blank or comment line.
fn meeting_id_of(line: &str) -> Option<&str> {
    let id = line.split('#').next().unwrap_or_default().trim();
    (!id.is_empty()).then_some(id)
}

/// The more serious of two outcomes: unknown (4) > transport (3) > API (1) > validation (2) >
/// success.
fn worse(a: Exit, b: Exit) -> Exit {
    let rank = |e: Exit| match e {
        Exit::Ok => 0,
        Exit::Usage => 1,
        Exit::Api => 2,
        Exit::Transport => 3,
        Exit::Unknown => 4,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// A progress bar on stderr when it is a terminal; hidden otherwise. The length is counted in a
/// first pass over the file, which streams too.
async fn progress_bar(path: &Path) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let mut total = 0u64;
    if let Ok(file) = tokio::fs::File::open(path).await {
        let mut lines = BufReader::new(file).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            total += u64::from(meeting_id_of(&line).is_some());
        }
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} meetings, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_skips_comments() {
        assert_eq!(meeting_id_of("  123  "), Some("123"));
        assert_eq!(meeting_id_of("123 # the weekly sync"), Some("123"));
        assert_eq!(meeting_id_of("# a comment"), None);
        assert_eq!(meeting_id_of("   "), None);
        assert_eq!(meeting_id_of("abc"), Some("abc"));
    }

    #[test]
    fn worst_failure_wins() {
        assert_eq!(worse(Exit::Api, Exit::Transport), Exit::Transport);
        assert_eq!(worse(Exit::Transport, Exit::Api), Exit::Transport);
        assert_eq!(worse(Exit::Usage, Exit::Api), Exit::Api);
        assert_eq!(worse(Exit::Ok, Exit::Usage), Exit::Usage);
        assert_eq!(worse(Exit::Api, Exit::Ok), Exit::Api);
    }
}
