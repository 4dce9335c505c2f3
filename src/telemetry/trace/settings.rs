//! Trace settings from the standard OpenTelemetry variables, read once at
//! init. Tracing is off unless an OTLP endpoint (or `OTEL_TRACES_EXPORTER=
//! otlp`) is configured; a value scopegate cannot honour fails start-up with
//! the variable's name rather than being ignored.

use super::otlp::Value;
use crate::config::Strings;
use std::fmt;

pub const ENV_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
pub const ENV_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
pub const ENV_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub const ENV_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
pub const ENV_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub const ENV_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
pub const ENV_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
pub const ENV_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
pub const ENV_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
pub const ENV_TRACES_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
pub const ENV_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
pub const ENV_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
pub const ENV_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
pub const ENV_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// Where the ADOT collector layer listens (the OTLP/HTTP default).
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";
/// The export runs before the invocation returns: keep a dead collector cheap.
pub const DEFAULT_TIMEOUT_MS: u64 = 1000;

/// Which traces are exported (the `OTEL_TRACES_SAMPLER` values scopegate knows).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampler {
    /// Follow the caller's decision (the X-Ray `Sampled` flag) when there is one.
    pub parent_based: bool,
    /// The decision for a trace scopegate starts: a share of trace ids in [0, 1].
    pub ratio: f64,
}

impl Sampler {
    /// Whether a trace with this id, and the caller's decision if any, is exported.
    pub fn sampled(&self, parent_sampled: Option<bool>, trace_id: &[u8; 16]) -> bool {
        if self.parent_based {
            if let Some(decision) = parent_sampled {
                return decision;
            }
        }
        if self.ratio >= 1.0 {
            return true;
        }
        // The spec's TraceIdRatioBased: the low 8 bytes as a uniform number.
        let mut low = [0u8; 8];
        low.copy_from_slice(&trace_id[8..]);
        (u64::from_be_bytes(low) >> 11) as f64 / (1u64 << 53) as f64 <= self.ratio
            && self.ratio > 0.0
    }
}

/// Where and how spans are exported, and what describes the function.
#[derive(Clone, PartialEq)]
pub struct TraceSettings {
    /// The full OTLP/HTTP traces URL (`…/v1/traces`).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub timeout_ms: u64,
    pub sampler: Sampler,
    /// Resource attributes: service, cloud and FaaS identity.
    pub resource: Vec<(String, Value)>,
    /// The invocation span's name: the function name (FaaS conventions).
    pub span_name: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`, if set.
    pub function_name: Option<String>,
}

/// Header values may hold API keys: never print them.
impl fmt::Debug for TraceSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("TraceSettings")
            .field("url", &self.url)
            .field("headers", &names)
            .field("timeout_ms", &self.timeout_ms)
            .field("sampler", &self.sampler)
            .field("span_name", &self.span_name)
            .finish_non_exhaustive()
    }
}

fn named(var: &str, msg: impl fmt::Display) -> String {
    format!("{var}: {msg}")
}

/// The first of `vars` that is set, with its name.
fn first(src: &dyn Strings, vars: &[&'static str]) -> Option<(&'static str, String)> {
    vars.iter()
        .find_map(|v| src.get(v).filter(|s| !s.is_empty()).map(|s| (*v, s)))
}

impl TraceSettings {
    /// `Ok(None)` when tracing is not configured (or explicitly disabled).
    pub fn from_strings(src: &dyn Strings) -> Result<Option<TraceSettings>, String> {
        if src
            .get(ENV_SDK_DISABLED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        let exporter_named = match src.get(ENV_EXPORTER).as_deref() {
            None | Some("") => false,
            Some("otlp") => true,
            Some("none") => return Ok(None),
            Some(other) => {
                return Err(named(
                    ENV_EXPORTER,
                    format!("`{other}` is not otlp or none (scopegate exports OTLP/HTTP only)"),
                ));
            }
        };
        let (var, url) = if let Some((var, url)) = first(src, &[ENV_TRACES_ENDPOINT]) {
            (var, url)
        } else if let Some((var, base)) = first(src, &[ENV_ENDPOINT]) {
            (var, format!("{}/v1/traces", base.trim_end_matches('/')))
        } else if exporter_named {
            (ENV_ENDPOINT, format!("{DEFAULT_ENDPOINT}/v1/traces"))
        } else {
            return Ok(None);
        };
        crate::http::check_url(&url).map_err(|e| named(var, e))?;
        if let Some((var, protocol)) = first(src, &[ENV_TRACES_PROTOCOL, ENV_PROTOCOL]) {
            if protocol != "http/protobuf" {
                return Err(named(
                    var,
                    format!("`{protocol}` is not supported: scopegate exports http/protobuf"),
                ));
            }
        }
        let mut headers = Vec::new();
        for var in [ENV_HEADERS, ENV_TRACES_HEADERS] {
            if let Some(list) = src.get(var) {
                for (k, v) in pairs(&list).map_err(|e| named(var, e))? {
                    headers.retain(|(name, _): &(String, String)| !name.eq_ignore_ascii_case(&k));
                    headers.push((k, v));
                }
            }
        }
        let timeout_ms = match first(src, &[ENV_TRACES_TIMEOUT, ENV_TIMEOUT]) {
            None => DEFAULT_TIMEOUT_MS,
            Some((var, v)) => v
                .parse()
                .ok()
                .filter(|&ms: &u64| ms > 0)
                .ok_or_else(|| named(var, format!("`{v}` is not milliseconds > 0")))?,
        };
        let sampler = sampler(src)?;
        let function_name = src
            .get("AWS_LAMBDA_FUNCTION_NAME")
            .filter(|s| !s.is_empty());
        let service = first(
            src,
            &[ENV_SERVICE_NAME, crate::telemetry::ENV_POWERTOOLS_SERVICE],
        )
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

fn sampler(src: &dyn Strings) -> Result<Sampler, String> {
    let name = src.get(ENV_SAMPLER).unwrap_or_default();
    let (parent_based, root) = match name.strip_prefix("parentbased_") {
        Some(root) => (true, root),
        None if name.is_empty() => (true, "always_on"),
        None => (false, name.as_str()),
    };
    let ratio = match root {
        "always_on" => 1.0,
        "always_off" => 0.0,
        "traceidratio" => match src.get(ENV_SAMPLER_ARG) {
            None => 1.0,
            Some(v) => v
                .parse()
                .ok()
                .filter(|r: &f64| (0.0..=1.0).contains(r))
                .ok_or_else(|| named(ENV_SAMPLER_ARG, format!("`{v}` is not a ratio in [0, 1]")))?,
        },
        _ => {
            return Err(named(
                ENV_SAMPLER,
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
fn resource(src: &dyn Strings, service: &str) -> Result<Vec<(String, Value)>, String> {
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
        ("AWS_REGION", "cloud.region"),
        ("AWS_LAMBDA_FUNCTION_NAME", "faas.name"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "faas.version"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "faas.instance"),
    ] {
        if let Some(v) = src.get(var).filter(|v| !v.is_empty()) {
            attrs.push((key.into(), Value::Str(v)));
        }
    }
    if let Some(mb) = src
        .get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        .and_then(|v| v.parse::<i64>().ok())
    {
        attrs.push(("faas.max_memory".into(), Value::Int(mb * 1024 * 1024)));
    }
    if let Some(list) = src.get(ENV_RESOURCE_ATTRIBUTES) {
        for (k, v) in pairs(&list).map_err(|e| named(ENV_RESOURCE_ATTRIBUTES, e))? {
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
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "a `%` is not followed by two hex digits".to_string())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "a value is not UTF-8 once decoded".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<TraceSettings>, String> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        TraceSettings::from_strings(&map)
    }

    #[test]
    fn off_unless_an_endpoint_is_configured() {
        assert_eq!(read(&[]), Ok(None));
        assert_eq!(read(&[(ENV_SAMPLER, "always_on")]), Ok(None));
        let on = read(&[(ENV_ENDPOINT, "http://localhost:4318/")])
            .unwrap()
            .unwrap();
        assert_eq!(on.url, "http://localhost:4318/v1/traces");
        let exact = read(&[
            (ENV_ENDPOINT, "http://localhost:4318"),
            (ENV_TRACES_ENDPOINT, "http://127.0.0.1:9/custom"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(exact.url, "http://127.0.0.1:9/custom");
        let default = read(&[(ENV_EXPORTER, "otlp")]).unwrap().unwrap();
        assert_eq!(default.url, "http://localhost:4318/v1/traces");
        for off in [(ENV_EXPORTER, "none"), (ENV_SDK_DISABLED, "TRUE")] {
            assert_eq!(
                read(&[(ENV_ENDPOINT, "http://localhost:4318"), off]),
                Ok(None)
            );
        }
    }

    #[test]
    fn what_cannot_be_honoured_names_its_variable() {
        let base = (ENV_ENDPOINT, "http://localhost:4318");
        for (var, value) in [
            (ENV_EXPORTER, "zipkin"),
            (ENV_PROTOCOL, "grpc"),
            (ENV_SAMPLER, "jaeger_remote"),
            (ENV_TIMEOUT, "soon"),
            (ENV_HEADERS, "no-equals-sign"),
            (ENV_RESOURCE_ATTRIBUTES, "a=%zz"),
        ] {
            let err = read(&[base, (var, value)]).unwrap_err();
            assert!(err.starts_with(var), "{err}");
        }
        let err = read(&[base, (ENV_SAMPLER, "traceidratio"), (ENV_SAMPLER_ARG, "2")]).unwrap_err();
        assert!(err.starts_with(ENV_SAMPLER_ARG), "{err}");
        // Plain http to a remote host would send spans in clear text.
        let err = read(&[(ENV_ENDPOINT, "http://collector.example.com:4318")]).unwrap_err();
        assert!(err.starts_with(ENV_ENDPOINT), "{err}");
    }

    #[test]
    fn headers_are_decoded_and_never_printed() {
        let s = read(&[
            (ENV_ENDPOINT, "https://otlp.example.com"),
            (ENV_HEADERS, "x-api-key=s3cr%3Det, x-tenant=a"),
            (ENV_TRACES_HEADERS, "X-Tenant=b"),
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
            (ENV_ENDPOINT, "http://localhost:4318"),
            ("AWS_LAMBDA_FUNCTION_NAME", "authz"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
            ("AWS_REGION", "eu-west-1"),
            (
                ENV_RESOURCE_ATTRIBUTES,
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
