//! Two-factor authentication with TOTP and one-time backup codes.
//!
//! Setup is two-phase: `begin` stores a new secret (encrypted with `CREDS_KEY`) and backup
//! codes but leaves 2FA off; `confirm` turns it on once the user proves their app produces
//! codes. A code is accepted once (the last accepted time step is recorded), backup codes are
//! stored hashed and spent on use. With 2FA on, a correct password yields only a short-lived
//! "pending" token, exchanged for a session by `complete_login` with a code.

use chrono::{DateTime, Utc};
use ferrochat_core::{User, UserId};
use ferrochat_store::StoreError;

use super::tokens::{hash_token, random_token};
use super::totp;
use super::{AuthService, ClientInfo, Grant, percent_encode};
use crate::{ServiceError, ServiceResult};

/// How many backup codes a user gets.
pub const BACKUP_CODES: usize = 10;
/// Bytes of TOTP secret (160 bits, RFC 4226's recommendation).
const SECRET_BYTES: usize = 20;
const BAD_CODE: &str = "Invalid token or backup code";

/// What a user needs to set up their authenticator.
#[derive(Clone, Debug)]
pub struct TwoFactorSetup {
    /// `otpauth://` URL for the QR code.
    pub otpauth_url: String,
    /// One-time backup codes, shown once.
    pub backup_codes: Vec<String>,
}

/// A TOTP code or a backup code, as the client sends them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SecondFactor<'a> {
    /// Six-digit code from the authenticator app.
    pub token: Option<&'a str>,
    /// One of the backup codes.
    pub backup_code: Option<&'a str>,
}

fn normalise_backup(code: &str) -> String {
    code.trim().to_ascii_lowercase().replace('-', "")
}

fn new_backup_codes() -> ServiceResult<Vec<String>> {
    (0..BACKUP_CODES)
        .map(|_| random_token().map(|t| t[..10].to_owned()))
        .collect()
}

impl AuthService {
    /// Starts 2FA setup: a new secret and backup codes, 2FA still off.
    pub async fn begin_two_factor(&self, user: &User) -> ServiceResult<TwoFactorSetup> {
        let state = self.store.totp_state(user.id).await?;
        if state.enabled {
            return Err(ServiceError::invalid(
                "token",
                "Two-factor authentication is already enabled",
            ));
        }
        let mut secret = [0u8; SECRET_BYTES];
        getrandom::fill(&mut secret).map_err(|e| ServiceError::Internal(e.to_string().into()))?;
        let sealed = self.secret_box.seal(&secret)?;
        self.store
            .set_totp(user.id, Some(&sealed), false, self.clock.now())
            .await?;
        let codes = new_backup_codes()?;
        let hashes: Vec<String> = codes.iter().map(|c| hash_token(c)).collect();
        self.store.replace_backup_codes(user.id, &hashes).await?;
        let issuer = "ferrochat";
        let otpauth_url = format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits=6&period={}",
            percent_encode(&user.email),
            totp::base32(&secret),
            totp::STEP
        );
        Ok(TwoFactorSetup {
            otpauth_url,
            backup_codes: codes,
        })
    }

    /// Checks a second factor against the stored secret (during setup too) or backup codes.
    /// `require_enabled` refuses users whose 2FA is not on.
    async fn check_second_factor(
        &self,
        user_id: UserId,
        factor: SecondFactor<'_>,
        require_enabled: bool,
        now: DateTime<Utc>,
    ) -> ServiceResult<bool> {
        let state = self.store.totp_state(user_id).await?;
        let Some(sealed) = state.secret.filter(|_| state.enabled || !require_enabled) else {
            return Ok(false);
        };
        if let Some(code) = factor.token.filter(|c| !c.trim().is_empty()) {
            let secret = self.secret_box.open(&sealed)?;
            return match totp::matching_step(&secret, code, now.timestamp()) {
                Some(step) => Ok(self.store.advance_totp_step(user_id, step).await?),
                None => Ok(false),
            };
        }
        if let Some(code) = factor
            .backup_code
            .filter(|c| !c.trim().is_empty() && c.len() <= 64)
        {
            let hash = hash_token(&normalise_backup(code));
            return Ok(self.store.spend_backup_code(user_id, &hash, now).await?);
        }
        Ok(false)
    }

    /// Checks a code during setup without changing anything else (`/2fa/verify`).
    pub async fn verify_two_factor(
        &self,
        user: &User,
        factor: SecondFactor<'_>,
    ) -> ServiceResult<()> {
        if self
            .check_second_factor(user.id, factor, false, self.clock.now())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::invalid("token", BAD_CODE))
        }
    }

    /// Turns 2FA on after a code from the app proved the setup worked.
    pub async fn confirm_two_factor(&self, user: &User, token: &str) -> ServiceResult<()> {
        let now = self.clock.now();
        let factor = SecondFactor {
            token: Some(token),
            backup_code: None,
        };
        if !self
            .check_second_factor(user.id, factor, false, now)
            .await?
        {
            return Err(ServiceError::invalid("token", BAD_CODE));
        }
        let state = self.store.totp_state(user.id).await?;
        let sealed = state
            .secret
            .ok_or_else(|| ServiceError::invalid("token", BAD_CODE))?;
        self.store
            .set_totp(user.id, Some(&sealed), true, now)
            .await?;
        // set_totp forgets the last step; record the confirming code's step again so it
        // cannot be replayed for a login.
        let secret = self.secret_box.open(&sealed)?;
        if let Some(step) = totp::matching_step(&secret, token, now.timestamp()) {
            self.store.advance_totp_step(user.id, step).await?;
        }
        Ok(())
    }

    /// Turns 2FA off; needs a current code or a backup code.
    pub async fn disable_two_factor(
        &self,
        user: &User,
        factor: SecondFactor<'_>,
    ) -> ServiceResult<()> {
        let now = self.clock.now();
        if !self.check_second_factor(user.id, factor, true, now).await? {
            return Err(ServiceError::invalid("token", BAD_CODE));
        }
        self.store.set_totp(user.id, None, false, now).await?;
        self.store.replace_backup_codes(user.id, &[]).await?;
        Ok(())
    }

    /// Issues a fresh set of backup codes (the old ones stop working).
    pub async fn regenerate_backup_codes(&self, user: &User) -> ServiceResult<Vec<String>> {
        if !self.store.totp_state(user.id).await?.enabled {
            return Err(ServiceError::invalid(
                "token",
                "Two-factor authentication is not enabled",
            ));
        }
        let codes = new_backup_codes()?;
        let hashes: Vec<String> = codes.iter().map(|c| hash_token(c)).collect();
        self.store.replace_backup_codes(user.id, &hashes).await?;
        Ok(codes)
    }

    /// Second step of a 2FA login: pending token plus a code give a session.
    pub async fn complete_two_factor_login(
        &self,
        pending_token: &str,
        factor: SecondFactor<'_>,
        client: ClientInfo,
    ) -> ServiceResult<Grant> {
        let now = self.clock.now();
        let user_id = self.tokens.verify_pending(pending_token, now)?;
        let user = self.store.user_by_id(user_id).await.map_err(|e| match e {
            StoreError::NotFound => ServiceError::Unauthenticated,
            other => other.into(),
        })?;
        if user.banned {
            return Err(ServiceError::Forbidden(
                "Your account has been temporarily banned.",
            ));
        }
        if !self.check_second_factor(user.id, factor, true, now).await? {
            return Err(ServiceError::invalid("token", BAD_CODE));
        }
        self.open_session(user, client).await
    }
}
