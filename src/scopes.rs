//! Stage 5, scopes: the permissions document (CONTRACT §4), validated at
//! start-up and compiled into a scope → bit table, so that mapping a token's
//! scopes is a hash lookup per scope and a bit set, never a string scan over
//! the rules.

use std::collections::HashMap;
use std::fmt;

/// Bounds on a permissions document. Defaults: 1 MiB, 10 000 rules.
#[derive(Debug, Clone, Copy)]
pub struct PermissionLimits {
    pub max_bytes: usize,
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
const FIELDS: [&str; 5] = ["arn", "resource", "stage", "httpVerb", "scope"];

/// One rule of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub arn: String,
    pub resource: String,
    pub stage: String,
    pub http_verb: String,
    pub scope: String,
}

impl Rule {
    /// `arn/stage/verb/resource`, the IAM Resource this rule grants.
    pub fn resource_arn(&self) -> String {
        let verb = if self.http_verb == "ANY" {
            "*"
        } else {
            &self.http_verb
        };
        format!("{}/{}/{}/{}", self.arn, self.stage, verb, self.resource)
    }
}

/// Why a document was refused, naming the rule index and field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionsError {
    TooLarge {
        bytes: usize,
        max: usize,
    },
    TooManyRules {
        rules: usize,
        max: usize,
    },
    NotAnArray(String),
    Rule {
        index: usize,
        field: &'static str,
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

fn parse_rule(index: usize, value: &serde_json::Value) -> Result<Rule, PermissionsError> {
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
                "unknown field `{unknown}` (expected arn, resource, stage, httpVerb, scope)"
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
    let verb = field("httpVerb")?;
    if !VERBS.contains(&verb) {
        return Err(err(
            "httpVerb",
            "must be one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, ANY or *",
        ));
    }
    let scope = field("scope")?;
    if scope.is_empty() {
        return Err(err("scope", "must not be empty"));
    }
    Ok(Rule {
        arn: arn.to_string(),
        resource: resource.to_string(),
        stage: stage.to_string(),
        http_verb: verb.to_string(),
        scope: scope.to_string(),
    })
}

fn valid_api_arn(arn: &str) -> bool {
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

/// A set of scope bits, one per distinct scope of the document.
pub type Bits = Box<[u64]>;

/// The compiled document: scope → bit, bit → granted resources.
#[derive(Debug, Clone)]
pub struct ScopeTable {
    bit_of: HashMap<Box<str>, u32>,
    /// Scope names by bit, in the order they first appear in the document.
    names: Vec<Box<str>>,
    /// Every distinct Resource, sorted by byte order.
    resources: Vec<Box<str>>,
    /// The same, each as a JSON string literal (escaped once, at start-up).
    resources_json: Vec<Box<str>>,
    /// Per bit: indexes into `resources`, ascending.
    grants: Vec<Vec<u32>>,
    words: usize,
}

impl ScopeTable {
    pub fn compile(rules: &[Rule]) -> ScopeTable {
        let mut bit_of: HashMap<Box<str>, u32> = HashMap::new();
        let mut names: Vec<Box<str>> = Vec::new();
        for rule in rules {
            if !bit_of.contains_key(rule.scope.as_str()) {
                bit_of.insert(rule.scope.clone().into(), names.len() as u32);
                names.push(rule.scope.clone().into());
            }
        }
        let arns: Vec<String> = rules.iter().map(Rule::resource_arn).collect();
        let mut resources: Vec<Box<str>> = arns.iter().map(|a| a.as_str().into()).collect();
        resources.sort_unstable();
        resources.dedup();
        let mut grants = vec![Vec::new(); names.len()];
        for (rule, arn) in rules.iter().zip(&arns) {
            let bit = bit_of[rule.scope.as_str()] as usize;
            let rank = resources
                .binary_search_by(|r| r.as_ref().cmp(arn.as_str()))
                .unwrap_or(0) as u32;
            grants[bit].push(rank);
        }
        for g in &mut grants {
            g.sort_unstable();
            g.dedup();
        }
        let words = names.len().div_ceil(64).max(1);
        let resources_json = resources
            .iter()
            .map(|r| {
                let mut quoted = String::with_capacity(r.len() + 2);
                crate::respond::push_json_str(&mut quoted, r);
                quoted.into()
            })
            .collect();
        ScopeTable {
            bit_of,
            names,
            resources,
            resources_json,
            grants,
            words,
        }
    }

    /// The bits of the document scopes among `scopes`; unknown scopes are ignored.
    pub fn bits<'s>(&self, scopes: impl IntoIterator<Item = &'s str>) -> Bits {
        let mut bits = vec![0u64; self.words].into_boxed_slice();
        for scope in scopes {
            if let Some(&bit) = self.bit_of.get(scope) {
                bits[(bit / 64) as usize] |= 1 << (bit % 64);
            }
        }
        bits
    }

    /// Bit indexes set in `bits`, ascending.
    pub fn set_bits(bits: &[u64]) -> impl Iterator<Item = usize> + '_ {
        bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(w * 64 + b)
            })
        })
    }

    /// Every Resource granted by `bits`: sorted by byte order, de-duplicated.
    pub fn resources(&self, bits: &[u64]) -> Vec<&str> {
        self.resource_ranks(bits)
            .into_iter()
            .map(|r| self.resource(r))
            .collect()
    }

    /// The ranks (indexes into the sorted Resources) granted by `bits`,
    /// ascending: marked in a bitset and read back in order, so no sort.
    pub fn resource_ranks(&self, bits: &[u64]) -> Vec<u32> {
        let mut marked = vec![0u64; self.resources.len().div_ceil(64).max(1)];
        for b in Self::set_bits(bits) {
            for &r in &self.grants[b] {
                marked[(r / 64) as usize] |= 1 << (r % 64);
            }
        }
        Self::set_bits(&marked).map(|r| r as u32).collect()
    }

    /// The Resource of a rank.
    pub fn resource(&self, rank: u32) -> &str {
        self.resources.get(rank as usize).map_or("", |r| r.as_ref())
    }

    /// The Resource of a rank as a JSON string literal.
    pub fn resource_json(&self, rank: u32) -> &str {
        self.resources_json
            .get(rank as usize)
            .map_or("\"\"", |r| r.as_ref())
    }

    /// The names of the scopes in `bits`, in document order.
    pub fn scope_names(&self, bits: &[u64]) -> Vec<&str> {
        Self::set_bits(bits)
            .map(|b| self.names[b].as_ref())
            .collect()
    }

    pub fn scope_count(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234";

    fn rule(resource: &str, verb: &str, scope: &str) -> String {
        format!(
            r#"{{"arn":"{ARN}","resource":"{resource}","stage":"prod","httpVerb":"{verb}","scope":"{scope}"}}"#
        )
    }

    fn doc(rules: &[String]) -> Vec<u8> {
        format!("[{}]", rules.join(",")).into_bytes()
    }

    fn table(rules: &[String]) -> ScopeTable {
        ScopeTable::compile(&parse_rules(&doc(rules), PermissionLimits::default()).unwrap())
    }

    #[test]
    fn a_rule_grants_arn_stage_verb_resource() {
        let t = table(&[rule("orders/*", "GET", "orders.read")]);
        let bits = t.bits(["orders.read"]);
        assert_eq!(t.resources(&bits), [format!("{ARN}/prod/GET/orders/*")]);
    }

    #[test]
    fn resources_are_sorted_and_deduplicated_across_scopes() {
        let t = table(&[
            rule("b", "GET", "s1"),
            rule("a", "GET", "s2"),
            rule("b", "GET", "s2"),
            rule("c", "*", "s3"),
        ]);
        let bits = t.bits(["s2", "s1"]);
        assert_eq!(
            t.resources(&bits),
            [format!("{ARN}/prod/GET/a"), format!("{ARN}/prod/GET/b")]
        );
    }

    #[test]
    fn unknown_scopes_grant_nothing() {
        let t = table(&[rule("a", "GET", "s1")]);
        assert!(
            t.resources(&t.bits(["S1", "s1 ", "s", "openid"]))
                .is_empty()
        );
    }

    #[test]
    fn scope_order_and_duplicates_do_not_change_the_bits() {
        let t = table(&[
            rule("a", "GET", "x"),
            rule("b", "GET", "y"),
            rule("c", "GET", "z"),
        ]);
        assert_eq!(t.bits(["z", "x", "z"]), t.bits(["x", "z"]));
        assert_eq!(t.scope_names(&t.bits(["z", "x"])), ["x", "z"]);
    }

    #[test]
    fn more_than_64_scopes_use_more_words() {
        let rules: Vec<String> = (0..130)
            .map(|i| rule(&format!("r{i}"), "GET", &format!("s{i}")))
            .collect();
        let t = table(&rules);
        let bits = t.bits(["s0", "s64", "s129"]);
        assert_eq!(bits.len(), 3);
        assert_eq!(t.resources(&bits).len(), 3);
        assert_eq!(t.scope_names(&bits), ["s0", "s64", "s129"]);
    }

    #[test]
    fn any_verb_becomes_a_wildcard() {
        let t = table(&[rule("a", "ANY", "s")]);
        assert_eq!(t.resources(&t.bits(["s"])), [format!("{ARN}/prod/*/a")]);
    }

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
