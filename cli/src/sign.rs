//! `tencent-meeting sign`: the signature of a request, for comparing with what another client
//! computes.

use tencent_meeting::signing::{SigningParams, sign};

use crate::args::SignArgs;
use crate::outcome::Exit;

pub fn run(args: &SignArgs, verbose: u8) -> Exit {
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
        &args.secret_key,
    );
    if verbose > 0 {
        println!("string to sign:\n{}\n--", signed.string_to_sign_lossy());
    }
    println!("{}", signed.signature);
    Exit::Ok
}
