//! Business rules of ferrochat, shared by every front door (LibreChat compat, REST v1,
//! GraphQL, WebSocket, CLI).
//!
//! A service validates its input, applies the rules (ownership, uniqueness, roles) and calls
//! the store. It never sees an HTTP type and never writes SQL, so a rule lives in exactly one
//! place whichever door a request came through.
#![warn(missing_docs)]

pub mod api_keys;
pub mod auth;
pub mod backup;
pub mod chat;
pub mod clock;
pub mod conversations;
pub mod crypto;
pub mod digest;
mod error;
pub mod events;
pub mod export;
pub mod files;
pub mod folders;
pub mod fork;
mod images;
pub mod import;
pub mod keys;
mod paging;
pub mod password;
pub mod presets;
pub mod prompts;
pub mod search;
pub mod shares;
pub mod speech;
pub mod tags;
pub mod usage;
pub mod users;
pub mod validate;
pub mod webhooks;

use std::sync::Arc;

use ferrochat_mail::Mailer;
use ferrochat_store::DynStore;

use crate::auth::external::Providers;
use crate::auth::{AuthPolicy, AuthService, tokens::AccessTokens};
use crate::crypto::SecretBox;

pub use api_keys::ApiKeyService;
pub use backup::{
    BackupPolicy, BackupRemote, BackupReport, BackupService, FileCounts, RestoreReport,
};
pub use chat::ChatService;
pub use clock::{Clock, SystemClock};
pub use conversations::ConversationService;
pub use digest::{DigestPolicy, DigestRun, DigestService, DigestStatus};
pub use error::{FieldError, ServiceError, ServiceResult};
pub use files::{Checksum, ChecksumAlgorithm, FilePolicy, FileService};
pub use folders::FolderService;
pub use import::ImportService;
pub use keys::KeyService;
pub use presets::PresetService;
pub use prompts::PromptService;
pub use search::SearchService;
pub use shares::{SharePolicy, ShareService};
pub use speech::SpeechService;
pub use tags::TagService;
pub use usage::UsageService;
pub use users::UserService;
pub use webhooks::{WebhookPolicy, WebhookService};

/// Every service, built once at start and shared by the front doors.
#[derive(Clone)]
pub struct Services {
    /// The store the services were built on; ops routes use it for readiness and metrics.
    pub store: DynStore,
    /// Accounts.
    pub users: UserService,
    /// Sign-in, sessions and tokens.
    pub auth: AuthService,
    /// Conversations and messages.
    pub conversations: ConversationService,
    /// Bookmarks.
    pub tags: TagService,
    /// Folders.
    pub folders: FolderService,
    /// Presets.
    pub presets: PresetService,
    /// The chat engine.
    pub chat: ChatService,
    /// User-provided API keys.
    pub keys: KeyService,
    /// Personal API keys for the native API.
    pub api_keys: ApiKeyService,
    /// Message search.
    pub search: SearchService,
    /// Shared links.
    pub shares: ShareService,
    /// Imports from other chat apps' exports.
    pub imports: ImportService,
    /// Webhooks and their delivery queue.
    pub webhooks: WebhookService,
    /// Backups of the whole database.
    pub backups: BackupService,
    /// Prompt templates.
    pub prompts: PromptService,
    /// Usage analytics.
    pub usage: UsageService,
    /// Weekly digests.
    pub digest: DigestService,
    /// Server-side speech to text and text to speech.
    pub speech: SpeechService,
    /// Uploaded files.
    pub files: FileService,
    /// What changed, for the WebSocket door (and other instances, through a relay).
    pub events: events::EventBus,
}

/// Everything the services are built from: the store and the side-effect edges.
pub struct Deps {
    /// Storage.
    pub store: DynStore,
    /// Access-token keys.
    pub tokens: AccessTokens,
    /// Sign-in rules from configuration.
    pub policy: AuthPolicy,
    /// Outgoing mail.
    pub mailer: Arc<dyn Mailer>,
    /// Encryption of secrets at rest.
    pub secret_box: SecretBox,
    /// Configured identity providers.
    pub providers: Providers,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Model endpoints.
    pub endpoints: Arc<chat::Endpoints>,
    /// What sharing by link allows.
    pub sharing: SharePolicy,
    /// What webhooks may do.
    pub webhooks: WebhookPolicy,
    /// Where backups go, and how often.
    pub backup: BackupPolicy,
    /// Where file contents go.
    pub blobs: ferrochat_blobs::Blobs,
    /// What uploads may do.
    pub files: FilePolicy,
    /// Signs image links (derived from a server secret).
    pub file_link_key: Vec<u8>,
    /// When weekly digests go out, and their links.
    pub digest: DigestPolicy,
}

impl Services {
    /// Builds every service from its dependencies.
    pub fn new(deps: Deps) -> Self {
        let files = FileService::new(
            deps.store.clone(),
            deps.blobs.clone(),
            deps.clock.clone(),
            deps.files.clone(),
        )
        .with_link_key(&deps.file_link_key);
        let users =
            UserService::new(deps.store.clone(), deps.clock.clone()).with_files(files.clone());
        let events = events::EventBus::default();
        let conversations =
            ConversationService::new(deps.store.clone(), deps.clock.clone(), events.clone());
        let tags = TagService::new(deps.store.clone(), deps.clock.clone(), events.clone());
        let folders = FolderService::new(deps.store.clone(), deps.clock.clone(), events.clone());
        let presets = PresetService::new(deps.store.clone(), deps.clock.clone());
        let prompts = PromptService::new(deps.store.clone(), deps.clock.clone());
        let usage = UsageService::new(deps.store.clone(), deps.clock.clone());
        let digest = DigestService::new(
            deps.store.clone(),
            deps.clock.clone(),
            deps.mailer.clone(),
            deps.digest.clone(),
        );
        let api_keys = ApiKeyService::new(deps.store.clone(), deps.clock.clone());
        let speech = SpeechService::new(deps.endpoints.clone());
        let search = SearchService::new(deps.store.clone());
        let shares = ShareService::new(deps.store.clone(), deps.clock.clone(), deps.sharing);
        let imports = ImportService::new(deps.store.clone(), deps.clock.clone(), events.clone());
        let webhooks = WebhookService::new(
            deps.store.clone(),
            deps.clock.clone(),
            deps.secret_box.clone(),
            deps.endpoints.egress_guard().clone(),
            deps.webhooks.clone(),
        );
        let backups =
            BackupService::new(deps.store.clone(), deps.clock.clone(), deps.backup.clone())
                .with_blobs(deps.blobs.clone());
        if deps.webhooks.enabled {
            events.set_outbox(webhooks.outbox());
        }
        let keys = KeyService::new(
            deps.store.clone(),
            deps.clock.clone(),
            deps.secret_box.clone(),
            deps.endpoints.clone(),
        );
        let chat = ChatService::new(
            deps.store.clone(),
            deps.clock.clone(),
            deps.endpoints.clone(),
            keys.clone(),
            events.clone(),
        )
        .with_files(files.clone());
        let auth = AuthService::new(deps, users.clone());
        Self {
            store: auth.store().clone(),
            users,
            auth,
            conversations,
            tags,
            folders,
            presets,
            chat,
            keys,
            api_keys,
            search,
            shares,
            imports,
            webhooks,
            backups,
            prompts,
            usage,
            digest,
            speech,
            files,
            events,
        }
    }
}
