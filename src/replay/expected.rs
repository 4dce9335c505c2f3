//! Expected decisions (contract §6): a replay line read as a decision, and
//! the comparison with an `expected.jsonl` streamed from its file.

/// A replay line read as a decision (contract §6): `(decision, sorted resources)`.
pub fn decision_of(line: &str) -> Result<(String, Vec<String>), String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if v.get("errorMessage").is_some() {
        return Ok(("unauthorized".into(), vec![]));
    }
    let mut allowed = Vec::new();
    let statements = v["policyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for s in &statements {
        if s["Effect"] == "Allow" {
            match &s["Resource"] {
                serde_json::Value::String(r) => allowed.push(r.clone()),
                serde_json::Value::Array(rs) => {
                    allowed.extend(rs.iter().filter_map(|r| r.as_str().map(str::to_string)));
                }
                _ => {}
            }
        }
    }
    if allowed.is_empty() {
        return Ok(("deny".into(), vec![]));
    }
    allowed.sort();
    allowed.dedup();
    Ok(("allow".into(), allowed))
}

/// The lines of an expected-decisions file, read as they are needed.
pub(super) fn expected_lines(path: &str) -> Result<impl Iterator<Item = String>, String> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(std::io::BufReader::with_capacity(1 << 16, file)
        .lines()
        .map_while(Result::ok))
}

pub(super) fn count_mismatches<S: AsRef<str>, W: AsRef<str>>(
    out: impl Iterator<Item = S>,
    expected: impl Iterator<Item = W>,
    expected_path: &str,
) -> Result<usize, String> {
    let mut mismatches = 0;
    for (i, (got, want)) in out.zip(expected).enumerate() {
        let got = decision_of(got.as_ref())?;
        let want: serde_json::Value = serde_json::from_str(want.as_ref())
            .map_err(|e| format!("{expected_path}:{}: {e}", i + 1))?;
        let want_resources: Vec<String> = want["resources"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if want["decision"].as_str() != Some(got.0.as_str()) || want_resources != got.1 {
            if mismatches < 5 {
                eprintln!(
                    "scopegate replay: event {} ({}:{}): got {} {:?}, expected {}",
                    i,
                    expected_path,
                    i + 1,
                    got.0,
                    got.1,
                    want
                );
            }
            mismatches += 1;
        }
    }
    Ok(mismatches)
}
