//! Every environment variable scopegate reads, by name, with the defaults
//! that belong to configuration alone beside them (a stage's own defaults
//! live with the stage, e.g. [`crate::keys::remote::DEFAULT_MAX_AGE`]).
//! No other module names a variable.

// Each constant is named after its variable, and the book's configuration reference
// documents every variable: a doc line per constant would repeat the name.
#![allow(missing_docs)]

// The authorizer (docs/src/configuration.md).
pub const ENV_ISSUER: &str = "SCOPEGATE_ISSUER";
pub const ENV_ISSUERS: &str = "SCOPEGATE_ISSUERS";
pub const ENV_AUDIENCE: &str = "SCOPEGATE_AUDIENCE";
pub const ENV_JWKS: &str = "SCOPEGATE_JWKS";
pub const ENV_PERMISSIONS: &str = "SCOPEGATE_PERMISSIONS";
pub const ENV_ALGORITHMS: &str = "SCOPEGATE_ALGORITHMS";
pub const ENV_LEEWAY: &str = "SCOPEGATE_LEEWAY_SECONDS";
pub const DEFAULT_LEEWAY: f64 = 60.0;
pub const ENV_REQUIRE_AT_JWT: &str = "SCOPEGATE_REQUIRE_AT_JWT";
pub const ENV_IDENTITY_HEADER: &str = "SCOPEGATE_IDENTITY_HEADER";
pub const DEFAULT_IDENTITY_HEADER: &str = "Authorization";
pub const ENV_IDENTITY_QUERY: &str = "SCOPEGATE_IDENTITY_QUERY";
pub const DEFAULT_IDENTITY_QUERY: &str = "access_token";
pub const ENV_CONTEXT_CLAIMS: &str = "SCOPEGATE_CONTEXT_CLAIMS";
pub const ENV_SIMPLE_RESPONSE: &str = "SCOPEGATE_SIMPLE_RESPONSE";
pub const ENV_TOKEN_MEMO_ENTRIES: &str = "SCOPEGATE_TOKEN_MEMO_ENTRIES";
pub const DEFAULT_TOKEN_MEMO_ENTRIES: usize = 10_000;
pub const ENV_TOKEN_MEMO_MAX_SECONDS: &str = "SCOPEGATE_TOKEN_MEMO_MAX_SECONDS";
pub const DEFAULT_TOKEN_MEMO_MAX_SECONDS: f64 = 3600.0;
pub const ENV_POLICY_MEMO_ENTRIES: &str = "SCOPEGATE_POLICY_MEMO_ENTRIES";
pub const ENV_MEMO_MAX_BYTES: &str = "SCOPEGATE_MEMO_MAX_BYTES";
/// Without `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (replay, the lab): 64 MiB.
pub const DEFAULT_MEMO_MAX_BYTES: u64 = 64 << 20;
pub const DEFAULT_POLICY_MEMO_ENTRIES: usize = 1024;
pub const ENV_MAX_TOKEN_BYTES: &str = "SCOPEGATE_MAX_TOKEN_BYTES";
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8192;
pub const ENV_JSON_MAX_DEPTH: &str = "SCOPEGATE_JSON_MAX_DEPTH";
pub const ENV_JSON_MAX_MEMBERS: &str = "SCOPEGATE_JSON_MAX_MEMBERS";
pub const ENV_JSON_MAX_ELEMENTS: &str = "SCOPEGATE_JSON_MAX_ELEMENTS";
pub const ENV_MAX_SCOPES: &str = "SCOPEGATE_MAX_SCOPES";
pub const DEFAULT_MAX_SCOPES: usize = 256;
pub const ENV_MAX_CLAIM_BYTES: &str = "SCOPEGATE_MAX_CLAIM_BYTES";
pub const DEFAULT_MAX_CLAIM_BYTES: usize = 1024;
pub const ENV_JWKS_MAX_BYTES: &str = "SCOPEGATE_JWKS_MAX_BYTES";
pub const ENV_JWKS_MAX_KEYS: &str = "SCOPEGATE_JWKS_MAX_KEYS";
pub const ENV_PERMISSIONS_MAX_BYTES: &str = "SCOPEGATE_PERMISSIONS_MAX_BYTES";
pub const ENV_PERMISSIONS_MAX_RULES: &str = "SCOPEGATE_PERMISSIONS_MAX_RULES";
pub const ENV_PERMISSIONS_MAX_AGE: &str = "SCOPEGATE_PERMISSIONS_MAX_AGE_SECONDS";
pub const ENV_PERMISSIONS_MAX_STALE: &str = "SCOPEGATE_PERMISSIONS_MAX_STALE_SECONDS";
pub const ENV_PERMISSIONS_WHEN_STALE: &str = "SCOPEGATE_PERMISSIONS_WHEN_STALE";
pub const ENV_CEDAR_SCHEMA: &str = "SCOPEGATE_CEDAR_SCHEMA";
pub const ENV_CEDAR_API: &str = "SCOPEGATE_CEDAR_API";

// The policy's size and the API's routes (docs/src/permissions.md, "Policy size").
pub const ENV_POLICY_MAX_BYTES: &str = "SCOPEGATE_POLICY_MAX_BYTES";
pub const ENV_POLICY_OVERFLOW: &str = "SCOPEGATE_POLICY_OVERFLOW";
pub const ENV_ROUTES: &str = "SCOPEGATE_ROUTES";

// Per-issuer claim mapping for the primary issuer (contract §3a).
pub const ENV_SCOPE_SOURCES: &str = "SCOPEGATE_SCOPE_SOURCES";
pub const ENV_CLIENT_IDS: &str = "SCOPEGATE_CLIENT_IDS";
pub const ENV_SUBJECT_CLAIMS: &str = "SCOPEGATE_SUBJECT_CLAIMS";
pub const ENV_CLIENT_ID_CLAIMS: &str = "SCOPEGATE_CLIENT_ID_CLAIMS";
pub const ENV_REQUIRE_CLAIMS: &str = "SCOPEGATE_REQUIRE_CLAIMS";
pub const ENV_INTROSPECTION_TOKEN_TYPES: &str = "SCOPEGATE_INTROSPECTION_TOKEN_TYPES";
pub const ENV_INTROSPECTION_TOKEN_TYPE_OPTIONAL: &str =
    "SCOPEGATE_INTROSPECTION_TOKEN_TYPE_OPTIONAL";

// The remote key cache and the HTTP client.
pub const ENV_JWKS_COOLDOWN: &str = "SCOPEGATE_JWKS_COOLDOWN_SECONDS";
pub const ENV_JWKS_MAX_AGE: &str = "SCOPEGATE_JWKS_MAX_AGE_SECONDS";
pub const ENV_JWKS_MAX_STALE: &str = "SCOPEGATE_JWKS_MAX_STALE_SECONDS";
pub const ENV_HTTP_TIMEOUT_MS: &str = "SCOPEGATE_HTTP_TIMEOUT_MS";
pub const ENV_HTTP_MAX_BYTES: &str = "SCOPEGATE_HTTP_MAX_BYTES";

// Introspection.
pub const ENV_MODE: &str = "SCOPEGATE_MODE";
pub const ENV_INTROSPECTION_URL: &str = "SCOPEGATE_INTROSPECTION_URL";
pub const ENV_INTROSPECTION_CLIENT_ID: &str = "SCOPEGATE_INTROSPECTION_CLIENT_ID";
pub const ENV_INTROSPECTION_CLIENT_SECRET: &str = "SCOPEGATE_INTROSPECTION_CLIENT_SECRET";
pub const ENV_INTROSPECTION_CACHE_SECONDS: &str = "SCOPEGATE_INTROSPECTION_CACHE_SECONDS";
pub const ENV_INTROSPECTION_CACHE_ENTRIES: &str = "SCOPEGATE_INTROSPECTION_CACHE_ENTRIES";

// Metrics and logs.
pub const ENV_METRICS: &str = "SCOPEGATE_METRICS";
pub const ENV_NAMESPACE: &str = "SCOPEGATE_METRICS_NAMESPACE";
pub const ENV_POWERTOOLS_NAMESPACE: &str = "POWERTOOLS_METRICS_NAMESPACE";
pub const DEFAULT_NAMESPACE: &str = "scopegate";
pub const ENV_SERVICE: &str = "SCOPEGATE_METRICS_SERVICE";
pub const ENV_POWERTOOLS_SERVICE: &str = "POWERTOOLS_SERVICE_NAME";
pub const DEFAULT_SERVICE: &str = "scopegate";
pub const ENV_FUNCTION_DIMENSION: &str = "SCOPEGATE_METRICS_FUNCTION_DIMENSION";
pub const ENV_RESOLUTION: &str = "SCOPEGATE_METRICS_RESOLUTION";
pub const ENV_FLUSH: &str = "SCOPEGATE_METRICS_FLUSH";
pub const ENV_FLUSH_INVOCATIONS: &str = "SCOPEGATE_METRICS_FLUSH_INVOCATIONS";
pub const DEFAULT_FLUSH_INVOCATIONS: u32 = 100;
pub const ENV_FLUSH_SECONDS: &str = "SCOPEGATE_METRICS_FLUSH_SECONDS";
pub const DEFAULT_FLUSH_SECONDS: f64 = 60.0;
pub const ENV_LOG_LEVEL: &str = "SCOPEGATE_LOG_LEVEL";

// OpenTelemetry traces (the standard `OTEL_*` names).
pub const ENV_OTEL_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
pub const ENV_OTEL_TRACES_EXPORTER: &str = "OTEL_TRACES_EXPORTER";
pub const ENV_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
pub const ENV_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
pub const ENV_OTLP_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_PROTOCOL";
pub const ENV_OTLP_TRACES_PROTOCOL: &str = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL";
pub const ENV_OTLP_HEADERS: &str = "OTEL_EXPORTER_OTLP_HEADERS";
pub const ENV_OTLP_TRACES_HEADERS: &str = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
pub const ENV_OTLP_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TIMEOUT";
pub const ENV_OTLP_TRACES_TIMEOUT: &str = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT";
pub const ENV_OTEL_SAMPLER: &str = "OTEL_TRACES_SAMPLER";
pub const ENV_OTEL_SAMPLER_ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
pub const ENV_OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
pub const ENV_OTEL_RESOURCE_ATTRIBUTES: &str = "OTEL_RESOURCE_ATTRIBUTES";
/// Where the ADOT collector layer listens (the OTLP/HTTP default).
pub const DEFAULT_OTLP_ENDPOINT: &str = "http://localhost:4318";
/// OTLP export timeout, milliseconds. Defaults to `1000`.
pub const DEFAULT_OTLP_TIMEOUT_MS: u64 = 1000;

// What the Lambda environment says about the function (set by AWS).
pub const ENV_AWS_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
pub const ENV_AWS_FUNCTION_VERSION: &str = "AWS_LAMBDA_FUNCTION_VERSION";
pub const ENV_AWS_FUNCTION_MEMORY: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
pub const ENV_AWS_LOG_STREAM: &str = "AWS_LAMBDA_LOG_STREAM_NAME";
pub const ENV_AWS_REGION: &str = "AWS_REGION";
pub const ENV_AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
pub const ENV_AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
pub const ENV_AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub const ENV_AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
pub const ENV_AWS_ENDPOINT_URL_S3: &str = "AWS_ENDPOINT_URL_S3";
pub const ENV_AWS_ENDPOINT_URL_DYNAMODB: &str = "AWS_ENDPOINT_URL_DYNAMODB";
pub const ENV_AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

/// Every `SCOPEGATE_*` variable scopegate reads: any other name with the
/// prefix stops the start ([`unknown_setting`]), so that a misspelt
/// setting is never silently not enforced. The project's own test and
/// benchmark tooling uses the `SCOPEGATE_TEST_` prefix, which is not read.
pub const KNOWN: &[&str] = &[
    ENV_ISSUER,
    ENV_ISSUERS,
    ENV_AUDIENCE,
    ENV_JWKS,
    ENV_PERMISSIONS,
    ENV_ALGORITHMS,
    ENV_LEEWAY,
    ENV_REQUIRE_AT_JWT,
    ENV_IDENTITY_HEADER,
    ENV_IDENTITY_QUERY,
    ENV_CONTEXT_CLAIMS,
    ENV_SIMPLE_RESPONSE,
    ENV_TOKEN_MEMO_ENTRIES,
    ENV_TOKEN_MEMO_MAX_SECONDS,
    ENV_POLICY_MEMO_ENTRIES,
    ENV_MEMO_MAX_BYTES,
    ENV_MAX_TOKEN_BYTES,
    ENV_JSON_MAX_DEPTH,
    ENV_JSON_MAX_MEMBERS,
    ENV_JSON_MAX_ELEMENTS,
    ENV_MAX_SCOPES,
    ENV_MAX_CLAIM_BYTES,
    ENV_JWKS_MAX_BYTES,
    ENV_JWKS_MAX_KEYS,
    ENV_PERMISSIONS_MAX_BYTES,
    ENV_PERMISSIONS_MAX_RULES,
    ENV_PERMISSIONS_MAX_AGE,
    ENV_PERMISSIONS_MAX_STALE,
    ENV_PERMISSIONS_WHEN_STALE,
    ENV_CEDAR_SCHEMA,
    ENV_CEDAR_API,
    ENV_POLICY_MAX_BYTES,
    ENV_POLICY_OVERFLOW,
    ENV_ROUTES,
    ENV_SCOPE_SOURCES,
    ENV_CLIENT_IDS,
    ENV_SUBJECT_CLAIMS,
    ENV_CLIENT_ID_CLAIMS,
    ENV_REQUIRE_CLAIMS,
    ENV_INTROSPECTION_TOKEN_TYPES,
    ENV_INTROSPECTION_TOKEN_TYPE_OPTIONAL,
    ENV_JWKS_COOLDOWN,
    ENV_JWKS_MAX_AGE,
    ENV_JWKS_MAX_STALE,
    ENV_HTTP_TIMEOUT_MS,
    ENV_HTTP_MAX_BYTES,
    ENV_MODE,
    ENV_INTROSPECTION_URL,
    ENV_INTROSPECTION_CLIENT_ID,
    ENV_INTROSPECTION_CLIENT_SECRET,
    ENV_INTROSPECTION_CACHE_SECONDS,
    ENV_INTROSPECTION_CACHE_ENTRIES,
    ENV_METRICS,
    ENV_NAMESPACE,
    ENV_SERVICE,
    ENV_FUNCTION_DIMENSION,
    ENV_RESOLUTION,
    ENV_FLUSH,
    ENV_FLUSH_INVOCATIONS,
    ENV_FLUSH_SECONDS,
    ENV_LOG_LEVEL,
];

/// The prefix every scopegate setting has.
pub const PREFIX: &str = "SCOPEGATE_";
/// The prefix of the test and benchmark tooling's own variables, ignored.
pub const TOOLING_PREFIX: &str = "SCOPEGATE_TEST_";

/// The first of `names` that has scopegate's prefix but is not a setting,
/// with the known name closest to it (fewest single-character edits).
pub fn unknown_setting<'n>(
    names: impl IntoIterator<Item = &'n str>,
) -> Option<(&'n str, &'static str)> {
    let unknown = names.into_iter().find(|name| {
        name.starts_with(PREFIX) && !name.starts_with(TOOLING_PREFIX) && !KNOWN.contains(name)
    })?;
    let closest = KNOWN
        .iter()
        .copied()
        .min_by_key(|known| edit_distance(unknown, known))
        .unwrap_or(PREFIX);
    Some((unknown, closest))
}

/// Levenshtein distance over bytes (names are ASCII; anything else only
/// makes the distance larger), two rows.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(x != y);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variable_named_here_is_known_and_only_those() {
        let whole = include_str!("names.rs");
        // The constants, not this module's own tests.
        let source = &whole[..whole.find("pub const KNOWN").unwrap()];
        let named: Vec<&str> = source
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|s| {
                s.starts_with(PREFIX)
                    && s.len() > PREFIX.len()
                    && s.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                    && !s.starts_with(TOOLING_PREFIX)
            })
            .collect();
        for name in &named {
            assert!(KNOWN.contains(name), "{name} is read but not in KNOWN");
        }
        for name in KNOWN {
            assert!(named.contains(name), "{name} is in KNOWN but never named");
        }
    }

    #[test]
    fn a_misspelt_setting_is_found_with_the_closest_known_name() {
        let names = [
            "PATH",
            "SCOPEGATE_ISSUER",
            "SCOPEGATE_AUDEINCE",
            "SCOPEGATE_TEST_RIE",
        ];
        assert_eq!(
            unknown_setting(names),
            Some(("SCOPEGATE_AUDEINCE", "SCOPEGATE_AUDIENCE"))
        );
        assert_eq!(
            unknown_setting(["SCOPEGATE_REQUIRE_AT_JWT_"]),
            Some(("SCOPEGATE_REQUIRE_AT_JWT_", "SCOPEGATE_REQUIRE_AT_JWT"))
        );
        assert_eq!(
            unknown_setting(["SCOPEGATE_ISSUER", "OTEL_X", "SCOPEGATE_TEST_TOOLS"]),
            None
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
