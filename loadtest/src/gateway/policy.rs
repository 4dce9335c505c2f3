//! The IAM policy an authorizer returns, and API Gateway's evaluation of
//! it for one method ARN: an explicit Deny that matches wins; otherwise a
//! matching Allow allows; otherwise the request is implicitly denied.
//! Matching uses IAM wildcards (`*` crosses `/`, `?` is one character).

use scopegate::policy::iam_match;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// What the authorizer said, as API Gateway caches it: an IAM policy, or
/// an HTTP API simple response (a decision made for one route, which the
/// cache replays on whatever route comes next under the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub principal_id: String,
    pub statements: Vec<Statement>,
    /// `isAuthorized`, for a simple response.
    pub simple: Option<bool>,
    /// The `policyDocument`'s length as sent (0 for a simple response).
    pub document_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    ExplicitDeny,
    ImplicitDeny,
    /// A simple response of `false` (HTTP API: 403 Forbidden).
    Forbidden,
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl Policy {
    /// Reads an authorizer's IAM response; `None` if it is not one (API
    /// Gateway answers 500 then).
    pub fn from_response(body: &str) -> Option<Policy> {
        let v: Value = serde_json::from_str(body).ok()?;
        let principal_id = v["principalId"].as_str()?.to_string();
        let doc = &v["policyDocument"];
        let document_bytes = document_len(body).unwrap_or_else(|| doc.to_string().len());
        let statements = match &doc["Statement"] {
            Value::Array(a) => a.clone(),
            s @ Value::Object(_) => vec![s.clone()],
            _ => return None,
        };
        let statements = statements
            .iter()
            .map(|s| {
                Some(Statement {
                    allow: match s["Effect"].as_str()? {
                        "Allow" => true,
                        "Deny" => false,
                        _ => return None,
                    },
                    actions: strings(&s["Action"]),
                    resources: strings(&s["Resource"]),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Policy {
            principal_id,
            statements,
            simple: None,
            document_bytes,
        })
    }

    /// Reads an HTTP API simple response; `None` if it is not one.
    pub fn from_simple_response(body: &str) -> Option<Policy> {
        let v: Value = serde_json::from_str(body).ok()?;
        let authorized = v["isAuthorized"].as_bool()?;
        Some(Policy {
            principal_id: v["context"]["sub"].as_str().unwrap_or_default().to_string(),
            statements: Vec::new(),
            simple: Some(authorized),
            document_bytes: 0,
        })
    }

    pub fn evaluate(&self, method_arn: &str) -> Verdict {
        match self.simple {
            Some(true) => return Verdict::Allow,
            Some(false) => return Verdict::Forbidden,
            None => {}
        }
        let applies = |s: &Statement| {
            s.actions.iter().any(|a| iam_match(a, "execute-api:Invoke"))
                && s.resources.iter().any(|r| iam_match(r, method_arn))
        };
        if self.statements.iter().any(|s| !s.allow && applies(s)) {
            Verdict::ExplicitDeny
        } else if self.statements.iter().any(|s| s.allow && applies(s)) {
            Verdict::Allow
        } else {
            Verdict::ImplicitDeny
        }
    }
}

/// The `policyDocument`'s length as it stands in `body`.
fn document_len(body: &str) -> Option<usize> {
    #[derive(serde::Deserialize)]
    struct Raw<'a> {
        #[serde(borrow, rename = "policyDocument")]
        document: &'a serde_json::value::RawValue,
    }
    serde_json::from_str::<Raw<'_>>(body)
        .ok()
        .map(|r| r.document.get().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/7";

    fn policy(statements: &str) -> Policy {
        Policy::from_response(&format!(
            r#"{{"principalId":"u","policyDocument":{{"Version":"2012-10-17","Statement":{statements}}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn wildcards_cross_slashes_and_question_marks_take_one_character() {
        let p = |r: &str| {
            policy(&format!(
                r#"[{{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"{r}"}}]"#
            ))
        };
        assert_eq!(
            p("arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/*").evaluate(ARN),
            Verdict::Allow
        );
        assert_eq!(
            p("arn:aws:execute-api:us-east-1:123456789012:api/*").evaluate(ARN),
            Verdict::Allow
        );
        assert_eq!(
            p("arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/?").evaluate(ARN),
            Verdict::Allow
        );
        assert_eq!(
            p("arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/pets/??").evaluate(ARN),
            Verdict::ImplicitDeny
        );
        assert_eq!(
            p("arn:aws:execute-api:us-east-1:123456789012:api/prod/POST/*").evaluate(ARN),
            Verdict::ImplicitDeny
        );
        assert_eq!(p("*").evaluate(ARN), Verdict::Allow);
    }

    #[test]
    fn an_explicit_deny_wins_over_any_allow() {
        let p = policy(
            r#"[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"*"},
                {"Effect":"Deny","Action":"execute-api:*","Resource":"arn:aws:execute-api:*:*:api/prod/GET/pets/*"}]"#,
        );
        assert_eq!(p.evaluate(ARN), Verdict::ExplicitDeny);
        assert_eq!(
            p.evaluate("arn:aws:execute-api:us-east-1:123456789012:api/prod/GET/orders"),
            Verdict::Allow
        );
    }

    #[test]
    fn actions_must_match_too_and_junk_is_not_a_policy() {
        let p = policy(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#);
        assert_eq!(p.evaluate(ARN), Verdict::ImplicitDeny);
        assert!(Policy::from_response("{}").is_none());
        assert!(
            Policy::from_response(
                r#"{"principalId":"u","policyDocument":{"Statement":[{"Effect":"Maybe"}]}}"#
            )
            .is_none()
        );
    }
}
