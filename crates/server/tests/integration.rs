//! Over-the-wire tests of the assembled server: one test binary, one module per area.
// Test code: a panic is how a failure is reported, so unwrap/expect are fine here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod it;
