//! Statements and row type for `users`.

use ferrochat_core::{Role, User};

use super::time::{from_millis, parse_id};
use crate::StoreError;

/// Columns in the order [`UserRow`] expects.
macro_rules! user_columns {
    () => {
        "id, email, username, name, avatar, provider, role, password_hash, email_verified, \
         banned, terms_accepted, two_factor_enabled, created_at, updated_at"
    };
}

/// Inserts a user; binds id, email, username, name, provider, role, password_hash,
/// email_verified, created_at (also used as updated_at).
pub const INSERT: &str = concat!(
    "INSERT INTO users (id, email, username, name, provider, role, password_hash, \
     email_verified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
     RETURNING ",
    user_columns!()
);
/// Selects by id ($1).
pub const BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
/// Selects by lower-cased email ($1).
pub const BY_EMAIL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
/// First page in id order; binds limit.
pub const LIST_FIRST: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users ORDER BY id LIMIT $1"
);
/// Page after an id; binds after, limit.
pub const LIST_AFTER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE id > $1 ORDER BY id LIMIT $2"
);
/// Number of users.
pub const COUNT: &str = "SELECT COUNT(*) FROM users";
/// Sets role ($2) and updated_at ($3) of user $1.
pub const SET_ROLE: &str = concat!(
    "UPDATE users SET role = $2, updated_at = $3 WHERE id = $1 RETURNING ",
    user_columns!()
);
/// Sets banned ($2) and updated_at ($3) of user $1.
pub const SET_BANNED: &str = concat!(
    "UPDATE users SET banned = $2, updated_at = $3 WHERE id = $1 RETURNING ",
    user_columns!()
);
/// The user linked to identity ($1 provider, $2 subject).
pub const BY_IDENTITY: &str = "SELECT u.id, u.email, u.username, u.name, u.avatar, u.provider, \
     u.role, u.password_hash, u.email_verified, u.banned, u.terms_accepted, u.two_factor_enabled, \
     u.created_at, u.updated_at \
     FROM user_identities i JOIN users u ON u.id = i.user_id WHERE i.provider = $1 AND i.subject = $2";
/// Links identity ($1 provider, $2 subject) to user $3 at $4.
pub const LINK_IDENTITY: &str =
    "INSERT INTO user_identities (provider, subject, user_id, created_at) VALUES ($1, $2, $3, $4)";
/// The user of session $1 and whether the session is revoked, in one round trip (every
/// authenticated request asks this).
pub const BY_SESSION: &str = "SELECT u.id, u.email, u.username, u.name, u.avatar, u.provider, \
     u.role, u.password_hash, u.email_verified, u.banned, u.terms_accepted, u.two_factor_enabled, \
     u.created_at, u.updated_at, s.revoked_at AS session_revoked_at \
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1";

/// A user row with its session's revocation time.
#[derive(Debug, sqlx::FromRow)]
pub struct SessionUserRow {
    /// The user.
    #[sqlx(flatten)]
    pub user: UserRow,
    /// When the session was revoked, if it was.
    pub session_revoked_at: Option<i64>,
}

/// Sets avatar ($2, a URL or NULL) and updated_at ($3) of user $1.
pub const SET_AVATAR: &str = "UPDATE users SET avatar = $2, updated_at = $3 WHERE id = $1";

/// Sets terms_accepted ($2) and updated_at ($3) of user $1.
pub const SET_TERMS_ACCEPTED: &str =
    "UPDATE users SET terms_accepted = $2, updated_at = $3 WHERE id = $1";
/// Marks user $1's email verified at $2.
pub const SET_EMAIL_VERIFIED: &str =
    "UPDATE users SET email_verified = true, updated_at = $2 WHERE id = $1";
/// Sets password_hash ($2) and updated_at ($3) of user $1.
pub const SET_PASSWORD_HASH: &str =
    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
/// Deletes user $1; owned rows go with it through `ON DELETE CASCADE`.
pub const DELETE: &str = "DELETE FROM users WHERE id = $1";

/// A `users` row as both engines return it; the fields are its columns (see the migrations).
#[allow(missing_docs)]
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub username: Option<String>,
    pub name: String,
    pub avatar: Option<String>,
    pub provider: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub email_verified: bool,
    pub banned: bool,
    pub terms_accepted: bool,
    pub two_factor_enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        Ok(User {
            id: parse_id(&row.id)?,
            email: row.email,
            username: row.username,
            name: row.name,
            avatar: row.avatar,
            provider: row.provider,
            role: row
                .role
                .parse::<Role>()
                .map_err(|e| StoreError::Other(Box::new(e)))?,
            password_hash: row.password_hash,
            email_verified: row.email_verified,
            banned: row.banned,
            terms_accepted: row.terms_accepted,
            two_factor_enabled: row.two_factor_enabled,
            created_at: from_millis(row.created_at)?,
            updated_at: from_millis(row.updated_at)?,
        })
    }
}

/// Turns `limit + 1` fetched rows into a page: the extra row only signals that more exist.
pub fn page(mut rows: Vec<UserRow>, limit: u32) -> Result<crate::UserPage, StoreError> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let users = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if more {
        users.last().map(|u| u.id)
    } else {
        None
    };
    Ok(crate::UserPage { users, next })
}
