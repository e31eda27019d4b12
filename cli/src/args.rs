//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tencent_meeting::{Instance, MeetingKind, Operator};

/// End Tencent Meeting (腾讯会议) meetings, debug request signatures, run the local simulator.
#[derive(Parser, Debug)]
#[command(name = "tencent-meeting", version, propagate_version = true)]
pub struct Cli {
    /// More output on stderr (-v: the client's attempts and retries; -vv: more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// End an in-progress meeting (or a batch of them with --from).
    Dismiss(DismissArgs),
    /// Compute the enterprise-secret signature of a request (prints it as the last line).
    Sign(SignArgs),
    /// Run the local simulator of the service until Ctrl-C; prints its base URL first.
    Sim(SimArgs),
    /// Show the client at work against an in-process simulator: every dismiss rule, and two
    /// refused calls.
    Demo,
    /// Receive Tencent Meeting events (webhooks), e.g. `meeting.end`.
    Events(crate::events::EventsArgs),
}

/// `sim`.
#[derive(Args, Debug)]
pub struct SimArgs {
    /// The address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: std::net::SocketAddr,
    /// Meetings to create at start: a JSON array of meetings in the shape of POST /_sim/meetings.
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// The enterprise ID the simulator accepts [default: the demo value].
    #[arg(long)]
    pub app_id: Option<String>,
    /// The SdkId the simulator requires (none by default: then any SdkId sent is refused).
    #[arg(long)]
    pub sdk_id: Option<String>,
    /// The SecretId the simulator accepts [default: the demo value].
    #[arg(long)]
    pub secret_id: Option<String>,
    /// The SecretKey requests must be signed with [default: the demo value]. Prefer
    /// $TENCENT_MEETING_SIM_SECRET_KEY: a value on the command line shows in `ps` and in shell
    /// history. A key given either way is not printed in the banner.
    #[arg(long, env = "TENCENT_MEETING_SIM_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// An OAuth2.0 access token and the open id it belongs to, as TOKEN=OPEN_ID (repeatable;
    /// default: the demo token).
    #[arg(long = "oauth-token", value_name = "TOKEN=OPEN_ID", value_parser = parse_token)]
    pub oauth_tokens: Vec<(String, String)>,
    /// Answer a successful dismiss with `{}` instead of an empty body.
    #[arg(long)]
    pub empty_object_success: bool,
    /// Requests each application may send per window (--rate-limit-window), then 190310 until
    /// the next window (0 or off: no limit). The service allows 300 a minute.
    #[arg(long, value_name = "N|off", default_value = "300", value_parser = parse_limit)]
    pub rate_limit: Limit,
    /// The window --rate-limit counts in, in seconds, from 1 to 86400 (a day). The service
    /// counts per minute; a few seconds let a test watch a client pace itself quickly.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=tencent_meeting_sim::MAX_WINDOW_SECS))]
    pub rate_limit_window: u64,
    /// Requests each application may send per day (from midnight UTC+8), then 190311 (0 or
    /// off: no limit). The service allows 200000.
    #[arg(long, value_name = "N|off", default_value = "200000", value_parser = parse_limit)]
    pub daily_limit: Limit,
    /// Subscribe URL to events: verified at start (its receiver must be listening), then sent a
    /// signed `meeting.end` for every dismiss, retried until it answers 200.
    #[arg(long, value_name = "URL")]
    pub webhook_url: Option<String>,
    /// The subscription's Token (with --webhook-url).
    #[arg(long, env = "TENCENT_MEETING_WEBHOOK_TOKEN", hide_env_values = true)]
    pub webhook_token: Option<String>,
    /// The subscription's EncodingAESKey (with --webhook-url; none: plain mode, base64 only).
    #[arg(long, env = "TENCENT_MEETING_WEBHOOK_AES_KEY", hide_env_values = true)]
    pub webhook_aes_key: Option<String>,
}

/// A request limit: a count, or none (`0` or `off`, as `dismiss --rate-limit 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub Option<u32>);

fn parse_limit(s: &str) -> Result<Limit, String> {
    match s {
        "off" | "0" => Ok(Limit(None)),
        _ => s
            .parse::<u32>()
            .map(|n| Limit(Some(n)))
            .map_err(|_| format!("{s:?} is not a number of requests, 0 or off")),
    }
}

fn parse_token(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((token, open_id)) if !token.is_empty() && !open_id.is_empty() => {
            Ok((token.to_string(), open_id.to_string()))
        }
        _ => Err(format!("{s:?} is not TOKEN=OPEN_ID")),
    }
}

/// `dismiss`.
#[derive(Args, Debug)]
#[command(
    group = clap::ArgGroup::new("target").required(true).args(["meeting_id", "from"]),
    after_help = dismiss_after_help(),
)]
pub struct DismissArgs {
    /// The meeting ID (for a recurring meeting, the master meeting ID).
    pub meeting_id: Option<String>,

    /// Dismiss every ID in FILE (`-`: standard input): one per line, `#` starts a comment.
    #[arg(long, value_name = "FILE|-", conflicts_with = "meeting_id")]
    pub from: Option<PathBuf>,

    /// Record each ID's outcome in FILE (JSON lines, fsynced) as it becomes known; run the same
    /// command again with the same FILE to skip what is done, retry what failed, and resolve
    /// unknown outcomes by looking the meetings up.
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub journal: Option<PathBuf>,

    /// The operator's user ID, sent as `userid` (the page's original form).
    #[arg(long, conflicts_with = "operator_id")]
    pub userid: Option<String>,

    /// The operator's ID in the current form, sent as `operator_id` (see --operator-id-type).
    #[arg(long, requires = "operator_id_type")]
    pub operator_id: Option<String>,

    /// How --operator-id is interpreted.
    #[arg(long, value_enum, requires = "operator_id")]
    pub operator_id_type: Option<OperatorIdType>,

    /// The operator's device: pc, mac, android, ios, web, ipad, android-pad, mini-program, sip,
    /// linux, rooms-windows, rooms-mac, rooms-android, controller-windows, controller-android,
    /// controller-iphone, or the number.
    #[arg(long, value_parser = parse_instance)]
    pub instance: Instance,

    /// A reason code of your choosing.
    #[arg(long, allow_negative_numbers = true)]
    pub reason_code: i32,

    /// A free-text reason (at most 1024 characters).
    #[arg(long)]
    pub reason_detail: Option<String>,

    /// Do not end the meeting while participants are inside (force_dismiss_meeting = 0).
    #[arg(long)]
    pub no_force: bool,

    /// Reclaim the meeting code so nobody can rejoin (retrieve_code = 1).
    #[arg(long)]
    pub retrieve_code: bool,

    /// Reclaim the code even of a recurring meeting with sub-meetings to come (they then cannot run).
    #[arg(long)]
    pub force_retrieve_code: bool,

    /// The kind of meeting, so its rules apply without a look-up.
    #[arg(long, value_enum, conflicts_with = "lookup")]
    pub kind: Option<KindArg>,

    /// With --kind recurring: how many sub-meetings are still to come (not given: unknown, so
    /// --retrieve-code needs --force-retrieve-code).
    #[arg(long)]
    pub remaining_sub_meetings: Option<u32>,

    /// Look the meeting up first and apply the rules of its kind and status.
    #[arg(long, conflicts_with = "dry_run")]
    pub lookup: bool,

    /// The service's base URL [default: https://api.meeting.qq.com].
    #[arg(long, env = "TENCENT_MEETING_BASE_URL")]
    pub base_url: Option<String>,

    /// Print the exact request (a curl command line and the string to sign) and send nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Timeout of one attempt, in seconds (or with a unit: 500ms, 10s, 1m).
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0, value_parser = parse_seconds)]
    pub timeout: f64,

    /// Attempts per meeting, retries included.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub attempts: u32,

    /// With --from: how many dismisses run at once [default: 8].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: Option<u32>,

    /// Requests per --rate-limit-window, evenly spaced; 0 or off: no limit. The service allows
    /// 300 a minute per application and counts every request, so every request takes a slot:
    /// look-ups and retries too. The first goes at once; with --lookup (or an ID in doubt in
    /// the journal) the dismiss follows its look-up one slot later: about 200 ms at 300 a
    /// minute (spaced 2 % wider than the quota).
    #[arg(long, value_name = "N|off", default_value = "300", value_parser = parse_limit)]
    pub rate_limit: Limit,

    /// Wait for each dismissed meeting's `meeting.end` event (webhook), received at --listen or
    /// stored by your receivers in --events-from, and report it confirmed, or not confirmed
    /// within --wait. With --listen: Token and key from $TENCENT_MEETING_WEBHOOK_TOKEN and
    /// $TENCENT_MEETING_WEBHOOK_AES_KEY, as `events listen`.
    #[arg(long, conflicts_with = "dry_run")]
    pub confirm_by_event: bool,

    /// With --confirm-by-event: take the events from this PostgreSQL database, where any
    /// number of `events listen --store postgres://…` replicas store them, instead of
    /// listening here. The password from $PGPASSWORD (a URL on the command line shows in `ps`).
    #[arg(long, value_name = "postgres://…", conflicts_with = "listen")]
    pub events_from: Option<String>,

    /// Share the quota with every process that sends with the same app's credentials, through
    /// this PostgreSQL database: --rate-limit is then the app's total, not this process's. The
    /// password from $PGPASSWORD.
    #[arg(long, value_name = "postgres://…", conflicts_with = "dry_run")]
    pub quota_from: Option<String>,

    /// With --quota-from: the name of the app's shared quota [default: $TENCENT_MEETING_APP_ID,
    /// with /$TENCENT_MEETING_SDK_ID when set]. Required with OAuth2.0 credentials (name the
    /// app the token was issued to).
    #[arg(long, value_name = "NAME", requires = "quota_from")]
    pub quota_key: Option<String>,

    /// With --confirm-by-event: the address the event subscription's URL reaches, e.g.
    /// 0.0.0.0:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// With --confirm-by-event: the URL path the subscription points at.
    #[arg(long, value_name = "PATH", default_value = "/")]
    pub listen_path: String,

    /// With --confirm-by-event: how long to wait for each meeting's event after its dismiss,
    /// in seconds (or with a unit: 30s, 2m).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, value_parser = parse_seconds)]
    pub wait: f64,

    /// With --confirm-by-event: the `meeting_end_type` codes that confirm a dismiss, comma
    /// separated. 0 (ended by the host or the dismiss API) is the only one a dismiss is known to
    /// cause; 1-3 are ends by the schedule or an empty meeting, which may happen while a dismiss
    /// is in flight without being its doing. Widen it only if your account's dismisses are seen
    /// to end with another type. [default: 0]
    #[arg(long, value_name = "TYPE,…", value_delimiter = ',', value_parser = clap::value_parser!(i32).range(0..))]
    pub confirm_end_types: Option<Vec<i32>>,

    /// With --confirm-by-event: how far the service's clock may be behind this machine's, in
    /// seconds (or 500ms, 1m; 0 allowed): an end whose `operate_time` is up to this long before
    /// the dismiss's request left still confirms it; an earlier one (a redelivered old end) does
    /// not. [default: 5]
    #[arg(long, value_name = "SECONDS", value_parser = parse_skew)]
    pub confirm_skew: Option<f64>,

    /// The window --rate-limit counts in, in seconds; also when a request refused for the
    /// per-minute quota (190310) is retried. The service counts per minute; shorter windows are
    /// for simulators (`tencent-meeting sim --rate-limit-window`).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub rate_limit_window: u64,
}

/// What `dismiss --help` says about the environment.
const DISMISS_ENVIRONMENT: &str = "\
Environment:
  TENCENT_MEETING_APP_ID, TENCENT_MEETING_SECRET_ID, TENCENT_MEETING_SECRET_KEY
                                 enterprise-secret credentials (AK/SK)
  TENCENT_MEETING_SDK_ID         the SdkId, only if one was assigned
  TENCENT_MEETING_ACCESS_TOKEN, TENCENT_MEETING_OPEN_ID
                                 OAuth2.0 credentials instead (not both sets)
  TENCENT_MEETING_BASE_URL       the service's base URL (as --base-url)

With --confirm-by-event: TENCENT_MEETING_WEBHOOK_TOKEN and TENCENT_MEETING_WEBHOOK_AES_KEY (unset:
plain mode), the event subscription's Token and EncodingAESKey.

With --events-from or --quota-from: PGPASSWORD, the database password when the URL has none.";

/// `dismiss --help`'s last part: the environment, then the exit codes.
fn dismiss_after_help() -> String {
    format!(
        "{DISMISS_ENVIRONMENT}\n\n{}",
        crate::outcome::Exit::help_text()
    )
}

impl DismissArgs {
    /// Refuses flags that would be ignored, with the flags' names.
    pub fn check(&self) -> Result<(), String> {
        if self.remaining_sub_meetings.is_some() && !matches!(self.kind, Some(KindArg::Recurring)) {
            return Err("--remaining-sub-meetings applies only to --kind recurring".to_string());
        }
        if self.operator_id_type.is_some() && self.operator_id.is_none() {
            return Err("--operator-id-type applies only with --operator-id".to_string());
        }
        if self.listen.is_some() && !self.confirm_by_event {
            return Err("--listen applies only with --confirm-by-event".to_string());
        }
        if self.events_from.is_some() && !self.confirm_by_event {
            return Err("--events-from applies only with --confirm-by-event".to_string());
        }
        if self.confirm_end_types.is_some() && !self.confirm_by_event {
            return Err("--confirm-end-types applies only with --confirm-by-event".to_string());
        }
        if self.confirm_skew.is_some() && !self.confirm_by_event {
            return Err("--confirm-skew applies only with --confirm-by-event".to_string());
        }
        if self.confirm_by_event && self.listen.is_none() && self.events_from.is_none() {
            return Err(
                "--confirm-by-event needs where the events come from: --listen ADDR (a receiver \
                 of its own) or --events-from postgres://… (what your receivers store)"
                    .to_string(),
            );
        }
        if self.quota_from.is_some() && self.rate_limit.0.unwrap_or(0) == 0 {
            return Err(
                "--quota-from shares --rate-limit among processes: give --rate-limit the app's \
                 total (not off)"
                    .to_string(),
            );
        }
        if self.concurrency.is_some() && self.from.is_none() {
            return Err(
                "--concurrency applies only to a batch (--from FILE); one meeting is one call"
                    .to_string(),
            );
        }
        Ok(())
    }

    /// The operator from --userid or --operator-id/--operator-id-type.
    pub fn operator(&self) -> Option<Operator> {
        if let Some(u) = &self.userid {
            return Some(Operator::user_id(u));
        }
        let id = self.operator_id.clone()?;
        Some(match self.operator_id_type? {
            OperatorIdType::Userid => Operator::operator_user_id(id),
            OperatorIdType::OpenId => Operator::open_id(id),
            OperatorIdType::MsOpenId => Operator::ms_open_id(id),
        })
    }

    /// The meeting kind from --kind and --remaining-sub-meetings.
    pub fn kind(&self) -> Option<MeetingKind> {
        self.kind.map(|k| match k {
            KindArg::OneTime => MeetingKind::OneTime,
            KindArg::Quick => MeetingKind::Quick,
            KindArg::Recurring => MeetingKind::recurring(self.remaining_sub_meetings),
        })
    }

    /// The attempt timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }

    /// How many dismisses run at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency.unwrap_or(8) as usize
    }
}

/// `--operator-id-type`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperatorIdType {
    /// operator_id_type 1: an enterprise user ID.
    Userid,
    /// operator_id_type 2: an OAuth2.0 open id.
    OpenId,
    /// operator_id_type 4: a ms_open_id.
    MsOpenId,
}

/// `--kind`.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    /// A scheduled one-time meeting.
    OneTime,
    /// A quick meeting (its code is always reclaimed).
    Quick,
    /// A recurring meeting (by master ID; see --remaining-sub-meetings).
    Recurring,
}

/// `--output`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// Plain words.
    Text,
    /// JSON (one object per meeting, one per line with --from).
    Json,
}

/// `sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// The SecretId (X-TC-Key).
    #[arg(long, env = "TENCENT_MEETING_SECRET_ID")]
    pub secret_id: String,
    /// The SecretKey. Prefer $TENCENT_MEETING_SECRET_KEY or --secret-key-stdin: a value on the
    /// command line shows in `ps` and in shell history.
    #[arg(long, env = "TENCENT_MEETING_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Read the SecretKey from the first line of standard input (instead of --secret-key or
    /// $TENCENT_MEETING_SECRET_KEY).
    #[arg(long)]
    pub secret_key_stdin: bool,
    /// X-TC-Timestamp, unix seconds.
    #[arg(long)]
    pub timestamp: u64,
    /// X-TC-Nonce.
    #[arg(long)]
    pub nonce: u64,
    /// The HTTP method.
    #[arg(long)]
    pub method: String,
    /// The path and query exactly as sent, e.g. /v1/meetings/1/dismiss.
    #[arg(long)]
    pub uri: String,
    /// The body exactly as sent.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// A file holding the body exactly as sent.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
}

fn parse_instance(s: &str) -> Result<Instance, String> {
    s.parse::<Instance>().map_err(|e| e.rule().to_string())
}

/// Seconds, as a bare number or with a unit: `30`, `30s`, `1.5s`, `500ms`, `2m`.
/// [`parse_seconds`] as a `Duration`.
pub(crate) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    parse_seconds(s).map(std::time::Duration::from_secs_f64)
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match seconds(s) {
        Some(v) if v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a duration in (0, 3600] seconds (e.g. 30, 30s, 500ms, 2m)"
        )),
    }
}

/// `--confirm-skew`: as [`parse_seconds`], and 0 (no skew allowed).
fn parse_skew(s: &str) -> Result<f64, String> {
    match seconds(s) {
        Some(v) if (0.0..=3600.0).contains(&v) => Ok(v.abs()),
        _ => Err(format!(
            "{s:?} is not a duration in [0, 3600] seconds (e.g. 5, 5s, 500ms, 0)"
        )),
    }
}

/// `s` in seconds: a number, or a number with a unit (ms, s, m); `None` if it is neither or
/// not finite.
fn seconds(s: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v = number.trim().parse::<f64>().ok()? * scale;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::{parse_seconds, parse_skew};

    #[test]
    fn seconds_take_a_bare_number_or_a_unit() {
        assert_eq!(parse_seconds("30"), Ok(30.0));
        assert_eq!(parse_seconds("30s"), Ok(30.0));
        assert_eq!(parse_seconds("1.5s"), Ok(1.5));
        assert_eq!(parse_seconds("500ms"), Ok(0.5));
        assert_eq!(parse_seconds("2m"), Ok(120.0));
        for bad in [
            "0", "0s", "-1", "61m", "inf", "NaN", "s", "ms", "30 h", "", "1e9",
        ] {
            let error = parse_seconds(bad).expect_err(bad);
            assert!(error.contains("(0, 3600]"), "{bad}: {error}");
        }
    }

    #[test]
    fn a_clock_skew_may_be_zero() {
        assert_eq!(parse_skew("0"), Ok(0.0));
        assert_eq!(parse_skew("-0"), Ok(0.0));
        assert_eq!(parse_skew("0ms"), Ok(0.0));
        assert_eq!(parse_skew("5"), Ok(5.0));
        assert_eq!(parse_skew("1m"), Ok(60.0));
        for bad in ["-1", "61m", "inf", "NaN", "s", ""] {
            let error = parse_skew(bad).expect_err(bad);
            assert!(error.contains("[0, 3600]"), "{bad}: {error}");
        }
    }
}
