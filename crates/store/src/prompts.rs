//! Prompt templates: groups and their versions.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::{Prompt, PromptGroup, PromptGroupId, PromptId, UserId};

use crate::StoreResult;

/// Which of a user's prompt groups to list, most recently changed first.
#[derive(Clone, Debug, Default)]
pub struct PromptGroupQuery<'a> {
    /// Only groups whose name contains this (case-insensitive, lower-case given).
    pub name: Option<&'a str>,
    /// Only this category.
    pub category: Option<&'a str>,
    /// Keyset cursor: just past this group.
    pub after: Option<(DateTime<Utc>, PromptGroupId)>,
    /// Rows skipped first (LibreChat's page numbers).
    pub offset: u32,
    /// Rows to return.
    pub limit: u32,
}

/// What deleting a version did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptDeleted {
    /// The version is gone; the group keeps others.
    Version,
    /// It was the last one: the group is gone too.
    Group(PromptGroupId),
}

/// Rows of `prompt_groups` and `prompts`; every call is scoped to the owner.
#[async_trait]
pub trait PromptStore: Send + Sync {
    /// Stores a new group with its first version, which is in use.
    async fn create_prompt_group(&self, group: &PromptGroup, first: &Prompt) -> StoreResult<()>;

    /// One of a user's groups, with its production text.
    async fn prompt_group(&self, user_id: UserId, id: PromptGroupId) -> StoreResult<PromptGroup>;

    /// A page of a user's groups.
    async fn prompt_groups(
        &self,
        user_id: UserId,
        query: &PromptGroupQuery<'_>,
    ) -> StoreResult<Vec<PromptGroup>>;

    /// How many of a user's groups match (for LibreChat's page count).
    async fn count_prompt_groups(
        &self,
        user_id: UserId,
        query: &PromptGroupQuery<'_>,
    ) -> StoreResult<u64>;

    /// The user's group with this slash command, if any.
    async fn prompt_group_by_command(
        &self,
        user_id: UserId,
        command: &str,
    ) -> StoreResult<Option<PromptGroup>>;

    /// Rewrites a group's name, command, one-liner, category and update time; `NotFound` when
    /// the user has no such group, `Conflict` when the command is taken.
    async fn update_prompt_group(&self, group: &PromptGroup) -> StoreResult<()>;

    /// Deletes a group and its versions; `false` when there was none.
    async fn delete_prompt_group(&self, user_id: UserId, id: PromptGroupId) -> StoreResult<bool>;

    /// Adds a version to one of the user's groups (and touches the group); when `production`,
    /// it becomes the one in use. `NotFound` when the user has no such group.
    async fn add_prompt(&self, prompt: &Prompt, production: bool) -> StoreResult<()>;

    /// A group's versions, newest first.
    async fn prompts(&self, user_id: UserId, group_id: PromptGroupId) -> StoreResult<Vec<Prompt>>;

    /// One version.
    async fn prompt(&self, user_id: UserId, id: PromptId) -> StoreResult<Prompt>;

    /// Puts a version of the user's in use in its group.
    async fn make_production(
        &self,
        user_id: UserId,
        id: PromptId,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Deletes a version; the newest remaining one takes over when it was in use, and the group
    /// goes with its last version.
    async fn delete_prompt(
        &self,
        user_id: UserId,
        id: PromptId,
        at: DateTime<Utc>,
    ) -> StoreResult<PromptDeleted>;
}
