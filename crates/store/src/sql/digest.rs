//! Statements of weekly digests (`digest_subscriptions`, and reads over conversations).

/// Subscribes user $1 at $3 with last week $2, unless subscribed.
pub const SUBSCRIBE: &str = "INSERT INTO digest_subscriptions (user_id, subscribed_at, last_week) \
     VALUES ($1, $3, $2) ON CONFLICT (user_id) DO NOTHING";
/// Unsubscribes user $1.
pub const UNSUBSCRIBE: &str = "DELETE FROM digest_subscriptions WHERE user_id = $1";
/// When user $1 subscribed.
pub const SUBSCRIPTION: &str = "SELECT subscribed_at FROM digest_subscriptions WHERE user_id = $1";
/// Subscribers with a last week before $1, not banned, after (last week $2, ID $3) in that
/// order, at most $4. A claim moves a row out of the range and a release moves it before the
/// cursor, so the pages of one run neither repeat nor skip a row.
pub const DUE: &str = "SELECT s.user_id, u.email, u.name, s.last_week \
     FROM digest_subscriptions s JOIN users u ON u.id = s.user_id \
     WHERE s.last_week < $1 AND (s.last_week, s.user_id) > ($2, $3) AND u.banned = false \
     ORDER BY s.last_week, s.user_id LIMIT $4";
/// Claims week $2 for user $1 if an earlier one was the last.
pub const CLAIM: &str =
    "UPDATE digest_subscriptions SET last_week = $2 WHERE user_id = $1 AND last_week < $2";
/// Sets user $1's last week back from $2 to $3.
pub const RELEASE: &str =
    "UPDATE digest_subscriptions SET last_week = $3 WHERE user_id = $1 AND last_week = $2";
/// User $1's conversations with messages created in [$2, $3), busiest first, at most $4. The
/// conversation's `updated_at` moves with every message, so it bounds the scan.
pub const ACTIVE: &str = "SELECT id, title, messages FROM (\
     SELECT c.id, c.title, c.updated_at, (SELECT count(*) FROM messages m \
     WHERE m.conversation_id = c.id AND m.created_at >= $2 AND m.created_at < $3) AS messages \
     FROM conversations c WHERE c.user_id = $1 AND c.deleted_at IS NULL \
     AND c.expired_at IS NULL AND c.updated_at >= $2) t \
     WHERE messages > 0 ORDER BY messages DESC, updated_at DESC, id LIMIT $4";

/// A row of [`DUE`].
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct DueRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub last_week: i64,
}

impl TryFrom<DueRow> for crate::DigestRecipient {
    type Error = crate::StoreError;

    fn try_from(r: DueRow) -> Result<Self, Self::Error> {
        Ok(Self {
            user_id: super::time::parse_id(&r.user_id)?,
            email: r.email,
            name: r.name,
            last_week: super::time::from_millis(r.last_week)?,
        })
    }
}

/// A row of [`ACTIVE`].
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct ActiveRow {
    pub id: String,
    pub title: String,
    pub messages: i64,
}

impl TryFrom<ActiveRow> for crate::ActiveConversation {
    type Error = crate::StoreError;

    fn try_from(r: ActiveRow) -> Result<Self, Self::Error> {
        Ok(Self {
            id: super::time::parse_id(&r.id)?,
            title: r.title,
            messages: r.messages,
        })
    }
}
