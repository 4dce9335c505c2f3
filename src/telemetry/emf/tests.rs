use super::*;
use crate::telemetry::log::Level;
use serde_json::Value;

fn settings(high_resolution: bool) -> Settings {
    Settings {
        emf: true,
        namespace: "scopegate-test".into(),
        service: "orders".into(),
        function_name: Some("authz-fn".into()),
        high_resolution,
        flush: Flush::PerInvocation,
        log_level: Level::Info,
        traces: None,
    }
}

fn parse(doc: &str) -> Value {
    serde_json::from_str(doc).unwrap()
}

/// Every EMF rule the JSON schema cannot express: every dimension and
/// metric named in the directive is a root member of the right type, and
/// the counts stay within the format's limits.
fn assert_targets(doc: &Value) {
    let directive = &doc["_aws"]["CloudWatchMetrics"][0];
    let dims = directive["Dimensions"][0].as_array().unwrap();
    assert!(dims.len() <= MAX_DIMENSIONS);
    for d in dims {
        assert!(
            doc[d.as_str().unwrap()].is_string(),
            "dimension {d} missing"
        );
    }
    let metrics = directive["Metrics"].as_array().unwrap();
    assert!(!metrics.is_empty() && metrics.len() <= MAX_METRICS_PER_DIRECTIVE);
    for m in metrics {
        let v = &doc[m["Name"].as_str().unwrap()];
        match v {
            Value::Number(_) => {}
            Value::Array(a) => {
                assert!(a.len() <= MAX_VALUES_PER_METRIC && a.iter().all(Value::is_number));
            }
            other => panic!("metric target {other}"),
        }
    }
}

#[test]
fn counters_and_histograms_render_with_units_dimensions_and_targets() {
    let recorder = EmfRecorder::with_sparse_counters(&["hits_total"]);
    metrics::with_local_recorder(&recorder, || {
        metrics::describe_histogram!("lat_seconds", Unit::Seconds, "x");
        metrics::describe_counter!("hits_total", Unit::Count, "x");
        metrics::histogram!("lat_seconds").record(0.000_025);
        metrics::histogram!("lat_seconds").record(0.000_5);
        metrics::counter!("hits_total", "result" => "hit").increment(3);
    });
    let docs = recorder.drain(&settings(false), 1_795_478_400_000, true);
    assert_eq!(docs.len(), 2, "one document per label set");
    let plain = parse(&docs[0]);
    assert_eq!(plain["_aws"]["Timestamp"], 1_795_478_400_000u64);
    let directive = &plain["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], "scopegate-test");
    assert_eq!(
        directive["Dimensions"][0],
        serde_json::json!(["service", "function_name"])
    );
    assert_eq!(directive["Metrics"][0]["Unit"], "Seconds");
    assert!(directive["Metrics"][0].get("StorageResolution").is_none());
    assert_eq!(plain["lat_seconds"], serde_json::json!([0.000025, 0.0005]));
    assert_eq!(plain["service"], "orders");
    let labelled = parse(&docs[1]);
    assert_eq!(labelled["result"], "hit");
    assert_eq!(labelled["hits_total"], 3.0);
    assert_eq!(
        labelled["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0],
        serde_json::json!(["service", "function_name", "result"])
    );
    for doc in &docs {
        assert_targets(&parse(doc));
    }
    assert!(
        recorder.drain(&settings(false), 0, true).is_empty(),
        "drained values are gone"
    );
}

#[test]
fn limits_split_documents() {
    let recorder = EmfRecorder::default();
    metrics::with_local_recorder(&recorder, || {
        let h = metrics::histogram!("many_values");
        for i in 0..250 {
            h.record(f64::from(i));
        }
        for i in 0..150 {
            metrics::counter!(format!("counter_{i:03}")).increment(1);
        }
    });
    let docs: Vec<Value> = recorder
        .drain(&settings(true), 1, true)
        .iter()
        .map(|d| parse(d))
        .collect();
    for doc in &docs {
        assert_targets(doc);
        let m = &doc["_aws"]["CloudWatchMetrics"][0]["Metrics"];
        assert!(
            m.as_array()
                .unwrap()
                .iter()
                .all(|m| m["StorageResolution"] == 1)
        );
    }
    let values: usize = docs
        .iter()
        .filter_map(|d| d["many_values"].as_array().map(Vec::len))
        .sum();
    assert_eq!(values, 250, "every value written once");
    let counters: usize = docs
        .iter()
        .map(|d| {
            d.as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with("counter_"))
                .count()
        })
        .sum();
    assert_eq!(counters, 150);
    // 151 metrics in round 0 → 2 directives; 100 values, 50 values → 2 more rounds.
    assert_eq!(docs.len(), 4);
}

#[test]
fn aggregated_flush_waits_for_n_invocations() {
    let recorder = EmfRecorder::default();
    let h = metrics::with_local_recorder(&recorder, || metrics::histogram!("t_seconds"));
    let mut s = settings(false);
    s.flush = Flush::Aggregated {
        invocations: 3,
        seconds: 3600.0,
    };
    let mut flusher = Flusher::new(recorder, s);
    let mut out = Vec::new();
    for i in 0..2 {
        h.record(f64::from(i));
        flusher.invocation_done(&mut out);
    }
    assert!(out.is_empty(), "not due yet");
    h.record(2.0);
    flusher.invocation_done(&mut out);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert_eq!(
        parse(text.trim())["t_seconds"],
        serde_json::json!([0, 1, 2])
    );
}

#[test]
fn non_finite_values_do_not_break_the_document() {
    let recorder = EmfRecorder::default();
    metrics::with_local_recorder(&recorder, || {
        metrics::histogram!("odd").record(f64::NAN);
    });
    let docs = recorder.drain(&settings(false), 1, true);
    assert_eq!(parse(&docs[0])["odd"], 0.0);
}

#[test]
fn dense_counters_are_written_as_zero() {
    let recorder = EmfRecorder::with_sparse_counters(&["sparse_total"]);
    metrics::with_local_recorder(&recorder, || {
        metrics::counter!("dense_total").increment(0);
        metrics::counter!("sparse_total").increment(0);
    });
    let docs = recorder.drain(&settings(false), 1, true);
    assert_eq!(docs.len(), 1);
    let doc = parse(&docs[0]);
    assert_eq!(doc["dense_total"], 0);
    assert!(doc.get("sparse_total").is_none());
}

#[test]
fn idle_counters_wait_for_the_once_a_minute_drain() {
    let recorder = EmfRecorder::default();
    let c = metrics::with_local_recorder(&recorder, || metrics::counter!("idle_total"));
    assert!(recorder.drain(&settings(false), 1, false).is_empty());
    c.increment(2);
    let docs = recorder.drain(&settings(false), 1, false);
    assert_eq!(
        parse(&docs[0])["idle_total"],
        2.0,
        "a counter that moved is always written"
    );
    assert_eq!(recorder.drain(&settings(false), 1, true).len(), 1);
}
