//! The archive against a real local directory and a real S3-protocol server (see
//! `support.rs` for the server and the fixtures).

mod checkpoint;
mod concurrency;
mod cost;
mod decisions;
mod errors;
mod import;
mod server;
mod support;
mod verify;
