//! Authentication: registration, login, token refresh with rotation and reuse detection,
//! logout, and resolving an access token to a user.
//!
//! Rules that live here and nowhere else:
//! - the first account becomes ADMIN;
//! - registration obeys `ALLOW_REGISTRATION` and the email-domain allowlist, and an address that
//!   is already registered gets the same answer as a new one (no account enumeration);
//! - login with an unknown address costs one password verification, exactly like a wrong
//!   password (against a dummy hash), so timing does not reveal which addresses exist;
//! - bcrypt hashes (accounts migrated from LibreChat) are replaced by argon2id on login;
//! - every refresh rotates the refresh token; presenting a rotated-away token revokes its
//!   whole session, because only a copy of the token can be presented twice;
//! - banned users are refused everywhere and their sessions are revoked.

pub mod external;
mod recovery;
pub mod tokens;
pub mod totp;
pub mod two_factor;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ferrochat_core::{Role, Session, SessionId, User, UserId};
use ferrochat_mail::Mailer;
use ferrochat_store::{DynStore, StoreError};
use tokio::sync::OnceCell;

use crate::crypto::SecretBox;
use crate::password::{self, Verified};
use crate::users::{CreateUser, UserService};
use crate::validate::{self, Checks};
use crate::{Clock, ServiceError, ServiceResult};
use tokens::{AccessTokens, hash_token, random_token};

/// Percent-encodes a value for a URL query (RFC 3986 unreserved characters pass), for the
/// links in mail and the otpauth URL.
pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Which logins and registrations are allowed, and token lifetimes.
#[derive(Clone, Debug)]
pub struct AuthPolicy {
    /// `ALLOW_REGISTRATION`.
    pub allow_registration: bool,
    /// `ALLOW_EMAIL_LOGIN`.
    pub allow_email_login: bool,
    /// `ALLOW_UNVERIFIED_EMAIL_LOGIN`.
    pub allow_unverified_email_login: bool,
    /// Lower-case email domains allowed to register; empty allows all.
    pub allowed_domains: Vec<String>,
    /// Login-session (refresh token) lifetime; refreshes do not extend it.
    pub refresh_ttl: Duration,
    /// `ALLOW_PASSWORD_RESET`.
    pub allow_password_reset: bool,
    /// Public URL of the web client (`DOMAIN_CLIENT`), for links in mail.
    pub client_url: String,
    /// `ALLOW_SOCIAL_LOGIN`.
    pub allow_social_login: bool,
    /// `ALLOW_SOCIAL_REGISTRATION`.
    pub allow_social_registration: bool,
}

/// Where a request came from, recorded on the session it creates.
#[derive(Clone, Debug, Default)]
pub struct ClientInfo {
    /// Client IP as the web layer determined it.
    pub ip: Option<String>,
    /// `User-Agent` header, truncated.
    pub user_agent: Option<String>,
}

/// A successful login or refresh: what the client needs to stay signed in.
#[derive(Clone, Debug)]
pub struct Grant {
    /// Short-lived bearer token.
    pub access_token: String,
    /// Opaque refresh token for the cookie; shown once, stored hashed.
    pub refresh_token: String,
    /// When the session (and so the cookie) ends.
    pub refresh_expires_at: DateTime<Utc>,
    /// The signed-in user.
    pub user: User,
}

/// What a correct password leads to.
#[derive(Clone, Debug)]
pub enum LoginOutcome {
    /// Signed in.
    Granted(Box<Grant>),
    /// The account has 2FA: exchange this token and a code for a session.
    TwoFactorRequired {
        /// Five-minute pending token.
        pending_token: String,
    },
}

/// The caller behind a valid access token.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The user, freshly loaded (role and ban state are current).
    pub user: User,
    /// The session the token belongs to.
    pub session_id: SessionId,
}

/// Registration input, as the client sends it.
#[derive(Clone, Debug)]
pub struct Registration {
    /// Display name.
    pub name: String,
    /// Login address.
    pub email: String,
    /// Optional handle.
    pub username: Option<String>,
    /// Password.
    pub password: String,
    /// Must equal `password`.
    pub confirm_password: String,
}

/// What registration did. Both cases are reported identically to the client.
#[derive(Clone, Debug)]
pub enum Registered {
    /// A new account.
    Created(User),
    /// The address was taken; nothing changed.
    AlreadyRegistered,
}

/// Authentication rules.
#[derive(Clone)]
pub struct AuthService {
    store: DynStore,
    users: UserService,
    clock: Arc<dyn Clock>,
    tokens: AccessTokens,
    policy: AuthPolicy,
    mailer: Arc<dyn Mailer>,
    secret_box: SecretBox,
    providers: external::Providers,
    dummy_hash: Arc<OnceCell<String>>,
}

impl AuthService {
    /// Builds the service.
    pub fn new(deps: crate::Deps, users: UserService) -> Self {
        Self {
            store: deps.store,
            users,
            clock: deps.clock,
            tokens: deps.tokens,
            policy: deps.policy,
            mailer: deps.mailer,
            secret_box: deps.secret_box,
            providers: deps.providers,
            dummy_hash: Arc::new(OnceCell::new()),
        }
    }

    /// Whether mail really leaves the machine (verification and reset links can be delivered).
    pub fn mail_delivers(&self) -> bool {
        self.mailer.delivers()
    }

    /// The store this service writes to.
    pub fn store(&self) -> &DynStore {
        &self.store
    }

    /// The policy in force (the compat door reports parts of it in `/api/config`).
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    /// Registers a local account. The first account becomes ADMIN. Without a mail service the
    /// address counts as verified, as in LibreChat.
    pub async fn register(&self, input: Registration) -> ServiceResult<Registered> {
        if !self.policy.allow_registration {
            return Err(ServiceError::Forbidden("Registration is not allowed."));
        }
        let mut checks = Checks::default();
        let email = validate::email(&input.email, &mut checks);
        if input.password != input.confirm_password {
            checks.fail("confirm_password", "must match password");
        }
        checks.finish()?;
        if !self.domain_allowed(&email) {
            return Err(ServiceError::Forbidden(
                "The email address provided cannot be used. Please use a different email address.",
            ));
        }
        let role = if self.store.count_users().await? == 0 {
            Role::Admin
        } else {
            Role::User
        };
        // Without real mail there is no way to verify, so addresses count as verified (as in
        // LibreChat); with mail, a verification link is sent.
        let verified = !self.mailer.delivers();
        let created = self
            .users
            .create(CreateUser {
                email,
                name: input.name,
                username: input.username.filter(|u| !u.trim().is_empty()),
                password: input.password,
                role,
                email_verified: verified,
            })
            .await;
        match created {
            Ok(user) => {
                if !verified {
                    self.send_verification_in_background(user.clone());
                }
                Ok(Registered::Created(user))
            }
            Err(ServiceError::Conflict { field: "email" }) => Ok(Registered::AlreadyRegistered),
            Err(other) => Err(other),
        }
    }

    fn domain_allowed(&self, email: &str) -> bool {
        let allowed = &self.policy.allowed_domains;
        allowed.is_empty()
            || email
                .rsplit_once('@')
                .is_some_and(|(_, domain)| allowed.iter().any(|d| d == domain))
    }

    /// Checks email and password and opens a session.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        client: ClientInfo,
    ) -> ServiceResult<LoginOutcome> {
        if !self.policy.allow_email_login {
            return Err(ServiceError::Forbidden("Email login is not allowed."));
        }
        let mut checks = Checks::default();
        let email = validate::email(email, &mut checks);
        if password.is_empty() || password.chars().count() > password::MAX_LEN {
            checks.fail(
                "password",
                format!("must be 1 to {} characters", password::MAX_LEN),
            );
        }
        checks.finish()?;

        let user = match self.store.user_by_email(&email).await {
            Ok(user) => Some(user),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let stored = match user.as_ref().and_then(|u| u.password_hash.clone()) {
            Some(hash) => hash,
            None => self.dummy_hash().await?,
        };
        let verified = password::verify_stored(password.to_owned(), stored).await?;
        let user = match (user, verified) {
            (Some(user), Verified::Yes | Verified::YesRehash) => {
                if verified == Verified::YesRehash {
                    let fresh = password::hash(password.to_owned()).await?;
                    self.store
                        .set_password_hash(user.id, &fresh, self.clock.now())
                        .await?;
                    tracing::info!(user = %user.id, "re-hashed a bcrypt password with argon2id");
                }
                user
            }
            _ => return Err(ServiceError::Unauthenticated),
        };
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        if !user.email_verified && !self.policy.allow_unverified_email_login {
            return Err(ServiceError::EmailNotVerified);
        }
        if user.two_factor_enabled {
            let pending_token = self.tokens.issue_pending(user.id, self.clock.now())?;
            return Ok(LoginOutcome::TwoFactorRequired { pending_token });
        }
        self.open_session(user, client)
            .await
            .map(|g| LoginOutcome::Granted(Box::new(g)))
    }

    /// Starts a session for an already-authenticated user (login, OAuth callbacks, 2FA).
    pub async fn open_session(&self, user: User, client: ClientInfo) -> ServiceResult<Grant> {
        let now = self.clock.now();
        let refresh_token = random_token()?;
        let expires_at = now
            + chrono::Duration::from_std(self.policy.refresh_ttl)
                .map_err(|e| ServiceError::Internal(Box::new(e)))?;
        let session = Session {
            id: SessionId::new(),
            user_id: user.id,
            token_hash: hash_token(&refresh_token),
            expires_at,
            created_at: now,
            last_used_at: now,
            revoked_at: None,
            user_agent: client.user_agent,
            ip: client.ip,
        };
        self.store.create_session(&session).await?;
        Ok(Grant {
            access_token: self.tokens.issue(user.id, session.id, now)?,
            refresh_token,
            refresh_expires_at: expires_at,
            user,
        })
    }

    /// Exchanges a refresh token for a new access token and a new refresh token. The session
    /// keeps its original expiry. Every failure is `Unauthenticated`.
    pub async fn refresh(&self, refresh_token: &str) -> ServiceResult<Grant> {
        let now = self.clock.now();
        let hash = hash_token(refresh_token);
        let session = match self.store.session_by_token_hash(&hash).await {
            Ok(session) => session,
            Err(StoreError::NotFound) => {
                self.revoke_if_reused(&hash, now).await?;
                return Err(ServiceError::Unauthenticated);
            }
            Err(e) => return Err(e.into()),
        };
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(ServiceError::Unauthenticated);
        }
        let user = self.live_user(&session).await?;
        let next = random_token()?;
        let rotated = self
            .store
            .rotate_session(
                session.id,
                &hash,
                &hash_token(&next),
                session.expires_at,
                now,
            )
            .await?;
        if !rotated {
            // Another request rotated this token a moment ago: this presentation is a reuse.
            self.revoke_if_reused(&hash, now).await?;
            return Err(ServiceError::Unauthenticated);
        }
        Ok(Grant {
            access_token: self.tokens.issue(user.id, session.id, now)?,
            refresh_token: next,
            refresh_expires_at: session.expires_at,
            user,
        })
    }

    async fn revoke_if_reused(&self, hash: &str, now: DateTime<Utc>) -> ServiceResult<()> {
        match self.store.session_by_rotated_hash(hash).await {
            Ok(session_id) => {
                tracing::warn!(session = %session_id, "rotated refresh token presented again; revoking its session");
                self.store.revoke_session(session_id, now).await?;
                Ok(())
            }
            Err(StoreError::NotFound) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Loads the session's user and refuses banned accounts.
    async fn live_user(&self, session: &Session) -> ServiceResult<User> {
        let user = self
            .store
            .user_by_id(session.user_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::Unauthenticated,
                other => other.into(),
            })?;
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        Ok(user)
    }

    /// Ends a session. Ending an already-ended session is not an error.
    pub async fn logout(&self, session_id: SessionId) -> ServiceResult<()> {
        Ok(self
            .store
            .revoke_session(session_id, self.clock.now())
            .await?)
    }

    /// A user's live sessions (not revoked, not expired), newest first.
    pub async fn sessions(&self, user: UserId) -> ServiceResult<Vec<Session>> {
        let now = self.clock.now();
        let mut list = self.store.list_user_sessions(user).await?;
        list.retain(|s| s.revoked_at.is_none() && s.expires_at > now);
        Ok(list)
    }

    /// Ends one of the user's own sessions (sign out a device); another user's session is
    /// `NotFound`, exactly like a missing one.
    pub async fn revoke_own_session(&self, user: UserId, id: SessionId) -> ServiceResult<()> {
        match self.store.session_by_id(id).await {
            Ok(s) if s.user_id == user && s.revoked_at.is_none() => self.logout(id).await,
            Ok(_) | Err(StoreError::NotFound) => Err(ServiceError::NotFound("session")),
            Err(e) => Err(e.into()),
        }
    }

    /// The session a refresh token belongs to, if it is current (logout uses the cookie to find
    /// which session to end).
    pub async fn session_for_refresh_token(
        &self,
        refresh_token: &str,
    ) -> ServiceResult<Option<SessionId>> {
        match self
            .store
            .session_by_token_hash(&hash_token(refresh_token))
            .await
        {
            Ok(s) => Ok(Some(s.id)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Resolves an access token: valid signature and times, live session, existing unbanned
    /// user.
    pub async fn authenticate(&self, access_token: &str) -> ServiceResult<Authenticated> {
        let now = self.clock.now();
        let claims = self.tokens.verify(access_token, now)?;
        let (user, revoked) = self
            .store
            .session_user(claims.sid)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::Unauthenticated,
                other => other.into(),
            })?;
        if revoked || user.id != claims.sub {
            return Err(ServiceError::Unauthenticated);
        }
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        Ok(Authenticated {
            user,
            session_id: claims.sid,
        })
    }

    /// A hash of a random password, computed once, verified against when the address is
    /// unknown so both paths cost one argon2 verification.
    async fn dummy_hash(&self) -> ServiceResult<String> {
        self.dummy_hash
            .get_or_try_init(|| async { password::hash(random_token()?).await })
            .await
            .cloned()
    }

    /// Computes the dummy hash now rather than on the first unknown-address login, so that
    /// login is not measurably slower than the others.
    pub async fn warm_up(&self) -> ServiceResult<()> {
        self.dummy_hash().await.map(|_| ())
    }
}
