//! Where configuration values come from: the process environment in Lambda,
//! a map in tests, `replay` and `explain`.

use std::collections::HashMap;

/// Where configuration values come from.
pub trait Strings {
    /// The value of `name`, if set.
    fn get(&self, name: &str) -> Option<String>;
    /// Every name set, so that an unknown `SCOPEGATE_*` one stops the start.
    fn names(&self) -> Vec<String>;
}

/// The process environment.
pub struct Env;

impl Strings for Env {
    fn get(&self, name: &str) -> Option<String> {
        #[allow(clippy::disallowed_methods)] // the one place the environment is read
        std::env::var(name).ok()
    }

    fn names(&self) -> Vec<String> {
        #[allow(clippy::disallowed_methods)] // the one place the environment is read
        std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect()
    }
}

impl Strings for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

impl Strings for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(std::string::ToString::to_string)
    }

    fn names(&self) -> Vec<String> {
        self.keys().map(std::string::ToString::to_string).collect()
    }
}
