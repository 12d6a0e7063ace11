//! Timestamps are stored as BIGINT milliseconds since the Unix epoch on both engines: they
//! sort and compare identically everywhere, which keyset pagination relies on.

use chrono::{DateTime, Utc};

use crate::StoreError;

/// Converts a stored value to a timestamp.
pub fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Other(format!("timestamp {ms} out of range").into()))
}

/// Converts an optional stored value to a timestamp.
pub fn from_millis_opt(ms: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    ms.map(from_millis).transpose()
}

/// Converts a timestamp to its stored value.
pub fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Parses a stored ID column.
pub fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Other(format!("malformed id `{text}` in database").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let now = DateTime::from_timestamp_millis(1_764_000_000_123).unwrap();
        assert_eq!(from_millis(to_millis(now)).unwrap(), now);
        assert!(from_millis(i64::MAX).is_err());
    }
}
