//! A scripted HTTP/1.1 server on 127.0.0.1: the n-th request gets the n-th step (answer late,
//! answer, or close without answering), so a test can play "a timeout, then …" exactly, on a real
//! socket. Every request is recorded as it arrived.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// Answer with this status and body (JSON content type) after `delay`.
    Answer {
        delay: Duration,
        status: u16,
        body: String,
    },
    /// Answer with the head at once and the body (`{}`) after `pause`: the client has the
    /// answer's status and headers while it waits for the body.
    SplitAnswer { pause: Duration },
    /// Read the request, then close the connection without answering.
    Close,
}

impl Step {
    /// Answer at once.
    pub fn answer(status: u16, body: &str) -> Self {
        Self::Answer {
            delay: Duration::ZERO,
            status,
            body: body.to_string(),
        }
    }

    /// Answer only after `delay` (longer than the client's timeout: the answer is lost).
    pub fn late(delay: Duration) -> Self {
        Self::Answer {
            delay,
            status: 200,
            body: String::new(),
        }
    }

    /// An `error_info` answer with HTTP 400.
    pub fn error(code: i64) -> Self {
        Self::answer(
            400,
            &format!(r#"{{"error_info":{{"error_code":{code},"message":"scripted {code}"}}}}"#),
        )
    }
}

/// One request as it arrived: the request line, the header lines exactly as written, the body.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub request_line: String,
    pub header_lines: Vec<String>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A header's value, the name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_lines.iter().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    /// Whether this is the look-up (`GET`) rather than the dismiss.
    pub fn is_lookup(&self) -> bool {
        self.request_line.starts_with("GET ")
    }
}

/// The running server.
pub struct Scripted {
    pub base_url: String,
    requests: Arc<Mutex<Vec<RawRequest>>>,
    task: JoinHandle<()>,
}

impl Scripted {
    /// Serves `steps` in order; a request beyond them is answered 500.
    pub async fn start(steps: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let steps = Arc::new(Mutex::new(steps.into_iter()));
        let task = tokio::spawn({
            let requests = Arc::clone(&requests);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, Arc::clone(&requests), Arc::clone(&steps)));
                }
            }
        });
        Self {
            base_url,
            requests,
            task,
        }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Steps = Arc<Mutex<std::vec::IntoIter<Step>>>;

async fn serve(mut stream: TcpStream, requests: Arc<Mutex<Vec<RawRequest>>>, steps: Steps) {
    let mut buffer = Vec::new();
    loop {
        let Some(request) = read_request(&mut stream, &mut buffer).await else {
            return;
        };
        requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        let step = steps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .next()
            .unwrap_or_else(|| Step::answer(500, "no step left"));
        match step {
            Step::Close => return,
            Step::Answer {
                delay,
                status,
                body,
            } => {
                tokio::time::sleep(delay).await;
                let answer = format!(
                    "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Tc-Trace: scripted-{status}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(answer.as_bytes()).await.is_err() {
                    return;
                }
            }
            Step::SplitAnswer { pause } => {
                let head = "HTTP/1.1 200 Scripted\r\nContent-Type: application/json\r\nContent-Length: 2\r\nX-Tc-Trace: scripted-200\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(pause).await;
                if stream.write_all(b"{}").await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reads one request (head and `Content-Length` body) from the connection.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<RawRequest> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next()?.to_string();
    let header_lines: Vec<String> = lines.map(str::to_string).collect();
    let length = header_lines
        .iter()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = buffer[body_start..body_start + length].to_vec();
    buffer.drain(..body_start + length);
    Some(RawRequest {
        request_line,
        header_lines,
        body,
    })
}
