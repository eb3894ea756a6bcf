//! Logging: `GATEHOUSE_LOG` (tracing's env-filter syntax), default `info`;
//! `GATEHOUSE_LOG_FORMAT=json` writes one JSON object per line (for log shippers), anything else
//! or nothing the human-readable text. Read before the configuration, so that configuration
//! errors are logged in the chosen format too.
use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_env("GATEHOUSE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let json =
        std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
