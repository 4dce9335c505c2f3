//! The one set of value parsers every setting goes through, so that every
//! bad value fails the same way: a [`ConfigError`] naming the variable and
//! quoting what it held.

use super::{ConfigError, Strings};
use std::fmt;

/// A value that must be present and not blank.
pub(crate) fn required(src: &dyn Strings, var: &'static str) -> Result<String, ConfigError> {
    match src.get(var) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::new(var, "is required")),
    }
}

/// A value that counts only when not empty.
pub(crate) fn non_empty(src: &dyn Strings, var: &str) -> Option<String> {
    src.get(var).filter(|v| !v.is_empty())
}

/// The first of `vars` that is set and not empty, with its name.
pub(crate) fn first(src: &dyn Strings, vars: &[&'static str]) -> Option<(&'static str, String)> {
    vars.iter().find_map(|v| non_empty(src, v).map(|s| (*v, s)))
}

/// A comma-separated list, items trimmed, empty items dropped.
pub(crate) fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A number of any `FromStr` type, `default` when unset.
pub(crate) fn number<T: std::str::FromStr>(
    src: &dyn Strings,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match src.get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(var, format!("`{v}` is not a valid number"))),
    }
}

/// A finite number of seconds ≥ 0, `default` when unset.
pub(crate) fn seconds(
    src: &dyn Strings,
    var: &'static str,
    default: f64,
) -> Result<f64, ConfigError> {
    match src.get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| ConfigError::new(var, format!("`{v}` is not a number of seconds ≥ 0"))),
    }
}

/// A whole number ≥ 1, `default` when unset.
pub(crate) fn positive<T>(
    src: &dyn Strings,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + From<u8>,
{
    match src.get(var) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| *n >= T::from(1))
            .ok_or_else(|| ConfigError::new(var, format!("`{v}` is not a positive whole number"))),
    }
}

/// `true`/`1` or `false`/`0`/empty; unset is `false`.
pub(crate) fn flag(src: &dyn Strings, var: &'static str) -> Result<bool, ConfigError> {
    match src.get(var).as_deref().map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(v) => Err(ConfigError::new(var, format!("`{v}` is not true/false"))),
    }
}

/// One of `choices` (exact), `default` when unset.
pub(crate) fn choice<T: Copy>(
    src: &dyn Strings,
    var: &'static str,
    default: T,
    choices: &[(&str, T)],
) -> Result<T, ConfigError> {
    let Some(v) = src.get(var) else {
        return Ok(default);
    };
    choices
        .iter()
        .find(|(name, _)| *name == v.trim())
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            ConfigError::new(var, format!("`{v}` is not {}", names.join(", ")))
        })
}

/// `value`, unless it is below `min`.
pub(crate) fn at_least<T: PartialOrd + fmt::Display + Copy>(
    var: &'static str,
    value: T,
    min: T,
) -> Result<T, ConfigError> {
    if value < min {
        Err(ConfigError::new(var, format!("must be at least {min}")))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn src(pairs: &[(&'static str, &'static str)]) -> HashMap<&'static str, &'static str> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn every_parser_names_the_variable_and_quotes_the_value() {
        let s = src(&[("V", "x")]);
        for e in [
            number::<u32>(&s, "V", 1).unwrap_err(),
            seconds(&s, "V", 1.0).unwrap_err(),
            positive::<u64>(&s, "V", 1).unwrap_err(),
            flag(&s, "V").unwrap_err(),
            choice(&s, "V", 0, &[("a", 1)]).unwrap_err(),
        ] {
            assert_eq!(e.var, "V");
            assert!(e.message.contains("`x`"), "{e}");
        }
    }

    #[test]
    fn unset_values_take_their_default_and_zero_is_not_positive() {
        let s = src(&[("Z", "0")]);
        assert_eq!(number::<u32>(&s, "U", 7), Ok(7));
        assert_eq!(seconds(&s, "Z", 1.0), Ok(0.0));
        assert!(positive::<u64>(&s, "Z", 1).is_err());
        assert_eq!(
            first(&src(&[("B", "b")]), &["A", "B"]),
            Some(("B", "b".into()))
        );
    }
}
