//! The permissions as DynamoDB items (contract §4): one item per scope,
//! `{"scope": S, "rules": L}`, each rule a map of the document's fields
//! without `scope` (`arn`, `stage`, `httpVerb` and `resource`, or
//! `routeKey`), all strings. A scope's rules change together, in one item
//! write. Each rule is validated as a document rule is, and an error names
//! the item's scope and the rule's position in it.

use super::permissions::{PermissionLimits, PermissionsError, Rule, parse_rule};
use crate::codec::terminal::shown;
use serde_json::{Map, Value};

/// The rules of `items` (DynamoDB's JSON), in scan order.
pub fn rules_from_items(
    items: &[Map<String, Value>],
    limits: PermissionLimits,
) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (position, item) in items.iter().enumerate() {
        let scope = match item.get("scope").and_then(|v| v.get("S")) {
            Some(Value::String(s)) if !s.is_empty() => s.as_str(),
            _ => {
                return Err(format!(
                    "item {position}: `scope` must be a non-empty string (S), the table's partition key"
                ));
            }
        };
        let named = |e: String| format!("item `{}`: {e}", shown(scope));
        if let Some(extra) = item
            .keys()
            .find(|k| !["scope", "rules"].contains(&k.as_str()))
        {
            return Err(named(format!(
                "`{}` is not a known attribute (scope, rules)",
                shown(extra)
            )));
        }
        let Some(Value::Array(list)) = item.get("rules").and_then(|v| v.get("L")) else {
            return Err(named("`rules` must be a list (L) of maps (M)".into()));
        };
        for (index, entry) in list.iter().enumerate() {
            let Some(Value::Object(fields)) = entry.get("M") else {
                return Err(named(format!("rule {index} is not a map (M)")));
            };
            let mut rule = Map::with_capacity(fields.len() + 1);
            for (field, value) in fields {
                let Some(Value::String(text)) = value.get("S") else {
                    return Err(named(format!(
                        "rule {index}, `{}` must be a string (S)",
                        shown(field)
                    )));
                };
                if field == "scope" {
                    return Err(named(format!(
                        "rule {index} names a `scope`: the item's key is its scope"
                    )));
                }
                rule.insert(field.clone(), Value::String(text.clone()));
            }
            rule.insert("scope".into(), Value::String(scope.to_string()));
            let parsed = parse_rule(index, &Value::Object(rule)).map_err(|e| match e {
                PermissionsError::Rule { field, problem, .. } => {
                    named(format!("rule {index}, field `{field}`: {problem}"))
                }
                other => named(other.to_string()),
            })?;
            rules.push(parsed);
            if rules.len() > limits.max_rules {
                return Err(PermissionsError::TooManyRules {
                    rules: rules.len(),
                    max: limits.max_rules,
                }
                .to_string());
            }
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn items(v: &Value) -> Vec<Map<String, Value>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_object().unwrap().clone())
            .collect()
    }

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

    #[test]
    fn an_item_per_scope_gives_the_documents_rules() {
        let rules = rules_from_items(
            &items(&json!([
                {"scope": {"S": "orders.read"}, "rules": {"L": [
                    {"M": {"arn": {"S": ARN}, "stage": {"S": "prod"}, "httpVerb": {"S": "GET"}, "resource": {"S": "orders"}}},
                    {"M": {"arn": {"S": ARN}, "stage": {"S": "prod"}, "httpVerb": {"S": "GET"}, "resource": {"S": "orders/*"}}}
                ]}},
                {"scope": {"S": "chat"}, "rules": {"L": [
                    {"M": {"arn": {"S": ARN}, "stage": {"S": "prod"}, "routeKey": {"S": "$connect"}}}
                ]}},
                {"scope": {"S": "nothing"}, "rules": {"L": []}}
            ])),
            PermissionLimits::default(),
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[1].scope, "orders.read");
        assert_eq!(rules[1].resource_arn(), format!("{ARN}/prod/GET/orders/*"));
        assert_eq!(rules[2].resource_arn(), format!("{ARN}/prod/$connect"));
    }

    #[test]
    fn a_broken_item_is_named_by_its_scope() {
        let limits = PermissionLimits::default();
        let rule = |verb: &str| json!({"M": {"arn": {"S": ARN}, "stage": {"S": "prod"}, "httpVerb": {"S": verb}, "resource": {"S": "x"}}});
        for (bad, expected) in [
            (json!([{"rules": {"L": []}}]), "item 0: `scope`"),
            (
                json!([{"scope": {"N": "1"}, "rules": {"L": []}}]),
                "item 0: `scope`",
            ),
            (json!([{"scope": {"S": "a"}}]), "item `a`: `rules`"),
            (
                json!([{"scope": {"S": "a"}, "rules": {"L": [{"S": "x"}]}}]),
                "item `a`: rule 0 is not a map",
            ),
            (
                json!([{"scope": {"S": "a"}, "rules": {"L": [rule("FETCH")]}}]),
                "item `a`: rule 0, field `httpVerb`",
            ),
            (
                json!([{"scope": {"S": "a"}, "rules": {"L": [rule("GET")]}, "owner": {"S": "x"}}]),
                "item `a`: `owner` is not a known attribute",
            ),
            (
                json!([{"scope": {"S": "a"}, "rules": {"L": [{"M": {"arn": {"N": "1"}}}]}}]),
                "item `a`: rule 0, `arn` must be a string",
            ),
        ] {
            let e = rules_from_items(&items(&bad), limits).unwrap_err();
            assert!(e.starts_with(expected), "{bad}: {e}");
        }
        let many = PermissionLimits {
            max_bytes: 1 << 20,
            max_rules: 1,
        };
        let e = rules_from_items(
            &items(&json!([{"scope": {"S": "a"}, "rules": {"L": [rule("GET"), rule("PUT")]}}])),
            many,
        )
        .unwrap_err();
        assert!(e.contains("over the limit of 1"), "{e}");
    }
}
