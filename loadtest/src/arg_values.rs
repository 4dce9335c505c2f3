//! The values the lab's options take, parsed once for every subcommand
//! (clap's `value_parser`s): counts, durations, and API Gateway's TTLs —
//! one rule for a TTL wherever it is given (`serve --ttl`, `sweep --ttls`,
//! `live --ttls`, `calibrate --ttl`).

/// API Gateway accepts authorizer result TTLs from 0 to 3600 seconds.
pub const MAX_TTL: f64 = 3600.0;

/// `VAR=VALUE`: one setting as the Lambda's environment would carry it.
pub fn setting(v: &str) -> Result<(String, String), String> {
    match v.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("`{v}` is not VAR=VALUE")),
    }
}

/// A count of one or more.
pub fn positive_count(v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(format!("`{v}` is not a positive count"))
}

/// A finite duration of zero or more seconds.
pub fn non_negative_seconds(v: &str) -> Result<f64, String> {
    match v.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(format!("`{v}` is not 0 or more seconds")),
    }
}

/// One TTL: `authorizerResultTtlInSeconds` is a whole number of seconds
/// in 0..=3600.
pub fn parse_ttl(v: &str) -> Result<f64, String> {
    let v = v.trim();
    let ttl: f64 = v.parse().map_err(|_| format!("`{v}` is not a number"))?;
    if (0.0..=MAX_TTL).contains(&ttl) && ttl.fract() == 0.0 {
        Ok(ttl)
    } else {
        Err(format!(
            "{v} is not a whole number of seconds in 0..=3600 (API Gateway's range)"
        ))
    }
}

/// TTLs to compare, comma-separated, each as [`parse_ttl`] reads one;
/// sorted, without repeats.
pub fn parse_ttls(list: &str) -> Result<Ttls, String> {
    let mut ttls = list
        .split(',')
        .map(parse_ttl)
        .collect::<Result<Vec<_>, _>>()?;
    ttls.sort_by(f64::total_cmp);
    ttls.dedup();
    Ok(Ttls(ttls))
}

/// The TTLs a sweep compares, in increasing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Ttls(pub Vec<f64>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_ttl_rule_for_one_ttl_and_for_a_list() {
        assert_eq!(parse_ttl("300"), Ok(300.0));
        assert_eq!(parse_ttl("0"), Ok(0.0));
        for bad in ["1.5", "7200", "-1", "ten", "NaN"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
            assert!(parse_ttls(&format!("0,{bad}")).is_err(), "{bad}");
        }
        assert_eq!(parse_ttls("60,0,60,5").unwrap().0, [0.0, 5.0, 60.0]);
        assert!(parse_ttls("7200").unwrap_err().contains("0..=3600"));
        assert!(parse_ttls("ten").unwrap_err().contains("`ten`"));
    }

    #[test]
    fn counts_and_seconds() {
        assert_eq!(positive_count("3"), Ok(3));
        assert!(positive_count("0").is_err());
        assert_eq!(non_negative_seconds("1.5"), Ok(1.5));
        assert!(non_negative_seconds("-1").is_err());
        assert!(non_negative_seconds("inf").is_err());
    }
}
