//! PKCE (RFC 7636) and random URL-safe values for `state` and `nonce`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::OidcError;

/// 32 random bytes, base64url without padding (43 characters): a PKCE verifier, a `state` or a
/// `nonce`.
pub fn random_url_token() -> Result<String, OidcError> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| OidcError::Protocol(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The S256 challenge of a verifier.
pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 appendix B.
    #[test]
    fn rfc7636_example() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(random_url_token().map(|t| t.len()).ok(), Some(43));
    }
}
