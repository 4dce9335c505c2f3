//! What tests, benches, fuzz targets and the lab need to exercise the real
//! authorizer, and the Lambda binary never carries (feature `testkit`):
//! signing keys and tokens ([`mint`]) and the fixture generator
//! ([`fixture`]) whose ground truth the replay is compared with.

pub mod documents;
pub mod fixture;
pub mod mint;
