//! Permissions documents of a chosen shape, for the benches and the
//! work-bound tests that must agree on what they measure.

/// `pairs` × 2 Resources for `scope`, each with a wildcard at one end
/// (`r{i}/*` and `*/r{i}`, GET on stage `prod` of `arn`): the worst shape
/// for the route check, whose literal-end prefilter then meets a wildcard
/// on every Resource.
pub fn wildcard_both_ends(arn: &str, pairs: usize, scope: &str) -> String {
    let rules: Vec<String> = (0..pairs)
        .flat_map(|i| {
            [format!("r{i}/*"), format!("*/r{i}")].map(|resource| {
                format!(
                    r#"{{"arn":"{arn}","resource":"{resource}","stage":"prod","httpVerb":"GET","scope":"{scope}"}}"#
                )
            })
        })
        .collect();
    format!("[{}]", rules.join(","))
}
