//! The wall clock, in the unit every time rule uses: Unix seconds as `f64`
//! (JWT `exp` may carry fractions). Only entry points read it; the stages
//! take `now` as an argument, so tests and `replay --now` inject time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds from the wall clock (0 if the clock is before 1970).
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
