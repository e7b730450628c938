//! HTTP/1.1 over a bare TCP connection, for what a well-behaved client will not
//! do: stop in the middle of a header, write a whole body before reading, or
//! declare a body it never sends.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Most bytes of an answer kept; more is a test failure, not a reason to grow.
const MAX_ANSWER: usize = 1024 * 1024;

/// Send buffer of the client's socket: small, so that a body the server does not
/// read cannot vanish into the kernel's buffers and the write itself tells.
const SEND_BUFFER: u32 = 16 * 1024;

/// Opens a connection to the server.
pub async fn connect(addr: SocketAddr) -> TcpStream {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }.expect("socket");
    socket.set_send_buffer_size(SEND_BUFFER).expect("send buffer size");
    socket.connect(addr).await.expect("connect")
}

/// The head of a request with a body of `length` bytes (and any extra header lines).
pub fn head(method: &str, path: &str, content_type: &str, length: usize, extra: &[&str]) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n"
    );
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Writes `bytes` in full, within `limit`.
pub async fn write(stream: &mut TcpStream, bytes: &[u8], limit: Duration) -> std::io::Result<()> {
    tokio::time::timeout(limit, stream.write_all(bytes))
        .await
        .unwrap_or_else(|_| Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "write took too long")))
}

/// Reads until the server closes (or resets) the connection: what arrived by
/// then, or `None` when the connection is still open after `limit`.
pub async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    while answer.len() < MAX_ANSWER {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(answer),
            Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
        }
    }
    panic!("the answer is longer than {MAX_ANSWER} bytes");
}

/// Reads one answer with a `Content-Length` body from a connection that stays
/// open: its head and body, as text.
pub async fn read_answer(stream: &mut TcpStream, limit: Duration) -> String {
    let deadline = tokio::time::Instant::now() + limit;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok()).flatten()
                })
                .expect("a content-length");
            if body.len() >= length {
                return text.into_owned();
            }
        }
        assert!(answer.len() < MAX_ANSWER, "the answer is longer than {MAX_ANSWER} bytes");
        let n = tokio::time::timeout_at(deadline, stream.read(&mut buffer))
            .await
            .expect("an answer in time")
            .expect("the connection stays open");
        assert!(n > 0, "the server closed the connection before answering: {text}");
        answer.extend_from_slice(&buffer[..n]);
    }
}
