//! The schema. Objects are thin views over domain types; every resolver goes through a service
//! as the caller taken from the request's data.

use async_graphql::{
    Context, Error, ErrorExtensions, ID, Json, Object, Schema, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use ferrochat_core::{Conversation, ConversationId, FileId, Message, Scope, SharedLink, UserFile};
use ferrochat_services::ServiceError;
use ferrochat_services::conversations::ConversationFilter;
use ferrochat_services::shares::{ShareListing, ShareOrder};
use ferrochat_web::{ApiError, AppState, AuthUser};
use futures_util::Stream;
use serde_json::Value;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

/// The schema type.
pub type AppSchema = Schema<Query, Mutation, Events>;

/// Deepest query accepted: the schema's real nesting is four levels (page, node, messages,
/// fields); ten leaves room for fragments and refuses abuse.
const MAX_DEPTH: usize = 10;
/// Most fields one query may select, counted over lists too.
const MAX_COMPLEXITY: usize = 2_000;

/// Builds the schema with its limits. No introspection limits: the schema is public anyway.
pub fn build_schema() -> AppSchema {
    Schema::build(Query, Mutation, Events)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// A service error as a GraphQL error with the REST door's code (`not_found`,
/// `validation_failed`, …) and, for invalid input, each field's problem.
fn failure(err: ServiceError) -> Error {
    let api = ApiError::from(err);
    let fields: Vec<Value> = api
        .errors
        .iter()
        .map(|f| serde_json::json!({ "field": f.field, "message": f.message }))
        .collect();
    Error::new(api.detail.clone()).extend_with(|_, ext| {
        ext.set("code", api.code.as_str());
        if !fields.is_empty() {
            ext.set(
                "fields",
                async_graphql::Value::from_json(Value::Array(fields.clone())).unwrap_or_default(),
            );
        }
    })
}

fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a AppState, &'a AuthUser)> {
    Ok((ctx.data::<AppState>()?, ctx.data::<AuthUser>()?))
}

/// Mutations change data: an API key needs the `write` scope for them.
fn writer<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a AppState, &'a AuthUser)> {
    let (state, auth) = caller(ctx)?;
    if !auth.allows(Scope::Write) {
        return Err(failure(ServiceError::Forbidden(
            "this API key lacks the `write` scope",
        )));
    }
    Ok((state, auth))
}

fn page_size(first: Option<i32>) -> async_graphql::Result<Option<u32>> {
    first
        .map(|n| {
            u32::try_from(n)
                .map_err(|_| failure(ServiceError::invalid("first", "must be between 1 and 100")))
        })
        .transpose()
}

fn conversation_id(id: &ID) -> async_graphql::Result<ConversationId> {
    id.parse()
        .map_err(|_| failure(ServiceError::NotFound("conversation")))
}

/// Where the next page starts.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Pass as `after` for the next page; null on the last.
    end_cursor: Option<String>,
    /// Whether another page follows.
    has_next_page: bool,
}

impl PageInfo {
    fn new(next: Option<String>) -> Self {
        Self {
            has_next_page: next.is_some(),
            end_cursor: next,
        }
    }
}

/// The signed-in user.
#[derive(SimpleObject)]
pub struct User {
    id: ID,
    email: String,
    name: String,
    username: Option<String>,
    /// `USER` or `ADMIN`.
    role: String,
    created_at: DateTime<Utc>,
}

/// A message.
#[derive(SimpleObject)]
#[graphql(name = "Message")]
pub struct MessageNode {
    id: ID,
    /// Null for a root.
    parent_id: Option<ID>,
    /// `User` or the model's label.
    sender: String,
    text: String,
    /// Content parts of an answer made of parts.
    content: Option<Json<Value>>,
    is_created_by_user: bool,
    model: Option<String>,
    endpoint: Option<String>,
    error: bool,
    unfinished: bool,
    created_at: DateTime<Utc>,
}

impl From<&Message> for MessageNode {
    fn from(m: &Message) -> Self {
        Self {
            id: ID(m.id.to_string()),
            parent_id: m.parent_id.map(|p| ID(p.to_string())),
            sender: m.sender.clone(),
            text: m.text.clone(),
            content: m.content.as_ref().map(|c| Json(c.to_value())),
            is_created_by_user: m.is_created_by_user,
            model: m.model.clone(),
            endpoint: m.endpoint.clone(),
            error: m.error,
            unfinished: m.unfinished,
            created_at: m.created_at,
        }
    }
}

/// A conversation.
pub struct ConversationNode(Conversation);

#[Object(name = "Conversation")]
impl ConversationNode {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn endpoint(&self) -> Option<&str> {
        self.0.endpoint.as_deref()
    }
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    async fn is_archived(&self) -> bool {
        self.0.is_archived
    }
    /// Bookmarks, in menu order.
    async fn tags(&self) -> &[String] {
        &self.0.tags
    }
    /// The model parameters and other settings kept on it.
    async fn settings(&self) -> Json<Value> {
        Json(self.0.settings.to_value())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The whole tree, parents first (one query).
    #[graphql(complexity = "100 * child_complexity")]
    async fn messages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MessageNode>> {
        let (state, auth) = caller(ctx)?;
        let messages = state
            .services
            .conversations
            .messages(auth.user.id, self.0.id)
            .await
            .map_err(failure)?;
        Ok(messages.iter().map(MessageNode::from).collect())
    }
}

/// A page of conversations, newest change first.
#[derive(SimpleObject)]
pub struct ConversationPage {
    nodes: Vec<ConversationNode>,
    page_info: PageInfo,
}

/// A search hit.
#[derive(SimpleObject)]
pub struct SearchHit {
    message: MessageNode,
    conversation_id: ID,
    conversation_title: String,
}

/// A page of search hits, newest first.
#[derive(SimpleObject)]
pub struct SearchPage {
    nodes: Vec<SearchHit>,
    page_info: PageInfo,
}

/// A shared link.
#[derive(SimpleObject)]
pub struct Share {
    id: ID,
    /// The page to hand out.
    url: String,
    conversation_id: ID,
    title: String,
    expires_at: Option<DateTime<Utc>>,
    has_password: bool,
    created_at: DateTime<Utc>,
}

impl Share {
    fn new(link: &SharedLink, client_url: &str) -> Self {
        Self {
            id: ID(link.id.to_string()),
            url: format!("{}/share/{}", client_url.trim_end_matches('/'), link.id),
            conversation_id: ID(link.conversation_id.to_string()),
            title: link.title.clone(),
            expires_at: link.expires_at,
            has_password: link.has_password,
            created_at: link.created_at,
        }
    }
}

/// An uploaded file (its bytes: `contentUrl`, with the same credentials).
#[derive(SimpleObject)]
pub struct File {
    id: ID,
    filename: String,
    content_type: String,
    bytes: u64,
    /// SHA-256 of the contents, hex.
    sha256: String,
    content_url: String,
    created_at: DateTime<Utc>,
}

impl From<&UserFile> for File {
    fn from(f: &UserFile) -> Self {
        Self {
            id: ID(f.id.to_string()),
            filename: f.filename.clone(),
            content_type: f.content_type.clone(),
            bytes: f.bytes,
            sha256: f.sha256.clone(),
            content_url: format!("/api/v1/files/{}/content", f.id),
            created_at: f.created_at,
        }
    }
}

/// A page of files, newest first.
#[derive(SimpleObject)]
pub struct FilePage {
    nodes: Vec<File>,
    page_info: PageInfo,
}

/// A page of shared links, newest first.
#[derive(SimpleObject)]
pub struct SharePage {
    nodes: Vec<Share>,
    page_info: PageInfo,
}

/// The caller's weekly digest subscription.
#[derive(SimpleObject)]
pub struct Digest {
    /// Whether this server sends weekly digests.
    available: bool,
    /// When the caller subscribed; null: not subscribed.
    subscribed_at: Option<DateTime<Utc>>,
    /// When the next digest goes out.
    next_at: DateTime<Utc>,
}

impl From<ferrochat_services::DigestStatus> for Digest {
    fn from(s: ferrochat_services::DigestStatus) -> Self {
        Self {
            available: s.available,
            subscribed_at: s.subscribed_at,
            next_at: s.next_at,
        }
    }
}

/// One of the caller's devices: an open event socket.
#[derive(SimpleObject)]
pub struct Device {
    /// Random ID given when the socket opened.
    id: ID,
    /// The socket's `User-Agent`.
    user_agent: Option<String>,
    /// When it connected.
    connected_at: Option<DateTime<Utc>>,
}

/// Whether the caller is online, and on which devices.
#[derive(SimpleObject)]
pub struct Presence {
    /// At least one device is connected.
    online: bool,
    /// Open event sockets, oldest connection first.
    devices: Vec<Device>,
}

/// Reads.
pub struct Query;

#[Object]
impl Query {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let (_, auth) = caller(ctx)?;
        let u = &auth.user;
        Ok(User {
            id: ID(u.id.to_string()),
            email: u.email.clone(),
            name: u.name.clone(),
            username: u.username.clone(),
            role: u.role.as_str().to_owned(),
            created_at: u.created_at,
        })
    }

    /// The caller's weekly digest subscription.
    async fn digest(&self, ctx: &Context<'_>) -> async_graphql::Result<Digest> {
        let (state, auth) = caller(ctx)?;
        let status = state
            .services
            .digest
            .status(auth.user.id)
            .await
            .map_err(failure)?;
        Ok(Digest::from(status))
    }

    /// The caller's connected devices (open event sockets, on every instance).
    async fn presence(&self, ctx: &Context<'_>) -> async_graphql::Result<Presence> {
        let (state, auth) = caller(ctx)?;
        let devices = state
            .presence
            .devices(&auth.user.id.to_string())
            .await
            .map_err(|e| failure(ServiceError::Unavailable(format!("presence: {e}"))))?;
        Ok(Presence {
            online: !devices.is_empty(),
            devices: devices
                .into_iter()
                .map(|d| Device {
                    id: ID(d.id),
                    user_agent: d.user_agent,
                    connected_at: DateTime::from_timestamp_millis(d.connected_at_ms),
                })
                .collect(),
        })
    }

    /// The caller's live conversations (archived ones with `archived: true`), optionally only
    /// those matching `search` (title or messages, as on the REST doors).
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(default)] archived: bool,
        search: Option<String>,
    ) -> async_graphql::Result<ConversationPage> {
        let (state, auth) = caller(ctx)?;
        let terms = search
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| ferrochat_services::search::terms(s, "search"))
            .transpose()
            .map_err(failure)?;
        let filter = ConversationFilter {
            archived,
            search: terms.as_deref(),
            ..ConversationFilter::default()
        };
        let page = state
            .services
            .conversations
            .list(auth.user.id, &filter, after.as_deref(), page_size(first)?)
            .await
            .map_err(failure)?;
        Ok(ConversationPage {
            nodes: page
                .conversations
                .into_iter()
                .map(ConversationNode)
                .collect(),
            page_info: PageInfo::new(page.next_cursor),
        })
    }

    /// One of the caller's conversations.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ConversationNode> {
        let (state, auth) = caller(ctx)?;
        let c = state
            .services
            .conversations
            .get(auth.user.id, conversation_id(&id)?)
            .await
            .map_err(failure)?;
        Ok(ConversationNode(c))
    }

    /// Full-text search over the caller's messages.
    async fn search_messages(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SearchPage> {
        let (state, auth) = caller(ctx)?;
        let page = state
            .services
            .search
            .messages(
                auth.user.id,
                &query,
                "query",
                after.as_deref(),
                page_size(first)?,
            )
            .await
            .map_err(failure)?;
        Ok(SearchPage {
            nodes: page
                .hits
                .iter()
                .map(|h| SearchHit {
                    message: MessageNode::from(&h.message),
                    conversation_id: ID(h.message.conversation_id.to_string()),
                    conversation_title: h.conversation_title.clone(),
                })
                .collect(),
            page_info: PageInfo::new(page.next_cursor),
        })
    }

    /// The caller's shared links.
    async fn shared_links(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<SharePage> {
        let (state, auth) = caller(ctx)?;
        let listing = ShareListing {
            order: ShareOrder::CreatedDesc,
            search: None,
            cursor: after.as_deref(),
            limit: page_size(first)?,
        };
        let page = state
            .services
            .shares
            .list(auth.user.id, listing)
            .await
            .map_err(failure)?;
        let client = &state.config.server.domain_client;
        Ok(SharePage {
            nodes: page.links.iter().map(|l| Share::new(l, client)).collect(),
            page_info: PageInfo::new(page.next_cursor),
        })
    }

    /// The caller's files, newest first (uploads: `/api/v1/files` or tus `/api/v1/uploads`).
    async fn files(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<FilePage> {
        let (state, auth) = caller(ctx)?;
        let page = state
            .services
            .files
            .list(auth.user.id, after.as_deref(), page_size(first)?)
            .await
            .map_err(failure)?;
        Ok(FilePage {
            nodes: page.files.iter().map(File::from).collect(),
            page_info: PageInfo::new(page.next_cursor),
        })
    }
}

/// Changes (an API key needs `write`).
pub struct Mutation;

#[Object]
impl Mutation {
    /// Renames a conversation.
    async fn rename_conversation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        title: String,
    ) -> async_graphql::Result<ConversationNode> {
        let (state, auth) = writer(ctx)?;
        let c = state
            .services
            .conversations
            .update(
                auth.user.id,
                conversation_id(&id)?,
                Some(&title),
                None,
                None,
            )
            .await
            .map_err(failure)?;
        Ok(ConversationNode(c))
    }

    /// Subscribes the caller to the weekly digest, or stops it (`forbidden` when the server
    /// sends none).
    async fn set_digest(
        &self,
        ctx: &Context<'_>,
        subscribed: bool,
    ) -> async_graphql::Result<Digest> {
        let (state, auth) = writer(ctx)?;
        let status = state
            .services
            .digest
            .set(auth.user.id, subscribed)
            .await
            .map_err(failure)?;
        Ok(Digest::from(status))
    }

    /// Archives or unarchives a conversation.
    async fn set_conversation_archived(
        &self,
        ctx: &Context<'_>,
        id: ID,
        archived: bool,
    ) -> async_graphql::Result<ConversationNode> {
        let (state, auth) = writer(ctx)?;
        let c = state
            .services
            .conversations
            .update(
                auth.user.id,
                conversation_id(&id)?,
                None,
                Some(archived),
                None,
            )
            .await
            .map_err(failure)?;
        Ok(ConversationNode(c))
    }

    /// Deletes a conversation (it can be restored until purged); false when there was none.
    async fn delete_conversation(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (state, auth) = writer(ctx)?;
        state
            .services
            .conversations
            .delete(auth.user.id, conversation_id(&id)?)
            .await
            .map_err(failure)
    }

    /// Deletes one of the caller's files (its contents too); false when there was none.
    async fn delete_file(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (state, auth) = writer(ctx)?;
        let Ok(id) = id.parse::<FileId>() else {
            return Ok(false);
        };
        match state.services.files.delete(auth.user.id, id).await {
            Ok(_) => Ok(true),
            Err(ServiceError::NotFound(_)) => Ok(false),
            Err(e) => Err(failure(e)),
        }
    }

    /// Brings back a deleted conversation.
    async fn restore_conversation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ConversationNode> {
        let (state, auth) = writer(ctx)?;
        let c = state
            .services
            .conversations
            .restore(auth.user.id, conversation_id(&id)?)
            .await
            .map_err(failure)?;
        Ok(ConversationNode(c))
    }
}

/// A change to the caller's data (see docs/realtime.md for the kinds).
#[derive(SimpleObject, Clone)]
pub struct Event {
    /// `conversation.created`, `message.created`, …
    #[graphql(name = "type")]
    kind: String,
    conversation_id: Option<ID>,
    message_id: Option<ID>,
    at: DateTime<Utc>,
}

/// Subscriptions.
pub struct Events;

#[Subscription]
impl Events {
    /// The caller's changes from now on. A subscriber that falls behind misses some (refetch).
    async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Event>> {
        let (state, auth) = caller(ctx)?;
        let user = auth.user.id;
        let rx = state.services.events.subscribe();
        Ok(BroadcastStream::new(rx).filter_map(move |item| {
            let e = item.ok()?;
            (e.user_id == user).then(|| Event {
                kind: e.kind.as_str().to_owned(),
                conversation_id: e.conversation_id.map(|c| ID(c.to_string())),
                message_id: e.message_id.map(|m| ID(m.to_string())),
                at: e.at,
            })
        }))
    }
}
