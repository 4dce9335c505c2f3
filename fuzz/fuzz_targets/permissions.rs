//! The permissions document parser and the scope table compiled from it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use scopegate::policy::Grant;
use scopegate::scopes::{PermissionLimits, ScopeTable, parse_rules};

fuzz_target!(|data: &[u8]| {
    if let Ok(rules) = parse_rules(data, PermissionLimits::default()) {
        let table = ScopeTable::compile(&rules);
        let scopes: Vec<&str> = rules.iter().map(|r| r.scope.as_str()).collect();
        let _ = Grant::render(&table, &table.bits(scopes.iter().copied()));
    }
});
