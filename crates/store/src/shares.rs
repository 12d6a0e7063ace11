//! Shared links.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, ShareId, SharedLink, UserId};

use crate::StoreResult;

/// The order of a user's link list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareOrder {
    /// Newest first.
    CreatedDesc,
    /// Oldest first.
    CreatedAsc,
    /// By title, A to Z.
    TitleAsc,
    /// By title, Z to A.
    TitleDesc,
}

/// Where a page of links starts: just past the row with these sort keys (the key matching the
/// [`ShareOrder`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareKey {
    /// For the `Created*` orders.
    Created(DateTime<Utc>, ShareId),
    /// For the `Title*` orders.
    Title(String, ShareId),
}

/// Which of a user's links to list.
#[derive(Clone, Debug)]
pub struct ShareQuery<'a> {
    /// Order.
    pub order: ShareOrder,
    /// Only links whose title contains every one of these (lower-case) words.
    pub title_words: &'a [String],
    /// Keyset cursor.
    pub after: Option<ShareKey>,
    /// Rows to return.
    pub limit: u32,
}

/// What a link update does to the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordChange<'a> {
    /// Leaves it as it is.
    Keep,
    /// Sets this hash.
    Set(&'a str),
    /// Removes it.
    Clear,
}

/// Rows of `shared_links`. Every read but the deletion sees only links whose conversation is
/// live (not deleted), so deleting a conversation takes its links offline with it.
#[async_trait]
pub trait ShareStore: Send + Sync {
    /// Stores a new link, with the hash of its password if it has one.
    async fn create_shared_link(
        &self,
        link: &SharedLink,
        password_hash: Option<&str>,
    ) -> StoreResult<()>;

    /// One of a user's links.
    async fn shared_link(&self, user_id: UserId, id: &ShareId) -> StoreResult<SharedLink>;

    /// A conversation's newest link, if it has one.
    async fn conversation_shared_link(
        &self,
        user_id: UserId,
        conversation_id: ConversationId,
    ) -> StoreResult<Option<SharedLink>>;

    /// A page of a user's links.
    async fn shared_links(
        &self,
        user_id: UserId,
        query: &ShareQuery<'_>,
    ) -> StoreResult<Vec<SharedLink>>;

    /// Rewrites link `id` of the user with `link`'s ID (a refresh gives a new one), title,
    /// snapshot time, expiry and update time; `NotFound` when there is no such link.
    async fn update_shared_link(
        &self,
        user_id: UserId,
        id: &ShareId,
        link: &SharedLink,
        password: PasswordChange<'_>,
    ) -> StoreResult<()>;

    /// Deletes one of a user's links; `false` when there was none.
    async fn delete_shared_link(&self, user_id: UserId, id: &ShareId) -> StoreResult<bool>;

    /// Any user's link by ID, with its password hash, for the public view.
    async fn public_shared_link(
        &self,
        id: &ShareId,
    ) -> StoreResult<Option<(SharedLink, Option<String>)>>;
}
