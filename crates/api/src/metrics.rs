//! Prometheus metrics (issue: operating Concord): the process-wide recorder
//! behind the `metrics` facade, the labels of the HTTP middleware, and what
//! a scrape of the separate metrics listener answers.
//!
//! Everything that counts (the adapters' group commits, pool, hub and
//! brokers; the gateway sessions; the rate limits) records through the
//! facade's macros; only this module knows the exporter.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::dev::ServiceResponse;
use actix_web::http::Method;
use metrics::Histogram;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: a local request is sub-millisecond, a slow
/// one seconds.
const SECONDS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Group-commit batch sizes: one alone, up to a full batch of 256.
const SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Whether this process records metrics at all: not until a metrics
/// listener installs the recorder, so that a node with `[metrics]` off
/// spends nothing on labelling its requests.
pub fn recording() -> bool {
    HANDLE.get().is_some()
}

/// The process's recorder, installed on first use. One per process: every
/// in-process server of a test shares it.
pub fn recorder() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("concord_group_commit_batch_size".into()),
                    SIZES,
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (a test harness's) keeps its place.
        let _ = metrics::set_global_recorder(recorder);
        process_collector().describe();
        handle
    })
}

fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// What a scrape reads besides the counters: the database pool's state
/// (in use, idle), asked at scrape time.
pub struct Scrape {
    pub pool: Arc<dyn Fn() -> (u32, u32) + Send + Sync>,
}

impl Scrape {
    /// The Prometheus text exposition of everything recorded so far.
    pub fn render(&self) -> String {
        let handle = recorder();
        let (in_use, idle) = (self.pool)();
        metrics::gauge!("concord_db_pool_in_use").set(f64::from(in_use));
        metrics::gauge!("concord_db_pool_idle").set(f64::from(idle));
        process_collector().collect();
        handle.run_upkeep();
        handle.render()
    }
}

/// Set on a request no route matched, so its path (which could be anything)
/// never becomes a label.
#[derive(Clone, Copy)]
pub struct Unmatched;

/// Records one answered request: its route template, method and status,
/// and how long it took.
///
/// Each worker thread keeps the histogram of every (route, method, status)
/// it has seen, so a request costs one lookup by the rebuilt template and
/// not the facade's key building, label copies and registry search, about
/// half of what recording cost a post. The keys are bounded: templates come
/// from the router's routes, methods outside the standard ones are `other`
/// and statuses are three digits.
pub fn record_request<B>(res: &ServiceResponse<B>, method: &Method, started: Instant) {
    let req = res.request();
    let route = if req.extensions().contains::<Unmatched>() {
        "unmatched".to_owned()
    } else {
        let params: Vec<(&str, &str)> = req.match_info().iter().collect();
        route_template(req.path(), &params)
    };
    let (method, status) = (method_label(method), res.status().as_u16());
    let elapsed = started.elapsed().as_secs_f64();
    thread_local! {
        static HISTOGRAMS: RefCell<HashMap<String, ByLabel>> = RefCell::new(HashMap::new());
    }
    HISTOGRAMS.with_borrow_mut(|by_route| {
        let by_label = match by_route.get_mut(route.as_str()) {
            Some(by_label) => by_label,
            None => by_route.entry(route.clone()).or_default(),
        };
        by_label
            .entry((method, status))
            .or_insert_with(|| {
                metrics::histogram!(
                    "concord_http_request_duration_seconds",
                    "route" => route,
                    "method" => method,
                    "status" => status.to_string(),
                )
            })
            .record(elapsed);
    });
}

/// One route's request histograms, by method and status.
type ByLabel = HashMap<(&'static str, u16), Histogram>;

/// The `method` label: the standard methods by name, anything else `other`,
/// so that a client cannot mint label values.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

/// The route pattern a request matched, rebuilt from its path and the
/// values the router captured: each captured segment, matched from the
/// right (parameters follow the static words that name them), becomes
/// `{name}`. Cheaper than asking the router to match the path again.
pub fn route_template(path: &str, params: &[(&str, &str)]) -> String {
    // The parameter each segment stands for, if any, counted from the right.
    let mut names: Vec<Option<&str>> = vec![None; path.split('/').count()];
    let mut pending = params.iter().rev().peekable();
    for (slot, segment) in names.iter_mut().zip(path.rsplit('/')) {
        let Some((name, value)) = pending.peek() else {
            break;
        };
        if segment == *value {
            *slot = Some(name);
            pending.next();
        }
    }
    let mut out = String::with_capacity(path.len() + 16);
    for (i, (segment, name)) in path.split('/').zip(names.iter().rev()).enumerate() {
        if i > 0 {
            out.push('/');
        }
        match name {
            Some(name) => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
            None => out.push_str(segment),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use actix_web::http::Method;

    use super::{method_label, route_template};

    #[test]
    fn only_standard_methods_name_their_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
    }

    #[test]
    fn captured_values_become_their_parameter_names() {
        assert_eq!(route_template("/health", &[]), "/health");
        assert_eq!(
            route_template("/api/channels/12/messages", &[("channelId", "12")]),
            "/api/channels/{channelId}/messages"
        );
        assert_eq!(
            route_template(
                "/api/channels/5/messages/5",
                &[("channelId", "5"), ("messageId", "5")]
            ),
            "/api/channels/{channelId}/messages/{messageId}"
        );
    }

    #[test]
    fn a_value_spelled_like_a_static_word_takes_the_later_place() {
        assert_eq!(
            route_template("/api/users/users", &[("id", "users")]),
            "/api/users/{id}"
        );
    }
}
