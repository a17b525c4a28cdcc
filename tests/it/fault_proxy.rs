//! A small HTTP/1.1 proxy on 127.0.0.1 in front of the real registry that misbehaves on
//! request: fails, stalls, truncates, corrupts, redirects, paginates. Everything it does not
//! intercept is forwarded unchanged, so the registry stays the real one.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone)]
pub(crate) enum Action {
    /// Pass the request to the registry.
    Forward,
    /// Answer with this status, headers and body.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Read the request and never answer.
    Stall,
    /// Announce `declared` bytes, send `body` (shorter), close.
    Truncate { declared: usize, body: Vec<u8> },
}

#[derive(Clone)]
pub(crate) struct Rule {
    pub(crate) method: Option<&'static str>,
    pub(crate) path_contains: String,
    pub(crate) times: usize,
    pub(crate) action: Action,
}

impl Rule {
    pub(crate) fn new(
        method: Option<&'static str>,
        path_contains: impl Into<String>,
        times: usize,
        action: Action,
    ) -> Self {
        Self {
            method,
            path_contains: path_contains.into(),
            times,
            action,
        }
    }
}

pub(crate) struct Proxy {
    pub(crate) host: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// Starts the proxy on the current tokio runtime.
    pub(crate) async fn start(upstream: String, rules: Vec<Rule>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rules = Arc::new(Mutex::new(rules));
        let (seen_task, upstream) = (seen.clone(), Arc::new(upstream));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, rules, upstream) = (seen_task.clone(), rules.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = handle(stream, &upstream, &seen, &rules).await;
                });
            }
        });
        Self { host, seen }
    }

    /// `METHOD path` of every HTTP request received, in order.
    pub(crate) fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn count(&self, needle: &str) -> usize {
        self.seen()
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }
}

async fn handle(
    mut client: TcpStream,
    upstream: &str,
    seen: &Mutex<Vec<String>>,
    rules: &Mutex<Vec<Rule>>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        if head.is_empty() && !byte[0].is_ascii_uppercase() {
            return Ok(()); // a TLS handshake or garbage: not HTTP, hang up
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let request_line = text.lines().next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let length: usize = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    client.read_exact(&mut body).await?;
    seen.lock().unwrap().push(format!("{method} {path}"));

    let action = {
        let mut rules = rules.lock().unwrap();
        let rule = rules.iter_mut().find(|r| {
            r.times > 0 && r.method.is_none_or(|m| m == method) && path.contains(&r.path_contains)
        });
        match rule {
            Some(rule) => {
                rule.times -= 1;
                rule.action.clone()
            }
            None => Action::Forward,
        }
    };
    match action {
        Action::Forward => {
            let mut upstream = TcpStream::connect(upstream).await?;
            let mut forwarded = String::new();
            for line in text.trim_end().lines() {
                if !line.to_ascii_lowercase().starts_with("connection:") {
                    forwarded.push_str(line);
                    forwarded.push_str("\r\n");
                }
            }
            forwarded.push_str("Connection: close\r\n\r\n");
            upstream.write_all(forwarded.as_bytes()).await?;
            upstream.write_all(&body).await?;
            let mut response = Vec::new();
            upstream.read_to_end(&mut response).await?;
            client.write_all(&response).await?;
        }
        Action::Respond {
            status,
            headers,
            body,
        } => {
            let mut response = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            response.push_str("\r\n");
            client.write_all(response.as_bytes()).await?;
            if method != "HEAD" {
                client.write_all(&body).await?;
            }
        }
        Action::Stall => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        }
        Action::Truncate { declared, body } => {
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n"
            );
            client.write_all(response.as_bytes()).await?;
            client.write_all(&body).await?;
        }
    }
    client.shutdown().await
}
