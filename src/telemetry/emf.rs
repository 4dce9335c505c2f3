//! CloudWatch Embedded Metric Format: a `metrics` recorder that buffers
//! values and renders them as EMF documents (one JSON object per log line).
//!
//! Why our own and not `metrics_cloudwatch_embedded`: that crate flushes
//! once per invocation only, and its default feature pulls `lambda_http`
//! into the binary. High-traffic authorizers need the aggregated mode
//! (value arrays across invocations, written every N invocations or T
//! seconds), which means chunking to the format's limits — at most 100
//! metrics per directive and 100 values per metric — and that is the part
//! written here.

use super::settings::{Flush, Settings};
use crate::codec::json_write::push_json_str;
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// EMF's own limits (CloudWatch EMF specification).
pub const MAX_METRICS_PER_DIRECTIVE: usize = 100;
/// The EMF specification's limit of values per metric in one document.
pub const MAX_VALUES_PER_METRIC: usize = 100;
/// The EMF specification's limit of dimensions per set.
pub const MAX_DIMENSIONS: usize = 30;

#[derive(Default)]
struct Sum(AtomicU64);

impl CounterFn for Sum {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

/// Histogram values since the last flush; the buffer keeps its capacity.
#[derive(Default)]
struct Values(Mutex<Vec<f64>>);

impl HistogramFn for Values {
    fn record(&self, value: f64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(value);
    }
}

/// Gauges are not used by scopegate; they are accepted and ignored so a
/// library recording one cannot break the function.
struct Ignored;

impl GaugeFn for Ignored {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    fn set(&self, _: f64) {}
}

enum Series {
    Counter(Arc<Sum>),
    Histogram(Arc<Values>),
}

struct Entry {
    key: Key,
    series: Series,
}

#[derive(Default)]
struct Registry {
    entries: Mutex<Vec<Entry>>,
    units: Mutex<HashMap<String, Unit>>,
    /// Counters written only when non-zero; every other counter is written
    /// as 0 too, so a dashboard shows "none" rather than "no data".
    sparse: Vec<&'static str>,
}

/// The recorder; clones share one registry, so one clone can be installed
/// globally and another kept for flushing.
#[derive(Clone, Default)]
pub struct EmfRecorder {
    registry: Arc<Registry>,
}

impl EmfRecorder {
    /// A recorder that skips zero values of the counters named in `sparse`
    /// (wide label sets such as one series per reason code).
    pub fn with_sparse_counters(sparse: &[&'static str]) -> EmfRecorder {
        EmfRecorder {
            registry: Arc::new(Registry {
                sparse: sparse.to_vec(),
                ..Registry::default()
            }),
        }
    }

    /// Series registered so far. Each becomes one CloudWatch custom metric
    /// (a name with one combination of dimension values), the unit
    /// CloudWatch bills EMF by; the TTL lab prices them.
    pub fn series(&self) -> usize {
        self.registry
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn describe(&self, key: &KeyName, unit: Option<Unit>) {
        if let Some(unit) = unit {
            self.registry
                .units
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key.as_str().to_string(), unit);
        }
    }

    fn register(&self, key: &Key, make: impl FnOnce() -> Series) -> Series {
        let mut entries = self
            .registry
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = entries.iter().find(|e| &e.key == key) {
            return match &e.series {
                Series::Counter(c) => Series::Counter(Arc::clone(c)),
                Series::Histogram(h) => Series::Histogram(Arc::clone(h)),
            };
        }
        let series = make();
        let copy = match &series {
            Series::Counter(c) => Series::Counter(Arc::clone(c)),
            Series::Histogram(h) => Series::Histogram(Arc::clone(h)),
        };
        entries.push(Entry {
            key: key.clone(),
            series,
        });
        copy
    }

    /// Takes every value recorded since the last call and renders it as
    /// EMF documents, each within the format's limits.
    ///
    /// Idle dense counters (zero since the last drain) are written only when
    /// `with_idle` is set: the flusher asks for them once a minute, which is
    /// all a 1-minute dashboard period needs, instead of on every invocation.
    pub fn drain(&self, settings: &Settings, timestamp_ms: u64, with_idle: bool) -> Vec<String> {
        let units = self
            .registry
            .units
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // Group series by label set: labels become dimensions, and a
        // directive has one dimension set.
        let mut groups: Vec<(Labels, Vec<Drained>)> = Vec::new();
        let entries = self
            .registry
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for e in entries.iter() {
            let values = match &e.series {
                Series::Counter(c) => match c.0.swap(0, Ordering::Relaxed) {
                    0 if !with_idle || self.registry.sparse.contains(&e.key.name()) => continue,
                    n => vec![n as f64],
                },
                Series::Histogram(h) => {
                    let mut buf = h.0.lock().unwrap_or_else(PoisonError::into_inner);
                    if buf.is_empty() {
                        continue;
                    }
                    let taken = buf.clone();
                    buf.clear();
                    taken
                }
            };
            let labels: Vec<(String, String)> = e
                .key
                .labels()
                .map(|l| (l.key().to_string(), l.value().to_string()))
                .collect();
            let metric = Drained {
                name: e.key.name().to_string(),
                unit: units.get(e.key.name()).copied(),
                values,
            };
            match groups.iter_mut().find(|(l, _)| *l == labels) {
                Some((_, metrics)) => metrics.push(metric),
                None => groups.push((labels, vec![metric])),
            }
        }
        drop(entries);
        let mut docs = Vec::new();
        for (labels, metrics) in &groups {
            let rounds = metrics
                .iter()
                .map(|m| m.values.len().div_ceil(MAX_VALUES_PER_METRIC))
                .max()
                .unwrap_or(0);
            for round in 0..rounds {
                let slice: Vec<(&Drained, &[f64])> = metrics
                    .iter()
                    .filter_map(|m| {
                        let from = round * MAX_VALUES_PER_METRIC;
                        let to = (from + MAX_VALUES_PER_METRIC).min(m.values.len());
                        (from < to).then(|| (m, &m.values[from..to]))
                    })
                    .collect();
                for chunk in slice.chunks(MAX_METRICS_PER_DIRECTIVE) {
                    docs.push(document(settings, timestamp_ms, labels, chunk));
                }
            }
        }
        docs
    }
}

/// A series' labels as (key, value) pairs, in registration order.
type Labels = Vec<(String, String)>;

struct Drained {
    name: String,
    unit: Option<Unit>,
    values: Vec<f64>,
}

/// CloudWatch's unit names.
fn unit_name(unit: Option<Unit>) -> &'static str {
    match unit {
        Some(Unit::Seconds) => "Seconds",
        Some(Unit::Milliseconds) => "Milliseconds",
        Some(Unit::Microseconds) => "Microseconds",
        Some(Unit::Count) => "Count",
        Some(Unit::Bytes) => "Bytes",
        Some(Unit::Percent) => "Percent",
        _ => "None",
    }
}

fn document(
    settings: &Settings,
    timestamp_ms: u64,
    labels: &[(String, String)],
    metrics: &[(&Drained, &[f64])],
) -> String {
    let mut dims: Vec<(&str, &str)> = vec![("service", settings.service.as_str())];
    if let Some(f) = &settings.function_name {
        dims.push(("function_name", f.as_str()));
    }
    dims.extend(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    dims.truncate(MAX_DIMENSIONS);
    let mut s = String::with_capacity(256 + metrics.len() * 96);
    let _ = write!(
        s,
        r#"{{"_aws":{{"Timestamp":{timestamp_ms},"CloudWatchMetrics":[{{"Namespace":"#
    );
    push_json_str(&mut s, &settings.namespace);
    s.push_str(r#","Dimensions":[["#);
    for (i, (k, _)) in dims.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        push_json_str(&mut s, k);
    }
    s.push_str(r#"]],"Metrics":["#);
    for (i, (m, _)) in metrics.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(r#"{"Name":"#);
        push_json_str(&mut s, &m.name);
        let _ = write!(s, r#","Unit":"{}""#, unit_name(m.unit));
        if settings.high_resolution {
            s.push_str(r#","StorageResolution":1"#);
        }
        s.push('}');
    }
    s.push_str("]}]}");
    for (k, v) in &dims {
        s.push(',');
        push_json_str(&mut s, k);
        s.push(':');
        push_json_str(&mut s, v);
    }
    for (m, values) in metrics {
        s.push(',');
        push_json_str(&mut s, &m.name);
        s.push(':');
        if let [one] = values {
            push_number(&mut s, *one);
        } else {
            s.push('[');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                push_number(&mut s, *v);
            }
            s.push(']');
        }
    }
    s.push('}');
    s
}

/// JSON has no NaN or infinity; such a value is written as 0 rather than
/// producing a document CloudWatch would reject whole.
fn push_number(s: &mut String, v: f64) {
    let v = if v.is_finite() { v } else { 0.0 };
    let _ = write!(s, "{v}");
}

impl Recorder for EmfRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.describe(&key, unit);
    }
    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.describe(&key, unit);
    }
    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, _: SharedString) {
        self.describe(&key, unit);
    }
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        match self.register(key, || Series::Counter(Arc::default())) {
            Series::Counter(c) => Counter::from_arc(c),
            Series::Histogram(_) => Counter::noop(),
        }
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::new(Ignored))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        match self.register(key, || Series::Histogram(Arc::default())) {
            Series::Histogram(h) => Histogram::from_arc(h),
            Series::Counter(_) => Histogram::noop(),
        }
    }
}

/// Decides when to write: every invocation, or every N invocations / T seconds.
pub struct Flusher {
    recorder: EmfRecorder,
    settings: Settings,
    pending: u32,
    last: Instant,
    /// When idle counters were last written as zeros.
    last_idle: Option<Instant>,
}

/// How often idle counters are written as zeros (CloudWatch's standard period).
const IDLE_EVERY_SECONDS: f64 = 60.0;

impl Flusher {
    /// A writer for `recorder`'s series, flushing as `settings` say.
    pub fn new(recorder: EmfRecorder, settings: Settings) -> Flusher {
        Flusher {
            recorder,
            settings,
            pending: 0,
            last: Instant::now(),
            last_idle: None,
        }
    }

    /// Called after each invocation; writes documents to `out` when due.
    pub fn invocation_done(&mut self, out: &mut impl std::io::Write) {
        self.pending += 1;
        let due = match self.settings.flush {
            Flush::PerInvocation => true,
            Flush::Aggregated {
                invocations,
                seconds,
            } => self.pending >= invocations || self.last.elapsed().as_secs_f64() >= seconds,
        };
        if due {
            self.flush(out);
        }
    }

    /// Writes whatever is buffered (also at shutdown).
    pub fn flush(&mut self, out: &mut impl std::io::Write) {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let with_idle = self
            .last_idle
            .is_none_or(|t| t.elapsed().as_secs_f64() >= IDLE_EVERY_SECONDS);
        if with_idle {
            self.last_idle = Some(Instant::now());
        }
        for doc in self.recorder.drain(&self.settings, now_ms, with_idle) {
            // Losing a metrics line must never fail an authorization.
            let _ = writeln!(out, "{doc}");
        }
        let _ = out.flush();
        self.pending = 0;
        self.last = Instant::now();
    }
}

#[cfg(test)]
mod tests;
