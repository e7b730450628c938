//! A small SMTP server on a loopback port that accepts every message and keeps
//! it, so tests read what lettre really delivered over SMTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, Notify};

/// One message as received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope sender.
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt_to: Vec<String>,
    /// The message (headers and body) after dot-unstuffing.
    pub data: String,
}

/// The sink; stops when dropped.
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    refuse: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    /// Starts listening on `127.0.0.1:0`.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("address")).await
    }

    /// A loopback address where nothing listens yet: a mail server that is down
    /// (connections refused) until [`SmtpSink::start_on`] brings it up there.
    pub async fn down() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        listener.local_addr().expect("address")
    }

    /// Starts listening on `addr`.
    pub async fn start_on(addr: SocketAddr) -> Self {
        let listener = TcpListener::bind(addr).await.expect("bind SMTP sink");
        let addr = listener.local_addr().expect("sink address");
        let mails = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let refuse = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let task = tokio::spawn({
            let mails = mails.clone();
            let arrived = arrived.clone();
            let refuse = refuse.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(session(stream, mails.clone(), arrived.clone(), refuse.clone()));
                }
            }
        });
        Self { addr, mails, arrived, refuse, task }
    }

    /// Answers the next `count` messages with a temporary failure (451), as a
    /// mail server in trouble would.
    pub fn refuse_next(&self, count: usize) {
        self.refuse.store(count, std::sync::atomic::Ordering::SeqCst);
    }

    /// `smtp://127.0.0.1:<port>`, for `KUKE_ID_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Everything received so far.
    pub async fn mails(&self) -> Vec<ReceivedMail> {
        self.mails.lock().await.clone()
    }

    /// Waits (at most 10 s) until `pick` finds something among the received mails.
    pub async fn wait_until<T>(&self, pick: impl Fn(&[ReceivedMail]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            if let Some(found) = pick(&self.mails().await) {
                return found;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let subjects: Vec<_> = self.mails().await.iter().filter_map(|m| m.header("Subject")).collect();
                panic!("the expected mail did not arrive; got {subjects:?}");
            }
        }
    }

    /// Waits until at least `count` messages arrived (panics after 10 s).
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let mails = self.mails().await;
            if mails.len() >= count {
                return mails;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("expected {count} mails, got {}", self.mails().await.len());
            }
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(
    stream: TcpStream,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
    refuse: Arc<std::sync::atomic::AtomicUsize>,
) {
    // Replies go out at once: Nagle's algorithm against the client's delayed
    // ACKs would otherwise hold each short reply for ~40 ms.
    let _ = stream.set_nodelay(true);
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink.test ESMTP ready\r\n").await.is_err() {
        return;
    }
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail_from = address(&command["MAIL FROM:".len()..]);
            rcpt_to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpt_to.push(address(&command["RCPT TO:".len()..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            if write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let refused = refuse
                .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| {
                    n.checked_sub(1)
                })
                .is_ok();
            if refused {
                b"451 temporary failure, try later\r\n"
            } else {
                mails.lock().await.push(ReceivedMail { mail_from: mail_from.clone(), rcpt_to: rcpt_to.clone(), data });
                arrived.notify_waiters();
                b"250 OK queued\r\n"
            }
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else {
            b"502 command not implemented\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

fn address(text: &str) -> String {
    let text = text.trim();
    let text = text.split_whitespace().next().unwrap_or(text);
    text.trim_start_matches('<').trim_end_matches('>').to_string()
}

impl ReceivedMail {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ").replace("\r\n\t", " ");
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_string())
        })
    }

    /// The decoded `text/plain` part.
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The decoded `text/html` part.
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    fn part(&self, content_type: &str) -> String {
        let boundary = self
            .header("Content-Type")
            .and_then(|ct| ct.split("boundary=").nth(1).map(|b| b.trim_matches('"').to_string()))
            .unwrap_or_default();
        let delimiter = format!("\r\n--{boundary}");
        for part in self.data.split(&delimiter) {
            let Some((head, body)) = part.split_once("\r\n\r\n") else { continue };
            let head_lower = head.to_ascii_lowercase();
            if !head_lower.contains(&format!("content-type: {content_type}")) {
                continue;
            }
            let body = body.trim_end_matches("\r\n");
            if head_lower.contains("content-transfer-encoding: base64") {
                use base64::Engine;
                let joined: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD.decode(joined).unwrap_or_default();
                return String::from_utf8_lossy(&bytes).into_owned();
            }
            if head_lower.contains("content-transfer-encoding: quoted-printable") {
                return decode_quoted_printable(body);
            }
            return body.to_string();
        }
        String::new()
    }

    /// The first URL in the text part that contains `needle`.
    pub fn link_containing(&self, needle: &str) -> Option<String> {
        self.text().split_whitespace().find(|w| w.starts_with("http") && w.contains(needle)).map(str::to_string)
    }

    /// The first run of exactly six digits in the text part (a login number or a code).
    pub fn six_digits(&self) -> Option<String> {
        let text = self.text();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i].is_ascii_digit() {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i - start == 6 {
                    return Some(chars[start..i].iter().collect());
                }
            } else {
                i += 1;
            }
        }
        None
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
