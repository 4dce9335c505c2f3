//! Criterion benches for every stage, the whole handler, and the physical
//! floor — one raw signature check with the backend we ship — in one
//! report, so each ratio is read off a single run:
//!
//!     cargo bench --bench pipeline
//!
//! Groups: `event` (serde_json through our visitor, per event shape;
//! simd-json against it is `benches/simd_json.rs`), `stages` (token split + base64url,
//! claims JSON, scope bits, a policy render), `handler` (new RS256 with the
//! memo off and with a full memo, new ES256, memo hit, deny, malformed,
//! unknown kid, expired) and `floor`
//! (raw RS256 / ES256 verify of the same tokens), and `telemetry` (a
//! trace's spans built and encoded, and one OTLP/HTTP export on loopback).

use criterion::{Criterion, criterion_group, criterion_main};
use scopegate::Authorizer;
use scopegate::event::{self, IdentitySource};

use scopegate::codec::{b64, json};
use scopegate::jose::Alg;
use scopegate::token;
use std::collections::HashMap;
use std::hint::black_box;

#[path = "common/mod.rs"]
mod common;
use common::{NOW, event, key, payload, raw_pairs, setup, tokens};

fn bench_event(c: &mut Criterion) {
    let source = IdentitySource::default();
    let mut g = c.benchmark_group("event");
    let s = setup();
    let events = common::event_fixtures(
        &[
            "rest-token",
            "rest-request",
            "http-v1-request",
            "http-v2-request",
        ],
        &s.rsa,
    );
    for (name, text) in &events {
        g.bench_function(format!("serde_json/{name}"), |b| {
            b.iter(|| black_box(event::parse(black_box(text), &source).is_ok()));
        });
    }
    g.finish();
}

fn bench_stages(c: &mut Criterion) {
    let s = setup();
    let token = s
        .rsa
        .sign(&payload(1, "orders.read orders.write", NOW + 3600.0))
        .expect("sign");
    let mut g = c.benchmark_group("stages");
    g.bench_function("split+base64url payload", |b| {
        let mut buf = Vec::with_capacity(1024);
        b.iter(|| {
            let jws = token::split(black_box(&token)).expect("jws");
            b64::decode_into(jws.payload.as_bytes(), &mut buf).expect("b64");
            black_box(buf.len())
        });
    });
    let jws = token::split(&token).expect("jws");
    let claims = b64::decode(jws.payload.as_bytes()).expect("b64");
    g.bench_function("claims JSON (strict)", |b| {
        b.iter(|| {
            black_box(json::parse_object(black_box(&claims), json::JsonLimits::default()).is_ok())
        });
    });
    let permissions = s.memo.permissions();
    let table = &permissions.table;
    g.bench_function("scope bits", |b| {
        b.iter(|| black_box(table.bits(black_box(["orders.read", "orders.write", "profile"]))));
    });
    // What a policy-memo miss pays: the grant rendered from the bitset.
    let bits = table.bits(["orders.read", "orders.write"]);
    g.bench_function("policy render (policy-memo miss)", |b| {
        b.iter(|| black_box(scopegate::policy::Grant::render(table, black_box(&bits))));
    });
    g.finish();
}

fn bench_handler(c: &mut Criterion) {
    let s = setup();
    let rs = tokens(&s.rsa, 256);
    let es = tokens(&s.ec, 256);
    let mut g = c.benchmark_group("handler");
    let cycle = |events: &[String], authorizer: &Authorizer, b: &mut criterion::Bencher<'_>| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % events.len();
            black_box(authorizer.handle(&events[i], NOW).is_ok())
        });
    };
    g.bench_function("new RS256", |b| cycle(&rs, &s.no_memo, b));
    // 2,048 tokens through a 64-entry memo: at most ~3 % can hit.
    let churn = tokens(&s.rsa, 2048);
    g.bench_function("new RS256 (memo full: miss, insert, evict)", |b| {
        cycle(&churn, &s.full_memo, b);
    });
    g.bench_function("new ES256", |b| cycle(&es, &s.no_memo, b));
    g.bench_function("memo hit", |b| cycle(&rs[..1], &s.memo, b));
    let deny = vec![event(
        &s.rsa
            .sign(&payload(9, "profile", NOW + 3600.0))
            .expect("sign"),
    )];
    g.bench_function("deny (memo hit)", |b| cycle(&deny, &s.memo, b));
    g.bench_function("reject malformed", |b| {
        cycle(&[event("not.a.jws")], &s.no_memo, b);
    });
    let unknown = key("nobody", Alg::RS256, "rsa-2048-b.pk8");
    let unknown_kid = vec![event(
        &unknown
            .sign(&payload(1, "orders.read", NOW + 60.0))
            .expect("sign"),
    )];
    g.bench_function("reject unknown kid", |b| cycle(&unknown_kid, &s.no_memo, b));
    let expired = vec![event(
        &s.rsa
            .sign(&payload(1, "orders.read", NOW - 3600.0))
            .expect("sign"),
    )];
    g.bench_function("reject expired", |b| cycle(&expired, &s.no_memo, b));
    g.finish();

    // The floor: the raw signature check of the same tokens, same backend.
    let mut g = c.benchmark_group("floor");
    for (name, events, key) in [("RS256 verify", &rs, &s.rsa), ("ES256 verify", &es, &s.ec)] {
        let pairs = raw_pairs(events, key);
        let public = key.public_key();
        let alg = key.alg;
        g.bench_function(name, |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % pairs.len();
                black_box(public.prepared.verify(alg, &pairs[i].0, &pairs[i].1))
            });
        });
    }
    g.finish();
}

/// A minimal keep-alive HTTP/1.1 server on loopback answering every POST
/// with 200, standing in for the ADOT collector's OTLP/HTTP receiver.
fn loopback_collector() -> u16 {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut out = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    if reader.read_exact(&mut body).is_err()
                        || out
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                            .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// What tracing adds to an invocation: building and encoding its spans,
/// and one OTLP/HTTP export to a collector on loopback.
fn bench_telemetry(c: &mut Criterion) {
    use scopegate::Observer;
    use scopegate::telemetry::StageClock;
    use scopegate::telemetry::trace::{Finished, Tracer, otlp};
    let port = loopback_collector();
    let endpoint = format!("http://127.0.0.1:{port}");
    let env: HashMap<&str, &str> = HashMap::from([
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
    ]);
    let settings = scopegate::config::telemetry::traces(&env)
        .expect("settings")
        .expect("on");
    // The resource the exporter sends (service, function, SDK attributes).
    let resource = otlp::resource(&settings.resource);
    let tracer = Tracer::new(settings, &scopegate::net::http::Client::new(1000, 150_000));
    let started = tracer
        .start(Some(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
        ))
        .expect("sampled");
    let mut clock = StageClock::detailed();
    clock.extracted();
    clock.memo_looked_up(false);
    clock.header(Alg::RS256, "rsa");
    clock.verified(0);
    clock.mapped(true);
    clock.stop();
    let done = Finished {
        clock: &clock,
        calls: &[],
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        invoked_arn: Some("arn:aws:lambda:us-east-1:123456789012:function:authz"),
        cold_start: false,
        outcome: scopegate::Outcome::Decided(scopegate::Decision::Allow),
    };
    let mut g = c.benchmark_group("telemetry");
    g.bench_function("trace spans + OTLP encode", |b| {
        b.iter(|| {
            let spans = tracer.spans(&started, &done);
            black_box(otlp::export_request(
                &resource,
                env!("CARGO_PKG_VERSION"),
                &spans,
            ))
        });
    });
    #[cfg(feature = "otel-sdk")]
    if let Some(sdk) = tracer.sdk() {
        g.bench_function("trace spans + SDK SpanData + OTLP encode", |b| {
            b.iter(|| {
                let spans = tracer.spans(&started, &done);
                black_box(sdk.encode(&spans))
            });
        });
    }
    let spans = tracer.spans(&started, &done);
    tracer
        .export(&spans)
        .expect("the loopback collector answers");
    g.bench_function("trace export (OTLP/HTTP, loopback)", |b| {
        b.iter(|| tracer.export(black_box(&spans)));
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_event, bench_stages, bench_handler, bench_telemetry
}
criterion_main!(benches);
