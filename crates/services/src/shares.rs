//! Shared links: a read-only view of a conversation (or of one branch of it) at a URL anyone
//! holding it can open, while sharing is on, until an optional expiry and behind an optional
//! password.
//!
//! A link copies nothing: it shows the conversation's messages created up to its snapshot
//! time, so later turns stay private until the owner refreshes it (which also gives it a new
//! ID, revoking the old URL, as LibreChat does), while edits and deletions of the shown
//! messages do show: someone who deletes a message expects it gone everywhere. Viewers never
//! see the owner or the real IDs: the conversation and every message get a random alias per
//! view, with the tree's parent links remapped.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ferrochat_core::{ConversationId, Message, MessageId, ShareId, SharedLink, UserId};
use ferrochat_store::{DynStore, PasswordChange, ShareKey, ShareQuery};

/// The orders of the link list (re-exported for the doors).
pub use ferrochat_store::ShareOrder;

use crate::error::not_found;
use crate::{Clock, ServiceError, ServiceResult, paging, password};

/// Default page of the link list (LibreChat's).
pub const DEFAULT_PAGE: u32 = 10;
/// Largest page of the link list.
pub const MAX_PAGE: u32 = 100;

/// What the operator allows (LibreChat's `ALLOW_SHARED_LINKS`, `ALLOW_SHARED_LINKS_PUBLIC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharePolicy {
    /// Links can be made and opened at all.
    pub enabled: bool,
    /// Links open without signing in; otherwise only signed-in users may open them.
    pub public: bool,
}

/// Options of a new link.
#[derive(Clone, Debug, Default)]
pub struct NewShare {
    /// Show only the branch from the root down to this message.
    pub target_message_id: Option<MessageId>,
    /// The link stops opening after this.
    pub expires_at: Option<DateTime<Utc>>,
    /// Viewers must give this password.
    pub password: Option<String>,
}

/// Changes to a link's access; `None` leaves a field as it is, `Some(None)` removes it.
#[derive(Clone, Debug, Default)]
pub struct ShareChange {
    /// New expiry.
    pub expires_at: Option<Option<DateTime<Utc>>>,
    /// New password.
    pub password: Option<Option<String>>,
}

/// Which links to list.
#[derive(Clone, Debug)]
pub struct ShareListing<'a> {
    /// Order.
    pub order: ShareOrder,
    /// Words the title must contain.
    pub search: Option<&'a str>,
    /// Cursor from the previous page.
    pub cursor: Option<&'a str>,
    /// Page size.
    pub limit: Option<u32>,
}

/// A page of links.
#[derive(Clone, Debug)]
pub struct SharePage {
    /// The links.
    pub links: Vec<SharedLink>,
    /// Opaque cursor for the next page; `None` on the last one.
    pub next_cursor: Option<String>,
}

/// A message as a viewer sees it: under an alias, its parent's alias (`None`: a root).
#[derive(Clone, Debug)]
pub struct SharedMessage {
    /// Alias of the message (`msg_…`).
    pub id: String,
    /// Alias of its parent.
    pub parent_id: Option<String>,
    /// The message; its own IDs and owner are not for the viewer.
    pub message: Message,
}

/// What a viewer sees.
#[derive(Clone, Debug)]
pub struct SharedView {
    /// The link.
    pub link: SharedLink,
    /// Alias of the conversation (`convo_…`).
    pub conversation_alias: String,
    /// The messages shown, in tree order (parents first).
    pub messages: Vec<SharedMessage>,
}

/// Shared links.
#[derive(Clone)]
pub struct ShareService {
    store: DynStore,
    clock: Arc<dyn Clock>,
    policy: SharePolicy,
}

impl ShareService {
    /// Builds the service.
    pub fn new(store: DynStore, clock: Arc<dyn Clock>, policy: SharePolicy) -> Self {
        Self {
            store,
            clock,
            policy,
        }
    }

    /// What the operator allows.
    pub fn policy(&self) -> SharePolicy {
        self.policy
    }

    /// Makes a link to one of the user's conversations (not a temporary one, and not an empty
    /// one). A target message must be in the conversation; an expiry in the future; a password
    /// as long as an account's.
    pub async fn create(
        &self,
        user: UserId,
        conversation_id: ConversationId,
        options: NewShare,
    ) -> ServiceResult<SharedLink> {
        if !self.policy.enabled {
            return Err(ServiceError::Forbidden(
                "sharing is turned off on this server",
            ));
        }
        let now = self.clock.now();
        self.check_access(now, options.expires_at, options.password.as_deref())?;
        let conversation = self
            .store
            .conversation(user, conversation_id)
            .await
            .map_err(not_found("conversation"))?;
        if conversation.expired_at.is_some() {
            return Err(ServiceError::invalid(
                "conversationId",
                "temporary chats cannot be shared",
            ));
        }
        let messages = self.store.messages(user, conversation_id).await?;
        if messages.is_empty() {
            return Err(ServiceError::invalid(
                "conversationId",
                "the conversation has no messages to share",
            ));
        }
        if let Some(target) = options.target_message_id
            && !messages.iter().any(|m| m.id == target)
        {
            return Err(ServiceError::NotFound("message"));
        }
        let password_hash = match options.password {
            Some(p) => Some(password::hash(p).await?),
            None => None,
        };
        let link = SharedLink {
            id: new_share_id()?,
            user_id: user,
            conversation_id,
            title: conversation.title,
            target_message_id: options.target_message_id,
            snapshot_at: now,
            expires_at: options.expires_at,
            has_password: password_hash.is_some(),
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_shared_link(&link, password_hash.as_deref())
            .await?;
        Ok(link)
    }

    /// The newest link of one of the user's conversations, if any.
    pub async fn for_conversation(
        &self,
        user: UserId,
        conversation_id: ConversationId,
    ) -> ServiceResult<Option<SharedLink>> {
        Ok(self
            .store
            .conversation_shared_link(user, conversation_id)
            .await?)
    }

    /// One of the user's links.
    pub async fn get(&self, user: UserId, id: &str) -> ServiceResult<SharedLink> {
        let id = parse_id(id)?;
        self.store
            .shared_link(user, &id)
            .await
            .map_err(not_found("shared link"))
    }

    /// A page of the user's links.
    pub async fn list(&self, user: UserId, listing: ShareListing<'_>) -> ServiceResult<SharePage> {
        let limit = paging::limit(listing.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let title_words = match listing.search {
            Some(text) => crate::search::terms(text, "search")?,
            None => Vec::new(),
        };
        let by_title = matches!(listing.order, ShareOrder::TitleAsc | ShareOrder::TitleDesc);
        let after = listing
            .cursor
            .map(|c| decode_cursor(c, by_title))
            .transpose()?;
        let query = ShareQuery {
            order: listing.order,
            title_words: &title_words,
            after,
            limit: limit + 1,
        };
        let mut links = self.store.shared_links(user, &query).await?;
        let next_cursor = paging::finish(&mut links, limit, |l| encode_cursor(l, by_title));
        Ok(SharePage { links, next_cursor })
    }

    /// Re-takes the snapshot (later messages and the current title show) under a new ID, so the
    /// old URL stops working; expiry and password stay.
    pub async fn refresh(&self, user: UserId, id: &str) -> ServiceResult<SharedLink> {
        let id = parse_id(id)?;
        let mut link = self
            .store
            .shared_link(user, &id)
            .await
            .map_err(not_found("shared link"))?;
        let conversation = self
            .store
            .conversation(user, link.conversation_id)
            .await
            .map_err(not_found("shared link"))?;
        let now = self.clock.now();
        link.id = new_share_id()?;
        link.title = conversation.title;
        link.snapshot_at = now;
        link.updated_at = now;
        self.store
            .update_shared_link(user, &id, &link, PasswordChange::Keep)
            .await
            .map_err(not_found("shared link"))?;
        Ok(link)
    }

    /// Changes a link's expiry and/or password.
    pub async fn update(
        &self,
        user: UserId,
        id: &str,
        change: ShareChange,
    ) -> ServiceResult<SharedLink> {
        let id = parse_id(id)?;
        let now = self.clock.now();
        self.check_access(
            now,
            change.expires_at.flatten(),
            change.password.as_ref().and_then(|p| p.as_deref()),
        )?;
        let mut link = self
            .store
            .shared_link(user, &id)
            .await
            .map_err(not_found("shared link"))?;
        if let Some(expires_at) = change.expires_at {
            link.expires_at = expires_at;
        }
        let hash = match &change.password {
            Some(Some(p)) => Some(password::hash(p.clone()).await?),
            _ => None,
        };
        let password = match (&change.password, hash.as_deref()) {
            (None, _) => PasswordChange::Keep,
            (Some(Some(_)), Some(h)) => PasswordChange::Set(h),
            (Some(_), _) => PasswordChange::Clear,
        };
        link.has_password = match password {
            PasswordChange::Keep => link.has_password,
            PasswordChange::Set(_) => true,
            PasswordChange::Clear => false,
        };
        link.updated_at = now;
        self.store
            .update_shared_link(user, &id, &link, password)
            .await
            .map_err(not_found("shared link"))?;
        Ok(link)
    }

    /// Deletes one of the user's links; its URL stops working at once.
    pub async fn delete(&self, user: UserId, id: &str) -> ServiceResult<()> {
        let id = parse_id(id)?;
        if self.store.delete_shared_link(user, &id).await? {
            Ok(())
        } else {
            Err(ServiceError::NotFound("shared link"))
        }
    }

    /// What a viewer of link `id` sees. `viewer` is the signed-in user, if any: the owner needs
    /// no password. A link that does not exist, has expired, belongs to a deleted conversation
    /// or while sharing is off is `NotFound` alike; a missing or wrong password is
    /// `PasswordRequired`.
    pub async fn view(
        &self,
        id: &str,
        password: Option<&str>,
        viewer: Option<UserId>,
    ) -> ServiceResult<SharedView> {
        let gone = || ServiceError::NotFound("shared link");
        if !self.policy.enabled {
            return Err(gone());
        }
        let id = id.parse::<ShareId>().map_err(|_| gone())?;
        let (link, hash) = self.store.public_shared_link(&id).await?.ok_or_else(gone)?;
        if link.expires_at.is_some_and(|e| e <= self.clock.now()) {
            return Err(gone());
        }
        if let Some(hash) = hash
            && viewer != Some(link.user_id)
        {
            let Some(given) = password.filter(|p| !p.is_empty()) else {
                return Err(ServiceError::PasswordRequired { given: false });
            };
            let fits = given.chars().count() <= password::MAX_LEN;
            if !fits || !password::verify(given.to_owned(), hash).await? {
                return Err(ServiceError::PasswordRequired { given: true });
            }
        }
        let messages = self
            .store
            .messages(link.user_id, link.conversation_id)
            .await?;
        let shown = snapshot(messages, link.snapshot_at, link.target_message_id);
        Ok(SharedView {
            conversation_alias: format!("convo_{}", alias()?),
            messages: anonymize(shown)?,
            link,
        })
    }

    /// The access options' rules, shared by create and update.
    fn check_access(
        &self,
        now: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
        password: Option<&str>,
    ) -> ServiceResult<()> {
        let mut checks = crate::validate::Checks::default();
        if expires_at.is_some_and(|e| e <= now) {
            checks.fail("expires_at", "must be in the future");
        }
        if let Some(Err(ServiceError::Invalid(errors))) = password.map(password::check) {
            for e in errors {
                checks.fail(e.field, e.message);
            }
        }
        checks.finish()
    }
}

/// The messages a link shows: those created by its snapshot time, and with a target only the
/// chain from the root down to it (all of them if the target is gone: the rest of the
/// conversation is still what the owner shared).
fn snapshot(
    messages: Vec<Message>,
    until: DateTime<Utc>,
    target: Option<MessageId>,
) -> Vec<Message> {
    let messages: Vec<Message> = messages
        .into_iter()
        .filter(|m| m.created_at <= until)
        .collect();
    let Some(target) = target else {
        return messages;
    };
    let by_id: HashMap<MessageId, &Message> = messages.iter().map(|m| (m.id, m)).collect();
    if !by_id.contains_key(&target) {
        return messages;
    }
    let mut chain = std::collections::HashSet::new();
    let mut at = Some(target);
    // A cycle cannot be stored by the chat engine, but the walk must end regardless.
    while let Some(id) = at.filter(|id| chain.insert(*id)) {
        at = by_id.get(&id).and_then(|m| m.parent_id);
    }
    messages
        .into_iter()
        .filter(|m| chain.contains(&m.id))
        .collect()
}

/// Gives every message an alias and remaps parent links; a parent outside the view (not
/// shared) makes the message a root.
fn anonymize(messages: Vec<Message>) -> ServiceResult<Vec<SharedMessage>> {
    let mut aliases = HashMap::with_capacity(messages.len());
    for m in &messages {
        aliases.insert(m.id, format!("msg_{}", alias()?));
    }
    Ok(messages
        .into_iter()
        .map(|m| SharedMessage {
            id: aliases.get(&m.id).cloned().unwrap_or_default(),
            parent_id: m.parent_id.and_then(|p| aliases.get(&p).cloned()),
            message: m,
        })
        .collect())
}

/// 21 random URL-safe characters.
fn alias() -> ServiceResult<String> {
    Ok(new_share_id()?.to_string())
}

fn new_share_id() -> ServiceResult<ShareId> {
    let mut bytes = [0u8; ShareId::LEN];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
    Ok(ShareId::from_random(bytes))
}

/// An ID that cannot be a share's names none.
fn parse_id(id: &str) -> ServiceResult<ShareId> {
    id.parse()
        .map_err(|_| ServiceError::NotFound("shared link"))
}

/// The created-order cursor is the usual `<ms>_<id>`; the title one `t.<hex title>.<id>` (IDs
/// and hex hold no dot), so a cursor from the other order is refused rather than misread.
fn encode_cursor(link: &SharedLink, by_title: bool) -> String {
    if by_title {
        format!("t.{}.{}", hex::encode(link.title.as_bytes()), link.id)
    } else {
        paging::cursor(link.created_at, &link.id)
    }
}

fn decode_cursor(text: &str, by_title: bool) -> ServiceResult<ShareKey> {
    let bad = || ServiceError::invalid("cursor", "is not a cursor from this server");
    if !by_title {
        let (at, id) = paging::decode_cursor::<ShareId>(text)?;
        return Ok(ShareKey::Created(at, id));
    }
    let mut parts = text.splitn(3, '.');
    let (Some("t"), Some(title), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let title = hex::decode(title)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    Ok(ShareKey::Title(title, id.parse().map_err(|_| bad())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrochat_core::JsonText;

    fn message(id: u128, parent: Option<u128>, at: i64) -> Message {
        Message {
            id: MessageId(uuid::Uuid::from_u128(id)),
            conversation_id: ConversationId(uuid::Uuid::from_u128(99)),
            user_id: UserId(uuid::Uuid::from_u128(98)),
            parent_id: parent.map(|p| MessageId(uuid::Uuid::from_u128(p))),
            sender: "User".into(),
            text: format!("m{id}"),
            content: None::<JsonText>,
            is_created_by_user: true,
            error: false,
            unfinished: false,
            model: None,
            endpoint: None,
            token_count: None,
            feedback: None,
            files: None,
            created_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            updated_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
        }
    }

    fn ids(messages: &[Message]) -> Vec<String> {
        messages.iter().map(|m| m.text.clone()).collect()
    }

    #[test]
    fn a_snapshot_leaves_later_messages_out_and_a_target_keeps_its_branch() {
        // 1 ─ 2 ─ 3        (3 and 4 are siblings: a regenerated answer)
        //       └ 4 ─ 5    (5 comes after the snapshot)
        let tree = vec![
            message(1, None, 10),
            message(2, Some(1), 20),
            message(3, Some(2), 30),
            message(4, Some(2), 40),
            message(5, Some(4), 50),
        ];
        let at = |ms| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        assert_eq!(
            ids(&snapshot(tree.clone(), at(45), None)),
            ["m1", "m2", "m3", "m4"]
        );
        let target = Some(MessageId(uuid::Uuid::from_u128(4)));
        assert_eq!(
            ids(&snapshot(tree.clone(), at(45), target)),
            ["m1", "m2", "m4"]
        );
        // The target deleted since: everything up to the snapshot.
        let gone = Some(MessageId(uuid::Uuid::from_u128(7)));
        assert_eq!(ids(&snapshot(tree, at(45), gone)), ["m1", "m2", "m3", "m4"]);
    }

    #[test]
    fn aliases_hide_ids_and_keep_the_tree() {
        let view = anonymize(vec![
            message(1, None, 10),
            message(2, Some(1), 20),
            message(3, Some(8), 30),
        ])
        .unwrap_or_default();
        assert!(
            view.iter()
                .all(|m| m.id.starts_with("msg_") && m.id.len() == 25)
        );
        assert_eq!(view[0].parent_id, None);
        assert_eq!(view[1].parent_id.as_deref(), Some(view[0].id.as_str()));
        // Its parent is not shared: shown as a root.
        assert_eq!(view[2].parent_id, None);
        assert_ne!(view[0].id, view[1].id);
    }

    #[test]
    fn cursors_round_trip_and_refuse_the_other_order() {
        let link = SharedLink {
            id: ShareId::from_random([7; ShareId::LEN]),
            user_id: UserId::new(),
            conversation_id: ConversationId::new(),
            title: "Résumé. of_things".into(),
            target_message_id: None,
            snapshot_at: Utc::now(),
            expires_at: None,
            has_password: false,
            created_at: DateTime::from_timestamp_millis(1_764_000_000_000).unwrap_or_default(),
            updated_at: Utc::now(),
        };
        let by_title = encode_cursor(&link, true);
        assert_eq!(
            decode_cursor(&by_title, true).ok(),
            Some(ShareKey::Title(link.title.clone(), link.id.clone()))
        );
        assert!(decode_cursor(&by_title, false).is_err());
        let by_date = encode_cursor(&link, false);
        assert_eq!(
            decode_cursor(&by_date, false).ok(),
            Some(ShareKey::Created(link.created_at, link.id.clone()))
        );
        assert!(decode_cursor(&by_date, true).is_err());
        assert!(decode_cursor("t.zz.abc", true).is_err());
    }
}
