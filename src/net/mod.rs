//! Everything that leaves the process: the one HTTP client and its URL rule
//! ([`http`]), OIDC discovery, fetched once per issuer and shared by keys
//! and introspection ([`discovery`]), S3 objects and DynamoDB tables by
//! SigV4 ([`s3`], [`dynamodb`], [`sigv4`]), and the record of each outbound
//! call for metrics and traces ([`calls`]).

pub mod calls;
pub mod discovery;
pub mod dynamodb;
pub mod http;
pub mod s3;
pub mod sigv4;
