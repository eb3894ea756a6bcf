//! Prometheus metrics: requests and latency by route, token-lookup batch sizes, SAML refusals by
//! reason, rate-limit refusals and the database pool. Served in the text exposition format on
//! their own listen address (`GATEHOUSE_METRICS_ADDR`, default `127.0.0.1:9464`), never on the
//! public port. One registry per process, like the `metrics` crate's global recorder.
use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Upper bounds (seconds) of the request-latency histogram buckets.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Http {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (route, method) → latency.
    latency: BTreeMap<(String, String), Histogram>,
}

pub struct Metrics {
    http: Mutex<Http>,
    saml_refusals: Mutex<BTreeMap<String, u64>>,
    signin_rate_limited: AtomicU64,
    auth_failure_rate_limited: AtomicU64,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    http: Mutex::new(Http::default()),
    saml_refusals: Mutex::new(BTreeMap::new()),
    signin_rate_limited: AtomicU64::new(0),
    auth_failure_rate_limited: AtomicU64::new(0),
});

pub fn global() -> &'static Metrics {
    &METRICS
}

/// Which rate limit refused a request.
#[derive(Clone, Copy, Debug)]
pub enum RateLimit {
    SignIn,
    AuthFailures,
}

impl Metrics {
    pub fn saml_refused(&self, reason: &str) {
        if let Ok(mut map) = self.saml_refusals.lock() {
            *map.entry(reason.to_string()).or_default() += 1;
        }
    }

    pub fn rate_limited(&self, limit: RateLimit) {
        match limit {
            RateLimit::SignIn => &self.signin_rate_limited,
            RateLimit::AuthFailures => &self.auth_failure_rate_limited,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    fn request(&self, route: String, method: String, status: u16, seconds: f64) {
        let Ok(mut http) = self.http.lock() else {
            return;
        };
        *http
            .requests
            .entry((route.clone(), method.clone(), status))
            .or_default() += 1;
        let histogram = http.latency.entry((route, method)).or_default();
        histogram.count += 1;
        histogram.sum += seconds;
        if let Some(i) = LATENCY_BUCKETS.iter().position(|&le| seconds <= le) {
            histogram.buckets[i] += 1;
        }
    }

    /// The text exposition format. `pool` is (connections open, of which idle).
    pub fn render(&self, pool: (u32, usize)) -> String {
        let mut out = String::with_capacity(8192);
        if let Ok(http) = self.http.lock() {
            out.push_str("# HELP gatehouse_http_requests_total HTTP requests answered, by route, method and status.\n");
            out.push_str("# TYPE gatehouse_http_requests_total counter\n");
            for ((route, method, status), n) in &http.requests {
                let _ = writeln!(
                    out,
                    "gatehouse_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {n}",
                    escape(route),
                    escape(method)
                );
            }
            out.push_str("# HELP gatehouse_http_request_duration_seconds Time to answer a request (to its response head), by route and method.\n");
            out.push_str("# TYPE gatehouse_http_request_duration_seconds histogram\n");
            for ((route, method), h) in &http.latency {
                let labels = format!("route=\"{}\",method=\"{}\"", escape(route), escape(method));
                write_histogram(
                    &mut out,
                    "gatehouse_http_request_duration_seconds",
                    &labels,
                    LATENCY_BUCKETS.iter().zip(h.buckets),
                    h.count,
                    h.sum,
                );
            }
        }
        let batches = app::server::token_lookup::batch_sizes();
        out.push_str("# HELP gatehouse_token_lookup_batch_size Bearer tokens looked up per database query.\n");
        out.push_str("# TYPE gatehouse_token_lookup_batch_size histogram\n");
        write_histogram(
            &mut out,
            "gatehouse_token_lookup_batch_size",
            "",
            batches.buckets,
            batches.count,
            batches.sum,
        );
        out.push_str("# HELP gatehouse_saml_refusals_total SAML messages refused, by reason.\n");
        out.push_str("# TYPE gatehouse_saml_refusals_total counter\n");
        if let Ok(map) = self.saml_refusals.lock() {
            for (reason, n) in map.iter() {
                let _ = writeln!(
                    out,
                    "gatehouse_saml_refusals_total{{reason=\"{}\"}} {n}",
                    escape(reason)
                );
            }
        }
        out.push_str("# HELP gatehouse_rate_limited_total Requests refused by a rate limit.\n");
        out.push_str("# TYPE gatehouse_rate_limited_total counter\n");
        let _ = writeln!(
            out,
            "gatehouse_rate_limited_total{{limit=\"signin\"}} {}\n\
             gatehouse_rate_limited_total{{limit=\"auth_failures\"}} {}",
            self.signin_rate_limited.load(Ordering::Relaxed),
            self.auth_failure_rate_limited.load(Ordering::Relaxed)
        );
        let (open, idle) = pool;
        out.push_str("# HELP gatehouse_db_pool_connections Database pool connections.\n");
        out.push_str("# TYPE gatehouse_db_pool_connections gauge\n");
        let _ = writeln!(
            out,
            "gatehouse_db_pool_connections{{state=\"idle\"}} {idle}\n\
             gatehouse_db_pool_connections{{state=\"in_use\"}} {}",
            (open as usize).saturating_sub(idle)
        );
        out
    }
}

/// One histogram series: cumulative `_bucket`s (each bucket is (upper bound, observations in
/// it)), `+Inf`, `_sum` and `_count`, all with `labels` (`name="value",…`, or empty).
fn write_histogram<B: std::fmt::Display>(
    out: &mut String,
    name: &str,
    labels: &str,
    buckets: impl IntoIterator<Item = (B, u64)>,
    count: u64,
    sum: impl std::fmt::Display,
) {
    let (with_le, alone) = if labels.is_empty() {
        (String::new(), String::new())
    } else {
        (format!("{labels},"), format!("{{{labels}}}"))
    };
    let mut cumulative = 0;
    for (le, n) in buckets {
        cumulative += n;
        let _ = writeln!(out, "{name}_bucket{{{with_le}le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{{with_le}le=\"+Inf\"}} {count}\n{name}_sum{alone} {sum}\n{name}_count{alone} {count}"
    );
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Inner layer (`route_layer`, after routing): hands the matched route to [`record`] on the
/// response, since the outer layer runs before routing.
pub async fn carry_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Outer layer: counts and times every request under its route pattern (`/api/v1/service_accounts/{name}`),
/// never its raw path, so label values stay a fixed set whatever clients send. Server functions
/// share one pattern and are told apart by name unless the name was unknown (404).
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let status = response.status();
    let route = match response.extensions().get::<MatchedPath>() {
        Some(_) if path.starts_with("/fn/") && status != StatusCode::NOT_FOUND => path,
        Some(route) => route.as_str().to_string(),
        None => "unmatched".to_string(),
    };
    let method = match method.as_str() {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "other".to_string(),
    };
    global().request(
        route,
        method,
        status.as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let m = Metrics {
            http: Mutex::new(Http::default()),
            saml_refusals: Mutex::new(BTreeMap::new()),
            signin_rate_limited: AtomicU64::new(0),
            auth_failure_rate_limited: AtomicU64::new(0),
        };
        m.request("/api/v1/users/me".into(), "GET".into(), 200, 0.0004);
        m.request("/api/v1/users/me".into(), "GET".into(), 200, 0.02);
        m.request("/api/v1/users/me".into(), "GET".into(), 401, 0.0001);
        m.saml_refused("BadSignature");
        m.rate_limited(RateLimit::SignIn);
        let text = m.render((5, 2));
        assert!(text.contains(
            "gatehouse_http_requests_total{route=\"/api/v1/users/me\",method=\"GET\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "gatehouse_http_requests_total{route=\"/api/v1/users/me\",method=\"GET\",status=\"401\"} 1"
        ));
        assert!(text.contains(
            "gatehouse_http_request_duration_seconds_bucket{route=\"/api/v1/users/me\",method=\"GET\",le=\"0.001\"} 2"
        ));
        assert!(text.contains(
            "gatehouse_http_request_duration_seconds_bucket{route=\"/api/v1/users/me\",method=\"GET\",le=\"0.01\"} 2"
        ));
        assert!(text.contains(
            "gatehouse_http_request_duration_seconds_bucket{route=\"/api/v1/users/me\",method=\"GET\",le=\"0.025\"} 3"
        ));
        assert!(text.contains(
            "gatehouse_http_request_duration_seconds_count{route=\"/api/v1/users/me\",method=\"GET\"} 3"
        ));
        assert!(text.contains("gatehouse_saml_refusals_total{reason=\"BadSignature\"} 1"));
        // An unlabelled histogram: no empty braces.
        assert!(text.contains("\ngatehouse_token_lookup_batch_size_sum "));
        assert!(text.contains("\ngatehouse_token_lookup_batch_size_bucket{le=\"+Inf\"} "));
        assert!(text.contains("gatehouse_rate_limited_total{limit=\"signin\"} 1"));
        assert!(text.contains("gatehouse_db_pool_connections{state=\"in_use\"} 3"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
