//! One generation: reads the upstream stream, forwards it as events, and stores the answer
//! however the stream ends (finished, abandoned by the client, or failed upstream).

use std::time::Instant;

use ferrochat_core::{Generation, JsonText, Message, Outcome};
use ferrochat_providers::{ChatStream, ProviderError, StreamItem, Usage, tokens};
use futures_util::{FutureExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{ChatEvent, FinalEvent, Job, PartKind};

/// The answer as it grows: content parts in order.
#[derive(Default)]
struct Parts(Vec<(PartKind, String)>);

impl Parts {
    /// Appends text; returns the part's index and whether it is a new part.
    fn push(&mut self, kind: PartKind, text: &str) -> (u32, bool) {
        let new = self.0.last().is_none_or(|(k, _)| *k != kind);
        if new {
            self.0.push((kind, String::new()));
        }
        let index = self.0.len() - 1;
        if let Some((_, t)) = self.0.last_mut() {
            t.push_str(text);
        }
        (u32::try_from(index).unwrap_or(u32::MAX), new)
    }

    fn answer_text(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| *k == PartKind::Text)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// The stored content; consumes the parts so only one copy of the answer is held while
    /// it waits to be stored (thousands of streams ending together all wait at once).
    fn into_content(self, error: Option<&str>) -> Value {
        let mut parts: Vec<Value> = self
            .0
            .into_iter()
            .map(|(kind, text)| kind.stored(text))
            .collect();
        if let Some(e) = error {
            parts.push(json!({"type": "error", "error": e}));
        }
        Value::Array(parts)
    }
}

/// How reading the upstream ended.
enum End {
    Done,
    Aborted,
    Failed(ProviderError),
}

/// Sends an event; `false` when the client is gone.
async fn send(tx: &mpsc::Sender<ChatEvent>, event: ChatEvent) -> bool {
    tx.send(event).await.is_ok()
}

/// Reads the stream into `parts`, forwarding events, until it ends, fails, stalls or the client
/// goes away.
async fn pump(
    job: &Job,
    stream: &mut ChatStream,
    tx: &mpsc::Sender<ChatEvent>,
    parts: &mut Parts,
    state: &mut Progress,
    started: Instant,
) -> End {
    // An item read ahead while coalescing that belongs to the next event.
    let mut pending: Option<Option<Result<StreamItem, ProviderError>>> = None;
    // One timer for the stream, pushed back per item (a timeout per item cost a timer-wheel
    // insert and removal per upstream chunk).
    let idle = tokio::time::sleep(job.idle_timeout);
    tokio::pin!(idle);
    loop {
        let next = match pending.take() {
            Some(item) => Ok(item),
            None => tokio::select! {
                biased;
                () = tx.closed() => return End::Aborted,
                next = stream.next() => Ok(next),
                () = &mut idle => Err(()),
            },
        };
        idle.as_mut()
            .reset(tokio::time::Instant::now() + job.idle_timeout);
        let item = match next {
            Err(()) => return End::Failed(ProviderError::Timeout),
            Ok(None) => return End::Done,
            Ok(Some(Err(e))) => return End::Failed(e),
            Ok(Some(Ok(item))) => item,
        };
        let (kind, mut text) = match item {
            StreamItem::Text(t) => (PartKind::Text, t),
            StreamItem::Reasoning(t) => (PartKind::Think, t),
            StreamItem::Usage(u) => {
                state.usage = Some(u);
                continue;
            }
            StreamItem::Finish(r) => {
                state.finish = Some(r);
                continue;
            }
        };
        // Whatever else of the same kind has already arrived goes out in the same delta: when
        // the server falls behind, it catches up with fewer, larger events instead of queueing
        // one per upstream chunk (CPU and memory under load; the client appends either way).
        let mut held = None;
        while text.len() < COALESCE_MAX {
            match stream.next().now_or_never() {
                Some(Some(Ok(StreamItem::Text(t)))) if kind == PartKind::Text => text.push_str(&t),
                Some(Some(Ok(StreamItem::Reasoning(t)))) if kind == PartKind::Think => {
                    text.push_str(&t);
                }
                Some(Some(Ok(StreamItem::Usage(u)))) => state.usage = Some(u),
                Some(Some(Ok(StreamItem::Finish(r)))) => state.finish = Some(r),
                Some(other) => {
                    held = Some(other);
                    break;
                }
                None => break,
            }
        }
        if kind == PartKind::Text && state.ttft_ms.is_none() {
            state.ttft_ms = Some(millis(started));
        }
        let (index, new) = parts.push(kind, &text);
        if new && !send(tx, ChatEvent::Part { index, kind }).await {
            return End::Aborted;
        }
        if !send(tx, ChatEvent::Delta { index, kind, text }).await {
            return End::Aborted;
        }
        if let Some(item) = held {
            pending = Some(item);
        }
    }
}

/// Largest delta built from chunks that arrived together.
const COALESCE_MAX: usize = 16 * 1024;

#[derive(Default)]
struct Progress {
    usage: Option<Usage>,
    finish: Option<String>,
    ttft_ms: Option<i64>,
}

fn millis(since: Instant) -> i64 {
    i64::try_from(since.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// Runs a generation to its end. The upstream stream is dropped (closing its connection)
/// before anything is stored.
pub(crate) async fn run(job: Job, tx: mpsc::Sender<ChatEvent>) {
    let started = Instant::now();
    let mut parts = Parts::default();
    let mut progress = Progress::default();
    let end = {
        let opened = tokio::select! {
            biased;
            () = tx.closed() => None,
            r = tokio::time::timeout(job.idle_timeout, job.provider.stream(&job.request)) => Some(r),
        };
        match opened {
            None => End::Aborted,
            Some(Err(_)) => End::Failed(ProviderError::Timeout),
            Some(Ok(Err(e))) => End::Failed(e),
            Some(Ok(Ok(mut stream))) => {
                pump(&job, &mut stream, &tx, &mut parts, &mut progress, started).await
            }
        }
    };
    let (outcome, error) = match &end {
        End::Done => (Outcome::Completed, None),
        End::Aborted => (Outcome::Aborted, None),
        End::Failed(e) => {
            tracing::warn!(endpoint = %job.endpoint, model = %job.model, code = e.code(), error = %e, "generation failed");
            (Outcome::Error, Some(e))
        }
    };
    let error_text = error.map(|e| format!("An error occurred while processing the request: {e}"));
    let now = job.clock.now();
    // The title model reads the answer; without a title to make, no copy is kept.
    let answer_text = job.title.as_ref().map(|_| parts.answer_text());
    let usage_reported = progress.usage.is_some();
    let usage = progress.usage.unwrap_or(Usage {
        prompt_tokens: job.prompt_estimate,
        completion_tokens: parts.0.iter().map(|(_, t)| tokens::estimate(t)).sum(),
    });
    let parts = match &job.continued {
        Some((prefix, edited)) => Parts(super::edit::merge(prefix.clone(), *edited, parts.0)),
        None => parts,
    };
    let content = JsonText::from_value(&parts.into_content(error_text.as_deref()));
    let response = Message {
        id: job.response_id,
        conversation_id: job.conversation.id,
        user_id: job.conversation.user_id,
        parent_id: Some(job.user_message.id),
        sender: job.sender.clone(),
        text: String::new(),
        content: Some(content),
        is_created_by_user: false,
        error: false,
        unfinished: false,
        model: Some(job.model.clone()),
        endpoint: Some(job.endpoint.clone()),
        token_count: Some(i64::from(usage.completion_tokens)),
        feedback: None,
        files: None,
        created_at: now,
        updated_at: now,
    };
    let generation = Generation {
        message_id: response.id,
        conversation_id: response.conversation_id,
        user_id: response.user_id,
        endpoint: job.endpoint.clone(),
        model: job.model.clone(),
        outcome,
        error_code: error.map(|e| e.code().to_owned()),
        finish_reason: progress.finish.clone(),
        prompt_tokens: i64::from(usage.prompt_tokens),
        completion_tokens: i64::from(usage.completion_tokens),
        usage_reported,
        ttft_ms: progress.ttft_ms,
        duration_ms: millis(started),
        token_cost: if job.charge {
            super::balance::cost(&job.model, usage.prompt_tokens, usage.completion_tokens)
        } else {
            0
        },
        created_at: now,
    };
    if let Err(e) = job
        .store
        .finish_turn(&response, &generation, job.charge, now)
        .await
    {
        tracing::error!(error = %e, conversation = %response.conversation_id, "storing an answer failed");
    } else {
        job.events.message(
            response.user_id,
            crate::events::EventKind::MessageCreated,
            response.conversation_id,
            response.id,
        );
    }
    if outcome != Outcome::Aborted {
        let mut conversation = job.conversation.clone();
        conversation.updated_at = now;
        let _ = tx
            .send(ChatEvent::Final(Box::new(FinalEvent {
                conversation,
                request: job.user_message.clone(),
                response,
                generation,
            })))
            .await;
    }
    drop(tx);
    if let (Some(title), Some(answer_text)) = (&job.title, answer_text) {
        title.run(&job, &answer_text).await;
    }
}
