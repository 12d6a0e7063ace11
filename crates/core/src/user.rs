//! User accounts.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::UserId;

/// What a user may do. LibreChat knows exactly these two roles and sends them upper-case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Role {
    /// An ordinary account.
    User,
    /// May use the admin routes and commands.
    Admin,
}

impl Role {
    /// The stored and wire spelling (`USER`, `ADMIN`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "USER",
            Role::Admin => "ADMIN",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The text was not a known role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRole(pub String);

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown role `{}` (expected USER or ADMIN)", self.0)
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;
    /// Case-insensitive, so `ferrochat user set-role x admin` works as typed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "USER" => Ok(Role::User),
            "ADMIN" => Ok(Role::Admin),
            _ => Err(UnknownRole(s.to_owned())),
        }
    }
}

/// A stored user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Primary key.
    pub id: UserId,
    /// Lower-cased login address; unique.
    pub email: String,
    /// Optional handle shown in the client; unique when set.
    pub username: Option<String>,
    /// Display name.
    pub name: String,
    /// Avatar URL, if any.
    pub avatar: Option<String>,
    /// How the account signs in: `local` (password) or a social/OpenID provider name.
    pub provider: String,
    /// What the user may do.
    pub role: Role,
    /// PHC-formatted password hash (argon2id, or bcrypt for accounts migrated from LibreChat);
    /// `None` for accounts that only sign in through a provider.
    pub password_hash: Option<String>,
    /// Whether the address was confirmed.
    pub email_verified: bool,
    /// Banned accounts are refused everywhere.
    pub banned: bool,
    /// Whether the user accepted the terms of service.
    pub terms_accepted: bool,
    /// Whether sign-in needs a TOTP or backup code after the password.
    pub two_factor_enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Fields needed to create a user; the store fills IDs and timestamps in from here.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Lower-cased login address.
    pub email: String,
    /// Optional unique handle.
    pub username: Option<String>,
    /// Display name.
    pub name: String,
    /// `local` or a provider name.
    pub provider: String,
    /// Initial role.
    pub role: Role,
    /// Already-hashed password, if the account has one.
    pub password_hash: Option<String>,
    /// Whether the address is already confirmed.
    pub email_verified: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert_eq!("USER".parse::<Role>().unwrap(), Role::User);
        assert!("root".parse::<Role>().is_err());
    }
}
