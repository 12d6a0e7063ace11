//! Over-the-wire tests of the assembled server: one test binary, one module per area.

mod it;
