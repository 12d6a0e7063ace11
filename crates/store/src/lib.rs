//! Storage contracts for ferrochat.
//!
//! One trait per aggregate (`UserStore`, `SessionStore`, …) combined into [`Store`], which the
//! rest of the server holds as `Arc<dyn Store>` so no handler carries a database type
//! parameter. Engines live in `ferrochat-store-sqlite` and `ferrochat-store-postgres`; this crate
//! owns what they share: the error type, pool options and statistics, migration status and the
//! query profiler. It holds no business rules: ownership, validation and the like belong to
//! services.
#![warn(missing_docs)]

mod api_keys;
mod auth_tokens;
mod backup;
mod chat;
mod conversations;
mod digest;
mod error;
mod files;
mod maintenance;
mod organize;
mod pool;
pub mod profile;
mod prompts;
mod search;
mod sessions;
mod shares;
pub mod sql;
mod two_factor;
mod usage;
mod users;
mod webhooks;

use std::sync::Arc;

pub use api_keys::ApiKeyStore;
pub use auth_tokens::AuthTokenStore;
pub use backup::{BackupCounts, BackupStore, DumpSink, LoadItem};
pub use chat::{Balance, BalanceStore, ChatStore, StoredKey, TurnStart, UserKeyStore};
pub use conversations::{
    ConversationChange, ConversationCursor, ConversationFilter, ConversationStore,
};
pub use digest::{ActiveConversation, DigestRecipient, DigestStore};
pub use error::{StoreError, StoreResult};
pub use files::FileStore;
pub use maintenance::{Engine, Maintenance, MigrationInfo, migration_status};
pub use organize::{FolderStore, PresetStore, TagChange, TagStore};
pub use pool::{PoolOptions, PoolStats};
pub use profile::Profiler;
pub use prompts::{PromptDeleted, PromptGroupQuery, PromptStore};
pub use search::{MessageHit, SearchCursor, SearchStore};
pub use sessions::SessionStore;
pub use shares::{PasswordChange, ShareKey, ShareOrder, ShareQuery, ShareStore};
pub use two_factor::{TotpState, TwoFactorStore};
pub use usage::{UsageGroup, UsageQuery, UsageRow, UsageStore};
pub use users::{UserPage, UserStore};
pub use webhooks::{Attempt, ClaimedDelivery, WebhookStore};

/// Everything the services need from storage, as one object.
pub trait Store:
    UserStore
    + SessionStore
    + AuthTokenStore
    + TwoFactorStore
    + ConversationStore
    + TagStore
    + FolderStore
    + PresetStore
    + ChatStore
    + UserKeyStore
    + BalanceStore
    + ApiKeyStore
    + SearchStore
    + ShareStore
    + WebhookStore
    + BackupStore
    + PromptStore
    + FileStore
    + UsageStore
    + DigestStore
    + Maintenance
{
}

impl<T> Store for T where
    T: UserStore
        + SessionStore
        + AuthTokenStore
        + TwoFactorStore
        + ConversationStore
        + TagStore
        + FolderStore
        + PresetStore
        + ChatStore
        + UserKeyStore
        + BalanceStore
        + ApiKeyStore
        + SearchStore
        + ShareStore
        + WebhookStore
        + BackupStore
        + PromptStore
        + FileStore
        + UsageStore
        + DigestStore
        + Maintenance
{
}

/// The handle every layer above storage passes around.
pub type DynStore = Arc<dyn Store>;
