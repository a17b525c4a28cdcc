//! A small HTTP/1.1 proxy on 127.0.0.1 in front of the real registry that misbehaves on
//! request: fails, stalls, truncates, corrupts, redirects, paginates. Everything it does not
//! intercept is forwarded unchanged, so the registry stays the real one. It can speak TLS to
//! the client (an HTTPS front for a plain registry), and it records every request head, so a
//! proxy with no upstream serves as the attacker's listener that must never see credentials.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
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
    state: Arc<State>,
}

/// Shared state of one proxy's connections.
struct State {
    upstream: String,
    seen: Mutex<Vec<String>>,
    heads: Mutex<Vec<String>>,
    rules: Mutex<Vec<Rule>>,
}

impl Proxy {
    /// Starts the proxy on the current tokio runtime.
    pub(crate) async fn start(upstream: String, rules: Vec<Rule>) -> Self {
        Self::start_with(upstream, rules, None).await
    }

    /// Starts the proxy speaking TLS to its clients with this server configuration.
    pub(crate) async fn start_tls(
        upstream: String,
        rules: Vec<Rule>,
        tls: Arc<rustls::ServerConfig>,
    ) -> Self {
        Self::start_with(upstream, rules, Some(tokio_rustls::TlsAcceptor::from(tls))).await
    }

    /// A listener that forwards nothing: it answers by its rules (else hangs up) and records
    /// what it was sent.
    pub(crate) async fn listener(rules: Vec<Rule>) -> Self {
        Self::start("127.0.0.1:1".into(), rules).await
    }

    async fn start_with(
        upstream: String,
        rules: Vec<Rule>,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let state = Arc::new(State {
            upstream,
            seen: Mutex::new(Vec::new()),
            heads: Mutex::new(Vec::new()),
            rules: Mutex::new(rules),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (state, tls) = (state.clone(), tls.clone());
                tokio::spawn(async move {
                    let _ = match tls {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(stream) => handle(stream, &state).await,
                            Err(_) => Ok(()),
                        },
                        None => handle(stream, &state).await,
                    };
                });
            }
        });
        Self {
            host,
            state: shared,
        }
    }

    /// Adds a rule (after the ones given at start), e.g. one that names the proxy's own host.
    pub(crate) fn add_rule(&self, rule: Rule) {
        self.state.rules.lock().unwrap().push(rule);
    }

    /// `METHOD path` of every HTTP request received, in order.
    pub(crate) fn seen(&self) -> Vec<String> {
        self.state.seen.lock().unwrap().clone()
    }

    /// The whole head (request line and headers) of every request received, in order.
    pub(crate) fn heads(&self) -> Vec<String> {
        self.state.heads.lock().unwrap().clone()
    }

    pub(crate) fn count(&self, needle: &str) -> usize {
        self.seen()
            .iter()
            .filter(|line| line.contains(needle))
            .count()
    }
}

async fn handle(
    mut client: impl AsyncRead + AsyncWrite + Unpin,
    state: &State,
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
    state.seen.lock().unwrap().push(format!("{method} {path}"));
    state.heads.lock().unwrap().push(text.clone());

    let action = {
        let mut rules = state.rules.lock().unwrap();
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
            let mut upstream = TcpStream::connect(&state.upstream).await?;
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
