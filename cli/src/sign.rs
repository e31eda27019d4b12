//! `tencent-meeting sign`: the signature of a request, for comparing with what another client
//! computes.

use std::io::BufRead as _;

use tencent_meeting::signing::{SigningParams, sign};

use crate::args::SignArgs;
use crate::outcome::Exit;

pub fn run(args: &SignArgs, verbose: u8) -> Exit {
    let secret_key = match secret_key(args) {
        Ok(key) => key,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone().into_bytes(),
        (None, Some(path)) => match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("error: cannot read --body-file {}: {e}", path.display());
                return Exit::Usage;
            }
        },
        (None, None) => Vec::new(),
    };
    let signed = sign(
        &SigningParams {
            method: &args.method,
            uri: &args.uri,
            body: &body,
            secret_id: &args.secret_id,
            timestamp: args.timestamp,
            nonce: args.nonce,
        },
        &secret_key,
    );
    if verbose > 0 {
        println!("string to sign:\n{}\n--", signed.string_to_sign_lossy());
    }
    println!("{}", signed.signature);
    Exit::Ok
}

/// The SecretKey from standard input (--secret-key-stdin), else --secret-key or the environment.
fn secret_key(args: &SignArgs) -> Result<String, String> {
    if args.secret_key_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the SecretKey from standard input: {e}"))?;
        let key = line.trim_end_matches(['\r', '\n']);
        if key.is_empty() {
            return Err("--secret-key-stdin: standard input held no SecretKey".to_string());
        }
        return Ok(key.to_string());
    }
    args.secret_key.clone().ok_or_else(|| {
        "no SecretKey: set TENCENT_MEETING_SECRET_KEY, or pass --secret-key-stdin and write it to standard input (--secret-key KEY works too, but shows in ps)".to_string()
    })
}
