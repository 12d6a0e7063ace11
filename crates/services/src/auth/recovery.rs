//! Mailed single-use tokens: password reset and email verification.
//!
//! Requests that name an address (reset request, verification resend) answer the same way
//! whether or not the address exists, and do their work in a background task, so neither the
//! answer nor its timing says anything about which accounts exist. Tokens are random, stored
//! as SHA-256 hashes, compared in constant time, spent by a compare-and-swap update (single
//! use) and expire.

use std::time::Duration;

use ferrochat_core::{AuthToken, AuthTokenId, TokenPurpose, User, UserId};
use ferrochat_mail::templates;
use ferrochat_store::StoreError;
use subtle::ConstantTimeEq as _;

use super::tokens::{hash_token, random_token};
use super::{AuthService, percent_encode};
use crate::validate::{self, Checks};
use crate::{ServiceError, ServiceResult, password};

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a verification link works.
pub const VERIFY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// What a bad, spent or expired reset token is told.
const BAD_RESET: &str = "Invalid or expired password reset token";
/// What a bad, spent or expired verification token is told.
const BAD_VERIFY: &str = "Invalid or expired email verification token";

impl AuthService {
    /// Starts a password reset for `email`. Answers `Ok` whether or not the account exists;
    /// the lookup, the token and the mail happen in the background.
    pub async fn request_password_reset(&self, email: &str) -> ServiceResult<()> {
        if !self.policy.allow_password_reset {
            return Err(ServiceError::Forbidden("Password reset is not allowed."));
        }
        let mut checks = Checks::default();
        let email = validate::email(email, &mut checks);
        checks.finish()?;
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_reset(&email).await {
                tracing::error!(error = %e, "password reset mail failed");
            }
        });
        Ok(())
    }

    async fn send_reset(&self, email: &str) -> ServiceResult<()> {
        let user = match self.store.user_by_email(email).await {
            Ok(user) if !user.banned => user,
            Ok(_) | Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let token = self
            .issue_token(user.id, TokenPurpose::ResetPassword, RESET_TTL)
            .await?;
        let link = format!(
            "{}/reset-password?token={token}&userId={}",
            self.policy.client_url, user.id
        );
        let mail =
            templates::reset_password(&user.email, &user.name, &link, RESET_TTL.as_secs() / 60);
        self.mailer
            .send(mail)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))
    }

    /// Sets a new password with a mailed token, then revokes every session of the account (a
    /// reset is what someone does whose password may be known to another).
    pub async fn reset_password(
        &self,
        user_id: &str,
        token: &str,
        new_password: &str,
        confirm_password: &str,
    ) -> ServiceResult<User> {
        let mut checks = Checks::default();
        if let Err(ServiceError::Invalid(mut errs)) = password::check(new_password) {
            checks.0.append(&mut errs);
        }
        if new_password != confirm_password {
            checks.fail("confirm_password", "must match password");
        }
        checks.finish()?;
        let user_id: UserId = user_id
            .parse()
            .map_err(|_| ServiceError::invalid("token", BAD_RESET))?;
        if !self
            .redeem(user_id, TokenPurpose::ResetPassword, token)
            .await?
        {
            return Err(ServiceError::invalid("token", BAD_RESET));
        }
        let now = self.clock.now();
        let hash = password::hash(new_password.to_owned()).await?;
        self.store.set_password_hash(user_id, &hash, now).await?;
        self.store.revoke_user_sessions(user_id, None, now).await?;
        let user = self.store.user_by_id(user_id).await?;
        let mail = templates::password_changed(
            &user.email,
            &user.name,
            &format!("{}/login", self.policy.client_url),
        );
        let mailer = self.mailer.clone();
        tokio::spawn(async move {
            if let Err(e) = mailer.send(mail).await {
                tracing::error!(error = %e, "password-changed mail failed");
            }
        });
        Ok(user)
    }

    /// Sends a new verification link to `email` if it belongs to an unverified account.
    /// Answers `Ok` either way, like the reset request.
    pub async fn resend_verification(&self, email: &str) -> ServiceResult<()> {
        let mut checks = Checks::default();
        let email = validate::email(email, &mut checks);
        checks.finish()?;
        let this = self.clone();
        tokio::spawn(async move {
            match this.store.user_by_email(&email).await {
                Ok(user) if !user.email_verified => {
                    if let Err(e) = this.send_verification(&user).await {
                        tracing::error!(error = %e, "verification mail failed");
                    }
                }
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => tracing::error!(error = %e, "verification lookup failed"),
            }
        });
        Ok(())
    }

    pub(super) fn send_verification_in_background(&self, user: User) {
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_verification(&user).await {
                tracing::error!(error = %e, "verification mail failed");
            }
        });
    }

    async fn send_verification(&self, user: &User) -> ServiceResult<()> {
        let token = self
            .issue_token(user.id, TokenPurpose::VerifyEmail, VERIFY_TTL)
            .await?;
        let email = percent_encode(&user.email);
        let link = format!(
            "{}/verify?token={token}&email={email}",
            self.policy.client_url
        );
        let mail =
            templates::verify_email(&user.email, &user.name, &link, VERIFY_TTL.as_secs() / 60);
        self.mailer
            .send(mail)
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))
    }

    /// Confirms an address with a mailed token.
    pub async fn verify_email(&self, email: &str, token: &str) -> ServiceResult<()> {
        let mut checks = Checks::default();
        let email = validate::email(email, &mut checks);
        checks.finish()?;
        let user = match self.store.user_by_email(&email).await {
            Ok(user) => user,
            Err(StoreError::NotFound) => return Err(ServiceError::invalid("token", BAD_VERIFY)),
            Err(e) => return Err(e.into()),
        };
        if user.email_verified {
            return Ok(());
        }
        if !self
            .redeem(user.id, TokenPurpose::VerifyEmail, token)
            .await?
        {
            return Err(ServiceError::invalid("token", BAD_VERIFY));
        }
        Ok(self
            .store
            .set_email_verified(user.id, self.clock.now())
            .await?)
    }

    async fn issue_token(
        &self,
        user_id: UserId,
        purpose: TokenPurpose,
        ttl: Duration,
    ) -> ServiceResult<String> {
        let now = self.clock.now();
        let token = random_token()?;
        let ttl =
            chrono::Duration::from_std(ttl).map_err(|e| ServiceError::Internal(Box::new(e)))?;
        self.store
            .replace_auth_token(&AuthToken {
                id: AuthTokenId::new(),
                user_id,
                purpose,
                token_hash: hash_token(&token),
                expires_at: now + ttl,
                created_at: now,
            })
            .await?;
        Ok(token)
    }

    /// Spends the user's live token of `purpose` that matches `token`. The hashes are compared
    /// in constant time, and spending is a compare-and-swap, so a token works exactly once.
    async fn redeem(
        &self,
        user_id: UserId,
        purpose: TokenPurpose,
        token: &str,
    ) -> ServiceResult<bool> {
        if token.is_empty() || token.len() > 256 {
            return Ok(false);
        }
        let presented = hash_token(token);
        let live = self
            .store
            .live_auth_tokens(user_id, purpose, self.clock.now())
            .await?;
        for candidate in live {
            if bool::from(candidate.token_hash.as_bytes().ct_eq(presented.as_bytes())) {
                return Ok(self
                    .store
                    .spend_auth_token(candidate.id, self.clock.now())
                    .await?);
            }
        }
        Ok(false)
    }
}
