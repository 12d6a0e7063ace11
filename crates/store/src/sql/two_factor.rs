//! Statements for TOTP state (columns of `users`) and `backup_codes`.

/// Secret, enabled flag and last step of user $1.
pub const STATE: &str =
    "SELECT totp_secret, two_factor_enabled, totp_last_step FROM users WHERE id = $1";
/// Sets secret ($2), enabled ($3), clears the last step, updated_at ($4).
pub const SET: &str = "UPDATE users SET totp_secret = $2, two_factor_enabled = $3, totp_last_step = NULL, \
     updated_at = $4 WHERE id = $1";
/// Records step $2 as used unless it or a later one already was (compare-and-swap).
pub const ADVANCE: &str = "UPDATE users SET totp_last_step = $2 \
     WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)";
/// Deletes user $1's backup codes.
pub const DELETE_CODES: &str = "DELETE FROM backup_codes WHERE user_id = $1";
/// Adds a backup code hash ($2) for user $1.
pub const INSERT_CODE: &str = "INSERT INTO backup_codes (user_id, code_hash) VALUES ($1, $2)";
/// Spends backup code $2 of user $1 at $3 unless already spent.
pub const SPEND_CODE: &str = "UPDATE backup_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL";
/// Unspent backup codes of user $1.
pub const COUNT_CODES: &str =
    "SELECT COUNT(*) FROM backup_codes WHERE user_id = $1 AND used_at IS NULL";
