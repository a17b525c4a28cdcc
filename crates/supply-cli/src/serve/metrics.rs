//! Prometheus text exposition of what the webhook did: reviews by webhook and decision, a
//! latency histogram, cache hits and misses, registry round trips, verification failures,
//! policy reloads.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use supply_core::admission::Evaluator;
use supply_core::admission::cache::CacheStats;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub(crate) struct Metrics {
    /// [webhook][decision]: validate/mutate × allowed/denied/bad-request.
    reviews: [[AtomicU64; 3]; 2],
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    pub(crate) verification_errors: AtomicU64,
    pub(crate) deadlines: AtomicU64,
    pub(crate) reloads_ok: AtomicU64,
    pub(crate) reloads_failed: AtomicU64,
    pub(crate) policies: AtomicU64,
}

#[derive(Clone, Copy)]
pub(crate) enum Webhook {
    Validate = 0,
    Mutate = 1,
}

#[derive(Clone, Copy)]
pub(crate) enum Outcome {
    Allowed = 0,
    Denied = 1,
    BadRequest = 2,
}

impl Metrics {
    pub(crate) fn review(&self, webhook: Webhook, outcome: Outcome, took: Duration) {
        if let Some(counter) = self
            .reviews
            .get(webhook as usize)
            .and_then(|row| row.get(outcome as usize))
        {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let seconds = took.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if seconds <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn render(&self, evaluator: &Evaluator) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP supply_admission_reviews_total AdmissionReviews answered.\n# TYPE supply_admission_reviews_total counter\n");
        for (webhook, row) in ["validate", "mutate"].iter().zip(&self.reviews) {
            for (decision, counter) in ["allowed", "denied", "bad-request"].iter().zip(row) {
                let _ = writeln!(
                    out,
                    "supply_admission_reviews_total{{webhook=\"{webhook}\",decision=\"{decision}\"}} {}",
                    get(counter)
                );
            }
        }
        out.push_str("# HELP supply_admission_review_duration_seconds Time to answer a review.\n# TYPE supply_admission_review_duration_seconds histogram\n");
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "supply_admission_review_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.latency_count);
        let _ = writeln!(
            out,
            "supply_admission_review_duration_seconds_bucket{{le=\"+Inf\"}} {count}\nsupply_admission_review_duration_seconds_sum {}\nsupply_admission_review_duration_seconds_count {count}",
            get(&self.latency_micros) as f64 / 1e6
        );
        out.push_str("# HELP supply_admission_cache_lookups_total Cache lookups by result (hit, joined: shared work under way, miss).\n# TYPE supply_admission_cache_lookups_total counter\n");
        for (cache, stats) in [
            ("verdicts", evaluator.verdict_stats()),
            ("resolutions", evaluator.resolution_stats()),
        ] {
            cache_lines(&mut out, cache, stats);
        }
        let counters = [
            (
                "supply_registry_requests_total",
                "HTTP exchanges with registries.",
                evaluator.client().round_trips(),
            ),
            (
                "supply_admission_verification_errors_total",
                "Images refused because verification could not be carried out.",
                get(&self.verification_errors),
            ),
            (
                "supply_admission_deadline_exceeded_total",
                "Images refused because the review deadline passed.",
                get(&self.deadlines),
            ),
            (
                "supply_admission_policy_reloads_total{result=\"ok\"}",
                "Policy and certificate reloads.",
                get(&self.reloads_ok),
            ),
            (
                "supply_admission_policy_reloads_total{result=\"failed\"}",
                "",
                get(&self.reloads_failed),
            ),
        ];
        for (name, help, value) in counters {
            let base = name.split('{').next().unwrap_or(name);
            if !help.is_empty() {
                let _ = writeln!(out, "# HELP {base} {help}\n# TYPE {base} counter");
            }
            let _ = writeln!(out, "{name} {value}");
        }
        let _ = writeln!(
            out,
            "# HELP supply_admission_policies Policies loaded.\n# TYPE supply_admission_policies gauge\nsupply_admission_policies {}",
            get(&self.policies)
        );
        out
    }
}

fn cache_lines(out: &mut String, cache: &str, stats: &CacheStats) {
    for (result, counter) in [
        ("hit", &stats.hits),
        ("joined", &stats.joined),
        ("miss", &stats.misses),
    ] {
        let _ = writeln!(
            out,
            "supply_admission_cache_lookups_total{{cache=\"{cache}\",result=\"{result}\"}} {}",
            counter.load(Ordering::Relaxed)
        );
    }
}
