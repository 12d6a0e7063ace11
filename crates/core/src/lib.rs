//! Domain types shared by every layer of ferrochat.
//!
//! This crate owns the vocabulary (users, sessions, roles, newtype IDs) and nothing else: it does
//! no IO and knows neither SQL nor HTTP, so every other crate can depend on it without pulling a
//! runtime in.
#![warn(missing_docs)]

pub mod api_key;
pub mod auth_token;
pub mod conversation;
pub mod file;
pub mod generation;
pub mod html;
pub mod id;
pub mod json_text;
pub mod organize;
pub mod prompt;
pub mod session;
pub mod share;
pub mod user;
pub mod webhook;

pub use api_key::{ApiKey, Scope};
pub use auth_token::{AuthToken, TokenPurpose};
pub use conversation::{Conversation, Message};
pub use file::{Upload, UserFile};
pub use generation::{Generation, Outcome};
pub use id::{
    ApiKeyId, AuthTokenId, ConversationId, DeliveryId, FileId, FolderId, MessageId, PromptGroupId,
    PromptId, SessionId, TagId, UploadId, UserId, WebhookId,
};
pub use json_text::JsonText;
pub use organize::{Folder, Preset, Tag};
pub use prompt::{Prompt, PromptGroup, PromptKind};
pub use session::Session;
pub use share::{ShareId, SharedLink};
pub use user::{NewUser, Role, User};
pub use webhook::{Delivery, DeliveryStatus, Webhook};
