//! The cache must not change the answer (issue 21): through the lab's
//! gateway, for every authorizer form the SAM template deploys (read from
//! the template as CloudFormation expands it) and the other forms the README
//! calls safe, at TTLs 0, 1 and 300 s, for generated sequences of (token,
//! route, time) requests, every answer equals the uncached truth computed
//! from the permissions document alone. A form that is not safe (the
//! template's HTTP API before issue 21: simple responses cached by
//! `Authorization` alone) is caught.

#[path = "../../tests/support/tools.rs"]
mod tools;

use proptest::prelude::*;
use regex::Regex;
use scopegate_lab::gateway::config::GatewayConfig;
use scopegate_lab::gateway::{Gateway, Reply};
use scopegate_lab::identity::{API_ARN, Identity, permissions};
use std::fmt::Write as _;
use std::process::Command;
use std::sync::OnceLock;

const NOW: f64 = 1_800_000_000.0;

/// The lab's pets API with its routes, as each form presents it.
const ROUTES: &str = r#"routes = [
  { method = "GET", path = "/pets" },
  { method = "POST", path = "/pets" },
  { method = "GET", path = "/pets/{id}" },
  { method = "PUT", path = "/pets/{id}" },
  { method = "DELETE", path = "/pets/{id}" },
  { method = "GET", path = "/reports" },
  { method = "ANY", path = "/admin/{proxy+}" },
]"#;

/// Scopes of the tokens in a sequence; the last token is forged.
const SCOPES: [&str; 6] = [
    "pets.read",
    "pets.read pets.write",
    "pets.read pets.write pets.admin",
    "reports.read",
    "chat",
    "",
];

/// One authorizer form: the gateway's configuration, whether the function
/// answers HTTP API 2.0 events with simple responses, and the TTLs to try.
#[derive(Debug, Clone)]
struct Form {
    name: String,
    gateway: String,
    simple_response: bool,
    ttls: Vec<f64>,
}

#[allow(clippy::disallowed_methods)] // a test tool, not a setting
fn python() -> String {
    std::env::var("SCOPEGATE_TEST_PYTHON").unwrap_or_else(|_| {
        panic!("SCOPEGATE_TEST_PYTHON is not set: run the tests through scripts/test.sh")
    })
}

/// The authorizers `deploy/template.yaml` deploys, expanded by aws-sam-translator.
fn template_forms() -> Vec<Form> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(python())
        .args([
            "tests/support/template_authorizers.py",
            "deploy/template.yaml",
        ])
        .current_dir(root)
        .output()
        .expect("run the test python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let simple_response = v["simple_response"].as_str() == Some("true");
    let forms: Vec<Form> = v["authorizers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| form_of_template(a, simple_response))
        .collect();
    assert!(
        forms.len() >= 3,
        "REST TOKEN, REST REQUEST and HTTP API: {v}"
    );
    forms
}

fn form_of_template(a: &serde_json::Value, simple_response: bool) -> Form {
    let sources: Vec<String> = a["identity_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{:?}", s.as_str().unwrap()))
        .collect();
    let kind = match (a["api"].as_str(), a["type"].as_str()) {
        (Some("rest"), Some("token")) => "token",
        (Some("rest"), Some("request")) => "request",
        (Some("http"), Some("request")) => "http",
        other => panic!("an authorizer form the lab does not emulate: {other:?}"),
    };
    let mut gateway = format!(
        "stage = \"prod\"\nauthorizer = \"{kind}\"\nidentity_header = \"Authorization\"\nidentity_sources = [{}]\n",
        sources.join(", ")
    );
    if let Some(v) = a["validation"].as_str() {
        let _ = writeln!(gateway, "validation_expression = '{v}'");
    }
    if kind == "http" {
        let _ = write!(
            gateway,
            "payload_format = \"{}\"\nsimple_responses = {}\n",
            a["payload_format"].as_str().unwrap_or("2.0"),
            a["simple_responses"].as_bool().unwrap()
        );
    }
    gateway.push_str(ROUTES);
    Form {
        name: format!("template {}", a["name"].as_str().unwrap()),
        gateway,
        simple_response,
        ttls: match a["ttl"].as_f64() {
            Some(fixed) => vec![fixed],
            None => vec![0.0, 1.0, 300.0],
        },
    }
}

fn form(name: &str, head: &str, simple_response: bool, ttls: &[f64]) -> Form {
    Form {
        name: name.to_string(),
        gateway: format!("stage = \"prod\"\nidentity_header = \"Authorization\"\n{head}\n{ROUTES}"),
        simple_response,
        ttls: ttls.to_vec(),
    }
}

/// The forms the README's choices section calls safe, beside the template's.
fn documented_forms() -> Vec<Form> {
    let all = [0.0, 1.0, 300.0];
    vec![
        form(
            "HTTP API 1.0, IAM policy",
            "authorizer = \"http\"\npayload_format = \"1.0\"\nidentity_sources = [\"$request.header.Authorization\"]",
            false,
            &all,
        ),
        form(
            "HTTP API 2.0, IAM policy",
            "authorizer = \"http\"\nidentity_sources = [\"$request.header.Authorization\"]",
            false,
            &all,
        ),
        form(
            "HTTP API 2.0, simple responses keyed by method and path",
            "authorizer = \"http\"\nsimple_responses = true\nidentity_sources = [\"$request.header.Authorization\", \"$context.httpMethod\", \"$context.path\"]",
            true,
            &all,
        ),
        form(
            "HTTP API 2.0, simple responses uncached",
            "authorizer = \"http\"\nsimple_responses = true\nidentity_sources = [\"$request.header.Authorization\"]",
            true,
            &[0.0],
        ),
        form(
            "WebSocket $connect, token in the query string",
            "authorizer = \"websocket\"\nidentity_sources = [\"route.request.querystring.access_token\"]",
            false,
            &all,
        ),
    ]
}

/// The permissions: the lab's pets API and a WebSocket `$connect` rule.
fn document() -> String {
    let pets = permissions();
    let connect =
        format!(r#"{{"arn":"{API_ARN}","stage":"prod","routeKey":"$connect","scope":"chat"}}"#);
    format!("{},{connect}]", pets.trim_end_matches(']'))
}

/// The truth without any cache: does a token holding `scopes` reach `arn`?
/// IAM wildcards by regex, independently of scopegate's matcher.
fn truth(scopes: &str, arn: &str) -> bool {
    static RULES: OnceLock<Vec<(String, Regex)>> = OnceLock::new();
    let rules = RULES.get_or_init(|| {
        let rules: Vec<serde_json::Value> = serde_json::from_str(&document()).unwrap();
        rules
            .iter()
            .map(|r| {
                let tail = r["routeKey"].as_str().map_or_else(
                    || {
                        let verb = match r["httpVerb"].as_str().unwrap() {
                            "ANY" => "*",
                            v => v,
                        };
                        format!("{verb}/{}", r["resource"].as_str().unwrap())
                    },
                    str::to_string,
                );
                let glob = format!(
                    "{}/{}/{tail}",
                    r["arn"].as_str().unwrap(),
                    r["stage"].as_str().unwrap()
                );
                let pattern: String = glob
                    .chars()
                    .map(|c| match c {
                        '*' => ".*".to_string(),
                        '?' => ".".to_string(),
                        c => regex::escape(&c.to_string()),
                    })
                    .collect();
                let regex = Regex::new(&format!("^(?s:{pattern})$")).unwrap();
                (r["scope"].as_str().unwrap().to_string(), regex)
            })
            .collect()
    });
    rules
        .iter()
        .any(|(scope, regex)| scopes.split(' ').any(|s| s == scope) && regex.is_match(arn))
}

struct Tokens {
    identity: Identity,
    /// One per `SCOPES`, then a forged one.
    tokens: Vec<String>,
}

fn tokens() -> &'static Tokens {
    static TOKENS: OnceLock<Tokens> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let identity = Identity::new("ES256").unwrap();
        let mut tokens: Vec<String> = SCOPES
            .iter()
            .enumerate()
            .map(|(i, s)| {
                identity
                    .mint(&format!("u-{i}"), s, NOW - 10.0, NOW + 86_400.0)
                    .unwrap()
            })
            .collect();
        let mut forged = tokens[2].clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'Q' } else { 'A' });
        tokens.push(forged);
        Tokens { identity, tokens }
    })
}

/// One request of a sequence: which token, which route and parameter, and
/// how long after the previous one it comes.
#[derive(Debug, Clone, Copy)]
struct Step {
    token: usize,
    route: usize,
    param: usize,
    verb: usize,
    wait: usize,
}

const WAITS: [f64; 5] = [0.0, 0.4, 0.7, 30.0, 400.0];
const IDS: [&str; 3] = ["1", "7", "42"];
const PROXIES: [&str; 3] = ["users", "users/1", "a/b/c"];
const ANY_VERBS: [&str; 3] = ["GET", "POST", "DELETE"];

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            0..SCOPES.len() + 1,
            0..7usize,
            0..3usize,
            0..3usize,
            0..WAITS.len(),
        )
            .prop_map(|(token, route, param, verb, wait)| Step {
                token,
                route,
                param,
                verb,
                wait,
            }),
        1..24,
    )
}

/// Replays `steps` through the gateway of `form` at `ttl`; the first
/// answer that differs from the truth, described.
fn first_wrong_answer(form: &Form, ttl: f64, steps: &[Step]) -> Option<String> {
    let t = tokens();
    let config = GatewayConfig::parse(&form.gateway).unwrap();
    let websocket = form.gateway.contains("\"websocket\"");
    let simple = if form.simple_response {
        "true"
    } else {
        "false"
    };
    let authorizer = t
        .identity
        .authorizer_with(&[
            ("SCOPEGATE_PERMISSIONS", &document()),
            ("SCOPEGATE_SIMPLE_RESPONSE", simple),
        ])
        .unwrap();
    let gateway = Gateway::new(config.clone(), authorizer, ttl);
    let mut now = NOW;
    for (i, step) in steps.iter().enumerate() {
        now += WAITS[step.wait];
        let token = &t.tokens[step.token];
        let route = &config.routes[step.route];
        let method = match route.method.as_str() {
            "ANY" => ANY_VERBS[step.verb],
            m => m,
        };
        let resource = route.path[1..]
            .replace("{id}", IDS[step.param])
            .replace("{proxy+}", PROXIES[step.param]);
        let (method, path, arn) = if websocket {
            (
                "GET",
                format!("/prod?access_token={token}"),
                format!("{API_ARN}/prod/$connect"),
            )
        } else {
            (
                method,
                format!("/prod/{resource}"),
                format!("{API_ARN}/prod/{method}/{resource}"),
            )
        };
        let authorization = format!("Bearer {token}");
        let header = |name: &str| {
            (!websocket && name.eq_ignore_ascii_case("authorization"))
                .then_some(authorization.as_str())
        };
        let reply = gateway.handle(method, &path, header, now);
        let status = match &reply {
            Reply::Integrate { .. } => 200,
            Reply::Answer { status, .. } => *status,
        };
        let expected = if step.token == SCOPES.len() {
            401
        } else if truth(SCOPES[step.token], &arn) {
            200
        } else {
            403
        };
        if status != expected {
            return Some(format!(
                "{}: request {i} ({method} {path} with scopes {:?}, {:.1} s in) got {status}, truth is {expected}",
                form.name,
                SCOPES.get(step.token).unwrap_or(&"(forged)"),
                now - NOW
            ));
        }
    }
    None
}

fn all_forms() -> &'static [Form] {
    static FORMS: OnceLock<Vec<Form>> = OnceLock::new();
    FORMS.get_or_init(|| {
        // Without Python (aws-sam-translator) the template's forms cannot
        // be read; the documented ones are still held to the invariant.
        let mut forms = if tools::have(&[tools::PYTHON]) {
            template_forms()
        } else {
            Vec::new()
        };
        forms.extend(documented_forms());
        forms
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_cache_never_changes_the_answer(steps in steps()) {
        for form in all_forms() {
            for &ttl in &form.ttls {
                if let Some(wrong) = first_wrong_answer(form, ttl, &steps) {
                    prop_assert!(false, "TTL {ttl}: {wrong}");
                }
            }
        }
    }
}

#[test]
fn the_template_deploys_every_rest_and_http_form_it_documents() {
    if !tools::have(&[tools::PYTHON]) {
        return;
    }
    let names: Vec<String> = template_forms().into_iter().map(|f| f.gateway).collect();
    for kind in ["\"token\"", "\"request\"", "\"http\""] {
        assert!(
            names.iter().any(|g| g.contains(kind)),
            "the template deploys a {kind} authorizer"
        );
    }
}

/// The template's HTTP API before issue 21: simple responses cached by
/// `Authorization` alone. A token for `GET /pets` reached `DELETE /pets/1`.
#[test]
fn simple_responses_cached_by_the_token_alone_are_caught() {
    let unsafe_form = form(
        "HTTP API 2.0, simple responses keyed by Authorization",
        "authorizer = \"http\"\nsimple_responses = true\nidentity_sources = [\"$request.header.Authorization\"]",
        true,
        &[300.0],
    );
    let steps = [
        // pets.read: GET /pets is allowed and cached …
        Step {
            token: 0,
            route: 0,
            param: 0,
            verb: 0,
            wait: 0,
        },
        // … and replayed for DELETE /pets/1, which pets.read does not grant.
        Step {
            token: 0,
            route: 4,
            param: 0,
            verb: 0,
            wait: 1,
        },
    ];
    let wrong = first_wrong_answer(&unsafe_form, 300.0, &steps).expect("the unsafe key is caught");
    assert!(
        wrong.contains("DELETE /prod/pets/1") && wrong.contains("got 200, truth is 403"),
        "{wrong}"
    );
    // And a first `false` locks the user out of a route they hold.
    let steps = [
        Step {
            token: 0,
            route: 4,
            param: 0,
            verb: 0,
            wait: 0,
        },
        Step {
            token: 0,
            route: 0,
            param: 0,
            verb: 0,
            wait: 1,
        },
    ];
    let wrong = first_wrong_answer(&unsafe_form, 300.0, &steps).expect("the unsafe key is caught");
    assert!(wrong.contains("got 403, truth is 200"), "{wrong}");
    // Uncached, the same form is right.
    assert_eq!(first_wrong_answer(&unsafe_form, 0.0, &steps), None);
}

/// An API of 40 resources × 5 methods: `admin` holds all 200 routes, so
/// its complete policy (about 15 KB) is over the 8 KB API Gateway evaluates.
fn big_api() -> (String, String) {
    let verbs = ["GET", "POST", "PUT", "DELETE", "PATCH"];
    let mut rules = Vec::new();
    let mut routes = Vec::new();
    for i in 0..40 {
        for verb in verbs {
            rules.push(format!(
                r#"{{"arn":"{API_ARN}","resource":"r{i:02}","stage":"prod","httpVerb":"{verb}","scope":"admin"}}"#
            ));
            routes.push(format!(r#"{{ method = "{verb}", path = "/r{i:02}" }}"#));
        }
        rules.push(format!(
            r#"{{"arn":"{API_ARN}","resource":"r{i:02}","stage":"prod","httpVerb":"GET","scope":"reader"}}"#
        ));
    }
    (
        format!("[{}]", rules.join(",")),
        format!("routes = [{}]", routes.join(", ")),
    )
}

/// Statuses for `requests` (scope, method, resource) through a gateway
/// whose authorizer is built with `settings`.
fn statuses(
    gateway_head: &str,
    settings: &[(&str, &str)],
    ttl: f64,
    requests: &[(&str, &str, String)],
) -> Vec<(u16, u16)> {
    let (document, routes) = big_api();
    let identity = &tokens().identity;
    let mut all = vec![("SCOPEGATE_PERMISSIONS", document.as_str())];
    all.extend_from_slice(settings);
    let config = GatewayConfig::parse(&format!(
        "stage = \"prod\"\nidentity_header = \"Authorization\"\n{gateway_head}\n{routes}"
    ))
    .unwrap();
    let gateway = Gateway::new(config, identity.authorizer_with(&all).unwrap(), ttl);
    let truth = |scope: &str, method: &str| scope == "admin" || method == "GET";
    requests
        .iter()
        .enumerate()
        .map(|(i, (scope, method, resource))| {
            let token = identity
                .mint(&format!("big-{scope}"), scope, NOW - 10.0, NOW + 86_400.0)
                .unwrap();
            let authorization = format!("Bearer {token}");
            let header = |name: &str| {
                name.eq_ignore_ascii_case("authorization")
                    .then_some(authorization.as_str())
            };
            let reply =
                gateway.handle(method, &format!("/prod/{resource}"), header, NOW + i as f64);
            let status = match reply {
                Reply::Integrate { .. } => 200,
                Reply::Answer { status, .. } => status,
            };
            (status, if truth(scope, method) { 200 } else { 403 })
        })
        .collect()
}

fn big_requests() -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    for i in 0..30 {
        let scope = if i % 3 == 0 { "reader" } else { "admin" };
        let method = ["GET", "DELETE", "PATCH", "GET", "POST"][i % 5];
        out.push((scope, method, format!("r{:02}", (i * 7) % 40)));
    }
    out
}

/// Past the budget (issue 21 §1): without a bound, the admin's 15 KB policy
/// is over what the gateway evaluates and every admin request fails on
/// every route. With scopegate's budget (default), each answer is the
/// policy of its route: exact under a cache key that holds the route, and
/// never allowing more than the truth under a key of the token alone.
#[test]
fn past_the_budget_the_answer_fails_closed_and_is_exact_per_route() {
    let requests = big_requests();
    let per_route = "authorizer = \"request\"\nidentity_sources = [\"method.request.header.Authorization\", \"context.httpMethod\", \"context.path\"]";
    let token_only = "authorizer = \"token\"";
    // Unbounded: API Gateway fails to evaluate the admin's policy.
    let unbounded = statuses(
        token_only,
        &[("SCOPEGATE_POLICY_MAX_BYTES", "65536")],
        300.0,
        &requests,
    );
    assert!(
        requests
            .iter()
            .zip(&unbounded)
            .all(|((scope, _, _), (got, _))| *scope != "admin" || *got == 403),
        "every admin request failed: {unbounded:?}"
    );
    for ttl in [0.0, 1.0, 300.0] {
        let exact = statuses(per_route, &[], ttl, &requests);
        assert!(
            exact.iter().all(|(got, truth)| got == truth),
            "TTL {ttl}: {exact:?}"
        );
        let closed = statuses(token_only, &[], ttl, &requests);
        assert!(
            closed
                .iter()
                .all(|(got, truth)| *got != 200 || *truth == 200),
            "TTL {ttl}: never more than the truth: {closed:?}"
        );
    }
}
