//! A loopback HTTP/1.1 server that answers every request with the documented success, 200 and an
//! empty body (as the simulator does by default), on keep-alive connections: the other end of
//! the `dismiss` and `raw` paths. It runs on threads of its own, which callgrind does not count
//! (collection is toggled on the measuring thread only), so only the client's work is counted.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};

/// What every request gets: the answer the service documents for a dismiss.
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
x-tc-trace: 0123456789abcdef\r\ncontent-length: 0\r\n\r\n";

/// Starts the server on 127.0.0.1 and returns its address.
pub fn start() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    Ok(addr)
}

/// Answers the requests of one connection until the client closes it (or sends what this
/// server does not read: then the connection just ends, and the driver's check fails).
fn serve(stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        let mut length = 0usize;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                match value.trim().parse() {
                    Ok(n) => length = n,
                    Err(_) => return,
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() || writer.write_all(ANSWER).is_err() {
            return;
        }
    }
}
