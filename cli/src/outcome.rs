//! The process's exit codes.

use std::process::ExitCode;

use tencent_meeting::Error;

/// The process exit codes. For `dismiss`, the code of the most serious outcome of any meeting
/// (see [`Exit::worse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (for `dismiss`: every meeting ended, now or before).
    Ok = 0,
    /// 1: the service answered with an error (nothing applied).
    Api = 1,
    /// 2: bad usage or input; nothing was sent for it.
    Usage = 2,
    /// 3: the request could not be sent or no answer came, and nothing was applied.
    Transport = 3,
    /// 4: the outcome is unknown: a request may have ended the meeting unanswered.
    Unknown = 4,
    /// 5: a batch stopped early because its input, its journal or stdout failed; the calls in
    /// flight were finished.
    Incomplete = 5,
    /// 6: with `--confirm-by-event`, a dismiss went through but its `meeting.end` was not seen
    /// within the wait.
    NotConfirmed = 6,
    /// 130: interrupted (SIGINT or SIGTERM), as a shell reports a process ended by SIGINT.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

impl Exit {
    /// The exit code an error calls for.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::Validation(_) | Error::Refused(_) => Exit::Usage,
            Error::Api(_) | Error::Decode(_) => Exit::Api,
            Error::Transport(_) | Error::Timeout(_) => Exit::Transport,
            Error::OutcomeUnknown(_) => Exit::Unknown,
            _ => Exit::Api,
        }
    }

    /// The more serious of two (see [`Exit::BY_SERIOUSNESS`]).
    pub fn worse(self, other: Exit) -> Exit {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// How serious the code is: 0 for success; [`Exit::BY_SERIOUSNESS`] lists them in this order.
    fn rank(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::NotConfirmed => 1,
            Exit::Usage => 2,
            Exit::Api => 3,
            Exit::Transport => 4,
            Exit::Unknown => 5,
            Exit::Incomplete => 6,
            Exit::Interrupted => 7,
        }
    }

    /// Every exit code, the most serious first: interrupted > incomplete > unknown > transport >
    /// API > usage > not confirmed > success. An unknown outcome outranks every failure because
    /// it is the one a user must act on; an interruption outranks it because the batch did not
    /// finish; a meeting not confirmed did end (only its event is missing). This order and
    /// [`Exit::meaning`] are the one source of the table in `--help` and in cli/README.md (a
    /// test checks the README).
    pub const BY_SERIOUSNESS: [Exit; 8] = [
        Exit::Interrupted,
        Exit::Incomplete,
        Exit::Unknown,
        Exit::Transport,
        Exit::Api,
        Exit::Usage,
        Exit::NotConfirmed,
        Exit::Ok,
    ];

    /// What the code tells a user, in the CLI's terms.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Interrupted => {
                "interrupted (SIGINT or SIGTERM); the outcomes known were reported"
            }
            Exit::Incomplete => {
                "the batch stopped early: its input could not be read to the end, or the journal \
                 or stdout could not be written; the calls in flight were finished (and, with a \
                 journal, recorded). events listen: its store became unusable (a failed write \
                 could not be undone); every acknowledged delivery is on disk, restart it"
            }
            Exit::Unknown => {
                "an outcome is unknown: the meeting may have ended (run again with the same \
                 --journal, or look it up with --lookup)"
            }
            Exit::Transport => {
                "the service could not be reached or did not answer in time; nothing was applied"
            }
            Exit::Api => {
                "the service refused a dismiss (an API error, or an answer that is not the \
                 service's); nothing was applied"
            }
            Exit::Usage => {
                "bad usage or input: nothing was sent for it (in a batch: an ID refused before \
                 sending)"
            }
            Exit::NotConfirmed => {
                "with --confirm-by-event: a dismiss went through but its meeting.end was not seen \
                 within --wait"
            }
            Exit::Ok => "every meeting ended: dismissed now, already ended, or done in the journal",
        }
    }

    /// The exit codes for `--help`, the meanings wrapped under 100 columns.
    pub fn help_text() -> String {
        const WIDTH: usize = 100;
        const INDENT: &str = "       ";
        let mut text = String::from(
            "Exit codes (a batch exits with its most serious outcome's; most serious first):",
        );
        for exit in Exit::BY_SERIOUSNESS {
            let mut line = format!("  {:>3} ", exit as u8);
            for word in exit.meaning().split(' ') {
                if line.len() + 1 + word.len() > WIDTH {
                    text.push('\n');
                    text.push_str(line.trim_end());
                    line = INDENT.to_string();
                } else {
                    line.push(' ');
                }
                line.push_str(word);
            }
            text.push('\n');
            text.push_str(&line);
        }
        text
    }

    /// The exit codes as the Markdown table of cli/README.md.
    pub fn markdown_table() -> String {
        let mut table = String::from("| code | meaning |\n|---|---|\n");
        for exit in Exit::BY_SERIOUSNESS {
            table.push_str(&format!("| {} | {} |\n", exit as u8, exit.meaning()));
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_serious_wins() {
        assert_eq!(Exit::Api.worse(Exit::Transport), Exit::Transport);
        assert_eq!(Exit::Transport.worse(Exit::Api), Exit::Transport);
        assert_eq!(Exit::Usage.worse(Exit::Api), Exit::Api);
        assert_eq!(Exit::Ok.worse(Exit::Usage), Exit::Usage);
        assert_eq!(Exit::Unknown.worse(Exit::Transport), Exit::Unknown);
        assert_eq!(Exit::Unknown.worse(Exit::Incomplete), Exit::Incomplete);
        assert_eq!(Exit::Interrupted.worse(Exit::Incomplete), Exit::Interrupted);
        assert_eq!(Exit::NotConfirmed.worse(Exit::Ok), Exit::NotConfirmed);
        assert_eq!(Exit::NotConfirmed.worse(Exit::Usage), Exit::Usage);
    }

    /// cli/README.md (the binary's crates.io page) shows the same table as `--help`: both come
    /// from [`Exit::BY_SERIOUSNESS`] and [`Exit::meaning`].
    #[test]
    fn the_readme_lists_every_exit_code_as_the_binary_does() {
        let readme = include_str!("../README.md");
        let table = Exit::markdown_table();
        assert!(
            readme.contains(&table),
            "cli/README.md's exit-code table differs from the binary's; put this in it:\n{table}"
        );
        // Every rank once, the most serious first.
        let ranks: Vec<u8> = Exit::BY_SERIOUSNESS.iter().map(|e| e.rank()).collect();
        assert_eq!(ranks, (0..=7).rev().collect::<Vec<u8>>());
    }
}
