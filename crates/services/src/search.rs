//! Full-text search over a user's messages, and the query rules both doors share.
//!
//! A query is split into words (runs of letters and digits, lower-cased); a message matches
//! when every word starts one of its words, so `rust borrow` finds "the borrow checker in
//! Rust" and `borr` finds it too. Punctuation separates words and is otherwise ignored, which
//! also means nothing a user types is ever query syntax to an engine. Hits are the newest
//! first, a keyset cursor pages them.

use ferrochat_core::{MessageId, UserId};
use ferrochat_store::DynStore;

/// A matching message with its conversation's title (re-exported for the doors).
pub use ferrochat_store::MessageHit;

use crate::{ServiceError, ServiceResult, paging};

/// Default page size (LibreChat's).
pub const DEFAULT_PAGE: u32 = 25;
/// Largest page.
pub const MAX_PAGE: u32 = 100;
/// Longest query, in characters.
pub const QUERY_MAX: usize = 200;
/// Most words one query may hold.
pub const MAX_TERMS: usize = 16;

/// One page of hits.
#[derive(Clone, Debug)]
pub struct SearchPage {
    /// Matching messages, newest first, each with its conversation's title.
    pub hits: Vec<MessageHit>,
    /// Opaque cursor for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// The words of a query, as the store matches them; empty when it holds none (only
/// punctuation or spaces), which matches nothing. Longer than [`QUERY_MAX`] characters or more
/// than [`MAX_TERMS`] words is invalid (`field` names the query in the error).
pub fn terms(query: &str, field: &'static str) -> ServiceResult<Vec<String>> {
    if query.chars().count() > QUERY_MAX {
        return Err(ServiceError::invalid(
            field,
            format!("must be at most {QUERY_MAX} characters"),
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for word in query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if !out.contains(&word) {
            out.push(word);
        }
    }
    if out.len() > MAX_TERMS {
        return Err(ServiceError::invalid(
            field,
            format!("must hold at most {MAX_TERMS} words"),
        ));
    }
    Ok(out)
}

/// Message search.
#[derive(Clone)]
pub struct SearchService {
    store: DynStore,
}

impl SearchService {
    /// Builds the service.
    pub fn new(store: DynStore) -> Self {
        Self { store }
    }

    /// A page of the user's messages matching `query` (named `field` in errors).
    pub async fn messages(
        &self,
        user: UserId,
        query: &str,
        field: &'static str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> ServiceResult<SearchPage> {
        let limit = paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?;
        let terms = terms(query, field)?;
        let after = cursor.map(paging::decode_cursor::<MessageId>).transpose()?;
        let mut hits = self
            .store
            .search_messages(user, &terms, after, limit + 1)
            .await?;
        let next_cursor = paging::finish(&mut hits, limit, |h| {
            paging::cursor(h.message.created_at, h.message.id)
        });
        Ok(SearchPage { hits, next_cursor })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn queries_become_lower_case_words_of_letters_and_digits() {
        assert_eq!(
            terms("  Rust's borrow-checker, v2!  ", "q").unwrap(),
            ["rust", "s", "borrow", "checker", "v2"]
        );
        assert_eq!(
            terms("Ünïcode ÉTÉ 東京", "q").unwrap(),
            ["ünïcode", "été", "東京"]
        );
        assert_eq!(terms("rust RUST Rust", "q").unwrap(), ["rust"]);
        assert_eq!(terms("\"*:&|!()' OR NEAR", "q").unwrap(), ["or", "near"]);
        assert!(terms(" !? ", "q").unwrap().is_empty());
    }

    #[test]
    fn overlong_queries_are_refused() {
        assert!(terms(&"a".repeat(QUERY_MAX), "q").is_ok());
        assert!(terms(&"a".repeat(QUERY_MAX + 1), "q").is_err());
        let many: Vec<String> = (0..=MAX_TERMS).map(|i| format!("w{i}")).collect();
        assert!(terms(&many.join(" "), "q").is_err());
    }
}
