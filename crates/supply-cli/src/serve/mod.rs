//! `supply admission serve`: the AdmissionReview webhook over HTTPS (hyper, HTTP/1.1, rustls).
//! Everything decided is decided in `supply_core::admission`; this is the transport: TLS with
//! a reloadable certificate, routes, metrics, policy reload, graceful shutdown on SIGTERM.
//! It runs on its own multi-thread runtime, the only one the CLI starts.

mod metrics;
mod reload;
mod routes;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use supply_core::admission::{CacheConfig, Evaluator};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ExitStatus;
use crate::cli::{PolicyArgs, ServeArgs, TrustArgs};
use metrics::Metrics;
use reload::{Certificate, Live, Sources, log};
use routes::State;

/// How long a client may take to finish the TLS handshake and send its request head.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for reviews under way.
const DRAIN: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the listen backlog.
const MAX_CONNECTIONS: usize = 1024;

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<ExitStatus> {
    anyhow::ensure!(
        !args.policy.files.is_empty(),
        "admission serve needs at least one --policy file"
    );
    if args.plain_http {
        anyhow::ensure!(
            args.listen.ip().is_loopback(),
            "plain HTTP is served on a loopback address only (the API server calls webhooks over HTTPS)"
        );
    }
    // Loaded before the runtime starts: the trusted root may come through the blocking facade.
    let policies = crate::cmd::admission::load_policies(&args.policy, &args.trust)?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some((cert.clone(), key.clone())),
        _ => None,
    };
    let certificate = match &tls {
        Some((cert, key)) => Some(Arc::new(Certificate::load(cert, key)?)),
        None => None,
    };
    // Admission has seconds, not minutes: short registry timeouts, one retry.
    let mut options = crate::cmd::image::client_options(&args.registry)?;
    let registry_timeout = Duration::from_secs(args.registry_timeout.max(1));
    options.request_timeout = registry_timeout;
    options.connect_timeout = options.connect_timeout.min(registry_timeout);
    options.max_retries = 1;
    options.max_backoff = options.max_backoff.min(Duration::from_secs(1));
    let client = supply_core::oci::RegistryClient::new(options)?;
    let config = CacheConfig {
        capacity: args.cache_capacity.max(1),
        positive_ttl: Duration::from_secs(args.cache_ttl),
        negative_ttl: Duration::from_secs(args.negative_cache_ttl),
        work_timeout: registry_timeout * 3,
        ..CacheConfig::default()
    };
    let metrics = Arc::new(Metrics::default());
    metrics
        .policies
        .store(policies.policies.len() as u64, Ordering::Relaxed);
    let live = Arc::new(Live::new(policies, certificate.clone()));
    reload::watch(
        live.clone(),
        Sources {
            policy: copy_policy_args(&args.policy),
            trust: copy_trust_args(&args.trust),
            tls,
        },
        metrics.clone(),
        Duration::from_secs(2),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("supply-serve")
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let evaluator = Arc::new(Evaluator::new(client, config));
        let state = Arc::new(State {
            live: live.clone(),
            evaluator,
            metrics,
        });
        serve(args, state, certificate, live).await
    })?;
    Ok(ExitStatus::Success)
}

fn copy_policy_args(args: &PolicyArgs) -> PolicyArgs {
    PolicyArgs {
        files: args.files.clone(),
        trust_roots: args.trust_roots.clone(),
        no_match_policy: args.no_match_policy,
    }
}

fn copy_trust_args(args: &TrustArgs) -> TrustArgs {
    TrustArgs {
        trusted_root: args.trusted_root.clone(),
        staging: args.staging,
        tuf_url: args.tuf_url.clone(),
        tuf_root: args.tuf_root.clone(),
        offline: args.offline,
    }
}

async fn serve(
    args: &ServeArgs,
    state: Arc<State>,
    certificate: Option<Arc<Certificate>>,
    live: Arc<Live>,
) -> anyhow::Result<()> {
    let acceptor = certificate.map(|resolver| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| b.with_no_client_auth().with_cert_resolver(resolver));
        if let Ok(config) = &mut config {
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
        }
        config.map(|c| tokio_rustls::TlsAcceptor::from(Arc::new(c)))
    });
    let acceptor = acceptor.transpose().context("configuring TLS")?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr()?;
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    log(&format!("listening on {scheme}://{address}"));
    let (stop, stopped) = watch::channel(false);
    let signals = tokio::spawn(signals(stop, live));
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    let mut stopping = stopped.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = until_stopped(&mut stopping) => break,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let state = state.clone();
        let acceptor = acceptor.clone();
        let stopped = stopped.clone();
        connections.spawn(async move {
            let _permit = permit;
            let _ = stream.set_nodelay(true);
            match acceptor {
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    connection(TokioIo::new(tls), state, stopped).await;
                }
                None => connection(TokioIo::new(stream), state, stopped).await,
            }
        });
        while connections.try_join_next().is_some() {}
    }
    log("shutting down: no new connections, finishing reviews under way");
    drop(listener);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        log("shutdown: reviews still running after the drain period were cut");
    }
    signals.abort();
    Ok(())
}

async fn connection<IO>(io: TokioIo<IO>, state: Arc<State>, mut stopped: watch::Receiver<bool>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request| {
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(routes::handle(state, request).await) }
    });
    let serving = http1::Builder::new()
        .header_read_timeout(HANDSHAKE_TIMEOUT)
        .timer(hyper_util::rt::TokioTimer::new())
        .serve_connection(io, service);
    tokio::pin!(serving);
    tokio::select! {
        _ = serving.as_mut() => {}
        _ = until_stopped(&mut stopped) => {
            // Finish the exchange under way, then close (keep-alive connections end here).
            serving.as_mut().graceful_shutdown();
            let _ = serving.await;
        }
    }
}

/// Returns once shutdown has begun (the guard `wait_for` holds is dropped here, not across
/// the caller's awaits).
async fn until_stopped(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// SIGTERM and SIGINT stop the server; SIGHUP reloads policies and the certificate.
async fn signals(stop: watch::Sender<bool>, live: Arc<Live>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        log("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                log("SIGHUP: reloading policies and certificate");
                live.request_reload();
            }
        }
    }
    let _ = stop.send(true);
}
