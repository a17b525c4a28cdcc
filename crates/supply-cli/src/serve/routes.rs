//! The webhook's routes: `POST /validate`, `POST /mutate`, `GET /healthz`, `/readyz`,
//! `/metrics`. Bodies are capped; a body that is not an AdmissionReview gets a 400 that says
//! why, never an allow.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use supply_core::admission::{Evaluator, ImageAt, ImageDecision, Review};
use supply_core::verify::Code;

use super::metrics::{Metrics, Outcome, Webhook};
use super::reload::{Live, log};

/// The API server sends a few MiB at most (etcd's object limit is 1.5 MiB).
pub(crate) const MAX_BODY: usize = 3 * 1024 * 1024;
/// How much of an oversized body is read and dropped before the connection is cut.
const MAX_DRAIN: usize = 16 * 1024 * 1024;
/// The deadline when the API server does not say (`?timeout=`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

pub(crate) struct State {
    pub(crate) live: Arc<Live>,
    pub(crate) evaluator: Arc<Evaluator>,
    pub(crate) metrics: Arc<Metrics>,
}

type Answer = Response<Full<Bytes>>;

fn answer(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn text(status: StatusCode, body: &str) -> Answer {
    answer(status, "text/plain; charset=utf-8", format!("{body}\n"))
}

pub(crate) async fn handle(state: Arc<State>, request: Request<Incoming>) -> Answer {
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::POST, "/validate") => review(state, request, Webhook::Validate).await,
        (&Method::POST, "/mutate") => review(state, request, Webhook::Mutate).await,
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok"),
        (&Method::GET, "/readyz") => text(StatusCode::OK, "ready"),
        (&Method::GET, "/metrics") => answer(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            state.metrics.render(&state.evaluator),
        ),
        (_, "/validate" | "/mutate" | "/healthz" | "/readyz" | "/metrics") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

/// The API server's `?timeout=10s` (also `500ms`, `1m`), minus a margin to answer in.
fn budget(query: Option<&str>) -> Duration {
    let timeout = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("timeout="))
        .and_then(parse_duration)
        .unwrap_or(DEFAULT_TIMEOUT);
    let margin = (timeout / 10).max(Duration::from_millis(250));
    timeout
        .saturating_sub(margin)
        .max(Duration::from_millis(100))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let value: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(value)),
        "s" => Some(Duration::from_secs(value)),
        "m" => Some(Duration::from_secs(value.checked_mul(60)?)),
        _ => None,
    }
}

/// The body, at most [`MAX_BODY`] bytes. A longer one is read on (up to [`MAX_DRAIN`]) and
/// dropped, so the client can finish sending and read the 413 instead of a broken pipe.
async fn read_body(mut body: Incoming) -> Result<Bytes, StatusCode> {
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > MAX_DRAIN {
            break;
        }
        if seen <= MAX_BODY {
            kept.extend_from_slice(&data);
        }
    }
    if seen > MAX_BODY {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    Ok(Bytes::from(kept))
}

async fn review(state: Arc<State>, request: Request<Incoming>, webhook: Webhook) -> Answer {
    let started = Instant::now();
    let budget = budget(request.uri().query());
    let deadline = tokio::time::Instant::now() + budget;
    let body = match read_body(request.into_body()).await {
        Ok(body) => body,
        Err(status) => {
            state
                .metrics
                .review(webhook, Outcome::BadRequest, started.elapsed());
            return if status == StatusCode::PAYLOAD_TOO_LARGE {
                text(
                    status,
                    &format!("the AdmissionReview is larger than {MAX_BODY} bytes"),
                )
            } else {
                text(status, "the request body could not be read")
            };
        }
    };
    let review = match Review::parse(&body) {
        Ok(review) => review,
        Err(error) => {
            state
                .metrics
                .review(webhook, Outcome::BadRequest, started.elapsed());
            return text(StatusCode::BAD_REQUEST, &error.to_string());
        }
    };
    let images = review.images();
    let set = state.live.policies();
    // Each distinct image once, all concurrently.
    let mut distinct: BTreeMap<&str, Option<ImageDecision>> = BTreeMap::new();
    for at in &images {
        distinct.entry(at.image.as_str()).or_insert(None);
    }
    let evaluations = distinct
        .keys()
        .map(|image| state.evaluator.evaluate_by(&set, image, deadline));
    let decided = futures_util::future::join_all(evaluations).await;
    for (slot, decision) in distinct.values_mut().zip(decided) {
        *slot = Some(decision);
    }
    let pairs: Vec<(ImageAt, &ImageDecision)> = images
        .iter()
        .filter_map(|at| Some((at.clone(), distinct.get(at.image.as_str())?.as_ref()?)))
        .collect();
    for (_, decision) in &pairs {
        for finding in &decision.findings {
            match finding.code {
                Code::VerificationError => state
                    .metrics
                    .verification_errors
                    .fetch_add(1, Ordering::Relaxed),
                Code::DeadlineExceeded => state.metrics.deadlines.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
        }
    }
    let allowed = pairs.iter().all(|(_, d)| d.allowed);
    let response = match webhook {
        _ if images.is_empty() => review.allow(),
        Webhook::Validate => review.validation_response(&pairs),
        Webhook::Mutate => review.mutation_response(&pairs),
    };
    let outcome = if allowed || matches!(webhook, Webhook::Mutate) {
        Outcome::Allowed
    } else {
        Outcome::Denied
    };
    let took = started.elapsed();
    state.metrics.review(webhook, outcome, took);
    if !images.is_empty() {
        log(&format!(
            "{} uid={} {} {} {}{}: {} image(s) {} in {} ms",
            match webhook {
                Webhook::Validate => "validate",
                Webhook::Mutate => "mutate",
            },
            supply_core::text::printable(&review.uid),
            review.operation,
            supply_core::text::printable(&review.kind),
            supply_core::text::printable(&review.object_name),
            if review.dry_run { " (dry run)" } else { "" },
            images.len(),
            if allowed { "allowed" } else { "denied" },
            took.as_millis()
        ));
    }
    answer(
        StatusCode::OK,
        "application/json",
        serde_json::to_vec(&response).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_come_from_the_api_servers_timeout() {
        assert_eq!(budget(Some("timeout=10s")), Duration::from_secs(9));
        assert_eq!(budget(None), Duration::from_millis(7200));
        assert_eq!(budget(Some("x=1&timeout=2s")), Duration::from_millis(1750));
        assert_eq!(budget(Some("timeout=500ms")), Duration::from_millis(250));
        assert_eq!(budget(Some("timeout=1m")), Duration::from_secs(54));
        assert_eq!(budget(Some("timeout=soon")), Duration::from_millis(7200));
        assert_eq!(
            budget(Some("timeout=99999999999999999999s")),
            Duration::from_millis(7200)
        );
    }
}
