//! Duplicating and forking conversations (LibreChat §5.8): copy a conversation, or part of its
//! message tree, into a new conversation with fresh IDs, stored in one transaction.
//!
//! Which messages a fork keeps follows LibreChat's `fork.js`; where it fails (a missing
//! conversation is a 500 there, a message whose parent was not copied is hung under the
//! previous one) ferrochat answers `NotFound` and makes such a message a root.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use ferrochat_core::{Conversation, ConversationId, Message, MessageId, UserId};

use crate::{ConversationService, ServiceError, ServiceResult};

/// Which part of the tree a fork copies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForkOption {
    /// The path from the root to the target only.
    DirectPath,
    /// The path plus the other children of every message on it (not their descendants).
    IncludeBranches,
    /// Every message, on any branch, no deeper than the target (LibreChat's default).
    #[default]
    TargetLevel,
}

/// A fork request.
#[derive(Clone, Debug)]
pub struct ForkRequest {
    /// Conversation to fork.
    pub conversation: ConversationId,
    /// The message the fork is taken at.
    pub message: MessageId,
    /// What to copy.
    pub option: ForkOption,
    /// Start the new conversation at the target's level: messages above it are left out and
    /// those at its level become roots; the option then applies to `latest_message`.
    pub split_at_target: bool,
    /// The branch tip the client shows; used with `split_at_target` (default: newest message).
    pub latest_message: Option<MessageId>,
}

/// A new conversation and its messages, parents first.
#[derive(Clone, Debug)]
pub struct Copied {
    /// The new conversation.
    pub conversation: Conversation,
    /// Its messages.
    pub messages: Vec<Message>,
}

/// Depth of every message reachable from a root (roots are 0).
fn depths(tree: &[Message]) -> HashMap<MessageId, usize> {
    let mut children: HashMap<Option<MessageId>, Vec<MessageId>> = HashMap::new();
    let ids: HashSet<MessageId> = tree.iter().map(|m| m.id).collect();
    for m in tree {
        // A parent that is not in the tree makes a root, as it does in the client.
        let parent = m.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(m.id);
    }
    let mut depth = HashMap::new();
    let mut level: Vec<MessageId> = children.get(&None).cloned().unwrap_or_default();
    let mut d = 0;
    while !level.is_empty() {
        let mut next = Vec::new();
        for id in level {
            if depth.insert(id, d).is_none() {
                next.extend(children.get(&Some(id)).into_iter().flatten().copied());
            }
        }
        level = next;
        d += 1;
    }
    depth
}

/// The target and its ancestors, target first.
fn path(tree: &[Message], target: MessageId) -> Vec<MessageId> {
    let by_id: HashMap<MessageId, &Message> = tree.iter().map(|m| (m.id, m)).collect();
    let mut out = Vec::new();
    let mut at = by_id.get(&target).copied();
    while let Some(m) = at {
        if out.contains(&m.id) {
            break;
        }
        out.push(m.id);
        at = m.parent_id.and_then(|p| by_id.get(&p).copied());
    }
    out
}

/// The messages a fork at `target` keeps, in tree order; `None` if `target` is not in `tree`.
pub fn select(tree: &[Message], target: MessageId, option: ForkOption) -> Option<Vec<Message>> {
    if !tree.iter().any(|m| m.id == target) {
        return None;
    }
    let keep: HashSet<MessageId> = match option {
        ForkOption::DirectPath => path(tree, target).into_iter().collect(),
        ForkOption::IncludeBranches => {
            let on_path: HashSet<MessageId> = path(tree, target).into_iter().collect();
            tree.iter()
                .filter(|m| {
                    on_path.contains(&m.id)
                        || m.parent_id
                            .is_some_and(|p| p != target && on_path.contains(&p))
                })
                .map(|m| m.id)
                .collect()
        }
        ForkOption::TargetLevel => {
            let depth = depths(tree);
            let limit = depth.get(&target).copied().unwrap_or(0);
            depth
                .into_iter()
                .filter(|(_, d)| *d <= limit)
                .map(|(id, _)| id)
                .collect()
        }
    };
    Some(
        tree.iter()
            .filter(|m| keep.contains(&m.id))
            .cloned()
            .collect(),
    )
}

/// Drops the messages above `target`'s level and makes those at its level roots.
fn split_at(tree: &[Message], target: MessageId) -> Vec<Message> {
    let depth = depths(tree);
    let Some(&level) = depth.get(&target) else {
        return tree.to_vec();
    };
    tree.iter()
        .filter(|m| depth.get(&m.id).is_none_or(|d| *d >= level))
        .map(|m| {
            let mut m = m.clone();
            if depth.get(&m.id) == Some(&level) {
                m.parent_id = None;
            }
            m
        })
        .collect()
}

/// Copies `messages` into `conversation` for `user` with fresh IDs: parents keep pointing at
/// the copies of their parents, a message whose parent was not copied becomes a root, and a
/// child is never older than its parent (the tree is read back in time order).
pub(crate) fn clone_messages(
    messages: &[Message],
    conversation: ConversationId,
    user: UserId,
) -> Vec<Message> {
    let mut order: Vec<&Message> = messages.iter().collect();
    order.sort_by_key(|m| m.parent_id.is_some());
    let ids: HashMap<MessageId, MessageId> =
        messages.iter().map(|m| (m.id, MessageId::new())).collect();
    let mut created: HashMap<MessageId, chrono::DateTime<chrono::Utc>> = HashMap::new();
    let mut out = Vec::with_capacity(messages.len());
    // Parents first: a parent's (possibly bumped) time is known before its children's.
    let mut pending = order;
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|m| {
            let parent = m.parent_id.filter(|p| ids.contains_key(p));
            let parent_time = match parent {
                Some(p) => match created.get(&p) {
                    Some(t) => Some(*t),
                    None => return true,
                },
                None => None,
            };
            let mut copy = (*m).clone();
            copy.id = ids[&m.id];
            copy.parent_id = parent.map(|p| ids[&p]);
            copy.conversation_id = conversation;
            copy.user_id = user;
            copy.unfinished = false;
            copy.error = false;
            if let Some(t) = parent_time
                && copy.created_at <= t
            {
                copy.created_at = t + Duration::milliseconds(1);
            }
            created.insert(m.id, copy.created_at);
            out.push(copy);
            false
        });
        if pending.len() == before {
            // A parent cycle (never written by ferrochat): the rest become roots.
            for m in pending.drain(..) {
                let mut copy = m.clone();
                copy.id = ids[&m.id];
                copy.parent_id = None;
                copy.conversation_id = conversation;
                copy.user_id = user;
                out.push(copy);
            }
        }
    }
    out.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.0.cmp(&b.id.0)));
    out
}

impl ConversationService {
    /// Copies a conversation with the messages up to the level of its newest one, under
    /// `title` or the original's.
    pub async fn duplicate(
        &self,
        user: UserId,
        id: ConversationId,
        title: Option<&str>,
    ) -> ServiceResult<Copied> {
        let tree = self.messages(user, id).await?;
        let keep = match tree.iter().max_by_key(|m| m.created_at) {
            Some(latest) => select(&tree, latest.id, ForkOption::TargetLevel).unwrap_or_default(),
            None => Vec::new(),
        };
        self.copy(user, id, title, &keep).await
    }

    /// Forks a conversation at a message.
    pub async fn fork(&self, user: UserId, request: &ForkRequest) -> ServiceResult<Copied> {
        let tree = self.messages(user, request.conversation).await?;
        let not_found = || ServiceError::NotFound("message");
        if !tree.iter().any(|m| m.id == request.message) {
            return Err(not_found());
        }
        let (tree, target) = if request.split_at_target {
            let latest = match request.latest_message {
                Some(id) => id,
                None => tree
                    .iter()
                    .max_by_key(|m| m.created_at)
                    .map(|m| m.id)
                    .ok_or_else(not_found)?,
            };
            (split_at(&tree, request.message), latest)
        } else {
            (tree, request.message)
        };
        let keep = select(&tree, target, request.option).ok_or_else(not_found)?;
        self.copy(user, request.conversation, None, &keep).await
    }

    async fn copy(
        &self,
        user: UserId,
        id: ConversationId,
        title: Option<&str>,
        messages: &[Message],
    ) -> ServiceResult<Copied> {
        let original = self.get(user, id).await?;
        let now = self.clock.now();
        let title = match title.map(str::trim) {
            Some(t) if !t.is_empty() => crate::conversations::check_title(t)?,
            _ => original.title.clone(),
        };
        let conversation = Conversation {
            id: ConversationId::new(),
            title,
            is_archived: false,
            created_at: now,
            updated_at: now,
            tags: Vec::new(),
            ..original.clone()
        };
        let messages = clone_messages(messages, conversation.id, user);
        self.store
            .create_conversation_with_messages(&conversation, &messages)
            .await?;
        self.events.conversation(
            user,
            crate::events::EventKind::ConversationCreated,
            conversation.id,
        );
        let tags = if original.tags.is_empty() {
            Vec::new()
        } else {
            self.store
                .set_conversation_tags(user, conversation.id, &original.tags, now)
                .await?
        };
        Ok(Copied {
            conversation: Conversation {
                tags,
                ..conversation
            },
            messages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree:      a
    ///            /   \
    ///           b     c
    ///          / \     \
    ///         d   e     f
    ///         |
    ///         g
    fn tree() -> (Vec<Message>, HashMap<&'static str, MessageId>) {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let ids: HashMap<&str, MessageId> = names.iter().map(|n| (*n, MessageId::new())).collect();
        let parent = |n: &str| match n {
            "b" | "c" => Some("a"),
            "d" | "e" => Some("b"),
            "f" => Some("c"),
            "g" => Some("d"),
            _ => None,
        };
        let t0 = chrono::Utc::now();
        let messages = names
            .iter()
            .enumerate()
            .map(|(i, n)| Message {
                id: ids[n],
                conversation_id: ConversationId::new(),
                user_id: UserId::new(),
                parent_id: parent(n).map(|p| ids[p]),
                sender: "User".into(),
                text: (*n).into(),
                content: None,
                is_created_by_user: true,
                error: false,
                unfinished: false,
                model: None,
                endpoint: None,
                token_count: None,
                feedback: None,
                files: None,
                created_at: t0 + Duration::milliseconds(i as i64),
                updated_at: t0,
            })
            .collect();
        (messages, ids)
    }

    fn texts(ms: &[Message]) -> Vec<&str> {
        let mut t: Vec<&str> = ms.iter().map(|m| m.text.as_str()).collect();
        t.sort_unstable();
        t
    }

    #[test]
    fn options_select_what_librechat_selects() {
        let (tree, ids) = tree();
        let pick =
            |target: &str, option| texts(&select(&tree, ids[target], option).unwrap()).join("");
        assert_eq!(pick("d", ForkOption::DirectPath), "abd");
        assert_eq!(pick("d", ForkOption::IncludeBranches), "abcde");
        assert_eq!(pick("d", ForkOption::TargetLevel), "abcdef");
        assert_eq!(pick("a", ForkOption::TargetLevel), "a");
        assert_eq!(pick("g", ForkOption::IncludeBranches), "abcdeg");
        assert!(select(&tree, MessageId::new(), ForkOption::DirectPath).is_none());
    }

    #[test]
    fn split_makes_the_target_level_roots() {
        let (tree, ids) = tree();
        let split = split_at(&tree, ids["b"]);
        assert_eq!(texts(&split).join(""), "bcdefg");
        let roots: Vec<&str> = split
            .iter()
            .filter(|m| m.parent_id.is_none())
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(roots, ["b", "c"]);
        let kept = select(&split, ids["g"], ForkOption::DirectPath).unwrap();
        assert_eq!(texts(&kept).join(""), "bdg");
    }

    #[test]
    fn clones_get_fresh_ids_linked_like_the_originals() {
        let (tree, ids) = tree();
        let conversation = ConversationId::new();
        let user = UserId::new();
        let copies = clone_messages(&tree, conversation, user);
        assert_eq!(copies.len(), tree.len());
        let by_text: HashMap<&str, &Message> =
            copies.iter().map(|m| (m.text.as_str(), m)).collect();
        for m in &copies {
            assert!(!ids.values().any(|old| *old == m.id));
            assert_eq!(m.conversation_id, conversation);
            assert_eq!(m.user_id, user);
        }
        assert_eq!(by_text["g"].parent_id, Some(by_text["d"].id));
        assert_eq!(by_text["a"].parent_id, None);
        // A message whose parent was not copied becomes a root.
        let partial = clone_messages(&tree[3..], conversation, user);
        assert!(
            partial
                .iter()
                .find(|m| m.text == "d")
                .unwrap()
                .parent_id
                .is_none()
        );
        // Children are never older than parents, even when the originals were.
        let mut skewed = tree.clone();
        skewed[6].created_at = skewed[0].created_at;
        let copies = clone_messages(&skewed, conversation, user);
        let g = copies.iter().find(|m| m.text == "g").unwrap();
        let d = copies.iter().find(|m| m.text == "d").unwrap();
        assert!(g.created_at > d.created_at);
    }
}
