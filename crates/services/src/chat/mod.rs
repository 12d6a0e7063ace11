//! The chat engine: a user sends a message and the answer streams in from the endpoint's
//! provider, and nothing they wrote is ever lost.
//!
//! [`ChatService::start`] checks the request, stores the user's message (with the conversation,
//! in one transaction) **before** any upstream call, then spawns a generation task that owns
//! the upstream stream and writes [`ChatEvent`]s into a bounded channel; the front doors only
//! forward them in their own framing. The task stores the answer when the upstream finishes,
//! when the client goes away (the partial answer; dropping the receiver cancels the upstream
//! call) and when the upstream fails (the error recorded as a content part and in the
//! generation record), then ends: no task, channel or connection outlives a generation.

mod attach;
pub mod balance;
mod context;
mod edit;
pub mod endpoints;
mod images;
mod office;
mod pdf;
mod recent;
mod run;
mod title;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use ferrochat_core::{
    Conversation, ConversationId, Generation, JsonText, Message, MessageId, UserId,
};
use ferrochat_providers::{ChatRequest, tokens};
use ferrochat_store::{DynStore, StoreError, TurnStart};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

pub use context::context_window;
pub use edit::EditedPart;
pub use endpoints::{Endpoints, UserCredentials, sender_label};

use crate::{Clock, ServiceError, ServiceResult};

/// Longest user message, in bytes.
pub const MAX_TEXT_BYTES: usize = 512 * 1024;
/// Events buffered per generation before the upstream is made to wait for a slow client.
/// Text that arrives while the channel is full goes out as one larger delta later, so a few
/// slots suffice; each event can carry up to 16 KB, which bounds a stalled stream's buffer.
const CHANNEL: usize = 16;

/// A request to answer.
#[derive(Clone, Debug, Default)]
pub struct ChatInput {
    /// Endpoint key.
    pub endpoint: String,
    /// Model; the endpoint's first model when absent.
    pub model: Option<String>,
    /// The conversation; `None` starts a new one.
    pub conversation_id: Option<ConversationId>,
    /// The message answered or continued from; `None` for a root.
    pub parent_message_id: Option<MessageId>,
    /// The user's text (ignored on regenerate, which re-answers a stored message).
    pub text: String,
    /// Regenerate: answer this stored user message again (a sibling of its old answers).
    pub regenerate: Option<MessageId>,
    /// Conversation settings from the request (model parameters, `promptPrefix`, …), merged
    /// into the stored ones.
    pub settings: Map<String, Value>,
    /// A temporary chat: no title is generated.
    pub is_temporary: bool,
    /// With `regenerate`: a part of one of the message's answers, rewritten by the user; the
    /// new answer goes on from the edited answer (see [`EditedPart`]).
    pub edited: Option<EditedPart>,
    /// Files of the user's attached to the new message (ignored on regenerate, which sends
    /// the stored message's files again).
    pub files: Vec<ferrochat_core::FileId>,
}

/// Which kind of content part a run step carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartKind {
    /// Answer text.
    Text,
    /// Reasoning.
    Think,
}

impl PartKind {
    /// A stored content part of this kind (§5.7).
    pub(crate) fn stored(self, text: impl Into<String>) -> Value {
        match self {
            PartKind::Text => json!({"type": "text", "text": text.into()}),
            PartKind::Think => json!({"type": "think", "think": text.into()}),
        }
    }
}

/// The end of a generation.
#[derive(Clone, Debug)]
pub struct FinalEvent {
    /// The conversation as stored.
    pub conversation: Conversation,
    /// The user's message.
    pub request: Message,
    /// The answer as stored (content parts complete).
    pub response: Message,
    /// Its generation record.
    pub generation: Generation,
}

/// What a generation tells the door, in order: `Created`, then `Part`/`Delta`s, then `Final`.
#[derive(Clone, Debug)]
pub enum ChatEvent {
    /// The user's message is stored; the answer will have `response_id`.
    Created {
        /// The conversation (new or existing).
        conversation: Box<Conversation>,
        /// The stored user message.
        user_message: Box<Message>,
        /// The answer's ID, known before the first token.
        response_id: MessageId,
        /// Whether the conversation was created by this request.
        is_new: bool,
    },
    /// A new content part starts at `index`.
    Part {
        /// Position in the answer's content.
        index: u32,
        /// Its kind.
        kind: PartKind,
    },
    /// Text appended to the part at `index`.
    Delta {
        /// Position in the answer's content.
        index: u32,
        /// The part's kind.
        kind: PartKind,
        /// The new text.
        text: String,
    },
    /// The answer is stored; nothing follows.
    Final(Box<FinalEvent>),
}

/// The engine.
#[derive(Clone)]
pub struct ChatService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    endpoints: Arc<Endpoints>,
    balances: balance::Balances,
    keys: crate::KeyService,
    live: Arc<AtomicUsize>,
    /// How long a temporary chat is kept.
    temporary_retention: chrono::Duration,
    events: crate::events::EventBus,
    /// Reads attached files; without it, messages cannot carry files.
    files: Option<crate::FileService>,
    /// What was read from attached files (PDFs' text, scaled images), the last few kept.
    derived: Arc<attach::Derived>,
}

/// Counts a generation while its task runs.
pub(crate) struct Live(Arc<AtomicUsize>);

impl Live {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::SeqCst);
        Self(counter.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Everything a generation task needs.
pub(crate) struct Job {
    pub store: DynStore,
    pub events: crate::events::EventBus,
    pub clock: Arc<dyn Clock>,
    pub provider: Arc<dyn ferrochat_providers::ChatProvider>,
    pub request: ChatRequest,
    pub prompt_estimate: u32,
    pub conversation: Conversation,
    pub user_message: Message,
    pub response_id: MessageId,
    pub sender: String,
    pub endpoint: String,
    pub model: String,
    pub idle_timeout: Duration,
    /// Debit the user's balance for the answer.
    pub charge: bool,
    pub title: Option<title::TitleJob>,
    /// An edited answer's parts and the kind edited: the new parts are stored after them.
    pub continued: Option<(Vec<(PartKind, String)>, PartKind)>,
    /// Held for the task's life; dropping it uncounts the generation.
    pub _live: Live,
}

fn not_found(e: StoreError) -> ServiceError {
    match e {
        StoreError::NotFound => ServiceError::NotFound("conversation"),
        other => other.into(),
    }
}

impl ChatService {
    /// Builds the engine.
    pub fn new(
        store: DynStore,
        clock: Arc<dyn Clock>,
        endpoints: Arc<Endpoints>,
        keys: crate::KeyService,
        events: crate::events::EventBus,
    ) -> Self {
        let balances = balance::Balances::new(
            store.clone(),
            clock.clone(),
            endpoints.balance_config().clone(),
        );
        let temporary_retention =
            chrono::Duration::from_std(endpoints.temporary_retention()).unwrap_or_default();
        Self {
            store,
            clock,
            endpoints,
            balances,
            keys,
            live: Arc::new(AtomicUsize::new(0)),
            temporary_retention,
            events,
            files: None,
            derived: Arc::default(),
        }
    }

    /// The same engine, reading the files users attach.
    pub fn with_files(mut self, files: crate::FileService) -> Self {
        self.files = Some(files);
        self
    }

    /// Token balances.
    pub fn balances(&self) -> &balance::Balances {
        &self.balances
    }

    /// The endpoints registry.
    pub fn endpoints(&self) -> &Arc<Endpoints> {
        &self.endpoints
    }

    /// Generations running now (a leak shows up here).
    pub fn live_generations(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    /// Checks a request, stores the user's message, and starts the answer. Errors here happen
    /// before anything is stored. The first event is always [`ChatEvent::Created`].
    pub async fn start(
        &self,
        user: UserId,
        input: ChatInput,
    ) -> ServiceResult<mpsc::Receiver<ChatEvent>> {
        let endpoint = self
            .endpoints
            .get(&input.endpoint)
            .ok_or_else(|| ServiceError::invalid("endpoint", "no such endpoint is configured"))?;
        let model = match input.model.as_deref().map(str::trim) {
            Some(m) if !m.is_empty() => m.to_owned(),
            _ => endpoint
                .models
                .first()
                .cloned()
                .ok_or_else(|| ServiceError::invalid("model", "missing_model"))?,
        };
        if model.len() > 256 || model.chars().any(char::is_control) {
            return Err(ServiceError::invalid("model", "is not a model name"));
        }
        if input.regenerate.is_none() && input.text.trim().is_empty() {
            return Err(ServiceError::invalid("text", "must not be empty"));
        }
        if input.text.len() > MAX_TEXT_BYTES {
            return Err(ServiceError::invalid(
                "text",
                format!("must be at most {MAX_TEXT_BYTES} bytes"),
            ));
        }
        // The user's own key (and base URL) where the endpoint wants them.
        let credentials = self.keys.credentials(user, &endpoint.name).await?;
        let provider = self.endpoints.provider(endpoint, credentials.as_ref())?;
        self.endpoints
            .check_user_url(endpoint, credentials.as_ref())
            .await?;

        let now = self.clock.now();
        // The conversation: existing (the user's own, live) or new.
        let (mut conversation, history, is_new) = match input.conversation_id {
            Some(id) => {
                let c = self.store.conversation(user, id).await.map_err(not_found)?;
                let messages = self.store.messages(user, id).await?;
                (c, messages, false)
            }
            None => (
                Conversation {
                    id: ConversationId::new(),
                    user_id: user,
                    title: "New Chat".into(),
                    endpoint: None,
                    endpoint_type: None,
                    model: None,
                    is_archived: false,
                    settings: JsonText::empty_object(),
                    folder_id: None,
                    tags: Vec::new(),
                    created_at: now,
                    updated_at: now,
                    expired_at: input.is_temporary.then(|| now + self.temporary_retention),
                },
                Vec::new(),
                true,
            ),
        };
        let mut settings = match conversation.settings.to_value() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        for (k, v) in input.settings {
            if v.is_null() {
                settings.remove(&k);
            } else {
                settings.insert(k, v);
            }
        }
        let parsed = context::settings(&settings)?;
        let settings_json = JsonText::from_value(&Value::Object(settings));
        if settings_json.as_str().len() > crate::conversations::SETTINGS_MAX_BYTES {
            return Err(ServiceError::invalid("settings", "are too large"));
        }
        conversation.endpoint = Some(endpoint.name.clone());
        // LibreChat's client renders custom endpoints by `endpointType`; it follows from the
        // endpoint, whichever door the turn came through.
        conversation.endpoint_type =
            (endpoint.kind == ferrochat_config::EndpointKind::Custom).then(|| "custom".to_owned());
        conversation.model = Some(model.clone());
        conversation.settings = settings_json;
        conversation.updated_at = now;

        // The user's message: the stored one for a regenerate, a new one otherwise.
        let (user_message, store_user_message) = match input.regenerate {
            Some(id) => {
                let m = history
                    .iter()
                    .find(|m| m.id == id && m.is_created_by_user)
                    .cloned()
                    .ok_or_else(|| {
                        ServiceError::invalid(
                            "overrideParentMessageId",
                            "is not a message of yours in this conversation",
                        )
                    })?;
                (m, false)
            }
            None => {
                if let Some(parent) = input.parent_message_id
                    && !history.iter().any(|m| m.id == parent)
                {
                    return Err(ServiceError::invalid(
                        "parentMessageId",
                        "is not a message of this conversation",
                    ));
                }
                let text = input.text.trim().to_owned();
                let tokens = i64::from(tokens::estimate(&text));
                let files = match (&self.files, input.files.is_empty()) {
                    (_, true) => None,
                    (Some(service), false) => {
                        let custom = endpoint.kind == ferrochat_config::EndpointKind::Custom;
                        if let Some(limit) = service.message_file_limit(&endpoint.name, custom)?
                            && input.files.len() > limit as usize
                        {
                            return Err(ServiceError::invalid(
                                "files",
                                format!("at most {limit} files per message here (fileConfig)"),
                            ));
                        }
                        attach::describe(service, user, &input.files).await?
                    }
                    (None, false) => {
                        return Err(ServiceError::invalid("files", "files are not available"));
                    }
                };
                (
                    Message {
                        id: MessageId::new(),
                        conversation_id: conversation.id,
                        user_id: user,
                        parent_id: input.parent_message_id,
                        sender: "User".into(),
                        text,
                        content: None,
                        is_created_by_user: true,
                        error: false,
                        unfinished: false,
                        model: None,
                        endpoint: None,
                        token_count: Some(tokens),
                        feedback: None,
                        files,
                        created_at: now,
                        updated_at: now,
                    },
                    true,
                )
            }
        };

        let mut prefix = match (&input.edited, input.regenerate) {
            (Some(edit), Some(_)) => Some(edit::prefix(&history, &user_message, edit)?),
            (Some(_), None) => {
                return Err(ServiceError::invalid(
                    "editedContent",
                    "applies only when a message is answered again",
                ));
            }
            (None, _) => None,
        };

        // The prompt: the branch ending at the user's message (and the edited answer, which
        // the model goes on from), fitted to the window.
        let mut chain =
            context::branch(&history, user_message.parent_id.unwrap_or(user_message.id));
        if user_message.parent_id.is_none() {
            chain.clear();
        }
        chain.push(&user_message);
        let attached = match &self.files {
            Some(service) => attach::load(service, &self.derived, user, &chain).await?,
            None => Default::default(),
        };
        let mut turns = context::turns(&chain, attached);
        turns.extend(prefix.as_mut().and_then(|p| p.turn.take()));
        let window = parsed.max_context.unwrap_or_else(|| context_window(&model));
        let reserve = parsed
            .params
            .max_output_tokens
            .unwrap_or(1024)
            .min(window / 2);
        let (turns, prompt_estimate) =
            context::fit(parsed.system.as_deref(), turns, window, reserve)?;
        let request = ChatRequest {
            model: model.clone(),
            system: parsed.system.clone(),
            turns,
            params: parsed.params,
        };
        let sender = sender_label(endpoint, &model, parsed.model_label.as_deref());
        // With balances on, the prompt alone must be affordable before anything is stored.
        let charge = match self.balances.current(user).await? {
            Some(b) => {
                let cost = balance::cost(&model, prompt_estimate, 0);
                if b.token_credits <= 0 || b.token_credits < cost {
                    return Err(ServiceError::InsufficientBalance {
                        balance: b.token_credits,
                        cost,
                    });
                }
                true
            }
            None => false,
        };

        let conversation = self
            .store
            .start_turn(TurnStart {
                conversation: &conversation,
                is_new,
                user_message: store_user_message.then_some(&user_message),
            })
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound("conversation"),
                StoreError::Conflict { .. } => ServiceError::Conflict {
                    field: "conversationId",
                },
                other => other.into(),
            })?;
        {
            use crate::events::EventKind;
            let kind = if is_new {
                EventKind::ConversationCreated
            } else {
                EventKind::ConversationUpdated
            };
            self.events.conversation(user, kind, conversation.id);
            if store_user_message {
                self.events.message(
                    user,
                    EventKind::MessageCreated,
                    conversation.id,
                    user_message.id,
                );
            }
        }

        let title = (is_new
            && !input.is_temporary
            && user_message.parent_id.is_none()
            && endpoint.title_convo)
            .then(|| title::TitleJob {
                model: match endpoint.title_model.as_deref() {
                    Some(m) if m != "current_model" => m.to_owned(),
                    _ => model.clone(),
                },
                prompt: user_message.text.clone(),
            });
        let response_id = MessageId::new();
        let (tx, rx) = mpsc::channel(CHANNEL);
        // Cannot fail: the channel is new and has room.
        let _ = tx.try_send(ChatEvent::Created {
            conversation: Box::new(conversation.clone()),
            user_message: Box::new(user_message.clone()),
            response_id,
            is_new,
        });
        let job = Job {
            store: self.store.clone(),
            events: self.events.clone(),
            clock: self.clock.clone(),
            provider,
            request,
            prompt_estimate,
            conversation,
            user_message,
            response_id,
            sender,
            endpoint: endpoint.name.clone(),
            model,
            idle_timeout: self.endpoints.idle_timeout(),
            charge,
            title,
            continued: prefix.map(|p| (p.parts, p.kind)),
            _live: Live::new(&self.live),
        };
        // The generation runs here first, up to its first wait (the upstream request written,
        // its answer not yet in), and only then becomes a task of its own: the upstream call
        // starts before this request's answer head is written, and whatever the scheduler does
        // with a new task cannot delay it. Spawning it and yielding to it instead left it
        // waiting for another worker in about one turn in ten (150 µs at p90 against 38 µs at
        // p50 from spawn to its first step, timestamps of a probe build).
        let mut generation = Box::pin(run::run(job, tx));
        let first = std::future::poll_fn(|cx| Poll::Ready(generation.as_mut().poll(cx))).await;
        if first.is_pending() {
            tokio::spawn(generation);
        }
        Ok(rx)
    }

    /// The conversation's title once it is no longer the default, waiting up to `wait` for a
    /// title being generated; `None` when there is none (titles off, or not ready in time).
    pub async fn title(
        &self,
        user: UserId,
        id: ConversationId,
        wait: Duration,
    ) -> ServiceResult<Option<String>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let c = self.store.conversation(user, id).await.map_err(not_found)?;
            if c.title != "New Chat" {
                return Ok(Some(c.title));
            }
            let titled = c
                .endpoint
                .as_deref()
                .and_then(|e| self.endpoints.get(e))
                .is_some_and(|e| e.title_convo);
            if !titled || tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}
