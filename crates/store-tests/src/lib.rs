//! The store conformance suite: stories written once against the `Store` traits and run on
//! every engine (see `tests/conformance.rs`). An engine passes when it behaves identically here,
//! whatever its SQL looks like.
//!
//! Stories panic on the first divergence, which is what a test wants; the unwrap/expect lints
//! are relaxed for this crate only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![warn(missing_docs)]

pub mod chat;
pub mod conversations;
pub mod digest;
pub mod files;
pub mod organize;
pub mod prompts;
pub mod search;
pub mod sessions;
pub mod shares;
pub mod usage;
pub mod users;
pub mod webhooks;

use chrono::{DateTime, Duration, Utc};

/// A fixed "now" so stories compare timestamps exactly (millisecond precision, as stored).
pub fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_764_000_000_000).unwrap()
}

/// `t0` plus some minutes.
pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}
