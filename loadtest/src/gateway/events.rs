//! The event API Gateway sends the authorizer, in each form's shape (the
//! members scopegate reads and the ones that tell the shapes apart;
//! `tests/fixtures/events` holds full samples).

use super::config::{AuthorizerKind, GatewayConfig, IdentitySource, PayloadFormat};
use super::request::Request;
use serde_json::{Map, Value, json};

/// The event for `request`, whose policy is evaluated against `arn`.
pub(super) fn event(config: &GatewayConfig, request: &Request<'_, '_>, arn: &str) -> String {
    let identity = (request.header)(&config.identity_header).unwrap_or_default();
    let event = match config.authorizer {
        AuthorizerKind::Token => json!({
            "type": "TOKEN",
            "authorizationToken": identity,
            "methodArn": arn,
        }),
        AuthorizerKind::Request | AuthorizerKind::WebSocket => {
            let (headers, multi) = headers(config, request, false);
            let mut event = json!({
                "type": "REQUEST",
                "methodArn": arn,
                "headers": headers,
                "multiValueHeaders": multi,
                "queryStringParameters": query(request),
                "multiValueQueryStringParameters": multi_query(request),
            });
            if config.authorizer == AuthorizerKind::WebSocket {
                event["requestContext"] =
                    json!({"routeKey": "$connect", "eventType": "CONNECT", "stage": config.stage});
            } else {
                event["httpMethod"] = json!(request.method);
                event["path"] = json!(request.path);
                event["resource"] = json!(request.matched.route);
            }
            event
        }
        AuthorizerKind::Http => {
            let values: Vec<String> = config
                .identity_sources
                .iter()
                .filter_map(|s| request.source(s))
                .collect();
            match config.payload_format {
                PayloadFormat::V1 => {
                    let (headers, multi) = headers(config, request, false);
                    json!({
                        "version": "1.0",
                        "type": "REQUEST",
                        "methodArn": arn,
                        "identitySource": values.join(","),
                        "httpMethod": request.method,
                        "path": request.path,
                        "resource": request.matched.route,
                        "headers": headers,
                        "multiValueHeaders": multi,
                        "queryStringParameters": query(request),
                        "multiValueQueryStringParameters": multi_query(request),
                    })
                }
                PayloadFormat::V2 => {
                    let (headers, _) = headers(config, request, true);
                    json!({
                        "version": "2.0",
                        "type": "REQUEST",
                        "routeArn": arn,
                        "identitySource": values,
                        "routeKey": request.route_key(),
                        "rawPath": request.path,
                        "headers": headers,
                        "queryStringParameters": query(request),
                        "requestContext": {"http": {"method": request.method, "path": request.path}},
                    })
                }
            }
        }
    };
    event.to_string()
}

/// The headers the identity sources name (and the TOKEN header), as
/// `headers` and `multiValueHeaders`; payload 2.0 lowercases names.
fn headers(
    config: &GatewayConfig,
    request: &Request<'_, '_>,
    lowercase: bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut names = vec![config.identity_header.as_str()];
    for source in &config.identity_sources {
        if let IdentitySource::Header(name) = source {
            names.push(name);
        }
    }
    let (mut single, mut multi) = (Map::new(), Map::new());
    for name in names {
        let Some(value) = (request.header)(name) else {
            continue;
        };
        let name = if lowercase {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        };
        single.insert(name.clone(), json!(value));
        multi.insert(name, json!([value]));
    }
    (single, multi)
}

fn query(request: &Request<'_, '_>) -> Value {
    if request.query.is_empty() {
        return Value::Null;
    }
    // API Gateway's single-value map holds the last value of a repeated name.
    let map: Map<String, Value> = request
        .query
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    Value::Object(map)
}

fn multi_query(request: &Request<'_, '_>) -> Value {
    if request.query.is_empty() {
        return Value::Null;
    }
    let mut map = Map::new();
    for (k, v) in request.query {
        match map.get_mut(k) {
            Some(Value::Array(values)) => values.push(json!(v)),
            _ => {
                map.insert(k.clone(), json!([v]));
            }
        }
    }
    Value::Object(map)
}
