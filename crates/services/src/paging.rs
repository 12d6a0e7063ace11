//! Keyset pages, the same way for every list: a checked page size, cursors of the form
//! `<ms>_<id>` (opaque to clients), and one row fetched beyond the page to know whether
//! another follows.

use chrono::{DateTime, Utc};

use crate::{ServiceError, ServiceResult};

/// `requested` or `default`, refused unless 1 to `max`.
pub(crate) fn limit(requested: Option<u32>, default: u32, max: u32) -> ServiceResult<u32> {
    let limit = requested.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// The cursor after a row at `at` with `id`.
pub(crate) fn cursor(at: DateTime<Utc>, id: impl std::fmt::Display) -> String {
    format!("{}_{}", at.timestamp_millis(), id)
}

/// The position a [`cursor`] names; anything else is invalid.
pub(crate) fn decode_cursor<Id: std::str::FromStr>(
    text: &str,
) -> ServiceResult<(DateTime<Utc>, Id)> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor from this server");
    let (ms, id) = text.split_once('_').ok_or_else(bad)?;
    let at = ms
        .parse::<i64>()
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .ok_or_else(bad)?;
    Ok((at, id.parse().map_err(|_| bad())?))
}

/// Trims `rows` (fetched with `limit + 1`) to the page and returns the next page's cursor,
/// `None` on the last page.
pub(crate) fn finish<T>(
    rows: &mut Vec<T>,
    limit: u32,
    cursor_of: impl FnOnce(&T) -> String,
) -> Option<String> {
    let page = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > page;
    rows.truncate(page);
    if more {
        rows.last().map(cursor_of)
    } else {
        None
    }
}
