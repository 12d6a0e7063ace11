//! Folders: a conversation sits in at most one; deleting a folder keeps its conversations.

use std::sync::Arc;

use ferrochat_core::{Conversation, ConversationId, Folder, FolderId, UserId};
use ferrochat_store::{DynStore, StoreError};

use crate::validate::{Checks, label};
use crate::{Clock, ServiceError, ServiceResult};

/// Longest folder name.
pub const FOLDER_NAME_MAX: usize = 100;

/// Folder rules.
#[derive(Clone)]
pub struct FolderService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    events: crate::events::EventBus,
}

fn folder_error(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("folder"),
        StoreError::Conflict { .. } => ServiceError::Conflict { field: "name" },
        other => other.into(),
    }
}

fn folder_name(raw: &str) -> ServiceResult<String> {
    let mut checks = Checks::default();
    let name = label(raw, "name", FOLDER_NAME_MAX, &mut checks);
    checks.finish()?;
    Ok(name)
}

impl FolderService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, events: crate::events::EventBus) -> Self {
        Self {
            store,
            clock,
            events,
        }
    }

    /// The user's folders by name, with counts.
    pub async fn list(&self, user: UserId) -> ServiceResult<Vec<Folder>> {
        Ok(self.store.folders(user).await?)
    }

    /// One folder.
    pub async fn get(&self, user: UserId, id: FolderId) -> ServiceResult<Folder> {
        self.store.folder(user, id).await.map_err(folder_error)
    }

    /// Creates a folder; names are unique per user.
    pub async fn create(&self, user: UserId, name: &str) -> ServiceResult<Folder> {
        let now = self.clock.now();
        let folder = Folder {
            id: FolderId::new(),
            user_id: user,
            name: folder_name(name)?,
            count: 0,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_folder(&folder)
            .await
            .map_err(folder_error)?;
        Ok(folder)
    }

    /// Renames a folder.
    pub async fn rename(&self, user: UserId, id: FolderId, name: &str) -> ServiceResult<Folder> {
        let name = folder_name(name)?;
        self.store
            .rename_folder(user, id, &name, self.clock.now())
            .await
            .map_err(folder_error)
    }

    /// Deletes a folder; its conversations stay, outside any folder.
    pub async fn delete(&self, user: UserId, id: FolderId) -> ServiceResult<()> {
        if self.store.delete_folder(user, id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("folder"))
        }
    }

    /// Files a conversation into a folder, or (with `None`) takes it out. A foreign or missing
    /// folder is `NotFound("folder")`, a foreign or missing conversation `NotFound("conversation")`.
    pub async fn move_conversation(
        &self,
        user: UserId,
        conversation: ConversationId,
        folder: Option<FolderId>,
    ) -> ServiceResult<Conversation> {
        if let Some(folder) = folder {
            self.get(user, folder).await?;
        }
        let moved = self
            .store
            .move_conversation(user, conversation, folder)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound("conversation"),
                other => other.into(),
            })?;
        self.events.conversation(
            user,
            crate::events::EventKind::ConversationUpdated,
            conversation,
        );
        Ok(moved)
    }
}
