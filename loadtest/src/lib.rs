//! The scopegate TTL lab: what the API Gateway authorizer cache TTL buys
//! (fewer Lambda invocations, lower cost and latency) and what it costs
//! (requests answered after a token expired or was revoked).
#![forbid(unsafe_code)]
