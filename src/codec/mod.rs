//! Codecs with no knowledge of tokens or AWS: strict base64url ([`b64`]),
//! the strict JSON reader for JOSE headers and claims ([`json`]), and the
//! JSON string writer ([`json_write`]), and percent-encoding ([`percent`]).
//! Leaves of the module graph.

pub mod b64;
pub mod json;
pub mod json_write;
pub mod percent;
pub mod terminal;
