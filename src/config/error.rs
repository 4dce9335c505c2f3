//! The one error start-up reports for a bad setting: the variable and what is wrong.

use std::borrow::Cow;
use std::fmt;

/// A setting that is missing or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable (or flag standing for it) that is wrong.
    pub var: Cow<'static, str>,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `var`.
    pub fn new(var: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            var: Cow::Borrowed(var),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.message)
    }
}

impl std::error::Error for ConfigError {}
