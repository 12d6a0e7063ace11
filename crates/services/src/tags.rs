//! Bookmarks: named labels on conversations (LibreChat's conversation tags), in an order the
//! user chooses. Counts are computed from the links, so they never drift.

use std::sync::Arc;

use ferrochat_core::{ConversationId, Tag, UserId};
use ferrochat_store::{DynStore, StoreError, TagChange};

use crate::validate::{Checks, label, text_max};
use crate::{Clock, ServiceError, ServiceResult};

/// Longest bookmark name.
pub const TAG_MAX: usize = 100;
/// Longest description.
pub const DESCRIPTION_MAX: usize = 1000;
/// Most bookmarks on one conversation.
pub const TAGS_PER_CONVERSATION: usize = 50;

/// Bookmark rules.
#[derive(Clone)]
pub struct TagService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    events: crate::events::EventBus,
}

fn tag_error(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("tag"),
        StoreError::Conflict { .. } => ServiceError::Conflict { field: "tag" },
        other => other.into(),
    }
}

fn conversation_error(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("conversation"),
        other => other.into(),
    }
}

impl TagService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, events: crate::events::EventBus) -> Self {
        Self {
            store,
            clock,
            events,
        }
    }

    /// The user's bookmarks in menu order, with counts.
    pub async fn list(&self, user: UserId) -> ServiceResult<Vec<Tag>> {
        Ok(self.store.tags(user).await?)
    }

    /// Creates a bookmark at the end of the menu; an existing one of that name is returned
    /// as it is (LibreChat's behaviour, so a double click does no harm). With `conversation`,
    /// the bookmark is also put on that conversation.
    pub async fn create(
        &self,
        user: UserId,
        name: &str,
        description: Option<&str>,
        conversation: Option<ConversationId>,
    ) -> ServiceResult<Tag> {
        let mut checks = Checks::default();
        let name = label(name, "tag", TAG_MAX, &mut checks);
        text_max(description, "description", DESCRIPTION_MAX, &mut checks);
        checks.finish()?;
        if let Some(conversation) = conversation {
            // Before creating anything: a foreign conversation must leave no trace.
            self.store
                .conversation(user, conversation)
                .await
                .map_err(conversation_error)?;
        }
        match self
            .store
            .create_tag(user, &name, description, self.clock.now())
            .await
        {
            Ok(_) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(conversation) = conversation {
            let mut names = self
                .store
                .conversation_tags(user, conversation)
                .await
                .map_err(conversation_error)?;
            if !names.contains(&name) {
                names.push(name.clone());
                self.set_for_conversation(user, conversation, &names)
                    .await?;
            }
        }
        self.get(user, &name).await
    }

    /// One bookmark by name.
    pub async fn get(&self, user: UserId, name: &str) -> ServiceResult<Tag> {
        self.store
            .tags(user)
            .await?
            .into_iter()
            .find(|t| t.name == name)
            .ok_or(ServiceError::NotFound("tag"))
    }

    /// Renames, describes or moves a bookmark. Renaming onto another bookmark's name is a
    /// conflict (LibreChat answers 500; a user is better told).
    pub async fn update(
        &self,
        user: UserId,
        name: &str,
        new_name: Option<&str>,
        description: Option<Option<&str>>,
        position: Option<i64>,
    ) -> ServiceResult<Tag> {
        let mut checks = Checks::default();
        let new_name = new_name.map(|n| label(n, "tag", TAG_MAX, &mut checks));
        text_max(
            description.flatten(),
            "description",
            DESCRIPTION_MAX,
            &mut checks,
        );
        if position.is_some_and(|p| p < 0) {
            checks.fail("position", "must be 0 or more");
        }
        checks.finish()?;
        let change = TagChange {
            name: new_name.as_deref(),
            description,
            position,
        };
        self.store
            .update_tag(user, name, change, self.clock.now())
            .await
            .map_err(tag_error)
    }

    /// Deletes a bookmark, taking it off every conversation; returns it as it was.
    pub async fn delete(&self, user: UserId, name: &str) -> ServiceResult<Tag> {
        self.store.delete_tag(user, name).await.map_err(tag_error)
    }

    /// Sets exactly these bookmarks on a conversation (creating missing ones); returns the
    /// conversation's bookmarks in menu order.
    pub async fn set_for_conversation(
        &self,
        user: UserId,
        conversation: ConversationId,
        names: &[String],
    ) -> ServiceResult<Vec<String>> {
        let mut checks = Checks::default();
        let mut clean: Vec<String> = Vec::with_capacity(names.len());
        for n in names {
            let n = label(n, "tags", TAG_MAX, &mut checks);
            if !clean.contains(&n) {
                clean.push(n);
            }
        }
        if clean.len() > TAGS_PER_CONVERSATION {
            checks.fail(
                "tags",
                format!("at most {TAGS_PER_CONVERSATION} bookmarks per conversation"),
            );
        }
        checks.finish()?;
        let tags = self
            .store
            .set_conversation_tags(user, conversation, &clean, self.clock.now())
            .await
            .map_err(conversation_error)?;
        self.events.conversation(
            user,
            crate::events::EventKind::ConversationUpdated,
            conversation,
        );
        Ok(tags)
    }
}
