//! The permissions document (contract §4): a JSON array of rules, each
//! validated at start-up with errors naming the rule index and field.

use std::fmt;

/// Bounds on a permissions document. Defaults: 1 MiB, 10 000 rules.
#[derive(Debug, Clone, Copy)]
pub struct PermissionLimits {
    /// Largest document accepted, bytes.
    pub max_bytes: usize,
    /// Most rules in a document.
    pub max_rules: usize,
}

impl Default for PermissionLimits {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 20,
            max_rules: 10_000,
        }
    }
}

/// HTTP verbs API Gateway routes on, plus `*` for any.
const VERBS: [&str; 9] = [
    "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "ANY", "*",
];
const FIELDS: [&str; 6] = ["arn", "resource", "stage", "httpVerb", "routeKey", "scope"];

/// One rule of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `arn:aws:execute-api:REGION:ACCOUNT:APIID`.
    pub arn: String,
    /// The stage.
    pub stage: String,
    /// What the rule grants on that stage.
    pub route: RuleRoute,
    /// The scope that grants the rule.
    pub scope: String,
}

/// A REST or HTTP API method, or a WebSocket route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleRoute {
    /// `httpVerb` + `resource`: Resource `arn/stage/verb/resource`.
    Http {
        /// The method, `ANY` or `*`.
        verb: String,
        /// The path, without a leading `/` (`*` and `?` are IAM wildcards).
        resource: String,
    },
    /// `routeKey` (`$connect`, a custom route key): Resource
    /// `arn/stage/routeKey`, the method ARN of a WebSocket `$connect`.
    WebSocket {
        /// The route key.
        route_key: String,
    },
}

impl Rule {
    /// The IAM Resource this rule grants.
    pub fn resource_arn(&self) -> String {
        match &self.route {
            RuleRoute::Http { verb, resource } => {
                let verb = if verb == "ANY" { "*" } else { verb };
                format!("{}/{}/{}/{}", self.arn, self.stage, verb, resource)
            }
            RuleRoute::WebSocket { route_key } => {
                format!("{}/{}/{}", self.arn, self.stage, route_key)
            }
        }
    }
}

/// Why a document was refused, naming the rule index and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionsError {
    /// Over the size cap.
    TooLarge {
        /// The document's size.
        bytes: usize,
        /// The cap.
        max: usize,
    },
    /// Over the rule-count cap.
    TooManyRules {
        /// Rules in the document.
        rules: usize,
        /// The cap.
        max: usize,
    },
    /// Not a JSON array.
    NotAnArray(String),
    /// One rule is wrong.
    Rule {
        /// Its index in the array.
        index: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl fmt::Display for PermissionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PermissionsError::TooLarge { bytes, max } => {
                write!(
                    f,
                    "permissions document is {bytes} bytes, over the {max}-byte limit"
                )
            }
            PermissionsError::TooManyRules { rules, max } => {
                write!(
                    f,
                    "permissions document has {rules} rules, over the limit of {max}"
                )
            }
            PermissionsError::NotAnArray(e) => {
                write!(f, "permissions document is not a JSON array of rules: {e}")
            }
            PermissionsError::Rule {
                index,
                field,
                problem,
            } => write!(f, "permissions rule {index}, field `{field}`: {problem}"),
        }
    }
}

impl std::error::Error for PermissionsError {}

/// Parses and validates a permissions document.
pub fn parse_rules(bytes: &[u8], limits: PermissionLimits) -> Result<Vec<Rule>, PermissionsError> {
    if bytes.len() > limits.max_bytes {
        return Err(PermissionsError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let values: Vec<serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| PermissionsError::NotAnArray(e.to_string()))?;
    if values.len() > limits.max_rules {
        return Err(PermissionsError::TooManyRules {
            rules: values.len(),
            max: limits.max_rules,
        });
    }
    values
        .iter()
        .enumerate()
        .map(|(index, value)| parse_rule(index, value))
        .collect()
}

/// One rule (a JSON object of the document's fields), `index` naming it in errors.
pub(crate) fn parse_rule(
    index: usize,
    value: &serde_json::Value,
) -> Result<Rule, PermissionsError> {
    let err = |field: &'static str, problem: &str| PermissionsError::Rule {
        index,
        field,
        problem: problem.to_string(),
    };
    let object = value
        .as_object()
        .ok_or_else(|| err("(rule)", "is not a JSON object"))?;
    if let Some(unknown) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(PermissionsError::Rule {
            index,
            field: "(rule)",
            problem: format!(
                "unknown field `{unknown}` (expected arn, stage, resource and httpVerb or routeKey, scope)"
            ),
        });
    }
    let field = |name: &'static str| -> Result<&str, PermissionsError> {
        match object.get(name) {
            None => Err(err(name, "is missing")),
            Some(v) => v.as_str().ok_or_else(|| err(name, "must be a string")),
        }
    };
    let arn = field("arn")?;
    if !valid_api_arn(arn) {
        return Err(err(
            "arn",
            "must look like arn:aws:execute-api:REGION:ACCOUNT:APIID (12-digit account)",
        ));
    }
    let stage = field("stage")?;
    if stage.is_empty()
        || !stage
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?'))
    {
        return Err(err(
            "stage",
            "must be a non-empty stage name (letters, digits, - and _) or a wildcard",
        ));
    }
    let route = if object.contains_key("routeKey") {
        if let Some(http) = ["httpVerb", "resource"]
            .into_iter()
            .find(|f| object.contains_key(*f))
        {
            return Err(err(
                http,
                "must not be given with `routeKey` (a rule is an HTTP method or a WebSocket route)",
            ));
        }
        let route_key = field("routeKey")?;
        if route_key.is_empty()
            || route_key
                .chars()
                .any(|c| c == '/' || c.is_whitespace() || c.is_control())
        {
            return Err(err(
                "routeKey",
                "must be a non-empty WebSocket route key without `/`, whitespace or control characters",
            ));
        }
        RuleRoute::WebSocket {
            route_key: route_key.to_string(),
        }
    } else {
        let resource = field("resource")?;
        if resource.starts_with('/') {
            return Err(err("resource", "must not start with `/`"));
        }
        if resource
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(err(
                "resource",
                "must not contain whitespace or control characters",
            ));
        }
        let verb = field("httpVerb")?;
        if !VERBS.contains(&verb) {
            return Err(err(
                "httpVerb",
                "must be one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, ANY or *",
            ));
        }
        RuleRoute::Http {
            verb: verb.to_string(),
            resource: resource.to_string(),
        }
    };
    let scope = field("scope")?;
    if scope.is_empty() {
        return Err(err("scope", "must not be empty"));
    }
    Ok(Rule {
        arn: arn.to_string(),
        stage: stage.to_string(),
        route,
        scope: scope.to_string(),
    })
}

pub(crate) fn valid_api_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [prefix, partition, service, region, account, api] = parts[..] else {
        return false;
    };
    prefix == "arn"
        && matches!(partition, "aws" | "aws-cn" | "aws-us-gov")
        && service == "execute-api"
        && !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !api.is_empty()
        && api.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Rules and documents for the tests of this folder.
#[cfg(test)]
pub(super) mod fixtures {
    pub(crate) const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

    pub(crate) fn rule(resource: &str, verb: &str, scope: &str) -> String {
        format!(
            r#"{{"arn":"{ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
        )
    }

    pub(crate) fn doc(rules: &[String]) -> Vec<u8> {
        format!("[{}]", rules.join(",")).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{ARN, doc, rule};
    use super::*;

    fn error_of(rule_json: &str) -> String {
        parse_rules(
            format!("[{rule_json}]").as_bytes(),
            PermissionLimits::default(),
        )
        .unwrap_err()
        .to_string()
    }

    #[test]
    fn errors_name_the_rule_index_and_field() {
        let bad = format!("[{},{}]", rule("a", "GET", "s"), rule("a", "FETCH", "s"));
        let err = parse_rules(bad.as_bytes(), PermissionLimits::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "permissions rule 1, field `httpVerb`: must be one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, ANY or *"
        );
    }

    #[test]
    fn missing_fields_are_named() {
        let e = error_of(&format!(
            r#"{{"arn":"{ARN}","resource":"a","httpVerb":"GET","scope":"s"}}"#
        ));
        assert_eq!(e, "permissions rule 0, field `stage`: is missing");
    }

    #[test]
    fn bad_arns_are_refused() {
        for arn in [
            "arn:aws:execute-api:us-east-1:12345:abc",
            "arn:aws:lambda:us-east-1:123456789012:abc",
            "arn:aws:execute-api:us-east-1:123456789012",
            "arn:aws:execute-api:us-east-1:123456789012:abc/prod",
            "",
        ] {
            let e = error_of(&format!(
                r#"{{"arn":"{arn}","resource":"a","stage":"p","httpVerb":"GET","scope":"s"}}"#
            ));
            assert!(
                e.starts_with("permissions rule 0, field `arn`"),
                "{arn}: {e}"
            );
        }
    }

    #[test]
    fn leading_slash_empty_scope_and_unknown_fields_are_refused() {
        assert!(error_of(&rule("/a", "GET", "s")).contains("field `resource`"));
        assert!(error_of(&rule("a", "GET", "")).contains("field `scope`"));
        let e = error_of(&format!(
            r#"{{"arn":"{ARN}","resource":"a","stage":"p","httpVerb":"GET","scopes":"s"}}"#
        ));
        assert!(e.contains("unknown field `scopes`"), "{e}");
        assert!(error_of("1").contains("is not a JSON object"));
        assert!(
            error_of(&format!(
                r#"{{"arn":"{ARN}","resource":1,"stage":"p","httpVerb":"GET","scope":"s"}}"#
            ))
            .contains("must be a string")
        );
    }

    #[test]
    fn a_websocket_rule_grants_its_route_key() {
        let rules = parse_rules(
            format!(r#"[{{"arn":"{ARN}","stage":"prod","routeKey":"$connect","scope":"chat"}}]"#)
                .as_bytes(),
            PermissionLimits::default(),
        )
        .unwrap();
        assert_eq!(rules[0].resource_arn(), format!("{ARN}/prod/$connect"));
        for (rule, field) in [
            (r#""routeKey":"$connect","httpVerb":"GET""#, "httpVerb"),
            (r#""routeKey":"$connect","resource":"a""#, "resource"),
            (r#""routeKey":"""#, "routeKey"),
            (r#""routeKey":"a/b""#, "routeKey"),
            (r#""routeKey":1"#, "routeKey"),
        ] {
            let e = error_of(&format!(
                r#"{{"arn":"{ARN}","stage":"prod",{rule},"scope":"s"}}"#
            ));
            assert!(e.contains(&format!("field `{field}`")), "{rule}: {e}");
        }
    }

    #[test]
    fn size_and_rule_count_limits_are_enforced() {
        let d = doc(&[rule("a", "GET", "s"), rule("b", "GET", "s")]);
        let e = parse_rules(
            &d,
            PermissionLimits {
                max_bytes: 1 << 20,
                max_rules: 1,
            },
        )
        .unwrap_err();
        assert_eq!(e, PermissionsError::TooManyRules { rules: 2, max: 1 });
        let e = parse_rules(
            &d,
            PermissionLimits {
                max_bytes: 10,
                max_rules: 10,
            },
        )
        .unwrap_err();
        assert!(matches!(e, PermissionsError::TooLarge { .. }));
    }
}
