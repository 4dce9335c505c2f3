//! Start-up: a checked [`Config`] becomes an [`Authorizer`]. Documents are
//! loaded and compiled, remote key sets prefetched (an IdP that cannot be
//! reached does not stop the function: the first request retries), and
//! each issuer's discovery document is fetched at most once, shared by its
//! keys and by introspection. Any fault here is an [`InitError`]: the
//! function cannot serve at all, and says why, naming the setting.

#[cfg(feature = "cedar")]
use crate::cedar;
use crate::clock;
use crate::config::{
    CedarSettings, Config, ConfigError, ENV_PERMISSIONS, ENV_ROUTES, IssuerConfig, Source,
};
use crate::grants::{Format, Grants, Policies, Remote};
use crate::handler::Authorizer;
use crate::keys::remote::{Location, RemoteKeys};
use crate::keys::{KeySet, KeySource};
use crate::memo::TokenMemo;
use crate::net::discovery::Discovery;
use crate::net::http::{self, Client};
use crate::policy::Shape;
use crate::routes::Routes;
use crate::scopes::{self, ScopeTable};
use crate::verify::introspect::Introspector;
use crate::verify::{ClaimRules, Issuer, Verifier};
use std::sync::Arc;

/// An infrastructure fault at start-up: the function cannot serve at all.
#[derive(Debug)]
#[non_exhaustive]
pub enum InitError {
    /// A setting is missing or wrong, or a document it names cannot be loaded.
    Config(ConfigError),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::Config(e) => write!(f, "configuration error: {e}"),
        }
    }
}

impl std::error::Error for InitError {}

impl From<ConfigError> for InitError {
    fn from(e: ConfigError) -> Self {
        InitError::Config(e)
    }
}

impl Authorizer {
    /// Loads the key sets and permissions named by `config` and compiles
    /// them. A remote key set (URL or discovery) is fetched now.
    pub fn from_config(config: &Config) -> Result<Authorizer, InitError> {
        Authorizer::from_config_with(config, &config.http_client())
    }

    /// [`Authorizer::from_config`] with the function's one HTTP client
    /// (shared with its trace exporter): every fetch of every issuer and
    /// document goes through it, so connections to a host are reused.
    pub fn from_config_with(config: &Config, client: &Client) -> Result<Authorizer, InitError> {
        let discovery = Arc::new(Discovery::new(&config.primary.issuer, client.clone()));
        let primary = Issuer {
            keys: key_source(
                config,
                client,
                &config.primary.jwks,
                &discovery,
                config.primary.jwks_var,
            )?,
            rules: issuer_rules(config, &config.primary),
        };
        let mut others = Vec::with_capacity(config.other_issuers.len());
        for other in &config.other_issuers {
            let discovery = Arc::new(Discovery::new(&other.issuer, client.clone()));
            others.push(Issuer {
                keys: key_source(config, client, &other.jwks, &discovery, other.jwks_var)?,
                rules: issuer_rules(config, other),
            });
        }
        let introspector = config
            .introspection
            .clone()
            .map(|settings| Introspector::new(settings, client.clone(), Arc::clone(&discovery)));
        let verifier = Verifier::new(
            config.algorithms.clone(),
            config.json_limits,
            primary,
            others,
            introspector,
        );
        let policies = policies(config, client)?;
        Ok(assemble(
            config,
            verifier,
            permissions(config, client, &policies)?,
        ))
    }

    /// Builds an authorizer from parts already loaded (tests, the lab): the
    /// primary issuer of `config` with the fixed key set `keys`.
    pub fn new(config: &Config, keys: KeySet, table: ScopeTable) -> Authorizer {
        let primary = Issuer {
            rules: issuer_rules(config, &config.primary),
            keys: KeySource::Static(Arc::new(keys)),
        };
        let verifier = Verifier::new(
            config.algorithms.clone(),
            config.json_limits,
            primary,
            Vec::new(),
            None,
        );
        // Routes named by the configuration are not read here: parts are
        // already loaded (a test or the lab passes them in the table).
        let policies = policies_of(config, None);
        assemble(config, verifier, Grants::fixed(table, &policies))
    }
}

fn assemble(config: &Config, verifier: Verifier, grants: Grants) -> Authorizer {
    Authorizer {
        identity: config.identity.clone(),
        max_token_bytes: config.max_token_bytes,
        verifier,
        grants,
        memo: (config.token_memo_entries > 0).then(|| {
            TokenMemo::new(
                config.token_memo_entries,
                config.memo_max_bytes / 4 * 3,
                config.token_memo_max_seconds,
            )
        }),
        simple_response: config.simple_response,
    }
}

/// What one issuer's tokens must say.
fn issuer_rules(config: &Config, issuer: &IssuerConfig) -> ClaimRules {
    ClaimRules {
        audience_required: true,
        issuers: vec![issuer.issuer.clone()],
        audiences: issuer.audiences.clone(),
        leeway: config.leeway,
        require_at_jwt: issuer.require_at_jwt.unwrap_or(config.require_at_jwt),
        max_scopes: config.max_scopes,
        max_claim_len: config.max_claim_bytes,
        context_claims: config.context_claims.clone(),
        mapping: issuer.mapping.clone(),
    }
}

/// One issuer's keys: fetched from the IdP (and kept fresh), or loaded now.
fn key_source(
    config: &Config,
    client: &Client,
    source: &Source,
    discovery: &Arc<Discovery>,
    var: &'static str,
) -> Result<KeySource, InitError> {
    let issuer = discovery.issuer();
    let location = match source {
        Source::Url(url) => {
            http::check_url(url).map_err(|e| ConfigError::new(var, e))?;
            Some(Location::Url(url.clone()))
        }
        Source::Discover => {
            http::check_url(issuer)
                .map_err(|e| ConfigError::new(var, format!("discovery: {e}")))?;
            Some(Location::Discover(Arc::clone(discovery)))
        }
        _ => None,
    };
    if let Some(location) = location {
        let remote = Arc::new(RemoteKeys::new(
            location,
            config.key_cache.clone(),
            config.jwks_limits,
            client.clone(),
        ));
        remote.refresh_if_allowed(clock::now());
        return Ok(KeySource::Remote(remote));
    }
    let jwks = source.load(
        var,
        &config.aws,
        &client.capped(config.jwks_limits.max_bytes as u64),
    )?;
    let keys = KeySet::from_json(&jwks, config.jwks_limits)
        .map_err(|e| ConfigError::new(var, format!("{issuer}: {e}")))?;
    if keys.is_empty() {
        let skipped: Vec<String> = keys
            .skipped()
            .iter()
            .map(|s| format!("{}: {}", s.kid.as_deref().unwrap_or("(no kid)"), s.reason))
            .collect();
        return Err(ConfigError::new(
            var,
            format!(
                "{issuer}: contains no usable key (skipped: {})",
                skipped.join(", ")
            ),
        )
        .into());
    }
    Ok(KeySource::Static(Arc::new(keys)))
}

/// The largest routes document read (an OpenAPI export of a large API is
/// megabytes; it is read once, at start).
const ROUTES_MAX_BYTES: u64 = 8 << 20;

/// How policies are shaped: the budget, the overflow answer, and the API's
/// routes (`SCOPEGATE_ROUTES`, read once: routes change with a deployment).
fn policies(config: &Config, client: &Client) -> Result<Policies, InitError> {
    let fail = |e: String| ConfigError::new(ENV_ROUTES, e);
    let client = client.capped(ROUTES_MAX_BYTES);
    let routes = match &config.routes {
        None => None,
        Some(Source::Url(url)) => {
            http::check_url(url).map_err(&fail)?;
            let answer = client
                .get(url, None, &[])
                .map_err(|e| fail(format!("{}: {e}", http::Redacted(url))))?;
            if answer.status != 200 {
                return Err(
                    fail(format!("{}: HTTP {}", http::Redacted(url), answer.status)).into(),
                );
            }
            Some(
                Routes::parse(&answer.body)
                    .map_err(|e| fail(format!("{}: {e}", http::Redacted(url))))?,
            )
        }
        Some(source) => {
            let document = source.load(ENV_ROUTES, &config.aws, &client)?;
            Some(Routes::parse(&document).map_err(fail)?)
        }
    };
    Ok(policies_of(config, routes))
}

/// How policies are rendered and kept, as configured, on `routes`.
fn policies_of(config: &Config, routes: Option<Routes>) -> Policies {
    Policies {
        entries: config.policy_memo_entries,
        max_bytes: config.memo_max_bytes / 4,
        shape: Arc::new(Shape {
            max_bytes: config.policy_max_bytes,
            overflow: config.policy_overflow,
            routes: routes.map(Arc::new),
        }),
    }
}

/// The permissions document, validated and compiled; an S3 object or a URL
/// is refreshed as `SCOPEGATE_PERMISSIONS_*` say.
fn permissions(config: &Config, client: &Client, policies: &Policies) -> Result<Grants, InitError> {
    let fail = |e: String| ConfigError::new(ENV_PERMISSIONS, e);
    let remote = match &config.permissions {
        Source::S3 { bucket, key } => Some(Remote::S3 {
            target: config.aws.s3_target().map_err(&fail)?,
            bucket: bucket.clone(),
            key: key.clone(),
        }),
        Source::Url(url) => {
            http::check_url(url).map_err(&fail)?;
            Some(Remote::Url(url.clone()))
        }
        Source::DynamoDb { table } => {
            if table.is_empty() || table.contains('/') {
                return Err(fail("expected dynamodb://TABLE".into()).into());
            }
            Some(Remote::DynamoDb {
                target: config.aws.dynamodb_target().map_err(&fail)?,
                table: table.clone(),
            })
        }
        _ => None,
    };
    let format = match &config.cedar {
        None => Format::Rules,
        Some(cedar) => match cedar_store(config, cedar, client, policies)? {
            Store::Fixed(grants) => return Ok(grants),
            Store::Refreshed(format) => format,
        },
    };
    if let Some(remote) = remote {
        return Ok(Grants::remote(
            remote,
            format,
            client.capped(config.permission_limits.max_bytes as u64),
            config.permission_limits,
            policies,
            config.permissions_refresh.clone(),
            clock::now(),
        )
        .map_err(fail)?);
    }
    let client = client.capped(config.permission_limits.max_bytes as u64);
    let document = config
        .permissions
        .load(ENV_PERMISSIONS, &config.aws, &client)?;
    let rules = scopes::parse_rules(&document, config.permission_limits)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Grants::fixed(ScopeTable::compile(&rules), policies))
}

/// A Cedar store: read and compiled now, or how each fetch of it is read.
#[cfg_attr(not(feature = "cedar"), allow(dead_code))]
enum Store {
    Fixed(Grants),
    Refreshed(Format),
}

/// The store `SCOPEGATE_PERMISSIONS` names, with its schema.
#[cfg(feature = "cedar")]
fn cedar_store(
    config: &Config,
    cedar: &CedarSettings,
    client: &Client,
    policies: &Policies,
) -> Result<Store, InitError> {
    let fail = |e: String| ConfigError::new(ENV_PERMISSIONS, e);
    let limits = config.permission_limits;
    let schema = cedar.schema.load(
        crate::config::ENV_CEDAR_SCHEMA,
        &config.aws,
        &client.capped(limits.max_bytes as u64),
    )?;
    let schema = String::from_utf8(schema)
        .map_err(|_| ConfigError::new(crate::config::ENV_CEDAR_SCHEMA, "is not UTF-8 text"))?;
    match &config.permissions {
        Source::File(path) => {
            let files = cedar::load::policy_files(std::path::Path::new(path), limits.max_bytes)
                .map_err(&fail)?;
            let table = cedar::compile(&files, &schema, &cedar.api, limits).map_err(&fail)?;
            Ok(Store::Fixed(Grants::fixed(table, policies)))
        }
        Source::S3 { .. } | Source::Url(_) => Ok(Store::Refreshed(Format::Cedar {
            schema: schema.into(),
            api: cedar.api.clone(),
        })),
        _ => Err(fail(
            "a Cedar policy store is a directory, a .cedar file, or an s3:// or https object"
                .into(),
        )
        .into()),
    }
}

/// Without the `cedar` feature a store stops the start.
#[cfg(not(feature = "cedar"))]
fn cedar_store(
    _: &Config,
    _: &CedarSettings,
    _: &Client,
    _: &Policies,
) -> Result<Store, InitError> {
    Err(ConfigError::new(
        ENV_PERMISSIONS,
        "names a Cedar policy store, and this build has no Cedar support (build with the `cedar` feature, on by default)",
    )
    .into())
}
