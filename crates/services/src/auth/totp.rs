//! TOTP (RFC 6238): HMAC-SHA1, 30-second steps, 6 digits, as every authenticator app speaks
//! it, plus the base32 encoding of secrets (RFC 4648) that `otpauth://` URLs carry.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Steps of clock drift accepted on either side.
pub const DRIFT: i64 = 1;

/// The 6-digit code for a time step (RFC 4226 dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.last()? & 0x0f);
    let slice = digest.get(offset..offset + 4)?;
    let value = u32::from_be_bytes([slice[0] & 0x7f, slice[1], slice[2], slice[3]]);
    Some(value % 1_000_000)
}

/// The step a code matches within the drift window around `unix_seconds`, if any. Only
/// six-digit inputs are considered.
pub fn matching_step(secret: &[u8], code: &str, unix_seconds: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = unix_seconds.div_euclid(STEP);
    (now - DRIFT..=now + DRIFT).find(|&step| code_at(secret, step) == Some(wanted))
}

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 column (8 digits there; the last 6 here).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(
                code_at(secret, time / STEP),
                Some(eight % 1_000_000),
                "t={time}"
            );
        }
    }

    #[test]
    fn drift_and_format() {
        let secret = b"12345678901234567890";
        let t = 1_234_567_890;
        let code = format!("{:06}", code_at(secret, t / STEP).unwrap());
        assert_eq!(matching_step(secret, &code, t), Some(t / STEP));
        assert_eq!(matching_step(secret, &code, t + STEP), Some(t / STEP));
        assert_eq!(matching_step(secret, &code, t + 3 * STEP), None);
        assert_eq!(matching_step(secret, "12345", t), None);
        assert_eq!(matching_step(secret, "abcdef", t), None);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b""), "");
    }
}
