//! Two-factor state: the (encrypted) TOTP secret, the last accepted step, backup codes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ferrochat_core::UserId;

use crate::StoreResult;

/// A user's TOTP state as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpState {
    /// Encrypted secret; present during setup and while enabled.
    pub secret: Option<String>,
    /// Whether sign-in requires a code.
    pub enabled: bool,
    /// Last accepted time step.
    pub last_step: Option<i64>,
}

/// Two-factor columns and the `backup_codes` table.
#[async_trait]
pub trait TwoFactorStore: Send + Sync {
    /// The user's TOTP state.
    async fn totp_state(&self, user_id: UserId) -> StoreResult<TotpState>;

    /// Sets (or clears, with `None`) the encrypted secret and the enabled flag; forgets the
    /// last step.
    async fn set_totp(
        &self,
        user_id: UserId,
        secret: Option<&str>,
        enabled: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Records `step` as used if no later or equal step was; `false` means the code was
    /// already used (a replay).
    async fn advance_totp_step(&self, user_id: UserId, step: i64) -> StoreResult<bool>;

    /// Replaces the user's backup codes with these hashes.
    async fn replace_backup_codes(&self, user_id: UserId, hashes: &[String]) -> StoreResult<()>;

    /// Spends a backup code by hash; `false` if unknown or already spent.
    async fn spend_backup_code(
        &self,
        user_id: UserId,
        hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Unspent backup codes left.
    async fn remaining_backup_codes(&self, user_id: UserId) -> StoreResult<u64>;
}
