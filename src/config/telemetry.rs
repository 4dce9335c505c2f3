//! Telemetry settings: EMF metrics and log level (`SCOPEGATE_METRICS*`,
//! `SCOPEGATE_LOG_LEVEL`, with Powertools' names as fallbacks) and
//! OpenTelemetry trace export (the standard `OTEL_*` variables).

use super::names::{
    DEFAULT_FLUSH_INVOCATIONS, DEFAULT_FLUSH_SECONDS, DEFAULT_NAMESPACE, DEFAULT_OTLP_ENDPOINT,
    DEFAULT_OTLP_TIMEOUT_MS, DEFAULT_SERVICE, ENV_AWS_FUNCTION_MEMORY, ENV_AWS_FUNCTION_NAME,
    ENV_AWS_FUNCTION_VERSION, ENV_AWS_LOG_STREAM, ENV_AWS_REGION, ENV_FLUSH, ENV_FLUSH_INVOCATIONS,
    ENV_FLUSH_SECONDS, ENV_FUNCTION_DIMENSION, ENV_LOG_LEVEL, ENV_METRICS, ENV_NAMESPACE,
    ENV_OTEL_RESOURCE_ATTRIBUTES, ENV_OTEL_SAMPLER, ENV_OTEL_SAMPLER_ARG, ENV_OTEL_SDK_DISABLED,
    ENV_OTEL_SERVICE_NAME, ENV_OTEL_TRACES_EXPORTER, ENV_OTLP_ENDPOINT, ENV_OTLP_HEADERS,
    ENV_OTLP_PROTOCOL, ENV_OTLP_TIMEOUT, ENV_OTLP_TRACES_ENDPOINT, ENV_OTLP_TRACES_HEADERS,
    ENV_OTLP_TRACES_PROTOCOL, ENV_OTLP_TRACES_TIMEOUT, ENV_POWERTOOLS_NAMESPACE,
    ENV_POWERTOOLS_SERVICE, ENV_RESOLUTION, ENV_SERVICE,
};
use super::parse::{choice, first, non_empty, positive, seconds};
use super::{ConfigError, Strings};
use crate::telemetry::log::Level;
use crate::telemetry::trace::TraceSettings;
use crate::telemetry::trace::otlp::Value;
use crate::telemetry::trace::settings::Sampler;
use crate::telemetry::{Flush, Settings};

/// Metrics, logs and traces (`SCOPEGATE_METRICS*`, `SCOPEGATE_LOG_LEVEL`,
/// Powertools' names as fallbacks, `OTEL_*`).
pub fn telemetry(src: &dyn Strings) -> Result<Settings, ConfigError> {
    {
        let emf = choice(src, ENV_METRICS, true, &[("emf", true), ("off", false)])?;
        let pick = |ours: &str, powertools: &str, default: &str| {
            src.get(ours)
                .or_else(|| src.get(powertools))
                .unwrap_or_else(|| default.to_string())
        };
        let namespace = pick(ENV_NAMESPACE, ENV_POWERTOOLS_NAMESPACE, DEFAULT_NAMESPACE);
        if namespace.is_empty() || namespace.len() > 255 {
            return Err(ConfigError::new(
                ENV_NAMESPACE,
                "must be 1 to 255 characters",
            ));
        }
        let service = pick(ENV_SERVICE, ENV_POWERTOOLS_SERVICE, DEFAULT_SERVICE);
        if service.is_empty() || service.len() > 1024 {
            return Err(ConfigError::new(
                ENV_SERVICE,
                "must be 1 to 1024 characters",
            ));
        }
        let with_function = choice(
            src,
            ENV_FUNCTION_DIMENSION,
            true,
            &[("true", true), ("false", false)],
        )?;
        let function_name = with_function
            .then(|| non_empty(src, ENV_AWS_FUNCTION_NAME))
            .flatten();
        let high_resolution = choice(src, ENV_RESOLUTION, false, &[("60", false), ("1", true)])?;
        // Aggregated by default: per-invocation documents were most of the
        // authorizer's bill at high traffic (BENCHMARKS.md, "EMF flush
        // default"), and buffered values now reach stdout at SIGTERM.
        let aggregated = choice(
            src,
            ENV_FLUSH,
            true,
            &[("invocation", false), ("aggregated", true)],
        )?;
        let flush = if aggregated {
            let seconds = seconds(src, ENV_FLUSH_SECONDS, DEFAULT_FLUSH_SECONDS)?;
            if seconds <= 0.0 {
                return Err(ConfigError::new(
                    ENV_FLUSH_SECONDS,
                    "must be more than 0 seconds",
                ));
            }
            Flush::Aggregated {
                invocations: positive(src, ENV_FLUSH_INVOCATIONS, DEFAULT_FLUSH_INVOCATIONS)?,
                seconds,
            }
        } else {
            Flush::PerInvocation
        };
        let levels = [
            ("off", Level::Off),
            ("error", Level::Error),
            ("info", Level::Info),
            ("debug", Level::Debug),
        ];
        let log_level = choice(src, ENV_LOG_LEVEL, Level::Info, &levels)?;
        let traces = traces(src)?;
        Ok(Settings {
            emf,
            namespace,
            service,
            function_name,
            high_resolution,
            flush,
            log_level,
            traces,
        })
    }
}

fn named(var: &'static str, msg: impl std::fmt::Display) -> ConfigError {
    ConfigError::new(var, msg.to_string())
}

/// Trace export; `Ok(None)` when tracing is not configured (or explicitly disabled).
pub fn traces(src: &dyn Strings) -> Result<Option<TraceSettings>, ConfigError> {
    {
        if src
            .get(ENV_OTEL_SDK_DISABLED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        let exporter_named = match src.get(ENV_OTEL_TRACES_EXPORTER).as_deref() {
            None | Some("") => false,
            Some("otlp") => true,
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(named(
                    ENV_OTEL_TRACES_EXPORTER,
                    format!("`{other}` is not otlp or none (scopegate exports OTLP/HTTP only)"),
                ));
            }
        };
        let (var, url) = if let Some((var, url)) = first(src, &[ENV_OTLP_TRACES_ENDPOINT]) {
            (var, url)
        } else if let Some((var, base)) = first(src, &[ENV_OTLP_ENDPOINT]) {
            (var, format!("{}/v1/traces", base.trim_end_matches('/')))
        } else if exporter_named {
            (
                ENV_OTLP_ENDPOINT,
                format!("{DEFAULT_OTLP_ENDPOINT}/v1/traces"),
            )
        } else {
            return Ok(None);
        };
        crate::net::http::check_url(&url).map_err(|e| named(var, e))?;
        if let Some((var, protocol)) = first(src, &[ENV_OTLP_TRACES_PROTOCOL, ENV_OTLP_PROTOCOL])
            && protocol != "http/protobuf"
        {
            return Err(named(
                var,
                format!("`{protocol}` is not supported: scopegate exports http/protobuf"),
            ));
        }
        let mut headers = Vec::new();
        for var in [ENV_OTLP_HEADERS, ENV_OTLP_TRACES_HEADERS] {
            if let Some(list) = src.get(var) {
                for (k, v) in pairs(&list).map_err(|e| named(var, e))? {
                    headers.retain(|(name, _): &(String, String)| !name.eq_ignore_ascii_case(&k));
                    headers.push((k, v));
                }
            }
        }
        let timeout_ms = match first(src, &[ENV_OTLP_TRACES_TIMEOUT, ENV_OTLP_TIMEOUT]) {
            None => DEFAULT_OTLP_TIMEOUT_MS,
            Some((var, v)) => v
                .parse()
                .ok()
                .filter(|&ms: &u64| ms > 0)
                .ok_or_else(|| named(var, format!("`{v}` is not milliseconds > 0")))?,
        };
        let sampler = sampler(src)?;
        let function_name = src.get(ENV_AWS_FUNCTION_NAME).filter(|s| !s.is_empty());
        let service = first(src, &[ENV_OTEL_SERVICE_NAME, ENV_POWERTOOLS_SERVICE])
            .map(|(_, s)| s)
            .or_else(|| function_name.clone())
            .unwrap_or_else(|| "scopegate".to_string());
        let resource = resource(src, &service)?;
        Ok(Some(TraceSettings {
            url,
            headers,
            timeout_ms,
            sampler,
            resource,
            span_name: function_name.clone().unwrap_or_else(|| service.clone()),
            function_name,
        }))
    }
}

fn sampler(src: &dyn Strings) -> Result<Sampler, ConfigError> {
    let name = src.get(ENV_OTEL_SAMPLER).unwrap_or_default();
    let (parent_based, root) = match name.strip_prefix("parentbased_") {
        Some(root) => (true, root),
        None if name.is_empty() => (true, "always_on"),
        None => (false, name.as_str()),
    };
    let ratio = match root {
        "always_on" => 1.0,
        "always_off" => 0.0,
        "traceidratio" => match src.get(ENV_OTEL_SAMPLER_ARG) {
            None => 1.0,
            Some(v) => v
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    named(
                        ENV_OTEL_SAMPLER_ARG,
                        format!("`{v}` is not a ratio in [0, 1]"),
                    )
                })?,
        },
        _ => {
            return Err(named(
                ENV_OTEL_SAMPLER,
                format!(
                    "`{name}` is not always_on, always_off, traceidratio or their parentbased_ forms"
                ),
            ));
        }
    };
    Ok(Sampler {
        parent_based,
        ratio,
    })
}

/// The Lambda environment as resource attributes (semantic conventions),
/// then `OTEL_RESOURCE_ATTRIBUTES`, which wins on a repeated key.
fn resource(src: &dyn Strings, service: &str) -> Result<Vec<(String, Value)>, ConfigError> {
    let mut attrs: Vec<(String, Value)> = vec![
        ("service.name".into(), Value::Str(service.to_string())),
        ("telemetry.sdk.name".into(), Value::Static("scopegate")),
        ("telemetry.sdk.language".into(), Value::Static("rust")),
        (
            "telemetry.sdk.version".into(),
            Value::Static(env!("CARGO_PKG_VERSION")),
        ),
        ("cloud.provider".into(), Value::Static("aws")),
        ("cloud.platform".into(), Value::Static("aws_lambda")),
    ];
    for (var, key) in [
        (ENV_AWS_REGION, "cloud.region"),
        (ENV_AWS_FUNCTION_NAME, "faas.name"),
        (ENV_AWS_FUNCTION_VERSION, "faas.version"),
        (ENV_AWS_LOG_STREAM, "faas.instance"),
    ] {
        if let Some(v) = src.get(var).filter(|v| !v.is_empty()) {
            attrs.push((key.into(), Value::Str(v)));
        }
    }
    if let Some(mb) = src
        .get(ENV_AWS_FUNCTION_MEMORY)
        .and_then(|v| v.parse::<i64>().ok())
    {
        attrs.push(("faas.max_memory".into(), Value::Int(mb * 1024 * 1024)));
    }
    if let Some(list) = src.get(ENV_OTEL_RESOURCE_ATTRIBUTES) {
        for (k, v) in pairs(&list).map_err(|e| named(ENV_OTEL_RESOURCE_ATTRIBUTES, e))? {
            attrs.retain(|(key, _)| *key != k);
            attrs.push((k, Value::Str(v)));
        }
    }
    Ok(attrs)
}

/// `key1=value1,key2=value2` (W3C Baggage octets), values percent-decoded.
fn pairs(list: &str) -> Result<Vec<(String, String)>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| "each entry must be key=value".to_string())?;
            let k = k.trim();
            if k.is_empty() {
                return Err("an entry has an empty key".to_string());
            }
            Ok((k.to_string(), percent_decode(v.trim())?))
        })
        .collect()
}

fn percent_decode(s: &str) -> Result<String, String> {
    // The crate passes a malformed escape through; a typo in a header
    // value is a start-up error here instead.
    let malformed = s.match_indices('%').any(|(i, _)| {
        !s.get(i + 1..i + 3)
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if malformed {
        return Err("a `%` is not followed by two hex digits".to_string());
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| "a value is not UTF-8 once decoded".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        telemetry(&map).map_err(|e| e.to_string())
    }

    #[test]
    fn powertools_variables_are_defaults_ours_win() {
        let s = settings(&[
            (ENV_POWERTOOLS_NAMESPACE, "Payments"),
            (ENV_POWERTOOLS_SERVICE, "orders-api"),
            ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
        ])
        .unwrap();
        assert_eq!(
            (s.namespace.as_str(), s.service.as_str()),
            ("Payments", "orders-api")
        );
        assert_eq!(s.function_name.as_deref(), Some("authz"));
        let s = settings(&[
            (ENV_POWERTOOLS_NAMESPACE, "Payments"),
            (ENV_NAMESPACE, "Ours"),
        ])
        .unwrap();
        assert_eq!(s.namespace, "Ours");
        assert_eq!(
            s.flush,
            Flush::Aggregated {
                invocations: DEFAULT_FLUSH_INVOCATIONS,
                seconds: DEFAULT_FLUSH_SECONDS
            }
        );
        assert!(s.emf && !s.high_resolution);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            (ENV_METRICS, "statsd"),
            (ENV_RESOLUTION, "5"),
            (ENV_FLUSH, "sometimes"),
            (ENV_LOG_LEVEL, "loud"),
            (ENV_FUNCTION_DIMENSION, "yes"),
        ] {
            let err = settings(&[(var, value)]).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
        let err = settings(&[(ENV_FLUSH, "aggregated"), (ENV_FLUSH_INVOCATIONS, "0")]).unwrap_err();
        assert!(err.starts_with(ENV_FLUSH_INVOCATIONS), "{err}");
    }

    #[test]
    fn aggregated_flush_reads_its_bounds() {
        let s = settings(&[
            (ENV_FLUSH, "aggregated"),
            (ENV_FLUSH_INVOCATIONS, "500"),
            (ENV_FLUSH_SECONDS, "10"),
        ])
        .unwrap();
        assert_eq!(
            s.flush,
            Flush::Aggregated {
                invocations: 500,
                seconds: 10.0
            }
        );
    }

    fn read(pairs: &[(&str, &str)]) -> Result<Option<TraceSettings>, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        traces(&map).map_err(|e| e.to_string())
    }

    #[test]
    fn off_unless_an_endpoint_is_configured() {
        assert_eq!(read(&[]), Ok(None));
        assert_eq!(read(&[(ENV_OTEL_SAMPLER, "always_on")]), Ok(None));
        let on = read(&[(ENV_OTLP_ENDPOINT, "http://localhost:4318/")])
            .unwrap()
            .unwrap();
        assert_eq!(on.url, "http://localhost:4318/v1/traces");
        let exact = read(&[
            (ENV_OTLP_ENDPOINT, "http://localhost:4318"),
            (ENV_OTLP_TRACES_ENDPOINT, "http://127.0.0.1:9/custom"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(exact.url, "http://127.0.0.1:9/custom");
        let default = read(&[(ENV_OTEL_TRACES_EXPORTER, "otlp")])
            .unwrap()
            .unwrap();
        assert_eq!(default.url, "http://localhost:4318/v1/traces");
        for off in [
            (ENV_OTEL_TRACES_EXPORTER, "none"),
            (ENV_OTEL_SDK_DISABLED, "TRUE"),
        ] {
            assert_eq!(
                read(&[(ENV_OTLP_ENDPOINT, "http://localhost:4318"), off]),
                Ok(None)
            );
        }
    }

    #[test]
    fn what_cannot_be_honoured_names_its_variable() {
        let base = (ENV_OTLP_ENDPOINT, "http://localhost:4318");
        for (var, value) in [
            (ENV_OTEL_TRACES_EXPORTER, "zipkin"),
            (ENV_OTLP_PROTOCOL, "grpc"),
            (ENV_OTEL_SAMPLER, "jaeger_remote"),
            (ENV_OTLP_TIMEOUT, "soon"),
            (ENV_OTLP_HEADERS, "no-equals-sign"),
            (ENV_OTEL_RESOURCE_ATTRIBUTES, "a=%zz"),
        ] {
            let err = read(&[base, (var, value)]).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
        let err = read(&[
            base,
            (ENV_OTEL_SAMPLER, "traceidratio"),
            (ENV_OTEL_SAMPLER_ARG, "2"),
        ])
        .unwrap_err();
        assert!(err.starts_with(ENV_OTEL_SAMPLER_ARG), "{err}");
        // Plain http to a remote host would send spans in clear text.
        let err = read(&[(ENV_OTLP_ENDPOINT, "http://collector.example.com:4318")]).unwrap_err();
        assert!(err.starts_with(ENV_OTLP_ENDPOINT), "{err}");
    }

    #[test]
    fn headers_are_decoded_and_never_printed() {
        let s = read(&[
            (ENV_OTLP_ENDPOINT, "https://otlp.example.com"),
            (ENV_OTLP_HEADERS, "x-api-key=s3cr%3Det, x-tenant=a"),
            (ENV_OTLP_TRACES_HEADERS, "X-Tenant=b"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            s.headers,
            [
                ("x-api-key".to_string(), "s3cr=et".to_string()),
                ("X-Tenant".to_string(), "b".to_string())
            ]
        );
        assert!(!format!("{s:?}").contains("s3cr"));
    }

    #[test]
    fn the_lambda_environment_becomes_resource_attributes() {
        let s = read(&[
            (ENV_OTLP_ENDPOINT, "http://localhost:4318"),
            ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_REGION", "eu-west-1"),
            (
                ENV_OTEL_RESOURCE_ATTRIBUTES,
                "deployment.environment=prod,cloud.region=x",
            ),
        ])
        .unwrap()
        .unwrap();
        let get = |k: &str| {
            s.resource
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("service.name"), Some(Value::Str("authz".into())));
        assert_eq!(get("faas.max_memory"), Some(Value::Int(134_217_728)));
        assert_eq!(get("cloud.region"), Some(Value::Str("x".into())));
        assert_eq!(
            get("deployment.environment"),
            Some(Value::Str("prod".into()))
        );
        assert_eq!(s.span_name, "authz");
    }

    #[test]
    fn sampling_follows_the_parent_then_the_ratio() {
        let id = [0xff; 16];
        let default = Sampler {
            parent_based: true,
            ratio: 1.0,
        };
        assert!(default.sampled(None, &id));
        assert!(!default.sampled(Some(false), &id));
        let half = Sampler {
            parent_based: false,
            ratio: 0.5,
        };
        assert!(!half.sampled(Some(true), &id));
        assert!(half.sampled(None, &[0; 16]));
        let off = Sampler {
            parent_based: false,
            ratio: 0.0,
        };
        assert!(!off.sampled(None, &[0; 16]));
    }
}
