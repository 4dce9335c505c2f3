//! Stage 5, scopes: the permissions document ([`permissions`]) or its
//! DynamoDB items ([`items`]), validated at start-up and compiled into a
//! scope → bit table ([`table`]).

pub mod items;
pub mod permissions;
pub mod table;

pub use permissions::{PermissionLimits, PermissionsError, Rule, RuleRoute, parse_rules};
pub use table::{Bits, Parts, Reach, ScopeTable};
