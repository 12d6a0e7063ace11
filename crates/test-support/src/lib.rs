//! Test harness for ferrochat: throwaway databases ([`TestDb`]), the real server on an
//! ephemeral port ([`TestApp`]) and fixture builders. Panicking on setup failure is the right
//! behaviour here, so the workspace's `unwrap`/`expect` lints are relaxed for this crate only.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![warn(missing_docs)]

mod app;
mod db;
pub mod fake_llm;
pub mod fixtures;
pub mod idp;
pub mod node;
pub mod port;
pub mod smtp;
pub mod sse;

pub use app::{TestApp, TestAppBuilder};
pub use db::TestDb;
