//! Process-wide telemetry: the tracing subscriber and the Prometheus recorder. Both are global
//! by nature, so they are installed once per process (tests start many servers in one process
//! and share them).

use std::sync::OnceLock;

use ferrochat_config::{LogConfig, LogFormat};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Latency buckets in seconds: fine below 10 ms where healthy requests and queries sit, coarse
/// above for the slow tail.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the log subscriber: human-readable lines (colour on a terminal) or JSON, filtered by
/// `RUST_LOG` when set and by the configured level otherwise. Logs go to stderr so command
/// output on stdout stays clean, through a background writer: a slow or stalled stderr reader
/// (a full pipe) drops log lines instead of blocking the async workers. Also routes panics
/// through the log. Keep the returned guard until the process ends: dropping it flushes the
/// lines still queued.
pub fn init_logging(log: &LogConfig) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{},sqlx=warn", log.level)));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        // The default queue holds 128,000 lines (megabytes preallocated); a few thousand
        // ride out any burst a healthy reader can drain.
        .buffered_lines_limit(4096)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let installed = match log.format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
    if installed.is_ok() {
        std::panic::set_hook(Box::new(|info| {
            let location = info.location().map(|l| l.to_string()).unwrap_or_default();
            let payload = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%location, panic = %payload, "panic");
        }));
    }
    guard
}

/// The process's Prometheus handle, installing the recorder on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}
