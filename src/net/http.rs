//! The one HTTP client scopegate uses (discovery, JWKS, introspection, S3,
//! https documents, OTLP): ureq over rustls with the aws-lc-rs provider (no
//! OpenSSL), built once at init from `SCOPEGATE_HTTP_TIMEOUT_MS` and
//! `SCOPEGATE_HTTP_MAX_BYTES` and shared, so that connections and TLS
//! sessions to one host are reused across its users. A user with another
//! size cap or timeout takes a view of it ([`Client::capped`],
//! [`Client::timed`]) over the same connection pool. Remote URLs must be
//! https, except loopback hosts (contract §5a).

use std::sync::Arc;
use std::time::Duration;
use ureq::Agent;
use ureq::tls::{RootCerts, TlsConfig, TlsProvider};

/// API Gateway's own JWT authorizer waits 1.5 s for an IdP.
pub const DEFAULT_TIMEOUT_MS: u64 = 1500;
/// Larger answers are refused (a JWKS is a few KB).
pub const DEFAULT_MAX_BYTES: u64 = 150_000;

#[derive(Clone)]
/// A blocking HTTP client with the timeouts and size cap of its settings.
/// Clones (and views) share one connection pool.
pub struct Client {
    agent: Agent,
    max_bytes: u64,
    /// A total timeout other than the agent's, set per request.
    timeout: Option<Duration>,
}

/// One answer: status, body, and the caching headers we honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most the size cap.
    pub body: Vec<u8>,
    /// The `ETag`, for a conditional refresh.
    pub etag: Option<String>,
    /// `Cache-Control: max-age`, seconds.
    pub max_age: Option<u64>,
}

/// A URL as logs and errors show it: scheme, host, port and path, without
/// userinfo or query (a pre-signed URL's `X-Amz-Signature`, a token in a
/// query string, a password in `user:pass@`) or fragment. What does not
/// parse as a URL is not echoed at all.
pub struct Redacted<'a>(pub &'a str);

impl std::fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Ok(uri) = self.0.parse::<http::Uri>() else {
            return f.write_str("(a value that is not a URL)");
        };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return f.write_str("(a value that is not an absolute URL)");
        };
        let host = authority.as_str().rsplit('@').next().unwrap_or_default();
        let host: String = host.chars().filter(|c| !c.is_control()).collect();
        write!(f, "{scheme}://{host}{}", uri.path())?;
        if uri.query().is_some() {
            f.write_str("?…")?;
        }
        Ok(())
    }
}

/// `message` with every occurrence of `url` (and of its query) redacted:
/// for errors of other libraries that may quote a URL they were given.
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.replace(url, &Redacted(url).to_string());
    if let Some((_, query)) = url.split_once('?')
        && !query.is_empty()
    {
        out = out.replace(query, "…");
    }
    out
}

/// `https://…`, or `http://` to a loopback host (development and tests),
/// decided on the URL as the HTTP client parses it (the `http` crate's
/// `Uri`, which ureq uses): no credentials (`user@`) in it, ever, so the
/// host judged is the host connected to (contract §5a).
pub fn check_url(url: &str) -> Result<(), String> {
    let (scheme, host) = parse(url)?;
    match scheme.as_str() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        "http" => Err(format!(
            "`{}` must use https:// (http:// only for loopback hosts)",
            Redacted(url)
        )),
        _ => Err(format!("`{}` is not an https:// URL", Redacted(url))),
    }
}

/// `http://` or `https://` to a loopback host only (the lab's upstream).
pub fn check_loopback_url(url: &str) -> Result<(), String> {
    let (scheme, host) = parse(url)?;
    if matches!(scheme.as_str(), "http" | "https") && is_loopback(&host) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an http:// URL to a loopback host",
            Redacted(url)
        ))
    }
}

/// The scheme (lower case) and host of an absolute URL without credentials.
fn parse(url: &str) -> Result<(String, String), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("the value is not a URL: {e}"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err("the value is not an absolute URL".to_string());
    };
    if authority.as_str().contains('@') {
        return Err(format!(
            "`{}` must not carry credentials (user@host)",
            Redacted(url)
        ));
    }
    let host = authority.host();
    if host.is_empty() {
        return Err(format!("`{}` has no host", Redacted(url)));
    }
    Ok((scheme.to_ascii_lowercase(), host.to_ascii_lowercase()))
}

/// `localhost`, `127.0.0.0/8` or `::1` (brackets as in a URL).
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    /// A client with these bounds (milliseconds, bytes).
    pub fn new(timeout_ms: u64, max_bytes: u64) -> Client {
        let timeout = Duration::from_millis(timeout_ms);
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(RootCerts::WebPki)
            .unversioned_rustls_crypto_provider(Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .build();
        let agent: Agent = Agent::config_builder()
            .timeout_connect(Some(timeout))
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("scopegate")
            .tls_config(tls)
            .build()
            .into();
        Client {
            agent,
            max_bytes,
            timeout: None,
        }
    }

    /// The same client (its connections) with another size cap.
    #[must_use]
    pub fn capped(&self, max_bytes: u64) -> Client {
        Client {
            max_bytes,
            ..self.clone()
        }
    }

    /// The same client (its connections) with another total timeout.
    #[must_use]
    pub fn timed(&self, timeout_ms: u64) -> Client {
        Client {
            timeout: Some(Duration::from_millis(timeout_ms)),
            ..self.clone()
        }
    }

    /// `request` with this view's timeout, when it has its own (a copy of
    /// the agent's configuration per request: OTLP exports only).
    fn with_timeout<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match self.timeout {
            Some(timeout) => request
                .config()
                .timeout_connect(Some(timeout))
                .timeout_global(Some(timeout))
                .build(),
            None => request,
        }
    }

    fn read(
        &self,
        url: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Fetched, String> {
        // ureq's errors may quote the URL: only its redacted form is kept.
        let mut response = response.map_err(|e| scrub(&e.to_string(), url))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let max_age = header("cache-control").and_then(|cc| {
            cc.split(',')
                .filter_map(|d| d.trim().strip_prefix("max-age="))
                .find_map(|v| v.trim().parse().ok())
        });
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_bytes)
            .read_to_vec()
            .map_err(|e| format!("response body: {}", scrub(&e.to_string(), url)))?;
        Ok(Fetched {
            status,
            body,
            etag,
            max_age,
        })
    }

    /// GET `url`, sending `If-None-Match` when an ETag is known.
    pub fn get(
        &self,
        url: &str,
        etag: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, String> {
        check_url(url)?;
        let mut request = self.agent.get(url);
        if let Some(tag) = etag {
            request = request.header("If-None-Match", tag);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        self.read(url, self.with_timeout(request).call())
    }

    /// POST a form (RFC 7662 introspection) with HTTP Basic credentials.
    pub fn post_form(&self, url: &str, basic: &str, form: &str) -> Result<Fetched, String> {
        let authorization = format!("Basic {basic}");
        self.post(
            url,
            "application/x-www-form-urlencoded",
            &[
                ("Authorization", authorization.as_str()),
                ("Accept", "application/json"),
            ],
            form.as_bytes(),
        )
    }

    /// POST `body` as `content_type` with extra `headers`.
    pub fn post<K: AsRef<str>, V: AsRef<str>>(
        &self,
        url: &str,
        content_type: &str,
        headers: &[(K, V)],
        body: &[u8],
    ) -> Result<Fetched, String> {
        check_url(url)?;
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        for (k, v) in headers {
            request = request.header(k.as_ref(), v.as_ref());
        }
        self.read(url, self.with_timeout(request).send(body))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_everywhere_http_only_on_loopback() {
        assert!(check_url("https://dev-1.okta.com/oauth2/default/v1/keys").is_ok());
        assert!(check_url("http://127.0.0.1:8080/jwks").is_ok());
        assert!(check_url("http://localhost/jwks").is_ok());
        assert!(check_url("http://[::1]:9/jwks").is_ok());
        assert!(check_url("http://127.9.9.9/x").is_ok());
        assert!(check_url("http://idp.example.com/jwks").is_err());
        assert!(check_url("http://127.0.0.1.evil.com/jwks").is_err());
        assert!(check_url("ftp://127.0.0.1/x").is_err());
        assert!(
            check_url("HTTP://LOCALHOST/jwks").is_ok(),
            "schemes and hosts are case-insensitive"
        );
    }

    #[test]
    fn credentials_in_a_url_are_refused_so_the_host_judged_is_the_host_connected_to() {
        for url in [
            "http://localhost:1@evil.example/jwks",
            "http://127.0.0.1:80@evil.example/",
            "http://[::1]@evil.example/",
            "https://user:secret@idp.example/keys",
            "http://evil.example@127.0.0.1/",
        ] {
            let e = check_url(url).unwrap_err();
            assert!(e.contains("credentials"), "{url}: {e}");
        }
        for url in [
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example/",
            "http://[::2]/",
        ] {
            assert!(check_url(url).is_err(), "{url}");
        }
        assert!(check_url("/relative/jwks").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn the_labs_upstream_must_be_loopback_whatever_the_scheme() {
        assert!(check_loopback_url("http://127.0.0.1:9000").is_ok());
        assert!(check_loopback_url("https://localhost:8443/x").is_ok());
        assert!(check_loopback_url("http://127.0.0.1.evil.example").is_err());
        assert!(check_loopback_url("http://127.0.0.1@evil.example").is_err());
        assert!(check_loopback_url("https://api.example").is_err());
    }
}
